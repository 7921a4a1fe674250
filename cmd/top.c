/* `kpod top CTR [DESCRIPTOR...]`: the processes of a running container. */
#include "common.h"

#include <stdlib.h>

static int
run_top(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct kpod_pod_state *p = NULL;
    struct kpod_ctr_state *c = NULL;
    if (kpod_cmd_find_ctr(ctx, argv[0], &p, &c, err) < 0)
        return -1;
    int rc = kpod_ctr_op_check(KPOD_CTR_OP_TOP, p->state, c->state, argv[0], err);
    pid_t *pids = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = kpod_cmd_ctr_pids(c, &pids, &n, err);
    if (rc == 0)
        rc = kpod_cmd_print_top(pids, n, argv + 1, err);
    free(pids);
    kpod_pod_state_free(p);
    return rc;
}

const struct kpod_cmd kpod_cmd_top = {
    .name = "top",
    .summary = "show the processes of a container",
    .usage = "CONTAINER [DESCRIPTOR...]",
    .description = "Descriptors: user, pid, ppid, pcpu, etime, tty, time, args, comm, group, vsz, "
                   "rss, state (default: user pid ppid pcpu etime tty time args).",
    .run = run_top,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "containers",
    .flags = KPOD_CMD_STOP_AT_ARG,
};
