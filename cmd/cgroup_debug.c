/* Hidden `kpod __cgroup ACTION PATH [ARG]`: drives lib/cgroup directly, for tests and
 * debugging. Actions: version, create, update, enter, freeze, thaw, state, stats, pids, kill,
 * destroy, oom-count, oom-wait. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup.h"

struct cgroup_debug_opts {
    char *memory;
    char *memory_reservation;
    char *memory_swap;
    long long pids;
    long long cpu_quota;
    long long cpu_period;
    long long cpu_shares;
    char *cpuset_cpus;
    char *cpuset_mems;
    char **device;
    char *v2_root;
    long long signal;
    long long count;
    long long timeout;
};

#define O(f) offsetof(struct cgroup_debug_opts, f)
static const struct kpod_opt cgroup_debug_opts[] = {
    {"memory", 'm', KPOD_OPT_STRING, O(memory), "SIZE", "memory limit (64m, 1g, bytes)", NULL, NULL,
     false},
    {"memory-reservation", 0, KPOD_OPT_STRING, O(memory_reservation), "SIZE", "memory soft limit",
     NULL, NULL, false},
    {"memory-swap", 0, KPOD_OPT_STRING, O(memory_swap), "SIZE", "memory+swap limit", NULL, NULL,
     false},
    {"pids", 0, KPOD_OPT_INT, O(pids), "N", "pids limit", NULL, "-1", false},
    {"cpu-quota", 0, KPOD_OPT_INT, O(cpu_quota), "US", "CFS quota per period", NULL, "-1", false},
    {"cpu-period", 0, KPOD_OPT_INT, O(cpu_period), "US", "CFS period", NULL, "0", false},
    {"cpu-shares", 0, KPOD_OPT_INT, O(cpu_shares), "N", "CPU shares (v2: weight)", NULL, "0",
     false},
    {"cpuset-cpus", 0, KPOD_OPT_STRING, O(cpuset_cpus), "LIST", "allowed CPUs", NULL, NULL, false},
    {"cpuset-mems", 0, KPOD_OPT_STRING, O(cpuset_mems), "LIST", "allowed memory nodes", NULL, NULL,
     false},
    {"device", 0, KPOD_OPT_STRV, O(device), "RULE", "allow a device ('c 1:3 rwm')", NULL, NULL,
     false},
    {"v2-root", 0, KPOD_OPT_STRING, O(v2_root), "DIR", "use the cgroup2 hierarchy mounted at DIR",
     "dir", NULL, false},
    {"signal", 's', KPOD_OPT_INT, O(signal), "N", "signal number for kill", NULL, "9", false},
    {"count", 0, KPOD_OPT_INT, O(count), "N", "oom-wait: OOM kills to wait for", NULL, "1", false},
    {"timeout", 't', KPOD_OPT_INT, O(timeout), "SECONDS", "oom-wait: give up after", NULL, "30",
     false},
    KPOD_OPTS_END,
};
#undef O

static int
size_opt(const char *name, const char *s, int64_t *ret, struct kpod_err **err)
{
    if (s == NULL)
        return 0;
    unsigned long long v;
    if (kpod_str_to_size(s, &v) < 0 || v > INT64_MAX)
        return kpod_err_usage(err, "invalid --%s '%s': want a size such as 64m", name, s);
    *ret = (int64_t)v;
    return 0;
}

static int
limits_from_opts(const struct cgroup_debug_opts *o, struct kpod_cgroup_limits *l,
                 struct kpod_err **err)
{
    if (size_opt("memory", o->memory, &l->memory_limit, err) < 0 ||
        size_opt("memory-reservation", o->memory_reservation, &l->memory_reservation, err) < 0 ||
        size_opt("memory-swap", o->memory_swap, &l->memory_swap, err) < 0)
        return -1;
    if (o->cpu_period < 0 || o->cpu_shares < 0)
        return kpod_err_usage(err, "--cpu-period and --cpu-shares must not be negative");
    l->pids_limit = o->pids;
    l->cpu_quota = o->cpu_quota;
    l->cpu_period = (uint64_t)o->cpu_period;
    l->cpu_shares = (uint64_t)o->cpu_shares;
    l->cpuset_cpus = o->cpuset_cpus ? xstrdup(o->cpuset_cpus) : NULL;
    l->cpuset_mems = o->cpuset_mems ? xstrdup(o->cpuset_mems) : NULL;
    l->devices_allow = o->device ? kpod_strv_dup(o->device) : NULL;
    return 0;
}

static struct kpod_cgroup *
open_cg(const struct cgroup_debug_opts *o, const char *path, bool create, struct kpod_err **err)
{
    if (o->v2_root != NULL)
        return kpod_cgroup_open_v2_at(o->v2_root, path, create, err);
    return kpod_cgroup_open(path, create, err);
}

static json_t *
json_u64(uint64_t v)
{
    return v > INT64_MAX ? json_string("max") : json_integer((json_int_t)v);
}

static int
print_stats(struct kpod_cgroup *cg, struct kpod_err **err)
{
    struct kpod_cgroup_stats s;
    if (kpod_cgroup_read_stats(cg, &s, err) < 0)
        return -1;
    _cleanup_json_ json_t *j = json_object();
#define F(name) json_object_set_new(j, #name, json_u64(s.name))
    F(cpu_usage_ns);
    F(cpu_user_ns);
    F(cpu_system_ns);
    F(memory_usage);
    F(memory_working_set);
    F(memory_limit);
    F(memory_cache);
    F(memory_rss);
    F(memory_swap);
    F(oom_kills);
    F(pids_current);
    F(pids_limit);
    F(blkio_read_bytes);
    F(blkio_write_bytes);
    F(cpu_periods);
    F(cpu_throttled_periods);
    F(cpu_throttled_ns);
    F(memory_max_usage);
#undef F
    _cleanup_free_ char *text = kpod_json_dumps(j, true);
    printf("%s\n", text);
    return 0;
}

static int
oom_wait(struct kpod_cgroup *cg, const struct cgroup_debug_opts *o, struct kpod_err **err)
{
    _cleanup_close_ int fd = kpod_cgroup_oom_fd(cg, err);
    if (fd < 0)
        return -1;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        uint64_t n = 0;
        if (kpod_cgroup_oom_count(cg, &n, err) < 0)
            return -1;
        if (n >= (uint64_t)o->count) {
            printf("%" PRIu64 "\n", n);
            return 0;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long left = o->timeout * 1000 - ((now.tv_sec - start.tv_sec) * 1000LL +
                                              (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left <= 0)
            return kpod_err_msg(err, "cgroup '%s': no OOM kill within %llds (count %" PRIu64 ")",
                                kpod_cgroup_path(cg), o->timeout, n);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        /* Wake at least once a second: a removed cgroup must not hang the wait. */
        if (poll(&p, 1, left > 1000 ? 1000 : (int)left) < 0 && errno != EINTR)
            return kpod_err_sys(err, "poll");
        kpod_cgroup_oom_drain(fd);
    }
}

