/* kpod load: OCI layouts (oci:DIR[:tag]), OCI archives and docker save archives. Archives
 * are unpacked with the layer unpacker (same path checks) into the store's tmp directory;
 * every blob is verified against its digest as it is copied into the store. */
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"

#define LAYOUT_INDEX_MAX (4u << 20)
#define DOCKER_MANIFEST_MAX (4u << 20)

struct src_dir {
    const char *dir;
    /* docker-archive: digest -> file path inside dir (object) */
    json_t *files;
};

static int open_in_dir(const char *dir, const char *rel, struct kpod_err **err);

static int
open_src_blob(void *data, const char *digest, int *ret_fd, struct kpod_err **err)
{
    struct src_dir *s = data;
    const char *rel = s->files ? kpod_json_str(s->files, digest) : NULL;
    _cleanup_free_ char *p = rel ? xstrdup(rel) : xasprintf("blobs/sha256/%s", digest + 7);
    int fd = open_in_dir(s->dir, p, err);
    if (fd < 0)
        return kpod_err_prefix(err, "blob '%s'", digest);
    *ret_fd = fd;
    return 0;
}

/* Copies a blob from fd into the store, verifying its digest; no-op when present. */
static int
copy_blob(const struct store *s, int fd, const char *digest, struct kpod_err **err)
{
    if (store_has_blob(s, digest))
        return 0;
    _cleanup_free_ char *tmp = store_tmp_path(s, "blob");
    _cleanup_close_ int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return kpod_err_sys(err, "create '%s'", tmp);
    struct kpod_sha256 *h = kpod_sha256_new();
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        kpod_sha256_update(h, buf, (size_t)n);
        if (kpod_fs_write_all(out, buf, (size_t)n) < 0) {
            kpod_sha256_free(h);
            unlink(tmp);
            return kpod_err_sys(err, "write '%s'", tmp);
        }
    }
    char got[KPOD_DIGEST_STR_LEN];
    kpod_sha256_final(h, got);
    kpod_sha256_free(h);
    if (n < 0 || strcmp(got, digest) != 0) {
        unlink(tmp);
        return n < 0 ? kpod_err_sys(err, "read blob '%s'", digest)
                     : kpod_err_input(err, "blob '%s': digest mismatch: got '%s'", digest, got);
    }
    _cleanup_free_ char *dst = store_blob_path(s, digest);
    if (fsync(out) < 0 || rename(tmp, dst) < 0) {
        unlink(tmp);
        return kpod_err_sys(err, "store blob '%s'", digest);
    }
    return 0;
}

static int
import_blob(const struct store *s, const char *digest, blob_open_fn open_blob, void *data,
            struct kpod_err **err)
{
    if (store_has_blob(s, digest))
        return 0;
    _cleanup_close_ int fd = -1;
    if (open_blob(data, digest, &fd, err) < 0)
        return -1;
    return copy_blob(s, fd, digest, err);
}

struct import_job {
    const struct store *s;
    const char *digest, *chain, *parent, *diff_id;
    blob_open_fn open_blob;
    void *data;
    pthread_t tid;
    bool started;
    int rc;
    struct kpod_err *err;
};

static void *
import_layer(void *arg)
{
    struct import_job *j = arg;
    j->rc = import_blob(j->s, j->digest, j->open_blob, j->data, &j->err);
    if (j->rc < 0)
        return NULL;
    _cleanup_free_ char *bp = store_blob_path(j->s, j->digest);
    _cleanup_close_ int fd = open(bp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        j->rc = kpod_err_sys(&j->err, "open blob '%s'", j->digest);
        return NULL;
    }
    j->rc = store_unpack_layer(j->s, fd, NULL, j->chain, j->parent, j->diff_id, j->digest, &j->err);
    return NULL;
}

/* Imports and unpacks the missing layers, a thread each (4 at a time): layers unpack into
 * their own directories, so they do not wait for each other. */
