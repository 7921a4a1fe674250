/* The cgroup v1 backend: one directory per named hierarchy (cpu, cpuacct, cpuset, memory,
 * pids, blkio, devices, freezer, name=systemd). */
#include "cgroup/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel reports "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 on 4 KiB
 * pages); anything this large is unlimited. */
#define V1_UNLIMITED_MIN (UINT64_C(1) << 62)

/* A new cpuset cgroup starts with empty cpus and mems, and no task can join it until both
 * are set: copy them from the parent. */
static int
cpuset_inherit(const char *dir, struct kpod_err **err)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    _cleanup_free_ char *parent = xstrdup(dir);
    char *slash = strrchr(parent, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        char cur[4096], up[4096];
        if (cg_read(dir, files[i], cur, sizeof(cur), err) < 0)
            return -1;
        if (cur[strspn(cur, " \n")] != '\0')
            continue;
        if (cg_read(parent, files[i], up, sizeof(up), err) < 0)
            return -1;
        up[strcspn(up, "\n")] = '\0';
        if (cg_write(dir, files[i], up, err) < 0)
            return -1;
    }
    return 0;
}

/* mkdir -p of mount/path, recording what it made into *made. */
static int
mkdir_levels(const char *mount, const char *path, bool cpuset, char ***made, struct kpod_err **err)
{
    _cleanup_strv_ char **parts = kpod_strv_split(path, "/", true);
    _cleanup_free_ char *cur = xstrdup(mount);
    for (size_t i = 0; parts[i] != NULL; i++) {
        char *next = xasprintf("%s/%s", cur, parts[i]);
        free(cur);
        cur = next;
        if (mkdir(cur, 0755) == 0)
            kpod_strv_push(made, cur);
        else if (errno != EEXIST)
            return kpod_err_sys(err, "create cgroup '%s'", cur);
        if (cpuset && cpuset_inherit(cur, err) < 0)
            return -1;
    }
    return 0;
}

int
cg_v1_create(struct kpod_cgroup *cg, struct kpod_err **err)
{
    _cleanup_strv_ char **made = NULL;
    for (int c = 0; c < CG_NCTRL; c++) {
        if (!cg_v1_first(cg, c))
            continue;
        if (mkdir_levels(cg->mounts[c], cg->path, c == CG_CPUSET, &made, err) < 0) {
            /* Nothing half-made: remove what this call created, deepest first. */
            for (size_t i = kpod_strv_len(made); i-- > 0;)
                rmdir(made[i]);
            return -1;
        }
    }
    return 0;
}

static int
need(struct kpod_cgroup *cg, enum cg_ctrl c, const char *what, struct kpod_err **err)
{
    if (cg->dirs[c] == NULL)
        return kpod_err_msg(err, "cannot set %s: the %s controller is not mounted", what,
                            cg_ctrl_name(c));
    return 0;
}

static int
apply_memory(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err)
{
    int64_t limit = l->memory_limit, swap = l->memory_swap;
    if (limit < 0 && swap < 0 && l->memory_reservation < 0)
        return 0;
    if (need(cg, CG_MEMORY, "memory limits", err) < 0)
        return -1;
    const char *dir = cg->dirs[CG_MEMORY];
    if (swap >= 0 && !cg_file_exists(dir, "memory.memsw.limit_in_bytes")) {
        kpod_warn("cgroup '%s': memory+swap limit %" PRId64 " ignored: swap accounting is off "
                  "(no memory.memsw.limit_in_bytes)",
                  cg->path, swap);
        swap = -1;
    }
    if (limit >= 0 && swap >= 0 && swap < limit)
        return kpod_err_input(
            err, "memory+swap limit %" PRId64 " is below the memory limit %" PRId64, swap, limit);
    /* memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every moment: when raising
     * past the current memsw limit, raise memsw first. */
    bool memsw_first = false;
    if (limit >= 0 && swap >= 0) {
        uint64_t cur = 0;
        if (cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur, err) < 0)
            return -1;
        memsw_first = (uint64_t)limit > cur;
    }
    if (memsw_first && cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0)
        return -1;
    if (limit >= 0 && cg_writef(dir, "memory.limit_in_bytes", err, "%" PRId64, limit) < 0)
        return -1;
    if (!memsw_first && swap >= 0 &&
        cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0)
        return -1;
    if (l->memory_reservation >= 0 &&
        cg_writef(dir, "memory.soft_limit_in_bytes", err, "%" PRId64, l->memory_reservation) < 0)
        return -1;
    return 0;
}

static int
apply_cpu(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err)
{
    if (l->cpu_shares == 0 && l->cpu_period == 0 && l->cpu_quota < 0)
        return 0;
    if (need(cg, CG_CPU, "cpu limits", err) < 0)
        return -1;
    const char *dir = cg->dirs[CG_CPU];
    if (l->cpu_shares != 0 && cg_writef(dir, "cpu.shares", err, "%" PRIu64, l->cpu_shares) < 0)
        return -1;
    if (l->cpu_period != 0 &&
        cg_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, l->cpu_period) < 0)
        return -1;
    if (l->cpu_quota >= 0 && cg_writef(dir, "cpu.cfs_quota_us", err, "%" PRId64, l->cpu_quota) < 0)
        return -1;
    return 0;
}

