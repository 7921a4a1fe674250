/* lib/cgroup's pure side: the parsers on v1 and v2 fixture files, mountinfo of hybrid, pure
 * v2, co-mounted and container hosts, shares → weight, device rules and the BPF device program
 * (run by a small interpreter). test_cgroup_fs.c runs the backends on fake hierarchies. */
#include "cgroup/cgroup.h"

#include <fcntl.h>
#include <linux/bpf.h>
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
test_keyed(void)
{
    char *v1 = fixture("v1/memory.stat");
    char *v2 = fixture("v2/memory.stat");
    is_int(kpod_cgroup_parse_keyed(v1, "total_inactive_file", 0), 8192000,
           "v1 total_inactive_file");
    is_int(kpod_cgroup_parse_keyed(v1, "cache", 0), 12288000, "v1 cache is the first line");
    is_int(kpod_cgroup_parse_keyed(v1, "total_cache", 0), 12288000, "v1 total_cache");
    is_int(kpod_cgroup_parse_keyed(v2, "file", 0), 12288000, "v2 file, not file_mapped");
    is_int(kpod_cgroup_parse_keyed(v2, "inactive_file", 0), 8192000, "v2 inactive_file");
    is_int(kpod_cgroup_parse_keyed(v2, "thp_collapse_alloc", 7), 0, "last line");
    is_int(kpod_cgroup_parse_keyed(v2, "nosuch", 42), 42, "missing key gives the fallback");
    is_int(kpod_cgroup_parse_keyed(v2, "anon_th", 42), 42, "a key prefix does not match");
    free(v1);
    free(v2);
    char *ev = fixture("v2/memory.events");
    is_int(kpod_cgroup_parse_keyed(ev, "oom_kill", 0), 3, "memory.events oom_kill");
    is_int(kpod_cgroup_parse_keyed(ev, "max", 0), 17, "memory.events max");
    free(ev);
    char *oc = fixture("v1/memory.oom_control");
    is_int(kpod_cgroup_parse_keyed(oc, "oom_kill", 9), 2, "oom_control oom_kill, not _disable");
    free(oc);
    char *cs = fixture("v2/cpu.stat");
    is_int(kpod_cgroup_parse_keyed(cs, "usage_usec", 0), 5123456, "cpu.stat usage_usec");
    is_int(kpod_cgroup_parse_keyed(cs, "throttled_usec", 0), 81234, "cpu.stat throttled_usec");
    free(cs);
    ok(kpod_cgroup_parse_keyed("a max\n", "a", 0) == UINT64_MAX, "keyed 'max' is UINT64_MAX");
    is_int(kpod_cgroup_parse_keyed("a 1", "a", 0), 1, "no trailing newline");
    is_int(kpod_cgroup_parse_keyed("", "a", 5), 5, "empty text");
    is_int(kpod_cgroup_parse_keyed(NULL, "a", 5), 5, "NULL text");
}

static void
test_value(void)
{
    uint64_t v = 0;
    ok(kpod_cgroup_parse_value("123\n", &v) == 0 && v == 123, "number");
    ok(kpod_cgroup_parse_value("max\n", &v) == 0 && v == UINT64_MAX, "max");
    ok(kpod_cgroup_parse_value("-1\n", &v) == 0 && v == UINT64_MAX, "-1 is unlimited");
    ok(kpod_cgroup_parse_value("9223372036854771712\n", &v) == 0 && v == 9223372036854771712ULL,
       "v1 unlimited value parses");
    ok(kpod_cgroup_parse_value("", &v) < 0, "empty is an error");
    ok(kpod_cgroup_parse_value("abc", &v) < 0, "text is an error");
    ok(kpod_cgroup_parse_value("12 34", &v) < 0, "two numbers are an error");
    ok(kpod_cgroup_parse_value("max 100000", &v) < 0, "cpu.max is not a single value");
    ok(kpod_cgroup_parse_value("99999999999999999999999", &v) == 0 && v == UINT64_MAX,
       "overflow saturates");
}

