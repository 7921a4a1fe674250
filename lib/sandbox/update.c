/* `kpod update`: new limits for a running container (seed-semantics §5.5): validated, written
 * to its cgroup (the old values restored when the kernel refuses one), persisted in the bundle's
 * config.json (the monitor starts each run of the container from it), and the pod cgroup's
 * totals recomputed over the running containers (§5.3). */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "spec/oci.h"

#define MIN_MEMORY (6LL << 20) /* what runc and podman accept at least */
#define CPU_PERIOD 100000LL

void
kpod_update_init(struct kpod_update *u)
{
    memset(u, 0, sizeof(*u));
    u->memory = u->memory_reservation = u->memory_swap = -1;
    u->cpu_quota = u->cpu_period = u->cpu_shares = u->pids_limit = -1;
}

int
kpod_update_parse_cpus(const char *s, int64_t *ret_quota, int64_t *ret_period,
                       struct kpod_err **err)
{
    char *end = NULL;
    errno = 0;
    double v = s && *s ? strtod(s, &end) : -1;
    if (s == NULL || *s == '\0' || errno != 0 || end == NULL || *end != '\0' || !(v > 0) || v > 1e6)
        return kpod_err_usage(err, "invalid --cpus '%s': want a positive number such as 0.5 or 2",
                              s ? s : "");
    int64_t quota = (int64_t)(v * CPU_PERIOD + 0.5);
    if (quota < 1000)
        return kpod_err_usage(err, "invalid --cpus '%s': the least is 0.01", s);
    *ret_quota = quota;
    *ret_period = CPU_PERIOD;
    return 0;
}

