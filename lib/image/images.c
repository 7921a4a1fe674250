/* Queries and changes of stored images: lookup, list, config, tag, remove, prune, holds, and
 * the rootfs parameters for the runtime. */
#include "image/image.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"

/* overlayfs takes its options in one page; leave room for upperdir and workdir. */
#define LOWERDIR_MAX 3000

/* A short name's registries.conf alias with its tag or digest, or NULL. */
static char *
alias_of(const char *name)
{
    if (strchr(name, '/') != NULL)
        return NULL;
    _cleanup_(kpod_cleanup_kpod_registry_conf_free) struct kpod_registry_conf *conf = NULL;
    _cleanup_err_ struct kpod_err *e = NULL;
    if (kpod_registry_conf_load(&conf, &e) < 0)
        return NULL;
    size_t n = strcspn(name, ":@");
    _cleanup_free_ char *base = xstrndup(name, n);
    const char *alias = kpod_registry_conf_alias(conf, base);
    return alias ? xasprintf("%s%s", alias, name + n) : NULL;
}

json_t *
kpod_image_lookup(const char *root, const char *name, struct kpod_err **err)
{
    struct store s;
    if (store_open(root, KPOD_LOCK_SHARED, &s, err) < 0)
        return NULL;
    _cleanup_json_ json_t *idx = store_index_read(&s, err);
    store_close(&s);
    if (idx == NULL)
        return NULL;
    json_t *img = index_find(json_object_get(idx, "images"), name, NULL, NULL, err);
    if (img == NULL && (*err)->kind == KPOD_ERR_NOTFOUND) {
        _cleanup_free_ char *aliased = alias_of(name);
        _cleanup_err_ struct kpod_err *e = NULL;
        json_t *a =
            aliased ? index_find(json_object_get(idx, "images"), aliased, NULL, NULL, &e) : NULL;
        if (a != NULL) {
            kpod_err_free(err);
            img = a;
        }
    }
    return img ? json_incref(img) : NULL;
}

json_t *
kpod_image_list(const char *root, struct kpod_err **err)
{
    struct store s;
    if (store_open(root, KPOD_LOCK_SHARED, &s, err) < 0)
        return NULL;
    _cleanup_json_ json_t *idx = store_index_read(&s, err);
    store_close(&s);
    if (idx == NULL)
        return NULL;
    return json_incref(json_object_get(idx, "images"));
}

static json_t *
read_json_blob(const char *root, const char *name, bool config, struct kpod_err **err)
{
    _cleanup_json_ json_t *img = kpod_image_lookup(root, name, err);
    if (img == NULL)
        return NULL;
    struct store s;
    if (store_open(root, KPOD_LOCK_SHARED, &s, err) < 0)
        return NULL;
    _cleanup_free_ char *digest = config ? xasprintf("sha256:%s", kpod_json_str(img, "id"))
                                         : xstrdup(kpod_json_str(img, "digest"));
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = store_read_blob(&s, digest, config ? CONFIG_MAX : MANIFEST_MAX, &buf, &len, err);
    store_close(&s);
    if (r < 0)
        return kpod_err_prefix(err, "image '%s'", name), NULL;
    return kpod_json_loadb(buf, len, config ? "image config" : "manifest", err);
}

json_t *
kpod_image_config(const char *root, const char *name, struct kpod_err **err)
{
    return read_json_blob(root, name, true, err);
}

json_t *
kpod_image_manifest(const char *root, const char *name, struct kpod_err **err)
{
    return read_json_blob(root, name, false, err);
}

struct tag_data {
    const char *image;
    char *name;
};

static int
do_tag(json_t *images, void *data, struct kpod_err **err)
{
    struct tag_data *t = data;
    json_t *img = index_find(images, t->image, NULL, NULL, err);
    if (img == NULL)
        return -1;
    json_t *copy = json_deep_copy(img);
    json_array_clear(json_object_get(copy, "names"));
    json_array_clear(json_object_get(copy, "repoDigests"));
    json_array_append_new(json_object_get(copy, "names"), json_string(t->name));
    index_add(images, copy);
    return 1;
}

int
kpod_image_tag(const char *root, const char *image, const char *name, struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
        kpod_image_ref_parse(name, err);
    if (r == NULL)
        return -1;
    if (r->digest != NULL)
        return kpod_err_input(err, "tag '%s': a tag cannot contain a digest", name);
    struct store s;
    if (store_open(root, KPOD_LOCK_SHARED, &s, err) < 0)
        return -1;
    /* podman tags unqualified names into localhost/. */
    _cleanup_free_ char *full = NULL;
    if (r->short_name) {
        const char *repo = strncmp(r->repo, "library/", 8) == 0 && strchr(name, '/') == NULL
                               ? r->repo + 8
                               : r->repo;
        full = xasprintf("localhost/%s:%s", repo, r->tag);
    } else {
        full = kpod_image_ref_string(r);
    }
    struct tag_data t = {.image = image, .name = full};
    int rc = store_index_update(&s, do_tag, &t, err);
    store_close(&s);
    return rc < 0 ? -1 : 0;
}

