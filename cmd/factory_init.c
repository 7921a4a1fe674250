/* `kpod factory init`: configure the warm pool and fill it. */
#include "common.h"

#include <stdlib.h>

struct factory_init_opts {
    long long size;
    char *network;
};

static const struct kpod_opt factory_init_opts[] = {
    {"size", 's', KPOD_OPT_INT, offsetof(struct factory_init_opts, size), "N",
     "entries to keep ready (default: env KPOD_FACTORY_SIZE, else 3)", NULL, "-1", false},
    {"network", 0, KPOD_OPT_STRING, offsetof(struct factory_init_opts, network), "NAME",
     "the network of the entries (default: kpod)", "networks", NULL, false},
    KPOD_OPTS_END,
};

static int
run_factory_init(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct factory_init_opts *o = data;
    long long size = o->size;
    const char *env = getenv("KPOD_FACTORY_SIZE");
    if (size < 0 && env != NULL && *env != '\0' &&
        kpod_str_to_ll(env, 0, KPOD_FACTORY_MAX, &size) < 0)
        return kpod_err_usage(err, "factory init: KPOD_FACTORY_SIZE '%s' is not within 0..%d", env,
                              KPOD_FACTORY_MAX);
    if (size < 0)
        size = 3;
    return kpod_factory_init(ctx, size, o->network, err);
}

const struct kpod_cmd kpod_cmd_factory_init = {
    .name = "init",
    .parent = "factory",
    .summary = "configure the warm pool and fill it",
    .usage = "[options]",
    .description = "Makes the pool (or changes its size or network) and waits until it is full. "
                   "Later plays adopt its entries and refill it in the background.",
    .opts = factory_init_opts,
    .opts_size = sizeof(struct factory_init_opts),
    .run = run_factory_init,
    .max_args = 0,
};
