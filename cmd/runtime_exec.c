/* `kpod runtime exec`: run another process in a running container (its namespaces, cgroup,
 * capabilities, seccomp filter and user, from the container's spec, unless overridden). */
#include "runtime.h"

#include <unistd.h>

struct exec_opts {
    bool tty;
    char *user;
    char **env;
    char *workdir;
};

static const struct kpod_opt exec_opts[] = {
    {"tty", 't', KPOD_OPT_BOOL, offsetof(struct exec_opts, tty), NULL,
     "run the process on a pseudo-terminal", NULL, NULL, false},
    {"user", 'u', KPOD_OPT_STRING, offsetof(struct exec_opts, user), "UID[:GID]",
     "run as this numeric user (and group) instead of the spec's", NULL, NULL, false},
    {"env", 'e', KPOD_OPT_STRV, offsetof(struct exec_opts, env), "NAME=VALUE",
     "set an environment variable (repeatable)", NULL, NULL, false},
    {"workdir", 'w', KPOD_OPT_STRING, offsetof(struct exec_opts, workdir), "DIR",
     "working directory inside the container", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
parse_user(const char *s, struct kpod_oci_user *u, struct kpod_err **err)
{
    _cleanup_strv_ char **parts = kpod_strv_split(s, ":", false);
    long long uid = 0, gid = 0;
    size_t n = kpod_strv_len(parts);
    if (n < 1 || n > 2 || kpod_str_to_ll(parts[0], 0, UINT32_MAX, &uid) < 0 ||
        (n == 2 && kpod_str_to_ll(parts[1], 0, UINT32_MAX, &gid) < 0))
        return kpod_err_usage(err, "invalid user '%s': want UID[:GID] (numbers)", s);
    u->uid = (uint32_t)uid;
    u->gid = n == 2 ? (uint32_t)gid : (uint32_t)uid;
    u->n_additional_gids = 0;
    return 0;
}

static int
exec_in(struct exec_opts *o, struct rt *r, char **cmd, pid_t *ret_pid, int *ret_console,
        struct kpod_err **err)
{
    if (strcmp(kpod_container_state_status(r->dir, r->state), "running") != 0)
        return kpod_err_invoke(err, "container '%s': is not running", r->state->id);
    if ((r->spec = rt_load_spec(r->state->bundle, err)) == NULL)
        return -1;
    struct kpod_oci_process proc = *r->spec->process; /* shallow: only overrides change */
    _cleanup_strv_ char **env = kpod_strv_dup(proc.env ? proc.env : (char *const[]){NULL});
    for (size_t i = 0; o->env != NULL && o->env[i] != NULL; i++) {
        if (strchr(o->env[i], '=') == NULL)
            return kpod_err_usage(err, "invalid env '%s': want NAME=VALUE", o->env[i]);
        kpod_strv_push(&env, o->env[i]);
    }
    proc.env = env;
    proc.args = cmd;
    proc.terminal = o->tty;
    proc.has_console_size = false;
    if (o->workdir != NULL)
        proc.cwd = o->workdir;
    if (o->user != NULL && parse_user(o->user, &proc.user, err) < 0)
        return -1;
    struct kpod_container_exec_opts eo = {
        .pid = r->state->pid,
        .process = &proc,
        .seccomp = r->spec->linux_ ? r->spec->linux_->seccomp : NULL,
        .cgroup_path = r->state->cgroup_path,
        .stdio = {-1, -1, -1},
        .console_socket = -1,
    };
    if (kpod_container_exec(&eo, ret_pid, ret_console, err) < 0)
        return kpod_err_prefix(err, "container '%s'", r->state->id);
    return 0;
}

static int
run_exec(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct exec_opts *o = data;
    struct rt r;
    pid_t pid = -1;
    int console = -1;
    int rc = rt_open(ctx, argv[0], &r, err);
    if (rc == 0)
        rc = exec_in(o, &r, argv + 1, &pid, &console, err);
    rt_release(&r);
    if (rc < 0)
        return -1;
    int code = rt_wait(pid, console);
    if (console >= 0)
        close(console);
    return code;
}

const struct kpod_cmd kpod_cmd_runtime_exec = {
    .name = "exec",
    .parent = "runtime",
    .summary = "run a process in a running container",
    .usage = "[options] ID COMMAND [ARG...]",
    .opts = exec_opts,
    .opts_size = sizeof(struct exec_opts),
    .run = run_exec,
    .min_args = 2,
    .max_args = -1,
    .flags = KPOD_CMD_STOP_AT_ARG,
};
