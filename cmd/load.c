/* `kpod load`: import images from an OCI layout or an oci-/docker-archive. */
#include "cli.h"

#include "image/image.h"

struct load_opts {
    char *input;
    bool quiet;
};

static const struct kpod_opt load_opts[] = {
    {"input", 'i', KPOD_OPT_STRING, offsetof(struct load_opts, input), "FILE",
     "archive or transport (oci:DIR[:tag], oci-archive:FILE, docker-archive:FILE) to read", "file",
     NULL, false},
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct load_opts, quiet), NULL,
     "print nothing but errors", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_load(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct load_opts *o = data;
    if (o->input == NULL)
        return kpod_err_usage(err, "load: --input FILE is needed (kpod does not read images "
                                   "from standard input)");
    _cleanup_strv_ char **names = NULL;
    if (kpod_image_load(ctx->root, o->input, &names, err) < 0)
        return -1;
    for (size_t i = 0; !o->quiet && names && names[i]; i++)
        printf("Loaded image: %s\n", names[i]);
    return 0;
}

const struct kpod_cmd kpod_cmd_load = {
    .name = "load",
    .summary = "load images from an archive or an OCI layout",
    .usage = "[options] -i FILE",
    .description = "Imports the images of an OCI layout directory (oci:DIR[:tag]), an OCI "
                   "archive (oci-archive:FILE, a tar of a layout) or a docker save archive "
                   "(docker-archive:FILE). A plain FILE is sniffed. Layers are verified and "
                   "unpacked like pulled ones.",
    .opts = load_opts,
    .opts_size = sizeof(struct load_opts),
    .run = run_load,
    .max_args = 0,
};

/* `kpod image load`: the same command inside the image group, as podman has it. */
const struct kpod_cmd kpod_cmd_image_load = {
    .name = "load",
    .parent = "image",
    .summary = "load images from an archive or an OCI layout",
    .usage = "[options] -i FILE",
    .description = "Imports the images of an OCI layout directory (oci:DIR[:tag]), an OCI "
                   "archive (oci-archive:FILE, a tar of a layout) or a docker save archive "
                   "(docker-archive:FILE). A plain FILE is sniffed. Layers are verified and "
                   "unpacked like pulled ones.",
    .opts = load_opts,
    .opts_size = sizeof(struct load_opts),
    .run = run_load,
    .max_args = 0,
};
