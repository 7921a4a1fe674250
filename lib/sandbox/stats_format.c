/* Stats as podman prints them: decimal units, percentages, durations, podman's JSON keys, and
 * the Prometheus text exposition format. Pure. */
#include "sandbox/sandbox.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
kpod_stats_human_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1000.0 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1000.0;
        u++;
    }
    /* go-units prints "1e+03kB" for 999999: carry on to the next unit instead */
    if (u > 0 && v >= 999.5 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, len, "%.3g%s", v, units[u]);
}

void
kpod_stats_percent(double p, char *buf, size_t len)
{
    snprintf(buf, len, "%.2f%%", isfinite(p) ? p : 0.0);
}

void
kpod_stats_duration(uint64_t ns, char *buf, size_t len)
{
    if (ns < UINT64_C(1000000000)) {
        snprintf(buf, len, "%" PRIu64 "ms", ns / UINT64_C(1000000));
        return;
    }
    uint64_t ms = ns / UINT64_C(1000000);
    uint64_t h = ms / 3600000ULL, m = ms / 60000ULL % 60, s = ms / 1000 % 60, frac = ms % 1000;
    char sec[32];
    if (frac == 0) {
        snprintf(sec, sizeof(sec), "%" PRIu64 "s", s);
    } else {
        snprintf(sec, sizeof(sec), "%" PRIu64 ".%03" PRIu64, s, frac);
        size_t l = strlen(sec);
        while (sec[l - 1] == '0')
            sec[--l] = '\0';
        snprintf(sec + l, sizeof(sec) - l, "s");
    }
    if (h > 0)
        snprintf(buf, len, "%" PRIu64 "h%" PRIu64 "m%s", h, m, sec);
    else if (m > 0)
        snprintf(buf, len, "%" PRIu64 "m%s", m, sec);
    else
        snprintf(buf, len, "%s", sec);
}

/* ---- JSON and Prometheus ---- */

static char *
pair(uint64_t a, uint64_t b)
{
    char x[32], y[32];
    kpod_stats_human_size(a, x, sizeof(x));
    kpod_stats_human_size(b, y, sizeof(y));
    return xasprintf("%s / %s", x, y);
}

static json_t *
raw_json(const struct kpod_stats *s)
{
    return json_pack("{s:I, s:f, s:f, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I}",
                     "cpu_ns", (json_int_t)s->cpu_ns, "cpu_percent", s->cpu_percent,
                     "avg_cpu_percent", s->avg_cpu_percent, "mem_usage", (json_int_t)s->mem_usage,
                     "mem_limit", (json_int_t)s->mem_limit, "mem_percent", s->mem_percent,
                     "mem_swap", (json_int_t)s->mem_swap, "pids", (json_int_t)s->pids, "pids_limit",
                     (json_int_t)(s->pids_limit == UINT64_MAX ? -1 : (json_int_t)s->pids_limit),
                     "block_read", (json_int_t)s->block_read, "block_write",
                     (json_int_t)s->block_write, "net_rx", (json_int_t)s->net_rx, "net_tx",
                     (json_int_t)s->net_tx, "uptime_ns", (json_int_t)s->uptime_ns,
                     "throttled_periods", (json_int_t)s->throttled_periods, "oom_kills",
                     (json_int_t)s->oom_kills);
}

struct texts {
    char cpu[32], avg[32], mem_pct[32], cpu_time[48], limit[32], pids[32];
    char *mem, *net, *block;
};

static void
texts_make(const struct kpod_stats *s, struct texts *t)
{
    const char *dash = "--";
    if (!s->valid) {
        snprintf(t->cpu, sizeof(t->cpu), "%s", dash);
        snprintf(t->avg, sizeof(t->avg), "%s", dash);
        snprintf(t->mem_pct, sizeof(t->mem_pct), "%s", dash);
        snprintf(t->cpu_time, sizeof(t->cpu_time), "%s", dash);
        snprintf(t->limit, sizeof(t->limit), "%s", dash);
        snprintf(t->pids, sizeof(t->pids), "%s", dash);
        t->mem = xstrdup("-- / --");
        t->net = xstrdup("-- / --");
        t->block = xstrdup("-- / --");
        return;
    }
    kpod_stats_percent(s->cpu_percent, t->cpu, sizeof(t->cpu));
    kpod_stats_percent(s->avg_cpu_percent, t->avg, sizeof(t->avg));
    kpod_stats_percent(s->mem_percent, t->mem_pct, sizeof(t->mem_pct));
    kpod_stats_duration(s->cpu_ns, t->cpu_time, sizeof(t->cpu_time));
    kpod_stats_human_size(s->mem_limit, t->limit, sizeof(t->limit));
    snprintf(t->pids, sizeof(t->pids), "%" PRIu64, s->pids);
    t->mem = pair(s->mem_usage, s->mem_limit);
    t->net = s->has_net ? pair(s->net_rx, s->net_tx) : xstrdup("-- / --");
    t->block = pair(s->block_read, s->block_write);
}

static void
texts_fini(struct texts *t)
{
    free(t->mem);
    free(t->net);
    free(t->block);
}

