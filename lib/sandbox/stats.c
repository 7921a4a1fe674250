/* Stats of pods and containers (seed-semantics §6): one pass over the cgroup files of each
 * container (kept open between rounds when streaming), the pod netns counters from
 * /proc/<infra>/net/dev, no fork or exec. The formatting is in stats_format.c. */
#include "sandbox/sandbox.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "cgroup/cgroup.h"

void
kpod_stats_row_fini(struct kpod_stats_row *r)
{
    if (r == NULL)
        return;
    free(r->id);
    free(r->name);
    free(r->pod_id);
    free(r->pod_name);
    free(r->ctr_name);
    for (size_t i = 0; i < r->nctr_rows; i++)
        kpod_stats_row_fini(&r->ctrs[i]);
    free(r->ctrs);
    memset(r, 0, sizeof(*r));
}

/* ---- pure ---- */

static double
pct(double part, double whole)
{
    return whole > 0 ? part * 100.0 / whole : 0.0;
}

void
kpod_stats_compute(const struct kpod_cgroup_stats *cg, const struct kpod_stats_prev *prev,
                   int64_t started_ns, int64_t now_ns, uint64_t host_mem, struct kpod_stats *ret)
{
    ret->valid = true;
    ret->cpu_ns = cg->cpu_usage_ns;
    ret->uptime_ns = started_ns > 0 && now_ns > started_ns ? now_ns - started_ns : 0;
    ret->avg_cpu_percent = pct((double)cg->cpu_usage_ns, (double)ret->uptime_ns);
    if (prev != NULL && prev->at_ns > 0 && now_ns > prev->at_ns) {
        uint64_t d = cg->cpu_usage_ns >= prev->cpu_ns ? cg->cpu_usage_ns - prev->cpu_ns : 0;
        ret->cpu_percent = pct((double)d, (double)(now_ns - prev->at_ns));
    } else {
        ret->cpu_percent = ret->avg_cpu_percent;
    }
    ret->mem_usage = cg->memory_working_set;
    ret->mem_limit = cg->memory_limit;
    if (ret->mem_limit == UINT64_MAX || (host_mem > 0 && ret->mem_limit > host_mem))
        ret->mem_limit = host_mem;
    ret->mem_percent = pct((double)ret->mem_usage, (double)ret->mem_limit);
    ret->mem_swap = cg->memory_swap;
    ret->pids = cg->pids_current;
    ret->pids_limit = cg->pids_limit;
    ret->block_read = cg->blkio_read_bytes;
    ret->block_write = cg->blkio_write_bytes;
    ret->throttled_periods = cg->cpu_throttled_periods;
    ret->throttled_ns = cg->cpu_throttled_ns;
    ret->oom_kills = cg->oom_kills;
}

int
kpod_stats_parse_net_dev(const char *text, uint64_t *ret_rx, uint64_t *ret_tx)
{
    if (text == NULL || strstr(text, "Inter-") == NULL)
        return -1;
    uint64_t rx = 0, tx = 0;
    int n = 0;
    const char *line = strchr(text, '\n');
    line = line ? strchr(line + 1, '\n') : NULL; /* two header lines */
    while (line != NULL && *++line != '\0') {
        const char *colon = strchr(line, ':');
        const char *eol = strchr(line, '\n');
        if (colon == NULL || (eol != NULL && colon > eol))
            break;
        const char *name = line;
        while (*name == ' ')
            name++;
        unsigned long long v[16];
        int got = sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                         &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]);
        if (got == 9 && !((size_t)(colon - name) == 2 && strncmp(name, "lo", 2) == 0)) {
            rx += v[0];
            tx += v[8];
            n++;
        }
        line = eol;
    }
    *ret_rx = rx;
    *ret_tx = tx;
    return n;
}

int
kpod_stats_read_net(pid_t pid, uint64_t *ret_rx, uint64_t *ret_tx, struct kpod_err **err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
    _cleanup_free_ char *text = NULL;
    if (kpod_fs_read_file(path, 1 << 20, &text, NULL, err) < 0)
        return -1;
    if (kpod_stats_parse_net_dev(text, ret_rx, ret_tx) < 0)
        return kpod_err_msg(err, "'%s': not a net/dev table", path);
    return 0;
}

/* ---- sampling ---- */

