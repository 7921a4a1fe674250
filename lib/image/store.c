/* The content-addressed store: directories, locks, blobs, layer commits and index.json. */
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/internal.h"

#define INDEX_MAX (64u << 20)

int
store_open(const char *root, enum kpod_lock_mode mode, struct store *ret, struct kpod_err **err)
{
    struct store s = {.lock_fd = -1};
    s.dir = xasprintf("%s/image", root);
    s.blobs = xasprintf("%s/blobs/sha256", s.dir);
    s.layers = xasprintf("%s/layers", s.dir);
    s.tmp = xasprintf("%s/tmp", s.dir);
    _cleanup_free_ char *holds = xasprintf("%s/holds", s.dir);
    _cleanup_free_ char *links = xasprintf("%s/l", s.dir);
    _cleanup_free_ char *lock = xasprintf("%s/store.lock", s.dir);
    if (kpod_fs_mkdir_p(s.blobs, 0700, err) < 0 || kpod_fs_mkdir_p(s.layers, 0700, err) < 0 ||
        kpod_fs_mkdir_p(s.tmp, 0700, err) < 0 || kpod_fs_mkdir_p(holds, 0700, err) < 0 ||
        kpod_fs_mkdir_p(links, 0700, err) < 0 ||
        (s.lock_fd = kpod_lock_acquire(lock, mode, false, err)) < 0) {
        store_close(&s);
        return kpod_err_prefix(err, "open image store '%s'", root);
    }
    *ret = s;
    return 0;
}

void
store_close(struct store *s)
{
    free(s->dir);
    free(s->blobs);
    free(s->layers);
    free(s->tmp);
    kpod_lock_release(s->lock_fd);
    *s = (struct store){.lock_fd = -1};
}

char *
store_blob_path(const struct store *s, const char *digest)
{
    return xasprintf("%s/%s", s->blobs, digest + 7);
}

char *
store_layer_dir(const struct store *s, const char *chain_id)
{
    const char *hex = strncmp(chain_id, "sha256:", 7) == 0 ? chain_id + 7 : chain_id;
    return xasprintf("%s/%s", s->layers, hex);
}

bool
store_has_blob(const struct store *s, const char *digest)
{
    _cleanup_free_ char *p = store_blob_path(s, digest);
    return kpod_fs_exists(p);
}

bool
store_has_layer(const struct store *s, const char *chain_id)
{
    _cleanup_free_ char *d = store_layer_dir(s, chain_id);
    _cleanup_free_ char *p = xasprintf("%s/layer.json", d);
    return kpod_fs_exists(p);
}

char *
store_tmp_path(const struct store *s, const char *what)
{
    char rnd[17];
    kpod_random_hex(rnd, 8);
    return xasprintf("%s/%s-%s", s->tmp, what, rnd);
}

int
store_put_blob(const struct store *s, const char *digest, const void *data, size_t len,
               struct kpod_err **err)
{
    char got[KPOD_DIGEST_STR_LEN];
    kpod_sha256_buf(data, len, got);
    if (strcmp(got, digest) != 0)
        return kpod_err_input(err, "blob '%s': digest mismatch: got '%s'", digest, got);
    _cleanup_free_ char *p = store_blob_path(s, digest);
    if (kpod_fs_exists(p))
        return 0;
    return kpod_fs_write_atomic(p, data, len, 0600, err);
}

int
store_read_blob(const struct store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                struct kpod_err **err)
{
    if (!kpod_digest_valid(digest))
        return kpod_err_input(err, "invalid digest '%s'", digest);
    _cleanup_free_ char *p = store_blob_path(s, digest);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (kpod_fs_read_file(p, max, &buf, &len, err) < 0)
        return kpod_err_prefix(err, "read blob '%s'", digest);
    char got[KPOD_DIGEST_STR_LEN];
    kpod_sha256_buf(buf, len, got);
    if (strcmp(got, digest) != 0)
        return kpod_err_msg(err, "blob '%s' is corrupt: digest '%s'", digest, got);
    if (ret_len != NULL)
        *ret_len = len;
    *ret = TAKE_PTR(buf);
    return 0;
}

