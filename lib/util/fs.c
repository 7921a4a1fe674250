#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

int
kpod_fs_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t
kpod_fs_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static int
fsync_parent(const char *path)
{
    _cleanup_free_ char *copy = xstrdup(path);
    _cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    return fsync(dfd);
}

int
kpod_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                     struct kpod_err **err)
{
    _cleanup_free_ char *tmp = xasprintf("%s.tmpXXXXXX", path);
    _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "create temporary file for '%s'", path);
    if (kpod_fs_write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
        kpod_err_sys(err, "write '%s'", tmp);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) < 0) {
        kpod_err_sys(err, "rename '%s' to '%s'", tmp, path);
        unlink(tmp);
        return -1;
    }
    if (fsync_parent(path) < 0)
        return kpod_err_sys(err, "sync directory of '%s'", path);
    return 0;
}

int
kpod_fs_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len,
                  struct kpod_err **err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int kind = errno == ENOENT ? KPOD_ERR_NOTFOUND : KPOD_ERR_INTERNAL;
        return kpod_err_set(err, kind, errno, "open '%s'", path);
    }
    size_t cap = max < 4096 ? max : 4096, len = 0;
    _cleanup_free_ char *buf = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap >= max) {
                char extra;
                ssize_t more = kpod_fs_read_all(fd, &extra, 1);
                if (more < 0)
                    return kpod_err_sys(err, "read '%s'", path);
                if (more > 0)
                    return kpod_err_input(err, "read '%s': larger than %zu bytes", path, max);
                break;
            }
            cap = cap > max / 2 ? max : cap * 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return kpod_err_sys(err, "read '%s'", path);
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (ret_len != NULL)
        *ret_len = len;
    *ret_buf = TAKE_PTR(buf);
    return 0;
}

int
kpod_fs_mkdir_p(const char *path, mode_t mode, struct kpod_err **err)
{
    /* The deepest directory first: most calls find their parent there already, so this costs
     * one mkdir instead of one per component. Walk up only as far as something is missing. */
    _cleanup_free_ char *p = xstrdup(path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    char *end = p + n; /* the components after end were cut off, to be made on the way down */
    for (;;) {
        if (mkdir(p, mode) == 0 || errno == EEXIST)
            break;
        if (errno != ENOENT)
            return kpod_err_sys(err, "create directory '%s'", p);
        char *slash = strrchr(p, '/');
        if (slash == NULL || slash == p)
            return kpod_err_sys(err, "create directory '%s'", p);
        *slash = '\0';
    }
    for (char *s = p + strlen(p); s < end; s += strlen(s)) {
        *s = '/';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return kpod_err_sys(err, "create directory '%s'", p);
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return kpod_err_sys(err, "stat '%s'", path);
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return kpod_err_sys(err, "create directory '%s'", path);
    }
    return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int r = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    if (r < 0 && errno != ENOENT)
        return -1;
    return 0;
}

int
kpod_fs_rm_rf(const char *path, struct kpod_err **err)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return kpod_err_sys(err, "stat '%s'", path);
    }
    if (nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
        return kpod_err_sys(err, "remove '%s'", path);
    return 0;
}

bool
kpod_fs_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

char *
kpod_fs_join_in_root(const char *root, const char *path)
{
    _cleanup_strv_ char **parts = kpod_strv_split(path, "/", true);
    _cleanup_strv_ char **kept = xcalloc(1, sizeof(char *));
    for (size_t i = 0; parts[i] != NULL; i++) {
        if (strcmp(parts[i], ".") == 0)
            continue;
        if (strcmp(parts[i], "..") == 0) {
            size_t n = kpod_strv_len(kept);
            if (n > 0) {
                free(kept[n - 1]);
                kept[n - 1] = NULL;
            }
            continue;
        }
        kpod_strv_push(&kept, parts[i]);
    }
    _cleanup_free_ char *rel = kpod_strv_join(kept, "/");
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    if (*rel == '\0')
        return xstrndup(root, rl);
    if (rl == 1 && root[0] == '/')
        return xasprintf("/%s", rel);
    return xasprintf("%.*s/%s", (int)rl, root, rel);
}

