/* `kpod image prune`: remove dangling (or all unused) images and unreferenced layers. */
#include "cli.h"

#include "image/image.h"

struct prune_opts {
    bool all;
    bool force;
};

static const struct kpod_opt prune_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct prune_opts, all), NULL,
     "remove all images not used by a container, not only dangling ones", NULL, NULL, false},
    {"force", 'f', KPOD_OPT_BOOL, offsetof(struct prune_opts, force), NULL,
     "do not ask for confirmation (kpod never asks: accepted for podman compatibility)", NULL, NULL,
     false},
    KPOD_OPTS_END,
};

static int
run_prune(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct prune_opts *o = data;
    struct kpod_image_rm_result res = {0};
    int r = kpod_image_prune(ctx->root, o->all, &res, err);
    for (size_t i = 0; res.deleted && res.deleted[i]; i++)
        printf("%s\n", res.deleted[i]);
    kpod_image_rm_result_free(&res);
    return r < 0 ? kpod_err_prefix(err, "image prune") : 0;
}

const struct kpod_cmd kpod_cmd_image_prune = {
    .name = "prune",
    .parent = "image",
    .summary = "remove unused images",
    .usage = "[options]",
    .description = "Removes dangling images (without a name), or with --all every image no "
                   "container uses, then the layers, blobs and leftover temporary files no image "
                   "references. Prints the ids removed.",
    .opts = prune_opts,
    .opts_size = sizeof(struct prune_opts),
    .run = run_prune,
    .max_args = 0,
};