void
kpod_image_rm_result_free(struct kpod_image_rm_result *r)
{
    kpod_strv_free(r->untagged);
    kpod_strv_free(r->deleted);
    r->untagged = r->deleted = NULL;
}

static bool
is_held(const struct store *s, const char *id)
{
    _cleanup_free_ char *p = xasprintf("%s/holds/%s", s->dir, id);
    _cleanup_closedir_ DIR *d = opendir(p);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            return true;
    return false;
}

struct rm_data {
    const struct store *s;
    const char *name;
    bool force;
    struct kpod_image_rm_result *res;
};

static int
do_remove(json_t *images, void *data, struct kpod_err **err)
{
    struct rm_data *d = data;
    size_t idx = 0;
    _cleanup_free_ char *matched = NULL;
    json_t *img = index_find(images, d->name, &idx, &matched, err);
    if (img == NULL)
        return -1;
    json_t *names = json_object_get(img, "names");
    const char *id = kpod_json_str(img, "id");
    if (matched != NULL && json_array_size(names) > 1) {
        for (size_t i = 0; i < json_array_size(names); i++)
            if (strcmp(json_string_value(json_array_get(names, i)), matched) == 0)
                json_array_remove(names, i);
        kpod_strv_push(&d->res->untagged, matched);
        return 1;
    }
    if (matched == NULL && json_array_size(names) > 1 && !d->force)
        return kpod_err_usage(err,
                              "image '%s' has %zu names: remove them one by one or use --force",
                              d->name, json_array_size(names));
    if (is_held(d->s, id) && !d->force)
        return kpod_err_invoke(err, "image '%s' is in use by a container", d->name);
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) kpod_strv_push(&d->res->untagged, json_string_value(n));
    kpod_strv_push(&d->res->deleted, id);
    json_array_remove(images, idx);
    return 1;
}

/* Removes layers, blobs and temporary files that no image references. The caller holds the
 * store lock exclusively. */
static int
gc(const struct store *s, struct kpod_err **err)
{
    _cleanup_json_ json_t *idx = store_index_read(s, err);
    if (idx == NULL)
        return -1;
    _cleanup_json_ json_t *layers = json_object(), *blobs = json_object(), *ids = json_object();
    size_t i, k;
    json_t *img, *v;
    json_array_foreach(json_object_get(idx, "images"), i, img)
    {
        json_object_set(ids, kpod_json_str(img, "id"), json_true());
        json_array_foreach(json_object_get(img, "layers"), k, v)
            json_object_set(layers, json_string_value(v), json_true());
        json_array_foreach(json_object_get(img, "blobs"), k, v)
            json_object_set(blobs, json_string_value(v) + 7, json_true());
    }
    _cleanup_free_ char *holds = xasprintf("%s/holds", s->dir);
    _cleanup_free_ char *links_dir = xasprintf("%s/l", s->dir);
    _cleanup_json_ json_t *links = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(layers, key, val)
    {
        char short_hex[LINK_HEX + 1];
        snprintf(short_hex, sizeof(short_hex), "%s", key);
        json_object_set(links, short_hex, json_true());
    }
    const char *dirs[] = {s->layers, s->blobs, s->tmp, holds, links_dir};
    json_t *keep[] = {layers, blobs, NULL, ids, links};
    for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
        _cleanup_closedir_ DIR *dir = opendir(dirs[d]);
        if (dir == NULL)
            return kpod_err_sys(err, "open '%s'", dirs[d]);
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.' || (keep[d] && json_object_get(keep[d], de->d_name)))
                continue;
            _cleanup_free_ char *p = xasprintf("%s/%s", dirs[d], de->d_name);
            if (kpod_fs_rm_rf(p, err) < 0)
                return -1;
        }
    }
    return 0;
}

int
kpod_image_remove(const char *root, const char *name, bool force, struct kpod_image_rm_result *res,
                  struct kpod_err **err)
{
    struct store s;
    if (store_open(root, KPOD_LOCK_EXCLUSIVE, &s, err) < 0)
        return -1;
    struct rm_data d = {.s = &s, .name = name, .force = force, .res = res};
    int r = store_index_update(&s, do_remove, &d, err);
    if (r >= 0)
        r = gc(&s, err);
    store_close(&s);
    return r < 0 ? -1 : 0;
}

struct prune_data {
    const struct store *s;
    bool all;
    struct kpod_image_rm_result *res;
};

static int
do_prune(json_t *images, void *data, struct kpod_err **err)
{
    struct prune_data *d = data;
    int changed = 0;
    for (size_t i = json_array_size(images); i > 0; i--) {
        json_t *img = json_array_get(images, i - 1);
        const char *id = kpod_json_str(img, "id");
        if (is_held(d->s, id))
            continue;
        if (!d->all && json_array_size(json_object_get(img, "names")) > 0)
            continue;
        kpod_strv_push(&d->res->deleted, id);
        json_array_remove(images, i - 1);
        changed = 1;
    }
    return changed;
}