struct slot {
    char *cgroup; /* key */
    struct kpod_cgroup *cg;
    struct kpod_stats_prev prev;
    bool seen;
};

struct kpod_stats_sampler {
    struct slot *slots;
    size_t n;
    uint64_t host_mem;
};

struct kpod_stats_sampler *
kpod_stats_sampler_new(void)
{
    struct kpod_stats_sampler *s = xzalloc(sizeof(*s));
    struct sysinfo si;
    if (sysinfo(&si) == 0)
        s->host_mem = (uint64_t)si.totalram * si.mem_unit;
    return s;
}

void
kpod_stats_sampler_free(struct kpod_stats_sampler *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->slots[i].cgroup);
        kpod_cgroup_free(s->slots[i].cg);
    }
    free(s->slots);
    free(s);
}

static struct slot *
slot_get(struct kpod_stats_sampler *s, const char *cgroup)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->slots[i].cgroup, cgroup) == 0)
            return &s->slots[i];
    s->slots = xreallocarray(s->slots, s->n + 1, sizeof(*s->slots));
    struct slot *sl = &s->slots[s->n++];
    memset(sl, 0, sizeof(*sl));
    sl->cgroup = xstrdup(cgroup);
    return sl;
}

/* Reads a cgroup through its slot, reopening once when the kept files went stale (a cgroup
 * made again by a restart). */
static int
read_cgroup(struct slot *sl, struct kpod_cgroup_stats *st, struct kpod_err **err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (sl->cg == NULL) {
            sl->cg = kpod_cgroup_open(sl->cgroup, false, err);
            if (sl->cg == NULL)
                return -1;
            kpod_cgroup_keep_stat_files(sl->cg, true);
        }
        struct kpod_err *e = NULL;
        if (kpod_cgroup_read_stats(sl->cg, st, &e) == 0)
            return 0;
        kpod_cgroup_free(sl->cg);
        sl->cg = NULL;
        if (attempt == 1)
            kpod_err_move(err, &e);
        kpod_err_free(&e);
    }
    return -1;
}

static int
sample_one(struct kpod_stats_sampler *s, const char *cgroup, int64_t started_ns,
           struct kpod_stats *ret, struct kpod_err **err)
{
    struct slot *sl = slot_get(s, cgroup);
    struct kpod_cgroup_stats st;
    if (read_cgroup(sl, &st, err) < 0)
        return -1;
    int64_t now = kpod_clock_real_ns();
    if (sl->prev.at_ns > 0 && st.cpu_usage_ns < sl->prev.cpu_ns)
        sl->prev.at_ns = 0; /* a new cgroup: start over */
    kpod_stats_compute(&st, &sl->prev, started_ns, now, s->host_mem, ret);
    sl->prev.cpu_ns = st.cpu_usage_ns;
    sl->prev.at_ns = now;
    return 0;
}

static struct kpod_stats_row *
row_add(struct kpod_stats_row **rows, size_t *n)
{
    *rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
    struct kpod_stats_row *r = &(*rows)[(*n)++];
    memset(r, 0, sizeof(*r));
    return r;
}

static bool
ctr_runs(const struct kpod_pod_state *p, const struct kpod_ctr_state *c)
{
    return (p->state == KPOD_STATE_RUNNING || p->state == KPOD_STATE_PAUSED) &&
           (c->state == KPOD_STATE_RUNNING || c->state == KPOD_STATE_PAUSED) && c->cgroup != NULL;
}

static void
pod_net(const struct kpod_pod_state *p, struct kpod_stats *st)
{
    st->has_net = false;
    if (p->netns == NULL || p->infra_pid <= 0 || !kpod_proc_alive(p->infra_pid, p->infra_start))
        return;
    struct kpod_err *e = NULL;
    if (kpod_stats_read_net(p->infra_pid, &st->net_rx, &st->net_tx, &e) == 0)
        st->has_net = true;
    kpod_err_free(&e);
}