int
kpod_fs_openat_in_root(int rootfd, const char *path, int flags, mode_t mode, struct kpod_err **err)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    const char *rel = path;
    while (*rel == '/')
        rel++;
    if (*rel == '\0')
        rel = ".";
    int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
    if (fd < 0)
        return kpod_err_sys(err, "open '%s' in root", path);
    return fd;
}

/* Opens the already-resolved components in kept as a directory, refusing any symlink. */
static int
open_resolved(int rootfd, char **kept, int flags, struct kpod_err **err)
{
    _cleanup_free_ char *rel = kpod_strv_join(kept, "/");
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
    if (fd < 0)
        return kpod_err_sys(err, "open '/%s' in root", rel);
    return fd;
}

/* Prepends the components of s to the queue *todo (a vector consumed from the front). */
static void
queue_front(char ***todo, size_t *pos, const char *s)
{
    _cleanup_strv_ char **parts = kpod_strv_split(s, "/", true);
    _cleanup_strv_ char **rest = kpod_strv_dup(*todo + *pos);
    char **merged = kpod_strv_dup(parts);
    for (size_t i = 0; rest[i] != NULL; i++)
        kpod_strv_push(&merged, rest[i]);
    kpod_strv_free(*todo);
    *todo = merged;
    *pos = 0;
}

int
kpod_fs_mkdirat_in_root(int rootfd, const char *path, mode_t mode, struct kpod_err **err)
{
    /* Walks one component at a time, resolving symlinks itself (absolute targets restart at the
     * root, ".." never rises above it) and creating what is missing; every open refuses
     * symlinks, so a concurrent swap cannot redirect it outside. */
    _cleanup_strv_ char **todo = kpod_strv_split(path, "/", true);
    _cleanup_strv_ char **kept = xcalloc(1, sizeof(char *));
    size_t pos = 0;
    int links = 0;
    while (todo[pos] != NULL) {
        const char *comp = todo[pos];
        if (strcmp(comp, ".") == 0) {
            pos++;
            continue;
        }
        if (strcmp(comp, "..") == 0) {
            size_t n = kpod_strv_len(kept);
            if (n > 0) {
                free(kept[n - 1]);
                kept[n - 1] = NULL;
            }
            pos++;
            continue;
        }
        _cleanup_close_ int dfd = open_resolved(rootfd, kept, O_PATH | O_DIRECTORY, err);
        if (dfd < 0)
            return -1;
        struct stat st;
        if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT)
                return kpod_err_sys(err, "stat '%s' in root", comp);
            if (mkdirat(dfd, comp, mode) < 0 && errno != EEXIST)
                return kpod_err_sys(err, "create directory '%s' in root", comp);
            continue; /* look again: it may have raced into something else */
        }
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlinkat(dfd, comp, target, sizeof(target) - 1);
            if (n < 0)
                return kpod_err_sys(err, "read link '%s' in root", comp);
            if (++links > 40) {
                errno = ELOOP;
                return kpod_err_sys(err, "resolve '%s' in root", path);
            }
            target[n] = '\0';
            if (target[0] == '/') {
                kpod_strv_free(kept);
                kept = xcalloc(1, sizeof(char *));
            }
            pos++;
            queue_front(&todo, &pos, target);
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return kpod_err_sys(err, "create directory '%s' in root", path);
        }
        kpod_strv_push(&kept, comp);
        pos++;
    }
    return open_resolved(rootfd, kept, O_PATH | O_DIRECTORY, err);
}

char *
kpod_fs_helper_path(const char *self, const char *name)
{
    const char *env = getenv("KPOD_HELPER_DIR");
    _cleanup_free_ char *copy = xstrdup(self ? self : "");
    const char *dir = dirname(copy);
    char *candidates[3] = {
        env && *env ? xasprintf("%s/%s", env, name) : NULL,
        xasprintf("%s/%s", dir, name),
        xasprintf("%s/../libexec/kpod/%s", dir, name),
    };
    char *found = NULL;
    for (size_t i = 0; i < 3; i++) {
        if (found == NULL && candidates[i] != NULL && access(candidates[i], X_OK) == 0)
            found = TAKE_PTR(candidates[i]);
        free(candidates[i]);
    }
    return found;
}