static int
print_pids(struct kpod_cgroup *cg, struct kpod_err **err)
{
    pid_t *pids = NULL;
    int n = kpod_cgroup_pids(cg, &pids, err);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        printf("%d\n", (int)pids[i]);
    free(pids);
    return 0;
}

static int
create(const struct cgroup_debug_opts *o, const char *path, struct kpod_err **err)
{
    struct kpod_cgroup_limits l;
    kpod_cgroup_limits_init(&l);
    int r = limits_from_opts(o, &l, err);
    struct kpod_cgroup *existing = r < 0 ? NULL : open_cg(o, path, false, NULL);
    struct kpod_cgroup *cg = r < 0 ? NULL : open_cg(o, path, true, err);
    if (cg != NULL && (r = kpod_cgroup_apply(cg, &l, err)) < 0 && existing == NULL)
        kpod_cgroup_destroy(cg, NULL); /* nothing half-made */
    kpod_cgroup_free(existing);
    kpod_cgroup_free(cg);
    kpod_cgroup_limits_free(&l);
    return cg == NULL ? -1 : r;
}

static int
update(struct kpod_cgroup *cg, const struct cgroup_debug_opts *o, struct kpod_err **err)
{
    struct kpod_cgroup_limits l;
    kpod_cgroup_limits_init(&l);
    int r = limits_from_opts(o, &l, err);
    if (r == 0)
        r = kpod_cgroup_apply(cg, &l, err);
    kpod_cgroup_limits_free(&l);
    return r;
}