static void
test_blkio(void)
{
    uint64_t r = 1, w = 1;
    char *v1 = fixture("v1/blkio.throttle.io_service_bytes_recursive");
    kpod_cgroup_parse_blkio(v1, KPOD_CGROUP_V1, &r, &w);
    is_int(r, 3145728, "v1 read bytes summed over devices");
    is_int(w, 12288, "v1 write bytes summed over devices");
    free(v1);
    char *v2 = fixture("v2/io.stat");
    kpod_cgroup_parse_blkio(v2, KPOD_CGROUP_V2, &r, &w);
    is_int(r, 3145728, "v2 rbytes summed");
    is_int(w, 12288, "v2 wbytes summed");
    free(v2);
    kpod_cgroup_parse_blkio("Total 0\n", KPOD_CGROUP_V1, &r, &w);
    ok(r == 0 && w == 0, "v1 empty (only Total) is zero");
    kpod_cgroup_parse_blkio("", KPOD_CGROUP_V2, &r, &w);
    ok(r == 0 && w == 0, "v2 empty is zero");
}

static void
test_mounts(void)
{
    struct cg_mounts m;
    char *t = fixture("mountinfo-hybrid");
    cg_parse_mounts(t, &m);
    is_int(m.version, KPOD_CGROUP_V1, "hybrid host is v1");
    is_int(kpod_cgroup_parse_mountinfo(t), KPOD_CGROUP_V1, "parse_mountinfo: hybrid is v1");
    is_str(m.v1[CG_CPU], "/sys/fs/cgroup/cpu", "hybrid: cpu");
    is_str(m.v1[CG_CPUACCT], "/sys/fs/cgroup/cpuacct", "hybrid: cpuacct mounted apart");
    is_str(m.v1[CG_MEMORY], "/sys/fs/cgroup/memory", "hybrid: memory");
    is_str(m.v1[CG_FREEZER], "/sys/fs/cgroup/freezer", "hybrid: freezer");
    is_str(m.v1[CG_SYSTEMD], "/sys/fs/cgroup/systemd", "hybrid: name=systemd");
    is_str(m.v2, "/sys/fs/cgroup/unified", "hybrid: the unified mount is seen");
    cg_mounts_free(&m);
    free(t);

    t = fixture("mountinfo-v2");
    cg_parse_mounts(t, &m);
    is_int(m.version, KPOD_CGROUP_V2, "pure v2 host");
    is_str(m.v2, "/sys/fs/cgroup", "v2 mount");
    ok(m.v1[CG_MEMORY] == NULL && m.v1[CG_CPU] == NULL, "v2: no v1 hierarchies");
    cg_mounts_free(&m);
    free(t);

    t = fixture("mountinfo-v1-comounted");
    cg_parse_mounts(t, &m);
    is_int(m.version, KPOD_CGROUP_V1, "co-mounted host is v1");
    is_str(m.v1[CG_CPU], "/sys/fs/cgroup/cpu,cpuacct", "co-mounted cpu");
    is_str(m.v1[CG_CPUACCT], "/sys/fs/cgroup/cpu,cpuacct", "co-mounted cpuacct");
    is_str(m.v1[CG_CPUSET], "/sys/fs/cgroup/cpuset", "cpuset");
    is_str(m.v1[CG_SYSTEMD], "/sys/fs/cgroup/systemd", "name=systemd with xattr");
    is_str(m.v2, "/sys/fs/cgroup/unified", "unified");
    struct kpod_cgroup cg;
    memset(&cg, 0, sizeof(cg));
    cg.dirs[CG_CPU] = m.v1[CG_CPU];
    cg.dirs[CG_CPUACCT] = m.v1[CG_CPUACCT];
    cg.dirs[CG_MEMORY] = m.v1[CG_MEMORY];
    ok(cg_v1_first(&cg, CG_CPU) && !cg_v1_first(&cg, CG_CPUACCT) && cg_v1_first(&cg, CG_MEMORY),
       "a co-mounted hierarchy is handled once");
    ok(!cg_v1_first(&cg, CG_PIDS), "an unmounted controller is skipped");
    cg_mounts_free(&m);
    free(t);

    t = fixture("mountinfo-container-v2");
    cg_parse_mounts(t, &m);
    is_int(m.version, KPOD_CGROUP_V2, "container with cgroupns: v2");
    is_str(m.v2, "/sys/fs/cgroup", "the /sys/fs/cgroup mount wins over another cgroup2");
    cg_mounts_free(&m);
    cg_parse_mounts("1 0 0:1 / /a\\040b rw - cgroup cgroup rw,memory\n", &m);
    is_str(m.v1[CG_MEMORY], "/a b", "octal escapes in mount points are decoded");
    cg_mounts_free(&m);
    free(t);

    t = fixture("mountinfo-empty");
    cg_parse_mounts(t, &m);
    ok(m.version == KPOD_CGROUP_V1 && m.v2 == NULL && m.v1[CG_MEMORY] == NULL,
       "no cgroup mounts at all");
    cg_mounts_free(&m);
    free(t);
    cg_parse_mounts("garbage\n\n1 2 3\n", &m);
    ok(m.v2 == NULL && m.v1[CG_CPU] == NULL, "garbage lines are skipped");
    cg_mounts_free(&m);
}

