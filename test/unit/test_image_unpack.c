/* Layer unpacking: a corpus of hostile tars made here with libarchive's writer, and the
 * overlay form of whiteouts. Each hostile layer must fail and leave the directory next to the
 * layer untouched. */
#include "image/image.h"
#include "tap.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct ent {
    const char *path;
    char type;        /* f file, d dir, l symlink, h hardlink, c char dev, p fifo */
    const char *data; /* file content or link target */
    int mode;
};

static char base[256];

/* Writes the entries as a tar (filter: "none", "gzip", "zstd") into a memfd. */
static int
make_tar(const struct ent *ents, size_t n, const char *filter)
{
    int fd = memfd_create("layer", MFD_CLOEXEC);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (strcmp(filter, "gzip") == 0)
        archive_write_add_filter_gzip(a);
    else if (strcmp(filter, "zstd") == 0)
        archive_write_add_filter_zstd(a);
    archive_write_open_fd(a, fd);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, ents[i].path);
        archive_entry_set_mtime(e, 1000000000, 0);
        int mode = ents[i].mode ? ents[i].mode : 0644;
        switch (ents[i].type) {
        case 'f':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, (la_int64_t)strlen(ents[i].data));
            break;
        case 'd':
            archive_entry_set_filetype(e, AE_IFDIR);
            mode = ents[i].mode ? ents[i].mode : 0755;
            break;
        case 'l':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, ents[i].data);
            break;
        case 'h':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, ents[i].data);
            break;
        case 'c':
            archive_entry_set_filetype(e, AE_IFCHR);
            archive_entry_set_rdevmajor(e, 1);
            archive_entry_set_rdevminor(e, 3);
            break;
        case 'p':
            archive_entry_set_filetype(e, AE_IFIFO);
            break;
        case 'x':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, 0);
            archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
            archive_entry_xattr_add_entry(e, "user.ok", "1", 1);
            break;
        }
        archive_entry_set_perm(e, (mode_t)mode);
        archive_write_header(a, e);
        if (ents[i].type == 'f')
            archive_write_data(a, ents[i].data, strlen(ents[i].data));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static int
fresh_root(void)
{
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s/root %s/outside && mkdir -p %s/root %s/outside", base,
             base, base, base);
    if (system(cmd) != 0)
        abort();
    char p[300];
    snprintf(p, sizeof(p), "%s/root", base);
    return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool
outside_empty(void)
{
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s/outside)\" && test ! -e %s/evil", base, base);
    return system(cmd) == 0;
}

static int
unpack(const struct ent *ents, size_t n, const char *filter, bool devices, char *diff,
       struct kpod_err **err)
{
    _cleanup_close_ int fd = make_tar(ents, n, filter);
    _cleanup_close_ int root = fresh_root();
    struct kpod_unpack_opts o = {.allow_devices = devices, .whiteouts_as_overlay = true};
    return kpod_image_unpack_fd(fd, root, &o, diff, NULL, err);
}

static void
hostile(const char *what, const struct ent *ents, size_t n, const char *needle)
{
    _cleanup_err_ struct kpod_err *err = NULL;
    int r = unpack(ents, n, "gzip", false, NULL, &err);
    ok(r < 0 && err && strstr(err->msg, needle), "%s refused: %s", what,
       err ? err->msg : "(accepted)");
    ok(outside_empty(), "%s: nothing written outside", what);
}

static bool
exists(const char *rel)
{
    char p[600];
    struct stat st;
    snprintf(p, sizeof(p), "%s/root/%s", base, rel);
    return lstat(p, &st) == 0;
}

