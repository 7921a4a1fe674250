/* The foreground side of `kpod runtime run` and `exec`: relays a pty (raw mode on a local
 * terminal, window size changes) or leaves plain stdio alone, forwards signals, waits. */
#include "runtime.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

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

int
rt_wait(pid_t pid, int console_fd)
{
    static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
        sigaddset(&set, fwd[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct relay r = {.pid = pid, .master = console_fd, .stdin_open = true};
    r.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    r.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct termios saved;
    bool raw = console_fd >= 0 && isatty(0) && tcgetattr(0, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(0, TCSANOW, &t);
        resize(console_fd);
    }
    int status = relay_loop(&r);
    if (raw)
        tcsetattr(0, TCSANOW, &saved);
    close(r.sigfd);
    close(r.pidfd);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    return kpod_container_exit_code(status);
}
