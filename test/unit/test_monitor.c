/* Unit tests for lib/monitor: k8s-file logs (timestamps, writer, rotation, reader, tail), the
 * monitor config and the status file with probe results. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "tap.h"

static char dir[] = "/tmp/kpod-unit-logs.XXXXXX";

struct collect {
    char out[65536];
    size_t len;
    struct kpod_logs_opts *opts;
};

static int
collect(void *data, const struct kpod_log_line *l)
{
    struct collect *c = data;
    if (l->ts != NULL && c->opts && c->opts->timestamps)
        c->len += (size_t)snprintf(c->out + c->len, sizeof(c->out) - c->len, "[ts]");
    if (l->ts != NULL)
        c->len += (size_t)snprintf(c->out + c->len, sizeof(c->out) - c->len,
                                   "%s:", l->stream == KPOD_LOG_STDERR ? "E" : "O");
    c->len +=
        (size_t)snprintf(c->out + c->len, sizeof(c->out) - c->len, "%.*s", (int)l->len, l->text);
    if (l->complete)
        c->len += (size_t)snprintf(c->out + c->len, sizeof(c->out) - c->len, "|");
    return 0;
}

static const char *
read_log(const char *path, long long tail, int64_t since)
{
    static struct collect c;
    struct kpod_logs_opts o = {.tail = tail, .since_ns = since};
    memset(&c, 0, sizeof(c));
    c.opts = &o;
    struct kpod_err *e = NULL;
    if (kpod_logs_read(path, &o, collect, &c, &e) < 0) {
        diag("read: %s", e->msg);
        kpod_err_free(&e);
    }
    return c.out;
}

static void
test_time(void)
{
    char ts[40];
    int64_t ns = 1700000000123456789LL, back = 0;
    kpod_log_format_time(ns, ts);
    ok(kpod_log_parse_time(ts, strlen(ts), &back) == 0 && back == ns,
       "format/parse round trip (%s)", ts);
    ok(kpod_log_parse_time("2023-11-14T22:13:20Z", 20, &back) == 0 && back == 1700000000000000000LL,
       "Z suffix");
    const char *off = "2023-11-15T00:13:20.5+02:00";
    ok(kpod_log_parse_time(off, strlen(off), &back) == 0 && back == 1700000000500000000LL,
       "offset and short fraction");
    ok(kpod_log_parse_time("2023-13-01T00:00:00Z", 20, &back) < 0, "month 13 rejected");
    ok(kpod_log_parse_time("2023-11-14T22:13:20", 19, &back) < 0, "time without zone rejected");
    struct kpod_err *e = NULL;
    int64_t now = 1700000000000000000LL;
    ok(kpod_log_parse_since("10m", now, &back, &e) == 0 && back == now - 600000000000LL,
       "duration 10m");
    ok(kpod_log_parse_since("1h30m", now, &back, &e) == 0 && back == now - 5400000000000LL,
       "duration 1h30m");
    ok(kpod_log_parse_since("1700000000.5", now, &back, &e) == 0 && back == 1700000000500000000LL,
       "unix seconds");
    ok(kpod_log_parse_since("2023-11-14", now, &back, &e) == 0, "a date");
    ok(kpod_log_parse_since("yesterday", now, &back, &e) < 0 && e && e->kind == KPOD_ERR_USAGE,
       "nonsense rejected");
    kpod_err_free(&e);
}

static void
test_record(void)
{
    struct kpod_log_rec r;
    const char *l = "2023-11-14T22:13:20.000000001+00:00 stderr P hello world";
    ok(kpod_log_parse_record(l, strlen(l), &r) == 0, "parse record");
    ok(r.stream == KPOD_LOG_STDERR && r.partial, "stream and flag");
    ok(r.len == 11 && memcmp(r.content, "hello world", 11) == 0, "content");
    const char *empty = "2023-11-14T22:13:20Z stdout F";
    ok(kpod_log_parse_record(empty, strlen(empty), &r) == 0 && r.len == 0, "empty line");
    const char *bad = "2023-11-14T22:13:20Z stdin F x";
    ok(kpod_log_parse_record(bad, strlen(bad), &r) < 0, "unknown stream rejected");
}

static void
test_writer(void)
{
    struct kpod_err *e = NULL;
    _cleanup_free_ char *path = xasprintf("%s/ctr.log", dir);
    struct kpod_logw *w = kpod_logw_open(path, 0, 0, &e);
    ok(w != NULL, "open writer");
    int64_t t = 1700000000000000000LL;
    kpod_logw_write(w, KPOD_LOG_STDOUT, "a\nb\npart", 8, t);
    kpod_logw_write(w, KPOD_LOG_STDERR, "err\n", 4, t + 1);
    kpod_logw_write(w, KPOD_LOG_STDOUT, "ial\n", 4, t + 2);
    kpod_logw_write(w, KPOD_LOG_STDOUT, "tail", 4, t + 3);
    kpod_logw_close(w);
    is_str(read_log(path, -1, 0), "O:a|O:b|O:partE:err|ial|O:tail", "records reassembled");
    is_str(read_log(path, 2, 0), "O:partial|O:tail",
           "tail 2: a line spanning another stream's line");
    is_str(read_log(path, 3, 0), "O:partE:err|ial|O:tail", "tail 3 takes the stderr line too");
    is_str(read_log(path, 1, 0), "O:tail", "tail 1");
    is_str(read_log(path, 0, 0), "", "tail 0");
    is_str(read_log(path, 100, 0), "O:a|O:b|O:partE:err|ial|O:tail", "tail more than there is");
    is_str(read_log(path, -1, t + 3), "O:tail", "since filters by the line's first record");
    _cleanup_free_ char *buf = NULL;
    kpod_fs_read_file(path, 4096, &buf, NULL, &e);
    ok(strstr(buf, " stdout P part\n") != NULL && strstr(buf, " stdout F ial\n") != NULL,
       "P then F records on disk");
    ok(buf[0] == '2' && buf[10] == 'T', "records start with an RFC3339 timestamp");
}

static void
test_rotation(void)
{
    struct kpod_err *e = NULL;
    _cleanup_free_ char *path = xasprintf("%s/rot.log", dir);
    struct kpod_logw *w = kpod_logw_open(path, 200, 100, &e);
    char line[32];
    for (int i = 0; i < 50; i++) {
        int n = snprintf(line, sizeof(line), "line %02d\n", i);
        kpod_logw_write(w, KPOD_LOG_STDOUT, line, (size_t)n, 1700000000000000000LL + i);
    }
    kpod_logw_close(w);
    _cleanup_free_ char *r1 = xasprintf("%s.1", path);
    ok(kpod_fs_exists(r1), "rotated files exist");
    const char *all = read_log(path, -1, 0);
    ok(strncmp(all, "O:line 00|O:line 01|", 20) == 0, "oldest first across files");
    ok(strstr(all, "O:line 48|O:line 49|") != NULL, "newest last");
    int count = 0;
    for (const char *p = all; (p = strstr(p, "|")) != NULL; p++)
        count++;
    is_int(count, 50, "no line lost to rotation");
    is_str(read_log(path, 3, 0), "O:line 47|O:line 48|O:line 49|", "tail within the newest file");
    const char *t20 = read_log(path, 20, 0);
    ok(strncmp(t20, "O:line 30|", 10) == 0, "tail 20 reaches into rotated files");
}

static void
test_handwritten(void)
{
    struct kpod_err *e = NULL;
    _cleanup_free_ char *path = xasprintf("%s/hand.log", dir);
    const char *text = "2023-11-14T22:13:20.1+00:00 stdout F first\n"
                       "2023-11-14T22:13:21.1+00:00 stdout P sec\n"
                       "2023-11-14T22:13:21.2+00:00 stdout P o\n"
                       "2023-11-14T22:13:21.3+00:00 stdout F nd\n"
                       "garbage line\n"
                       "2023-11-14T22:13:22Z stderr F third\n"
                       "2023-11-14T22:13:23Z stdout F torn-without-newline";
    kpod_fs_write_atomic(path, text, strlen(text), 0644, &e);
    is_str(read_log(path, -1, 0), "O:first|O:second|E:third|", "P records joined, junk skipped");
    is_str(read_log(path, 2, 0), "O:second|E:third|", "tail joins partial records");
}

static void
test_dropped(void)
{
    struct kpod_err *e = NULL;
    struct kpod_logw *w = kpod_logw_open("/dev/full", 0, 0, &e);
    ok(w != NULL, "open /dev/full");
    kpod_logw_write(w, KPOD_LOG_STDOUT, "x\n", 2, 1);
    ok(kpod_logw_dropped(w) > 0, "a full disk counts dropped bytes instead of failing");
    kpod_logw_close(w);
}

/* Probes and hooks survive monitor.json; probe results survive status.json. */
static void
test_probe_config(void)
{
    struct kpod_monitor_ctr k = {.name = "a",
                                 .id = "1",
                                 .bundle = "/b",
                                 .state_dir = dir,
                                 .log_path = "/l",
                                 .grace_seconds = 7};
    char *cmd[] = {"test", "-f", "/x", NULL};
    char *hdr[] = {"X-A: b", NULL};
    k.probes[KPOD_PROBE_LIVENESS] =
        (struct kpod_monitor_probe){.h = {.type = KPOD_MH_EXEC, .command = cmd},
                                    .delay = 2,
                                    .period = 3,
                                    .timeout = 4,
                                    .success = 1,
                                    .failure = 5};
    k.probes[KPOD_PROBE_READINESS] = (struct kpod_monitor_probe){
        .h = {.type = KPOD_MH_HTTP, .port = 8080, .path = "/h", .headers = hdr},
        .period = 1,
        .timeout = 1,
        .success = 2,
        .failure = 3};
    k.pre_stop = (struct kpod_monitor_handler){.type = KPOD_MH_TCP, .host = "10.0.0.1", .port = 9};
    struct kpod_monitor_config c = {.pod_id = "p",
                                    .pod_name = "n",
                                    .pod_dir = "/d",
                                    .restart_policy = "Always",
                                    .ctrs = &k,
                                    .nctrs = 1};
    json_t *j = kpod_monitor_config_to_json(&c);
    struct kpod_err *e = NULL;
    struct kpod_monitor_config *back = kpod_monitor_config_from_json(j, &e);
    json_decref(j);
    ok(back != NULL, "config round trip");
    if (back == NULL)
        return;
    const struct kpod_monitor_ctr *b = &back->ctrs[0];
    is_int(b->probes[KPOD_PROBE_LIVENESS].h.type, KPOD_MH_EXEC, "liveness exec");
    is_str(b->probes[KPOD_PROBE_LIVENESS].h.command[2], "/x", "its command");
    is_int(b->probes[KPOD_PROBE_LIVENESS].failure, 5, "failure threshold");
    is_int(b->probes[KPOD_PROBE_LIVENESS].delay, 2, "delay");
    is_int(b->probes[KPOD_PROBE_READINESS].h.type, KPOD_MH_HTTP, "readiness httpGet");
    is_str(b->probes[KPOD_PROBE_READINESS].h.headers[0], "X-A: b", "header");
    is_int(b->probes[KPOD_PROBE_READINESS].success, 2, "success threshold");
    is_int(b->probes[KPOD_PROBE_STARTUP].h.type, KPOD_MH_NONE, "no startup probe");
    is_int(b->post_start.type, KPOD_MH_NONE, "no postStart");
    is_int(b->pre_stop.type, KPOD_MH_TCP, "preStop tcp");
    is_str(b->pre_stop.host, "10.0.0.1", "its host");
    is_int(b->grace_seconds, 7, "grace");
    kpod_monitor_config_free(back);

    struct kpod_ctr_status st = {.exit_code = -1, .ready = true, .started = true};
    snprintf(st.state, sizeof(st.state), "running");
    st.probes[KPOD_PROBE_READINESS] = (struct kpod_probe_status){
        .set = true, .result = -1, .last_ns = 5, .failures = 2, .failed_ns = 5, .message = "boom"};
    ok(kpod_ctr_status_save(dir, &st, &e) == 0, "status saved");
    struct kpod_ctr_status got;
    ok(kpod_ctr_status_load(dir, &got, &e) == 0, "status loaded");
    ok(got.ready && got.started, "ready and started");
    ok(!got.probes[KPOD_PROBE_LIVENESS].set, "no liveness");
    is_int(got.probes[KPOD_PROBE_READINESS].failures, 2, "failing streak");
    is_str(got.probes[KPOD_PROBE_READINESS].message, "boom", "failure message");
    json_t *pj = kpod_ctr_status_probes_json(&got);
    is_str(kpod_json_str(json_object_get(pj, "Readiness"), "Result"), "failure", "inspect view");
    json_decref(pj);
    kpod_ctr_status_fini(&got);
}

