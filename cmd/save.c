/* `kpod save`: export images to an OCI archive, an OCI layout or a docker archive. */
#include "cli.h"

#include "image/image.h"

struct save_opts {
    char *output;
    char *format;
    bool quiet;
};

static const struct kpod_opt save_opts[] = {
    {"output", 'o', KPOD_OPT_STRING, offsetof(struct save_opts, output), "FILE",
     "file (or directory for oci-dir) to write", "file", NULL, false},
    {"format", 0, KPOD_OPT_STRING, offsetof(struct save_opts, format), "FORMAT",
     "oci-archive, oci-dir or docker-archive", "=oci-archive oci-dir docker-archive", "oci-archive",
     false},
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct save_opts, quiet), NULL,
     "print nothing but errors", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_save(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct save_opts *o = data;
    if (o->output == NULL)
        return kpod_err_usage(err, "save: --output FILE is needed");
    if (kpod_image_save(ctx->root, argv, o->output, o->format, err) < 0)
        return kpod_err_prefix(err, "save");
    return 0;
}

const struct kpod_cmd kpod_cmd_save = {
    .name = "save",
    .summary = "save images to an archive",
    .usage = "[options] -o FILE IMAGE...",
    .description = "Writes the images, with their names, to an OCI archive (default), an OCI "
                   "layout directory or a docker save archive, from the blobs in the store.",
    .opts = save_opts,
    .opts_size = sizeof(struct save_opts),
    .run = run_save,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "images",
};

/* `kpod image save`: the same command inside the image group, as podman has it. */
const struct kpod_cmd kpod_cmd_image_save = {
    .name = "save",
    .parent = "image",
    .summary = "save images to an archive",
    .usage = "[options] -o FILE IMAGE...",
    .description = "Writes the images, with their names, to an OCI archive (default), an OCI "
                   "layout directory or a docker save archive, from the blobs in the store.",
    .opts = save_opts,
    .opts_size = sizeof(struct save_opts),
    .run = run_save,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "images",
};
