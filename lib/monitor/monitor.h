/* lib/monitor: the per-pod console watcher. This header holds the k8s-file log format — the
 * writer the watcher uses and the reader `kpod logs` uses. The format is the contract
 * (Kubernetes CRI logging, as conmon writes it):
 *   <RFC3339Nano timestamp with numeric offset> <stdout|stderr> <F|P> <content>\n
 * F ends a line; P is a partial chunk (longer than a read, or no final newline) that the next
 * records continue. Rotation keeps history: FILE.1 is the newest rotated file, FILE.N the
 * oldest. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

enum kpod_log_stream {
    KPOD_LOG_STDOUT = 1,
    KPOD_LOG_STDERR = 2,
};

/* Formats ns since the epoch as RFC3339Nano with a numeric offset, local time
 * ("2026-11-22T23:51:34.123456789+00:00"); out needs 40 bytes. */
void kpod_log_format_time(int64_t ns, char out[40]);
/* Parses RFC3339 (fraction and offset optional, "Z" allowed) to ns since the epoch. */
int kpod_log_parse_time(const char *s, size_t len, int64_t *ret_ns);
/* Parses a --since/--until value: RFC3339, a date, Unix seconds ("1700000000[.5]") or a
 * duration before now ("10m", "1h30m", "45s"). */
int kpod_log_parse_since(const char *s, int64_t now_ns, int64_t *ret_ns, struct kpod_err **err);

/* The writer. */
struct kpod_logw;
struct kpod_logw *kpod_logw_open(const char *path, uint64_t max_size, unsigned max_files,
                                 struct kpod_err **err);
/* Writes a chunk read from a stream: complete lines become F records, a trailing piece a P
 * record. Never fails the caller: write errors are counted in dropped bytes. */
void kpod_logw_write(struct kpod_logw *w, enum kpod_log_stream stream, const char *buf, size_t len,
                     int64_t now_ns);
uint64_t kpod_logw_dropped(const struct kpod_logw *w);
void kpod_logw_close(struct kpod_logw *w);

/* One parsed record. content points into the parsed line. */
struct kpod_log_rec {
    int64_t ts_ns;
    const char *ts; /* the timestamp text */
    size_t ts_len;
    enum kpod_log_stream stream;
    bool partial;
    const char *content;
    size_t len;
};
/* Parses one line (without its newline); -1 for a malformed one. */
int kpod_log_parse_record(const char *line, size_t len, struct kpod_log_rec *ret);

struct kpod_logs_opts {
    long long tail;             /* -1: all */
    int64_t since_ns, until_ns; /* 0: unset */
    bool timestamps;
    const char *prefix; /* printed before each line (e.g. a container name), or NULL */
};

/* A whole line put back together from its records, handed to the sink. */
struct kpod_log_line {
    int64_t ts_ns;
    const char *ts;
    size_t ts_len;
    enum kpod_log_stream stream;
    const char *text; /* without the newline */
    size_t len;
    bool complete; /* false: the log ended in a partial record */
};
typedef int (*kpod_log_sink)(void *data, const struct kpod_log_line *line);

/* Reads the log (rotated files included, oldest first) and hands each line passing the filters
 * to sink. With tail >= 0 it reads from the end backwards and never reads the whole file.
 * Returns the byte offset reached in the current file (for following), or -1. */
long long kpod_logs_read(const char *path, const struct kpod_logs_opts *opts, kpod_log_sink sink,
                         void *data, struct kpod_err **err);
/* Continues from offset in path until stop(data) says so, following rotation. */
int kpod_logs_follow(const char *path, long long offset, const struct kpod_logs_opts *opts,
                     kpod_log_sink sink, void *data, bool (*stop)(void *data),
                     struct kpod_err **err);
/* The default sink: stdout lines to stdout, stderr lines to stderr, with -t and the prefix. */
int kpod_logs_print(void *opts, const struct kpod_log_line *line);
