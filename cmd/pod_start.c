/* `kpod pod start`: start created or stopped pods. */
#include "common.h"

struct pod_start_opts {
    bool all;
};

static const struct kpod_opt pod_start_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct pod_start_opts, all), NULL, "start every pod", NULL,
     NULL, false},
    KPOD_OPTS_END,
};

static int
start_one(struct kpod_ctx *ctx, const char *id, void *data, struct kpod_err **err)
{
    return kpod_sandbox_start(ctx, id, "info", err);
}

static int
run_pod_start(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_start_opts *o = data;
    return kpod_cmd_each_pod(ctx, argc, argv, o->all, start_one, o, err);
}

const struct kpod_cmd kpod_cmd_pod_start = {
    .name = "start",
    .parent = "pod",
    .summary = "start pods",
    .usage = "[options] POD...",
    .opts = pod_start_opts,
    .opts_size = sizeof(struct pod_start_opts),
    .run = run_pod_start,
    .max_args = -1,
    .args_complete = "pods",
};
