/* The cgroup v2 backend: one unified directory; controllers enabled top-down through each
 * ancestor's cgroup.subtree_control. */
#include "cgroup/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Enables in dir/cgroup.subtree_control the wanted controllers dir offers. One write per
 * controller, so one refusal (EBUSY: dir holds processes; a threaded subtree) costs only that
 * controller; applying a limit that needs it then fails naming the missing file. */
static void
enable_controllers(const char *dir)
{
    char avail[512], on[512];
    if (cg_read(dir, "cgroup.controllers", avail, sizeof(avail), NULL) < 0 ||
        cg_read(dir, "cgroup.subtree_control", on, sizeof(on), NULL) < 0)
        return;
    unsigned todo = cg_parse_controllers(avail) & CG2_WANTED & ~cg_parse_controllers(on);
    for (unsigned bit = 1; bit <= CG2_PIDS; bit <<= 1) {
        if (!(todo & bit))
            continue;
        _cleanup_err_ struct kpod_err *e = NULL;
        if (cg_writef(dir, "cgroup.subtree_control", &e, "+%s", cg2_ctrl_name(bit)) < 0)
            kpod_debug("cgroup: %s", e->msg);
    }
}

int
cg_v2_create(struct kpod_cgroup *cg, struct kpod_err **err)
{
    _cleanup_strv_ char **parts = kpod_strv_split(cg->path, "/", true);
    _cleanup_strv_ char **made = NULL;
    _cleanup_free_ char *cur = xstrdup(cg->root);
    for (size_t i = 0; parts[i] != NULL; i++) {
        enable_controllers(cur);
        char *next = xasprintf("%s/%s", cur, parts[i]);
        free(cur);
        cur = next;
        if (mkdir(cur, 0755) == 0) {
            kpod_strv_push(&made, cur);
        } else if (errno != EEXIST) {
            kpod_err_sys(err, "create cgroup '%s'", cur);
            for (size_t j = kpod_strv_len(made); j-- > 0;)
                rmdir(made[j]);
            return -1;
        }
    }
    return 0;
}

static int
apply_memory(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err)
{
    const char *dir = cg->dir;
    if (l->memory_limit >= 0 && cg_writef(dir, "memory.max", err, "%" PRId64, l->memory_limit) < 0)
        return -1;
    if (l->memory_reservation >= 0 &&
        cg_writef(dir, "memory.low", err, "%" PRId64, l->memory_reservation) < 0)
        return -1;
    if (l->memory_swap < 0)
        return 0;
    /* OCI swap is memory+swap; v2 limits swap alone. */
    if (l->memory_limit < 0)
        return kpod_err_input(err,
                              "memory+swap limit %" PRId64 " needs a memory limit on "
                              "cgroup v2",
                              l->memory_swap);
    if (l->memory_swap < l->memory_limit)
        return kpod_err_input(err,
                              "memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
                              l->memory_swap, l->memory_limit);
    if (!cg_file_exists(dir, "memory.swap.max")) {
        kpod_warn("cgroup '%s': swap limit ignored: swap accounting is off (no memory.swap.max)",
                  cg->path);
        return 0;
    }
    return cg_writef(dir, "memory.swap.max", err, "%" PRId64, l->memory_swap - l->memory_limit);
}

static int
apply_cpu(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err)
{
    const char *dir = cg->dir;
    if (l->cpu_shares != 0 && cg_writef(dir, "cpu.weight", err, "%" PRIu64,
                                        kpod_cgroup_shares_to_weight(l->cpu_shares)) < 0)
        return -1;
    if (l->cpu_quota < 0 && l->cpu_period == 0)
        return 0;
    uint64_t period = l->cpu_period;
    char quota[32] = "max";
    if (l->cpu_quota >= 0)
        snprintf(quota, sizeof(quota), "%" PRId64, l->cpu_quota);
    if (l->cpu_quota < 0 || period == 0) {
        /* Keep the half that is not being set: "QUOTA PERIOD". */
        char cur[64];
        if (cg_read(dir, "cpu.max", cur, sizeof(cur), err) < 0)
            return -1;
        char *sp = strchr(cur, ' ');
        if (l->cpu_quota < 0)
            snprintf(quota, sizeof(quota), "%.*s", sp ? (int)(sp - cur) : 3, sp ? cur : "max");
        if (period == 0)
            period = sp != NULL ? strtoull(sp + 1, NULL, 10) : 100000;
    }
    return cg_writef(dir, "cpu.max", err, "%s %" PRIu64, quota, period);
}

int
cg_v2_apply(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err)
{
    if (apply_memory(cg, l, err) < 0 || apply_cpu(cg, l, err) < 0)
        return -1;
    if (l->cpuset_cpus != NULL && cg_write(cg->dir, "cpuset.cpus", l->cpuset_cpus, err) < 0)
        return -1;
    if (l->cpuset_mems != NULL && cg_write(cg->dir, "cpuset.mems", l->cpuset_mems, err) < 0)
        return -1;
    if (l->pids_limit > 0 && cg_writef(cg->dir, "pids.max", err, "%" PRId64, l->pids_limit) < 0)
        return -1;
    if (l->devices_allow != NULL)
        return cg_v2_apply_devices(cg, l->devices_allow, err);
    return 0;
}

