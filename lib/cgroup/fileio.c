/* Reading and writing cgroup files: one open and one read or write per call, no stdio, errors
 * that name the file and the value. */
#include "cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
join(char *buf, size_t size, const char *dir, const char *file)
{
    int n = snprintf(buf, size, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

ssize_t
cg_read(const char *dir, const char *file, char *buf, size_t size, struct kpod_err **err)
{
    char path[PATH_MAX];
    if (join(path, sizeof(path), dir, file) < 0)
        return kpod_err_sys(err, "read '%s/%s'", dir, file);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "read '%s'", path);
    ssize_t n = kpod_fs_read_all(fd, buf, size - 1);
    if (n < 0)
        return kpod_err_sys(err, "read '%s'", path);
    buf[n] = '\0';
    return n;
}

int
cg_read_u64(const char *dir, const char *file, uint64_t *ret, struct kpod_err **err)
{
    char buf[64];
    if (cg_read(dir, file, buf, sizeof(buf), err) < 0)
        return -1;
    if (kpod_cgroup_parse_value(buf, ret) < 0) {
        buf[strcspn(buf, "\n")] = '\0';
        return kpod_err_msg(err, "read '%s/%s': unexpected content '%s'", dir, file, buf);
    }
    return 0;
}

int
cg_write(const char *dir, const char *file, const char *value, struct kpod_err **err)
{
    char path[PATH_MAX];
    if (join(path, sizeof(path), dir, file) < 0)
        return kpod_err_sys(err, "write '%s' to '%s/%s'", value, dir, file);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "write '%s' to '%s'", value, path);
    size_t len = strlen(value);
    ssize_t n;
    do {
        n = write(fd, value, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return kpod_err_sys(err, "write '%s' to '%s'", value, path);
    if ((size_t)n != len)
        return kpod_err_msg(err, "write '%s' to '%s': short write", value, path);
    return 0;
}

int
cg_writef(const char *dir, const char *file, struct kpod_err **err, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(value))
        return kpod_err_msg(err, "write to '%s/%s': value too long", dir, file);
    return cg_write(dir, file, value, err);
}

bool
cg_file_exists(const char *dir, const char *file)
{
    char path[PATH_MAX];
    if (join(path, sizeof(path), dir, file) < 0)
        return false;
    return access(path, F_OK) == 0;
}

void
cg_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}
