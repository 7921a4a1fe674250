/* Probes and lifecycle hooks of one container, as Kubernetes runs them: liveness, readiness
 * and startup probes, each on its own schedule with its thresholds; postStart right after the
 * start, preStop before the stop signal. exec handlers run inside the container like
 * `kpod exec`; httpGet and tcpSocket are checked by a short-lived child of the monitor that
 * joins the pod's network namespace (probe_net.c), so the image needs no curl. Nothing here blocks
 * the watcher's loop: every run is a child process reaped through SIGCHLD, its output or failure
 * message read from a pipe once it has ended. */
#include "monitor/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/container.h"

#define NS 1000000000LL
#define MSG_MAX 512

static bool
running(const struct pctr *c)
{
    return strcmp(c->st->state, "running") == 0;
}

void
probes_init(struct mprobes *pr)
{
    *pr = (struct mprobes){.hook.out = -1};
    for (int k = 0; k < KPOD_PROBE_KINDS; k++)
        pr->run[k].out = -1;
}

static void
run_clear(struct prun *r)
{
    if (r->out >= 0)
        close(r->out);
    *r = (struct prun){.out = -1};
}

void
probes_fini(struct mprobes *pr)
{
    for (int k = 0; k < KPOD_PROBE_KINDS; k++)
        run_clear(&pr->run[k]);
    run_clear(&pr->hook);
}

/* What a run wrote (its output, or the network check's message), trimmed. */
static void
run_output(struct prun *r, char *buf, size_t len)
{
    ssize_t n = r->out >= 0 ? read(r->out, buf, len - 1) : -1;
    size_t m = n > 0 ? (size_t)n : 0;
    while (m > 0 && (buf[m - 1] == '\n' || buf[m - 1] == '\r' || buf[m - 1] == ' '))
        m--;
    buf[m] = '\0';
    for (size_t i = 0; i < m; i++)
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
}

/* ---- exec handlers: inside the container ---- */