static void
test_normal(void)
{
    const struct ent ents[] = {
        {"./", 'd', NULL, 0755},
        {"etc/", 'd', NULL, 0755},
        {"etc/hostname", 'f', "kpod\n", 0640},
        {"bin/busybox", 'f', "#!/bin/sh\n", 04755},
        {"bin/sh", 'l', "busybox", 0777},
        {"bin/ash", 'h', "bin/busybox", 0},
        {"run/fifo", 'p', NULL, 0600},
        {"x", 'x', NULL, 0644},
    };
    char plain[KPOD_DIGEST_STR_LEN], gz[KPOD_DIGEST_STR_LEN], zs[KPOD_DIGEST_STR_LEN];
    _cleanup_err_ struct kpod_err *err = NULL;
    ok(unpack(ents, ARRAY_SIZE(ents), "none", false, plain, &err) == 0, "plain tar unpacks: %s",
       err ? err->msg : "");
    /* The diff id of a plain tar is the sha256 of the file itself. */
    _cleanup_close_ int fd = make_tar(ents, ARRAY_SIZE(ents), "none");
    char want[KPOD_DIGEST_STR_LEN];
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    kpod_sha256_file(path, want, &err);
    is_str(plain, want, "diff id of a plain tar");
    char p[600];
    struct stat st;
    snprintf(p, sizeof(p), "%s/root/bin/busybox", base);
    ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 04755 && st.st_nlink == 2,
       "setuid mode and hardlink kept");
    ok(st.st_mtime == 1000000000, "mtime kept");
    snprintf(p, sizeof(p), "%s/root/bin/sh", base);
    char tgt[64] = "";
    ok(readlink(p, tgt, sizeof(tgt) - 1) > 0 && strcmp(tgt, "busybox") == 0, "symlink target");
    snprintf(p, sizeof(p), "%s/root/etc", base);
    ok(stat(p, &st) == 0 && st.st_mtime == 1000000000, "directory mtime set last");
    snprintf(p, sizeof(p), "%s/root/run/fifo", base);
    ok(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode), "fifo");
    snprintf(p, sizeof(p), "%s/root/x", base);
    char v[8];
    ok(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) < 0, "trusted.overlay xattr dropped");
    ok(unpack(ents, ARRAY_SIZE(ents), "gzip", false, gz, &err) == 0, "gzip layer unpacks");
    is_str(gz, plain, "gzip diff id = plain diff id");
    ok(unpack(ents, ARRAY_SIZE(ents), "zstd", false, zs, &err) == 0, "zstd layer unpacks");
    is_str(zs, plain, "zstd diff id = plain diff id");
}

