/* `kpod exec CTR CMD…`: run a command in a running container (Kata's EnterContainer): it joins
 * the container's namespaces and cgroup and runs with its user, capabilities, seccomp filter,
 * no_new_privs, env and cwd unless told otherwise. Exit codes: the command's own, 126 when it
 * cannot be invoked (or the container is not running), 127 when it is not found, 125 for
 * kpod's own errors (no such container, no command). */
#include "common.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container/container.h"
#include "spec/oci.h"

struct exec_opts {
    bool interactive;
    bool tty;
    char **env;
    char **env_files;
    char *user;
    char *workdir;
    bool privileged;
    bool detach;
    long long preserve_fds;
    char *detach_keys;
};

static const struct kpod_opt exec_opts[] = {
    {"interactive", 'i', KPOD_OPT_BOOL, offsetof(struct exec_opts, interactive), NULL,
     "keep standard input open and pass it on", NULL, NULL, false},
    {"tty", 't', KPOD_OPT_BOOL, offsetof(struct exec_opts, tty), NULL,
     "run the command on a pseudo-terminal", NULL, NULL, false},
    {"env", 'e', KPOD_OPT_STRV, offsetof(struct exec_opts, env), "KEY[=VALUE]",
     "set a variable (KEY alone: from kpod's environment)", NULL, NULL, false},
    {"env-file", 0, KPOD_OPT_STRV, offsetof(struct exec_opts, env_files), "FILE",
     "read KEY=VALUE lines from FILE", "file", NULL, false},
    {"user", 'u', KPOD_OPT_STRING, offsetof(struct exec_opts, user), "USER[:GROUP]",
     "run as this user (name or id) and group", NULL, NULL, false},
    {"workdir", 'w', KPOD_OPT_STRING, offsetof(struct exec_opts, workdir), "DIR",
     "the working directory inside the container", NULL, NULL, false},
    {"privileged", 0, KPOD_OPT_BOOL, offsetof(struct exec_opts, privileged), NULL,
     "every capability, no seccomp filter", NULL, NULL, false},
    {"detach", 'd', KPOD_OPT_BOOL, offsetof(struct exec_opts, detach), NULL,
     "run in the background and print the exec session id", NULL, NULL, false},
    {"preserve-fds", 0, KPOD_OPT_INT, offsetof(struct exec_opts, preserve_fds), "N",
     "pass on N more open descriptors (3 to 3+N-1)", NULL, "0", false},
    {"detach-keys", 0, KPOD_OPT_STRING, offsetof(struct exec_opts, detach_keys), "KEYS",
     "the keys that detach from a -it session", NULL, "ctrl-p,ctrl-q", false},
    KPOD_OPTS_END,
};

/* Looks name up in the container's /etc/passwd (or /etc/group): field 3 (and 4). */
static int
lookup_db(pid_t pid, const char *db, const char *name, long *ret_id, long *ret_gid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/root/etc/%s", (int)pid, db);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char line[1024];
    size_t len = strlen(name);
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, name, len) != 0 || line[len] != ':')
            continue;
        char *p = strchr(line + len + 1, ':'); /* past the password */
        if (p == NULL)
            return -1;
        *ret_id = strtol(p + 1, &p, 10);
        if (ret_gid != NULL && p != NULL && *p == ':')
            *ret_gid = strtol(p + 1, NULL, 10);
        return 0;
    }
    return -1;
}

static int
set_user(struct kpod_oci_process *pr, pid_t pid, const char *spec, struct kpod_err **err)
{
    _cleanup_free_ char *copy = xstrdup(spec);
    char *group = strchr(copy, ':');
    if (group != NULL)
        *group++ = '\0';
    long long v;
    long uid = -1, gid = -1;
    if (kpod_str_to_ll(copy, 0, UINT32_MAX, &v) == 0)
        uid = (long)v;
    else if (lookup_db(pid, "passwd", copy, &uid, &gid) < 0)
        return kpod_err_usage(err, "exec: unknown user '%s' in the container", copy);
    if (group != NULL) {
        if (kpod_str_to_ll(group, 0, UINT32_MAX, &v) == 0)
            gid = (long)v;
        else if (lookup_db(pid, "group", group, &gid, NULL) < 0)
            return kpod_err_usage(err, "exec: unknown group '%s' in the container", group);
    }
    pr->user.uid = (uint32_t)uid;
    pr->user.gid = (uint32_t)(gid >= 0 ? gid : uid == 0 ? 0 : uid);
    free(pr->user.additional_gids);
    pr->user.additional_gids = NULL;
    pr->user.n_additional_gids = 0;
    return 0;
}