/* A warm pool entry's idle monitor starts with a config of no container. */
static void
test_idle_config(void)
{
    struct kpod_monitor_config mc = {
        .pod_id = "abc",
        .pod_name = "kpod-factory-abc",
        .pod_dir = "/run/kpod/factory/pods/abc",
        .restart_policy = "Always",
        .backoff_ms = 10000,
    };
    json_t *j = kpod_monitor_config_to_json(&mc);
    struct kpod_err *e = NULL;
    struct kpod_monitor_config *back = kpod_monitor_config_from_json(j, &e);
    ok(back != NULL, "a config without containers loads");
    ok(back != NULL && back->nctrs == 0, "no container");
    is_str(back ? back->pod_name : NULL, "kpod-factory-abc", "its pod name");
    kpod_monitor_config_free(back);
    kpod_err_free(&e);
    json_decref(j);
}

/* monitor.json: the sidecar flag and the grace period survive the round trip. */
static void
test_config(void)
{
    struct kpod_monitor_ctr ctrs[2] = {
        {.name = "proxy",
         .id = "1",
         .bundle = "/b1",
         .state_dir = "/s1",
         .log_path = "/l1",
         .init = true,
         .sidecar = true},
        {.name = "app", .id = "2", .bundle = "/b2", .state_dir = "/s2", .log_path = "/l2"},
    };
    struct kpod_monitor_config c = {.pod_id = "p",
                                    .pod_name = "web",
                                    .pod_dir = "/d",
                                    .restart_policy = "Never",
                                    .backoff_ms = 100,
                                    .grace_s = 7,
                                    .ctrs = ctrs,
                                    .nctrs = 2};
    json_t *j = kpod_monitor_config_to_json(&c);
    struct kpod_err *e = NULL;
    struct kpod_monitor_config *back = kpod_monitor_config_from_json(j, &e);
    ok(back != NULL, "monitor config round trip");
    if (back != NULL) {
        ok(back->ctrs[0].init && back->ctrs[0].sidecar, "sidecar kept");
        ok(!back->ctrs[1].init && !back->ctrs[1].sidecar, "app container is no sidecar");
        is_int((int)back->grace_s, 7, "grace period kept");
    }
    json_object_del(j, "grace_s");
    json_object_set_new(json_array_get(json_object_get(j, "containers"), 1), "sidecar",
                        json_true());
    kpod_monitor_config_free(back);
    back = kpod_monitor_config_from_json(j, &e);
    ok(back != NULL && back->grace_s == 30, "grace period defaults to 30 s");
    ok(back != NULL && !back->ctrs[1].sidecar, "only an init container can be a sidecar");
    kpod_monitor_config_free(back);
    json_decref(j);
}

int
main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("TZ", "UTC", 1);
    test_time();
    test_record();
    test_writer();
    test_rotation();
    test_handwritten();
    test_dropped();
    test_probe_config();
    test_idle_config();
    test_config();
    struct kpod_err *e = NULL;
    kpod_fs_rm_rf(dir, &e);
    return tap_done();
}
