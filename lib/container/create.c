/* The parent side of create and start: plan, clone with the new namespaces, cgroup, the sync
 * protocol (hooks, console, ready or the child's error) and the exec fifo. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup/cgroup.h"

void
kpod_container_free(struct kpod_container *c)
{
    if (c == NULL)
        return;
    free(c->id);
    if (c->console_fd >= 0)
        close(c->console_fd);
    free(c->cgroup_path);
    free(c->fifo_path);
    free(c->rootfs);
    free(c);
}

/* Clones the child in the pid namespace to join (if any): setns(CLONE_NEWPID) only affects the
 * children of the caller, so the caller joins for the clone and returns to its own. */
static pid_t
clone_child(struct plan *p, struct kpod_err **err)
{
    _cleanup_close_ int own = -1;
    if (p->pidns_fd >= 0) {
        own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (own < 0 || setns(p->pidns_fd, CLONE_NEWPID) < 0)
            return kpod_err_sys(err, "join the pid namespace");
    }
    pid_t pid =
        (pid_t)syscall(SYS_clone, (unsigned long)p->clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
    int e = errno;
    if (pid == 0)
        child_main(p);
    if (own >= 0 && setns(own, CLONE_NEWPID) < 0)
        kpod_warn("cannot return to the own pid namespace: %s", strerror(errno));
    if (pid < 0)
        return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "clone");
    return pid;
}

/* Removes the entries of v starting with prefix. */
static void
strv_remove_prefix(char **v, const char *prefix)
{
    for (size_t k = 0; v != NULL && v[k] != NULL;) {
        if (kpod_str_has_prefix(v[k], prefix)) {
            free(v[k]);
            memmove(v + k, v + k + 1, (kpod_strv_len(v + k + 1) + 1) * sizeof(char *));
        } else {
            k++;
        }
    }
}

/* The spec's device rules in the contract's terms: deny-all, then the allows in order (a later
 * deny revokes the earlier allows of the same device; a deny-all starts over), then what every
 * container gets, as runc does: mknod of anything, the default nodes, the terminals and the
 * spec's own devices. NULL when the spec has no rules (the cgroup's default stays). */