static int
parse_cpu(const char **p, long *ret)
{
    if (**p < '0' || **p > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(*p, &end, 10);
    if (errno != 0 || v < 0 || v >= 1024)
        return -1;
    *p = end;
    *ret = v;
    return 0;
}

int
kpod_update_parse_cpuset(const char *s, uint64_t mask[16], int ncpus, struct kpod_err **err)
{
    memset(mask, 0, 16 * sizeof(uint64_t));
    const char *p = s;
    int count = 0;
    while (p != NULL && *p != '\0') {
        long a = 0, b = 0;
        if (parse_cpu(&p, &a) < 0)
            return kpod_err_usage(err, "invalid cpu list '%s': want e.g. 0-2,5", s);
        b = a;
        if (*p == '-') {
            p++;
            if (parse_cpu(&p, &b) < 0 || b < a)
                return kpod_err_usage(err, "invalid cpu list '%s': want e.g. 0-2,5", s);
        }
        if (*p != ',' && *p != '\0')
            return kpod_err_usage(err, "invalid cpu list '%s': want e.g. 0-2,5", s);
        if (*p == ',' && *++p == '\0')
            return kpod_err_usage(err, "invalid cpu list '%s': want e.g. 0-2,5", s);
        if (ncpus > 0 && b >= ncpus)
            return kpod_err_usage(err, "cpu list '%s': CPU %ld does not exist (the host has %d)", s,
                                  b, ncpus);
        for (long c = a; c <= b; c++) {
            if (!(mask[c / 64] & (1ULL << (c % 64))))
                count++;
            mask[c / 64] |= 1ULL << (c % 64);
        }
    }
    if (count == 0)
        return kpod_err_usage(err, "invalid cpu list '%s': empty", s ? s : "");
    return count;
}

char *
kpod_update_format_cpuset(const uint64_t mask[16])
{
    char *out = xstrdup("");
    for (int c = 0; c < 1024; c++) {
        if (!(mask[c / 64] & (1ULL << (c % 64))))
            continue;
        int e = c;
        while (e + 1 < 1024 && (mask[(e + 1) / 64] & (1ULL << ((e + 1) % 64))))
            e++;
        char *next = e == c ? xasprintf("%s%s%d", out, *out ? "," : "", c)
                            : xasprintf("%s%s%d-%d", out, *out ? "," : "", c, e);
        free(out);
        out = next;
        c = e;
    }
    return out;
}

/* ---- validation against the container's current limits ---- */

static void
fmt_bytes(int64_t v, char *buf, size_t len)
{
    kpod_stats_human_size((uint64_t)v, buf, len);
}

static int
validate(const struct kpod_update *u, const struct kpod_oci_resources *cur, struct kpod_err **err)
{
    int64_t mem = u->memory >= 0 ? u->memory : cur->memory_limit;
    char a[32], b[32];
    if (u->memory >= 0 && u->memory < MIN_MEMORY)
        return kpod_err_usage(err, "--memory %" PRId64 ": the least is 6MiB", u->memory);
    if (u->memory_reservation >= 0 && mem > 0 && u->memory_reservation > mem) {
        fmt_bytes(u->memory_reservation, a, sizeof(a)), fmt_bytes(mem, b, sizeof(b));
        return kpod_err_usage(err, "--memory-reservation %s is above the memory limit %s", a, b);
    }
    if (u->memory_swap >= 0 && u->memory_swap != KPOD_UPDATE_UNLIMITED) {
        if (mem <= 0)
            return kpod_err_usage(err, "--memory-swap needs a memory limit (--memory)");
        if (u->memory_swap < mem) {
            fmt_bytes(u->memory_swap, a, sizeof(a)), fmt_bytes(mem, b, sizeof(b));
            return kpod_err_usage(err,
                                  "--memory-swap %s is below the memory limit %s (it counts "
                                  "memory plus swap)",
                                  a, b);
        }
    } else if (u->memory_swap < 0 && u->memory >= 0 && cur->memory_swap > 0 &&
               cur->memory_swap < u->memory) {
        fmt_bytes(cur->memory_swap, a, sizeof(a));
        return kpod_err_usage(
            err, "--memory above the memory+swap limit %s: raise --memory-swap too", a);
    }
    if (u->cpu_shares >= 0 && (u->cpu_shares < 2 || u->cpu_shares > 262144))
        return kpod_err_usage(err, "--cpu-shares %" PRId64 ": want 2 to 262144", u->cpu_shares);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (u->cpu_quota > 0 && ncpu > 0 && u->cpu_quota > ncpu * u->cpu_period)
        return kpod_err_usage(err, "--cpus %.2f: the host has only %ld CPUs",
                              (double)u->cpu_quota / (double)u->cpu_period, ncpu);
    uint64_t mask[16];
    if (u->cpuset_cpus != NULL &&
        kpod_update_parse_cpuset(u->cpuset_cpus, mask, (int)ncpu, err) < 0)
        return -1;
    return 0;
}

/* ---- the cgroup ---- */

static void
limits_of(const struct kpod_update *u, struct kpod_cgroup_limits *l)
{
    kpod_cgroup_limits_init(l);
    l->memory_limit = u->memory == KPOD_UPDATE_UNLIMITED ? -1 : u->memory;
    l->memory_reservation =
        u->memory_reservation == KPOD_UPDATE_UNLIMITED ? -1 : u->memory_reservation;
    l->memory_swap = u->memory_swap == KPOD_UPDATE_UNLIMITED ? -1 : u->memory_swap;
    l->cpu_shares = u->cpu_shares > 0 ? (uint64_t)u->cpu_shares : 0;
    l->cpu_quota = u->cpu_quota == KPOD_UPDATE_UNLIMITED ? -1 : u->cpu_quota;
    l->cpu_period = u->cpu_period > 0 ? (uint64_t)u->cpu_period : 0;
    l->cpuset_cpus = u->cpuset_cpus ? xstrdup(u->cpuset_cpus) : NULL;
    l->pids_limit =
        u->pids_limit > 0 && u->pids_limit != KPOD_UPDATE_UNLIMITED ? u->pids_limit : -1;
}

/* Writes "max" (v2) / -1 (v1) where the limits struct cannot say "unlimited". */
static int
write_unlimited(struct kpod_cgroup *cg, const char *ctrl, const char *v1file, const char *v2file,
                struct kpod_err **err)
{
    const char *dir = kpod_cgroup_dir(cg, ctrl);
    if (dir == NULL)
        return 0;
    bool v2 = kpod_cgroup_host_version() == KPOD_CGROUP_V2;
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, v2 ? v2file : v1file);
    if (access(path, F_OK) < 0)
        return 0;
    const char *val = v2 || strcmp(ctrl, "pids") == 0 ? "max" : "-1";
    if (v2 && strcmp(v2file, "memory.low") == 0)
        val = "0"; /* no protection */
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || kpod_fs_write_all(fd, val, strlen(val)) < 0)
        return kpod_err_sys(err, "write '%s' to '%s'", val, path);
    return 0;
}

