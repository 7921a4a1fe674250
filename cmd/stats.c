/* `kpod stats [CTR...]`: live resource use of containers, as a table refreshed every
 * --interval seconds, one sample (--no-stream), JSON or Prometheus text. Also the engine of
 * `kpod pod stats` (cmd/pod_stats.c). One pass over the cgroup files per sample, no fork. */
#include "stats_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum out { OUT_TABLE, OUT_JSON, OUT_PROM, OUT_TEMPLATE };

struct round {
    struct kpod_stats_row *rows;
    size_t n;
};

static void
round_fini(struct round *r)
{
    for (size_t i = 0; i < r->n; i++)
        kpod_stats_row_fini(&r->rows[i]);
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

/* Named containers: each looked up again every round (a restart, a new pod). A name that
 * disappears after the first round is dropped; in the first it is an error. */
static int
collect_named(struct kpod_ctx *ctx, struct kpod_stats_sampler *s, bool pods, int argc, char **argv,
              bool first, struct round *r, struct kpod_err **err)
{
    for (int i = 0; i < argc; i++) {
        struct kpod_pod_state *p = NULL;
        struct kpod_ctr_state *c = NULL;
        struct kpod_err *e = NULL;
        int rc = pods ? ((p = kpod_cmd_find_pod(ctx, argv[i], &e)) ? 0 : -1)
                      : kpod_cmd_find_ctr(ctx, argv[i], &p, &c, &e);
        if (rc == 0)
            rc = kpod_stats_sample(s, p, c, pods, true, &r->rows, &r->n, &e);
        kpod_pod_state_free(p);
        if (rc < 0 && (first || e->kind != KPOD_ERR_NOTFOUND)) {
            kpod_err_move(err, &e);
            return -1;
        }
        kpod_err_free(&e);
    }
    return 0;
}

static int
collect(struct kpod_ctx *ctx, struct kpod_stats_sampler *s, const struct kpod_stats_cli *o,
        bool pods, int argc, char **argv, bool first, struct round *r, struct kpod_err **err)
{
    if (argc > 0)
        return collect_named(ctx, s, pods, argc, argv, first, r, err);
    size_t n = 0;
    struct kpod_pod_state **all = kpod_cmd_all_pods(ctx, &n, err);
    if (all == NULL)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = kpod_stats_sample(s, all[i], NULL, pods, o->all, &r->rows, &r->n, err);
    kpod_cmd_free_pods(all, n);
    return rc;
}

/* ---- the table ---- */

#define NCOLS 10

static void
cells(const struct kpod_stats_row *r, bool pods, bool no_trunc, char *c[NCOLS])
{
    json_t *j = kpod_stats_row_json(r, no_trunc);
    const char *const ctr_keys[NCOLS] = {"id",          "name",   "cpu_percent", "mem_usage",
                                         "mem_percent", "net_io", "block_io",    "pids",
                                         "cpu_time",    "avg_cpu"};
    const char *const pod_keys[NCOLS] = {"Pod",   "Name",    "CPU",  "MemUsage", "Mem",
                                         "NetIO", "BlockIO", "PIDS", "CPUTime",  NULL};
    for (int k = 0; k < NCOLS; k++) {
        const char *key = pods ? pod_keys[k] : ctr_keys[k];
        if (key == NULL)
            c[k] = xasprintf("%d", r->nctrs);
        else
            c[k] = xstrdup(kpod_json_str(j, key) ? kpod_json_str(j, key) : "");
    }
    json_decref(j);
}

static void
print_table(const struct round *r, bool pods, bool no_trunc)
{
    const char *const ctr_head[NCOLS] = {"ID",       "NAME",     "CPU %",    "MEM USAGE / LIMIT",
                                         "MEM %",    "NET IO",   "BLOCK IO", "PIDS",
                                         "CPU TIME", "AVG CPU %"};
    const char *const pod_head[NCOLS] = {"POD",      "NAME",   "CPU %",    "MEM USAGE / LIMIT",
                                         "MEM %",    "NET IO", "BLOCK IO", "PIDS",
                                         "CPU TIME", "CTRS"};
    const char *const *head = pods ? pod_head : ctr_head;
    char *(*c)[NCOLS] = xcalloc(r->n + 1, sizeof(*c));
    size_t w[NCOLS] = {0};
    for (int k = 0; k < NCOLS; k++)
        w[k] = strlen(head[k]);
    for (size_t i = 0; i < r->n; i++) {
        cells(&r->rows[i], pods, no_trunc, c[i]);
        for (int k = 0; k < NCOLS; k++)
            w[k] = strlen(c[i][k]) > w[k] ? strlen(c[i][k]) : w[k];
    }
    for (size_t i = 0; i <= r->n; i++) {
        for (int k = 0; k < NCOLS; k++) {
            const char *v = i == 0 ? head[k] : c[i - 1][k];
            if (k == NCOLS - 1)
                printf("%s\n", v);
            else
                printf("%-*s  ", (int)w[k], v);
        }
    }
    for (size_t i = 0; i < r->n; i++)
        for (int k = 0; k < NCOLS; k++)
            free(c[i][k]);
    free(c);
}

/* A row with podman's Go-template field names too ({{.Name}} {{.CPUPerc}} {{.MemUsage}}...). */
static json_t *
template_json(const struct kpod_stats_row *r, bool no_trunc)
{
    json_t *j = kpod_stats_row_json(r, no_trunc);
    static const char *const alias[][2] = {
        {"ID", "id"},
        {"Name", "name"},
        {"CPUPerc", "cpu_percent"},
        {"AvgCPU", "avg_cpu"},
        {"AVGCPU", "avg_cpu"},
        {"MemUsage", "mem_usage"},
        {"MemLimit", "mem_limit"},
        {"MemPerc", "mem_percent"},
        {"NetIO", "net_io"},
        {"BlockIO", "block_io"},
        {"PIDS", "pids"},
        {"PIDs", "pids"},
        {"CPUTime", "cpu_time"},
        {"Pod", "pod_name"},
        {"ID", "Pod"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(alias); i++) {
        const char *v = kpod_json_str(j, alias[i][1]);
        if (v != NULL && json_object_get(j, alias[i][0]) == NULL)
            kpod_json_set_str(j, alias[i][0], v);
    }
    const json_t *raw = json_object_get(j, "raw");
    json_object_set(j, "CPUNano", json_object_get(raw, "cpu_ns"));
    if (r->ctr_name != NULL) {
        char b[32] = "--", up[48] = "--";
        if (r->s.valid) {
            kpod_stats_human_size(r->s.mem_usage, b, sizeof(b));
            kpod_stats_duration((uint64_t)r->s.uptime_ns, up, sizeof(up));
        }
        kpod_json_set_str(j, "MemUsageBytes", b);
        kpod_json_set_str(j, "UpTime", up);
        json_object_set_new(j, "CPU", json_real(r->s.cpu_percent));
    }
    return j;
}

static int
print_round(const struct round *r, enum out out, const char *format, bool pods, bool no_trunc,
            struct kpod_err **err)
{
    int rc = 0;
    if (out == OUT_JSON) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->n; i++)
            json_array_append_new(a, kpod_stats_row_json(&r->rows[i], no_trunc));
        _cleanup_free_ char *s = kpod_json_dumps(a, true);
        json_decref(a);
        printf("%s\n", s);
    } else if (out == OUT_PROM) {
        _cleanup_free_ char *s = kpod_stats_prometheus(r->rows, r->n);
        fputs(s, stdout);
    } else if (out == OUT_TEMPLATE) {
        if (kpod_str_has_prefix(format, "table "))
            format += 6;
        for (size_t i = 0; i < r->n && rc == 0; i++) {
            json_t *j = template_json(&r->rows[i], no_trunc);
            rc = kpod_cmd_print_json_field(j, format, err);
            json_decref(j);
        }
    } else {
        print_table(r, pods, no_trunc);
    }
    fflush(stdout);
    return rc;
}

