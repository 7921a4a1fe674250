/* `kpod images` and `kpod image ls`: list stored images. */
#include "cli.h"

#include <string.h>

#include "image/image.h"
#include "image_cmd.h"

struct images_opts {
    bool all;
    bool digests;
    bool quiet;
    bool no_trunc;
    bool noheading;
    char *format;
};

static const struct kpod_opt images_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct images_opts, all), NULL,
     "show all images (kpod keeps no intermediate images: same as the default)", NULL, NULL, false},
    {"digests", 0, KPOD_OPT_BOOL, offsetof(struct images_opts, digests), NULL,
     "show the manifest digests", NULL, NULL, false},
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct images_opts, quiet), NULL, "print only image ids",
     NULL, NULL, false},
    {"no-trunc", 0, KPOD_OPT_BOOL, offsetof(struct images_opts, no_trunc), NULL,
     "do not truncate ids", NULL, NULL, false},
    {"noheading", 'n', KPOD_OPT_BOOL, offsetof(struct images_opts, noheading), NULL,
     "do not print the column headings", NULL, NULL, false},
    {"format", 0, KPOD_OPT_STRING, offsetof(struct images_opts, format), "FORMAT",
     "json, table, or a template such as '{{.Repository}}:{{.Tag}}'", "=json table", NULL, false},
    KPOD_OPTS_END,
};

/* Splits "registry/repo:tag" into repository and tag. */
static void
split_name(const char *name, char **repo, char **tag)
{
    const char *slash = strrchr(name, '/');
    const char *colon = strrchr(slash ? slash : name, ':');
    *repo = colon ? xstrndup(name, (size_t)(colon - name)) : xstrdup(name);
    *tag = xstrdup(colon ? colon + 1 : "<none>");
}

/* One row a name (dangling images: one "<none>" row). */
static json_t *
rows_of(json_t *list, bool no_trunc)
{
    json_t *rows = json_array();
    size_t i;
    json_t *img;
    json_array_foreach(list, i, img)
    {
        json_t *names = json_object_get(img, "names");
        size_t n = json_array_size(names);
        for (size_t k = 0; k < (n ? n : 1); k++) {
            _cleanup_free_ char *repo = NULL, *tag = NULL;
            if (n)
                split_name(json_string_value(json_array_get(names, k)), &repo, &tag);
            const char *id = kpod_json_str(img, "id");
            char size[32], age[64];
            image_fmt_size(kpod_json_int(img, "size", 0), size, sizeof(size));
            image_fmt_age(image_created_epoch(kpod_json_str(img, "created")), age, sizeof(age));
            _cleanup_free_ char *shortid = no_trunc ? xasprintf("sha256:%s", id) : xstrndup(id, 12);
            json_array_append_new(rows,
                                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Repository",
                                            repo ? repo : "<none>", "Tag", tag ? tag : "<none>",
                                            "ID", shortid, "Digest", kpod_json_str(img, "digest"),
                                            "Created", age, "Size", size));
        }
    }
    return rows;
}

static json_t *
json_of(json_t *list)
{
    json_t *out = json_array();
    size_t i;
    json_t *img;
    json_array_foreach(list, i, img)
    {
        long long created = image_created_epoch(kpod_json_str(img, "created"));
        json_t *names = json_object_get(img, "names");
        json_array_append_new(
            out,
            json_pack("{s:s, s:O, s:O, s:s, s:I, s:s?, s:I, s:b, s:I}", "Id",
                      kpod_json_str(img, "id"), "Names", names, "RepoDigests",
                      json_object_get(img, "repoDigests"), "Digest", kpod_json_str(img, "digest"),
                      "Created", (json_int_t)created, "CreatedAt", kpod_json_str(img, "created"),
                      "Size", (json_int_t)kpod_json_int(img, "size", 0), "Dangling",
                      json_array_size(names) == 0, "Containers", (json_int_t)0));
    }
    return out;
}

static void
print_table(json_t *rows, const struct images_opts *o)
{
    int w = o->no_trunc ? 71 : 12;
    if (!o->noheading) {
        printf("%-40s %-10s ", "REPOSITORY", "TAG");
        if (o->digests)
            printf("%-72s ", "DIGEST");
        printf("%-*s %-22s %s\n", w, "IMAGE ID", "CREATED", "SIZE");
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        printf("%-40s %-10s ", kpod_json_str(r, "Repository"), kpod_json_str(r, "Tag"));
        if (o->digests)
            printf("%-72s ", kpod_json_str(r, "Digest"));
        printf("%-*s %-22s %s\n", w, kpod_json_str(r, "ID"), kpod_json_str(r, "Created"),
               kpod_json_str(r, "Size"));
    }
}

static int
run_images(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct images_opts *o = data;
    _cleanup_json_ json_t *list = kpod_image_list(ctx->root, err);
    if (list == NULL)
        return -1;
    if (argc > 0) {
        /* Filter by a name (short names as for lookups). */
        _cleanup_err_ struct kpod_err *e = NULL;
        _cleanup_json_ json_t *img = kpod_image_lookup(ctx->root, argv[0], &e);
        json_t *only = json_array();
        if (img != NULL)
            json_array_append(only, img);
        json_decref(list);
        list = only;
    }
    if (o->quiet) {
        size_t i;
        json_t *img;
        json_array_foreach(list, i, img)
            printf("%.*s\n", o->no_trunc ? 64 : 12, kpod_json_str(img, "id"));
        return 0;
    }
    if (o->format != NULL && strcmp(o->format, "json") == 0) {
        _cleanup_json_ json_t *j = json_of(list);
        _cleanup_free_ char *s = kpod_json_dumps(j, true);
        printf("%s\n", s);
        return 0;
    }
    _cleanup_json_ json_t *rows = rows_of(list, o->no_trunc);
    if (o->format != NULL && strcmp(o->format, "table") != 0) {
        size_t i;
        json_t *r;
        json_array_foreach(rows, i,
                           r) if (image_fmt_template(o->format, r, stdout, err) < 0) return -1;
        return 0;
    }
    print_table(rows, o);
    return 0;
}

#define IMAGES_DESCRIPTION                                                                         \
    "Lists the images in the store: one row a name, dangling images as <none>. Sizes are the "     \
    "unpacked layers' bytes; ids are shown as 12 hex digits unless --no-trunc."

const struct kpod_cmd kpod_cmd_images = {
    .name = "images",
    .summary = "list images",
    .usage = "[options] [IMAGE]",
    .description = IMAGES_DESCRIPTION,
    .opts = images_opts,
    .opts_size = sizeof(struct images_opts),
    .run = run_images,
    .max_args = 1,
    .args_complete = "images",
};

const struct kpod_cmd kpod_cmd_image_ls = {
    .name = "ls",
    .parent = "image",
    .aliases = "list",
    .summary = "list images",
    .usage = "[options] [IMAGE]",
    .description = IMAGES_DESCRIPTION,
    .opts = images_opts,
    .opts_size = sizeof(struct images_opts),
    .run = run_images,
    .max_args = 1,
    .args_complete = "images",
};
