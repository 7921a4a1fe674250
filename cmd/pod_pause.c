/* `kpod pod pause`: freeze every process of pods (cgroup freezer). */
#include "common.h"

struct pod_pause_opts {
    bool all;
};

static const struct kpod_opt pod_pause_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct pod_pause_opts, all), NULL, "pause every pod", NULL,
     NULL, false},
    KPOD_OPTS_END,
};

static int
pause_one(struct kpod_ctx *ctx, const char *id, void *data, struct kpod_err **err)
{
    return kpod_sandbox_pause(ctx, id, true, err);
}

static int
run_pod_pause(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_pause_opts *o = data;
    return kpod_cmd_each_pod(ctx, argc, argv, o->all, pause_one, o, err);
}

const struct kpod_cmd kpod_cmd_pod_pause = {
    .name = "pause",
    .parent = "pod",
    .summary = "pause pods",
    .usage = "[options] POD...",
    .opts = pod_pause_opts,
    .opts_size = sizeof(struct pod_pause_opts),
    .run = run_pod_pause,
    .max_args = -1,
    .args_complete = "pods",
};