static int
import_layers(const struct store *s, json_t *layers, json_t *diffs, char **chain,
              blob_open_fn open_blob, void *data, struct kpod_err **err)
{
    size_t n = json_array_size(layers);
    struct import_job *jobs = xcalloc(n + 1, sizeof(*jobs));
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *d = kpod_json_str(json_array_get(layers, i), "digest");
        jobs[i] = (struct import_job){.s = s,
                                      .digest = d,
                                      .chain = chain[i],
                                      .parent = i ? chain[i - 1] : NULL,
                                      .diff_id = json_string_value(json_array_get(diffs, i)),
                                      .open_blob = open_blob,
                                      .data = data};
        if (store_has_layer(s, chain[i])) {
            if (import_blob(s, d, open_blob, data, err) < 0) {
                rc = -1;
                break;
            }
            continue;
        }
        if (i >= 4 && jobs[i - 4].started)
            pthread_join(jobs[i - 4].tid, NULL), jobs[i - 4].started = false;
        if (pthread_create(&jobs[i].tid, NULL, import_layer, &jobs[i]) != 0) {
            import_layer(&jobs[i]);
            continue;
        }
        jobs[i].started = true;
    }
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].started)
            pthread_join(jobs[i].tid, NULL);
        if (jobs[i].rc < 0 && rc == 0) {
            kpod_err_move(err, &jobs[i].err);
            rc = -1;
        }
        kpod_err_free(&jobs[i].err);
    }
    free(jobs);
    return rc;
}

static json_t *
load_blob_json(const struct store *s, const char *digest, size_t max, const char *what,
               struct kpod_err **err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (store_read_blob(s, digest, max, &buf, &len, err) < 0)
        return NULL;
    return kpod_json_loadb(buf, len, what, err);
}

static int
add_named(json_t *images, void *data, struct kpod_err **err)
{
    index_add(images, json_incref(data));
    return 1;
}

int
store_import(const struct store *s, const char *manifest_digest, blob_open_fn open_blob, void *data,
             char **names, char **ret_id, struct kpod_err **err)
{
    if (import_blob(s, manifest_digest, open_blob, data, err) < 0)
        return -1;
    _cleanup_json_ json_t *m = load_blob_json(s, manifest_digest, MANIFEST_MAX, "manifest", err);
    if (m == NULL)
        return -1;
    const char *media = kpod_json_str(m, "mediaType");
    if (manifest_check(m, media ? media : MEDIA_OCI_MANIFEST, err) < 0)
        return -1;
    const char *cfg = kpod_json_str(json_object_get(m, "config"), "digest");
    if (import_blob(s, cfg, open_blob, data, err) < 0)
        return -1;
    _cleanup_json_ json_t *config = load_blob_json(s, cfg, CONFIG_MAX, "image config", err);
    _cleanup_strv_ char **chain = NULL;
    if (config == NULL || chain_ids_from_config(config, &chain, err) < 0)
        return -1;
    json_t *layers = json_object_get(m, "layers");
    json_t *diffs = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    if (json_array_size(layers) != kpod_strv_len(chain))
        return kpod_err_input(err, "image has %zu layers but its config lists %zu diff ids",
                              json_array_size(layers), kpod_strv_len(chain));
    if (import_layers(s, layers, diffs, chain, open_blob, data, err) < 0)
        return -1;
    uint64_t size = 0;
    for (size_t i = 0; chain[i] != NULL; i++) {
        _cleanup_free_ char *ld = store_layer_dir(s, chain[i]);
        _cleanup_free_ char *lp = xasprintf("%s/layer.json", ld);
        _cleanup_err_ struct kpod_err *e = NULL;
        _cleanup_json_ json_t *meta = kpod_json_load_file(lp, 1 << 16, &e);
        size += (uint64_t)kpod_json_int(meta, "size", 0);
    }
    _cleanup_json_ json_t *entry = store_make_entry(
        manifest_digest, media ? media : MEDIA_OCI_MANIFEST, m, cfg, config, chain, size);
    for (size_t i = 0; names && names[i]; i++)
        json_array_append_new(json_object_get(entry, "names"), json_string(names[i]));
    if (store_index_update(s, add_named, entry, err) < 0)
        return -1;
    *ret_id = xstrdup(cfg + 7);
    return 0;
}

