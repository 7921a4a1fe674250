/* OCI hooks: each runs with the state JSON on stdin, its own args and env, a timeout after which
 * it is killed; its stderr becomes part of the error. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

json_t *
kpod_container_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
                          const struct kpod_oci_spec *spec)
{
    json_t *j = json_object();
    kpod_json_set_str(j, "ociVersion", KPOD_OCI_VERSION);
    kpod_json_set_str(j, "id", id);
    kpod_json_set_str(j, "status", status);
    if (pid > 0)
        kpod_json_set_int(j, "pid", pid);
    kpod_json_set_str(j, "bundle", bundle);
    json_t *a = json_object();
    for (size_t i = 0; spec != NULL && i < spec->n_annotations; i++)
        json_object_set_new(a, spec->annotations[i].key, json_string(spec->annotations[i].value));
    json_object_set_new(j, "annotations", a);
    return j;
}

static __attribute__((noreturn)) void
hook_child(const struct kpod_oci_hook *h, int in, int errfd, pid_t ns_pid)
{
    dup2(in, 0);
    dup2(errfd, 2);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
        dup2(devnull, 1);
    int exe = open(h->path, O_PATH);
    if (exe < 0) {
        dprintf(2, "open '%s': %s", h->path, strerror(errno));
        _exit(127);
    }
    if (ns_pid > 0) {
        char ns[64];
        snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)ns_pid);
        int fd = open(ns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNS) < 0) {
            dprintf(2, "join the container's mount namespace: %s", strerror(errno));
            _exit(126);
        }
    }
    char *argv0[] = {h->path, NULL};
    char *envnone[] = {NULL};
    syscall(SYS_execveat, exe, "", h->args && h->args[0] ? h->args : argv0,
            h->env ? h->env : envnone, AT_EMPTY_PATH);
    dprintf(2, "exec: %s", strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

/* Waits for pid (a child), collecting its stderr, at most timeout seconds (0: no limit).
 * Returns the wait status, or -1 with ETIMEDOUT after killing it. */
static int
hook_wait(pid_t pid, int errfd, int timeout, char *buf, size_t cap)
{
    size_t len = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    bool open_err = true;
    for (;;) {
        int status;
        if (!open_err) {
            pid_t r = waitpid(pid, &status, WNOHANG);
            if (r == pid)
                return status;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (timeout > 0 && elapsed >= timeout * 1000L) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pfd = {.fd = errfd, .events = POLLIN};
        if (open_err) {
            int pr = poll(&pfd, 1, 50);
            if (pr > 0) {
                char tmp[512];
                ssize_t n = read(errfd, tmp, sizeof(tmp));
                if (n <= 0)
                    open_err = false;
                for (ssize_t i = 0; i < n && len + 1 < cap; i++)
                    buf[len++] = tmp[i];
            }
        } else {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        buf[len] = '\0';
    }
}

static int
run_one(const struct kpod_oci_hook *h, const char *kind, const char *state, pid_t ns_pid,
        struct kpod_err **err)
{
    int in[2] = {-1, -1}, errp[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        kpod_err_sys(err, "hook '%s': pipe", h->path);
        close(in[0]);
        close(in[1]);
        return -1;
    }
    /* The state goes into the pipe before the hook exists: it fits the pipe's buffer (made
     * large enough), so the write never blocks, and a hook that exits without reading its
     * stdin cannot kill kpod with SIGPIPE. */
    size_t len = strlen(state);
    if (len > 65536)
        fcntl(in[1], F_SETPIPE_SZ, (int)len);
    kpod_fs_write_all(in[1], state, len);
    close(in[1]);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(in[0]), close(errp[0]), close(errp[1]);
        return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "%s hook '%s': fork", kind, h->path);
    }
    if (pid == 0)
        hook_child(h, in[0], errp[1], ns_pid);
    close(in[0]);
    close(errp[1]);
    char msg[1024];
    int status = hook_wait(pid, errp[0], h->timeout, msg, sizeof(msg));
    close(errp[0]);
    char *nl;
    while ((nl = strrchr(msg, '\n')) != NULL && nl[1] == '\0')
        *nl = '\0';
    for (char *c = msg; *c; c++)
        if (*c == '\n')
            *c = ' ';
    if (status < 0)
        return kpod_err_input(err, "%s hook '%s': timed out after %ds", kind, h->path, h->timeout);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return kpod_err_input(err, "%s hook '%s': killed by signal %d%s%s", kind, h->path,
                              WTERMSIG(status), *msg ? ": " : "", msg);
    return kpod_err_input(err, "%s hook '%s': exit status %d%s%s", kind, h->path,
                          WEXITSTATUS(status), *msg ? ": " : "", msg);
}

int
hooks_run_in_ns(const struct kpod_oci_spec *spec, enum kpod_oci_hook_kind kind, const json_t *state,
                pid_t ns_pid, struct kpod_err **err)
{
    if (spec->hooks == NULL || spec->hooks->n[kind] == 0)
        return 0;
    _cleanup_free_ char *s = kpod_json_dumps(state, false);
    for (size_t i = 0; i < spec->hooks->n[kind]; i++)
        if (run_one(&spec->hooks->list[kind][i], kpod_oci_hook_kind_name(kind), s, ns_pid, err) < 0)
            return -1;
    return 0;
}

int
kpod_container_run_hooks(const struct kpod_oci_spec *spec, enum kpod_oci_hook_kind kind,
                         const json_t *state, struct kpod_err **err)
{
    return hooks_run_in_ns(spec, kind, state, 0, err);
}
