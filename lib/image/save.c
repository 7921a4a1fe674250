/* kpod save: images from the store's blobs to an OCI archive, an OCI layout directory or a
 * docker save archive. Blobs are written as stored, so digests and ids stay the same. */
#include "image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/internal.h"

struct writer {
    struct archive *tar; /* NULL: a directory */
    const char *dir;
    json_t *written; /* paths already added */
};

static int
w_add(struct writer *w, const char *rel, const char *src, const void *buf, size_t len,
      struct kpod_err **err)
{
    if (json_object_get(w->written, rel) != NULL)
        return 0;
    json_object_set_new(w->written, rel, json_true());
    if (w->tar == NULL) {
        _cleanup_free_ char *dst = xasprintf("%s/%s", w->dir, rel);
        _cleanup_free_ char *copy = xstrdup(dst);
        if (kpod_fs_mkdir_p(dirname(copy), 0755, err) < 0)
            return -1;
        if (src != NULL && link(src, dst) == 0)
            return 0;
        if (src != NULL) {
            _cleanup_free_ char *data = NULL;
            size_t n = 0;
            if (kpod_fs_read_file(src, (size_t)64 << 30, &data, &n, err) < 0)
                return -1;
            return kpod_fs_write_atomic(dst, data, n, 0644, err);
        }
        return kpod_fs_write_atomic(dst, buf, len, 0644, err);
    }
    _cleanup_close_ int fd = -1;
    struct stat st = {.st_size = (off_t)len};
    if (src != NULL && ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0))
        return kpod_err_sys(err, "open '%s'", src);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, rel);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, st.st_size);
    archive_entry_set_mtime(e, time(NULL), 0);
    int r = archive_write_header(w->tar, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return kpod_err_msg(err, "write '%s': %s", rel, archive_error_string(w->tar));
    if (src == NULL)
        return archive_write_data(w->tar, buf, len) < 0
                   ? kpod_err_msg(err, "write '%s': %s", rel, archive_error_string(w->tar))
                   : 0;
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        if (archive_write_data(w->tar, chunk, (size_t)n) < 0)
            return kpod_err_msg(err, "write '%s': %s", rel, archive_error_string(w->tar));
    return n < 0 ? kpod_err_sys(err, "read '%s'", src) : 0;
}

static int
add_blob(struct writer *w, const struct store *s, const char *digest, struct kpod_err **err)
{
    _cleanup_free_ char *src = store_blob_path(s, digest);
    _cleanup_free_ char *rel = xasprintf("blobs/sha256/%s", digest + 7);
    return w_add(w, rel, src, NULL, 0, err);
}

static int
save_oci(struct writer *w, const struct store *s, json_t *imgs, char *const *names,
         struct kpod_err **err)
{
    const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
    if (w_add(w, "oci-layout", NULL, layout, strlen(layout), err) < 0)
        return -1;
    _cleanup_json_ json_t *index = json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
    size_t i;
    json_t *img;
    json_array_foreach(imgs, i, img)
    {
        json_t *blobs = json_object_get(img, "blobs");
        size_t k;
        json_t *b;
        json_array_foreach(blobs, k,
                           b) if (add_blob(w, s, json_string_value(b), err) < 0) return -1;
        const char *md = kpod_json_str(img, "digest");
        _cleanup_free_ char *mp = store_blob_path(s, md);
        struct stat st;
        if (stat(mp, &st) < 0)
            return kpod_err_sys(err, "stat manifest '%s'", md);
        json_t *desc =
            json_pack("{s:s, s:s, s:I}", "mediaType", kpod_json_str(img, "manifestMediaType"),
                      "digest", md, "size", (json_int_t)st.st_size);
        const char *name = kpod_json_str(img, "savedName");
        if (name != NULL)
            json_object_set_new(desc, "annotations",
                                json_pack("{s:s}", "org.opencontainers.image.ref.name", name));
        json_array_append_new(json_object_get(index, "manifests"), desc);
    }
    (void)names;
    _cleanup_free_ char *text = kpod_json_dumps(index, false);
    return w_add(w, "index.json", NULL, text, strlen(text), err);
}

