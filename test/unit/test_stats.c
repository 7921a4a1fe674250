/* lib/sandbox/stats.c and update.c's pure side: podman's units, figures computed from cgroup v1
 * and v2 fixture trees (test/unit/fixtures/stats/v1/<controller>/kpod/pod/web and
 * v2/kpod/pod/web), /proc/PID/net/dev parsing, the JSON keys, the Prometheus text, and the
 * parsers of `kpod update`'s --cpus and CPU lists. */
#include "sandbox/sandbox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "tap.h"

static const char *fixtures;

#define NS 1000000000LL

static void
test_units(void)
{
    static const struct {
        uint64_t v;
        const char *want;
    } sizes[] = {
        {0, "0B"},       {999, "999B"},        {1000, "1kB"},        {1234, "1.23kB"},
        {999999, "1MB"}, {52428800, "52.4MB"}, {67108864, "67.1MB"}, {25276502016ULL, "25.3GB"},
    };
    char buf[32];
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        kpod_stats_human_size(sizes[i].v, buf, sizeof(buf));
        is_str(buf, sizes[i].want, "human size of %llu", (unsigned long long)sizes[i].v);
    }
    kpod_stats_percent(12.3456, buf, sizeof(buf));
    is_str(buf, "12.35%", "percent");
    kpod_stats_percent(NAN, buf, sizeof(buf));
    is_str(buf, "0.00%", "NaN percent");
    static const struct {
        uint64_t ns;
        const char *want;
    } durs[] = {
        {850000000ULL, "850ms"},    {1108473974ULL, "1.108s"},     {12000000000ULL, "12s"},
        {62500000000ULL, "1m2.5s"}, {11045000000000ULL, "3h4m5s"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(durs); i++) {
        kpod_stats_duration(durs[i].ns, buf, sizeof(buf));
        is_str(buf, durs[i].want, "duration %zu", i);
    }
}

static char *
fixture(const char *name)
{
    char *path = xasprintf("%s/stats/%s", fixtures, name);
    char *text = NULL;
    if (kpod_fs_read_file(path, 1 << 20, &text, NULL, NULL) < 0)
        text = xstrdup("");
    free(path);
    return text;
}

static void
test_net_dev(void)
{
    char *t = fixture("net_dev");
    uint64_t rx = 0, tx = 0;
    is_int(kpod_stats_parse_net_dev(t, &rx, &tx), 2, "two interfaces besides lo");
    is_int(rx, 2101345, "received bytes");
    is_int(tx, 47012, "sent bytes");
    free(t);
    ok(kpod_stats_parse_net_dev("garbage\n", &rx, &tx) < 0, "not net/dev");
    const char *only_lo = "Inter-|\n face |\n    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
    is_int(kpod_stats_parse_net_dev(only_lo, &rx, &tx), 0, "lo only");
    is_int(rx, 0, "lo not counted");
}

static void
check_v1(struct kpod_cgroup *cg)
{
    struct kpod_cgroup_stats st;
    struct kpod_err *err = NULL;
    ok(kpod_cgroup_read_stats(cg, &st, &err) == 0, "v1 tree read: %s", err ? err->msg : "ok");
    kpod_err_free(&err);
    int64_t now = 1700000000LL * NS;
    struct kpod_stats s = {0};
    kpod_stats_compute(&st, NULL, now - 10 * NS, now, 1ULL << 34, &s);
    ok(s.valid, "valid");
    is_int(s.cpu_ns, 5123456789ULL, "v1 cpu time from cpuacct.usage");
    ok(fabs(s.avg_cpu_percent - 51.23456789) < 1e-6, "v1 average since start %f",
       s.avg_cpu_percent);
    ok(s.cpu_percent == s.avg_cpu_percent, "first sample: since start");
    is_int(s.mem_usage, 64716800 - 8192000, "v1 working set: usage - total_inactive_file");
    is_int(s.mem_limit, 67108864, "v1 limit: hierarchical_memory_limit");
    ok(fabs(s.mem_percent - 84.227) < 0.01, "v1 mem %% %f", s.mem_percent);
    is_int(s.pids, 3, "v1 pids");
    is_int(s.block_read, 3145728, "v1 block read");
    is_int(s.block_write, 12288, "v1 block write");
    is_int(s.oom_kills, 2, "v1 oom kills");
    struct kpod_stats_prev prev = {.cpu_ns = 5123456789ULL - NS / 2, .at_ns = now - NS};
    kpod_stats_compute(&st, &prev, now - 10 * NS, now, 1ULL << 34, &s);
    ok(fabs(s.cpu_percent - 50.0) < 1e-6, "v1 CPU %% over the interval %f", s.cpu_percent);
}