static int
apply_devices(struct kpod_cgroup *cg, char **allow, struct kpod_err **err)
{
    if (allow == NULL)
        return 0;
    if (need(cg, CG_DEVICES, "the device allowlist", err) < 0)
        return -1;
    for (size_t i = 0; allow[i] != NULL; i++) {
        struct cg_device_rule r;
        if (cg_parse_device_rule(allow[i], &r, err) < 0)
            return -1;
    }
    if (cg_write(cg->dirs[CG_DEVICES], "devices.deny", "a", err) < 0)
        return -1;
    for (size_t i = 0; allow[i] != NULL; i++) {
        if (cg_write(cg->dirs[CG_DEVICES], "devices.allow", allow[i], err) < 0)
            return -1;
    }
    return 0;
}

int
cg_v1_apply(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err)
{
    if (apply_memory(cg, l, err) < 0 || apply_cpu(cg, l, err) < 0)
        return -1;
    if (l->cpuset_cpus != NULL || l->cpuset_mems != NULL) {
        if (need(cg, CG_CPUSET, "cpuset", err) < 0)
            return -1;
        if (l->cpuset_cpus != NULL &&
            cg_write(cg->dirs[CG_CPUSET], "cpuset.cpus", l->cpuset_cpus, err) < 0)
            return -1;
        if (l->cpuset_mems != NULL &&
            cg_write(cg->dirs[CG_CPUSET], "cpuset.mems", l->cpuset_mems, err) < 0)
            return -1;
    }
    if (l->pids_limit > 0) {
        if (need(cg, CG_PIDS, "the pids limit", err) < 0 ||
            cg_writef(cg->dirs[CG_PIDS], "pids.max", err, "%" PRId64, l->pids_limit) < 0)
            return -1;
    }
    return apply_devices(cg, l->devices_allow, err);
}

int
cg_v1_enter(struct kpod_cgroup *cg, pid_t pid, struct kpod_err **err)
{
    for (int c = 0; c < CG_NCTRL; c++) {
        if (cg_v1_first(cg, c) && cg_writef(cg->dirs[c], "cgroup.procs", err, "%d", (int)pid) < 0)
            return -1;
    }
    return 0;
}

int
cg_v1_freezer_state(struct kpod_cgroup *cg, enum kpod_cgroup_freezer *ret, struct kpod_err **err)
{
    if (cg->dirs[CG_FREEZER] == NULL)
        return kpod_err_msg(err, "the freezer controller is not mounted");
    char buf[64];
    if (cg_read(cg->dirs[CG_FREEZER], "freezer.state", buf, sizeof(buf), err) < 0)
        return -1;
    if (strncmp(buf, "FROZEN", 6) == 0)
        *ret = KPOD_CGROUP_FROZEN;
    else if (strncmp(buf, "FREEZING", 8) == 0)
        *ret = KPOD_CGROUP_FREEZING;
    else
        *ret = KPOD_CGROUP_THAWED;
    return 0;
}

/* Freezing can stall on tasks in uninterruptible sleep; like runc, re-kick it now and then
 * (thaw + freeze) and give up after about five seconds, leaving the cgroup thawed. */
int
cg_v1_freeze(struct kpod_cgroup *cg, bool frozen, struct kpod_err **err)
{
    if (cg->dirs[CG_FREEZER] == NULL)
        return kpod_err_msg(err, "the freezer controller is not mounted");
    const char *dir = cg->dirs[CG_FREEZER];
    const char *want = frozen ? "FROZEN" : "THAWED";
    enum kpod_cgroup_freezer target = frozen ? KPOD_CGROUP_FROZEN : KPOD_CGROUP_THAWED;
    for (unsigned i = 0; i < 1000; i++) {
        if (i % 100 == 99 && frozen && cg_write(dir, "freezer.state", "THAWED", err) < 0)
            return -1;
        if ((i == 0 || i % 100 == 99) && cg_write(dir, "freezer.state", want, err) < 0)
            return -1;
        enum kpod_cgroup_freezer st;
        if (cg_v1_freezer_state(cg, &st, err) < 0)
            return -1;
        if (st == target)
            return 0;
        cg_sleep_ms(i < 10 ? 1 : 5);
    }
    if (frozen)
        cg_write(dir, "freezer.state", "THAWED", NULL);
    return kpod_err_msg(err, "'%s/freezer.state' did not reach %s in time", dir, want);
}

