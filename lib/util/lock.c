#include "util/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

static int
op_for(enum kpod_lock_mode mode)
{
    return mode == KPOD_LOCK_SHARED ? LOCK_SH : LOCK_EX;
}

int
kpod_lock_acquire(const char *path, enum kpod_lock_mode mode, bool nonblock, struct kpod_err **err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return kpod_err_sys(err, "open lock '%s'", path);
    int op = op_for(mode) | (nonblock ? LOCK_NB : 0);
    while (flock(fd, op) < 0) {
        if (errno == EINTR)
            continue;
        int saved = errno;
        close(fd);
        if (saved == EWOULDBLOCK)
            return kpod_err_set(err, KPOD_ERR_INVOKE, saved, "lock '%s'", path);
        errno = saved;
        return kpod_err_sys(err, "lock '%s'", path);
    }
    return fd;
}

int
kpod_lock_change(int fd, enum kpod_lock_mode mode, struct kpod_err **err)
{
    while (flock(fd, op_for(mode)) < 0) {
        if (errno != EINTR)
            return kpod_err_sys(err, "change lock mode");
    }
    return 0;
}

void
kpod_lock_release(int fd)
{
    if (fd < 0)
        return;
    int saved = errno;
    flock(fd, LOCK_UN);
    close(fd);
    errno = saved;
}
