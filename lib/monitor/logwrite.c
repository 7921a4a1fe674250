/* The k8s-file log writer of the console watcher: records batched into one writev a chunk,
 * rotation by size that keeps history as numbered files, and counting instead of failing. */
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct kpod_logw {
    char *path;
    int fd;
    uint64_t size, max_size;
    unsigned max_files;
    uint64_t dropped;
};

static int
open_log(struct kpod_logw *w)
{
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (w->fd < 0)
        return -1;
    struct stat st;
    w->size = fstat(w->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

struct kpod_logw *
kpod_logw_open(const char *path, uint64_t max_size, unsigned max_files, struct kpod_err **err)
{
    struct kpod_logw *w = xzalloc(sizeof(*w));
    w->path = xstrdup(path);
    w->max_size = max_size;
    w->max_files = max_files;
    if (open_log(w) < 0) {
        kpod_err_sys(err, "open log '%s'", path);
        free(w->path);
        free(w);
        return NULL;
    }
    return w;
}

/* FILE -> FILE.1 -> FILE.2 ... up to max_files; the oldest falls off. */
static void
rotate(struct kpod_logw *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    if (w->max_files == 0) {
        if (truncate(w->path, 0) < 0 && errno != ENOENT)
            kpod_debug("truncate '%s': %m", w->path);
    } else {
        for (unsigned i = w->max_files; i >= 1; i--) {
            _cleanup_free_ char *from =
                i == 1 ? xstrdup(w->path) : xasprintf("%s.%u", w->path, i - 1);
            _cleanup_free_ char *to = xasprintf("%s.%u", w->path, i);
            if (rename(from, to) < 0 && errno != ENOENT)
                kpod_debug("rotate '%s': %m", from);
        }
    }
    if (open_log(w) < 0)
        w->fd = -1;
}

struct batch {
    struct iovec iov[IOV_MAX];
    int n;
    size_t bytes;
};

static void
flush(struct kpod_logw *w, struct batch *b)
{
    if (b->n == 0)
        return;
    if (w->fd < 0 && open_log(w) < 0)
        w->fd = -1;
    size_t want = b->bytes;
    ssize_t n = w->fd >= 0 ? writev(w->fd, b->iov, b->n) : -1;
    if (n < 0)
        n = 0;
    /* A short write (disk full) loses the rest; count it and carry on. */
    w->size += (uint64_t)n;
    if ((size_t)n < want)
        w->dropped += want - (size_t)n;
    b->n = 0;
    b->bytes = 0;
}

static void
add(struct kpod_logw *w, struct batch *b, const char *p, size_t len)
{
    if (b->n == IOV_MAX)
        flush(w, b);
    b->iov[b->n++] = (struct iovec){.iov_base = (void *)p, .iov_len = len};
    b->bytes += len;
}

void
kpod_logw_write(struct kpod_logw *w, enum kpod_log_stream stream, const char *buf, size_t len,
                int64_t now_ns)
{
    char ts[40], full[64], part[64];
    kpod_log_format_time(now_ns, ts);
    const char *name = stream == KPOD_LOG_STDERR ? "stderr" : "stdout";
    int hl = snprintf(full, sizeof(full), "%s %s F ", ts, name);
    snprintf(part, sizeof(part), "%s %s P ", ts, name);
    struct batch b = {.n = 0};
    static const char nl = '\n';
    size_t pos = 0;
    while (pos < len) {
        const char *start = buf + pos;
        const char *eol = memchr(start, '\n', len - pos);
        size_t clen = eol ? (size_t)(eol - start) : len - pos;
        size_t rec = (size_t)hl + clen + 1;
        if (w->max_size > 0 && w->size + b.bytes + rec > w->max_size && w->size + b.bytes > 0) {
            flush(w, &b);
            rotate(w);
        }
        add(w, &b, eol ? full : part, (size_t)hl);
        add(w, &b, start, clen);
        add(w, &b, &nl, 1);
        pos += clen + (eol ? 1 : 0);
    }
    flush(w, &b);
}

uint64_t
kpod_logw_dropped(const struct kpod_logw *w)
{
    return w->dropped;
}

void
kpod_logw_close(struct kpod_logw *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w->path);
    free(w);
}
