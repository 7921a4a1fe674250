/* `kpod pod top POD [DESCRIPTOR...]`: the processes of every container of a pod. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

static int
run_pod_top(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct kpod_pod_state *p = kpod_cmd_find_pod(ctx, argv[0], err);
    if (p == NULL)
        return -1;
    int rc = 0;
    if (p->state != KPOD_STATE_RUNNING)
        rc = kpod_err_invoke(err, "pod '%s' is %s", p->name, kpod_state_name(p->state));
    pid_t *all = NULL;
    size_t nall = 0;
    for (size_t i = 0; i < p->nctrs && rc == 0; i++) {
        if (p->ctrs[i].state != KPOD_STATE_RUNNING)
            continue;
        pid_t *pids = NULL;
        size_t n = 0;
        struct kpod_err *e = NULL;
        if (kpod_cmd_ctr_pids(&p->ctrs[i], &pids, &n, &e) == 0) {
            all = xreallocarray(all, nall + n + 1, sizeof(pid_t));
            memcpy(all + nall, pids, n * sizeof(pid_t));
            nall += n;
        }
        kpod_err_free(&e);
        free(pids);
    }
    if (rc == 0)
        rc = kpod_cmd_print_top(all, nall, argv + 1, err);
    free(all);
    kpod_pod_state_free(p);
    return rc;
}

const struct kpod_cmd kpod_cmd_pod_top = {
    .name = "top",
    .parent = "pod",
    .summary = "show the processes of a pod's containers",
    .usage = "POD [DESCRIPTOR...]",
    .description = "Descriptors as in 'kpod top'.",
    .run = run_pod_top,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "pods",
    .flags = KPOD_CMD_STOP_AT_ARG,
};
