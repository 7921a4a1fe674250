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

/* ---- The monitor process (console watcher, reaper, restart policy) ---- */

/* A probe or lifecycle hook handler as the monitor runs it (lib/manifest's, resolved). */
enum kpod_monitor_handler_type {
    KPOD_MH_NONE = 0,
    KPOD_MH_EXEC, /* inside the container, like kpod exec */
    KPOD_MH_HTTP, /* HTTP/1.1 GET from the pod's network namespace */
    KPOD_MH_TCP,  /* TCP connect from the pod's network namespace */
};

struct kpod_monitor_handler {
    enum kpod_monitor_handler_type type;
    char **command; /* EXEC */
    char *host;     /* HTTP/TCP: an IP address; NULL: the pod's first address, else 127.0.0.1 */
    int port;
    char *path;     /* HTTP */
    char **headers; /* HTTP: "Name: value" lines */
};

enum kpod_probe_kind { KPOD_PROBE_LIVENESS = 0, KPOD_PROBE_READINESS, KPOD_PROBE_STARTUP };
#define KPOD_PROBE_KINDS 3
const char *kpod_probe_kind_name(enum kpod_probe_kind k); /* "liveness", ... */

struct kpod_monitor_probe {
    struct kpod_monitor_handler h;
    int delay, period, timeout; /* seconds */
    int success, failure;       /* thresholds */
    int grace;                  /* the probe's terminationGracePeriodSeconds; -1: the pod's */
};

/* What the monitor watches: written by the sandbox to <pod dir>/monitor.json before the
 * monitor starts, read once by it. Containers in manifest order; init ones first. */
struct kpod_monitor_ctr {
    char *name;
    char *id;
    char *bundle;    /* holds config.json */
    char *state_dir; /* exec fifo, status.json */
    char *cgroup;    /* relative cgroup path */
    char *log_path;
    bool init;
    bool sidecar;             /* init with restartPolicy Always: started in the init sequence,
                                 then runs next to the app containers, restarted when it exits */
    bool stdin_open;          /* keep stdin open (stdin: true), else /dev/null */
    int stop_signal;          /* lifecycle.stopSignal or the image's StopSignal; 0: SIGTERM */
    bool poststart, poststop; /* the spec has OCI hooks of these stages */
    struct kpod_monitor_probe probes[KPOD_PROBE_KINDS]; /* handler type NONE: no such probe */
    struct kpod_monitor_handler post_start, pre_stop;   /* lifecycle hooks */
    int grace_seconds; /* terminationGracePeriodSeconds, for a restart after a failed probe */
};

struct kpod_monitor_config {
    char *pod_id;
    char *pod_name;
    char *pod_dir;
    char *restart_policy;  /* Always, OnFailure, Never */
    int64_t backoff_ms;    /* first restart delay, doubled up to 300 s (k8s: 10 s) */
    uint64_t log_max_size; /* 0: no rotation */
    unsigned log_max_files;
    int64_t grace_s; /* terminationGracePeriodSeconds: stopping sidecars when the pod completes */
    struct kpod_monitor_ctr *ctrs;
    size_t nctrs;
};

void kpod_monitor_config_free(struct kpod_monitor_config *c);
json_t *kpod_monitor_config_to_json(const struct kpod_monitor_config *c);
struct kpod_monitor_config *kpod_monitor_config_from_json(const json_t *j, struct kpod_err **err);

