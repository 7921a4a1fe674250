/* The container's first process, from clone to exec. Every failure goes to the parent over the
 * sync socket (or, after start, to the starter over the exec fifo) with its real cause. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

static void
reset_signals(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
}

static int
join_namespaces(struct plan *p, bool mount_ns, struct kpod_err **err)
{
    for (size_t i = 0; i < p->n_joins; i++) {
        if ((p->joins[i].nstype == CLONE_NEWNS) != mount_ns)
            continue;
        if (setns(p->joins[i].fd, p->joins[i].nstype) < 0)
            return kpod_err_sys(err, "join namespace '%s'", p->joins[i].path);
    }
    return 0;
}

/* Reads /proc/self/cgroup: v1 "id:controllers:/path" → name/path pairs (name as mounted under
 * /sys/fs/cgroup: "name=systemd" is "systemd"), v2 "0::/path". */
static void
read_self_cgroup(struct plan *p)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    _cleanup_err_ struct kpod_err *e = NULL;
    if (kpod_fs_read_file("/proc/self/cgroup", 1 << 20, &text, &len, &e) < 0)
        return;
    _cleanup_strv_ char **lines = kpod_strv_split(text, "\n", true);
    for (size_t i = 0; lines[i] != NULL; i++) {
        char *c1 = strchr(lines[i], ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (*ctrls == '\0') {
            free(p->cgroup_self_v2);
            p->cgroup_self_v2 = xstrdup(path + (*path == '/'));
            continue;
        }
        if (kpod_str_has_prefix(ctrls, "name="))
            ctrls += 5;
        /* Joined controllers (cpu,cpuacct) are mounted per controller on this layout when a
         * directory of that exact name is absent. */
        _cleanup_free_ char *dir = xasprintf("/sys/fs/cgroup/%s", ctrls);
        struct stat st;
        if (stat(dir, &st) < 0 && strchr(ctrls, ',') != NULL)
            *strchr((char *)ctrls, ',') = '\0';
        kpod_strv_push(&p->cgroup_v1, ctrls);
        kpod_strv_push(&p->cgroup_v1, strcmp(path, "/") == 0 ? "" : path);
    }
}

/* In a new user namespace, with the maps written: take uid/gid 0 if they are mapped, so files
 * are accessed as the namespace's root. */
static int
become_ns_root(const struct plan *p, struct kpod_err **err)
{
    const struct kpod_oci_linux *l = p->spec->linux_;
    bool uid0 = false, gid0 = false;
    for (size_t i = 0; i < l->n_uid_mappings; i++)
        uid0 = uid0 || l->uid_mappings[i].container_id == 0;
    for (size_t i = 0; i < l->n_gid_mappings; i++)
        gid0 = gid0 || l->gid_mappings[i].container_id == 0;
    if (gid0 && setresgid(0, 0, 0) < 0)
        return kpod_err_sys(err, "user namespace: setgid 0");
    if (uid0 && setresuid(0, 0, 0) < 0)
        return kpod_err_sys(err, "user namespace: setuid 0");
    return 0;
}

static int
write_oom_score_adj(const struct kpod_oci_process *pr, struct kpod_err **err)
{
    if (!pr->has_oom_score_adj)
        return 0;
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%d", pr->oom_score_adj);
    _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || kpod_fs_write_all(fd, buf, (size_t)n) < 0)
        return kpod_err_sys(err, "oom_score_adj %d", pr->oom_score_adj);
    return 0;
}

static bool
has_create_hooks(const struct kpod_oci_spec *s)
{
    return s->hooks != NULL && (s->hooks->n[KPOD_OCI_HOOK_PRESTART] > 0 ||
                                s->hooks->n[KPOD_OCI_HOOK_CREATE_RUNTIME] > 0 ||
                                s->hooks->n[KPOD_OCI_HOOK_CREATE_CONTAINER] > 0);
}

static int
wait_for(int fd, int type, struct kpod_err **err)
{
    struct sync_msg m;
    if (sync_recv(fd, &m, NULL) < 0 || m.type != type)
        return kpod_err_msg(err, "sync with the parent lost");
    return 0;
}