char **
devices_allowlist(const struct kpod_oci_spec *spec)
{
    static const char *const defaults[] = {
        "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
        "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
    };
    const struct kpod_oci_linux *lx = spec->linux_;
    const struct kpod_oci_resources *r = lx ? lx->resources : NULL;
    if (r == NULL || r->n_devices == 0)
        return NULL;
    char **allow = xcalloc(1, sizeof(char *));
    for (size_t i = 0; i < r->n_devices; i++) {
        const struct kpod_oci_device_rule *d = &r->devices[i];
        char maj[24] = "*", min[24] = "*";
        if (d->major >= 0 && d->major != KPOD_OCI_UNSET)
            snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
        if (d->minor >= 0 && d->minor != KPOD_OCI_UNSET)
            snprintf(min, sizeof(min), "%lld", (long long)d->minor);
        const char *type = d->type ? d->type : "a";
        if (d->allow) {
            kpod_strv_push_take(
                &allow, xasprintf("%s %s:%s %s", type, maj, min, d->access ? d->access : "rwm"));
        } else if (strcmp(type, "a") == 0) {
            kpod_strv_free(allow);
            allow = xcalloc(1, sizeof(char *));
        } else {
            _cleanup_free_ char *dev = xasprintf("%s %s:%s ", type, maj, min);
            strv_remove_prefix(allow, dev);
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
        kpod_strv_push(&allow, defaults[i]);
    for (size_t i = 0; i < lx->n_devices; i++) {
        const struct kpod_oci_device *d = &lx->devices[i];
        if (d->type[0] == 'c' || d->type[0] == 'b' || d->type[0] == 'u')
            kpod_strv_push_take(&allow, xasprintf("%c %lld:%lld rwm", d->type[0] == 'b' ? 'b' : 'c',
                                                  (long long)d->major, (long long)d->minor));
    }
    return allow;
}

static int
limits_from_spec(const struct kpod_oci_spec *spec, struct kpod_cgroup_limits *l)
{
    kpod_cgroup_limits_init(l);
    const struct kpod_oci_resources *r = spec->linux_ ? spec->linux_->resources : NULL;
    if (r == NULL)
        return 0;
    if (r->memory_limit > 0)
        l->memory_limit = r->memory_limit;
    if (r->memory_reservation > 0)
        l->memory_reservation = r->memory_reservation;
    if (r->memory_swap > 0)
        l->memory_swap = r->memory_swap;
    l->cpu_shares = r->cpu_shares;
    if (r->cpu_quota > 0)
        l->cpu_quota = r->cpu_quota;
    l->cpu_period = r->cpu_period;
    l->cpuset_cpus = r->cpu_cpus ? xstrdup(r->cpu_cpus) : NULL;
    l->cpuset_mems = r->cpu_mems ? xstrdup(r->cpu_mems) : NULL;
    if (r->pids_limit > 0)
        l->pids_limit = r->pids_limit;
    l->devices_allow = devices_allowlist(spec);
    return 0;
}

static int
setup_cgroup(const struct kpod_container_opts *o, pid_t pid, char **ret_path, struct kpod_err **err)
{
    if (o->no_cgroup)
        return 0;
    const struct kpod_oci_linux *l = o->spec->linux_;
    const char *path = o->cgroup_path ? o->cgroup_path : l ? l->cgroups_path : NULL;
    _cleanup_free_ char *def = NULL;
    if (path == NULL || *path == '\0')
        path = def = xasprintf("kpod-runtime-%s", o->id);
    while (*path == '/')
        path++;
    struct kpod_cgroup *cg = kpod_cgroup_open(path, true, err);
    if (cg == NULL)
        return -1;
    *ret_path = xstrdup(path);
    struct kpod_cgroup_limits lim;
    limits_from_spec(o->spec, &lim);
    int r = kpod_cgroup_apply(cg, &lim, err);
    if (r == 0)
        r = kpod_cgroup_enter(cg, pid, err);
    kpod_cgroup_limits_free(&lim);
    kpod_cgroup_free(cg);
    return r; /* the cgroup module's errors name the cgroup and the file */
}

static int
run_create_hooks(const struct kpod_container_opts *o, pid_t pid, struct kpod_err **err)
{
    _cleanup_json_ json_t *st =
        kpod_container_state_json(o->id, "creating", pid, o->bundle, o->spec);
    if (hooks_run_in_ns(o->spec, KPOD_OCI_HOOK_PRESTART, st, 0, err) < 0 ||
        hooks_run_in_ns(o->spec, KPOD_OCI_HOOK_CREATE_RUNTIME, st, 0, err) < 0 ||
        hooks_run_in_ns(o->spec, KPOD_OCI_HOOK_CREATE_CONTAINER, st, pid, err) < 0)
        return -1;
    return 0;
}

/* Talks to the child until it is ready (or failed). */
static int
sync_child(const struct kpod_container_opts *o, int fd, struct kpod_container *c,
           struct kpod_err **err)
{
    for (;;) {
        struct sync_msg m;
        int passed = -1;
        if (sync_recv(fd, &m, &passed) < 0)
            return kpod_err_msg(err, "the container process died during setup");
        switch (m.type) {
        case SYNC_ERROR:
            return sync_to_err(&m, err);
        case SYNC_HOOKS:
            if (run_create_hooks(o, c->pid, err) < 0)
                return -1;
            if (sync_send(fd, SYNC_HOOKS_DONE, -1) < 0)
                return kpod_err_sys(err, "sync with the container process");
            break;
        case SYNC_CONSOLE:
            if (o->console_socket >= 0) {
                int r = console_send(o->console_socket, passed);
                close(passed);
                if (r < 0)
                    return kpod_err_sys(err, "send the pty master to the console socket");
            } else {
                if (c->console_fd >= 0)
                    close(c->console_fd);
                c->console_fd = passed;
            }
            break;
        case SYNC_READY:
            return 0;
        default:
            return kpod_err_msg(err, "unexpected message %d from the container process", m.type);
        }
    }
}

static void
undo_create(struct kpod_container *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
    }
    if (c->cgroup_path != NULL) {
        _cleanup_err_ struct kpod_err *e = NULL;
        if (kpod_cgroup_destroy_path(c->cgroup_path, &e) < 0)
            kpod_warn("remove cgroup '%s': %s", c->cgroup_path, e->msg);
    }
    if (c->fifo_path != NULL)
        unlink(c->fifo_path);
}

static int
prepare_fifo(struct plan *p, struct kpod_container *c, const char *state_dir, struct kpod_err **err)
{
    c->fifo_path = xasprintf("%s/exec.fifo", state_dir);
    if (mkfifo(c->fifo_path, 0622) < 0) {
        int e = errno;
        free(c->fifo_path);
        c->fifo_path = NULL;
        return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "create '%s/exec.fifo'", state_dir);
    }
    /* Writable by the container's user whatever the umask: it opens the fifo after the switch. */
    if (chmod(c->fifo_path, 0622) < 0)
        return kpod_err_sys(err, "chmod '%s'", c->fifo_path);
    p->fifo_fd = open(c->fifo_path, O_PATH | O_CLOEXEC);
    p->fifo_dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (p->fifo_fd < 0 || p->fifo_dirfd < 0)
        return kpod_err_sys(err, "open '%s'", c->fifo_path);
    return 0;
}