static void
test_controllers_and_paths(void)
{
    char *t = fixture("v2/cgroup.controllers");
    is_int(cg_parse_controllers(t), CG2_WANTED, "all wanted controllers offered");
    free(t);
    is_int(cg_parse_controllers("hugetlb\n"), 0, "hugetlb alone: none kpod enables");
    is_int(cg_parse_controllers("memory pids"), CG2_MEMORY | CG2_PIDS, "memory and pids");
    is_int(cg_parse_controllers(""), 0, "empty");

    struct kpod_err *err = NULL;
    char *p = cg_normalize_path("/kpod//abc/web/", &err);
    is_str(p, "kpod/abc/web", "path normalised");
    free(p);
    const char *bad[] = {"", "/", "a/../b", "./a", ".."};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        p = cg_normalize_path(bad[i], &err);
        ok(p == NULL && err != NULL && err->kind == KPOD_ERR_INPUT, "path '%s' rejected: %s",
           bad[i], err ? err->msg : "");
        kpod_err_free(&err);
    }
}

static void
test_weight(void)
{
    static const uint64_t table[][2] = {
        {0, 0},       {1, 1},         {2, 1},          {3, 2},          {10, 4},
        {100, 17},    {512, 59},      {1024, 100},     {2048, 174},     {4096, 303},
        {10000, 627}, {100000, 4340}, {262143, 10000}, {262144, 10000}, {1000000, 10000},
    };
    for (size_t i = 0; i < ARRAY_SIZE(table); i++)
        is_int(kpod_cgroup_shares_to_weight(table[i][0]), table[i][1], "shares %llu → weight",
               (unsigned long long)table[i][0]);
    uint64_t prev = 0;
    bool mono = true;
    for (uint64_t s = 2; s <= 262144; s++) {
        uint64_t w = kpod_cgroup_shares_to_weight(s);
        mono = mono && w >= prev && w >= 1 && w <= 10000;
        prev = w;
    }
    ok(mono, "weight is monotonic in [1, 10000]");

    struct kpod_cgroup_limits l;
    kpod_cgroup_limits_init(&l);
    ok(l.memory_limit == -1 && l.memory_swap == -1 && l.cpu_quota == -1 && l.pids_limit == -1 &&
           l.cpu_shares == 0 && l.cpuset_cpus == NULL && l.devices_allow == NULL,
       "limits start unset");
    kpod_cgroup_limits_free(&l);
}