static int
start_exec(const struct pctr *c, char *const *command, struct prun *r, char **ret_msg)
{
    _cleanup_free_ char *cfgpath = xasprintf("%s/config.json", c->cfg->bundle);
    _cleanup_err_ struct kpod_err *e = NULL;
    struct kpod_oci_spec *spec = kpod_oci_spec_load_file(cfgpath, &e);
    int p[2] = {-1, -1};
    if (spec == NULL || pipe2(p, O_CLOEXEC) < 0) {
        *ret_msg = spec ? xasprintf("create pipe: %m") : xstrdup(e->msg);
        kpod_oci_spec_free(spec);
        return -1;
    }
    struct kpod_oci_process *proc = kpod_oci_spec_process(spec);
    kpod_strv_free(proc->args);
    proc->args = kpod_strv_dup(command);
    proc->terminal = false;
    _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    struct kpod_container_exec_opts o = {
        .pid = c->st->pid,
        .process = proc,
        .seccomp = kpod_oci_spec_linux(spec)->seccomp,
        .cgroup_path = c->cfg->cgroup,
        .stdio = {null, p[1], p[1]},
        .console_socket = -1,
        .seccomp_cache = c->seccomp_cache,
    };
    int console = -1;
    int rc = kpod_container_exec(&o, &r->pid, &console, &e);
    close(p[1]);
    kpod_oci_spec_free(spec);
    if (rc < 0) {
        close(p[0]);
        r->pid = 0;
        *ret_msg = xstrdup(e->msg);
        return -1;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    r->out = p[0];
    return 0;
}

static int
start_handler(const struct pctr *c, const struct kpod_monitor_handler *h, int timeout_s, bool hook,
              struct prun *r, int64_t now, char **ret_msg)
{
    int rc = h->type == KPOD_MH_EXEC
                 ? start_exec(c, h->command, r, ret_msg)
                 : probe_net_start(c->st->pid, h, timeout_s, hook, &r->pid, &r->out, ret_msg);
    if (rc == 0) {
        r->started_ns = now;
        r->deadline_ns = now + (int64_t)timeout_s * NS;
    }
    return rc;
}

/* ---- results ---- */

static int grace_kill(const struct pctr *c, int grace_s, int64_t now);

static int
probe_result(const struct pctr *c, int k, bool ok, const char *msg, int64_t now)
{
    const struct kpod_monitor_probe *p = &c->cfg->probes[k];
    struct kpod_probe_status *ps = &c->st->probes[k];
    struct mprobes *pr = c->pr;
    ps->last_ns = now;
    ps->result = ok ? 1 : -1;
    if (ok) {
        ps->failures = 0;
        if (++pr->successes[k] >= p->success) {
            if (k == KPOD_PROBE_READINESS)
                c->st->ready = true;
            if (k == KPOD_PROBE_STARTUP && !c->st->started) {
                kpod_info("container '%s': started (startup probe succeeded)", c->cfg->name);
                c->st->started = true;
                if (c->cfg->probes[KPOD_PROBE_READINESS].h.type == KPOD_MH_NONE)
                    c->st->ready = true;
                return PR_SAVE | PR_STARTED;
            }
        }
        return PR_SAVE;
    }
    pr->successes[k] = 0;
    ps->failures++;
    ps->failed_ns = now;
    free(ps->message);
    ps->message = xstrdup(msg);
    kpod_info("container '%s': %s probe failed (%d of %d): %s", c->cfg->name,
              kpod_probe_kind_name(k), ps->failures, p->failure, msg);
    if (ps->failures < p->failure)
        return PR_SAVE;
    if (k == KPOD_PROBE_READINESS) {
        c->st->ready = false;
        return PR_SAVE;
    }
    /* liveness or startup: killed like the kubelet does (preStop, stop signal, grace), and
     * restarted per the restart policy */
    free(c->st->error);
    c->st->error = xasprintf("%s probe failed: %s", kpod_probe_kind_name(k), msg);
    c->st->ready = false;
    return grace_kill(c, p->grace >= 0 ? p->grace : c->cfg->grace_seconds, now) | PR_SAVE;
}

static int
run_probe(const struct pctr *c, int k, int64_t now)
{
    const struct kpod_monitor_probe *p = &c->cfg->probes[k];
    _cleanup_free_ char *msg = NULL;
    if (start_handler(c, &p->h, p->timeout, false, &c->pr->run[k], now, &msg) < 0)
        return probe_result(c, k, false, msg, now);
    return 0;
}

static bool
eligible(const struct pctr *c, int k)
{
    const struct mprobes *pr = c->pr;
    if (c->cfg->probes[k].h.type == KPOD_MH_NONE || !pr->hooked || pr->dying || pr->pending_sig)
        return false;
    return k == KPOD_PROBE_STARTUP ? !c->st->started : c->st->started;
}

static int post_start_failed(const struct pctr *c, const char *msg, int64_t now);

int
probes_started(const struct pctr *c, int64_t now)
{
    struct mprobes *pr = c->pr;
    for (int k = 0; k < KPOD_PROBE_KINDS; k++) {
        const struct kpod_monitor_probe *p = &c->cfg->probes[k];
        struct kpod_probe_status *ps = &c->st->probes[k];
        ps->set = p->h.type != KPOD_MH_NONE;
        ps->result = 0;
        ps->failures = 0;
        ps->threshold = p->failure;
        pr->successes[k] = 0;
        pr->next_ns[k] = ps->set ? now + (int64_t)p->delay * NS : 0;
    }
    pr->kill_at_ns = 0;
    pr->pending_sig = 0;
    pr->dying = false;
    pr->hooked = false;
    c->st->started = c->st->ready = false;
    if (c->cfg->post_start.type == KPOD_MH_NONE) {
        pr->hooked = true;
        c->st->started = c->cfg->probes[KPOD_PROBE_STARTUP].h.type == KPOD_MH_NONE;
        c->st->ready =
            c->st->started && c->cfg->probes[KPOD_PROBE_READINESS].h.type == KPOD_MH_NONE;
        return PR_SAVE;
    }
    _cleanup_free_ char *msg = NULL;
    run_clear(&pr->hook);
    int timeout = c->cfg->grace_seconds > 0 ? c->cfg->grace_seconds : 30;
    if (start_handler(c, &c->cfg->post_start, timeout, true, &pr->hook, now, &msg) < 0)
        return post_start_failed(c, msg, now);
    if (c->cfg->post_start.type == KPOD_MH_EXEC)
        pr->hook.deadline_ns = 0; /* Kubernetes puts no time limit on an exec postStart */
    pr->hook_kind = PHOOK_POST_START;
    return PR_SAVE;
}

static int
post_start_failed(const struct pctr *c, const char *msg, int64_t now)
{
    free(c->st->error);
    c->st->error = xasprintf("PostStartHookError: %s", msg);
    kpod_info("container '%s': %s", c->cfg->name, c->st->error);
    return grace_kill(c, c->cfg->grace_seconds, now) | PR_SAVE;
}

/* Stops the container for a restart: preStop, its stop signal, SIGKILL after the grace. */
static int
grace_kill(const struct pctr *c, int grace_s, int64_t now)
{
    int sig = c->cfg->stop_signal ? c->cfg->stop_signal : SIGTERM;
    int64_t grace = grace_s > 0 ? grace_s : 0;
    c->pr->kill_at_ns = now + grace * NS;
    c->pr->dying = true;
    if (grace == 0) {
        kpod_container_kill(c->st->pid, c->st->starttime, c->cfg->cgroup, SIGKILL, true, NULL);
        return 0;
    }
    if (probes_stop(c, sig, now) == 0)
        kpod_container_kill(c->st->pid, c->st->starttime, c->cfg->cgroup, sig, false, NULL);
    return 0;
}

int
probes_stop(const struct pctr *c, int sig, int64_t now)
{
    struct mprobes *pr = c->pr;
    if (c->cfg->pre_stop.type == KPOD_MH_NONE || !running(c))
        return 0;
    if (pr->hook_kind == PHOOK_PRE_STOP) {
        pr->pending_sig = sig;
        return 1;
    }
    if (pr->hook.pid > 0)
        kill(pr->hook.pid, SIGKILL); /* a postStart still running: reaped as nobody's */
    run_clear(&pr->hook);
    pr->hook_kind = PHOOK_NONE;
    _cleanup_free_ char *msg = NULL;
    int timeout = c->cfg->grace_seconds > 0 ? c->cfg->grace_seconds : 30;
    if (start_handler(c, &c->cfg->pre_stop, timeout, true, &pr->hook, now, &msg) < 0) {
        kpod_info("container '%s': PreStopHookError: %s", c->cfg->name, msg);
        return 0;
    }
    pr->hook.deadline_ns = pr->kill_at_ns; /* 0 on a pod stop: the watcher's kill ends it */
    pr->hook_kind = PHOOK_PRE_STOP;
    pr->pending_sig = sig;
    return 1;
}

static int
hook_reaped(const struct pctr *c, int wstatus, int64_t now)
{
    struct mprobes *pr = c->pr;
    char out[MSG_MAX];
    run_output(&pr->hook, out, sizeof(out));
    int kind = pr->hook_kind;
    bool exec =
        (kind == PHOOK_POST_START ? c->cfg->post_start : c->cfg->pre_stop).type == KPOD_MH_EXEC;
    bool stale = pr->hook.started_ns < c->st->started_ns;
    run_clear(&pr->hook);
    pr->hook_kind = PHOOK_NONE;
    int code = kpod_container_exit_code(wstatus);
    char msg[MSG_MAX + 64];
    if (exec)
        snprintf(msg, sizeof(msg), "exec hook exited with %d%s%s", code, *out ? ": " : "", out);
    else
        snprintf(msg, sizeof(msg), "%s", *out ? out : "failed");
    if (kind == PHOOK_PRE_STOP) {
        if (code != 0)
            kpod_info("container '%s': PreStopHookError: %s", c->cfg->name, msg);
        if (pr->pending_sig && running(c))
            kpod_container_kill(c->st->pid, c->st->starttime, c->cfg->cgroup, pr->pending_sig,
                                false, NULL);
        pr->pending_sig = 0;
        return 0;
    }
    if (kind != PHOOK_POST_START || stale || !running(c))
        return 0;
    if (code != 0)
        return post_start_failed(c, msg, now);
    pr->hooked = true;
    c->st->started = c->cfg->probes[KPOD_PROBE_STARTUP].h.type == KPOD_MH_NONE;
    c->st->ready = c->st->started && c->cfg->probes[KPOD_PROBE_READINESS].h.type == KPOD_MH_NONE;
    return PR_SAVE | (c->st->started ? PR_STARTED : 0);
}

int
probes_reaped(const struct pctr *c, pid_t pid, int wstatus, int64_t now)
{
    struct mprobes *pr = c->pr;
    if (pr->hook.pid == pid && pid > 0)
        return hook_reaped(c, wstatus, now);
    for (int k = 0; k < KPOD_PROBE_KINDS; k++) {
        struct prun *r = &pr->run[k];
        if (r->pid != pid || pid <= 0)
            continue;
        char out[MSG_MAX];
        run_output(r, out, sizeof(out));
        bool stale = r->started_ns < c->st->started_ns;
        bool timed_out =
            WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL && now >= r->deadline_ns;
        run_clear(r);
        if (stale || !running(c) || !eligible(c, k))
            return 0;
        int code = kpod_container_exit_code(wstatus);
        if (code == 0)
            return probe_result(c, k, true, NULL, now);
        char msg[MSG_MAX + 64];
        if (timed_out)
            snprintf(msg, sizeof(msg), "timed out after %ds", c->cfg->probes[k].timeout);
        else if (c->cfg->probes[k].h.type == KPOD_MH_EXEC)
            snprintf(msg, sizeof(msg), "exit code %d%s%s", code, *out ? ": " : "", out);
        else
            snprintf(msg, sizeof(msg), "%s", *out ? out : "failed");
        return probe_result(c, k, false, msg, now);
    }
    return -1;
}

int
probes_due(const struct pctr *c, int64_t now)
{
    struct mprobes *pr = c->pr;
    int flags = 0;
    if (!running(c))
        return 0;
    if (pr->kill_at_ns && now >= pr->kill_at_ns) {
        kpod_container_kill(c->st->pid, c->st->starttime, c->cfg->cgroup, SIGKILL, true, NULL);
        pr->kill_at_ns = 0;
    }
    if (pr->hook.pid > 0 && pr->hook.deadline_ns && now >= pr->hook.deadline_ns)
        kill(pr->hook.pid, SIGKILL);
    for (int k = 0; k < KPOD_PROBE_KINDS; k++) {
        struct prun *r = &pr->run[k];
        if (r->pid > 0) {
            if (now >= r->deadline_ns)
                kill(r->pid, SIGKILL); /* reaped as a timeout */
            continue;
        }
        if (!eligible(c, k) || !pr->next_ns[k] || now < pr->next_ns[k])
            continue;
        pr->next_ns[k] = now + (int64_t)c->cfg->probes[k].period * NS;
        flags |= run_probe(c, k, now);
        if (!running(c) || pr->dying)
            break;
    }
    return flags;
}

int64_t
probes_next(const struct pctr *c)
{
    const struct mprobes *pr = c->pr;
    int64_t next = 0;
#define EARLIEST(t)                                                                                \
    do {                                                                                           \
        int64_t t_ = (t);                                                                          \
        if (t_ && (!next || t_ < next))                                                            \
            next = t_;                                                                             \
    } while (0)
    if (!running(c))
        return 0;
    EARLIEST(pr->kill_at_ns);
    if (pr->hook.pid > 0)
        EARLIEST(pr->hook.deadline_ns);
    for (int k = 0; k < KPOD_PROBE_KINDS; k++) {
        if (pr->run[k].pid > 0)
            EARLIEST(pr->run[k].deadline_ns);
        else if (eligible(c, k))
            EARLIEST(pr->next_ns[k]);
    }
#undef EARLIEST
    return next;
}

void
probes_exited(const struct pctr *c)
{
    struct mprobes *pr = c->pr;
    for (int k = 0; k < KPOD_PROBE_KINDS; k++)
        if (pr->run[k].pid > 0)
            kill(pr->run[k].pid, SIGKILL);
    if (pr->hook.pid > 0)
        kill(pr->hook.pid, SIGKILL);
    pr->kill_at_ns = 0;
    pr->pending_sig = 0;
    pr->dying = false;
    c->st->ready = c->st->started = false;
}
