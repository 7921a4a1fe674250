/* `kpod runtime delete`: remove a stopped (or, with --force, any) container. */
#include "runtime.h"

struct delete_opts {
    bool force;
};

static const struct kpod_opt delete_opts[] = {
    {"force", 'f', KPOD_OPT_BOOL, offsetof(struct delete_opts, force), NULL,
     "kill the container first if it is still running", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_delete(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct delete_opts *o = data;
    struct rt r;
    int rc = rt_open(ctx, argv[0], &r, err);
    if (rc == 0) {
        const struct kpod_container_state *st = r.state;
        const char *status = kpod_container_state_status(r.dir, st);
        if (strcmp(status, "stopped") != 0 && !o->force)
            rc = kpod_err_invoke(err, "container '%s': is %s: stop it or use --force", st->id,
                                 status);
        else if (strcmp(status, "stopped") != 0 &&
                 kpod_container_stop(st->pid, st->starttime, st->cgroup_path, SIGKILL, 0, err) < 0)
            rc = kpod_err_prefix(err, "container '%s'", st->id);
    }
    if (rc == 0)
        rc = rt_delete(&r, err);
    rt_release(&r);
    return rc;
}

const struct kpod_cmd kpod_cmd_runtime_delete = {
    .name = "delete",
    .parent = "runtime",
    .aliases = "rm",
    .summary = "delete a container and everything it left",
    .usage = "[options] ID",
    .opts = delete_opts,
    .opts_size = sizeof(struct delete_opts),
    .run = run_delete,
    .min_args = 1,
    .max_args = 1,
};
