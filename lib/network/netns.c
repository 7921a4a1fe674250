/* Network namespaces pinned by a bind mount (like `ip netns add`), so they outlive every
 * process: the sandbox's infra joins it, and teardown unmounts and removes the pin. */
#include "network/network.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/stat.h>

int
kpod_netns_enter(const char *path, int *ret_old, struct kpod_err **err)
{
    _cleanup_close_ int old = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (old < 0)
        return kpod_err_sys(err, "open the current network namespace");
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "open network namespace '%s'", path);
    if (setns(fd, CLONE_NEWNET) < 0)
        return kpod_err_sys(err, "enter network namespace '%s'", path);
    *ret_old = TAKE_FD(old);
    return 0;
}

int
kpod_netns_leave(int old, struct kpod_err **err)
{
    int r = setns(old, CLONE_NEWNET);
    int saved = errno;
    close(old);
    errno = saved;
    if (r < 0)
        return kpod_err_sys(err, "return to the host network namespace");
    return 0;
}

int
kpod_netns_create(const char *path, struct kpod_err **err)
{
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (kpod_fs_mkdir_p(dir, 0700, err) < 0)
            return -1;
    }
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        /* a live pin is an error; an empty file left by a crash is replaced */
        struct statfs sf;
        if (statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC)
            return kpod_err_input(err, "network namespace '%s' already exists", path);
        if (unlink(path) < 0)
            return kpod_err_sys(err, "remove stale '%s'", path);
        fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return kpod_err_sys(err, "create '%s'", path);
    close(fd);
    _cleanup_close_ int old = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (old < 0) {
        kpod_err_sys(err, "open the current network namespace");
        unlink(path);
        return -1;
    }
    if (unshare(CLONE_NEWNET) < 0) {
        kpod_err_sys(err, "create a network namespace");
        unlink(path);
        return -1;
    }
    int r = mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL);
    if (r < 0)
        kpod_err_sys(err, "pin network namespace at '%s'", path);
    if (setns(old, CLONE_NEWNET) < 0) {
        /* cannot continue in the wrong namespace */
        kpod_err_sys(err, "return to the host network namespace");
        abort();
    }
    if (r < 0) {
        unlink(path);
        return -1;
    }
    return 0;
}

int
kpod_netns_delete(const char *path, struct kpod_err **err)
{
    if (path == NULL || *path == '\0')
        return 0;
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return kpod_err_sys(err, "unmount network namespace '%s'", path);
    if (unlink(path) < 0 && errno != ENOENT)
        return kpod_err_sys(err, "remove '%s'", path);
    return 0;
}
