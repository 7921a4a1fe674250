/* The store API the runtime and the spec builder use: load an OCI layout made here, look the
 * image up, read its config, get the overlay lower dirs, hold it, remove it. */
#include "image/image.h"
#include "tap.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

static char base[128];

/* Writes data as a blob of the layout; returns its digest in out. */
static void
put_blob(const char *layout, const void *data, size_t len, char out[KPOD_DIGEST_STR_LEN])
{
    kpod_sha256_buf(data, len, out);
    char p[512];
    snprintf(p, sizeof(p), "%s/blobs/sha256/%s", layout, out + 7);
    _cleanup_err_ struct kpod_err *err = NULL;
    if (kpod_fs_write_atomic(p, data, len, 0644, &err) < 0)
        abort();
}

/* A gzip layer with one file; the uncompressed tar's digest (diff id) goes to diff. */
static size_t
make_layer(char **ret, const char *path, const char *content, char diff[KPOD_DIGEST_STR_LEN])
{
    for (int gz = 0; gz < 2; gz++) {
        size_t cap = 1 << 16, used = 0;
        char *buf = xmalloc(cap);
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        if (gz)
            archive_write_add_filter_gzip(a);
        archive_write_set_bytes_in_last_block(a, 1);
        archive_write_open_memory(a, buf, cap, &used);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, path);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)strlen(content));
        archive_write_header(a, e);
        archive_write_data(a, content, strlen(content));
        archive_entry_free(e);
        archive_write_close(a);
        archive_write_free(a);
        if (!gz) {
            kpod_sha256_buf(buf, used, diff);
            free(buf);
            continue;
        }
        *ret = buf;
        return used;
    }
    return 0;
}

/* etc/two plus a whiteout of etc/one. */
static size_t
make_layer2(char **ret, char diff[KPOD_DIGEST_STR_LEN])
{
    for (int gz = 0; gz < 2; gz++) {
        size_t cap = 1 << 16, used = 0;
        char *buf = xmalloc(cap);
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        if (gz)
            archive_write_add_filter_gzip(a);
        archive_write_set_bytes_in_last_block(a, 1);
        archive_write_open_memory(a, buf, cap, &used);
        const char *paths[] = {"etc/two", "etc/.wh.one"};
        const char *data[] = {"2\n", ""};
        for (int i = 0; i < 2; i++) {
            struct archive_entry *e = archive_entry_new();
            archive_entry_set_pathname(e, paths[i]);
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)strlen(data[i]));
            archive_write_header(a, e);
            archive_write_data(a, data[i], strlen(data[i]));
            archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        if (!gz) {
            kpod_sha256_buf(buf, used, diff);
            free(buf);
            continue;
        }
        *ret = buf;
        return used;
    }
    return 0;
}

static void
make_layout(const char *layout)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/blobs/sha256", layout);
    _cleanup_err_ struct kpod_err *err = NULL;
    kpod_fs_mkdir_p(p, 0755, &err);
    char d1[KPOD_DIGEST_STR_LEN], d2[KPOD_DIGEST_STR_LEN], l1[KPOD_DIGEST_STR_LEN],
        l2[KPOD_DIGEST_STR_LEN], cfg[KPOD_DIGEST_STR_LEN], man[KPOD_DIGEST_STR_LEN];
    char *b1 = NULL, *b2 = NULL;
    size_t n1 = make_layer(&b1, "etc/one", "1\n", d1);
    /* As root, the second layer deletes etc/one (whiteouts need mknod). */
    size_t n2 = geteuid() == 0 ? make_layer2(&b2, d2) : make_layer(&b2, "etc/two", "2\n", d2);
    put_blob(layout, b1, n1, l1);
    put_blob(layout, b2, n2, l2);
    free(b1);
    free(b2);
    json_t *c = json_pack("{s:s, s:s, s:{s:[s], s:[s], s:s}, s:{s:s, s:[s, s]}}", "architecture",
                          "amd64", "os", "linux", "config", "Cmd", "sh", "Env", "PATH=/bin",
                          "WorkingDir", "/", "rootfs", "type", "layers", "diff_ids", d1, d2);
    char *cs = kpod_json_dumps(c, false);
    put_blob(layout, cs, strlen(cs), cfg);
    json_t *m = json_pack(
        "{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}, {s:s, s:s, s:I}]}", "schemaVersion", 2,
        "mediaType", "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
        "application/vnd.oci.image.config.v1+json", "digest", cfg, "size", (json_int_t)strlen(cs),
        "layers", "mediaType", "application/vnd.oci.image.layer.v1.tar+gzip", "digest", l1, "size",
        (json_int_t)n1, "mediaType", "application/vnd.oci.image.layer.v1.tar+gzip", "digest", l2,
        "size", (json_int_t)n2);
    char *ms = kpod_json_dumps(m, false);
    put_blob(layout, ms, strlen(ms), man);
    json_t *idx = json_pack("{s:i, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion", 2, "manifests",
                            "mediaType", "application/vnd.oci.image.manifest.v1+json", "digest",
                            man, "size", (json_int_t)strlen(ms), "annotations",
                            "org.opencontainers.image.ref.name", "example.com/app:v1");
    snprintf(p, sizeof(p), "%s/index.json", layout);
    kpod_json_save_file(p, idx, false, 0644, &err);
    snprintf(p, sizeof(p), "%s/oci-layout", layout);
    kpod_fs_write_atomic(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, &err);
    free(cs);
    free(ms);
    json_decref(c);
    json_decref(m);
    json_decref(idx);
}

