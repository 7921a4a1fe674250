/* The container process's own settings: terminal or stdio, rlimits, cwd, no_new_privs, user and
 * groups, capabilities (libcap-ng), seccomp (libseccomp), environment and exec. Shared by create
 * and exec. */
#include "container/internal.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

int
proc_setup_terminal(struct plan *p, bool console_bind, struct kpod_err **err)
{
    _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return kpod_err_sys(err, "terminal: open '/dev/ptmx'");
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return kpod_err_sys(err, "terminal: unlock");
    _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return kpod_err_sys(err, "terminal: open the pty");
    const struct kpod_oci_process *pr = p->process;
    if (pr->has_console_size) {
        struct winsize ws = {.ws_row = (unsigned short)pr->console_height,
                             .ws_col = (unsigned short)pr->console_width};
        if (ioctl(master, TIOCSWINSZ, &ws) < 0)
            return kpod_err_sys(err, "terminal: set window size");
    }
    char name[64];
    if (console_bind && ptsname_r(master, name, sizeof(name)) == 0) {
        int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
            if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
                return kpod_err_sys(err, "terminal: bind '%s' on /dev/console", name);
        }
    }
    if (sync_send(p->sync_fd, SYNC_CONSOLE, master) < 0)
        return kpod_err_sys(err, "terminal: send the pty master");
    if (setsid() < 0 && errno != EPERM)
        return kpod_err_sys(err, "terminal: setsid");
    for (int i = 0; i < 3; i++)
        if (dup2(slave, i) < 0)
            return kpod_err_sys(err, "terminal: dup2");
    if (ioctl(0, TIOCSCTTY, 0) < 0)
        return kpod_err_sys(err, "terminal: set the controlling terminal");
    return 0;
}

int
proc_setup_stdio(struct plan *p, struct kpod_err **err)
{
    for (int i = 0; i < 3; i++) {
        if (p->stdio[i] < 0 || p->stdio[i] == i)
            continue;
        if (dup2(p->stdio[i], i) < 0)
            return kpod_err_sys(err, "stdio: dup2");
    }
    if (setsid() < 0 && errno != EPERM)
        return kpod_err_sys(err, "setsid");
    return 0;
}

int
proc_apply_rlimits(const struct plan *p, struct kpod_err **err)
{
    for (size_t i = 0; i < p->n_rlimits; i++)
        if (setrlimit(p->rlimits[i].resource, &p->rlimits[i].lim) < 0)
            return kpod_err_sys(err, "rlimit '%s'", p->process->rlimits[i].type);
    return 0;
}

static void
caps_update(capng_type_t type, uint64_t mask)
{
    for (int c = 0; c <= CAP_LAST_CAP && c < 64; c++)
        if (mask & (UINT64_C(1) << c))
            capng_update(CAPNG_ADD, type, (unsigned)c);
}

