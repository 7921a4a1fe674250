/* Exec into a running container: join its namespaces (mount last) and cgroup, apply the
 * process settings, exec. The parent learns success from the sync socket closing on exec. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup/cgroup.h"

static const struct {
    const char *name;
    int type;
} exec_ns[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
    {"mnt", CLONE_NEWNS},
};

/* Opens the namespaces of pid that differ from ours. */
static int
open_target_ns(struct plan *p, pid_t pid, struct kpod_err **err)
{
    for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++) {
        char path[64], self[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, exec_ns[i].name);
        snprintf(self, sizeof(self), "/proc/self/ns/%s", exec_ns[i].name);
        struct stat a, b;
        if (stat(path, &a) < 0)
            return kpod_err_sys(err, "namespace '%s' of process %d", exec_ns[i].name, (int)pid);
        if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return kpod_err_sys(err, "open '%s'", path);
        if (exec_ns[i].type == CLONE_NEWPID)
            p->pidns_fd = fd;
        else
            p->joins[p->n_joins++] = (struct ns_join){fd, exec_ns[i].type, exec_ns[i].name};
    }
    return 0;
}

static __attribute__((noreturn)) void
exec_child(struct plan *p)
{
    _cleanup_err_ struct kpod_err *e = NULL;
    struct sync_msg m;
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    if (p->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        _exit(1);
    if (sync_recv(p->sync_fd, &m, NULL) < 0 || m.type != SYNC_GO)
        _exit(1);
    int r = 0;
    for (size_t i = 0; i < p->n_joins && r == 0; i++)
        if (setns(p->joins[i].fd, p->joins[i].nstype) < 0)
            r = kpod_err_sys(&e, "join namespace '%s'", p->joins[i].path);
    if (r == 0)
        r = p->process->terminal ? proc_setup_terminal(p, false, &e) : proc_setup_stdio(p, &e);
    if (r == 0 && (proc_apply_rlimits(p, &e) < 0 || proc_finalize(p, &e) < 0))
        r = -1;
    if (r == 0)
        proc_exec(p, &e);
    sync_send_err(p->sync_fd, e);
    _exit(e == NULL || e->kind != KPOD_ERR_NOTFOUND ? KPOD_CONTAINER_EXIT_CANNOT_INVOKE
                                                    : KPOD_CONTAINER_EXIT_NOT_FOUND);
}

static int
exec_plan(struct plan *p, const struct kpod_container_exec_opts *o, struct kpod_err **err)
{
    memset(p, 0, sizeof(*p));
    p->process = o->process;
    p->pidns_fd = p->sync_fd = p->fifo_fd = p->fifo_dirfd = p->rootfd = -1;
    for (int i = 0; i < 3; i++)
        p->stdio[i] = o->stdio[i];
    p->preserve_fds = o->preserve_fds > 0 ? o->preserve_fds : 0;
    p->die_with_parent = o->die_with_caller;
    if (o->process == NULL || o->process->args == NULL || o->process->args[0] == NULL)
        return kpod_err_usage(err, "exec: no command");
    if (o->apparmor_profile != NULL)
        return kpod_err_input(err, "exec: AppArmor profiles are not supported");
    if (plan_rlimits(p, o->process, err) < 0 ||
        caps_plan_init(&p->caps, o->process->capabilities, err) < 0)
        return -1;
    if (o->seccomp != NULL && seccomp_prepare(o->seccomp, o->seccomp_cache, &p->seccomp, err) < 0)
        return -1;
    /* The joins are ordered as exec_ns lists them: mount last. */
    return open_target_ns(p, o->pid, err);
}

static int
exec_sync(const struct kpod_container_exec_opts *o, int fd, pid_t pid, int *ret_console,
          struct kpod_err **err)
{
    if (o->cgroup_path != NULL) {
        struct kpod_cgroup *cg = kpod_cgroup_open(o->cgroup_path, false, err);
        int r = cg ? kpod_cgroup_enter(cg, pid, err) : -1;
        kpod_cgroup_free(cg);
        if (r < 0)
            return kpod_err_prefix(err, "cgroup '%s'", o->cgroup_path);
    }
    if (sync_send(fd, SYNC_GO, -1) < 0)
        return kpod_err_sys(err, "sync with the exec process");
    for (;;) {
        struct sync_msg m;
        int passed = -1;
        if (sync_recv(fd, &m, &passed) < 0)
            return 0; /* closed on exec */
        if (m.type == SYNC_ERROR)
            return sync_to_err(&m, err);
        if (m.type != SYNC_CONSOLE)
            continue;
        if (o->console_socket >= 0) {
            int r = console_send(o->console_socket, passed);
            close(passed);
            if (r < 0)
                return kpod_err_sys(err, "send the pty master to the console socket");
        } else {
            if (*ret_console >= 0)
                close(*ret_console);
            *ret_console = passed;
        }
    }
}

int
kpod_container_exec(const struct kpod_container_exec_opts *o, pid_t *ret_pid, int *ret_console,
                    struct kpod_err **err)
{
    struct plan p;
    int console = -1, sv[2] = {-1, -1};
    int r = exec_plan(&p, o, err);
    if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        r = kpod_err_sys(err, "socketpair");
    pid_t pid = -1;
    if (r == 0) {
        _cleanup_close_ int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (p.pidns_fd >= 0 && setns(p.pidns_fd, CLONE_NEWPID) < 0)
            r = kpod_err_sys(err, "join the pid namespace of process %d", (int)o->pid);
        if (r == 0 && (pid = fork()) == 0) {
            close(sv[0]);
            p.sync_fd = sv[1];
            exec_child(&p);
        }
        if (r == 0 && pid < 0)
            r = kpod_err_sys(err, "fork");
        if (p.pidns_fd >= 0 && own >= 0)
            setns(own, CLONE_NEWPID);
        close(sv[1]);
    }
    if (r == 0 && exec_sync(o, sv[0], pid, &console, err) < 0) {
        r = -1;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (sv[0] >= 0)
        close(sv[0]);
    plan_release(&p);
    if (r < 0) {
        if (console >= 0)
            close(console);
        return -1;
    }
    *ret_pid = pid;
    *ret_console = console;
    return 0;
}
