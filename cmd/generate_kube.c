/* `kpod generate kube POD…`: the Kubernetes YAML of pods, rebuilt from what each pod was played
 * from (stored at play time), as a Pod, Deployment or Job, with its ConfigMaps and Secrets and
 * optionally a Service. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "manifest/manifest.h"

struct generate_kube_opts {
    char *type;
    bool service;
    char *filename;
    long long replicas;
};

#define O(f) offsetof(struct generate_kube_opts, f)
static const struct kpod_opt generate_kube_opts[] = {
    {"type", 't', KPOD_OPT_STRING, O(type), "TYPE", "kind to generate: pod, deployment or job",
     "=pod deployment job", "pod", false},
    {"service", 's', KPOD_OPT_BOOL, O(service), NULL,
     "also generate a Service for each pod (NodePort when it publishes host ports)", NULL, NULL,
     false},
    {"filename", 'f', KPOD_OPT_STRING, O(filename), "FILE",
     "write the YAML to FILE (a new file, mode 0600) instead of stdout", "file", NULL, false},
    {"replicas", 'r', KPOD_OPT_INT, O(replicas), "N", "replicas of a deployment (default 1)", NULL,
     NULL, false},
    KPOD_OPTS_END,
};
#undef O

static int
parse_type(const struct generate_kube_opts *o, struct kpod_emit_opts *ret, struct kpod_err **err)
{
    static const char *const names[] = {
        [KPOD_EMIT_POD] = "pod", [KPOD_EMIT_DEPLOYMENT] = "deployment", [KPOD_EMIT_JOB] = "job"};
    *ret = (struct kpod_emit_opts){.service = o->service, .replicas = o->replicas};
    for (size_t i = KPOD_EMIT_POD; i < ARRAY_SIZE(names); i++)
        if (strcasecmp(o->type, names[i]) == 0)
            ret->kind = (enum kpod_emit_kind)i;
    if (ret->kind == KPOD_EMIT_OWN)
        return kpod_err_usage(err, "generate kube: unknown type '%s': want pod, deployment or job",
                              o->type);
    if (o->replicas < 0 || (o->replicas != 0 && ret->kind != KPOD_EMIT_DEPLOYMENT) ||
        o->replicas > 1000000)
        return kpod_err_usage(err, "generate kube: --replicas %lld: %s", o->replicas,
                              ret->kind != KPOD_EMIT_DEPLOYMENT ? "only with --type deployment"
                                                                : "want 1 to 1000000");
    return 0;
}

/* The stored YAML of one pod, parsed back into a manifest. */
static struct kpod_manifest *
load_pod(struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    struct kpod_pod_state *p = kpod_cmd_find_pod(ctx, name, err);
    if (p == NULL) {
        (*err)->kind = KPOD_ERR_USAGE; /* podman: 125 for a missing pod */
        return NULL;
    }
    _cleanup_free_ char *path = kpod_sandbox_kube_path(ctx, p->id);
    kpod_pod_state_free(p);
    if (!kpod_fs_exists(path)) {
        kpod_err_input(err, "pod '%s' was played by a kpod without 'generate kube': play it again",
                       name);
        return NULL;
    }
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (kpod_fs_read_file(path, KPOD_MANIFEST_MAX_SIZE, &buf, &len, err) < 0)
        return NULL;
    return kpod_manifest_parse_buffer(path, buf, len, err);
}

static int
write_new_file(const char *path, const char *data, size_t len, struct kpod_err **err)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        return kpod_err_usage(err, "cannot write to '%s': file exists", path);
    if (fd < 0)
        return kpod_err_sys(err, "create '%s'", path);
    if (kpod_fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int e = errno;
        unlink(path);
        errno = e;
        return kpod_err_sys(err, "write '%s'", path);
    }
    return 0;
}

static int
run_generate_kube(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct generate_kube_opts *o = data;
    struct kpod_emit_opts eo;
    if (parse_type(o, &eo, err) < 0)
        return -1;
    struct kpod_manifest **ms = xcalloc((size_t)argc + 1, sizeof(*ms));
    struct kpod_emit_item *items = xcalloc((size_t)argc + 1, sizeof(*items));
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++) {
        ms[i] = load_pod(ctx, argv[i], err);
        if (ms[i] == NULL)
            rc = -1;
        else
            items[i] = (struct kpod_emit_item){ms[i], &ms[i]->pods[0]};
    }
    _cleanup_free_ char *yaml = NULL;
    size_t len = 0;
    if (rc == 0)
        rc = kpod_manifest_emit(items, (size_t)argc, &eo, &yaml, &len, err);
    if (rc == 0 && o->filename != NULL)
        rc = write_new_file(o->filename, yaml, len, err);
    else if (rc == 0 && fwrite(yaml, 1, len, stdout) != len)
        rc = kpod_err_sys(err, "write stdout");
    for (int i = 0; i < argc; i++)
        kpod_manifest_free(ms[i]);
    free(ms);
    free(items);
    return rc < 0 ? kpod_err_prefix(err, "generate kube") : 0;
}

const struct kpod_cmd kpod_cmd_generate_kube = {
    .name = "kube",
    .parent = "generate",
    .summary = "generate Kubernetes YAML of pods",
    .usage = "[options] POD...",
    .description = "Prints the Kubernetes YAML of pods kpod runs: each pod as it was played "
                   "(a Pod, or with --type a Deployment or Job around it), then a Service per pod "
                   "with --service, then the ConfigMaps and Secrets the pods use, with the data "
                   "they had when the pod was played. Playing the output runs the same pods.",
    .opts = generate_kube_opts,
    .opts_size = sizeof(struct generate_kube_opts),
    .run = run_generate_kube,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "pods",
};