static int
enter(struct kpod_cgroup *cg, int argc, char **argv, struct kpod_err **err)
{
    long long pid;
    if (argc != 3 || kpod_str_to_ll(argv[2], 1, INT32_MAX, &pid) < 0)
        return kpod_err_usage(err, "kpod __cgroup enter: want PATH PID");
    return kpod_cgroup_enter(cg, (pid_t)pid, err);
}

static int
freezer_state(struct kpod_cgroup *cg, struct kpod_err **err)
{
    static const char *const names[] = {"THAWED", "FREEZING", "FROZEN"};
    enum kpod_cgroup_freezer st;
    if (kpod_cgroup_freezer_state(cg, &st, err) < 0)
        return -1;
    printf("%s\n", names[st]);
    return 0;
}

static int
act(struct kpod_cgroup *cg, const struct cgroup_debug_opts *o, int argc, char **argv,
    struct kpod_err **err)
{
    const char *a = argv[0];
    if (strcmp(a, "update") == 0)
        return update(cg, o, err);
    if (strcmp(a, "enter") == 0)
        return enter(cg, argc, argv, err);
    if (strcmp(a, "freeze") == 0 || strcmp(a, "thaw") == 0)
        return kpod_cgroup_freeze(cg, strcmp(a, "freeze") == 0, err);
    if (strcmp(a, "state") == 0)
        return freezer_state(cg, err);
    if (strcmp(a, "stats") == 0)
        return print_stats(cg, err);
    if (strcmp(a, "pids") == 0)
        return print_pids(cg, err);
    if (strcmp(a, "kill") == 0) {
        int n = kpod_cgroup_signal(cg, (int)o->signal, err);
        return n < 0 ? -1 : (printf("%d\n", n), 0);
    }
    if (strcmp(a, "destroy") == 0)
        return kpod_cgroup_destroy(cg, err);
    if (strcmp(a, "oom-wait") == 0)
        return oom_wait(cg, o, err);
    if (strcmp(a, "oom-count") == 0) {
        uint64_t n;
        return kpod_cgroup_oom_count(cg, &n, err) < 0 ? -1 : (printf("%" PRIu64 "\n", n), 0);
    }
    return kpod_err_usage(err, "kpod __cgroup: unknown action '%s'", a);
}

static int
run_cgroup_debug(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct cgroup_debug_opts *o = data;
    if (strcmp(argv[0], "version") == 0) {
        printf("v%d\n", o->v2_root ? 2 : (int)kpod_cgroup_host_version());
        return 0;
    }
    if (argc < 2)
        return kpod_err_usage(err, "kpod __cgroup %s: needs a cgroup PATH", argv[0]);
    if (strcmp(argv[0], "create") == 0)
        return create(o, argv[1], err);
    struct kpod_cgroup *cg = open_cg(o, argv[1], false, err);
    if (cg == NULL) {
        /* destroy of a missing cgroup is fine, as in kpod_cgroup_destroy_path */
        if (strcmp(argv[0], "destroy") == 0 && (*err)->kind == KPOD_ERR_NOTFOUND) {
            kpod_err_free(err);
            return 0;
        }
        return -1;
    }
    int r = act(cg, o, argc, argv, err);
    kpod_cgroup_free(cg);
    return r;
}

const struct kpod_cmd kpod_cmd_cgroup_debug = {
    .name = "__cgroup",
    .summary = "drive lib/cgroup directly (tests and debugging)",
    .usage = "ACTION PATH [PID] [options]",
    .description = "Actions: version, create (a new cgroup is removed again when the limits "
                   "fail), update, enter PATH PID, freeze, thaw, state, stats (JSON), pids, "
                   "kill, destroy, oom-count, oom-wait.",
    .opts = cgroup_debug_opts,
    .opts_size = sizeof(struct cgroup_debug_opts),
    .run = run_cgroup_debug,
    .min_args = 1,
    .max_args = 3,
    .flags = KPOD_CMD_HIDDEN,
};
