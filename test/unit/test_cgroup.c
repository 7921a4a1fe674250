/* lib/cgroup: the parsers on v1 and v2 fixture files, mountinfo of hybrid, pure v2, co-mounted
 * and container hosts, and both backends run against fake hierarchies in a temp dir (regular
 * files stand in for the kernel's), so no root is needed. */
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
        "cgroup.controllers", "cgroup.events", "cgroup.procs", "cpu.stat",    "io.stat",
        "memory.current",     "memory.events", "memory.max",   "memory.stat", "memory.swap.current",
        "pids.current",       "pids.max",
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
    is_int(cg->nfiles, 9, "one fd per stat file");
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
    test_keyed();
    test_value();
    test_blkio();
    test_mounts();
    test_controllers_and_paths();
    test_weight();
    test_devices();
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
    ok(kpod_cgroup_host_version() == KPOD_CGROUP_V1 || kpod_cgroup_host_version() == KPOD_CGROUP_V2,
       "host version detected");
    return tap_done();
}