static int
parse_out(const char *format, enum out *ret, struct kpod_err **err)
{
    if (format == NULL || strcmp(format, "table") == 0)
        *ret = OUT_TABLE;
    else if (strcmp(format, "json") == 0)
        *ret = OUT_JSON;
    else if (strcmp(format, "prometheus") == 0)
        *ret = OUT_PROM;
    else if (strstr(format, "{{") != NULL)
        *ret = OUT_TEMPLATE;
    else
        return kpod_err_usage(err,
                              "unknown format '%s': want table, json, prometheus or a template "
                              "such as '{{.Name}} {{.CPUPerc}}'",
                              format);
    return 0;
}

static void
sleep_s(long long s)
{
    struct timespec ts = {.tv_sec = (time_t)s};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int
kpod_cmd_stats_run(struct kpod_ctx *ctx, const struct kpod_stats_cli *o, bool pods, int argc,
                   char **argv, struct kpod_err **err)
{
    enum out out = OUT_TABLE;
    if (parse_out(o->format, &out, err) < 0)
        return -1;
    if (o->interval < 1)
        return kpod_err_usage(err, "invalid interval %lld: want at least 1 second", o->interval);
    if (o->all && argc > 0)
        return kpod_err_usage(err, "--all and %s names cannot be combined",
                              pods ? "pod" : "container");
    struct kpod_stats_sampler *s = kpod_stats_sampler_new();
    bool tty = isatty(STDOUT_FILENO);
    int rc = 0;
    for (bool first = true;; first = false) {
        struct round r = {0};
        rc = collect(ctx, s, o, pods, argc, argv, first, &r, err);
        if (rc == 0) {
            if (!o->no_stream && !o->no_reset && out == OUT_TABLE && tty)
                fputs("\033[2J\033[H", stdout);
            rc = print_round(&r, out, o->format, pods, o->no_trunc, err);
        }
        round_fini(&r);
        if (rc < 0 || o->no_stream)
            break;
        sleep_s(o->interval);
    }
    kpod_stats_sampler_free(s);
    return rc;
}

static const struct kpod_opt stats_opts[] = {KPOD_STATS_OPTS("container")};

static int
run_stats(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    return kpod_cmd_stats_run(ctx, data, false, argc, argv, err);
}

const struct kpod_cmd kpod_cmd_stats = {
    .name = "stats",
    .summary = "show the live resource use of containers",
    .usage = "[options] [CONTAINER...]",
    .description = "CPU % over the interval (the first sample: since start) and since start, "
                   "memory working set against the limit, network I/O of the pod, block I/O and "
                   "PIDs of each running container (all with --all), refreshed every --interval "
                   "seconds until interrupted, or once with --no-stream.",
    .opts = stats_opts,
    .opts_size = sizeof(struct kpod_stats_cli),
    .run = run_stats,
    .min_args = 0,
    .max_args = -1,
    .args_complete = "containers",
};
