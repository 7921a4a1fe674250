/* `kpod pod stop`: stop pods (stop signal, grace period, SIGKILL), keeping them for a start. */
#include "common.h"

struct pod_stop_opts {
    bool all;
    long long time;
    bool force;
};

static const struct kpod_opt pod_stop_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct pod_stop_opts, all), NULL, "stop every pod", NULL,
     NULL, false},
    {"time", 't', KPOD_OPT_INT, offsetof(struct pod_stop_opts, time), "SECONDS",
     "grace period before SIGKILL (default: the pod's terminationGracePeriodSeconds)", NULL, "-1",
     false},
    {"force", 'f', KPOD_OPT_BOOL, offsetof(struct pod_stop_opts, force), NULL,
     "ignore failures after the containers have stopped", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
stop_one(struct kpod_ctx *ctx, const char *id, void *data, struct kpod_err **err)
{
    struct pod_stop_opts *o = data;
    return kpod_sandbox_stop(ctx, id, (int)o->time, o->force, err);
}

static int
run_pod_stop(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_stop_opts *o = data;
    return kpod_cmd_each_pod(ctx, argc, argv, o->all, stop_one, o, err);
}

const struct kpod_cmd kpod_cmd_pod_stop = {
    .name = "stop",
    .parent = "pod",
    .summary = "stop pods",
    .usage = "[options] POD...",
    .opts = pod_stop_opts,
    .opts_size = sizeof(struct pod_stop_opts),
    .run = run_pod_stop,
    .max_args = -1,
    .args_complete = "pods",
};
