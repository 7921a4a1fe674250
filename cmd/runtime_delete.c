/* `kpod runtime delete`: remove a stopped (or, with --force, any) container. */
#include "runtime.h"

#include "cgroup/cgroup.h"

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
    /* A state file that cannot be read (a crash mid-write, a hand edit): --force still
     * removes the directory, so the id can be used again. */
    if (rc < 0 && o->force && r.dir != NULL && r.state == NULL && r.lockfd >= 0 &&
        (*err)->kind != KPOD_ERR_NOTFOUND) {
        kpod_warn("container '%s': %s: removing its state anyway", argv[0], (*err)->msg);
        kpod_err_free(err);
        /* The cgroup by its default name (a spec's cgroupsPath is lost with the state). */
        _cleanup_free_ char *cg = xasprintf("kpod-runtime-%s", argv[0]);
        _cleanup_err_ struct kpod_err *e = NULL;
        if (kpod_cgroup_destroy_path(cg, &e) < 0)
            kpod_warn("%s", e->msg);
        rc = kpod_fs_rm_rf(r.dir, err);
    }
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