/* Switches to the spec's uid, gid and groups, keeping the capabilities to set afterwards. */
static int
set_user(const struct kpod_oci_user *u, struct kpod_err **err)
{
    gid_t *gids = xcalloc(u->n_additional_gids ? u->n_additional_gids : 1, sizeof(gid_t));
    for (size_t i = 0; i < u->n_additional_gids; i++)
        gids[i] = u->additional_gids[i];
    int r = setgroups(u->n_additional_gids, gids);
    free(gids);
    if (r < 0)
        return kpod_err_sys(err, "setgroups");
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return kpod_err_sys(err, "setgid %u", u->gid);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return kpod_err_sys(err, "keep capabilities");
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return kpod_err_sys(err, "setuid %u", u->uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return kpod_err_sys(err, "keep capabilities");
    return 0;
}

int
proc_make_cwd(struct plan *p, struct kpod_err **err)
{
    const char *cwd = p->process->cwd;
    if (cwd == NULL || *cwd == '\0' || access(cwd, F_OK) == 0 || errno != ENOENT)
        return 0;
    if (kpod_fs_mkdir_p(cwd, 0755, err) < 0)
        return kpod_err_prefix(err, "cwd '%s'", cwd);
    return 0;
}

int
proc_finalize(struct plan *p, struct kpod_err **err)
{
    const struct kpod_oci_process *pr = p->process;
    const struct caps_plan *c = &p->caps;
    const char *cwd = pr->cwd && *pr->cwd ? pr->cwd : "/";
    bool cwd_done = chdir(cwd) == 0;
    if (!cwd_done && errno != EACCES)
        return kpod_err_sys(err, "cwd '%s'", cwd);
    if (pr->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return kpod_err_sys(err, "no_new_privs");
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it. */
    if (p->seccomp.len > 0 && !pr->no_new_privileges) {
        int r = seccomp_apply(&p->seccomp);
        if (r < 0)
            return kpod_err_set(err, KPOD_ERR_INTERNAL, -r, "seccomp: load the filter");
    }
    if (c->present) {
        capng_clear(CAPNG_SELECT_ALL);
        caps_update(CAPNG_BOUNDING_SET, c->bounding);
        if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
            return kpod_err_sys(err, "capabilities: bounding set");
    }
    if (set_user(&pr->user, err) < 0)
        return -1;
    if (c->present) {
        caps_update(CAPNG_EFFECTIVE, c->effective);
        caps_update(CAPNG_PERMITTED, c->permitted);
        caps_update(CAPNG_INHERITABLE, c->inheritable);
        if (capng_apply(CAPNG_SELECT_CAPS) < 0)
            return kpod_err_sys(err, "capabilities");
        caps_update(CAPNG_AMBIENT, c->ambient);
        if (capng_apply(CAPNG_SELECT_AMBIENT) < 0)
            return kpod_err_sys(err, "capabilities: ambient set");
    }
    if (!cwd_done && chdir(cwd) < 0)
        return kpod_err_sys(err, "cwd '%s'", cwd);
    umask(pr->user.has_umask ? pr->user.umask : 022);
    return 0;
}

/* HOME from the container's /etc/passwd when the spec's env has none ("/" if no entry). */
static char **
env_with_home(const struct kpod_oci_process *pr)
{
    char **env = kpod_strv_dup(pr->env ? pr->env : (char *const[]){NULL});
    if (kpod_oci_env_get(env, "HOME") != NULL)
        return env;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    _cleanup_err_ struct kpod_err *e = NULL;
    const char *home = "/";
    _cleanup_strv_ char **lines = NULL;
    if (kpod_fs_read_file("/etc/passwd", 4 << 20, &text, &len, &e) == 0)
        lines = kpod_strv_split(text, "\n", true);
    for (size_t i = 0; lines != NULL && lines[i] != NULL; i++) {
        _cleanup_strv_ char **f = kpod_strv_split(lines[i], ":", false);
        long long uid;
        if (kpod_strv_len(f) >= 6 && kpod_str_to_ll(f[2], 0, UINT32_MAX, &uid) == 0 &&
            uid == pr->user.uid && f[5][0] != '\0') {
            kpod_strv_push_take(&env, xasprintf("HOME=%s", f[5]));
            return env;
        }
    }
    kpod_strv_push_take(&env, xasprintf("HOME=%s", home));
    return env;
}

int
proc_exec(const struct plan *p, struct kpod_err **err)
{
    const struct kpod_oci_process *pr = p->process;
    char **env = env_with_home(pr);
    if (p->seccomp.len > 0 && pr->no_new_privileges) {
        int r = seccomp_apply(&p->seccomp);
        if (r < 0)
            return kpod_err_set(err, KPOD_ERR_INTERNAL, -r, "seccomp: load the filter");
    }
    /* Nothing of kpod's leaks into the container: every fd above stdio closes on exec. */
    syscall(SYS_close_range, 3U + (unsigned)p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    for (int fd = 3; fd < 3 + p->preserve_fds; fd++) /* --preserve-fds: open across exec */
        fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) & ~FD_CLOEXEC);
    environ = env;
    execvp(pr->args[0], pr->args);
    int e = errno;
    enum kpod_err_kind kind = e == ENOENT || e == ENOTDIR ? KPOD_ERR_NOTFOUND : KPOD_ERR_INVOKE;
    return kpod_err_set(err, kind, e, "exec '%s'", pr->args[0]);
}

void
proc_report_exec_error(int fd, const struct kpod_err *e)
{
    char buf[3100];
    int n = snprintf(buf, sizeof(buf), "%d %d %s", e ? (int)e->kind : 0, e ? e->errnum : 0,
                     e && e->msg ? e->msg : "unknown error");
    if (n > 0)
        kpod_fs_write_all(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