static void
test_whiteouts(void)
{
    if (geteuid() != 0) {
        tap_skip(3, "whiteouts need root");
        return;
    }
    const struct ent ents[] = {
        {"etc/.wh.passwd", 'f', "", 0},
        {"var/", 'd', NULL, 0755},
        {"var/.wh..wh..opq", 'f', "", 0},
        {"var/new", 'f', "n", 0},
    };
    _cleanup_err_ struct kpod_err *err = NULL;
    ok(unpack(ents, ARRAY_SIZE(ents), "gzip", false, NULL, &err) == 0, "whiteouts unpack: %s",
       err ? err->msg : "");
    char p[600];
    struct stat st;
    snprintf(p, sizeof(p), "%s/root/etc/passwd", base);
    ok(lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
       "whiteout is a 0/0 char device");
    snprintf(p, sizeof(p), "%s/root/var", base);
    char v[4] = "";
    ok(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y', "opaque dir");
}

static void
test_hostile(void)
{
    char abs_outside[400];
    snprintf(abs_outside, sizeof(abs_outside), "%s/outside", base);
    const struct ent dotdot[] = {{"../evil", 'f', "x", 0}};
    hostile("'..' path", dotdot, 1, "'..'");
    const struct ent dotdot2[] = {{"a/b/../../../evil", 'f', "x", 0}};
    hostile("nested '..'", dotdot2, 1, "'..'");
    const struct ent absolute[] = {{"/evil", 'f', "x", 0}};
    hostile("absolute path", absolute, 1, "absolute path");
    const struct ent via_link[] = {{"l", 'l', abs_outside, 0}, {"l/evil", 'f', "x", 0}};
    hostile("file through an absolute symlink", via_link, 2, "symlink or not a directory");
    const struct ent via_rel[] = {{"l", 'l', "../outside", 0}, {"l/evil", 'f', "x", 0}};
    hostile("file through a relative symlink", via_rel, 2, "symlink or not a directory");
    const struct ent dir_link[] = {
        {"d", 'd', NULL, 0}, {"d/l", 'l', "../..", 0}, {"d/l/outside/evil", 'f', "x", 0}};
    hostile("deep symlinked parent", dir_link, 3, "symlink or not a directory");
    const struct ent hl_out[] = {{"h", 'h', "../outside/f", 0}};
    hostile("hardlink with '..'", hl_out, 1, "'..'");
    const struct ent hl_abs[] = {{"h", 'h', "/etc/passwd", 0}};
    hostile("hardlink to an absolute path", hl_abs, 1, "absolute path");
    const struct ent hl_link[] = {{"l", 'l', "/etc", 0}, {"h", 'h', "l/passwd", 0}};
    hostile("hardlink through a symlink", hl_link, 2, "symlink or not a directory");
    const struct ent dev[] = {{"dev/mem", 'c', NULL, 0}};
    hostile("device file", dev, 1, "device files are not allowed");
    const struct ent badwh[] = {{"a/.wh...", 'f', "", 0}};
    hostile("whiteout of '..'", badwh, 1, "invalid whiteout");

    /* A file over a symlink replaces the symlink; it never writes through it. */
    char target[400];
    snprintf(target, sizeof(target), "%s/outside/victim", base);
    const struct ent over[] = {{"s", 'l', target, 0}, {"s", 'f', "owned", 0}};
    _cleanup_err_ struct kpod_err *err = NULL;
    ok(unpack(over, 2, "none", false, NULL, &err) == 0, "file replacing a symlink unpacks");
    ok(outside_empty() && exists("s"), "file replaced the symlink, nothing outside");

    /* Limits. */
    struct kpod_unpack_opts o = {.max_entries = 2, .whiteouts_as_overlay = true};
    const struct ent many[] = {{"a", 'f', "1", 0}, {"b", 'f', "2", 0}, {"c", 'f', "3", 0}};
    _cleanup_close_ int fd = make_tar(many, 3, "none");
    _cleanup_close_ int root = fresh_root();
    kpod_err_free(&err);
    ok(kpod_image_unpack_fd(fd, root, &o, NULL, NULL, &err) < 0 && strstr(err->msg, "entries"),
       "entry limit: %s", err ? err->msg : "");
    struct kpod_unpack_opts o2 = {.max_bytes = 10};
    const struct ent big[] = {{"big", 'f', "0123456789abcdef", 0}};
    _cleanup_close_ int fd2 = make_tar(big, 1, "gzip");
    _cleanup_close_ int root2 = fresh_root();
    kpod_err_free(&err);
    ok(kpod_image_unpack_fd(fd2, root2, &o2, NULL, NULL, &err) < 0 && strstr(err->msg, "bytes"),
       "byte limit: %s", err ? err->msg : "");

    /* Garbage and truncated streams. */
    int g = memfd_create("garbage", MFD_CLOEXEC);
    if (write(g, "\x1f\x8b\x08\x00garbage", 12) != 12)
        abort();
    lseek(g, 0, SEEK_SET);
    _cleanup_close_ int root3 = fresh_root();
    kpod_err_free(&err);
    ok(kpod_image_unpack_fd(g, root3, &o, NULL, NULL, &err) < 0, "corrupt gzip refused: %s",
       err ? err->msg : "");
    close(g);
    const struct ent one[] = {{"f", 'f', "hello world, this is a file", 0}};
    _cleanup_close_ int full = make_tar(one, 1, "none");
    if (ftruncate(full, 700) < 0)
        abort();
    _cleanup_close_ int root4 = fresh_root();
    kpod_err_free(&err);
    struct kpod_unpack_opts o3 = {0};
    ok(kpod_image_unpack_fd(full, root4, &o3, NULL, NULL, &err) < 0, "truncated tar refused: %s",
       err ? err->msg : "");
}

int
main(void)
{
    snprintf(base, sizeof(base), "/tmp/kpod-unpack-XXXXXX");
    if (mkdtemp(base) == NULL)
        abort();
    test_normal();
    test_whiteouts();
    test_hostile();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0)
        diag("cleanup failed");
    return tap_done();
}
