/* lib/cgroup's backends against fake hierarchies in a temp dir: regular files stand in for the
 * kernel's (fixtures under test/unit/fixtures/cgroup/v1 and v2), so no root is needed. What the
 * kernel itself does (files appearing in new cgroups, freezing, OOM) is left to the bats tests
 * 400-cgroup.bats and 401-cgroup-v2.bats. */
#include "cgroup/cgroup.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "tap.h"

static const char *fixtures;

static char *
fixture(const char *name)
{
    char *path = xasprintf("%s/cgroup/%s", fixtures, name);
    char *text = NULL;
    struct kpod_err *err = NULL;
    if (kpod_fs_read_file(path, 1 << 20, &text, NULL, &err) < 0) {
        diag("%s", err->msg);
        kpod_err_free(&err);
        text = xstrdup("");
    }
    free(path);
    return text;
}

static void
put(const char *dir, const char *file, const char *text)
{
    char *path = xasprintf("%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || kpod_fs_write_all(fd, text, strlen(text)) < 0)
        diag("cannot write %s", path);
    if (fd >= 0)
        close(fd);
    free(path);
}

static void
rm_file(const char *dir, const char *file)
{
    char *path = xasprintf("%s/%s", dir, file);
    unlink(path);
    free(path);
}

static char *
get(const char *dir, const char *file)
{
    char buf[4096];
    if (cg_read(dir, file, buf, sizeof(buf), NULL) < 0)
        return xstrdup("(missing)");
    buf[strcspn(buf, "\n")] = '\0';
    return xstrdup(buf);
}

/* Regular files are not truncated by a write as cgroup files are: compare the written prefix
 * where a longer value was there before. */
#define is_prefix(dir, file, want, ...)                                                            \
    do {                                                                                           \
        char *_v = get(dir, file);                                                                 \
        ok(strncmp(_v, want, strlen(want)) == 0, __VA_ARGS__);                                     \
        free(_v);                                                                                  \
    } while (0)

#define is_file(dir, file, want, ...)                                                              \
    do {                                                                                           \
        char *_v = get(dir, file);                                                                 \
        is_str(_v, want, __VA_ARGS__);                                                             \
        free(_v);                                                                                  \
    } while (0)

static void
copy_fixture(const char *sub, const char *file, const char *dir)
{
    char name[256];
    snprintf(name, sizeof(name), "%s/%s", sub, file);
    char *text = fixture(name);
    put(dir, file, text);
    free(text);
}

static char *
mkdirs(const char *base, const char *rel)
{
    char *path = xasprintf("%s/%s", base, rel);
    kpod_fs_mkdir_p(path, 0755, NULL);
    return path;
}

static void
test_v2_create_apply(const char *tmp)
{
    char *root = mkdirs(tmp, "v2");
    put(root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
    put(root, "cgroup.subtree_control", "");
    struct kpod_err *err = NULL;
    struct kpod_cgroup *cg = kpod_cgroup_open_v2_at(root, "kpod/pod/web", true, &err);
    ok(cg != NULL, "v2 create: %s", err ? err->msg : "ok");
    if (cg == NULL)
        return kpod_err_free(&err), free(root);
    is_str(kpod_cgroup_path(cg), "kpod/pod/web", "path kept");
    char *leaf = xasprintf("%s/kpod/pod/web", root);
    ok(access(leaf, F_OK) == 0, "leaf directory made");
    is_str(kpod_cgroup_dir(cg, "memory"), leaf, "v2 dir is the leaf");
    char *sc = get(root, "cgroup.subtree_control");
    ok(strncmp(sc, "+pids", 5) == 0, "controllers enabled in the root (last write '%s')", sc);
    free(sc);

    const char *empty[] = {"memory.max", "memory.low",  "memory.swap.max", "cpu.weight",
                           "pids.max",   "cpuset.cpus", "cpuset.mems"};
    for (size_t i = 0; i < ARRAY_SIZE(empty); i++)
        put(leaf, empty[i], "");
    put(leaf, "cpu.max", "max 100000\n");
    struct kpod_cgroup_limits l;
    kpod_cgroup_limits_init(&l);
    l.memory_limit = 64 << 20;
    l.memory_reservation = 32 << 20;
    l.memory_swap = 96 << 20;
    l.cpu_shares = 1024;
    l.cpu_quota = 50000;
    l.pids_limit = 100;
    l.cpuset_cpus = xstrdup("0-1");
    ok(kpod_cgroup_apply(cg, &l, &err) == 0, "v2 apply: %s", err ? err->msg : "ok");
    is_file(leaf, "memory.max", "67108864", "memory.max");
    is_file(leaf, "memory.low", "33554432", "memory.low from the reservation");
    is_file(leaf, "memory.swap.max", "33554432", "memory.swap.max = swap - limit");
    is_file(leaf, "cpu.weight", "100", "cpu.weight from 1024 shares");
    is_file(leaf, "cpu.max", "50000 100000", "cpu.max keeps the period");
    is_file(leaf, "pids.max", "100", "pids.max");
    is_file(leaf, "cpuset.cpus", "0-1", "cpuset.cpus");
    kpod_cgroup_limits_free(&l);

    kpod_cgroup_limits_init(&l);
    put(leaf, "cpu.max", "max 100000\n");
    l.cpu_period = 50000;
    ok(kpod_cgroup_apply(cg, &l, &err) == 0, "v2 apply period only");
    is_prefix(leaf, "cpu.max", "max 50000", "cpu.max keeps the quota");
    l.cpu_period = 0;
    l.memory_swap = 10 << 20;
    ok(kpod_cgroup_apply(cg, &l, &err) < 0 && err->kind == KPOD_ERR_INPUT,
       "swap without a memory limit refused: %s", err ? err->msg : "");
    kpod_err_free(&err);
    l.memory_limit = 20 << 20;
    ok(kpod_cgroup_apply(cg, &l, &err) < 0 && strstr(err->msg, "below") != NULL,
       "swap below the limit refused: %s", err ? err->msg : "");
    kpod_err_free(&err);
    kpod_cgroup_limits_free(&l);

    kpod_cgroup_limits_init(&l);
    l.pids_limit = 77;
    rm_file(leaf, "pids.max");
    ok(kpod_cgroup_apply(cg, &l, &err) < 0 && strstr(err->msg, "pids.max") &&
           strstr(err->msg, "'77'") && strstr(err->msg, "kpod/pod/web"),
       "error names the cgroup, the file and the value: %s", err ? err->msg : "");
    kpod_err_free(&err);
    kpod_cgroup_limits_free(&l);

    /* subtree_control already lists everything: nothing rewritten */
    put(root, "cgroup.subtree_control", "cpuset cpu io memory pids\n");
    struct kpod_cgroup *cg2 = kpod_cgroup_open_v2_at(root, "kpod/pod/other", true, &err);
    is_file(root, "cgroup.subtree_control", "cpuset cpu io memory pids",
            "enabled controllers are not rewritten");
    kpod_cgroup_free(cg2);

    struct kpod_cgroup *missing = kpod_cgroup_open_v2_at(root, "kpod/nosuch", false, &err);
    ok(missing == NULL && err && err->kind == KPOD_ERR_NOTFOUND, "open of a missing cgroup: %s",
       err ? err->msg : "");
    kpod_err_free(&err);
    missing = kpod_cgroup_open_v2_at(tmp, "x", false, &err);
    ok(missing == NULL && err && err->kind == KPOD_ERR_INPUT, "not a cgroup2 root: %s",
       err ? err->msg : "");
    kpod_err_free(&err);
    kpod_cgroup_free(cg);
    free(leaf);
    free(root);
}

static void
test_v2_stats(const char *tmp)
{
    static const char *const files[] = {
        "cgroup.controllers",  "cgroup.events", "cgroup.procs", "cpu.stat",    "io.stat",
        "memory.current",      "memory.events", "memory.max",   "memory.peak", "memory.stat",
        "memory.swap.current", "pids.current",  "pids.max",
    };
    char *root = mkdirs(tmp, "v2s");
    put(root, "cgroup.controllers", "memory\n");
    char *leaf = mkdirs(root, "kpod/pod/web");
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        copy_fixture("v2", files[i], leaf);
    struct kpod_err *err = NULL;
    struct kpod_cgroup *cg = kpod_cgroup_open_v2_at(root, "kpod/pod/web", false, &err);
    struct kpod_cgroup_stats s;
    memset(&s, 0xff, sizeof(s));
    ok(cg && kpod_cgroup_read_stats(cg, &s, &err) == 0, "v2 stats: %s", err ? err->msg : "ok");
    is_int(s.cpu_usage_ns, 5123456000LL, "cpu usage ns");
    is_int(s.cpu_user_ns, 4000000000LL, "cpu user ns");
    is_int(s.cpu_system_ns, 1123456000LL, "cpu system ns");
    is_int(s.memory_usage, 66371584, "memory.current");
    is_int(s.memory_working_set, 66371584 - 8192000, "working set = usage - inactive_file");
    is_int(s.memory_cache, 12288000, "cache = file");
    is_int(s.memory_rss, 52428800, "rss = anon");
    is_int(s.memory_limit, 67108864, "memory.max");
    is_int(s.memory_swap, 2097152, "swap");
    is_int(s.oom_kills, 3, "oom kills");
    is_int(s.pids_current, 4, "pids.current");
    is_int(s.pids_limit, 100, "pids.max");
    is_int(s.blkio_read_bytes, 3145728, "io read");
    is_int(s.blkio_write_bytes, 12288, "io write");
    is_int(s.cpu_periods, 120, "cpu.stat nr_periods");
    is_int(s.cpu_throttled_periods, 7, "cpu.stat nr_throttled");
    is_int(s.cpu_throttled_ns, 81234000, "cpu.stat throttled_usec");
    is_int(s.memory_max_usage, 70000000, "memory.peak");
    uint64_t n = 0;
    ok(kpod_cgroup_oom_count(cg, &n, &err) == 0 && n == 3, "oom count from memory.events");
    enum kpod_cgroup_freezer st = KPOD_CGROUP_FROZEN;
    ok(kpod_cgroup_freezer_state(cg, &st, &err) == 0 && st == KPOD_CGROUP_THAWED,
       "cgroup.events frozen 0: thawed");
    put(leaf, "cgroup.freeze", "");
    put(leaf, "cgroup.events", "populated 1\nfrozen 1\n");
    ok(kpod_cgroup_freeze(cg, true, &err) == 0, "freeze returns once cgroup.events says frozen");
    is_file(leaf, "cgroup.freeze", "1", "cgroup.freeze written");
    char *sub = mkdirs(leaf, "sub");
    put(sub, "cgroup.procs", "103\n101\n");
    pid_t *pids = NULL;
    int np = kpod_cgroup_pids(cg, &pids, &err);
    is_int(np, 3, "pids: leaf and sub-cgroup, deduplicated");
    free(pids);
    free(sub);
    kpod_cgroup_keep_stat_files(cg, true);
    ok(kpod_cgroup_read_stats(cg, &s, &err) == 0 && s.memory_usage == 66371584,
       "kept-open stat files: first read");
    put(leaf, "memory.current", "1234\n");
    put(leaf, "memory.events", "oom_kill 9\n");
    ok(kpod_cgroup_read_stats(cg, &s, &err) == 0 && s.memory_usage == 1234 && s.oom_kills == 9,
       "kept-open stat files see new content");
    is_int(cg->nfiles, 10, "one fd per stat file");
    kpod_cgroup_keep_stat_files(cg, false);
    is_int(cg->nfiles, 0, "fds closed when no longer kept");
    put(leaf, "memory.current", "66371584\n");
    rm_file(leaf, "memory.max");
    rm_file(leaf, "pids.max");
    ok(kpod_cgroup_read_stats(cg, &s, &err) == 0 && s.memory_limit == UINT64_MAX &&
           s.pids_limit == UINT64_MAX,
       "missing limit files read as unlimited");
    kpod_cgroup_keep_stat_files(cg, true);
    ok(kpod_cgroup_read_stats(cg, &s, &err) == 0 && kpod_cgroup_read_stats(cg, &s, &err) == 0 &&
           s.memory_limit == UINT64_MAX && s.pids_limit == UINT64_MAX,
       "kept-open: missing files remembered as missing");
    kpod_cgroup_free(cg);
    cg = kpod_cgroup_open_v2_at(root, "kpod/pod", false, &err);
    memset(&s, 0, sizeof(s));
    ok(cg && kpod_cgroup_read_stats(cg, &s, &err) < 0 && err->kind == KPOD_ERR_NOTFOUND,
       "stats without cpu.stat: the cgroup is gone");
    kpod_err_free(&err);
    kpod_cgroup_free(cg);
    free(leaf);
    free(root);
}

/* Fake v1 hierarchies: one directory per controller under tmp/v1/<ctrl>. */
static void
v1_setup(const char *tmp, struct cg_mounts *m, char **leaves)
{
    memset(m, 0, sizeof(*m));
    m->version = KPOD_CGROUP_V1;
    for (int c = 0; c < CG_NCTRL; c++) {
        char *rel = xasprintf("v1/%s", cg_ctrl_name(c));
        m->v1[c] = mkdirs(tmp, rel);
        free(rel);
        leaves[c] = mkdirs(m->v1[c], "kpod/pod/web");
        put(leaves[c], "cgroup.procs", "");
    }
    static const struct {
        enum cg_ctrl c;
        const char *file;
    } files[] = {
        {CG_MEMORY, "memory.stat"},
        {CG_MEMORY, "memory.usage_in_bytes"},
        {CG_MEMORY, "memory.limit_in_bytes"},
        {CG_MEMORY, "memory.oom_control"},
        {CG_CPUACCT, "cpuacct.usage"},
        {CG_CPUACCT, "cpuacct.usage_user"},
        {CG_CPUACCT, "cpuacct.usage_sys"},
        {CG_CPUACCT, "cpuacct.stat"},
        {CG_CPU, "cpu.stat"},
        {CG_MEMORY, "memory.max_usage_in_bytes"},
        {CG_PIDS, "pids.current"},
        {CG_PIDS, "pids.max"},
        {CG_BLKIO, "blkio.throttle.io_service_bytes_recursive"},
        {CG_FREEZER, "freezer.state"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        copy_fixture("v1", files[i].file, leaves[files[i].c]);
}

static void
test_v1(const char *tmp)
{
    struct cg_mounts m;
    char *leaves[CG_NCTRL];
    v1_setup(tmp, &m, leaves);
    struct kpod_err *err = NULL;
    struct kpod_cgroup *cg = cg_open_v1(&m, xstrdup("kpod/pod/web"), false, &err);
    ok(cg != NULL, "v1 open: %s", err ? err->msg : "ok");
    if (cg == NULL)
        return;
    is_str(kpod_cgroup_dir(cg, "cpuacct"), leaves[CG_CPUACCT], "v1 dir by controller");
    ok(kpod_cgroup_dir(cg, "nosuch") == NULL, "v1 dir of an unknown controller");
    struct kpod_cgroup_stats s;
    ok(kpod_cgroup_read_stats(cg, &s, &err) == 0, "v1 stats: %s", err ? err->msg : "ok");
    is_int(s.cpu_usage_ns, 5123456789LL, "cpuacct.usage");
    is_int(s.cpu_user_ns, 4000000000LL, "cpuacct.usage_user");
    is_int(s.cpu_system_ns, 1123456789LL, "cpuacct.usage_sys");
    is_int(s.memory_usage, 64716800, "memory.usage_in_bytes");
    is_int(s.memory_working_set, 64716800 - 8192000, "working set = usage - total_inactive_file");
    is_int(s.memory_cache, 12288000, "total_cache");
    is_int(s.memory_rss, 52428800, "total_rss");
    is_int(s.memory_swap, 1048576, "total_swap");
    is_int(s.memory_limit, 67108864, "unlimited leaf bounded by hierarchical_memory_limit");
    is_int(s.oom_kills, 2, "oom_kill from memory.oom_control");
    is_int(s.pids_current, 3, "pids.current");
    ok(s.pids_limit == UINT64_MAX, "pids.max 'max'");
    is_int(s.blkio_read_bytes, 3145728, "blkio read");
    is_int(s.blkio_write_bytes, 12288, "blkio write");
    is_int(s.cpu_periods, 120, "v1 cpu.stat nr_periods");
    is_int(s.cpu_throttled_periods, 7, "v1 cpu.stat nr_throttled");
    is_int(s.cpu_throttled_ns, 81234567, "v1 cpu.stat throttled_time");
    is_int(s.memory_max_usage, 70000000, "memory.max_usage_in_bytes");
    rm_file(leaves[CG_CPUACCT], "cpuacct.usage_sys");
    long hz = sysconf(_SC_CLK_TCK);
    ok(kpod_cgroup_read_stats(cg, &s, &err) == 0 &&
           s.cpu_system_ns == 112ULL * (1000000000ULL / (unsigned long long)hz),
       "old kernels: cpuacct.stat ticks");
    enum kpod_cgroup_freezer st;
    ok(kpod_cgroup_freezer_state(cg, &st, &err) == 0 && st == KPOD_CGROUP_FROZEN,
       "freezer.state FROZEN");

    put(leaves[CG_MEMORY], "memory.memsw.limit_in_bytes", "9223372036854771712\n");
    put(leaves[CG_MEMORY], "memory.soft_limit_in_bytes", "");
    const char *cpu[] = {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us"};
    for (size_t i = 0; i < ARRAY_SIZE(cpu); i++)
        put(leaves[CG_CPU], cpu[i], "");
    put(leaves[CG_PIDS], "pids.max", "");
    put(leaves[CG_CPUSET], "cpuset.cpus", "");
    put(leaves[CG_CPUSET], "cpuset.mems", "");
    put(leaves[CG_DEVICES], "devices.deny", "");
    put(leaves[CG_DEVICES], "devices.allow", "");
    struct kpod_cgroup_limits l;
    kpod_cgroup_limits_init(&l);
    l.memory_limit = 64 << 20;
    l.memory_swap = 128 << 20;
    l.memory_reservation = 32 << 20;
    l.cpu_shares = 512;
    l.cpu_period = 50000;
    l.cpu_quota = 25000;
    l.pids_limit = 64;
    l.cpuset_cpus = xstrdup("1");
    l.cpuset_mems = xstrdup("0");
    kpod_strv_push(&l.devices_allow, "c 1:3 rwm");
    ok(kpod_cgroup_apply(cg, &l, &err) == 0, "v1 apply: %s", err ? err->msg : "ok");
    is_prefix(leaves[CG_MEMORY], "memory.limit_in_bytes", "67108864", "memory.limit_in_bytes");
    is_prefix(leaves[CG_MEMORY], "memory.memsw.limit_in_bytes", "134217728", "memsw (OCI swap)");
    is_file(leaves[CG_MEMORY], "memory.soft_limit_in_bytes", "33554432", "soft limit");
    is_file(leaves[CG_CPU], "cpu.shares", "512", "cpu.shares");
    is_file(leaves[CG_CPU], "cpu.cfs_period_us", "50000", "cfs period");
    is_file(leaves[CG_CPU], "cpu.cfs_quota_us", "25000", "cfs quota");
    is_file(leaves[CG_PIDS], "pids.max", "64", "pids.max");
    is_file(leaves[CG_CPUSET], "cpuset.cpus", "1", "cpuset.cpus");
    is_file(leaves[CG_CPUSET], "cpuset.mems", "0", "cpuset.mems");
    is_file(leaves[CG_DEVICES], "devices.deny", "a", "deny all first");
    is_file(leaves[CG_DEVICES], "devices.allow", "c 1:3 rwm", "then allow");
    kpod_cgroup_limits_free(&l);

    kpod_cgroup_limits_init(&l);
    l.memory_limit = 64 << 20;
    l.memory_swap = 32 << 20;
    ok(kpod_cgroup_apply(cg, &l, &err) < 0 && err->kind == KPOD_ERR_INPUT,
       "v1 swap below the limit refused: %s", err ? err->msg : "");
    kpod_err_free(&err);
    rm_file(leaves[CG_MEMORY], "memory.memsw.limit_in_bytes");
    l.memory_swap = 256 << 20;
    ok(kpod_cgroup_apply(cg, &l, &err) == 0, "v1 without swap accounting: swap ignored, warned");
    kpod_cgroup_limits_free(&l);

    put(leaves[CG_MEMORY], "cgroup.procs", "11\n12\n");
    put(leaves[CG_PIDS], "cgroup.procs", "12\n13\n");
    pid_t *pids = NULL;
    is_int(kpod_cgroup_pids(cg, &pids, &err), 3, "v1 pids: union over hierarchies");
    free(pids);
    kpod_cgroup_keep_stat_files(cg, true);
    ok(kpod_cgroup_read_stats(cg, &s, &err) == 0 && s.oom_kills == 2 && s.memory_limit == 67108864,
       "v1 kept-open stats");
    rm_file(leaves[CG_MEMORY], "memory.usage_in_bytes");
    kpod_cgroup_keep_stat_files(cg, false);
    ok(kpod_cgroup_read_stats(cg, &s, &err) < 0 && err->kind == KPOD_ERR_NOTFOUND,
       "v1 stats of a removed cgroup: not found: %s", err ? err->msg : "");
    kpod_err_free(&err);
    kpod_cgroup_free(cg);

    cg = cg_open_v1(&m, xstrdup("kpod/nosuch"), false, &err);
    ok(cg == NULL && err && err->kind == KPOD_ERR_NOTFOUND, "v1 missing cgroup: %s",
       err ? err->msg : "");
    kpod_err_free(&err);
    for (int c = 0; c < CG_NCTRL; c++)
        free(leaves[c]);
    cg_mounts_free(&m);
    cg_mounts_free(&m); /* idempotent */
}

int
main(void)
{
    fixtures = getenv("KPOD_TEST_FIXTURES");
    if (fixtures == NULL)
        fixtures = "test/unit/fixtures";
    kpod_log_set_level(KPOD_LOG_ERROR); /* the swap warning is expected */
    char tmpl[] = "/tmp/kpod-test-cgroup-XXXXXX";
    char *tmp = mkdtemp(tmpl);
    if (tmp == NULL) {
        ok(false, "mkdtemp");
        return tap_done();
    }
    test_v2_create_apply(tmp);
    test_v2_stats(tmp);
    test_v1(tmp);
    kpod_fs_rm_rf(tmp, NULL);
    return tap_done();
}