/* A ref.name annotation: a full reference as is, a bare tag under localhost/<dir name>. */
static char *
name_for(const char *ref_name, const char *src_path)
{
    if (ref_name == NULL)
        return NULL;
    _cleanup_err_ struct kpod_err *e = NULL;
    if (strchr(ref_name, '/') != NULL || strchr(ref_name, ':') != NULL) {
        _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
            kpod_image_ref_parse(ref_name, &e);
        if (r != NULL && r->digest == NULL)
            return kpod_image_ref_string(r);
        return NULL;
    }
    _cleanup_free_ char *copy = xstrdup(src_path);
    char *base = basename(copy);
    char *dot = strchr(base, '.');
    if (dot != NULL && dot != base)
        *dot = '\0';
    for (char *p = base; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    _cleanup_free_ char *full = xasprintf("localhost/%s:%s", base, ref_name);
    _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
        kpod_image_ref_parse(full, &e);
    return r ? kpod_image_ref_string(r) : NULL;
}

static int
load_oci_dir(const struct store *s, const char *dir, const char *tag, const char *src_path,
             char ***ret_names, struct kpod_err **err)
{
    _cleanup_free_ char *ip = xasprintf("%s/index.json", dir);
    _cleanup_json_ json_t *idx = kpod_json_load_file(ip, LAYOUT_INDEX_MAX, err);
    if (idx == NULL)
        return kpod_err_prefix(err, "OCI layout '%s'", src_path);
    struct src_dir sd = {.dir = dir};
    size_t i, loaded = 0;
    json_t *d;
    json_array_foreach(json_object_get(idx, "manifests"), i, d)
    {
        const char *ref =
            kpod_json_str(json_object_get(d, "annotations"), "org.opencontainers.image.ref.name");
        if (tag != NULL && (ref == NULL || strcmp(ref, tag) != 0))
            continue;
        const char *digest = kpod_json_str(d, "digest");
        const char *mt = kpod_json_str(d, "mediaType");
        if (!kpod_digest_valid(digest))
            return kpod_err_input(err, "OCI layout '%s': manifests[%zu]: invalid digest", src_path,
                                  i);
        if (mt != NULL && strcmp(mt, MEDIA_OCI_MANIFEST) != 0 &&
            strcmp(mt, MEDIA_DOCKER_MANIFEST) != 0) {
            kpod_warn("load '%s': skipping manifests[%zu] of media type '%s'", src_path, i, mt);
            continue;
        }
        _cleanup_free_ char *name = name_for(ref, src_path);
        char *names[] = {name, NULL};
        _cleanup_free_ char *id = NULL;
        if (store_import(s, digest, open_src_blob, &sd, names, &id, err) < 0)
            return kpod_err_prefix(err, "load '%s'", src_path);
        kpod_strv_push(ret_names, name ? name : id);
        loaded++;
    }
    if (loaded == 0)
        return kpod_err_input(err, "load '%s': no image%s%s%s in the layout", src_path,
                              tag ? " tagged '" : "", tag ? tag : "", tag ? "'" : "");
    return 0;
}

/* Opens rel inside dir: symlinks and ".." resolve within dir (RESOLVE_IN_ROOT). */
static int
open_in_dir(const char *dir, const char *rel, struct kpod_err **err)
{
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return kpod_err_sys(err, "open '%s'", dir);
    return kpod_fs_openat_in_root(dfd, rel, O_RDONLY, 0, err);
}

/* Digest and size of the file rel inside dir. */
static int
digest_in_dir(const char *dir, const char *rel, char out[KPOD_DIGEST_STR_LEN], int64_t *ret_size,
              struct kpod_err **err)
{
    _cleanup_close_ int fd = open_in_dir(dir, rel, err);
    if (fd < 0)
        return -1;
    struct kpod_sha256 *h = kpod_sha256_new();
    char buf[65536];
    ssize_t n;
    int64_t size = 0;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        kpod_sha256_update(h, buf, (size_t)n);
        size += n;
    }
    kpod_sha256_final(h, out);
    kpod_sha256_free(h);
    if (n < 0)
        return kpod_err_sys(err, "read '%s'", rel);
    *ret_size = size;
    return 0;
}

