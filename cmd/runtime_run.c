/* `kpod runtime run`: create, start and wait for a container; its exit code is kpod's. */
#include "runtime.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

struct run_opts {
    char *bundle;
    char *pid_file;
    bool detach;
};

static const struct kpod_opt run_opts[] = {
    {"bundle", 'b', KPOD_OPT_STRING, offsetof(struct run_opts, bundle), "DIR",
     "the bundle directory (config.json and the rootfs)", "dir", ".", false},
    {"pid-file", 0, KPOD_OPT_STRING, offsetof(struct run_opts, pid_file), "PATH",
     "write the container process's pid to PATH", "file", NULL, false},
    {"detach", 'd', KPOD_OPT_BOOL, offsetof(struct run_opts, detach), NULL,
     "start the container and return without waiting for it", NULL, NULL, false},
    KPOD_OPTS_END,
};

/* Relays stdin → pty master and master → stdout; forwards signals; returns the wait status. */
struct relay {
    pid_t pid;
    int pidfd;
    int sigfd;
    int master; /* -1 without a terminal */
    bool stdin_open;
};

static void
copy_some(int from, int to, bool *open_flag)
{
    char buf[8192];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            *open_flag = false;
        return;
    }
    kpod_fs_write_all(to, buf, (size_t)n);
}

static void
resize(int master)
{
    struct winsize ws;
    if (master >= 0 && isatty(0) && ioctl(0, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

static int
relay_loop(struct relay *r)
{
    bool master_open = r->master >= 0;
    for (;;) {
        struct pollfd p[4] = {
            {.fd = r->pidfd, .events = POLLIN},
            {.fd = r->sigfd, .events = POLLIN},
            {.fd = master_open ? r->master : -1, .events = POLLIN},
            {.fd = master_open && r->stdin_open ? 0 : -1, .events = POLLIN},
        };
        if (poll(p, 4, -1) < 0 && errno != EINTR)
            break;
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
            copy_some(r->master, 1, &master_open);
        if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
            copy_some(0, r->master, &r->stdin_open);
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGWINCH)
                    resize(r->master);
                else
                    kill(r->pid, (int)si.ssi_signo);
            }
        }
        if (p[0].revents & POLLIN) {
            while (master_open && r->master >= 0) { /* drain what is left */
                struct pollfd m = {.fd = r->master, .events = POLLIN};
                if (poll(&m, 1, 0) <= 0 || !(m.revents & POLLIN))
                    break;
                copy_some(r->master, 1, &master_open);
            }
            break;
        }
    }
    int status = 0;
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

static int
wait_container(struct kpod_container *c)
{
    static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
        sigaddset(&set, fwd[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct relay r = {.pid = c->pid, .master = c->console_fd, .stdin_open = true};
    r.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    r.pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    struct termios saved;
    bool raw = c->console_fd >= 0 && isatty(0) && tcgetattr(0, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(0, TCSANOW, &t);
        resize(c->console_fd);
    }
    int status = relay_loop(&r);
    if (raw)
        tcsetattr(0, TCSANOW, &saved);
    close(r.sigfd);
    close(r.pidfd);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    return kpod_container_exit_code(status);
}

static int
run_run(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct run_opts *o = data;
    struct rt_create_opts co = {
        .id = argv[0],
        .bundle = o->bundle,
        .pid_file = o->pid_file,
        .want_console = !o->detach,
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
    int code = wait_container(c);
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
