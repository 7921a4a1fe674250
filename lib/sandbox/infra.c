/* The infra process of a pod: it holds the namespaces the containers share (net through the
 * pinned netns it joins, ipc, uts, and pid with shareProcessNamespace), like podman's pause
 * container and Kata's VM. Double-forked and detached, so it outlives `kpod play`. */
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"

static void __attribute__((noreturn)) fail(int fd, const char *what)
{
    char msg[256];
    int n = snprintf(msg, sizeof(msg), "E%s: %s", what, strerror(errno));
    if (write(fd, msg, (size_t)n) < 0)
        _exit(2);
    _exit(1);
}

static void
on_term(int sig)
{
    (void)sig;
    _exit(0);
}

/* pid 1 of a shared pid namespace reaps what gets reparented to it. */
static void __attribute__((noreturn)) infra_main(void)
{
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    prctl(PR_SET_NAME, "kpod-infra");
    for (;;) {
        pause();
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

static void __attribute__((noreturn))
child(const struct kpod_infra_args *a, struct kpod_cgroup *cg, int out)
{
    if (setsid() < 0)
        fail(out, "setsid");
    /* Into the pod's cgroup before the holder exists, so that it is never outside it: a kpod
     * killed at any moment leaves nothing the cgroup's destruction would not kill. */
    struct kpod_err *e = NULL;
    if (cg != NULL && kpod_cgroup_enter(cg, getpid(), &e) < 0)
        fail(out, "enter the pod cgroup");
    if (a->netns_path != NULL) {
        int fd = open(a->netns_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
            fail(out, "join the pod network namespace");
        close(fd);
    }
    int flags = (a->host_ipc ? 0 : CLONE_NEWIPC) | (a->host_uts ? 0 : CLONE_NEWUTS) |
                (a->share_pid ? CLONE_NEWPID : 0);
    if (flags && unshare(flags) < 0)
        fail(out, "create namespaces");
    if (!a->host_uts && a->hostname && sethostname(a->hostname, strlen(a->hostname)) < 0)
        fail(out, "set the hostname");
    pid_t pid = fork();
    if (pid < 0)
        fail(out, "fork");
    if (pid == 0) {
        struct sigaction sa = {.sa_handler = SIG_DFL};
        sigaction(SIGCHLD, &sa, NULL);
        int null = open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; fd++)
            dup2(null, fd);
        /* nothing of kpod's caller (a terminal, a test runner's pipes) stays open in it */
        close_range(3, ~0U, 0);
        /* exec the tiny static holder, so the pod does not keep a copy of kpod's memory */
        if (a->helper != NULL)
            execl(a->helper, "kpod-infra", (char *)NULL);
        infra_main();
    }
    char msg[32];
    int n = snprintf(msg, sizeof(msg), "P%d", (int)pid);
    if (write(out, msg, (size_t)n) < 0)
        _exit(2);
    _exit(0);
}

int
kpod_infra_start(const struct kpod_infra_args *args, pid_t *ret_pid, uint64_t *ret_start,
                 struct kpod_err **err)
{
    _cleanup_free_ char *helper = kpod_fs_helper_path(args->self, "kpod-infra");
    struct kpod_infra_args copy = *args;
    copy.helper = helper;
    const struct kpod_infra_args *a = &copy;
    /* In the pod's cgroup, a leaf of its own (as cgroup v2 wants): counted in the pod's stats,
     * frozen with it, killed by the cgroup's destruction even when the state is lost. Made here;
     * the child enters it (and fails if it was removed meanwhile). */
    struct kpod_cgroup *cg = NULL;
    if (a->cgroup_path != NULL && (cg = kpod_cgroup_open(a->cgroup_path, true, err)) == NULL)
        return kpod_err_prefix(err, "infra: cgroup '%s'", a->cgroup_path);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        kpod_cgroup_free(cg);
        return kpod_err_sys(err, "infra: create pipe");
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        kpod_cgroup_free(cg);
        return kpod_err_sys(err, "infra: fork");
    }
    if (pid == 0) {
        close(fds[0]);
        child(a, cg, fds[1]);
    }
    kpod_cgroup_free(cg);
    close(fds[1]);
    _cleanup_close_ int rfd = fds[0];
    char msg[300] = "";
    ssize_t n = kpod_fs_read_all(rfd, msg, sizeof(msg) - 1);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return kpod_err_msg(err, "infra: the process died before it was ready");
    msg[n] = '\0';
    if (msg[0] == 'E')
        return kpod_err_msg(err, "infra: %s", msg + 1);
    pid_t infra = (pid_t)strtol(msg + 1, NULL, 10);
    uint64_t start = kpod_proc_start_time(infra);
    *ret_pid = infra;
    *ret_start = start;
    return 0;
}

void
kpod_infra_stop(pid_t pid, uint64_t start)
{
    kpod_proc_stop(pid, start, SIGKILL, 1000);
}