static int
apply_update(struct kpod_cgroup *cg, const struct kpod_update *u, struct kpod_err **err)
{
    struct kpod_cgroup_limits l;
    limits_of(u, &l);
    int rc = 0;
    if (u->memory_swap == KPOD_UPDATE_UNLIMITED) /* first: memsw must stay above the limit */
        rc = write_unlimited(cg, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max", err);
    if (rc == 0 && u->memory == KPOD_UPDATE_UNLIMITED)
        rc = write_unlimited(cg, "memory", "memory.limit_in_bytes", "memory.max", err);
    if (rc == 0 && u->memory_reservation == KPOD_UPDATE_UNLIMITED)
        rc = write_unlimited(cg, "memory", "memory.soft_limit_in_bytes", "memory.low", err);
    if (rc == 0)
        rc = kpod_cgroup_apply(cg, &l, err);
    kpod_cgroup_limits_free(&l);
    if (rc == 0 && u->cpu_quota == KPOD_UPDATE_UNLIMITED)
        rc = write_unlimited(cg, "cpu", "cpu.cfs_quota_us", "cpu.max", err);
    if (rc == 0 && u->pids_limit == KPOD_UPDATE_UNLIMITED)
        rc = write_unlimited(cg, "pids", "pids.max", "pids.max", err);
    return rc;
}

/* The values before the update of the fields it changes, to write back on failure. */
static void
old_values(const struct kpod_update *u, const struct kpod_oci_resources *r, struct kpod_update *old)
{
    kpod_update_init(old);
#define OLD(field, cur)                                                                            \
    if (u->field >= 0)                                                                             \
        old->field = (cur) == KPOD_OCI_UNSET || (cur) < 0 ? KPOD_UPDATE_UNLIMITED : (cur);
    OLD(memory, r->memory_limit);
    OLD(memory_reservation, r->memory_reservation);
    OLD(memory_swap, r->memory_swap);
    OLD(pids_limit, r->pids_limit);
#undef OLD
    if (u->cpu_shares >= 0)
        old->cpu_shares = r->cpu_shares ? (int64_t)r->cpu_shares : 1024;
    if (u->cpu_quota >= 0 && r->cpu_quota != KPOD_OCI_UNSET && r->cpu_quota > 0) {
        old->cpu_quota = r->cpu_quota;
        old->cpu_period = r->cpu_period ? (int64_t)r->cpu_period : CPU_PERIOD;
    } else if (u->cpu_quota >= 0) {
        old->cpu_quota = KPOD_UPDATE_UNLIMITED;
    }
    if (u->cpuset_cpus != NULL && r->cpu_cpus != NULL)
        old->cpuset_cpus = r->cpu_cpus;
}

static int
explain(int rc, const struct kpod_update *u, struct kpod_err **err)
{
    if (rc < 0 && *err != NULL && (*err)->errnum == EBUSY && u->memory >= 0) {
        char a[32];
        fmt_bytes(u->memory, a, sizeof(a));
        return kpod_err_prefix(err, "the kernel cannot bring the memory use under %s", a);
    }
    return rc;
}

static void
persist_into(const struct kpod_update *u, struct kpod_oci_resources *r)
{
    if (u->memory >= 0)
        r->memory_limit = u->memory;
    if (u->memory_reservation >= 0)
        r->memory_reservation = u->memory_reservation;
    if (u->memory_swap >= 0)
        r->memory_swap = u->memory_swap == KPOD_UPDATE_UNLIMITED ? -1 : u->memory_swap;
    if (u->cpu_shares >= 0)
        r->cpu_shares = (uint64_t)u->cpu_shares;
    if (u->cpu_quota >= 0) {
        r->cpu_quota = u->cpu_quota;
        r->cpu_period = (uint64_t)u->cpu_period;
    }
    if (u->cpuset_cpus != NULL) {
        free(r->cpu_cpus);
        r->cpu_cpus = xstrdup(u->cpuset_cpus);
    }
    if (u->pids_limit >= 0)
        r->pids_limit = u->pids_limit == KPOD_UPDATE_UNLIMITED ? -1 : u->pids_limit;
}

/* ---- the pod's totals ---- */

struct totals {
    int64_t mem;   /* -1 unlimited */
    int64_t quota; /* per CPU_PERIOD, -1 unlimited */
    uint64_t cpus[16];
    bool any_cpuset, all_cpuset;
};

static void
add_totals(struct totals *t, const struct kpod_oci_resources *r)
{
    int64_t m = r ? r->memory_limit : KPOD_OCI_UNSET;
    t->mem = t->mem < 0 || m == KPOD_OCI_UNSET || m <= 0 ? -1 : t->mem + m;
    int64_t q = r ? r->cpu_quota : KPOD_OCI_UNSET;
    uint64_t per = r && r->cpu_period ? r->cpu_period : CPU_PERIOD;
    t->quota = t->quota < 0 || q == KPOD_OCI_UNSET || q <= 0
                   ? -1
                   : t->quota + (int64_t)((uint64_t)q * CPU_PERIOD / per);
    uint64_t mask[16];
    if (r && r->cpu_cpus && kpod_update_parse_cpuset(r->cpu_cpus, mask, 0, NULL) > 0) {
        for (int i = 0; i < 16; i++)
            t->cpus[i] |= mask[i];
        t->any_cpuset = true;
    } else {
        t->all_cpuset = false;
    }
}

static char *
read_trim(const char *dir, const char *file)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
    char *text = NULL;
    if (kpod_fs_read_file(path, 4096, &text, NULL, NULL) < 0)
        return NULL;
    text[strcspn(text, "\n")] = '\0';
    return text;
}