static void
set_env(struct kpod_oci_spec *spec, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq != NULL) {
        _cleanup_free_ char *k = xstrndup(kv, (size_t)(eq - kv));
        kpod_oci_spec_set_env(spec, k, eq + 1);
    } else if (getenv(kv) != NULL) {
        kpod_oci_spec_set_env(spec, kv, getenv(kv));
    }
}

static int
apply_env(struct kpod_oci_spec *spec, const struct exec_opts *o, struct kpod_err **err)
{
    for (size_t i = 0; o->env_files != NULL && o->env_files[i] != NULL; i++) {
        _cleanup_fclose_ FILE *f = fopen(o->env_files[i], "re");
        if (f == NULL)
            return kpod_err_sys(err, "exec: open env file '%s'", o->env_files[i]);
        char line[8192];
        while (fgets(line, sizeof(line), f) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0] != '\0' && line[0] != '#')
                set_env(spec, line);
        }
    }
    for (size_t i = 0; o->env != NULL && o->env[i] != NULL; i++)
        set_env(spec, o->env[i]);
    return 0;
}

/* --privileged: every capability kpod itself holds (its bounding set), no no_new_privs; the
 * seccomp filter is dropped by the caller. */
static void
make_privileged(struct kpod_oci_spec *spec)
{
    char **all = xcalloc(1, sizeof(char *));
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
        const char *name = capng_capability_to_name((unsigned)cap);
        if (name == NULL || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
            continue;
        char *upper = xasprintf("CAP_%s", name);
        for (char *q = upper; *q; q++)
            *q = (char)toupper((unsigned char)*q);
        kpod_strv_push_take(&all, upper);
    }
    struct kpod_oci_process *pr = kpod_oci_spec_process(spec);
    if (pr->capabilities == NULL)
        pr->capabilities = xzalloc(sizeof(*pr->capabilities));
    struct kpod_oci_caps *c = pr->capabilities;
    char ***sets[] = {&c->bounding, &c->effective, &c->permitted};
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
        kpod_strv_free(*sets[i]);
        *sets[i] = kpod_strv_dup(all);
    }
    kpod_strv_free(all);
    pr->no_new_privileges = false;
}

/* ---- the -t session ---- */

static struct termios saved_tio;
static bool raw_mode;

static void
restore_tty(void)
{
    if (raw_mode)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    raw_mode = false;
}

static void
copy_winsize(int master)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

/* Copies stdin to the pty and the pty to stdout until the command ends or the detach keys
 * (ctrl-p ctrl-q) are typed. Returns 1 when detached. */
static int
proxy(int master, bool interactive)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_BLOCK, &set, NULL);
    _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (interactive && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
        struct termios raw = saved_tio;
        cfmakeraw(&raw);
        raw_mode = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        atexit(restore_tty);
    }
    bool in_open = interactive, saw_p = false;
    char buf[16384];
    for (;;) {
        struct pollfd p[3] = {{master, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[2].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) > 0)
                ;
            copy_winsize(master);
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n <= 0) {
                in_open = false;
                char eot = 4; /* EOF at the terminal: ^D */
                if (write(master, &eot, 1) < 0)
                    break;
            } else {
                for (ssize_t i = 0; i < n; i++) {
                    if (saw_p && buf[i] == 17) { /* ctrl-q after ctrl-p */
                        restore_tty();
                        return 1;
                    }
                    saw_p = buf[i] == 16;
                }
                if (kpod_fs_write_all(master, buf, (size_t)n) < 0)
                    break;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(master, buf, sizeof(buf));
            if (n <= 0)
                break; /* EIO: the command and everything on the pty ended */
            if (kpod_fs_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
                break;
        }
    }
    restore_tty();
    return 0;
}

/* ---- the command ---- */

