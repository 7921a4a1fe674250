/* Safe layer unpacking with libarchive. The compressed stream is decoded once: an outer
 * archive (any filter, "raw" format) feeds an inner tar reader and hashes the bytes it hands
 * over, which gives the layer's diff id in the same pass.
 *
 * Nothing is ever created or changed outside the layer directory: every path is split into
 * components, ".." and absolute paths are refused, and each parent is opened one component at
 * a time relative to the directory fd with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so
 * a symlink planted by an earlier entry is never followed. Entries are created with
 * *at() calls on that parent fd with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW. */
#include "image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/internal.h"

#define PATH_MAX_LEN 4096
#define NAME_MAX_LEN 255
#define SYMLINK_MAX 4096
#define XATTR_MAX_COUNT 128
#define XATTR_MAX_SIZE 65536
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct dirtime {
    char *path;
    struct timespec ts[2];
};

struct unpack {
    struct archive *outer, *inner;
    struct kpod_sha256 *hash;
    int rootfd;
    const struct kpod_unpack_opts *opts;
    uint64_t bytes, entries, max_bytes, max_entries;
    bool root;
    struct dirtime *dirs;
    size_t ndirs, dircap;
    char buf[128 * 1024];
    struct kpod_err *read_err;
};

static ssize_t
inner_read(struct archive *a, void *data, const void **ret_buf)
{
    struct unpack *u = data;
    la_ssize_t n = archive_read_data(u->outer, u->buf, sizeof(u->buf));
    if (n < 0) {
        archive_set_error(a, EIO, "%s", archive_error_string(u->outer));
        return -1;
    }
    kpod_sha256_update(u->hash, u->buf, (size_t)n);
    *ret_buf = u->buf;
    return n;
}

static int
openat2_beneath(int dirfd, const char *name, int flags)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

/* Splits an untrusted archive path into components; refuses absolute paths, "..", overlong
 * paths and names. Returns the number of components (0: the root itself). */
static int
split_path(const char *path, char ***ret, struct kpod_err **err)
{
    if (path == NULL)
        return kpod_err_input(err, "entry without a path");
    if (strlen(path) > PATH_MAX_LEN)
        return kpod_err_input(err, "'%.64s...': path longer than %d bytes", path, PATH_MAX_LEN);
    if (path[0] == '/')
        return kpod_err_input(err, "'%s': absolute path", path);
    _cleanup_strv_ char **parts = kpod_strv_split(path, "/", true);
    _cleanup_strv_ char **kept = xcalloc(1, sizeof(char *));
    for (size_t i = 0; parts[i] != NULL; i++) {
        if (strcmp(parts[i], ".") == 0)
            continue;
        if (strcmp(parts[i], "..") == 0)
            return kpod_err_input(err, "'%s': path with '..'", path);
        if (strlen(parts[i]) > NAME_MAX_LEN)
            return kpod_err_input(err, "'%.64s...': name longer than %d bytes", path, NAME_MAX_LEN);
        kpod_strv_push(&kept, parts[i]);
    }
    int n = (int)kpod_strv_len(kept);
    *ret = TAKE_PTR(kept);
    return n;
}

/* Opens the directory made of the first n components, creating missing ones (mode 0755) when
 * create. A component that is a symlink or not a directory is an error. */
static int
open_parent(int rootfd, char **comps, int n, bool create, const char *path, struct kpod_err **err)
{
    _cleanup_close_ int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        return kpod_err_sys(err, "dup");
    for (int i = 0; i < n; i++) {
        int fd = openat2_beneath(cur, comps[i], O_RDONLY | O_DIRECTORY);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(cur, comps[i], 0755) < 0 && errno != EEXIST)
                return kpod_err_sys(err, "'%s': create directory '%s'", path, comps[i]);
            fd = openat2_beneath(cur, comps[i], O_RDONLY | O_DIRECTORY);
        }
        if (fd < 0 && (errno == ELOOP || errno == ENOTDIR || errno == EXDEV))
            return kpod_err_input(err, "'%s': parent '%s' is a symlink or not a directory", path,
                                  comps[i]);
        if (fd < 0)
            return kpod_err_sys(err, "'%s': open parent '%s'", path, comps[i]);
        close(cur);
        cur = fd;
    }
    return TAKE_FD(cur);
}