/* A container's runtime status, written by the monitor only (<state_dir>/status.json). */
struct kpod_ctr_status {
    char state[16]; /* "created", "running", "exited", "waiting" (restart backoff) */
    pid_t pid;
    unsigned long long starttime;
    int exit_code; /* -1 unknown */
    bool oom_killed;
    int restart_count;
    int64_t started_ns, finished_ns;
    uint64_t log_dropped; /* bytes of output the log could not take (disk full) */
    char *error;          /* why it could not start, or NULL */
    /* probes: ready (readiness passed, or running without a readiness probe), started (startup
     * probe passed, or running without one), and the last result of each probe */
    bool ready, started;
    struct kpod_probe_status {
        bool set;          /* the container has this probe */
        int result;        /* 0 not run yet, 1 success, -1 failure */
        int64_t last_ns;   /* when the last result came */
        int failures;      /* failures in a row */
        int threshold;     /* failureThreshold: failures in a row that count */
        int64_t failed_ns; /* the last failure */
        char *message;     /* its message, or NULL */
    } probes[KPOD_PROBE_KINDS];
};
/* The probes of a status as inspect shows them: {"Liveness": {...}, ...}; NULL without any. */
json_t *kpod_ctr_status_probes_json(const struct kpod_ctr_status *s);
int kpod_ctr_status_load(const char *state_dir, struct kpod_ctr_status *ret, struct kpod_err **err);
int kpod_ctr_status_save(const char *state_dir, const struct kpod_ctr_status *s,
                         struct kpod_err **err);
void kpod_ctr_status_fini(struct kpod_ctr_status *s);

/* Runs the monitor of a pod in this process (kpod-monitor, or the hidden `kpod __monitor`,
 * after daemonizing). ready_fd, when >= 0, gets "PID STARTTIME" once the control socket
 * listens; idle (may be NULL) is called then, to shed start-up memory. Returns the exit code. */
int kpod_monitor_run(const char *pod_dir, int ready_fd, void (*idle)(void));

/* Starts the monitor of a pod as a daemon (double fork, setsid, child subreaper) by
 * re-executing self; waits until it listens. Returns its pid and start time. */
int kpod_monitor_spawn(const char *self, const char *pod_dir, const char *log_level, pid_t *ret_pid,
                       unsigned long long *ret_start, struct kpod_err **err);

/* Sends one request to a pod's monitor and waits for its reply (timeout_ms < 0: forever).
 * Requests: {"op":"start"} (runs init containers, then creates and starts app containers),
 * {"op":"stop","timeout":S} (stop signal, grace, SIGKILL; the monitor then exits),
 * {"op":"status"}, {"op":"configure","dir":D} (an idle monitor of a pool entry, with no
 * container yet, reads D/monitor.json: its pod's real config). Replies: {"ok":true,...} or
 * {"ok":false,"error":"...","exit":N}. */
json_t *kpod_monitor_call(const char *pod_dir, const json_t *req, int timeout_ms,
                          struct kpod_err **err);
/* Hands an idle monitor (started with no container) the config in pod_dir/monitor.json. */
int kpod_monitor_configure(const char *pod_dir, struct kpod_err **err);

/* ---- attach (attach.c) ---- */
enum {
    KPOD_ATTACH_STDIN = 0,
    KPOD_ATTACH_STDOUT = 1,
    KPOD_ATTACH_STDERR = 2,
    KPOD_ATTACH_EXIT = 3,
};
#define KPOD_ATTACH_MAX 8
struct kpod_attach {
    int lfd;
    int clients[KPOD_ATTACH_MAX];
    size_t n;
};
/* The monitor's side. */
int kpod_attach_listen(struct kpod_attach *a, const char *state_dir, struct kpod_err **err);
int kpod_attach_accept(struct kpod_attach *a);
void kpod_attach_drop(struct kpod_attach *a, int fd);
void kpod_attach_broadcast(struct kpod_attach *a, int stream, const void *buf, size_t len);
/* Sends the exit frame and closes every client. */
void kpod_attach_close(struct kpod_attach *a, int exit_code);
void kpod_attach_fini(struct kpod_attach *a);
/* The client's side: connect, send a frame, receive one (1 a frame, 0 the end, -1 broken). */
int kpod_attach_connect(const char *state_dir, struct kpod_err **err);
int kpod_attach_send(int fd, int stream, const void *buf, size_t len);
int kpod_attach_recv(int fd, int *ret_stream, char **ret_buf, size_t *ret_len);