int
cg_v2_enter(struct kpod_cgroup *cg, pid_t pid, struct kpod_err **err)
{
    return cg_writef(cg->dir, "cgroup.procs", err, "%d", (int)pid);
}

int
cg_v2_freezer_state(struct kpod_cgroup *cg, enum kpod_cgroup_freezer *ret, struct kpod_err **err)
{
    char buf[256];
    if (cg_read(cg->dir, "cgroup.events", buf, sizeof(buf), err) < 0)
        return -1;
    *ret = kpod_cgroup_parse_keyed(buf, "frozen", 0) == 1 ? KPOD_CGROUP_FROZEN : KPOD_CGROUP_THAWED;
    return 0;
}

int
cg_v2_freeze(struct kpod_cgroup *cg, bool frozen, struct kpod_err **err)
{
    if (!cg_file_exists(cg->dir, "cgroup.freeze"))
        return kpod_err_msg(err, "'%s/cgroup.freeze' is missing: the kernel is older than 5.2",
                            cg->dir);
    if (cg_write(cg->dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
        return -1;
    enum kpod_cgroup_freezer want = frozen ? KPOD_CGROUP_FROZEN : KPOD_CGROUP_THAWED;
    for (unsigned i = 0; i < 1000; i++) {
        enum kpod_cgroup_freezer st;
        if (cg_v2_freezer_state(cg, &st, err) < 0)
            return -1;
        if (st == want)
            return 0;
        cg_sleep_ms(i < 10 ? 1 : 5);
    }
    if (frozen)
        cg_write(cg->dir, "cgroup.freeze", "0", NULL);
    return kpod_err_msg(err, "'%s/cgroup.events' did not report frozen %d in time", cg->dir,
                        frozen ? 1 : 0);
}

int
cg_v2_kill(struct kpod_cgroup *cg, struct kpod_err **err)
{
    if (!cg_file_exists(cg->dir, "cgroup.kill"))
        return 0;
    if (cg_write(cg->dir, "cgroup.kill", "1", err) < 0)
        return -1;
    return 1;
}

static void
stats_memory(struct kpod_cgroup *cg, struct kpod_cgroup_stats *st)
{
    char buf[8192];
    if (cg_read_stat_u64(cg, cg->dir, "memory.current", &st->memory_usage, NULL) < 0)
        return; /* no memory controller here */
    if (cg_read_stat(cg, cg->dir, "memory.stat", buf, sizeof(buf), NULL) >= 0) {
        uint64_t inactive = kpod_cgroup_parse_keyed(buf, "inactive_file", 0);
        st->memory_working_set = st->memory_usage > inactive ? st->memory_usage - inactive : 0;
        st->memory_cache = kpod_cgroup_parse_keyed(buf, "file", 0);
        st->memory_rss = kpod_cgroup_parse_keyed(buf, "anon", 0);
    }
    cg_read_stat_u64(cg, cg->dir, "memory.max", &st->memory_limit, NULL);
    cg_read_stat_u64(cg, cg->dir, "memory.peak", &st->memory_max_usage, NULL);
    cg_read_stat_u64(cg, cg->dir, "memory.swap.current", &st->memory_swap, NULL);
    if (cg_read_stat(cg, cg->dir, "memory.events", buf, sizeof(buf), NULL) >= 0)
        st->oom_kills = kpod_cgroup_parse_keyed(buf, "oom_kill", 0);
}

int
cg_v2_stats(struct kpod_cgroup *cg, struct kpod_cgroup_stats *st, struct kpod_err **err)
{
    char buf[16384];
    /* cpu.stat is a core file of every v2 cgroup (4.15+): missing, the cgroup is gone. */
    _cleanup_err_ struct kpod_err *e = NULL;
    if (cg_read_stat(cg, cg->dir, "cpu.stat", buf, sizeof(buf), &e) < 0) {
        if (e->errnum == ENOENT || e->errnum == ENODEV)
            return kpod_err_set(err, KPOD_ERR_NOTFOUND, 0, "cgroup '%s' not found", cg->path);
        kpod_err_move(err, &e);
        return -1;
    }
    st->cpu_usage_ns = kpod_cgroup_parse_keyed(buf, "usage_usec", 0) * 1000;
    st->cpu_user_ns = kpod_cgroup_parse_keyed(buf, "user_usec", 0) * 1000;
    st->cpu_system_ns = kpod_cgroup_parse_keyed(buf, "system_usec", 0) * 1000;
    st->cpu_periods = kpod_cgroup_parse_keyed(buf, "nr_periods", 0);
    st->cpu_throttled_periods = kpod_cgroup_parse_keyed(buf, "nr_throttled", 0);
    st->cpu_throttled_ns = kpod_cgroup_parse_keyed(buf, "throttled_usec", 0) * 1000;
    stats_memory(cg, st);
    if (cg_read_stat_u64(cg, cg->dir, "pids.current", &st->pids_current, NULL) == 0)
        cg_read_stat_u64(cg, cg->dir, "pids.max", &st->pids_limit, NULL);
    if (cg_read_stat(cg, cg->dir, "io.stat", buf, sizeof(buf), NULL) >= 0)
        kpod_cgroup_parse_blkio(buf, KPOD_CGROUP_V2, &st->blkio_read_bytes, &st->blkio_write_bytes);
    return 0;
}