static int
write_str(const char *dir, const char *file, const char *val, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || kpod_fs_write_all(fd, val, strlen(val)) < 0)
        return kpod_err_sys(err, "write '%s' to '%s'", val, path);
    return 0;
}

/* The pod cpuset = the union of the containers' (all the parent's CPUs when one has none).
 * The infra leaf follows it, so that on v1 the children stay subsets: the pod grows to
 * old ∪ new first, then the infra is set, then the pod shrinks to new. */
static int
pod_cpuset(const struct kpod_pod_state *p, struct kpod_cgroup *pod, const struct totals *t,
           struct kpod_err **err)
{
    const char *dir = kpod_cgroup_dir(pod, "cpuset");
    if (dir == NULL || !t->any_cpuset)
        return 0;
    _cleanup_free_ char *parent = xstrdup(dir);
    *strrchr(parent, '/') = '\0';
    _cleanup_free_ char *want = NULL;
    if (t->all_cpuset) {
        want = kpod_update_format_cpuset(t->cpus);
    } else {
        want = read_trim(parent, "cpuset.cpus.effective");
        if (want == NULL || *want == '\0')
            free(want), want = read_trim(parent, "cpuset.cpus");
    }
    _cleanup_free_ char *cur = read_trim(dir, "cpuset.cpus");
    if (want == NULL || *want == '\0' || cur == NULL || strcmp(cur, want) == 0)
        return 0;
    uint64_t a[16] = {0}, b[16] = {0};
    kpod_update_parse_cpuset(cur, a, 0, NULL);
    kpod_update_parse_cpuset(want, b, 0, NULL);
    for (int i = 0; i < 16; i++)
        a[i] |= b[i];
    _cleanup_free_ char *both = kpod_update_format_cpuset(a);
    _cleanup_free_ char *infra = xasprintf("%s/infra", dir);
    if (write_str(dir, "cpuset.cpus", both, err) < 0)
        return -1;
    if (kpod_fs_exists(infra) && write_str(infra, "cpuset.cpus", want, err) < 0)
        return -1;
    (void)p;
    return write_str(dir, "cpuset.cpus", want, err);
}

/* Before a container gets CPUs its pod cgroup lacks (v1: a child's cpuset is a subset of its
 * parent's), the pod grows to hold them; kpod_sandbox_pod_totals shrinks it after. */
static int
pod_cpuset_grow(const struct kpod_pod_state *p, const char *cpus, struct kpod_err **err)
{
    struct kpod_cgroup *pod = kpod_cgroup_open(p->cgroup, false, err);
    if (pod == NULL)
        return -1;
    const char *dir = kpod_cgroup_dir(pod, "cpuset");
    _cleanup_free_ char *cur = dir ? read_trim(dir, "cpuset.cpus") : NULL;
    int rc = 0;
    uint64_t a[16] = {0}, b[16] = {0};
    if (cur != NULL && *cur != '\0' && kpod_update_parse_cpuset(cur, a, 0, NULL) > 0 &&
        kpod_update_parse_cpuset(cpus, b, 0, NULL) > 0) {
        bool more = false;
        for (int k = 0; k < 16; k++) {
            more = more || (b[k] & ~a[k]) != 0;
            a[k] |= b[k];
        }
        _cleanup_free_ char *both = kpod_update_format_cpuset(a);
        if (more)
            rc = write_str(dir, "cpuset.cpus", both, err);
    }
    kpod_cgroup_free(pod);
    return rc;
}