static int
write_map(pid_t pid, const char *file, const struct kpod_oci_id_mapping *m, size_t n,
          struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
    _cleanup_free_ char *text = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf("%s%u %u %u\n", text, m[i].container_id, m[i].host_id, m[i].size);
        free(text);
        text = next;
    }
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || kpod_fs_write_all(fd, text, strlen(text)) < 0)
        return kpod_err_sys(err, "write '%s'", path);
    return 0;
}

static int
write_id_maps(const struct kpod_oci_linux *l, pid_t pid, struct kpod_err **err)
{
    if (write_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err) < 0 ||
        write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err) < 0)
        return kpod_err_prefix(err, "user namespace");
    return 0;
}

static int
create_in(struct plan *p, const struct kpod_container_opts *o, struct kpod_container *c,
          struct kpod_err **err)
{
    int sv[2] = {-1, -1};
    if (prepare_fifo(p, c, o->state_dir, err) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return kpod_err_sys(err, "socketpair");
    _cleanup_close_ int parent_fd = sv[0];
    p->sync_fd = sv[1];
    for (int i = 0; i < 3; i++)
        p->stdio[i] = o->stdio[i];
    c->pid = clone_child(p, err);
    close(sv[1]);
    p->sync_fd = -1;
    if (c->pid < 0) {
        c->pid = 0;
        return -1;
    }
    if (setup_cgroup(o, c->pid, &c->cgroup_path, err) < 0)
        return -1;
    if (p->new_userns && write_id_maps(o->spec->linux_, c->pid, err) < 0)
        return -1;
    if (sync_send(parent_fd, SYNC_GO, -1) < 0)
        return kpod_err_sys(err, "sync with the container process");
    if (sync_child(o, parent_fd, c, err) < 0) {
        /* The child may have died with an error that arrived first: reap it. */
        return -1;
    }
    c->starttime = kpod_container_proc_starttime(c->pid);
    return 0;
}

int
kpod_container_create(const struct kpod_container_opts *o, struct kpod_container **ret,
                      struct kpod_err **err)
{
    struct plan p;
    _cleanup_container_ struct kpod_container *c = xzalloc(sizeof(*c));
    c->id = xstrdup(o->id);
    c->console_fd = -1;
    int r = plan_init(&p, o->spec, o->bundle, o->id, err);
    p.overlay = o->overlay;
    if (r == 0) {
        c->rootfs = xstrdup(p.rootfs);
        r = create_in(&p, o, c, err);
    }
    if (p.fifo_fd >= 0)
        close(p.fifo_fd);
    if (p.fifo_dirfd >= 0)
        close(p.fifo_dirfd);
    plan_release(&p);
    if (r < 0) {
        undo_create(c);
        return kpod_err_prefix(err, "container '%s'", o->id);
    }
    *ret = TAKE_PTR(c);
    return 0;
}

/* Reads the starter's end of the fifo until EOF (the exec closed it) while the process lives. */
static ssize_t
read_fifo(int fd, pid_t pid, unsigned long long starttime, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r > 0) {
            ssize_t n = read(fd, buf + len, cap - 1 - len);
            if (n == 0)
                break;
            if (n > 0)
                len += (size_t)n;
            if (len + 1 >= cap)
                break;
            continue;
        }
        if (!kpod_container_proc_alive(pid, starttime)) {
            errno = ESRCH;
            return -1;
        }
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

int
kpod_container_start(const char *fifo_path, pid_t pid, unsigned long long starttime,
                     struct kpod_err **err)
{
    /* Non-blocking, so a process that died while created cannot leave us waiting forever. */
    _cleanup_close_ int fd = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return kpod_err_invoke(err, "not in the created state (no exec fifo)");
        return kpod_err_sys(err, "open '%s'", fifo_path);
    }
    unlink(fifo_path);
    char buf[3200];
    ssize_t n = read_fifo(fd, pid, starttime, buf, sizeof(buf));
    if (n < 0) {
        if (errno == ESRCH)
            return kpod_err_invoke(err, "the container process exited before it was started");
        return kpod_err_sys(err, "read '%s'", fifo_path);
    }
    if (n == 0)
        return 0; /* EOF: the exec closed the fifo (O_CLOEXEC) */
    int kind = 0, errnum = 0, off = 0;
    if (sscanf(buf, "%d %d %n", &kind, &errnum, &off) < 2)
        return kpod_err_msg(err, "%s", buf);
    int r = kpod_err_set(err, (enum kpod_err_kind)kind, 0, "%s", buf + off);
    if (err != NULL && *err != NULL)
        (*err)->errnum = errnum;
    return r;
}