/* Runs a device program on one access: the few opcodes cg_device_program emits. */
static int
run_prog(const struct bpf_insn *p, size_t n, char type, unsigned major, unsigned minor,
         unsigned access)
{
    uint32_t ctx[3] = {(access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                       major, minor};
    uint64_t r[11] = {0};
    for (size_t pc = 0; pc < n; pc++) {
        const struct bpf_insn *i = &p[pc];
        uint64_t src = (i->code & BPF_X) && BPF_CLASS(i->code) == BPF_ALU64
                           ? r[i->src_reg]
                           : (uint64_t)(int64_t)i->imm;
        switch (i->code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            r[i->dst_reg] = ctx[i->off / 4];
            break;
        case BPF_ALU64 | BPF_AND | BPF_K:
            r[i->dst_reg] &= src;
            break;
        case BPF_ALU64 | BPF_RSH | BPF_K:
            r[i->dst_reg] >>= src;
            break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
        case BPF_ALU64 | BPF_MOV | BPF_X:
            r[i->dst_reg] = src;
            break;
        case BPF_JMP | BPF_JNE | BPF_K:
            if (r[i->dst_reg] != src)
                pc += (size_t)i->off;
            break;
        case BPF_JMP | BPF_EXIT:
            return (int)r[0];
        default:
            return -1;
        }
    }
    return -2; /* fell off the end */
}

static void
test_devices(void)
{
    struct kpod_err *err = NULL;
    struct cg_device_rule r;
    ok(cg_parse_device_rule("c 1:3 rwm", &r, &err) == 0 && r.type == 'c' && r.major == 1 &&
           r.minor == 3 && r.access == CG_DEV_RWM,
       "rule 'c 1:3 rwm'");
    ok(cg_parse_device_rule("b *:* m", &r, &err) == 0 && r.type == 'b' && r.major == -1 &&
           r.minor == -1 && r.access == CG_DEV_MKNOD,
       "rule 'b *:* m'");
    ok(cg_parse_device_rule("c 136:* rw", &r, &err) == 0 && r.minor == -1 &&
           r.access == (CG_DEV_READ | CG_DEV_WRITE),
       "rule 'c 136:* rw'");
    ok(cg_parse_device_rule("a", &r, &err) == 0 && r.type == 'a', "rule 'a'");
    ok(cg_parse_device_rule("c 10:200", &r, &err) == 0 && r.access == CG_DEV_RWM,
       "access defaults to rwm");
    const char *bad[] = {"",          "x 1:3 rwm",       "c 1 rwm",  "c a:3 rwm",
                         "c 1:3 rwx", "c 1:3 rwm extra", "c -1:3 r", "c 1:3 "};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        ok(cg_parse_device_rule(bad[i], &r, &err) < 0 && err->kind == KPOD_ERR_INPUT &&
               strstr(err->msg, bad[i]) != NULL,
           "bad rule '%s': %s", bad[i], err ? err->msg : "accepted");
        kpod_err_free(&err);
    }

    struct cg_device_rule rules[3];
    cg_parse_device_rule("c 1:3 rwm", &rules[0], NULL);
    cg_parse_device_rule("c 136:* rw", &rules[1], NULL);
    cg_parse_device_rule("b *:* m", &rules[2], NULL);
    struct bpf_insn prog[8 + 3 * 8];
    size_t n = cg_device_program(rules, 3, prog);
    ok(n > 8 && n <= ARRAY_SIZE(prog), "program of %zu instructions", n);
    const unsigned rw = CG_DEV_READ | CG_DEV_WRITE;
    is_int(run_prog(prog, n, 'c', 1, 3, rw), 1, "null allowed");
    is_int(run_prog(prog, n, 'c', 1, 3, CG_DEV_MKNOD), 1, "null mknod allowed");
    is_int(run_prog(prog, n, 'c', 1, 5, CG_DEV_READ), 0, "zero denied");
    is_int(run_prog(prog, n, 'c', 136, 7, rw), 1, "pts any minor, rw");
    is_int(run_prog(prog, n, 'c', 136, 7, CG_DEV_MKNOD), 0, "pts mknod denied");
    is_int(run_prog(prog, n, 'b', 8, 0, CG_DEV_MKNOD), 1, "block mknod allowed");
    is_int(run_prog(prog, n, 'b', 8, 0, CG_DEV_READ), 0, "block read denied");
    is_int(run_prog(prog, n, 'b', 1, 3, CG_DEV_READ), 0, "the type matters");
    n = cg_device_program(NULL, 0, prog);
    is_int(run_prog(prog, n, 'c', 1, 3, CG_DEV_READ), 0, "no rules: deny all");
    cg_parse_device_rule("a", &rules[0], NULL);
    n = cg_device_program(rules, 1, prog);
    is_int(run_prog(prog, n, 'b', 8, 1, rw | CG_DEV_MKNOD), 1, "'a' allows all");
}

int
main(void)
{
    fixtures = getenv("KPOD_TEST_FIXTURES");
    if (fixtures == NULL)
        fixtures = "test/unit/fixtures";
    test_keyed();
    test_value();
    test_blkio();
    test_mounts();
    test_controllers_and_paths();
    test_weight();
    test_devices();
    ok(kpod_cgroup_host_version() == KPOD_CGROUP_V1 || kpod_cgroup_host_version() == KPOD_CGROUP_V2,
       "host version detected");
    return tap_done();
}
