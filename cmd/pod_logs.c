/* `kpod pod logs POD`: the output of a pod's containers (or one, with -c). */
#include "common.h"

#include <stdlib.h>
#include <string.h>

struct pod_logs_opts {
    struct kpod_logs_cli l;
    char *container;
    bool monitor;
};

static const struct kpod_opt pod_logs_opts[] = {
    {"container", 'c', KPOD_OPT_STRING, offsetof(struct pod_logs_opts, container), "NAME",
     "only this container", NULL, NULL, false},
    {"follow", 'f', KPOD_OPT_BOOL, offsetof(struct pod_logs_opts, l.follow), NULL,
     "keep printing new output until the containers stop", NULL, NULL, false},
    {"tail", 'n', KPOD_OPT_STRING, offsetof(struct pod_logs_opts, l.tail), "LINES",
     "only the last LINES lines of each container", NULL, NULL, false},
    {"since", 0, KPOD_OPT_STRING, offsetof(struct pod_logs_opts, l.since), "TIME",
     "only lines from TIME on", NULL, NULL, false},
    {"until", 0, KPOD_OPT_STRING, offsetof(struct pod_logs_opts, l.until), "TIME",
     "only lines up to TIME", NULL, NULL, false},
    {"timestamps", 't', KPOD_OPT_BOOL, offsetof(struct pod_logs_opts, l.timestamps), NULL,
     "prefix each line with its timestamp", NULL, NULL, false},
    {"names", 0, KPOD_OPT_BOOL, offsetof(struct pod_logs_opts, l.names), NULL,
     "prefix each line with its container's name (the default for several)", NULL, NULL, false},
    {"color", 0, KPOD_OPT_BOOL, offsetof(struct pod_logs_opts, l.color), NULL, "color the names",
     NULL, NULL, false},
    {"monitor", 0, KPOD_OPT_BOOL, offsetof(struct pod_logs_opts, monitor), NULL,
     "show the pod monitor's own diagnostics instead", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
print_monitor_log(struct kpod_ctx *ctx, const struct kpod_pod_state *p, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/pods/%s/monitor.log", ctx->runroot, p->id);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (kpod_fs_read_file(path, 64u << 20, &buf, &len, err) < 0)
        return -1;
    fwrite(buf, 1, len, stdout);
    return 0;
}

static int
run_pod_logs(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_logs_opts *o = data;
    struct kpod_pod_state *p = kpod_cmd_find_pod(ctx, argv[0], err);
    if (p == NULL)
        return -1;
    if (o->monitor) {
        int rc = print_monitor_log(ctx, p, err);
        kpod_pod_state_free(p);
        return rc;
    }
    struct kpod_pod_state **pods = xcalloc(p->nctrs + 1, sizeof(*pods));
    struct kpod_ctr_state **ctrs = xcalloc(p->nctrs + 1, sizeof(*ctrs));
    size_t n = 0;
    for (size_t i = 0; i < p->nctrs; i++) {
        if (o->container != NULL && strcmp(o->container, p->ctrs[i].name) != 0)
            continue;
        pods[n] = p;
        ctrs[n++] = &p->ctrs[i];
    }
    int rc = 0;
    if (n == 0)
        rc = kpod_err_notfound(err, "pod '%s' has no container '%s'", p->name, o->container);
    else {
        if (n > 1)
            o->l.names = true;
        rc = kpod_cmd_print_logs(ctx, pods, ctrs, n, &o->l, err);
    }
    free(pods);
    free(ctrs);
    kpod_pod_state_free(p);
    return rc;
}

const struct kpod_cmd kpod_cmd_pod_logs = {
    .name = "logs",
    .parent = "pod",
    .summary = "show the output of a pod's containers",
    .usage = "[options] POD",
    .opts = pod_logs_opts,
    .opts_size = sizeof(struct pod_logs_opts),
    .run = run_pod_logs,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "pods",
};
