/* Hidden `kpod __job NAME`: the controller of one Job, started (already daemonized) by
 * `kpod play`; see lib/sandbox/job.c. */
#include "common.h"

static int
run_job(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    (void)data;
    (void)argc;
    return kpod_job_run(ctx, argv[0], err);
}

const struct kpod_cmd kpod_cmd_job = {
    .name = "__job",
    .summary = "run the controller of a Job (internal)",
    .usage = "NAME",
    .run = run_job,
    .min_args = 1,
    .max_args = 1,
    .flags = KPOD_CMD_HIDDEN,
};
