/* The k8s-file log reader behind `kpod logs`: rotated files in order, --tail from the end
 * without reading the whole log, --since/--until, and following across rotation. */
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

int
kpod_log_parse_record(const char *line, size_t len, struct kpod_log_rec *ret)
{
    const char *sp1 = memchr(line, ' ', len);
    if (sp1 == NULL)
        return -1;
    const char *p = sp1 + 1, *end = line + len;
    struct kpod_log_rec r = {.ts = line, .ts_len = (size_t)(sp1 - line)};
    if ((size_t)(end - p) >= 7 && memcmp(p, "stdout ", 7) == 0)
        r.stream = KPOD_LOG_STDOUT;
    else if ((size_t)(end - p) >= 7 && memcmp(p, "stderr ", 7) == 0)
        r.stream = KPOD_LOG_STDERR;
    else
        return -1;
    p += 7;
    if (end - p < 1 || (*p != 'F' && *p != 'P'))
        return -1;
    r.partial = *p == 'P';
    p++;
    if (p < end) {
        if (*p != ' ')
            return -1;
        p++;
    }
    r.content = p;
    r.len = (size_t)(end - p);
    if (kpod_log_parse_time(r.ts, r.ts_len, &r.ts_ns) < 0)
        return -1;
    *ret = r;
    return 0;
}

/* The files of a log, oldest first: FILE.N ... FILE.1, FILE. */
static char **
log_files(const char *path)
{
    char **v = xcalloc(1, sizeof(char *));
    unsigned n = 0;
    for (;;) {
        _cleanup_free_ char *p = xasprintf("%s.%u", path, n + 1);
        if (access(p, F_OK) < 0)
            break;
        n++;
    }
    for (unsigned i = n; i >= 1; i--)
        kpod_strv_push_take(&v, xasprintf("%s.%u", path, i));
    kpod_strv_push(&v, path);
    return v;
}

/* Per-stream assembly state: whether the current line passed the filters. */
struct reader {
    const struct kpod_logs_opts *opts;
    unsigned mask;        /* while filtering: streams whose records pass */
    bool filtering;       /* records before the tail's X are filtered by mask */
    long long filter_end; /* in the current file */
    size_t x_file;
    long long x_end;
    kpod_log_sink sink;
    void *data;
    bool in_line[3];  /* a line of this stream is open (P records seen) */
    bool selected[3]; /* and it passes --since/--until */
    int64_t first_ts[3];
};

static int
feed(struct reader *rd, const char *line, size_t len)
{
    struct kpod_log_rec r;
    if (kpod_log_parse_record(line, len, &r) < 0)
        return 0; /* a torn or foreign line: skip it */
    int s = r.stream;
    if (rd->filtering && !(rd->mask & (1u << s)))
        return 0;
    if (!rd->in_line[s]) {
        rd->in_line[s] = true;
        rd->first_ts[s] = r.ts_ns;
        rd->selected[s] = (rd->opts->since_ns == 0 || r.ts_ns >= rd->opts->since_ns) &&
                          (rd->opts->until_ns == 0 || r.ts_ns <= rd->opts->until_ns);
        if (rd->selected[s]) {
            struct kpod_log_line l = {r.ts_ns,   r.ts,  r.ts_len,  r.stream,
                                      r.content, r.len, !r.partial};
            /* first piece: the sink prints the prefix and timestamp */
            l.ts_ns = r.ts_ns;
            int rc = rd->sink(rd->data, &l);
            if (!r.partial)
                rd->in_line[s] = false;
            return rc;
        }
    } else if (rd->selected[s]) {
        struct kpod_log_line l = {r.ts_ns, NULL, 0, r.stream, r.content, r.len, !r.partial};
        int rc = rd->sink(rd->data, &l);
        if (!r.partial)
            rd->in_line[s] = false;
        return rc;
    }
    if (!r.partial)
        rd->in_line[s] = false;
    return 0;
}

