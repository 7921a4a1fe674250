/* `kpod system prune`: remove stopped pods and unused images. */
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"

struct system_prune_opts {
    bool all;
    bool force;
};

static const struct kpod_opt system_prune_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct system_prune_opts, all), NULL,
     "remove every image no pod uses, not only dangling ones", NULL, NULL, false},
    {"force", 'f', KPOD_OPT_BOOL, offsetof(struct system_prune_opts, force), NULL,
     "do not ask for confirmation", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_system_prune(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct system_prune_opts *o = data;
    if (!o->force && !kpod_cmd_confirm("all stopped and exited pods and unused images"))
        return kpod_err_usage(err, "system prune: not confirmed (use --force)");
    size_t n = 0;
    struct kpod_pod_state **pods = kpod_cmd_all_pods(ctx, &n, err);
    if (pods == NULL)
        return -1;
    int rc = 0;
    bool header = false;
    for (size_t i = 0; i < n; i++) {
        const char *st = kpod_pod_status(pods[i]);
        if (strcmp(st, "Stopped") != 0 && strcmp(st, "Exited") != 0 && strcmp(st, "Created") != 0)
            continue;
        struct kpod_err *e = NULL;
        if (kpod_sandbox_remove(ctx, pods[i]->id, true, &e) < 0) {
            fprintf(stderr, "Error: %s\n", e->msg);
            kpod_err_free(&e);
            rc = -1;
            continue;
        }
        if (!header)
            printf("Deleted Pods\n");
        header = true;
        printf("%s\n", pods[i]->id);
    }
    kpod_cmd_free_pods(pods, n);
    struct kpod_image_rm_result res = {0};
    if (kpod_image_prune(ctx->root, o->all, &res, err) < 0)
        return -1;
    for (size_t i = 0; res.deleted != NULL && res.deleted[i] != NULL; i++)
        printf("%s%s\n", i == 0 ? "Deleted Images\n" : "", res.deleted[i]);
    kpod_image_rm_result_free(&res);
    return rc < 0 ? kpod_err_msg(err, "system prune: some pods could not be removed") : 0;
}

const struct kpod_cmd kpod_cmd_system_prune = {
    .name = "prune",
    .parent = "system",
    .summary = "remove stopped pods and unused images",
    .opts = system_prune_opts,
    .opts_size = sizeof(struct system_prune_opts),
    .run = run_system_prune,
    .max_args = 0,
};
