/* `kpod pod restart`: stop, then start pods. */
#include "common.h"

struct pod_restart_opts {
    bool all;
    long long time;
};

static const struct kpod_opt pod_restart_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct pod_restart_opts, all), NULL, "restart every pod",
     NULL, NULL, false},
    {"time", 't', KPOD_OPT_INT, offsetof(struct pod_restart_opts, time), "SECONDS",
     "grace period of the stop", NULL, "-1", false},
    KPOD_OPTS_END,
};

static int
restart_one(struct kpod_ctx *ctx, const char *id, void *data, struct kpod_err **err)
{
    struct pod_restart_opts *o = data;
    if (kpod_sandbox_stop(ctx, id, (int)o->time, false, err) < 0)
        return -1;
    return kpod_sandbox_start(ctx, id, "info", err);
}

static int
run_pod_restart(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_restart_opts *o = data;
    return kpod_cmd_each_pod(ctx, argc, argv, o->all, restart_one, o, err);
}

const struct kpod_cmd kpod_cmd_pod_restart = {
    .name = "restart",
    .parent = "pod",
    .summary = "restart pods",
    .usage = "[options] POD...",
    .opts = pod_restart_opts,
    .opts_size = sizeof(struct pod_restart_opts),
    .run = run_pod_restart,
    .max_args = -1,
    .args_complete = "pods",
};