/* An OCI manifest for one entry of a docker archive's manifest.json; files maps the digests
 * to the archive's file names. */
static json_t *
docker_manifest(const char *dir, json_t *e, json_t *files, struct kpod_err **err)
{
    const char *cfg_file = kpod_json_str(e, "Config");
    json_t *lfiles = json_object_get(e, "Layers");
    if (cfg_file == NULL || !json_is_array(lfiles))
        return kpod_err_input(err, "bad entry in manifest.json"), NULL;
    char cd[KPOD_DIGEST_STR_LEN];
    int64_t size = 0;
    if (digest_in_dir(dir, cfg_file, cd, &size, err) < 0)
        return NULL;
    json_object_set_new(files, cd, json_string(cfg_file));
    _cleanup_json_ json_t *m = json_pack(
        "{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2, "mediaType", MEDIA_OCI_MANIFEST,
        "config", "mediaType", MEDIA_OCI_CONFIG, "digest", cd, "size", (json_int_t)size, "layers");
    size_t k;
    json_t *lf;
    json_array_foreach(lfiles, k, lf)
    {
        const char *f = json_string_value(lf);
        char ld[KPOD_DIGEST_STR_LEN];
        if (f == NULL)
            return kpod_err_input(err, "bad layer in manifest.json"), NULL;
        if (digest_in_dir(dir, f, ld, &size, err) < 0)
            return NULL;
        json_object_set_new(files, ld, json_string(f));
        json_array_append_new(json_object_get(m, "layers"),
                              json_pack("{s:s, s:s, s:I}", "mediaType", MEDIA_OCI_LAYER, "digest",
                                        ld, "size", (json_int_t)size));
    }
    return json_incref(m);
}

static int
load_docker_dir(const struct store *s, const char *dir, const char *src_path, char ***ret_names,
                struct kpod_err **err)
{
    _cleanup_free_ char *mp = xasprintf("%s/manifest.json", dir);
    _cleanup_json_ json_t *list = kpod_json_load_file(mp, DOCKER_MANIFEST_MAX, err);
    if (list == NULL || !json_is_array(list))
        return kpod_err_input(err, "docker archive '%s': manifest.json is not an array", src_path);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        _cleanup_json_ json_t *files = json_object();
        struct src_dir sd = {.dir = dir, .files = files};
        _cleanup_json_ json_t *m = docker_manifest(dir, e, files, err);
        if (m == NULL)
            return kpod_err_prefix(err, "docker archive '%s': manifest.json[%zu]", src_path, i);
        _cleanup_free_ char *mtext = kpod_json_dumps(m, false);
        char md[KPOD_DIGEST_STR_LEN];
        kpod_sha256_buf(mtext, strlen(mtext), md);
        if (store_put_blob(s, md, mtext, strlen(mtext), err) < 0)
            return -1;
        _cleanup_strv_ char **names = NULL;
        size_t t;
        json_t *tag;
        json_array_foreach(json_object_get(e, "RepoTags"), t, tag)
        {
            _cleanup_err_ struct kpod_err *pe = NULL;
            _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
                kpod_image_ref_parse(json_string_value(tag), &pe);
            if (r != NULL)
                kpod_strv_push_take(&names, kpod_image_ref_string(r));
        }
        _cleanup_free_ char *id = NULL;
        if (store_import(s, md, open_src_blob, &sd, names, &id, err) < 0)
            return kpod_err_prefix(err, "load '%s'", src_path);
        for (size_t n = 0; names && names[n]; n++)
            kpod_strv_push(ret_names, names[n]);
        if (names == NULL)
            kpod_strv_push(ret_names, id);
    }
    return 0;
}