static void
test_v1_tree(void)
{
    struct cg_mounts m;
    memset(&m, 0, sizeof(m));
    m.version = KPOD_CGROUP_V1;
    static const enum cg_ctrl ctrls[] = {CG_CPU,  CG_CPUACCT, CG_MEMORY,
                                         CG_PIDS, CG_BLKIO,   CG_FREEZER};
    for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++)
        m.v1[ctrls[i]] = xasprintf("%s/stats/v1/%s", fixtures, cg_ctrl_name(ctrls[i]));
    struct kpod_err *err = NULL;
    struct kpod_cgroup *cg = cg_open_v1(&m, xstrdup("kpod/pod/web"), false, &err);
    ok(cg != NULL, "v1 tree opens: %s", err ? err->msg : "ok");
    kpod_err_free(&err);
    if (cg != NULL)
        check_v1(cg);
    kpod_cgroup_free(cg);
    for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++)
        free(m.v1[ctrls[i]]);
}

static void
test_v2_tree(void)
{
    char *root = xasprintf("%s/stats/v2", fixtures);
    struct kpod_err *err = NULL;
    struct kpod_cgroup *cg = kpod_cgroup_open_v2_at(root, "kpod/pod/web", false, &err);
    ok(cg != NULL, "v2 tree opens: %s", err ? err->msg : "ok");
    free(root);
    struct kpod_cgroup_stats st;
    if (cg == NULL || kpod_cgroup_read_stats(cg, &st, &err) < 0) {
        ok(false, "v2 read: %s", err ? err->msg : "");
        kpod_err_free(&err);
        kpod_cgroup_free(cg);
        return;
    }
    int64_t now = 1700000000LL * NS;
    struct kpod_stats s = {0};
    kpod_stats_compute(&st, NULL, now - 20 * NS, now, 1ULL << 34, &s);
    is_int(s.cpu_ns, 5123456000ULL, "v2 cpu time from usage_usec");
    ok(fabs(s.avg_cpu_percent - 25.61728) < 1e-4, "v2 average %f", s.avg_cpu_percent);
    is_int(s.mem_usage, 66371584 - 8192000, "v2 working set: memory.current - inactive_file");
    is_int(s.mem_limit, 67108864, "v2 limit: memory.max");
    is_int(s.pids, 4, "v2 pids");
    is_int(s.pids_limit, 100, "v2 pids.max");
    is_int(s.block_read, 3145728, "v2 io.stat rbytes");
    is_int(s.block_write, 12288, "v2 io.stat wbytes");
    is_int(s.oom_kills, 3, "v2 memory.events oom_kill");
    is_int(s.throttled_periods, 7, "v2 throttled periods");
    kpod_cgroup_free(cg);

    st.memory_limit = UINT64_MAX;
    kpod_stats_compute(&st, NULL, now - 20 * NS, now, 1000000000ULL, &s);
    is_int(s.mem_limit, 1000000000ULL, "unlimited: the host's memory");
}

static struct kpod_stats_row
row(const char *ctr, bool valid)
{
    struct kpod_stats_row r = {0};
    r.id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    r.pod_id = xstrdup(r.id);
    r.pod_name = xstrdup("web");
    r.name = ctr ? xasprintf("web-%s", ctr) : xstrdup("web");
    r.ctr_name = ctr ? xstrdup(ctr) : NULL;
    r.s.valid = valid;
    r.s.has_net = valid;
    r.s.cpu_ns = 1500000000ULL;
    r.s.cpu_percent = 99.5;
    r.s.mem_usage = 52428800;
    r.s.mem_limit = 67108864;
    r.s.mem_percent = 78.126;
    r.s.net_rx = 2100000;
    r.s.net_tx = 45000;
    r.s.pids = 2;
    r.nctrs = 1;
    return r;
}

