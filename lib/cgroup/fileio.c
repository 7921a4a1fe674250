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

static int
parse_u64_file(const char *dir, const char *file, char *buf, uint64_t *ret, struct kpod_err **err)
{
    if (kpod_cgroup_parse_value(buf, ret) < 0) {
        buf[strcspn(buf, "\n")] = '\0';
        return kpod_err_msg(err, "read '%s/%s': unexpected content '%s'", dir, file, buf);
    }
    return 0;
}

int
cg_read_u64(const char *dir, const char *file, uint64_t *ret, struct kpod_err **err)
{
    char buf[64];
    if (cg_read(dir, file, buf, sizeof(buf), err) < 0)
        return -1;
    return parse_u64_file(dir, file, buf, ret, err);
}

static int
kept_fd(struct kpod_cgroup *cg, const char *dir, const char *file, struct kpod_err **err)
{
    for (size_t i = 0; i < cg->nfiles; i++) {
        if (cg->files[i].dir != dir || strcmp(cg->files[i].file, file) != 0)
            continue;
        if (cg->files[i].fd < 0) /* known missing: no lookup each sample */
            return kpod_err_set(err, KPOD_ERR_INTERNAL, ENOENT, "read '%s/%s'", dir, file);
        return cg->files[i].fd;
    }
    char path[PATH_MAX];
    if (join(path, sizeof(path), dir, file) < 0)
        return kpod_err_sys(err, "read '%s/%s'", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT)
        return kpod_err_sys(err, "read '%s'", path);
    if (cg->nfiles < CG_MAX_OPEN_FILES)
        cg->files[cg->nfiles++] = (struct cg_open_file){.dir = dir, .file = file, .fd = fd};
    if (fd < 0)
        return kpod_err_set(err, KPOD_ERR_INTERNAL, ENOENT, "read '%s'", path);
    return fd;
}

ssize_t
cg_read_stat(struct kpod_cgroup *cg, const char *dir, const char *file, char *buf, size_t size,
             struct kpod_err **err)
{
    if (!cg->keep_files)
        return cg_read(dir, file, buf, size, err);
    int fd = kept_fd(cg, dir, file, err);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < size - 1) {
        ssize_t n = pread(fd, buf + got, size - 1 - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kpod_err_sys(err, "read '%s/%s'", dir, file);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    bool kept = cg->nfiles > 0 && cg->files[cg->nfiles - 1].fd == fd;
    for (size_t i = 0; !kept && i < cg->nfiles; i++)
        kept = cg->files[i].fd == fd;
    if (!kept)
        close(fd); /* the cache was full */
    return (ssize_t)got;
}

int
cg_read_stat_u64(struct kpod_cgroup *cg, const char *dir, const char *file, uint64_t *ret,
                 struct kpod_err **err)
{
    char buf[64];
    if (cg_read_stat(cg, dir, file, buf, sizeof(buf), err) < 0)
        return -1;
    return parse_u64_file(dir, file, buf, ret, err);
}

void
cg_close_files(struct kpod_cgroup *cg)
{
    for (size_t i = 0; i < cg->nfiles; i++) {
        if (cg->files[i].fd >= 0)
            close(cg->files[i].fd);
    }
    cg->nfiles = 0;
}

int
cg_write(const char *dir, const char *file, const char *value, struct kpod_err **err)
{
    char path[PATH_MAX];
    if (join(path, sizeof(path), dir, file) < 0)
        return kpod_err_sys(err, "write '%s' to '%s/%s'", value, dir, file);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && access(dir, F_OK) == 0)
        return kpod_err_msg(err, "write '%s' to '%s': no such file (controller not available)",
                            value, path);
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