static int
save_docker(struct writer *w, const struct store *s, json_t *imgs, struct kpod_err **err)
{
    _cleanup_json_ json_t *list = json_array();
    size_t i;
    json_t *img;
    json_array_foreach(imgs, i, img)
    {
        const char *id = kpod_json_str(img, "id");
        _cleanup_free_ char *cfg_digest = xasprintf("sha256:%s", id);
        _cleanup_free_ char *cfg_src = store_blob_path(s, cfg_digest);
        _cleanup_free_ char *cfg_rel = xasprintf("%s.json", id);
        if (w_add(w, cfg_rel, cfg_src, NULL, 0, err) < 0)
            return -1;
        json_t *blobs = json_object_get(img, "blobs");
        json_t *layers = json_array();
        for (size_t k = 2; k < json_array_size(blobs); k++) {
            const char *d = json_string_value(json_array_get(blobs, k));
            _cleanup_free_ char *src = store_blob_path(s, d);
            _cleanup_free_ char *rel = xasprintf("%s.tar", d + 7);
            if (w_add(w, rel, src, NULL, 0, err) < 0) {
                json_decref(layers);
                return -1;
            }
            json_array_append_new(layers, json_string(rel));
        }
        const char *name = kpod_json_str(img, "savedName");
        json_t *tags = json_array();
        if (name != NULL)
            json_array_append_new(tags, json_string(name));
        json_array_append_new(list, json_pack("{s:s, s:o, s:o}", "Config", cfg_rel, "RepoTags",
                                              tags, "Layers", layers));
    }
    _cleanup_free_ char *text = kpod_json_dumps(list, false);
    return w_add(w, "manifest.json", NULL, text, strlen(text), err);
}

/* The images to save, each with the name it was asked by ("savedName") when that is a name. */
static json_t *
collect(const char *root, char *const *names, struct kpod_err **err)
{
    json_t *imgs = json_array();
    for (size_t i = 0; names[i] != NULL; i++) {
        json_t *img = kpod_image_lookup(root, names[i], err);
        if (img == NULL) {
            json_decref(imgs);
            return NULL;
        }
        json_t *copy = json_deep_copy(img);
        json_decref(img);
        json_t *inames = json_object_get(copy, "names");
        const char *saved = NULL;
        _cleanup_err_ struct kpod_err *e = NULL;
        _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
            kpod_image_ref_parse(names[i], &e);
        _cleanup_free_ char *full = r ? kpod_image_ref_string(r) : NULL;
        size_t k;
        json_t *n;
        json_array_foreach(inames, k, n) if (full != NULL && strcmp(json_string_value(n), full) ==
                                                                 0) saved = json_string_value(n);
        if (saved == NULL && json_array_size(inames) > 0 &&
            !kpod_str_has_prefix(kpod_json_str(copy, "id"), names[i]))
            saved = json_string_value(json_array_get(inames, 0));
        if (saved != NULL)
            kpod_json_set_str(copy, "savedName", saved);
        json_array_append_new(imgs, copy);
    }
    return imgs;
}

int
kpod_image_save(const char *root, char *const *names, const char *dest, const char *format,
                struct kpod_err **err)
{
    const char *fmt = format ? format : "oci-archive";
    if (strcmp(fmt, "oci-archive") != 0 && strcmp(fmt, "oci-dir") != 0 &&
        strcmp(fmt, "docker-archive") != 0)
        return kpod_err_usage(err,
                              "unknown format '%s': want oci-archive, oci-dir or "
                              "docker-archive",
                              fmt);
    _cleanup_json_ json_t *imgs = collect(root, names, err);
    if (imgs == NULL)
        return -1;
    struct store s;
    if (store_open(root, KPOD_LOCK_SHARED, &s, err) < 0)
        return -1;
    _cleanup_json_ json_t *written = json_object();
    struct writer w = {.dir = dest, .written = written};
    _cleanup_free_ char *tmp = NULL;
    int r = 0;
    if (strcmp(fmt, "oci-dir") == 0) {
        r = kpod_fs_mkdir_p(dest, 0755, err);
    } else {
        tmp = xasprintf("%s.tmpXXXXXX", dest);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
            r = kpod_err_sys(err, "create '%s'", dest);
        } else {
            w.tar = archive_write_new();
            archive_write_set_format_pax_restricted(w.tar);
            if (archive_write_open_fd(w.tar, fd) != ARCHIVE_OK)
                r = kpod_err_msg(err, "write '%s': %s", dest, archive_error_string(w.tar));
        }
        if (r == 0)
            r = strcmp(fmt, "docker-archive") == 0 ? save_docker(&w, &s, imgs, err)
                                                   : save_oci(&w, &s, imgs, NULL, err);
        if (w.tar != NULL) {
            if (archive_write_close(w.tar) != ARCHIVE_OK && r == 0)
                r = kpod_err_msg(err, "write '%s': %s", dest, archive_error_string(w.tar));
            archive_write_free(w.tar);
        }
        if (fd >= 0) {
            if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, dest) < 0))
                r = kpod_err_sys(err, "write '%s'", dest);
            close(fd);
            if (r < 0)
                unlink(tmp);
        }
        store_close(&s);
        return r;
    }
    if (r == 0)
        r = save_oci(&w, &s, imgs, names, err);
    store_close(&s);
    return r;
}