/* Removes what is at name so that an entry can take its place (a directory only when empty,
 * or when the new entry is not a directory: then recursively, as tar does). */
static int
clear_name(int dirfd, const char *name, bool for_dir, const char *path, struct kpod_err **err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : kpod_err_sys(err, "'%s': stat", path);
    if (S_ISDIR(st.st_mode)) {
        if (for_dir)
            return 1; /* keep: metadata is updated */
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
            return kpod_err_sys(err, "'%s': replace directory", path);
        return 0;
    }
    if (unlinkat(dirfd, name, 0) < 0)
        return kpod_err_sys(err, "'%s': replace", path);
    return 0;
}

static bool
xattr_allowed(const char *name)
{
    if (kpod_str_has_prefix(name, "trusted.overlay.") || kpod_str_has_prefix(name, "user.overlay."))
        return false;
    return kpod_str_has_prefix(name, "user.") || kpod_str_has_prefix(name, "trusted.") ||
           strcmp(name, "security.capability") == 0;
}

static int
apply_xattrs(struct unpack *u, struct archive_entry *e, int fd, const char *path,
             struct kpod_err **err)
{
    int n = archive_entry_xattr_reset(e);
    if (n > XATTR_MAX_COUNT)
        return kpod_err_input(err, "'%s': more than %d extended attributes", path, XATTR_MAX_COUNT);
    const char *name;
    const void *val;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
        if (size > XATTR_MAX_SIZE)
            return kpod_err_input(err, "'%s': extended attribute '%s' too large", path, name);
        if (!xattr_allowed(name)) {
            kpod_debug("unpack: '%s': skipping extended attribute '%s'", path, name);
            continue;
        }
        if (fsetxattr(fd, name, val, size, 0) < 0) {
            if (errno == EOPNOTSUPP || !u->root) {
                kpod_debug("unpack: '%s': extended attribute '%s' not supported here", path, name);
                continue;
            }
            return kpod_err_sys(err, "'%s': set extended attribute '%s'", path, name);
        }
    }
    return 0;
}

/* Owner, mode, xattrs and times of an entry opened as fd (a file or a directory). */
static int
apply_meta_fd(struct unpack *u, struct archive_entry *e, int fd, const char *path,
              struct kpod_err **err)
{
    if (u->root && fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
        return kpod_err_sys(err, "'%s': chown", path);
    if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
        return kpod_err_sys(err, "'%s': chmod", path);
    if (apply_xattrs(u, e, fd, path, err) < 0)
        return -1;
    return 0;
}

static void
entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[0].tv_sec = archive_entry_atime_is_set(e) ? archive_entry_atime(e) : archive_entry_mtime(e);
    ts[0].tv_nsec = archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : 0;
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
}

static int
write_data(struct unpack *u, int fd, const char *path, struct kpod_err **err)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(u->inner, &buf, &size, &off)) == ARCHIVE_OK) {
        u->bytes += size;
        if (u->bytes > u->max_bytes)
            return kpod_err_input(err, "'%s': layer holds more than %llu bytes", path,
                                  (unsigned long long)u->max_bytes);
        const char *p = buf;
        while (size > 0) {
            ssize_t n = pwrite(fd, p, size, (off_t)off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return kpod_err_sys(err, "'%s': write", path);
            p += n;
            off += n;
            size -= (size_t)n;
        }
    }
    if (r != ARCHIVE_EOF)
        return kpod_err_input(err, "'%s': read data: %s", path, archive_error_string(u->inner));
    return 0;
}

static int
make_file(struct unpack *u, struct archive_entry *e, int dirfd, const char *name, const char *path,
          struct kpod_err **err)
{
    if (clear_name(dirfd, name, false, path, err) < 0)
        return -1;
    _cleanup_close_ int fd =
        openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return kpod_err_sys(err, "'%s': create", path);
    if (write_data(u, fd, path, err) < 0)
        return -1;
    if (ftruncate(fd, archive_entry_size(e)) < 0)
        return kpod_err_sys(err, "'%s': truncate", path);
    if (apply_meta_fd(u, e, fd, path, err) < 0)
        return -1;
    struct timespec ts[2];
    entry_times(e, ts);
    if (futimens(fd, ts) < 0)
        return kpod_err_sys(err, "'%s': set times", path);
    return 0;
}