json_t *
kpod_stats_row_json(const struct kpod_stats_row *r, bool no_trunc)
{
    struct texts t = {0};
    texts_make(&r->s, &t);
    _cleanup_free_ char *id = xstrndup(r->id, no_trunc ? strlen(r->id) : 12);
    json_t *j;
    if (r->ctr_name != NULL) {
        j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", id,
                      "name", r->name, "pod", r->pod_id, "pod_name", r->pod_name, "cpu_time",
                      t.cpu_time, "cpu_percent", t.cpu, "avg_cpu", t.avg, "mem_usage", t.mem,
                      "mem_limit", t.limit, "mem_percent", t.mem_pct, "net_io", t.net, "block_io",
                      t.block, "pids", t.pids);
    } else {
        char bytes[32] = "--";
        if (r->s.valid)
            kpod_stats_human_size(r->s.mem_usage, bytes, sizeof(bytes));
        j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "Pod", id, "Name",
                      r->name, "CPU", t.cpu, "MemUsage", t.mem, "MemUsageBytes", bytes, "Mem",
                      t.mem_pct, "NetIO", t.net, "BlockIO", t.block, "PIDS", t.pids, "CPUTime",
                      t.cpu_time, "Containers", r->nctrs);
    }
    json_object_set_new(j, "running", json_boolean(r->s.valid));
    json_object_set_new(j, "raw", raw_json(&r->s));
    if (r->ctr_name == NULL) {
        json_object_set_new(j, "Sum", raw_json(&r->sum));
        json_t *a = json_array();
        for (size_t i = 0; i < r->nctr_rows; i++)
            json_array_append_new(a, kpod_stats_row_json(&r->ctrs[i], no_trunc));
        json_object_set_new(j, "ContainerStats", a);
    }
    texts_fini(&t);
    return j;
}

static void
prom_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f), fputc(*s, f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

struct metric {
    const char *name, *type, *help;
    int kind; /* 0 u64, 1 double, 2 seconds from ns */
    size_t off;
};

#define M(n, t, h, k, f)                                                                           \
    {                                                                                              \
        n, t, h, k, offsetof(struct kpod_stats, f)                                                 \
    }
static const struct metric metrics[] = {
    M("cpu_seconds_total", "counter", "CPU time consumed", 2, cpu_ns),
    M("cpu_percent", "gauge", "CPU use over the last interval (100 = one core)", 1, cpu_percent),
    M("cpu_average_percent", "gauge", "CPU use since start (100 = one core)", 1, avg_cpu_percent),
    M("memory_working_set_bytes", "gauge", "Memory in use minus inactive file pages", 0, mem_usage),
    M("memory_limit_bytes", "gauge", "Memory limit (the host's memory when unlimited)", 0,
      mem_limit),
    M("memory_swap_bytes", "gauge", "Swap in use", 0, mem_swap),
    M("pids", "gauge", "Processes and threads", 0, pids),
    M("blkio_read_bytes_total", "counter", "Bytes read from block devices", 0, block_read),
    M("blkio_write_bytes_total", "counter", "Bytes written to block devices", 0, block_write),
    M("network_receive_bytes_total", "counter", "Bytes received in the pod network namespace", 0,
      net_rx),
    M("network_transmit_bytes_total", "counter", "Bytes sent from the pod network namespace", 0,
      net_tx),
    M("cpu_throttled_periods_total", "counter", "CFS periods throttled", 0, throttled_periods),
    M("cpu_throttled_seconds_total", "counter", "Time throttled by CFS", 2, throttled_ns),
    M("oom_kills_total", "counter", "Processes killed by the OOM killer", 0, oom_kills),
    M("uptime_seconds", "gauge", "Time since start", 2, uptime_ns),
};
#undef M

static void
prom_value(FILE *f, const struct metric *m, const struct kpod_stats *s)
{
    const char *p = (const char *)s + m->off;
    if (m->kind == 1) {
        double d;
        memcpy(&d, p, sizeof(d));
        fprintf(f, "%.4f\n", d);
        return;
    }
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    if (m->kind == 2)
        fprintf(f, "%" PRIu64 ".%09" PRIu64 "\n", v / UINT64_C(1000000000),
                v % UINT64_C(1000000000));
    else
        fprintf(f, "%" PRIu64 "\n", v);
}

char *
kpod_stats_prometheus(const struct kpod_stats_row *rows, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        abort();
    for (size_t k = 0; k < ARRAY_SIZE(metrics); k++) {
        const struct metric *m = &metrics[k];
        for (int pod = 0; pod < 2; pod++) {
            bool net = strstr(m->name, "network") != NULL, any = false;
            for (size_t i = 0; i < n; i++)
                any = any || (rows[i].s.valid && (rows[i].ctr_name == NULL) == pod &&
                              (!net || rows[i].s.has_net));
            if (!any)
                continue;
            const char *what = pod ? "pod" : "container";
            fprintf(f, "# HELP kpod_%s_%s %s.\n# TYPE kpod_%s_%s %s\n", what, m->name, m->help,
                    what, m->name, m->type);
            for (size_t i = 0; i < n; i++) {
                const struct kpod_stats_row *r = &rows[i];
                if (!r->s.valid || (r->ctr_name == NULL) != pod)
                    continue;
                if (net && !r->s.has_net)
                    continue;
                fprintf(f, "kpod_%s_%s{id=\"%s\",name=\"", what, m->name, r->id);
                prom_escape(f, r->name);
                fputs("\",pod=\"", f);
                prom_escape(f, r->pod_name);
                if (r->ctr_name != NULL) {
                    fputs("\",container=\"", f);
                    prom_escape(f, r->ctr_name);
                }
                fputs("\"} ", f);
                prom_value(f, m, &r->s);
            }
        }
    }
    fclose(f);
    return buf;
}
