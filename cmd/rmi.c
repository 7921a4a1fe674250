/* `kpod rmi`: remove images and the layers no other image uses. */
#include "cli.h"

#include <string.h>

#include "image/image.h"

struct rmi_opts {
    bool force;
    bool all;
    bool ignore;
};

static const struct kpod_opt rmi_opts[] = {
    {"force", 'f', KPOD_OPT_BOOL, offsetof(struct rmi_opts, force), NULL,
     "remove images even when in use or named several times", NULL, NULL, false},
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct rmi_opts, all), NULL, "remove all images", NULL,
     NULL, false},
    {"ignore", 'i', KPOD_OPT_BOOL, offsetof(struct rmi_opts, ignore), NULL,
     "ignore images that do not exist", NULL, NULL, false},
    KPOD_OPTS_END,
};

static void
print_result(struct kpod_image_rm_result *res)
{
    for (size_t i = 0; res->untagged && res->untagged[i]; i++)
        printf("Untagged: %s\n", res->untagged[i]);
    for (size_t i = 0; res->deleted && res->deleted[i]; i++)
        printf("Deleted: %s\n", res->deleted[i]);
    kpod_image_rm_result_free(res);
}

static int
run_rmi(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct rmi_opts *o = data;
    if (o->all && argc > 0)
        return kpod_err_usage(err, "rmi: --all and image names cannot be combined");
    if (!o->all && argc == 0)
        return kpod_err_usage(err, "rmi: needs at least one image or --all");
    _cleanup_strv_ char **names = NULL;
    if (o->all) {
        _cleanup_json_ json_t *list = kpod_image_list(ctx->root, err);
        if (list == NULL)
            return -1;
        size_t i;
        json_t *img;
        json_array_foreach(list, i, img) kpod_strv_push(&names, kpod_json_str(img, "id"));
    } else {
        names = kpod_strv_dup(argv);
    }
    int rc = 0;
    for (size_t i = 0; names && names[i]; i++) {
        struct kpod_image_rm_result res = {0};
        _cleanup_err_ struct kpod_err *e = NULL;
        int r = kpod_image_remove(ctx->root, names[i], o->force || o->all, &res, &e);
        print_result(&res);
        if (r == 0)
            continue;
        if (e->kind == KPOD_ERR_NOTFOUND && o->ignore)
            continue;
        fprintf(stderr, "Error: rmi '%s': %s\n", names[i], e->msg);
        /* podman: 1 unknown image, 2 image in use, 125 other errors. */
        int code = e->kind == KPOD_ERR_NOTFOUND ? 1 : e->kind == KPOD_ERR_INVOKE ? 2 : 125;
        if (rc == 0 || code > rc)
            rc = code;
    }
    return rc;
}

const struct kpod_cmd kpod_cmd_rmi = {
    .name = "rmi",
    .summary = "remove images",
    .usage = "[options] IMAGE...",
    .description = "Removes images. A name that is one of several names of an image only "
                   "untags it; otherwise the image goes, with the layers and blobs no other image "
                   "uses. Exit status 1 when an image is not known, 2 when it is in use.",
    .opts = rmi_opts,
    .opts_size = sizeof(struct rmi_opts),
    .run = run_rmi,
    .min_args = 0,
    .max_args = -1,
    .args_complete = "images",
};

/* `kpod image rm`: the same command inside the image group, as podman has it. */
const struct kpod_cmd kpod_cmd_image_rm = {
    .name = "rm",
    .parent = "image",
    .aliases = "remove",
    .summary = "remove images",
    .usage = "[options] IMAGE...",
    .description = "Removes images. A name that is one of several names of an image only "
                   "untags it; otherwise the image goes, with the layers and blobs no other image "
                   "uses. Exit status 1 when an image is not known, 2 when it is in use.",
    .opts = rmi_opts,
    .opts_size = sizeof(struct rmi_opts),
    .run = run_rmi,
    .min_args = 0,
    .max_args = -1,
    .args_complete = "images",
};
