/* `kpod runtime kill`: send a signal to a container's init (or all its processes). */
#include "runtime.h"

struct kill_opts {
    bool all;
};

static const struct kpod_opt kill_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct kill_opts, all), NULL,
     "signal every process of the container (its cgroup), not only init", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_kill(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct kill_opts *o = data;
    int sig = SIGTERM;
    if (argc > 1 && kpod_container_parse_signal(argv[1], &sig) < 0)
        return kpod_err_usage(err, "invalid signal '%s'", argv[1]);
    struct rt r;
    int rc = rt_open(ctx, argv[0], &r, err);
    if (rc == 0 && strcmp(kpod_container_state_status(r.dir, r.state), "stopped") == 0)
        rc = kpod_err_invoke(err, "container '%s': is not running", argv[0]);
    if (rc == 0 && kpod_container_kill(r.state->pid, r.state->starttime, r.state->cgroup_path, sig,
                                       o->all, err) < 0)
        rc = kpod_err_prefix(err, "container '%s'", argv[0]);
    rt_release(&r);
    return rc;
}

const struct kpod_cmd kpod_cmd_runtime_kill = {
    .name = "kill",
    .parent = "runtime",
    .summary = "send a signal (default TERM) to a container",
    .usage = "[options] ID [SIGNAL]",
    .opts = kill_opts,
    .opts_size = sizeof(struct kill_opts),
    .run = run_kill,
    .min_args = 1,
    .max_args = 2,
};