int
kpod_image_prune(const char *root, bool all, struct kpod_image_rm_result *res,
                 struct kpod_err **err)
{
    struct store s;
    if (store_open(root, KPOD_LOCK_EXCLUSIVE, &s, err) < 0)
        return -1;
    struct prune_data d = {.s = &s, .all = all, .res = res};
    int r = store_index_update(&s, do_prune, &d, err);
    if (r >= 0)
        r = gc(&s, err);
    store_close(&s);
    return r < 0 ? -1 : 0;
}

static bool
holder_valid(const char *h)
{
    if (*h == '\0' || *h == '.' || strlen(h) > 255)
        return false;
    return strchr(h, '/') == NULL;
}

int
kpod_image_hold(const char *root, const char *id, const char *holder, struct kpod_err **err)
{
    if (!holder_valid(holder) || !holder_valid(id))
        return kpod_err_input(err, "invalid image hold '%s' by '%s'", id, holder);
    struct store s;
    if (store_open(root, KPOD_LOCK_SHARED, &s, err) < 0)
        return -1;
    _cleanup_free_ char *dir = xasprintf("%s/holds/%s", s.dir, id);
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, holder);
    int r = kpod_fs_mkdir_p(dir, 0700, err);
    if (r == 0)
        r = kpod_fs_write_atomic(p, "", 0, 0600, err);
    store_close(&s);
    return r;
}

int
kpod_image_release(const char *root, const char *id, const char *holder, struct kpod_err **err)
{
    if (!holder_valid(holder) || !holder_valid(id))
        return kpod_err_input(err, "invalid image hold '%s' by '%s'", id, holder);
    _cleanup_free_ char *dir = xasprintf("%s/image/holds/%s", root, id);
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, holder);
    if (unlink(p) < 0 && errno != ENOENT)
        return kpod_err_sys(err, "release image hold '%s'", p);
    rmdir(dir);
    return 0;
}

int
kpod_image_rootfs_layers(const char *root, const char *name, char ***ret_lowerdirs,
                         struct kpod_err **err)
{
    _cleanup_json_ json_t *img = kpod_image_lookup(root, name, err);
    if (img == NULL)
        return -1;
    json_t *layers = json_object_get(img, "layers");
    _cleanup_strv_ char **out = xcalloc(json_array_size(layers) + 1, sizeof(char *));
    size_t n = 0, total = 0;
    for (size_t i = json_array_size(layers); i > 0; i--) {
        const char *chain = json_string_value(json_array_get(layers, i - 1));
        char *d = xasprintf("%s/image/layers/%s/diff", root, chain);
        if (!kpod_fs_exists(d)) {
            free(d);
            return kpod_err_msg(err, "image '%s': layer '%.12s' is missing from the store", name,
                                chain);
        }
        /* The short link when it is there (layers committed by older kpods have none). */
        _cleanup_free_ char *link = xasprintf("%s/image/l/%.*s", root, LINK_HEX, chain);
        if (kpod_fs_exists(link)) {
            free(d);
            d = TAKE_PTR(link);
        }
        total += strlen(d) + 1;
        out[n++] = d;
    }
    if (total > LOWERDIR_MAX)
        return kpod_err_msg(err,
                            "image '%s': %zu layers do not fit in one overlay mount (%zu bytes of "
                            "lower directories): use a shorter --root",
                            name, n, total);
    if (n == 0) {
        /* An image without layers: overlay needs a lower dir. */
        _cleanup_free_ char *empty = xasprintf("%s/image/empty", root);
        if (kpod_fs_mkdir_p(empty, 0755, err) < 0)
            return -1;
        out[n++] = TAKE_PTR(empty);
    }
    *ret_lowerdirs = TAKE_PTR(out);
    return 0;
}

void
kpod_image_rootfs_free(struct kpod_image_rootfs *r)
{
    free(r->lowerdir);
    free(r->upperdir);
    free(r->workdir);
    free(r->mountpoint);
    free(r->image_id);
    *r = (struct kpod_image_rootfs){0};
}

int
kpod_image_rootfs_prepare(const char *root, const char *name, const char *container_dir,
                          struct kpod_image_rootfs *ret, struct kpod_err **err)
{
    _cleanup_json_ json_t *img = kpod_image_lookup(root, name, err);
    if (img == NULL)
        return -1;
    _cleanup_strv_ char **lowers = NULL;
    if (kpod_image_rootfs_layers(root, kpod_json_str(img, "id"), &lowers, err) < 0)
        return -1;
    struct kpod_image_rootfs r = {0};
    r.lowerdir = kpod_strv_join(lowers, ":");
    r.upperdir = xasprintf("%s/upper", container_dir);
    r.workdir = xasprintf("%s/work", container_dir);
    r.mountpoint = xasprintf("%s/merged", container_dir);
    r.image_id = xstrdup(kpod_json_str(img, "id"));
    if (kpod_fs_mkdir_p(r.upperdir, 0755, err) < 0 || kpod_fs_mkdir_p(r.workdir, 0700, err) < 0 ||
        kpod_fs_mkdir_p(r.mountpoint, 0755, err) < 0) {
        kpod_image_rootfs_free(&r);
        return -1;
    }
    *ret = r;
    return 0;
}
