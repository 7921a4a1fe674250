/* `kpod runtime start`: let a created container's process exec. */
#include "runtime.h"

static int
run_start(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct rt r;
    int rc = rt_open(ctx, argv[0], &r, err);
    if (rc == 0)
        rc = rt_start(&r, err);
    rt_release(&r);
    return rc;
}

const struct kpod_cmd kpod_cmd_runtime_start = {
    .name = "start",
    .parent = "runtime",
    .summary = "start a created container",
    .usage = "ID",
    .run = run_start,
    .min_args = 1,
    .max_args = 1,
};