static void
stats_cpu(struct kpod_cgroup *cg, struct kpod_cgroup_stats *st)
{
    const char *dir = cg->dirs[CG_CPUACCT];
    if (dir == NULL)
        return;
    uint64_t v;
    if (cg_read_stat_u64(cg, dir, "cpuacct.usage", &v, NULL) == 0)
        st->cpu_usage_ns = v;
    if (cg_read_stat_u64(cg, dir, "cpuacct.usage_user", &v, NULL) == 0)
        st->cpu_user_ns = v;
    if (cg_read_stat_u64(cg, dir, "cpuacct.usage_sys", &v, NULL) == 0) {
        st->cpu_system_ns = v;
        return;
    }
    /* Older kernels: cpuacct.stat in clock ticks. */
    char buf[256];
    if (cg_read_stat(cg, dir, "cpuacct.stat", buf, sizeof(buf), NULL) < 0)
        return;
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t ns_per_tick = hz > 0 ? UINT64_C(1000000000) / (uint64_t)hz : 10000000;
    st->cpu_user_ns = kpod_cgroup_parse_keyed(buf, "user", 0) * ns_per_tick;
    st->cpu_system_ns = kpod_cgroup_parse_keyed(buf, "system", 0) * ns_per_tick;
}

static int
stats_memory(struct kpod_cgroup *cg, struct kpod_cgroup_stats *st, struct kpod_err **err)
{
    const char *dir = cg->dirs[CG_MEMORY];
    if (dir == NULL)
        return 0;
    char buf[8192];
    uint64_t v;
    _cleanup_err_ struct kpod_err *e = NULL;
    if (cg_read_stat_u64(cg, dir, "memory.usage_in_bytes", &st->memory_usage, &e) < 0) {
        if (e->errnum == ENOENT || e->errnum == ENODEV)
            return kpod_err_set(err, KPOD_ERR_NOTFOUND, 0, "cgroup '%s' not found", cg->path);
        kpod_err_move(err, &e);
        return -1;
    }
    if (cg_read_stat(cg, dir, "memory.stat", buf, sizeof(buf), err) < 0)
        return -1;
    cg_read_stat_u64(cg, dir, "memory.max_usage_in_bytes", &st->memory_max_usage, NULL);
    uint64_t inactive = kpod_cgroup_parse_keyed(buf, "total_inactive_file", 0);
    st->memory_working_set = st->memory_usage > inactive ? st->memory_usage - inactive : 0;
    st->memory_cache = kpod_cgroup_parse_keyed(buf, "total_cache", 0);
    st->memory_rss = kpod_cgroup_parse_keyed(buf, "total_rss", 0);
    st->memory_swap = kpod_cgroup_parse_keyed(buf, "total_swap", 0);
    /* The effective limit: the least of this cgroup's and its ancestors' (the pod's). */
    v = kpod_cgroup_parse_keyed(buf, "hierarchical_memory_limit", UINT64_MAX);
    if (v == UINT64_MAX && cg_read_stat_u64(cg, dir, "memory.limit_in_bytes", &v, NULL) < 0)
        v = UINT64_MAX;
    st->memory_limit = v >= V1_UNLIMITED_MIN ? UINT64_MAX : v;
    if (cg_read_stat(cg, dir, "memory.oom_control", buf, sizeof(buf), NULL) >= 0)
        st->oom_kills = kpod_cgroup_parse_keyed(buf, "oom_kill", 0);
    return 0;
}

static void
stats_blkio(struct kpod_cgroup *cg, struct kpod_cgroup_stats *st)
{
    static const char *const files[] = {"blkio.throttle.io_service_bytes_recursive",
                                        "blkio.throttle.io_service_bytes"};
    const char *dir = cg->dirs[CG_BLKIO];
    if (dir == NULL)
        return;
    char buf[16384];
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        if (cg_read_stat(cg, dir, files[i], buf, sizeof(buf), NULL) >= 0) {
            kpod_cgroup_parse_blkio(buf, KPOD_CGROUP_V1, &st->blkio_read_bytes,
                                    &st->blkio_write_bytes);
            return;
        }
    }
}

static void
stats_throttling(struct kpod_cgroup *cg, struct kpod_cgroup_stats *st)
{
    char buf[512];
    if (cg->dirs[CG_CPU] == NULL ||
        cg_read_stat(cg, cg->dirs[CG_CPU], "cpu.stat", buf, sizeof(buf), NULL) < 0)
        return;
    st->cpu_periods = kpod_cgroup_parse_keyed(buf, "nr_periods", 0);
    st->cpu_throttled_periods = kpod_cgroup_parse_keyed(buf, "nr_throttled", 0);
    st->cpu_throttled_ns = kpod_cgroup_parse_keyed(buf, "throttled_time", 0);
}

int
cg_v1_stats(struct kpod_cgroup *cg, struct kpod_cgroup_stats *st, struct kpod_err **err)
{
    stats_cpu(cg, st);
    stats_throttling(cg, st);
    if (stats_memory(cg, st, err) < 0)
        return -1;
    if (cg->dirs[CG_PIDS] != NULL) {
        if (cg_read_stat_u64(cg, cg->dirs[CG_PIDS], "pids.current", &st->pids_current, err) < 0)
            return -1;
        cg_read_stat_u64(cg, cg->dirs[CG_PIDS], "pids.max", &st->pids_limit, NULL);
    }
    stats_blkio(cg, st);
    return 0;
}