static json_t *
index_load(const struct store *s, struct kpod_err **err)
{
    _cleanup_free_ char *p = xasprintf("%s/index.json", s->dir);
    if (!kpod_fs_exists(p))
        return json_pack("{s:[]}", "images");
    json_t *j = kpod_json_load_file(p, INDEX_MAX, err);
    if (j == NULL)
        return NULL;
    if (!json_is_array(json_object_get(j, "images"))) {
        json_decref(j);
        return kpod_err_msg(err, "image index '%s': no \"images\" array", p), NULL;
    }
    return j;
}

json_t *
store_index_read(const struct store *s, struct kpod_err **err)
{
    _cleanup_free_ char *lp = xasprintf("%s/index.lock", s->dir);
    _cleanup_lock_ int lock = kpod_lock_acquire(lp, KPOD_LOCK_SHARED, false, err);
    if (lock < 0)
        return NULL;
    return index_load(s, err);
}

int
store_index_update(const struct store *s, index_fn fn, void *data, struct kpod_err **err)
{
    _cleanup_free_ char *lp = xasprintf("%s/index.lock", s->dir);
    _cleanup_lock_ int lock = kpod_lock_acquire(lp, KPOD_LOCK_EXCLUSIVE, false, err);
    if (lock < 0)
        return -1;
    _cleanup_json_ json_t *idx = index_load(s, err);
    if (idx == NULL)
        return -1;
    int r = fn(json_object_get(idx, "images"), data, err);
    if (r <= 0)
        return r;
    _cleanup_free_ char *p = xasprintf("%s/index.json", s->dir);
    if (kpod_json_save_file(p, idx, false, 0600, err) < 0)
        return -1;
    return r;
}

static bool
strv_json_has(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) &&
                                      strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

static void
json_array_remove_str(json_t *arr, const char *s)
{
    for (size_t i = json_array_size(arr); i > 0; i--) {
        json_t *v = json_array_get(arr, i - 1);
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            json_array_remove(arr, i - 1);
    }
}

void
index_add(json_t *images, json_t *entry)
{
    const char *id = kpod_json_str(entry, "id");
    json_t *names = json_object_get(entry, "names");
    size_t i;
    json_t *img, *n;
    /* A name belongs to one image: take it from the others. */
    json_array_foreach(names, i, n)
    {
        size_t k;
        json_array_foreach(images, k, img) if (strcmp(kpod_json_str(img, "id"), id) != 0)
            json_array_remove_str(json_object_get(img, "names"), json_string_value(n));
    }
    json_array_foreach(images, i, img)
    {
        if (strcmp(kpod_json_str(img, "id"), id) != 0)
            continue;
        const char *keys[] = {"names", "repoDigests"};
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
            json_t *dst = json_object_get(img, keys[k]);
            json_t *src = json_object_get(entry, keys[k]);
            size_t m;
            json_array_foreach(src, m, n) if (!strv_json_has(dst, json_string_value(n)))
                json_array_append(dst, n);
        }
        json_object_set(img, "pulled", json_object_get(entry, "pulled"));
        json_decref(entry);
        return;
    }
    json_array_insert_new(images, 0, entry);
}

static bool
all_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static json_t *
find_by_id(json_t *images, const char *name, size_t *ret_idx, struct kpod_err **err)
{
    const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
    size_t n = strlen(hex);
    if (n < 3 || n > 64 || !all_hex(hex))
        return NULL;
    json_t *found = NULL, *img;
    size_t i;
    json_array_foreach(images, i, img)
    {
        if (strncmp(kpod_json_str(img, "id"), hex, n) != 0)
            continue;
        if (found != NULL)
            return kpod_err_input(err, "image id prefix '%s' is ambiguous", name), NULL;
        found = img;
        *ret_idx = i;
    }
    return found;
}

/* "docker.io/library/busybox:latest" -> "busybox:latest" style tails for short names. */
static bool
short_match(const char *full, const char *want)
{
    const char *slash = strchr(full, '/');
    if (slash == NULL)
        return false;
    const char *rest = slash + 1;
    if (strcmp(rest, want) == 0)
        return true;
    return strncmp(rest, "library/", 8) == 0 && strcmp(rest + 8, want) == 0;
}