/* Unpacks an archive (any compression) into a new directory under tmp. */
static int
extract(const struct store *s, const char *file, char **ret_dir, struct kpod_err **err)
{
    _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "open '%s'", file);
    _cleanup_free_ char *dir = store_tmp_path(s, "load");
    if (mkdir(dir, 0700) < 0)
        return kpod_err_sys(err, "create '%s'", dir);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct kpod_unpack_opts o = {0};
    if (dfd < 0 || kpod_image_unpack_fd(fd, dfd, &o, NULL, NULL, err) < 0) {
        _cleanup_err_ struct kpod_err *e = NULL;
        kpod_fs_rm_rf(dir, &e);
        return kpod_err_prefix(err, "read archive '%s'", file);
    }
    *ret_dir = TAKE_PTR(dir);
    return 0;
}

/* Splits "transport:PATH[:tag]" into its parts. */
static void
parse_source(const char *src, char **ret_kind, char **ret_path, char **ret_tag)
{
    const char *kinds[] = {"oci:", "oci-archive:", "docker-archive:"};
    *ret_kind = NULL;
    const char *rest = src;
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
        if (kpod_str_has_prefix(src, kinds[i])) {
            *ret_kind = xstrndup(kinds[i], strlen(kinds[i]) - 1);
            rest = src + strlen(kinds[i]);
        }
    char *path = xstrdup(rest);
    char *colon = strrchr(path, ':');
    *ret_tag = NULL;
    if (*ret_kind != NULL && colon != NULL && strchr(colon, '/') == NULL && !kpod_fs_exists(path)) {
        *colon = '\0';
        *ret_tag = xstrdup(colon + 1);
    }
    *ret_path = path;
}

int
kpod_image_load(const char *root, const char *src, char ***ret_names, struct kpod_err **err)
{
    _cleanup_free_ char *kind = NULL, *path = NULL, *tag = NULL;
    parse_source(src, &kind, &path, &tag);
    struct stat st;
    if (stat(path, &st) < 0)
        return kpod_err_sys(err, "load '%s'", src);
    struct store s;
    if (store_open(root, KPOD_LOCK_SHARED, &s, err) < 0)
        return -1;
    _cleanup_free_ char *tmpdir = NULL;
    const char *dir = path;
    int r = 0;
    if (!S_ISDIR(st.st_mode)) {
        r = extract(&s, path, &tmpdir, err);
        dir = tmpdir;
    }
    if (r == 0) {
        _cleanup_free_ char *layout = xasprintf("%s/oci-layout", dir);
        _cleanup_free_ char *dm = xasprintf("%s/manifest.json", dir);
        _cleanup_free_ char *oi = xasprintf("%s/index.json", dir);
        bool is_docker = (kind && strcmp(kind, "docker-archive") == 0) ||
                         (!kind && kpod_fs_exists(dm) && !kpod_fs_exists(oi));
        if (is_docker)
            r = load_docker_dir(&s, dir, path, ret_names, err);
        else if (kpod_fs_exists(layout) || kpod_fs_exists(oi))
            r = load_oci_dir(&s, dir, tag, path, ret_names, err);
        else
            r = kpod_err_input(err, "load '%s': neither an OCI layout nor a docker archive", src);
    }
    if (tmpdir != NULL) {
        _cleanup_err_ struct kpod_err *e = NULL;
        kpod_fs_rm_rf(tmpdir, &e);
    }
    store_close(&s);
    return r;
}
