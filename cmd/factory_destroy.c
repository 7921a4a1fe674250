/* `kpod factory destroy`: remove the warm pool and every entry. */
#include "common.h"

static int
run_factory_destroy(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    return kpod_factory_destroy(ctx, err);
}

const struct kpod_cmd kpod_cmd_factory_destroy = {
    .name = "destroy",
    .parent = "factory",
    .summary = "remove the warm pool and its entries",
    .usage = "",
    .run = run_factory_destroy,
    .max_args = 0,
};