static json_t *
find_by_name(json_t *images, const struct kpod_image_ref *r, const char *input, size_t *ret_idx,
             char **ret_name)
{
    _cleanup_free_ char *full = kpod_image_ref_string(r);
    _cleanup_free_ char *base = kpod_image_ref_name(r);
    _cleanup_free_ char *want = NULL;
    if (r->short_name) {
        const char *repo = strncmp(r->repo, "library/", 8) == 0 ? r->repo + 8 : r->repo;
        want = r->tag ? xasprintf("%s:%s", repo, r->tag) : xstrdup(repo);
    }
    size_t i;
    json_t *img;
    for (int pass = 0; pass < 2; pass++) {
        json_array_foreach(images, i, img)
        {
            json_t *names = json_object_get(img, r->digest && !r->tag ? "repoDigests" : "names");
            size_t k;
            json_t *n;
            json_array_foreach(names, k, n)
            {
                const char *s = json_string_value(n);
                bool hit = pass == 0 ? strcmp(s, full) == 0
                                     : (want != NULL && !r->digest && short_match(s, want));
                if (r->digest != NULL && r->tag == NULL && pass == 0) {
                    const char *at = strchr(s, '@');
                    hit = strcmp(s, full) == 0 ||
                          (at && strcmp(at + 1, r->digest) == 0 &&
                           (strncmp(s, base, strlen(base)) == 0 || r->short_name));
                }
                if (!hit)
                    continue;
                *ret_idx = i;
                if (ret_name != NULL && r->digest == NULL)
                    *ret_name = xstrdup(s);
                return img;
            }
        }
    }
    (void)input;
    return NULL;
}

json_t *
index_find(json_t *images, const char *name, size_t *ret_idx, char **ret_name,
           struct kpod_err **err)
{
    size_t idx = 0;
    json_t *img = find_by_id(images, name, &idx, err);
    if (img == NULL && *err != NULL)
        return NULL;
    if (img == NULL) {
        _cleanup_err_ struct kpod_err *perr = NULL;
        _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
            kpod_image_ref_parse(name, &perr);
        if (r == NULL) {
            kpod_err_move(err, &perr);
            return NULL;
        }
        img = find_by_name(images, r, name, &idx, ret_name);
    }
    if (img == NULL)
        return kpod_err_notfound(err, "image '%s' not known", name), NULL;
    if (ret_idx != NULL)
        *ret_idx = idx;
    return img;
}

int
store_commit_layer(const struct store *s, const char *tmpdir, const char *chain_id, json_t *meta,
                   struct kpod_err **err)
{
    _cleanup_free_ char *mp = xasprintf("%s/layer.json", tmpdir);
    if (kpod_json_save_file(mp, meta, false, 0600, err) < 0)
        return -1;
    _cleanup_free_ char *dst = store_layer_dir(s, chain_id);
    if (rename(tmpdir, dst) < 0) {
        if (errno != EEXIST && errno != ENOTEMPTY)
            return kpod_err_sys(err, "commit layer '%s'", chain_id);
        /* Another pull committed the same layer first: keep theirs. */
        if (kpod_fs_rm_rf(tmpdir, err) < 0)
            return -1;
    }
    /* A short name for overlay's lowerdir option, which must fit in a page. */
    const char *hex = strncmp(chain_id, "sha256:", 7) == 0 ? chain_id + 7 : chain_id;
    _cleanup_free_ char *link = xasprintf("%s/l/%.*s", s->dir, LINK_HEX, hex);
    _cleanup_free_ char *target = xasprintf("../layers/%s/diff", hex);
    if (symlink(target, link) < 0 && errno != EEXIST)
        return kpod_err_sys(err, "link layer '%s'", chain_id);
    return 0;
}