/* Reads records of fd from offset to EOF; returns the offset after the last whole record. */
static long long
read_from(struct reader *rd, int fd, long long offset, struct kpod_err **err)
{
    size_t cap = 65536, have = 0;
    _cleanup_free_ char *buf = xmalloc(cap);
    long long consumed = offset;
    for (;;) {
        if (have == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t n = pread(fd, buf + have, cap - have, (off_t)(consumed + (long long)have));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return kpod_err_sys(err, "read log");
        }
        if (n == 0)
            break;
        have += (size_t)n;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(buf + start, '\n', have - start);
            if (nl == NULL)
                break;
            if (rd->filtering && consumed + (long long)start >= rd->filter_end)
                rd->filtering = false;
            if (feed(rd, buf + start, (size_t)(nl - (buf + start))) < 0)
                return kpod_err_msg(err, "write output");
            start = (size_t)(nl - buf) + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        consumed += (long long)start;
    }
    return consumed;
}

/* Reads the stream and flag of the record starting at off; -1 for a malformed one. */
static int
head_at(int fd, long long off, int *ret_stream, bool *ret_partial)
{
    char head[96];
    ssize_t n = pread(fd, head, sizeof(head), (off_t)off);
    if (n <= 0)
        return -1;
    const char *nl = memchr(head, '\n', (size_t)n);
    struct kpod_log_rec r;
    size_t len = nl ? (size_t)(nl - head) : (size_t)n;
    /* a long record is cut here: the header is all that is parsed */
    if (kpod_log_parse_record(head, len, &r) < 0)
        return -1;
    *ret_stream = r.stream;
    *ret_partial = r.partial;
    return 0;
}

/* --tail N, found from the end. Lines end with an F record (or, at the very end of the log, a
 * P record that nothing of its stream follows). Counting back, the (N+1)-th line end X marks
 * where the wanted lines begin — except for lines of the other stream that started before X
 * and end after it: the scan goes on back to their first record, and the reader later
 * suppresses every record before X that is not of such a spanning stream. */
struct tail_scan {
    long long want, lines;
    bool pending[3], seen[3];
    int phase;     /* 0 counting, 1 finding starts of spanning lines, 2 done */
    unsigned mask; /* spanning streams */
    size_t file;   /* result: where reading starts */
    long long off;
    size_t x_file; /* records before (x_file, x_end) are filtered by mask */
    long long x_end;
};

static void
visit(struct tail_scan *t, size_t file, long long start, long long end, int fd)
{
    int s;
    bool partial;
    if (head_at(fd, start, &s, &partial) < 0)
        return;
    if (t->phase == 1) {
        if ((t->mask & (1u << s)) && !partial) {
            t->mask &= ~(1u << s);
            t->file = file;
            t->off = end + 1;
            if (t->mask == 0) {
                t->phase = 2;
                t->mask = t->pending[1] * 2u | t->pending[2] * 4u; /* restore for the reader */
            }
        }
        return;
    }
    bool line_end = !partial || !t->seen[s];
    t->seen[s] = true;
    if (!line_end) {
        t->pending[s] = true;
        return;
    }
    if (++t->lines <= t->want) {
        t->pending[s] = true;
        return;
    }
    /* X: the end of the first unwanted line */
    t->pending[s] = false;
    t->x_file = file;
    t->x_end = end + 1;
    t->file = file;
    t->off = end + 1;
    t->mask = (t->pending[1] ? 2u : 0u) | (t->pending[2] ? 4u : 0u);
    t->phase = t->mask ? 1 : 2;
}

/* Walks the records of fd backwards, calling visit until the scan is done. */
static void
scan_back(struct tail_scan *t, size_t file, int fd, long long size)
{
    char buf[65536];
    long long pos = size, rec_end = -1;
    while (pos > 0 && t->phase != 2) {
        size_t chunk = pos > (long long)sizeof(buf) ? sizeof(buf) : (size_t)pos;
        pos -= (long long)chunk;
        if (pread(fd, buf, chunk, (off_t)pos) != (ssize_t)chunk)
            return;
        for (size_t i = chunk; i-- > 0 && t->phase != 2;) {
            if (buf[i] != '\n')
                continue;
            long long nl = pos + (long long)i;
            if (rec_end >= 0)
                visit(t, file, nl + 1, rec_end, fd);
            rec_end = nl;
        }
    }
    if (rec_end >= 0 && t->phase != 2)
        visit(t, file, 0, rec_end, fd);
}

