/* `kpod attach CTR`: the live output of a running container, and its input. */
#include "common.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "monitor/monitor.h"

struct attach_opts {
    bool no_stdin;
    char *detach_keys;
};

static const struct kpod_opt attach_opts[] = {
    {"no-stdin", 0, KPOD_OPT_BOOL, offsetof(struct attach_opts, no_stdin), NULL,
     "do not pass standard input on", NULL, NULL, false},
    {"detach-keys", 0, KPOD_OPT_STRING, offsetof(struct attach_opts, detach_keys), "KEYS",
     "the keys that detach (only ctrl-p,ctrl-q)", NULL, "ctrl-p,ctrl-q", false},
    KPOD_OPTS_END,
};

static struct termios saved;
static bool raw;

static void
restore(void)
{
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    raw = false;
}

/* stdin → the container; returns 1 when the detach keys were typed, -1 on an error. */
static int
forward_input(int fd, bool *in_open, bool *saw_p)
{
    char buf[8192];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n <= 0) {
        *in_open = false;
        return kpod_attach_send(fd, KPOD_ATTACH_STDIN, "", 0); /* EOF closes its stdin */
    }
    for (ssize_t i = 0; i < n; i++) {
        if (*saw_p && buf[i] == 17)
            return 1;
        *saw_p = buf[i] == 16;
    }
    return kpod_attach_send(fd, KPOD_ATTACH_STDIN, buf, (size_t)n);
}

static int
session(int fd, bool with_stdin, struct kpod_err **err)
{
    if (with_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios t = saved;
        cfmakeraw(&t);
        raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
        atexit(restore);
    }
    bool in_open = with_stdin, saw_p = false;
    for (;;) {
        struct pollfd p[2] = {{fd, POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return kpod_err_sys(err, "attach: poll");
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
            int r = forward_input(fd, &in_open, &saw_p);
            if (r == 1) {
                restore();
                return 0;
            }
            if (r < 0)
                in_open = false;
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        int stream = 0;
        char *buf = NULL;
        size_t len = 0;
        int r = kpod_attach_recv(fd, &stream, &buf, &len);
        if (r <= 0) {
            restore();
            return 0; /* the monitor went away (pod stopped) */
        }
        int code = -1;
        if (stream == KPOD_ATTACH_EXIT && len == 4)
            code = (unsigned char)buf[0] | (unsigned char)buf[1] << 8 |
                   (unsigned char)buf[2] << 16 | (unsigned char)buf[3] << 24;
        else
            kpod_fs_write_all(stream == KPOD_ATTACH_STDERR ? STDERR_FILENO : STDOUT_FILENO, buf,
                              len);
        free(buf);
        if (code >= 0) {
            restore();
            return code; /* podman attach ends with the container's exit code */
        }
    }
}

static int
run_attach(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct attach_opts *o = data;
    if (strcmp(o->detach_keys, "ctrl-p,ctrl-q") != 0)
        return kpod_err_usage(err, "attach: only the detach keys ctrl-p,ctrl-q are supported");
    struct kpod_pod_state *p = NULL;
    struct kpod_ctr_state *c = NULL;
    if (kpod_cmd_find_ctr(ctx, argv[0], &p, &c, err) < 0)
        return -1;
    int rc = 0;
    if (p->state != KPOD_STATE_RUNNING || c->state != KPOD_STATE_RUNNING)
        rc = kpod_err_invoke(err, "cannot attach to container '%s': it is %s", argv[0],
                             kpod_state_name(p->state != KPOD_STATE_RUNNING ? p->state : c->state));
    _cleanup_free_ char *dir = xasprintf("%s/pods/%s/ctr/%s", ctx->runroot, p->id, c->name);
    kpod_pod_state_free(p);
    if (rc < 0)
        return -1;
    _cleanup_close_ int fd = kpod_attach_connect(dir, err);
    if (fd < 0)
        return kpod_err_prefix(err, "attach '%s'", argv[0]);
    return session(fd, !o->no_stdin, err);
}

const struct kpod_cmd kpod_cmd_attach = {
    .name = "attach",
    .summary = "attach to the output (and input) of a running container",
    .usage = "[options] CONTAINER",
    .opts = attach_opts,
    .opts_size = sizeof(struct attach_opts),
    .run = run_attach,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "containers",
};
