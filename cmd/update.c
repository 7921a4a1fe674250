/* `kpod update CTR`: change the limits of a running container (podman's flags), persisted
 * across pod stop/start, with the pod cgroup's totals recomputed. */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct update_opts {
    char *memory, *memory_reservation, *memory_swap, *cpus, *cpu_shares, *cpuset_cpus, *pids_limit;
};

#define O(f) offsetof(struct update_opts, f)
static const struct kpod_opt update_opts[] = {
    {"memory", 'm', KPOD_OPT_STRING, O(memory), "SIZE", "memory limit (e.g. 64m, 1g; at least 6m)",
     NULL, NULL, false},
    {"memory-reservation", 0, KPOD_OPT_STRING, O(memory_reservation), "SIZE",
     "memory soft limit (-1: none)", NULL, NULL, false},
    {"memory-swap", 0, KPOD_OPT_STRING, O(memory_swap), "SIZE",
     "memory plus swap limit (-1: unlimited swap)", NULL, NULL, false},
    {"cpus", 0, KPOD_OPT_STRING, O(cpus), "N", "number of CPUs (e.g. 0.5, 2)", NULL, NULL, false},
    {"cpu-shares", 'c', KPOD_OPT_STRING, O(cpu_shares), "SHARES",
     "relative CPU weight (2 to 262144; 1024 is the default)", NULL, NULL, false},
    {"cpuset-cpus", 0, KPOD_OPT_STRING, O(cpuset_cpus), "LIST",
     "the CPUs the container may use (e.g. 0-1,3)", NULL, NULL, false},
    {"pids-limit", 0, KPOD_OPT_STRING, O(pids_limit), "N", "most processes (-1 or 0: unlimited)",
     NULL, NULL, false},
    KPOD_OPTS_END,
};
#undef O

static int
size_arg(const char *flag, const char *v, bool minus_one, int64_t *ret, struct kpod_err **err)
{
    if (v == NULL)
        return 0;
    if (minus_one && strcmp(v, "-1") == 0) {
        *ret = KPOD_UPDATE_UNLIMITED;
        return 0;
    }
    unsigned long long n = 0;
    if (kpod_str_to_size(v, &n) < 0 || n > (unsigned long long)INT64_MAX / 2)
        return kpod_err_usage(err, "invalid --%s '%s': want a size such as 512m or 1g%s", flag, v,
                              minus_one ? ", or -1" : "");
    *ret = (int64_t)n;
    return 0;
}

static int
int_arg(const char *flag, const char *v, long long min, long long max, int64_t *ret,
        struct kpod_err **err)
{
    long long n = 0;
    if (v == NULL)
        return 0;
    if (kpod_str_to_ll(v, min, max, &n) < 0)
        return kpod_err_usage(err, "invalid --%s '%s': want a number from %lld to %lld", flag, v,
                              min, max);
    *ret = n;
    return 0;
}

static int
parse(const struct update_opts *o, struct kpod_update *u, struct kpod_err **err)
{
    kpod_update_init(u);
    if (size_arg("memory", o->memory, false, &u->memory, err) < 0 ||
        size_arg("memory-reservation", o->memory_reservation, true, &u->memory_reservation, err) <
            0 ||
        size_arg("memory-swap", o->memory_swap, true, &u->memory_swap, err) < 0 ||
        int_arg("cpu-shares", o->cpu_shares, 2, 262144, &u->cpu_shares, err) < 0 ||
        int_arg("pids-limit", o->pids_limit, -1, INT32_MAX, &u->pids_limit, err) < 0)
        return -1;
    if (u->pids_limit == 0 || (o->pids_limit && u->pids_limit == -1))
        u->pids_limit = KPOD_UPDATE_UNLIMITED;
    if (o->cpus != NULL && kpod_update_parse_cpus(o->cpus, &u->cpu_quota, &u->cpu_period, err) < 0)
        return -1;
    u->cpuset_cpus = o->cpuset_cpus;
    if (!o->memory && !o->memory_reservation && !o->memory_swap && !o->cpus && !o->cpu_shares &&
        !o->cpuset_cpus && !o->pids_limit)
        return kpod_err_usage(err, "nothing to update: give at least one of --memory, "
                                   "--memory-reservation, --memory-swap, --cpus, --cpu-shares, "
                                   "--cpuset-cpus, --pids-limit");
    return 0;
}

static int
run_update(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct kpod_update u;
    if (parse(data, &u, err) < 0)
        return -1;
    struct kpod_pod_state *p = NULL;
    struct kpod_ctr_state *c = NULL;
    if (kpod_cmd_find_ctr(ctx, argv[0], &p, &c, err) < 0)
        return -1;
    int rc = kpod_sandbox_update(ctx, p->id, c->name, &u, err);
    if (rc == 0)
        printf("%s\n", c->id);
    kpod_pod_state_free(p);
    return rc;
}

const struct kpod_cmd kpod_cmd_update = {
    .name = "update",
    .summary = "change the resource limits of a running container",
    .usage = "[options] CONTAINER",
    .description = "Writes the new limits to the container's cgroup (nothing changes when one is "
                   "refused), keeps them for the next start of the pod, and recomputes the pod "
                   "cgroup's totals over its running containers.",
    .opts = update_opts,
    .opts_size = sizeof(struct update_opts),
    .run = run_update,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "containers",
};
