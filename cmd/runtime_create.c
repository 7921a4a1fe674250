/* `kpod runtime create`: create a container from an OCI bundle; its process waits for start. */
#include "runtime.h"

struct create_opts {
    char *bundle;
    char *console_socket;
    char *pid_file;
    char **overlay_lower;
    char *overlay_upper;
    char *overlay_work;
};

static const struct kpod_opt create_opts[] = {
    {"bundle", 'b', KPOD_OPT_STRING, offsetof(struct create_opts, bundle), "DIR",
     "the bundle directory (config.json and the rootfs)", "dir", ".", false},
    {"console-socket", 0, KPOD_OPT_STRING, offsetof(struct create_opts, console_socket), "PATH",
     "unix socket that receives the pty master when process.terminal is set", "file", NULL, false},
    {"pid-file", 0, KPOD_OPT_STRING, offsetof(struct create_opts, pid_file), "PATH",
     "write the container process's pid to PATH", "file", NULL, false},
    {"overlay-lower", 0, KPOD_OPT_STRV, offsetof(struct create_opts, overlay_lower), "DIR",
     "mount an overlay of DIR (repeatable, top-most first) on root.path", "dir", NULL, false},
    {"overlay-upper", 0, KPOD_OPT_STRING, offsetof(struct create_opts, overlay_upper), "DIR",
     "the overlay's writable upper directory", "dir", NULL, false},
    {"overlay-work", 0, KPOD_OPT_STRING, offsetof(struct create_opts, overlay_work), "DIR",
     "the overlay's work directory (same filesystem as the upper)", "dir", NULL, false},
    KPOD_OPTS_END,
};

static int
run_create(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct create_opts *o = data;
    struct rt_create_opts co = {
        .id = argv[0],
        .bundle = o->bundle,
        .console_socket = o->console_socket,
        .pid_file = o->pid_file,
        .overlay_lower = o->overlay_lower,
        .overlay_upper = o->overlay_upper,
        .overlay_work = o->overlay_work,
    };
    struct rt r;
    int rc = rt_create(ctx, &co, &r, NULL, err);
    rt_release(&r);
    return rc;
}

const struct kpod_cmd kpod_cmd_runtime_create = {
    .name = "create",
    .parent = "runtime",
    .summary = "create a container from an OCI bundle (it waits for start)",
    .usage = "[options] ID",
    .opts = create_opts,
    .opts_size = sizeof(struct create_opts),
    .run = run_create,
    .min_args = 1,
    .max_args = 1,
};
