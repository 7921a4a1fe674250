/* Hidden `kpod __monitor --ready-fd N POD_DIR`: the per-pod monitor, started by the sandbox
 * through kpod_monitor_spawn (already daemonized when it gets here). */
#include "cli.h"

#include "monitor/monitor.h"

struct monitor_opts {
    long long ready_fd;
};

static const struct kpod_opt monitor_opts[] = {
    {"ready-fd", 0, KPOD_OPT_INT, offsetof(struct monitor_opts, ready_fd), "FD",
     "write the pid here once listening", NULL, "-1", false},
    KPOD_OPTS_END,
};

static int
run_monitor(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct monitor_opts *o = data;
    return kpod_monitor_run(argv[0], (int)o->ready_fd, NULL);
}

const struct kpod_cmd kpod_cmd_monitor = {
    .name = "__monitor",
    .summary = "run the monitor of a pod (internal)",
    .usage = "--ready-fd FD POD_DIR",
    .opts = monitor_opts,
    .opts_size = sizeof(struct monitor_opts),
    .run = run_monitor,
    .min_args = 1,
    .max_args = 1,
    .flags = KPOD_CMD_HIDDEN,
};
