/* `kpod pod kill`: send a signal to the containers of pods. */
#include "common.h"

#include "container/container.h"

struct pod_kill_opts {
    bool all;
    char *signal;
};

static const struct kpod_opt pod_kill_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct pod_kill_opts, all), NULL, "signal every pod", NULL,
     NULL, false},
    {"signal", 's', KPOD_OPT_STRING, offsetof(struct pod_kill_opts, signal), "SIGNAL",
     "the signal, by name or number", "=KILL TERM INT HUP USR1 USR2 QUIT", "KILL", false},
    KPOD_OPTS_END,
};

static int
kill_one(struct kpod_ctx *ctx, const char *id, void *data, struct kpod_err **err)
{
    return kpod_sandbox_kill(ctx, id, *(int *)data, err);
}

static int
run_pod_kill(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_kill_opts *o = data;
    int sig;
    if (kpod_container_parse_signal(o->signal, &sig) < 0)
        return kpod_err_usage(err, "pod kill: invalid signal '%s'", o->signal);
    return kpod_cmd_each_pod(ctx, argc, argv, o->all, kill_one, &sig, err);
}

const struct kpod_cmd kpod_cmd_pod_kill = {
    .name = "kill",
    .parent = "pod",
    .summary = "send a signal to the containers of pods",
    .usage = "[options] POD...",
    .opts = pod_kill_opts,
    .opts_size = sizeof(struct pod_kill_opts),
    .run = run_pod_kill,
    .max_args = -1,
    .args_complete = "pods",
};
