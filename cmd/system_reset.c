/* `kpod system reset`: remove everything kpod made (pods, images, networks, state). */
#include "common.h"

#include <stdlib.h>

struct system_reset_opts {
    bool force;
};

static const struct kpod_opt system_reset_opts[] = {
    {"force", 'f', KPOD_OPT_BOOL, offsetof(struct system_reset_opts, force), NULL,
     "do not ask for confirmation", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_system_reset(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct system_reset_opts *o = data;
    if (!o->force && !kpod_cmd_confirm("every pod, image, network and volume kpod made"))
        return kpod_err_usage(err, "system reset: not confirmed (use --force)");
    /* the warm pool first: its refiller would make entries while the pods go */
    struct kpod_err *fe = NULL;
    int rc = kpod_factory_destroy(ctx, &fe);
    if (rc < 0)
        fprintf(stderr, "Error: %s\n", fe->msg);
    kpod_err_free(&fe);
    _cleanup_strv_ char **job_pods = NULL;
    struct kpod_err *je = NULL;
    if (kpod_job_remove_all(ctx, &job_pods, &je) < 0) { /* their controllers next */
        fprintf(stderr, "Error: %s\n", je->msg);
        rc = -1;
    }
    kpod_err_free(&je);
    _cleanup_strv_ char **ids = NULL;
    if (kpod_cmd_pod_ids(ctx, 0, NULL, true, &ids, err) < 0)
        return -1;
    for (size_t i = 0; ids[i] != NULL; i++) {
        struct kpod_err *e = NULL;
        if (kpod_sandbox_remove(ctx, ids[i], true, &e) < 0) {
            fprintf(stderr, "Error: %s\n", e->msg);
            rc = -1;
        }
        kpod_err_free(&e);
    }
    struct kpod_err *e = NULL;
    if (kpod_fs_rm_rf(ctx->root, &e) < 0 || kpod_fs_rm_rf(ctx->runroot, &e) < 0) {
        kpod_err_move(err, &e);
        return -1;
    }
    return rc < 0
               ? kpod_err_msg(err, "system reset: some pods or pool entries could not be removed")
               : 0;
}

const struct kpod_cmd kpod_cmd_system_reset = {
    .name = "reset",
    .parent = "system",
    .summary = "remove every pod, image, network and volume kpod made",
    .opts = system_reset_opts,
    .opts_size = sizeof(struct system_reset_opts),
    .run = run_system_reset,
    .max_args = 0,
};
