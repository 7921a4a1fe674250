/* Signals to containers: to init or to every process of the cgroup, with pid-reuse checks
 * (start time) and pidfds; stop with a grace period. */
#include "container/internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup/cgroup.h"

unsigned long long
kpod_container_proc_starttime(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    _cleanup_err_ struct kpod_err *e = NULL;
    if (kpod_fs_read_file(path, 4096, &buf, &len, &e) < 0)
        return 0;
    /* Fields after the command (which may hold spaces and parens): from the last ')'. */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    /* p+2 is field 3 (state); starttime is field 22. */
    char state = p[2];
    if (state == 'Z' || state == 'X')
        return 0;
    p += 2;
    for (int field = 3; field < 22 && p != NULL; field++) {
        p = strchr(p, ' ');
        if (p != NULL)
            p++;
    }
    return p != NULL ? strtoull(p, NULL, 10) : 0;
}

bool
kpod_container_proc_alive(pid_t pid, unsigned long long starttime)
{
    if (pid <= 0)
        return false;
    unsigned long long st = kpod_container_proc_starttime(pid);
    return st != 0 && (starttime == 0 || st == starttime);
}

static const struct {
    const char *name;
    int sig;
} signames[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int
kpod_container_parse_signal(const char *s, int *ret)
{
    long long n;
    if (kpod_str_to_ll(s, 0, NSIG - 1, &n) == 0) {
        *ret = (int)n;
        return 0;
    }
    const char *name = s;
    if (strncasecmp(name, "SIG", 3) == 0)
        name += 3;
    for (size_t i = 0; i < ARRAY_SIZE(signames); i++) {
        if (strcasecmp(name, signames[i].name) == 0) {
            *ret = signames[i].sig;
            return 0;
        }
    }
    if (strncasecmp(name, "RTMIN+", 6) == 0 && kpod_str_to_ll(name + 6, 0, 30, &n) == 0 &&
        SIGRTMIN + n <= SIGRTMAX) {
        *ret = SIGRTMIN + (int)n;
        return 0;
    }
    return -1;
}

int
kpod_container_exit_code(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 255;
}

/* A pidfd for pid, checked against the start time (so a reused pid is never signalled). */
static int
open_pidfd(pid_t pid, unsigned long long starttime, struct kpod_err **err)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) {
        if (errno == ESRCH)
            return kpod_err_set(err, KPOD_ERR_INVOKE, ESRCH, "process %d", (int)pid);
        return kpod_err_sys(err, "pidfd_open %d", (int)pid);
    }
    if (!kpod_container_proc_alive(pid, starttime)) {
        close(fd);
        return kpod_err_set(err, KPOD_ERR_INVOKE, ESRCH, "process %d", (int)pid);
    }
    return fd;
}

static int
signal_cgroup(const char *cgroup_path, int sig, struct kpod_err **err)
{
    struct kpod_cgroup *cg = kpod_cgroup_open(cgroup_path, false, err);
    if (cg == NULL)
        return -1;
    pid_t *pids = NULL;
    int n = kpod_cgroup_pids(cg, &pids, err);
    kpod_cgroup_free(cg);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH)
            kpod_debug("kill %d: %s", (int)pids[i], strerror(errno));
    free(pids);
    return 0;
}

int
kpod_container_kill(pid_t pid, unsigned long long starttime, const char *cgroup_path, int sig,
                    bool all, struct kpod_err **err)
{
    _cleanup_close_ int pfd = open_pidfd(pid, starttime, err);
    if (pfd < 0)
        return -1;
    if (all && cgroup_path != NULL) {
        if (sig != SIGKILL && sig != SIGCONT)
            if (signal_cgroup(cgroup_path, SIGSTOP, err) < 0)
                return -1;
        if (signal_cgroup(cgroup_path, sig, err) < 0)
            return -1;
        if (sig != SIGKILL && sig != SIGCONT)
            return signal_cgroup(cgroup_path, SIGCONT, err);
        return 0;
    }
    if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
        return kpod_err_sys(err, "signal %d to process %d", sig, (int)pid);
    return 0;
}

/* Waits until the process of pfd exits, at most ms milliseconds; returns true if it did. */
static bool
wait_exit(int pfd, pid_t pid, int ms)
{
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    for (;;) {
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        /* Our own child: reap it so it is gone, not a zombie. */
        waitpid(pid, NULL, WNOHANG);
        return true;
    }
}

int
kpod_container_stop(pid_t pid, unsigned long long starttime, const char *cgroup_path, int sig,
                    int timeout, struct kpod_err **err)
{
    _cleanup_close_ int pfd = open_pidfd(pid, starttime, err);
    if (pfd < 0)
        return -1;
    if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0 && errno != ESRCH)
        return kpod_err_sys(err, "signal %d to process %d", sig, (int)pid);
    if (wait_exit(pfd, pid, timeout * 1000))
        return 0;
    if (cgroup_path != NULL) {
        _cleanup_err_ struct kpod_err *e = NULL;
        if (signal_cgroup(cgroup_path, SIGKILL, &e) < 0)
            kpod_debug("kill cgroup '%s': %s", cgroup_path, e->msg);
    }
    if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
        return kpod_err_sys(err, "SIGKILL to process %d", (int)pid);
    if (!wait_exit(pfd, pid, 10000))
        return kpod_err_msg(err, "process %d did not exit after SIGKILL", (int)pid);
    return 1;
}