int
main(void)
{
    snprintf(base, sizeof(base), "/tmp/kpod-store-XXXXXX");
    if (mkdtemp(base) == NULL)
        abort();
    char layout[256], root[256], src[300], ctr[300];
    snprintf(layout, sizeof(layout), "%s/layout", base);
    snprintf(root, sizeof(root), "%s/root", base);
    snprintf(ctr, sizeof(ctr), "%s/ctr", base);
    make_layout(layout);
    snprintf(src, sizeof(src), "oci:%s", layout);

    _cleanup_err_ struct kpod_err *err = NULL;
    _cleanup_strv_ char **names = NULL;
    ok(kpod_image_load(root, src, &names, &err) == 0, "load: %s", err ? err->msg : "");
    is_str(names ? names[0] : NULL, "example.com/app:v1", "named from the annotation");

    json_t *img = kpod_image_lookup(root, "example.com/app:v1", &err);
    ok(img != NULL, "lookup by name");
    const char *id = kpod_json_str(img, "id");
    json_t *byid = kpod_image_lookup(root, id, &err);
    ok(byid != NULL, "lookup by id");
    json_decref(byid);
    json_t *cfg = kpod_image_config(root, "example.com/app:v1", &err);
    is_str(kpod_json_str(json_object_get(cfg, "config"), "WorkingDir"), "/", "config");
    json_decref(cfg);

    char *eid = NULL;
    struct kpod_pull_opts po = {0};
    ok(kpod_image_ensure(root, "example.com/app:v1", KPOD_PULL_POLICY_DEFAULT, &po, &eid, &err) ==
               0 &&
           eid && strcmp(eid, id) == 0,
       "ensure: a tag other than latest is IfNotPresent: %s", err ? err->msg : "");
    free(eid);
    eid = NULL;
    ok(kpod_image_ensure(root, "example.com/missing:v1", KPOD_PULL_POLICY_NEVER, &po, &eid, &err) <
               0 &&
           err->kind == KPOD_ERR_NOTFOUND && strstr(err->msg, "Never"),
       "ensure: Never and missing: %s", err ? err->msg : "");
    kpod_err_free(&err);
    enum kpod_image_pull_policy pol;
    ok(kpod_pull_policy_parse("IfNotPresent", &pol) == 0 &&
           pol == KPOD_PULL_POLICY_IF_NOT_PRESENT && kpod_pull_policy_parse("sometimes", &pol) < 0,
       "policy names");

    char *buf = NULL;
    size_t blen = 0;
    ok(kpod_image_read_file(root, id, "/etc/two", 4096, &buf, &blen, &err) == 0 && buf &&
           strcmp(buf, "2\n") == 0,
       "read_file through the layers: %s", err ? err->msg : "");
    free(buf);
    buf = NULL;
    if (geteuid() == 0) {
        ok(kpod_image_read_file(root, id, "etc/one", 4096, &buf, &blen, &err) < 0 &&
               err->kind == KPOD_ERR_NOTFOUND,
           "read_file: a whited-out file is not there: %s", err ? err->msg : "");
        kpod_err_free(&err);
    } else {
        tap_skip(1, "whiteouts need root");
    }
    ok(kpod_image_read_file(root, id, "/etc/../etc/two", 4096, &buf, &blen, &err) < 0,
       "read_file refuses '..'");
    kpod_err_free(&err);

    char **lowers = NULL;
    ok(kpod_image_rootfs_layers(root, "example.com/app:v1", &lowers, &err) == 0, "lowerdirs");
    is_int(kpod_strv_len(lowers), 2, "two lower dirs");
    char p[600];
    snprintf(p, sizeof(p), "%s/etc/two", lowers ? lowers[0] : "");
    ok(kpod_fs_exists(p), "top-most layer first");
    ok(lowers && strstr(lowers[0], "/image/l/") && strlen(strrchr(lowers[0], '/') + 1) == 16,
       "short links for overlay's option page: %s", lowers ? lowers[0] : "");
    kpod_strv_free(lowers);

    struct kpod_image_rootfs rfs = {0};
    ok(kpod_image_rootfs_prepare(root, "example.com/app:v1", ctr, &rfs, &err) == 0, "prepare");
    ok(rfs.lowerdir && strchr(rfs.lowerdir, ':') && kpod_fs_exists(rfs.upperdir) &&
           kpod_fs_exists(rfs.workdir) && kpod_fs_exists(rfs.mountpoint),
       "overlay parameters and dirs");
    is_str(rfs.image_id, id, "image id");
    kpod_image_rootfs_free(&rfs);

    ok(kpod_image_hold(root, id, "ctr1", &err) == 0, "hold");
    struct kpod_image_rm_result res = {0};
    ok(kpod_image_remove(root, "example.com/app:v1", false, &res, &err) < 0 &&
           err->kind == KPOD_ERR_INVOKE,
       "held image not removed: %s", err ? err->msg : "");
    kpod_err_free(&err);
    kpod_image_rm_result_free(&res);
    ok(kpod_image_release(root, id, "ctr1", &err) == 0, "release");
    ok(kpod_image_remove(root, "example.com/app:v1", false, &res, &err) == 0, "removed");
    ok(res.deleted && strcmp(res.deleted[0], id) == 0, "reported deleted");
    kpod_image_rm_result_free(&res);
    snprintf(p, sizeof(p), "rmdir %s/image/layers %s/image/l 2>/dev/null", root, root);
    ok(system(p) == 0, "no layer and no link left");
    json_decref(img);
    ok(kpod_image_lookup(root, "example.com/app:v1", &err) == NULL &&
           err->kind == KPOD_ERR_NOTFOUND,
       "gone: %s", err ? err->msg : "");
    snprintf(p, sizeof(p), "rm -rf %s", base);
    if (system(p) != 0)
        diag("cleanup failed");
    return tap_done();
}
