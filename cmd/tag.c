/* `kpod tag`: add names to an image. */
#include "cli.h"

#include "image/image.h"

static int
run_tag(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    for (int i = 1; i < argc; i++)
        if (kpod_image_tag(ctx->root, argv[0], argv[i], err) < 0)
            return kpod_err_prefix(err, "tag '%s' as '%s'", argv[0], argv[i]);
    return 0;
}

const struct kpod_cmd kpod_cmd_tag = {
    .name = "tag",
    .summary = "add names to an image",
    .usage = "IMAGE NAME...",
    .description = "Gives IMAGE more names. A name without a registry is put under localhost/, "
                   "like podman; a name another image had moves to this one.",
    .run = run_tag,
    .min_args = 2,
    .max_args = -1,
    .args_complete = "images",
};

/* `kpod image tag`: the same command inside the image group, as podman has it. */
const struct kpod_cmd kpod_cmd_image_tag = {
    .name = "tag",
    .parent = "image",
    .summary = "add names to an image",
    .usage = "IMAGE NAME...",
    .description = "Gives IMAGE more names. A name without a registry is put under localhost/, "
                   "like podman; a name another image had moves to this one.",
    .run = run_tag,
    .min_args = 2,
    .max_args = -1,
    .args_complete = "images",
};