int
kpod_sandbox_pod_totals(const struct kpod_pod_state *p, struct kpod_err **err)
{
    struct totals t = {.mem = 0, .quota = 0, .all_cpuset = true};
    size_t counted = 0;
    for (size_t i = 0; i < p->nctrs; i++) {
        const struct kpod_ctr_state *c = &p->ctrs[i];
        if (c->state != KPOD_STATE_RUNNING && c->state != KPOD_STATE_PAUSED)
            continue; /* the seed's rule: stopped containers do not count */
        _cleanup_free_ char *cfg = xasprintf("%s/config.json", c->bundle);
        struct kpod_oci_spec *spec = kpod_oci_spec_load_file(cfg, err);
        if (spec == NULL)
            return -1;
        add_totals(&t, spec->linux_ ? spec->linux_->resources : NULL);
        kpod_oci_spec_free(spec);
        counted++;
    }
    if (counted == 0) /* nothing runs: nothing to bound (a limit of 0 would be refused) */
        t.mem = t.quota = -1;
    struct kpod_cgroup *cg = kpod_cgroup_open(p->cgroup, false, err);
    if (cg == NULL)
        return -1;
    struct kpod_cgroup_limits l;
    kpod_cgroup_limits_init(&l);
    l.memory_limit = t.mem;
    l.cpu_quota = t.quota;
    l.cpu_period = t.quota >= 0 ? CPU_PERIOD : 0;
    int rc = kpod_cgroup_apply(cg, &l, err);
    if (rc == 0 && t.mem < 0)
        rc = write_unlimited(cg, "memory", "memory.limit_in_bytes", "memory.max", err);
    if (rc == 0 && t.quota < 0)
        rc = write_unlimited(cg, "cpu", "cpu.cfs_quota_us", "cpu.max", err);
    if (rc == 0)
        rc = pod_cpuset(p, cg, &t, err);
    kpod_cgroup_limits_free(&l);
    kpod_cgroup_free(cg);
    return rc;
}

/* ---- the whole update ---- */

static int
update_locked(struct kpod_pod_state *p, struct kpod_ctr_state *c, const struct kpod_update *u,
              struct kpod_err **err)
{
    char full[512];
    snprintf(full, sizeof(full), "%s-%s", p->name, c->name);
    if (kpod_ctr_op_check(KPOD_CTR_OP_UPDATE, p->state, c->state, full, err) < 0)
        return -1;
    _cleanup_free_ char *cfg = xasprintf("%s/config.json", c->bundle);
    struct kpod_oci_spec *spec = kpod_oci_spec_load_file(cfg, err);
    if (spec == NULL)
        return kpod_err_prefix(err, "container '%s'", full);
    struct kpod_oci_resources *r = kpod_oci_spec_resources(spec);
    struct kpod_update nu = *u;
    u = &nu;
    /* no swap (the kubelet's memory+swap = memory) stays no swap */
    if (nu.memory >= 0 && nu.memory_swap < 0 && r->memory_swap > 0 &&
        r->memory_swap == r->memory_limit)
        nu.memory_swap = nu.memory;
    struct kpod_update old;
    old_values(u, r, &old);
    int rc = validate(u, r, err);
    struct kpod_cgroup *cg = NULL;
    if (rc == 0 && c->state == KPOD_STATE_RUNNING && u->cpuset_cpus != NULL)
        rc = pod_cpuset_grow(p, u->cpuset_cpus, err);
    if (rc == 0 && c->state == KPOD_STATE_RUNNING) {
        cg = kpod_cgroup_open(c->cgroup, false, err);
        rc = cg == NULL ? -1 : explain(apply_update(cg, u, err), u, err);
        if (rc < 0 && cg != NULL)
            apply_update(cg, &old, NULL); /* nothing changed: the old values back */
    }
    if (rc == 0) {
        persist_into(u, r);
        rc = kpod_oci_spec_save_file(spec, cfg, err);
        if (rc < 0 && cg != NULL)
            apply_update(cg, &old, NULL);
    }
    kpod_cgroup_free(cg);
    kpod_oci_spec_free(spec);
    if (rc < 0)
        return kpod_err_prefix(err, "update '%s'", full);
    struct kpod_err *e = NULL;
    if (kpod_sandbox_pod_totals(p, &e) < 0)
        kpod_warn("pod '%s': cgroup totals: %s", p->name, e->msg);
    kpod_err_free(&e);
    return 0;
}

int
kpod_sandbox_update(struct kpod_ctx *ctx, const char *pod_id, const char *ctr_name,
                    const struct kpod_update *u, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_lock_ int lock = kpod_store_lock_pod(&s, pod_id, KPOD_LOCK_EXCLUSIVE, err);
    struct kpod_pod_state *p = lock < 0 ? NULL : kpod_sandbox_fetch(&s, pod_id, err);
    kpod_store_fini(&s);
    if (p == NULL)
        return -1;
    struct kpod_ctr_state *c = kpod_pod_state_find_ctr(p, ctr_name);
    int rc = c == NULL ? kpod_err_notfound(err, "no container '%s' in pod '%s'", ctr_name, p->name)
                       : update_locked(p, c, u, err);
    kpod_pod_state_free(p);
    return rc;
}