static int
sample_pod_row(struct kpod_stats_sampler *s, const struct kpod_pod_state *p,
               struct kpod_stats_row *r, const struct kpod_stats *net, struct kpod_err **err)
{
    r->id = xstrdup(p->id);
    r->name = xstrdup(p->name);
    r->pod_id = xstrdup(p->id);
    r->pod_name = xstrdup(p->name);
    int64_t started = 0;
    for (size_t i = 0; i < p->nctrs; i++) {
        const struct kpod_ctr_state *c = &p->ctrs[i];
        if (!ctr_runs(p, c))
            continue;
        r->nctrs++;
        if (c->started_ns > 0 && (started == 0 || c->started_ns < started))
            started = c->started_ns;
    }
    if (p->state != KPOD_STATE_RUNNING && p->state != KPOD_STATE_PAUSED)
        return 0;
    if (sample_one(s, p->cgroup, started ? started : p->created_ns, &r->s, err) < 0)
        return kpod_err_prefix(err, "pod '%s'", p->name);
    r->s.has_net = net->has_net, r->s.net_rx = net->net_rx, r->s.net_tx = net->net_tx;
    return 0;
}

static int
sample_ctrs(struct kpod_stats_sampler *s, const struct kpod_pod_state *p,
            const struct kpod_ctr_state *only, bool all, const struct kpod_stats *net,
            struct kpod_stats_row **rows, size_t *n, struct kpod_err **err)
{
    for (size_t i = 0; i < p->nctrs; i++) {
        const struct kpod_ctr_state *c = &p->ctrs[i];
        if ((only != NULL && c != only) || (!all && !ctr_runs(p, c)))
            continue;
        struct kpod_stats_row *r = row_add(rows, n);
        r->id = xstrdup(c->id);
        r->name = xasprintf("%s-%s", p->name, c->name);
        r->pod_id = xstrdup(p->id);
        r->pod_name = xstrdup(p->name);
        r->ctr_name = xstrdup(c->name);
        if (!ctr_runs(p, c))
            continue;
        struct kpod_err *e = NULL;
        if (sample_one(s, c->cgroup, c->started_ns, &r->s, &e) < 0) {
            /* exited between the state read and the sample: shown as not running */
            if (e->kind != KPOD_ERR_NOTFOUND) {
                kpod_err_move(err, &e);
                return kpod_err_prefix(err, "container '%s'", r->name);
            }
            kpod_err_free(&e);
            continue;
        }
        r->s.has_net = net->has_net, r->s.net_rx = net->net_rx, r->s.net_tx = net->net_tx;
    }
    return 0;
}

static void
add_up(struct kpod_stats *sum, const struct kpod_stats *s)
{
    sum->valid = true;
    sum->cpu_ns += s->cpu_ns;
    sum->cpu_percent += s->cpu_percent;
    sum->avg_cpu_percent += s->avg_cpu_percent;
    sum->mem_usage += s->mem_usage;
    sum->mem_swap += s->mem_swap;
    sum->pids += s->pids;
    sum->block_read += s->block_read;
    sum->block_write += s->block_write;
    sum->throttled_periods += s->throttled_periods;
    sum->throttled_ns += s->throttled_ns;
    sum->oom_kills += s->oom_kills;
}

int
kpod_stats_sample(struct kpod_stats_sampler *s, const struct kpod_pod_state *p,
                  const struct kpod_ctr_state *only, bool pod_row, bool all,
                  struct kpod_stats_row **rows, size_t *n, struct kpod_err **err)
{
    struct kpod_stats net = {0};
    pod_net(p, &net);
    if (!pod_row)
        return sample_ctrs(s, p, only, all, &net, rows, n, err);
    if (!all && p->state != KPOD_STATE_RUNNING && p->state != KPOD_STATE_PAUSED)
        return 0;
    struct kpod_stats_row *r = row_add(rows, n);
    if (sample_pod_row(s, p, r, &net, err) < 0 ||
        sample_ctrs(s, p, NULL, false, &net, &r->ctrs, &r->nctr_rows, err) < 0)
        return -1;
    for (size_t i = 0; i < r->nctr_rows; i++)
        if (r->ctrs[i].s.valid)
            add_up(&r->sum, &r->ctrs[i].s);
    r->sum.pids_limit = UINT64_MAX;
    r->sum.mem_limit = r->s.mem_limit;
    r->sum.mem_percent = r->s.mem_limit ? r->sum.mem_usage * 100.0 / (double)r->s.mem_limit : 0;
    r->sum.has_net = net.has_net, r->sum.net_rx = net.net_rx, r->sum.net_tx = net.net_tx;
    return 0;
}
