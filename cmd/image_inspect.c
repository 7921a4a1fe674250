/* `kpod image inspect`: an image's metadata and config, podman-style JSON. */
#include "cli.h"

#include <string.h>

#include "image/image.h"
#include "image_cmd.h"

struct inspect_opts {
    char *format;
};

static const struct kpod_opt inspect_opts[] = {
    {"format", 'f', KPOD_OPT_STRING, offsetof(struct inspect_opts, format), "FORMAT",
     "json (default) or a template such as '{{.Config.Cmd}}'", "=json", NULL, false},
    KPOD_OPTS_END,
};

static json_t *
inspect_one(struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    _cleanup_json_ json_t *img = kpod_image_lookup(ctx->root, name, err);
    if (img == NULL)
        return NULL;
    const char *id = kpod_json_str(img, "id");
    _cleanup_json_ json_t *cfg = kpod_image_config(ctx->root, id, err);
    if (cfg == NULL)
        return NULL;
    json_t *names = json_object_get(img, "names");
    json_t *rootfs = json_object_get(cfg, "rootfs");
    json_t *config = json_object_get(cfg, "config");
    json_t *labels = json_object_get(config, "Labels");
    return json_pack(
        "{s:s, s:s, s:O, s:O, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:O, s:{s:s, s:O}, s:O, s:O, "
        "s:s, s:O}",
        "Id", id, "Digest", kpod_json_str(img, "digest"), "RepoTags", names, "RepoDigests",
        json_object_get(img, "repoDigests"), "Created", kpod_json_str(cfg, "created"), "Author",
        kpod_json_str(cfg, "author") ? kpod_json_str(cfg, "author") : "", "Architecture",
        kpod_json_str(cfg, "architecture"), "Os", kpod_json_str(cfg, "os"), "Variant",
        kpod_json_str(cfg, "variant"), "Size", (json_int_t)kpod_json_int(img, "size", 0), "Config",
        config ? config : json_object(), "RootFS", "Type", "layers", "Layers",
        json_object_get(rootfs, "diff_ids") ? json_object_get(rootfs, "diff_ids") : json_array(),
        "Labels", labels ? labels : json_null(), "History",
        json_object_get(cfg, "history") ? json_object_get(cfg, "history") : json_array(),
        "ManifestType", kpod_json_str(img, "manifestMediaType"), "NamesHistory", names);
}

static int
run_inspect(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct inspect_opts *o = data;
    _cleanup_json_ json_t *out = json_array();
    for (int i = 0; i < argc; i++) {
        json_t *j = inspect_one(ctx, argv[i], err);
        if (j == NULL)
            return kpod_err_prefix(err, "inspect '%s'", argv[i]);
        json_array_append_new(out, j);
    }
    if (o->format == NULL || strcmp(o->format, "json") == 0) {
        _cleanup_free_ char *s = kpod_json_dumps(out, true);
        printf("%s\n", s);
        return 0;
    }
    size_t i;
    json_t *j;
    json_array_foreach(out, i, j) if (image_fmt_template(o->format, j, stdout, err) < 0) return -1;
    return 0;
}

const struct kpod_cmd kpod_cmd_image_inspect = {
    .name = "inspect",
    .parent = "image",
    .summary = "show the metadata and config of images",
    .usage = "[options] IMAGE...",
    .description = "Prints a JSON array with one object per image: id, digests, names, "
                   "platform, size, the image config (Cmd, Entrypoint, Env, WorkingDir, User, "
                   "Labels, ...), the layers' diff ids and the history.",
    .opts = inspect_opts,
    .opts_size = sizeof(struct inspect_opts),
    .run = run_inspect,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "images",
};