static void
test_json(void)
{
    struct kpod_stats_row r = row("nginx", true);
    json_t *j = kpod_stats_row_json(&r, false);
    is_str(kpod_json_str(j, "id"), "0123456789ab", "id truncated");
    is_str(kpod_json_str(j, "name"), "web-nginx", "name");
    is_str(kpod_json_str(j, "cpu_percent"), "99.50%", "cpu_percent");
    is_str(kpod_json_str(j, "cpu_time"), "1.5s", "cpu_time");
    is_str(kpod_json_str(j, "mem_usage"), "52.4MB / 67.1MB", "mem_usage");
    is_str(kpod_json_str(j, "mem_limit"), "67.1MB", "mem_limit");
    is_str(kpod_json_str(j, "mem_percent"), "78.13%", "mem_percent");
    is_str(kpod_json_str(j, "net_io"), "2.1MB / 45kB", "net_io");
    is_str(kpod_json_str(j, "block_io"), "0B / 0B", "block_io");
    is_str(kpod_json_str(j, "pids"), "2", "pids");
    is_int(kpod_json_int(json_object_get(j, "raw"), "mem_limit", 0), 67108864, "raw numbers");
    json_decref(j);
    j = kpod_stats_row_json(&r, true);
    is_int(strlen(kpod_json_str(j, "id")), 64, "--no-trunc");
    json_decref(j);
    kpod_stats_row_fini(&r);

    r = row("gone", false);
    j = kpod_stats_row_json(&r, false);
    is_str(kpod_json_str(j, "cpu_percent"), "--", "not running: --");
    is_str(kpod_json_str(j, "mem_usage"), "-- / --", "not running: -- / --");
    json_decref(j);
    kpod_stats_row_fini(&r);

    r = row(NULL, true);
    j = kpod_stats_row_json(&r, false);
    is_str(kpod_json_str(j, "Pod"), "0123456789ab", "pod key Pod");
    is_str(kpod_json_str(j, "MemUsageBytes"), "52.4MB", "pod key MemUsageBytes");
    is_str(kpod_json_str(j, "CPU"), "99.50%", "pod key CPU");
    is_int(kpod_json_int(j, "Containers", 0), 1, "pod containers");
    json_decref(j);
    kpod_stats_row_fini(&r);
}

static void
test_prometheus(void)
{
    struct kpod_stats_row rows[3] = {row("a\"b", true), row(NULL, true), row("off", false)};
    char *t = kpod_stats_prometheus(rows, 3);
    ok(strstr(t, "# TYPE kpod_container_cpu_seconds_total counter\n") != NULL, "TYPE line");
    ok(strstr(t, "kpod_container_cpu_seconds_total{id=\"0123456789abcdef0123456789abcdef0123456789"
                 "abcdef0123456789abcdef\",name=\"web-a\\\"b\",pod=\"web\",container=\"a\\\"b\"} "
                 "1.500000000\n") != NULL,
       "a sample, quotes escaped");
    ok(strstr(t, "kpod_pod_memory_limit_bytes{id=") != NULL, "pod family");
    ok(strstr(t, "container=\"off\"") == NULL, "rows not running left out");
    ok(strstr(t, "kpod_container_pids{") != NULL, "pids");
    free(t);
    for (size_t i = 0; i < 3; i++)
        kpod_stats_row_fini(&rows[i]);
}

static void
test_update_parsers(void)
{
    int64_t q = 0, p = 0;
    struct kpod_err *err = NULL;
    ok(kpod_update_parse_cpus("0.5", &q, &p, &err) == 0 && q == 50000 && p == 100000, "0.5 CPU");
    ok(kpod_update_parse_cpus("2", &q, &p, &err) == 0 && q == 200000, "2 CPUs");
    ok(kpod_update_parse_cpus("0", &q, &p, &err) < 0, "0 refused: %s", err ? err->msg : "");
    kpod_err_free(&err);
    ok(kpod_update_parse_cpus("0.001", &q, &p, &err) < 0, "below 0.01: %s", err ? err->msg : "");
    kpod_err_free(&err);
    ok(kpod_update_parse_cpus("1x", &q, &p, &err) < 0, "junk refused");
    kpod_err_free(&err);

    uint64_t mask[16];
    is_int(kpod_update_parse_cpuset("0-2,5", mask, 0, NULL), 4, "0-2,5 is 4 CPUs");
    char *s = kpod_update_format_cpuset(mask);
    is_str(s, "0-2,5", "canonical list");
    free(s);
    is_int(kpod_update_parse_cpuset("3,1,2,1", mask, 0, NULL), 3, "duplicates counted once");
    s = kpod_update_format_cpuset(mask);
    is_str(s, "1-3", "ranges merged");
    free(s);
    static const char *const bad[] = {"", "2-1", "0,", "a", "1-", "-1", "0-1024"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        ok(kpod_update_parse_cpuset(bad[i], mask, 0, &err) < 0, "'%s' refused: %s", bad[i],
           err ? err->msg : "");
        kpod_err_free(&err);
    }
    ok(kpod_update_parse_cpuset("0-3", mask, 2, &err) < 0, "beyond the host: %s",
       err ? err->msg : "");
    kpod_err_free(&err);
}

int
main(void)
{
    fixtures = getenv("KPOD_TEST_FIXTURES");
    if (fixtures == NULL)
        fixtures = "test/unit/fixtures";
    test_units();
    test_net_dev();
    test_v1_tree();
    test_v2_tree();
    test_json();
    test_prometheus();
    test_update_parsers();
    return tap_done();
}
