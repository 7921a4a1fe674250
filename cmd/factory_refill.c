/* `kpod factory refill`: discard broken entries and fill the pool (what play starts, detached). */
#include "common.h"

struct factory_refill_opts {
    bool wait;
};

static const struct kpod_opt factory_refill_opts[] = {
    {"wait", 0, KPOD_OPT_BOOL, offsetof(struct factory_refill_opts, wait), NULL,
     "wait for a refill already running instead of leaving it the work", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_factory_refill(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct factory_refill_opts *o = data;
    return kpod_factory_refill(ctx, o->wait, err);
}

const struct kpod_cmd kpod_cmd_factory_refill = {
    .name = "refill",
    .parent = "factory",
    .summary = "discard broken entries and fill the warm pool",
    .usage = "[options]",
    .opts = factory_refill_opts,
    .opts_size = sizeof(struct factory_refill_opts),
    .run = run_factory_refill,
    .max_args = 0,
};