long long
kpod_logs_read(const char *path, const struct kpod_logs_opts *opts, kpod_log_sink sink, void *data,
               struct kpod_err **err)
{
    _cleanup_strv_ char **files = log_files(path);
    size_t nfiles = kpod_strv_len(files);
    size_t first_file = 0;
    long long first_off = 0;
    if (opts->tail == 0) {
        struct stat st;
        return stat(path, &st) == 0 ? (long long)st.st_size : 0;
    }
    struct reader rd = {.opts = opts, .sink = sink, .data = data};
    if (opts->tail > 0) {
        struct tail_scan t = {.want = opts->tail};
        for (size_t i = nfiles; i-- > 0 && t.phase != 2;) {
            _cleanup_close_ int fd = open(files[i], O_RDONLY | O_CLOEXEC);
            struct stat st;
            if (fd >= 0 && fstat(fd, &st) == 0)
                scan_back(&t, i, fd, st.st_size);
        }
        if (t.phase == 0) {
            first_file = 0;
            first_off = 0;
        } else {
            if (t.phase == 1) { /* spanning lines reach the oldest file's start */
                t.file = 0;
                t.off = 0;
                t.mask = (t.pending[1] ? 2u : 0u) | (t.pending[2] ? 4u : 0u);
            }
            first_file = t.file;
            first_off = t.off;
            if (t.mask != 0) {
                rd.mask = t.mask;
                rd.filtering = true;
                /* the filter ends at X; X lies in the first file or a later one */
                rd.filter_end = t.x_file == first_file ? t.x_end : (long long)1 << 62;
                rd.x_file = t.x_file;
                rd.x_end = t.x_end;
            }
        }
    }
    long long reached = 0;
    for (size_t i = first_file; i < nfiles; i++) {
        _cleanup_close_ int fd = open(files[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT)
                continue;
            return kpod_err_sys(err, "open log '%s'", files[i]);
        }
        if (rd.filtering)
            rd.filter_end = i == rd.x_file ? rd.x_end : (long long)1 << 62;
        reached = read_from(&rd, fd, i == first_file ? first_off : 0, err);
        if (reached < 0)
            return -1;
    }
    return reached;
}

int
kpod_logs_follow(const char *path, long long offset, const struct kpod_logs_opts *opts,
                 kpod_log_sink sink, void *data, bool (*stop)(void *data), struct kpod_err **err)
{
    struct kpod_logs_opts o = *opts;
    o.tail = -1;
    struct reader rd = {.opts = &o, .sink = sink, .data = data};
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    _cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0 || inotify_add_watch(in, slash ? dir : ".",
                                    IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
        return kpod_err_sys(err, "watch log '%s'", path);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    ino_t ino = fd >= 0 && fstat(fd, &st) == 0 ? st.st_ino : 0;
    for (;;) {
        bool done = stop(data);
        if (fd >= 0) {
            offset = read_from(&rd, fd, offset, err);
            if (offset < 0)
                return -1;
        }
        /* rotated or created: finish the old file, then start the new one at 0 */
        struct stat now;
        if (stat(path, &now) == 0 && now.st_ino != ino) {
            if (fd >= 0)
                close(fd);
            fd = open(path, O_RDONLY | O_CLOEXEC);
            ino = now.st_ino;
            offset = 0;
            continue;
        }
        if (done)
            return 0;
        struct pollfd p = {.fd = in, .events = POLLIN};
        if (poll(&p, 1, 250) > 0) {
            char evbuf[4096];
            while (read(in, evbuf, sizeof(evbuf)) > 0)
                ;
        }
    }
}

int
kpod_logs_print(void *data, const struct kpod_log_line *l)
{
    const struct kpod_logs_opts *o = data;
    FILE *out = l->stream == KPOD_LOG_STDERR ? stderr : stdout;
    if (l->ts != NULL) {
        if (o->prefix != NULL)
            fputs(o->prefix, out);
        if (o->timestamps) {
            fwrite(l->ts, 1, l->ts_len, out);
            fputc(' ', out);
        }
    }
    fwrite(l->text, 1, l->len, out);
    if (l->complete)
        fputc('\n', out);
    if (ferror(out))
        return -1;
    return 0;
}
