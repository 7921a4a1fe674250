/* Reading one file of an image through its layers, as overlayfs would show it. */
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/internal.h"

enum {
    LAYER_MISS,   /* not in this layer: look below */
    LAYER_HIDDEN, /* whited out, or below an opaque directory: not in the image */
    LAYER_FOUND,
};

static bool
is_opaque(int dirfd)
{
    char v[2] = "";
    return fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* Walks comps in one layer; on FOUND, *ret_fd is the file opened for reading. */
static int
walk_layer(const char *diff, char **comps, const char *path, int *ret_fd, struct kpod_err **err)
{
    _cleanup_close_ int cur = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return kpod_err_sys(err, "open layer '%s'", diff);
    bool opaque = false;
    for (size_t i = 0; comps[i] != NULL; i++) {
        bool last = comps[i + 1] == NULL;
        struct stat st;
        if (fstatat(cur, comps[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT)
                return kpod_err_sys(err, "'%s'", path);
            return opaque ? LAYER_HIDDEN : LAYER_MISS;
        }
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
            return LAYER_HIDDEN;
        if (S_ISLNK(st.st_mode))
            return kpod_err_input(err, "'%s': '%s' is a symlink, which is not followed", path,
                                  comps[i]);
        if (last) {
            if (!S_ISREG(st.st_mode))
                return kpod_err_input(err, "'%s' is not a regular file", path);
            int fd = openat(cur, comps[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0)
                return kpod_err_sys(err, "open '%s'", path);
            *ret_fd = fd;
            return LAYER_FOUND;
        }
        if (!S_ISDIR(st.st_mode))
            return LAYER_HIDDEN; /* a file where a directory is needed */
        int next = openat(cur, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            return kpod_err_sys(err, "'%s'", path);
        close(cur);
        cur = next;
        opaque = opaque || is_opaque(cur);
    }
    return LAYER_MISS;
}

static int
read_fd(int fd, size_t max, const char *path, char **ret_buf, size_t *ret_len,
        struct kpod_err **err)
{
    _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", fd);
    if (kpod_fs_read_file(p, max, ret_buf, ret_len, err) < 0)
        return kpod_err_prefix(err, "read '%s'", path);
    return 0;
}

int
kpod_image_read_file(const char *root, const char *name, const char *path, size_t max,
                     char **ret_buf, size_t *ret_len, struct kpod_err **err)
{
    _cleanup_strv_ char **comps = kpod_strv_split(path, "/", true);
    for (size_t i = 0; comps[i] != NULL; i++)
        if (strcmp(comps[i], "..") == 0 || strcmp(comps[i], ".") == 0)
            return kpod_err_input(err, "image file '%s': '.' and '..' are not allowed", path);
    if (comps[0] == NULL)
        return kpod_err_input(err, "image file '%s': not a file", path);
    _cleanup_strv_ char **lowers = NULL;
    if (kpod_image_rootfs_layers(root, name, &lowers, err) < 0)
        return -1;
    for (size_t i = 0; lowers[i] != NULL; i++) {
        _cleanup_close_ int fd = -1;
        int r = walk_layer(lowers[i], comps, path, &fd, err);
        if (r < 0)
            return kpod_err_prefix(err, "image '%s'", name);
        if (r == LAYER_FOUND)
            return read_fd(fd, max, path, ret_buf, ret_len, err);
        if (r == LAYER_HIDDEN)
            break;
    }
    return kpod_err_notfound(err, "image '%s': no file '%s'", name, path);
}
