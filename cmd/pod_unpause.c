/* `kpod pod unpause`: thaw paused pods. */
#include "common.h"

struct pod_unpause_opts {
    bool all;
};

static const struct kpod_opt pod_unpause_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct pod_unpause_opts, all), NULL, "unpause every pod",
     NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
unpause_one(struct kpod_ctx *ctx, const char *id, void *data, struct kpod_err **err)
{
    return kpod_sandbox_pause(ctx, id, false, err);
}

static int
run_pod_unpause(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_unpause_opts *o = data;
    return kpod_cmd_each_pod(ctx, argc, argv, o->all, unpause_one, o, err);
}

const struct kpod_cmd kpod_cmd_pod_unpause = {
    .name = "unpause",
    .parent = "pod",
    .summary = "unpause pods",
    .usage = "[options] POD...",
    .opts = pod_unpause_opts,
    .opts_size = sizeof(struct pod_unpause_opts),
    .run = run_pod_unpause,
    .max_args = -1,
    .args_complete = "pods",
};
