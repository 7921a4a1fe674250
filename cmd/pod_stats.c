/* `kpod pod stats [POD...]`: the resource use of pods, from each pod's cgroup (every
 * container, the infra and the pod's processes) and its network namespace. */
#include "stats_internal.h"

static const struct kpod_opt pod_stats_opts[] = {KPOD_STATS_OPTS("pod")};

static int
run_pod_stats(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    return kpod_cmd_stats_run(ctx, data, true, argc, argv, err);
}

const struct kpod_cmd kpod_cmd_pod_stats = {
    .name = "stats",
    .parent = "pod",
    .summary = "show the live resource use of pods",
    .usage = "[options] [POD...]",
    .description = "The figures of 'kpod stats' for whole pods, read from the pod cgroup: "
                   "each running pod (all with --all), refreshed every --interval seconds "
                   "until interrupted, or once with --no-stream.",
    .opts = pod_stats_opts,
    .opts_size = sizeof(struct kpod_stats_cli),
    .run = run_pod_stats,
    .min_args = 0,
    .max_args = -1,
    .args_complete = "pods",
};