/* Everything up to "created". */
static int
child_setup(struct plan *p, struct kpod_err **err)
{
    if (join_namespaces(p, false, err) < 0 || wait_for(p->sync_fd, SYNC_GO, err) < 0)
        return -1;
    if (p->new_userns && become_ns_root(p, err) < 0)
        return -1;
    read_self_cgroup(p);
    if (p->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
        return kpod_err_sys(err, "new cgroup namespace");
    if (join_namespaces(p, true, err) < 0 || write_oom_score_adj(p->process, err) < 0)
        return -1;
    umask(0);
    if (rootfs_prepare(p, err) < 0)
        return -1;
    if (has_create_hooks(p->spec)) {
        if (sync_send(p->sync_fd, SYNC_HOOKS, -1) < 0)
            return kpod_err_sys(err, "sync with the parent");
        if (wait_for(p->sync_fd, SYNC_HOOKS_DONE, err) < 0)
            return -1;
    }
    if (rootfs_pivot(p, err) < 0 || proc_make_cwd(p, err) < 0)
        return -1;
    if (p->process->terminal ? proc_setup_terminal(p, true, err) : proc_setup_stdio(p, err))
        return -1;
    if (rootfs_finish(p, err) < 0 || proc_apply_rlimits(p, err) < 0 || proc_finalize(p, err) < 0)
        return -1;
    return 0;
}

/* Blocks until `start` opens the fifo for reading; returns the write end for error reports. */
static int
wait_for_start(struct plan *p, struct kpod_err **err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", p->fifo_fd);
    /* After a switch to another user the process is not dumpable, and its /proc/self/fd is
     * root's: make it dumpable for this one open (the exec resets it). */
    int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (dumpable == 0)
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (dumpable == 0)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (fd < 0 && p->fifo_dirfd >= 0)
        fd = openat(p->fifo_dirfd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "open the exec fifo");
    return fd;
}

static void
run_start_hooks(struct plan *p, int report_fd)
{
    const struct kpod_oci_hooks *h = p->spec->hooks;
    if (h == NULL || h->n[KPOD_OCI_HOOK_START_CONTAINER] == 0)
        return;
    _cleanup_err_ struct kpod_err *e = NULL;
    _cleanup_json_ json_t *state =
        kpod_container_state_json(p->id, "running", getpid(), NULL, p->spec);
    if (kpod_container_run_hooks(p->spec, KPOD_OCI_HOOK_START_CONTAINER, state, &e) < 0) {
        proc_report_exec_error(report_fd, e);
        _exit(KPOD_CONTAINER_EXIT_CANNOT_INVOKE);
    }
}

void
child_main(struct plan *p)
{
    _cleanup_err_ struct kpod_err *e = NULL;
    reset_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (child_setup(p, &e) < 0) {
        sync_send_err(p->sync_fd, e);
        _exit(1);
    }
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    int report_fd = p->sync_fd;
    if (p->fifo_fd >= 0) {
        if (sync_send(p->sync_fd, SYNC_READY, -1) < 0)
            _exit(1);
        close(p->sync_fd);
        report_fd = wait_for_start(p, &e);
        if (report_fd < 0) {
            /* Nobody listens on the sync socket any more: the container's stderr is left. */
            dprintf(2, "Error: container '%s': %s\n", p->id, e->msg);
            _exit(1);
        }
        close(p->fifo_fd);
        if (p->fifo_dirfd >= 0)
            close(p->fifo_dirfd);
    }
    run_start_hooks(p, report_fd);
    proc_exec(p, &e);
    if (p->fifo_fd >= 0)
        proc_report_exec_error(report_fd, e);
    else
        sync_send_err(report_fd, e);
    _exit(e->kind == KPOD_ERR_NOTFOUND ? KPOD_CONTAINER_EXIT_NOT_FOUND
                                       : KPOD_CONTAINER_EXIT_CANNOT_INVOKE);
}
