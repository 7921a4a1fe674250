/* `kpod logs` and `kpod pod logs`: read the k8s-file logs the monitor writes. Several
 * containers are shown one after the other, or, with --follow, all at once (a thread each),
 * each line prefixed with its container's name when --names is given. */
#include "common.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor/monitor.h"

struct logsrc {
    struct kpod_ctx *ctx;
    const struct kpod_pod_state *pod;
    const struct kpod_ctr_state *ctr;
    struct kpod_logs_opts opts;
    char *path;
    char *prefix;
    char *state_dir;
    int rc;
    struct kpod_err *err;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static int
sink(void *data, const struct kpod_log_line *l)
{
    struct logsrc *s = data;
    pthread_mutex_lock(&out_lock);
    int rc = kpod_logs_print(&s->opts, l);
    if (l->complete)
        fflush(l->stream == KPOD_LOG_STDERR ? stderr : stdout);
    pthread_mutex_unlock(&out_lock);
    return rc;
}

/* Follow ends when the container has stopped for good (not waiting for a restart), or when its
 * pod is gone. */
static bool
stopped(void *data)
{
    struct logsrc *s = data;
    struct kpod_ctr_status st;
    struct kpod_err *e = NULL;
    if (kpod_ctr_status_load(s->state_dir, &st, &e) < 0) {
        kpod_err_free(&e);
        return true;
    }
    bool done = strcmp(st.state, "exited") == 0 ||
                (strcmp(st.state, "running") == 0 && !kpod_proc_alive(st.pid, st.starttime));
    kpod_ctr_status_fini(&st);
    return done;
}

static void *
follow_one(void *data)
{
    struct logsrc *s = data;
    long long off = kpod_logs_read(s->path, &s->opts, sink, s, &s->err);
    if (off >= 0)
        s->rc = kpod_logs_follow(s->path, off, &s->opts, sink, s, stopped, &s->err);
    else
        s->rc = -1;
    return NULL;
}

static int
parse_opts(const struct kpod_logs_cli *o, struct kpod_logs_opts *ret, struct kpod_err **err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    *ret = (struct kpod_logs_opts){.tail = -1, .timestamps = o->timestamps};
    if (o->tail != NULL && strcmp(o->tail, "all") != 0 && strcmp(o->tail, "-1") != 0 &&
        kpod_str_to_ll(o->tail, 0, 1LL << 40, &ret->tail) < 0)
        return kpod_err_usage(err, "logs: invalid --tail '%s': want a number of lines", o->tail);
    if (o->since != NULL && kpod_log_parse_since(o->since, now, &ret->since_ns, err) < 0)
        return kpod_err_prefix(err, "logs: --since");
    if (o->until != NULL && kpod_log_parse_since(o->until, now, &ret->until_ns, err) < 0)
        return kpod_err_prefix(err, "logs: --until");
    return 0;
}

int
kpod_cmd_print_logs(struct kpod_ctx *ctx, struct kpod_pod_state **pods,
                    struct kpod_ctr_state **ctrs, size_t n, const struct kpod_logs_cli *o,
                    struct kpod_err **err)
{
    struct kpod_logs_opts base;
    if (parse_opts(o, &base, err) < 0)
        return -1;
    static const char *const colors[] = {"\033[32m", "\033[33m", "\033[34m",
                                         "\033[35m", "\033[36m", "\033[31m"};
    struct logsrc *src = xcalloc(n + 1, sizeof(*src));
    for (size_t i = 0; i < n; i++) {
        struct logsrc *s = &src[i];
        s->ctx = ctx;
        s->pod = pods[i];
        s->ctr = ctrs[i];
        s->opts = base;
        s->path = xasprintf("%s/pods/%s/logs/%s.log", ctx->root, pods[i]->id, ctrs[i]->name);
        s->state_dir = xasprintf("%s/pods/%s/ctr/%s", ctx->runroot, pods[i]->id, ctrs[i]->name);
        if (o->names)
            s->prefix = o->color ? xasprintf("%s%s-%s\033[0m ", colors[i % ARRAY_SIZE(colors)],
                                             pods[i]->name, ctrs[i]->name)
                                 : xasprintf("%s-%s ", pods[i]->name, ctrs[i]->name);
        s->opts.prefix = s->prefix;
    }
    int rc = 0;
    if (o->follow) {
        pthread_t *th = xcalloc(n + 1, sizeof(*th));
        for (size_t i = 0; i < n; i++)
            pthread_create(&th[i], NULL, follow_one, &src[i]);
        for (size_t i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        free(th);
    } else {
        for (size_t i = 0; i < n; i++)
            src[i].rc =
                kpod_logs_read(src[i].path, &src[i].opts, sink, &src[i], &src[i].err) < 0 ? -1 : 0;
    }
    for (size_t i = 0; i < n; i++) {
        long long dropped = kpod_json_int(ctrs[i]->extra, "log_dropped", 0);
        if (dropped > 0) /* said on stderr, never mixed into the output */
            kpod_warn("container '%s-%s': %lld bytes of output could not be logged (write "
                      "errors, e.g. a full disk)",
                      pods[i]->name, ctrs[i]->name, dropped);
        if (src[i].rc < 0 && rc == 0) {
            rc = -1;
            kpod_err_move(err, &src[i].err);
        }
        kpod_err_free(&src[i].err);
        free(src[i].path);
        free(src[i].prefix);
        free(src[i].state_dir);
    }
    free(src);
    fflush(stdout);
    return rc;
}