static int
make_dir(struct unpack *u, struct archive_entry *e, int dirfd, const char *name, const char *path,
         struct kpod_err **err)
{
    int r = clear_name(dirfd, name, true, path, err);
    if (r < 0)
        return -1;
    if (r == 0 && mkdirat(dirfd, name, 0700) < 0)
        return kpod_err_sys(err, "'%s': create directory", path);
    _cleanup_close_ int fd = openat2_beneath(dirfd, name, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return kpod_err_sys(err, "'%s': open directory", path);
    if (apply_meta_fd(u, e, fd, path, err) < 0)
        return -1;
    xgrow((void **)&u->dirs, &u->dircap, u->ndirs + 1, sizeof(*u->dirs));
    u->dirs[u->ndirs].path = xstrdup(path);
    entry_times(e, u->dirs[u->ndirs].ts);
    u->ndirs++;
    return 0;
}

static int
meta_at(struct unpack *u, struct archive_entry *e, int dirfd, const char *name, bool symlink,
        const char *path, struct kpod_err **err)
{
    if (u->root && fchownat(dirfd, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                            AT_SYMLINK_NOFOLLOW) < 0)
        return kpod_err_sys(err, "'%s': chown", path);
    if (!symlink && fchmodat(dirfd, name, archive_entry_perm(e) & 07777, 0) < 0)
        return kpod_err_sys(err, "'%s': chmod", path);
    struct timespec ts[2];
    entry_times(e, ts);
    if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return kpod_err_sys(err, "'%s': set times", path);
    return 0;
}

static int
make_symlink(struct unpack *u, struct archive_entry *e, int dirfd, const char *name,
             const char *path, struct kpod_err **err)
{
    const char *target = archive_entry_symlink(e);
    if (target == NULL || *target == '\0' || strlen(target) > SYMLINK_MAX)
        return kpod_err_input(err, "'%s': symlink without a valid target", path);
    if (clear_name(dirfd, name, false, path, err) < 0)
        return -1;
    if (symlinkat(target, dirfd, name) < 0)
        return kpod_err_sys(err, "'%s': create symlink", path);
    return meta_at(u, e, dirfd, name, true, path, err);
}

static int
make_hardlink(struct unpack *u, int dirfd, const char *name, const char *target, const char *path,
              struct kpod_err **err)
{
    _cleanup_strv_ char **tc = NULL;
    int n = split_path(target, &tc, err);
    if (n < 0)
        return kpod_err_prefix(err, "'%s': hardlink target", path);
    if (n == 0)
        return kpod_err_input(err, "'%s': hardlink to the layer root", path);
    _cleanup_close_ int tdir = open_parent(u->rootfd, tc, n - 1, false, target, err);
    if (tdir < 0)
        return kpod_err_prefix(err, "'%s': hardlink target", path);
    struct stat st;
    if (fstatat(tdir, tc[n - 1], &st, AT_SYMLINK_NOFOLLOW) < 0)
        return kpod_err_sys(err, "'%s': hardlink target '%s'", path, target);
    if (S_ISDIR(st.st_mode))
        return kpod_err_input(err, "'%s': hardlink to directory '%s'", path, target);
    if (clear_name(dirfd, name, false, path, err) < 0)
        return -1;
    if (linkat(tdir, tc[n - 1], dirfd, name, 0) < 0)
        return kpod_err_sys(err, "'%s': link to '%s'", path, target);
    return 0;
}

static int
make_node(struct unpack *u, struct archive_entry *e, int dirfd, const char *name, const char *path,
          struct kpod_err **err)
{
    mode_t type = archive_entry_filetype(e);
    dev_t dev = 0;
    if (type == AE_IFCHR || type == AE_IFBLK) {
        if (!u->opts->allow_devices)
            return kpod_err_input(err, "'%s': device files are not allowed here", path);
        dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    } else if (type == AE_IFSOCK) {
        kpod_debug("unpack: '%s': skipping socket", path);
        return 0;
    }
    if (clear_name(dirfd, name, false, path, err) < 0)
        return -1;
    if (mknodat(dirfd, name, type | 0600, dev) < 0)
        return kpod_err_sys(err, "'%s': create node", path);
    return meta_at(u, e, dirfd, name, false, path, err);
}

static int
whiteout(struct unpack *u, int dirfd, const char *name, const char *path, struct kpod_err **err)
{
    if (!u->opts->whiteouts_as_overlay)
        return kpod_err_input(err, "'%s': whiteout not allowed here", path);
    if (strcmp(name, WH_OPAQUE) == 0) {
        if (fsetxattr(dirfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return kpod_err_sys(err, "'%s': mark directory opaque", path);
        return 0;
    }
    if (kpod_str_has_prefix(name, WH_PREFIX WH_PREFIX))
        return 0; /* aufs metadata (.wh..wh.plnk, ...) */
    const char *victim = name + strlen(WH_PREFIX);
    if (*victim == '\0' || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
        return kpod_err_input(err, "'%s': invalid whiteout", path);
    struct stat st;
    if (fstatat(dirfd, victim, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(st.st_mode))
            return kpod_err_input(err, "'%s': whiteout of a directory of the same layer", path);
        if (unlinkat(dirfd, victim, 0) < 0)
            return kpod_err_sys(err, "'%s': whiteout", path);
    }
    if (mknodat(dirfd, victim, S_IFCHR | 0000, makedev(0, 0)) < 0)
        return kpod_err_sys(err, "'%s': create whiteout", path);
    return 0;
}

static int
unpack_entry(struct unpack *u, struct archive_entry *e, struct kpod_err **err)
{
    const char *path = archive_entry_pathname(e);
    if (++u->entries > u->max_entries)
        return kpod_err_input(err, "more than %llu entries", (unsigned long long)u->max_entries);
    _cleanup_strv_ char **comps = NULL;
    int n = split_path(path, &comps, err);
    if (n <= 0)
        return n; /* the root entry ("./") */
    const char *name = comps[n - 1];
    _cleanup_close_ int dirfd = open_parent(u->rootfd, comps, n - 1, true, path, err);
    if (dirfd < 0)
        return -1;
    if (kpod_str_has_prefix(name, WH_PREFIX))
        return whiteout(u, dirfd, name, path, err);
    const char *hardlink = archive_entry_hardlink(e);
    if (hardlink != NULL)
        return make_hardlink(u, dirfd, name, hardlink, path, err);
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        return make_file(u, e, dirfd, name, path, err);
    case AE_IFDIR:
        return make_dir(u, e, dirfd, name, path, err);
    case AE_IFLNK:
        return make_symlink(u, e, dirfd, name, path, err);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
    case AE_IFSOCK:
        return make_node(u, e, dirfd, name, path, err);
    default:
        return kpod_err_input(err, "'%s': unsupported entry type 0%o", path,
                              (unsigned)archive_entry_filetype(e));
    }
}

/* Directory times last, deepest first, since creating entries changes them. */
static void
set_dir_times(struct unpack *u)
{
    for (size_t i = u->ndirs; i > 0; i--) {
        struct dirtime *d = &u->dirs[i - 1];
        _cleanup_strv_ char **comps = NULL;
        _cleanup_err_ struct kpod_err *e = NULL;
        int n = split_path(d->path, &comps, &e);
        if (n <= 0)
            continue;
        _cleanup_close_ int fd = open_parent(u->rootfd, comps, n, false, d->path, &e);
        if (fd >= 0)
            futimens(fd, d->ts);
    }
}

static void
unpack_free(struct unpack *u)
{
    for (size_t i = 0; i < u->ndirs; i++)
        free(u->dirs[i].path);
    free(u->dirs);
    kpod_sha256_free(u->hash);
    if (u->inner != NULL)
        archive_read_free(u->inner);
    if (u->outer != NULL)
        archive_read_free(u->outer);
    free(u);
}

struct reader {
    unpack_read_fn fn;
    void *data;
    char buf[128 * 1024];
};

static la_ssize_t
outer_read(struct archive *a, void *data, const void **ret_buf)
{
    struct reader *r = data;
    ssize_t n = r->fn(r->data, r->buf, sizeof(r->buf));
    if (n < 0) {
        archive_set_error(a, errno, "read: %s", strerror(errno));
        return -1;
    }
    *ret_buf = r->buf;
    return n;
}

static int
open_archives(struct unpack *u, int fd, struct reader *rd, struct kpod_err **err)
{
    struct archive_entry *raw;
    u->outer = archive_read_new();
    archive_read_support_filter_all(u->outer);
    archive_read_support_format_raw(u->outer);
    int r = rd != NULL ? archive_read_open(u->outer, rd, NULL, outer_read, NULL)
                       : archive_read_open_fd(u->outer, fd, 128 * 1024);
    if (r != ARCHIVE_OK || archive_read_next_header(u->outer, &raw) != ARCHIVE_OK)
        return kpod_err_input(err, "open layer: %s", archive_error_string(u->outer));
    u->inner = archive_read_new();
    archive_read_support_format_tar(u->inner);
    if (archive_read_open(u->inner, u, NULL, inner_read, NULL) != ARCHIVE_OK)
        return kpod_err_input(err, "read layer: %s", archive_error_string(u->inner));
    return 0;
}

static int
unpack_any(int fd, struct reader *rd, int dirfd, const struct kpod_unpack_opts *opts,
           char ret_diff_id[KPOD_DIGEST_STR_LEN], uint64_t *ret_size, struct kpod_err **err)
{
    struct unpack *u = xzalloc(sizeof(*u));
    u->hash = kpod_sha256_new();
    u->rootfd = dirfd;
    u->opts = opts;
    u->root = geteuid() == 0;
    u->max_bytes = opts->max_bytes ? opts->max_bytes : (64ull << 30);
    u->max_entries = opts->max_entries ? opts->max_entries : 1000000;
    int r = open_archives(u, fd, rd, err);
    struct archive_entry *e;
    while (r == 0) {
        int ar = archive_read_next_header(u->inner, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar == ARCHIVE_WARN) {
            kpod_debug("unpack: %s", archive_error_string(u->inner));
        } else if (ar != ARCHIVE_OK) {
            r = kpod_err_input(err, "read layer: %s", archive_error_string(u->inner));
            break;
        }
        r = unpack_entry(u, e, err);
    }
    if (r == 0) {
        /* Hash what follows the tar's end-of-archive blocks, too. */
        la_ssize_t n;
        while ((n = archive_read_data(u->outer, u->buf, sizeof(u->buf))) > 0)
            kpod_sha256_update(u->hash, u->buf, (size_t)n);
        if (n < 0)
            r = kpod_err_input(err, "read layer: %s", archive_error_string(u->outer));
    }
    if (r == 0) {
        set_dir_times(u);
        char diff[KPOD_DIGEST_STR_LEN];
        kpod_sha256_final(u->hash, diff);
        if (ret_diff_id != NULL)
            memcpy(ret_diff_id, diff, KPOD_DIGEST_STR_LEN);
        if (ret_size != NULL)
            *ret_size = u->bytes;
    }
    unpack_free(u);
    return r < 0 ? kpod_err_prefix(err, "unpack layer") : 0;
}

int
kpod_image_unpack_fd(int fd, int dirfd, const struct kpod_unpack_opts *opts,
                     char ret_diff_id[KPOD_DIGEST_STR_LEN], uint64_t *ret_size,
                     struct kpod_err **err)
{
    return unpack_any(fd, NULL, dirfd, opts, ret_diff_id, ret_size, err);
}

int
unpack_reader(unpack_read_fn fn, void *data, int dirfd, const struct kpod_unpack_opts *opts,
              char ret_diff_id[KPOD_DIGEST_STR_LEN], uint64_t *ret_size, struct kpod_err **err)
{
    struct reader *rd = xmalloc(sizeof(*rd));
    rd->fn = fn;
    rd->data = data;
    int r = unpack_any(-1, rd, dirfd, opts, ret_diff_id, ret_size, err);
    free(rd);
    return r;
}
