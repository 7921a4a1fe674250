/* libFuzzer target: the YAML parser, validation, env resolution and the spec builder on
 * arbitrary input. Any crash, leak, or sanitizer report is a bug. `make fuzz`. */
#include <stddef.h>
#include <stdint.h>

#include "manifest/manifest.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
build_pod(const struct kpod_manifest *m, const struct kpod_pod *pod)
{
    struct kpod_err *err = NULL;
    struct kpod_spec_pod_args pa = {
        .manifest = m, .pod = pod, .pod_dir = "/p", .run_dir = "/r", .volumes_root = "/v"};
    struct kpod_spec_pod *plan = kpod_spec_pod_plan(&pa, &err);
    kpod_err_free(&err);
    if (plan == NULL)
        return;
    char *hosts = kpod_spec_hosts_content(pod, plan->hostname, "10.0.0.1", "127.0.0.1 h");
    char *resolv = kpod_spec_resolv_content(pod, "nameserver 1.1.1.1\nsearch x\noptions a:1\n");
    free(hosts);
    free(resolv);
    for (size_t i = 0; i < pod->n_containers; i++) {
        struct kpod_spec_args a = {.manifest = m,
                                   .pod = pod,
                                   .ctr = &pod->containers[i],
                                   .plan = plan,
                                   .nofile_hard = 1024};
        struct kpod_oci_spec *spec = kpod_spec_build(&a, NULL, &err);
        kpod_err_free(&err);
        if (spec == NULL)
            continue;
        json_t *j = kpod_oci_spec_to_json(spec);
        json_decref(j);
        kpod_oci_spec_free(spec);
    }
    kpod_spec_pod_free(plan);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kpod_err *err = NULL;
    kpod_log_set_level(KPOD_LOG_ERROR);
    struct kpod_manifest *m =
        kpod_manifest_parse_buffer("fuzz.yaml", (const char *)data, size, &err);
    kpod_err_free(&err);
    if (m == NULL)
        return 0;
    for (size_t i = 0; i < m->n_pods; i++)
        build_pod(m, &m->pods[i]);
    kpod_manifest_free(m);
    return 0;
}