int
chain_ids_from_config(json_t *config, char ***ret, struct kpod_err **err)
{
    json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    if (!json_is_array(diff_ids))
        return kpod_err_input(err, "image config: no rootfs.diff_ids");
    if (json_array_size(diff_ids) > MAX_LAYERS)
        return kpod_err_input(err, "image config: more than %d layers", MAX_LAYERS);
    _cleanup_strv_ char **chain = xcalloc(json_array_size(diff_ids) + 1, sizeof(char *));
    size_t i;
    json_t *d;
    json_array_foreach(diff_ids, i, d)
    {
        const char *diff = json_string_value(d);
        if (!kpod_digest_valid(diff))
            return kpod_err_input(err, "image config: invalid diff id in rootfs.diff_ids[%zu]", i);
        if (i == 0) {
            chain[i] = xstrdup(diff);
            continue;
        }
        _cleanup_free_ char *cat = xasprintf("%s %s", chain[i - 1], diff);
        char out[KPOD_DIGEST_STR_LEN];
        kpod_sha256_buf(cat, strlen(cat), out);
        chain[i] = xstrdup(out);
    }
    *ret = TAKE_PTR(chain);
    return 0;
}

json_t *
store_make_entry(const char *manifest_digest, const char *manifest_media, json_t *manifest,
                 const char *config_digest, json_t *config, char **chain_ids, uint64_t size)
{
    json_t *e = json_object();
    kpod_json_set_str(e, "id", config_digest + 7);
    kpod_json_set_str(e, "digest", manifest_digest);
    kpod_json_set_str(e, "manifestMediaType", manifest_media);
    json_object_set_new(e, "names", json_array());
    json_object_set_new(e, "repoDigests", json_array());
    kpod_json_set_str(e, "created", kpod_json_str(config, "created"));
    kpod_json_set_str(e, "os", kpod_json_str(config, "os"));
    kpod_json_set_str(e, "architecture", kpod_json_str(config, "architecture"));
    kpod_json_set_int(e, "pulled", (long long)time(NULL));
    kpod_json_set_int(e, "size", (long long)size);
    json_t *layers = json_array();
    for (size_t i = 0; chain_ids[i] != NULL; i++)
        json_array_append_new(layers, json_string(chain_ids[i] + 7));
    json_object_set_new(e, "layers", layers);
    json_t *blobs = json_array();
    json_array_append_new(blobs, json_string(manifest_digest));
    json_array_append_new(blobs, json_string(config_digest));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(manifest, "layers"), i, l)
        json_array_append(blobs, json_object_get(l, "digest"));
    json_object_set_new(e, "blobs", blobs);
    return e;
}

static int
check_descriptor(json_t *d, const char *what, struct kpod_err **err)
{
    if (!json_is_object(d))
        return kpod_err_input(err, "manifest: %s is not a descriptor", what);
    if (!kpod_digest_valid(kpod_json_str(d, "digest")))
        return kpod_err_input(err, "manifest: %s: missing or unsupported digest", what);
    if (kpod_json_int(d, "size", -1) < 0)
        return kpod_err_input(err, "manifest: %s: missing size", what);
    return 0;
}

int
manifest_check(json_t *m, const char *media, struct kpod_err **err)
{
    if (check_descriptor(json_object_get(m, "config"), "config", err) < 0)
        return -1;
    json_t *layers = json_object_get(m, "layers");
    if (!json_is_array(layers))
        return kpod_err_input(err, "manifest: no layers array");
    if (json_array_size(layers) > MAX_LAYERS)
        return kpod_err_input(err, "manifest: more than %d layers", MAX_LAYERS);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        char what[32];
        snprintf(what, sizeof(what), "layers[%zu]", i);
        if (check_descriptor(l, what, err) < 0)
            return -1;
        const char *mt = kpod_json_str(l, "mediaType");
        if (mt != NULL && strcmp(mt, MEDIA_OCI_LAYER) != 0 &&
            strcmp(mt, MEDIA_OCI_LAYER_GZIP) != 0 && strcmp(mt, MEDIA_OCI_LAYER_ZSTD) != 0 &&
            strcmp(mt, MEDIA_DOCKER_LAYER) != 0 &&
            strcmp(mt, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") != 0)
            return kpod_err_input(err, "manifest: %s: unsupported layer media type '%s'", what, mt);
    }
    (void)media;
    return 0;
}
