/* `kpod runtime run`: create, start and wait for a container; its exit code is kpod's. */
#include "runtime.h"

struct run_opts {
    char *bundle;
    char *pid_file;
    char *console_socket;
    char **overlay_lower;
    char *overlay_upper;
    char *overlay_work;
    bool detach;
};

static const struct kpod_opt run_opts[] = {
    {"bundle", 'b', KPOD_OPT_STRING, offsetof(struct run_opts, bundle), "DIR",
     "the bundle directory (config.json and the rootfs)", "dir", ".", false},
    {"pid-file", 0, KPOD_OPT_STRING, offsetof(struct run_opts, pid_file), "PATH",
     "write the container process's pid to PATH", "file", NULL, false},
    {"console-socket", 0, KPOD_OPT_STRING, offsetof(struct run_opts, console_socket), "PATH",
     "with process.terminal: send the pty master to this unix socket instead of relaying it",
     "file", NULL, false},
    {"detach", 'd', KPOD_OPT_BOOL, offsetof(struct run_opts, detach), NULL,
     "start the container and return without waiting for it", NULL, NULL, false},
    {"overlay-lower", 0, KPOD_OPT_STRV, offsetof(struct run_opts, overlay_lower), "DIR",
     "mount an overlay of DIR (repeatable, top-most first) on root.path", "dir", NULL, false},
    {"overlay-upper", 0, KPOD_OPT_STRING, offsetof(struct run_opts, overlay_upper), "DIR",
     "the overlay's writable upper directory", "dir", NULL, false},
    {"overlay-work", 0, KPOD_OPT_STRING, offsetof(struct run_opts, overlay_work), "DIR",
     "the overlay's work directory (same filesystem as the upper)", "dir", NULL, false},
    KPOD_OPTS_END,
};

static int
run_run(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct run_opts *o = data;
    struct rt_create_opts co = {
        .id = argv[0],
        .bundle = o->bundle,
        .pid_file = o->pid_file,
        .overlay_lower = o->overlay_lower,
        .overlay_upper = o->overlay_upper,
        .overlay_work = o->overlay_work,
        .console_socket = o->console_socket,
        .want_console = !o->detach && o->console_socket == NULL,
    };
    struct rt r;
    _cleanup_container_ struct kpod_container *c = NULL;
    if (rt_create(ctx, &co, &r, &c, err) < 0) {
        rt_release(&r);
        return -1;
    }
    int rc = rt_start(&r, err);
    if (rc == 0 && o->detach) {
        rt_release(&r);
        return 0;
    }
    /* Let `kpod runtime kill/state` work on it meanwhile: they take the lock. */
    kpod_lock_release(r.lockfd);
    r.lockfd = -1;
    int code = rt_wait(c->pid, c->console_fd);
    _cleanup_free_ char *lock = xasprintf("%s/lock", r.dir);
    _cleanup_err_ struct kpod_err *e = NULL;
    r.lockfd = kpod_lock_acquire(lock, KPOD_LOCK_EXCLUSIVE, false, &e);
    if (rt_delete(&r, rc < 0 ? &e : err) < 0 && rc == 0)
        rc = -1;
    rt_release(&r);
    return rc < 0 ? -1 : code;
}

const struct kpod_cmd kpod_cmd_runtime_run = {
    .name = "run",
    .parent = "runtime",
    .summary = "create, start and wait for a container from an OCI bundle",
    .usage = "[options] ID",
    .opts = run_opts,
    .opts_size = sizeof(struct run_opts),
    .run = run_run,
    .min_args = 1,
    .max_args = 1,
};