static int
prepare(struct kpod_ctx *ctx, struct exec_opts *o, char **cmd, struct kpod_pod_state *p,
        struct kpod_ctr_state *c, struct kpod_oci_spec **ret_spec, struct kpod_err **err)
{
    if (kpod_ctr_op_check(KPOD_CTR_OP_ENTER, p->state, c->state, c->name, err) < 0)
        return -1;
    _cleanup_free_ char *cfg = xasprintf("%s/config.json", c->bundle);
    struct kpod_oci_spec *spec = kpod_oci_spec_load_file(cfg, err);
    if (spec == NULL)
        return -1;
    struct kpod_oci_process *pr = kpod_oci_spec_process(spec);
    kpod_strv_free(pr->args);
    pr->args = kpod_strv_dup(cmd);
    pr->terminal = o->tty;
    struct winsize ws;
    pr->has_console_size = o->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0;
    if (pr->has_console_size) {
        pr->console_height = ws.ws_row;
        pr->console_width = ws.ws_col;
    }
    if (o->workdir != NULL) {
        free(pr->cwd);
        pr->cwd = xstrdup(o->workdir);
    }
    if ((o->user != NULL && set_user(pr, c->pid, o->user, err) < 0) ||
        apply_env(spec, o, err) < 0) {
        kpod_oci_spec_free(spec);
        return -1;
    }
    if (o->privileged)
        make_privileged(spec);
    *ret_spec = spec;
    return 0;
}

static int
run_exec(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct exec_opts *o = data;
    if (argc < 2)
        return kpod_err_usage(err, "exec: no command given: kpod exec CONTAINER COMMAND...");
    if (o->preserve_fds < 0 || o->preserve_fds > 1000)
        return kpod_err_usage(err, "exec: invalid --preserve-fds %lld", o->preserve_fds);
    struct kpod_pod_state *p = NULL;
    struct kpod_ctr_state *c = NULL;
    if (kpod_cmd_find_ctr(ctx, argv[0], &p, &c, err) < 0) {
        if (*err != NULL && (*err)->kind == KPOD_ERR_NOTFOUND)
            (*err)->kind = KPOD_ERR_INTERNAL; /* podman: no such container is exit 125 */
        return -1;
    }
    struct kpod_oci_spec *spec = NULL;
    int rc = prepare(ctx, o, argv + 1, p, c, &spec, err);
    pid_t pid = -1;
    int console = -1;
    _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    _cleanup_free_ char *cache = xasprintf("%s/seccomp", ctx->runroot);
    if (rc == 0) {
        bool detached_io = o->detach && !o->tty;
        struct kpod_container_exec_opts eo = {
            .pid = c->pid,
            .process = kpod_oci_spec_process(spec),
            .seccomp = o->privileged ? NULL : kpod_oci_spec_linux(spec)->seccomp,
            .cgroup_path = c->cgroup,
            .stdio = {o->interactive && !detached_io ? STDIN_FILENO : null,
                      detached_io ? null : STDOUT_FILENO, detached_io ? null : STDERR_FILENO},
            .console_socket = -1,
            .seccomp_cache = cache,
            .die_with_caller = !o->detach, /* never left behind when kpod is killed */
            .preserve_fds = (int)o->preserve_fds,
        };
        rc = kpod_container_exec(&eo, &pid, &console, err);
    }
    kpod_oci_spec_free(spec);
    kpod_pod_state_free(p);
    if (rc < 0)
        return -1;
    if (o->detach) {
        char id[65];
        kpod_random_hex(id, 32);
        printf("%s\n", id);
        if (console >= 0)
            close(console);
        return 0;
    }
    if (console >= 0) {
        copy_winsize(console);
        int detached = proxy(console, o->interactive);
        close(console);
        if (detached)
            return 0;
    }
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return kpod_err_sys(err, "exec: wait for process %d", (int)pid);
    }
    return kpod_container_exit_code(ws);
}

const struct kpod_cmd kpod_cmd_exec = {
    .name = "exec",
    .summary = "run a command in a running container",
    .usage = "[options] CONTAINER COMMAND [ARG...]",
    .opts = exec_opts,
    .opts_size = sizeof(struct exec_opts),
    .run = run_exec,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "containers",
    .flags = KPOD_CMD_STOP_AT_ARG,
};
