/* The per-pod monitor: parent of every container process of its pod. It owns their stdio and
 * turns it into k8s-file logs, reaps exits (128+N for a signal, OOM kills noticed through the
 * cgroup), applies the restart policy with Kubernetes' backoff, runs init containers to
 * completion before the app containers, and answers start/stop/status on its control socket.
 * Single-threaded: one epoll loop over the socket, signalfd(SIGCHLD), a timerfd and the pipes. */
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/container.h"
#include "monitor/internal.h"

#define MAX_BACKOFF_MS 300000
#define BACKOFF_RESET_NS (600LL * 1000000000LL)
#define READ_CHUNK 65536
#define MAX_CLIENTS 16
#define PRESTOP_FORCE_MAX_S 5 /* preStop's time on a stop with timeout 0 (rm -f, down) */

enum ev_kind {
    EV_LISTEN = 1,
    EV_SIGNAL,
    EV_TIMER,
    EV_CLIENT,
    EV_OUT,
    EV_ERR,
    EV_ATTACH,
    EV_ACLIENT
};

struct mctr {
    const struct kpod_monitor_ctr *cfg;
    bool tty;
    struct kpod_logw *log;
    int out, err;           /* read ends (the pty master in out for a terminal), -1 when closed */
    int in;                 /* stdin's write end (stdin: true, no terminal), -1 */
    struct kpod_attach att; /* `kpod attach` clients */
    struct kpod_ctr_status st;
    int64_t restart_at_ns; /* 0: none scheduled */
    int64_t backoff_ms;
    bool succeeded; /* the init sequence moved past it: exited 0, or a sidecar that started */
    bool term_sent; /* got its stop signal in the current termination */
    uint64_t oom_before;
    struct mprobes pr; /* probes and lifecycle hooks (probe.c) */
};

struct mon {
    struct kpod_monitor_config *cfg;
    struct mctr *c;
    size_t n;
    int ep, lfd, sfd, tfd;
    int start_client; /* waiting for the end of "start", -1 none */
    int stop_clients[MAX_CLIENTS];
    size_t nstop;
    bool started, apps_launched, quit;
    bool stopping;       /* a stop request: the monitor exits once every container has */
    bool terminating;    /* containers are being stopped: on a stop, or when the pod completed */
    bool term_kill;      /* a stop with timeout 0: SIGKILL at once */
    int term_sig;        /* the stop request's signal; 0: each container's stop signal */
    void (*idle)(void);  /* sheds start-up memory; called when the monitor goes idle */
    char *seccomp_cache; /* <runroot>/seccomp: compiled filters shared with kpod exec */
    int64_t kill_at_ns;
};

static uint64_t
evdata(enum ev_kind k, size_t i)
{
    return ((uint64_t)k << 32) | (uint64_t)i;
}

/* Attach clients carry their fd too: kind, fd, container index. */
static uint64_t
evclient(size_t i, int fd)
{
    return ((uint64_t)EV_ACLIENT << 32) | ((uint64_t)fd << 12) | (uint64_t)i;
}

static int
watch(struct mon *m, int fd, enum ev_kind k, size_t i)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = evdata(k, i)};
    return epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev);
}

static struct pctr
pctr_of(const struct mon *m, struct mctr *c)
{
    return (struct pctr){c->cfg, &c->st, &c->pr, m->seccomp_cache};
}

static void
save_status(struct mctr *c)
{
    if (c->log != NULL)
        c->st.log_dropped = kpod_logw_dropped(c->log);
    _cleanup_err_ struct kpod_err *e = NULL;
    if (kpod_ctr_status_save(c->cfg->state_dir, &c->st, &e) < 0)
        kpod_warn("container '%s': %s", c->cfg->name, e->msg);
}

static void
reply(int fd, json_t *msg)
{
    _cleanup_free_ char *s = kpod_json_dumps(msg, false);
    json_decref(msg);
    if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0)
        kpod_debug("reply: %m");
    close(fd);
}

static json_t *
error_reply(const struct kpod_err *e)
{
    return json_pack("{s:b, s:s, s:i}", "ok", 0, "error", e ? e->msg : "failed", "exit",
                     e ? kpod_err_exit_code(e) : 125);
}

/* ---- container output ---- */

static void
close_stream(struct mon *m, int *fd)
{
    if (*fd < 0)
        return;
    epoll_ctl(m->ep, EPOLL_CTL_DEL, *fd, NULL);
    close(*fd);
    *fd = -1;
}

/* Reads what is there; returns false at EOF or error (the caller closes). */
static bool
pump(struct mctr *c, int fd, enum kpod_log_stream stream, bool drain)
{
    static char buf[READ_CHUNK];
    do {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0)
            return false; /* EOF, or EIO on a pty whose slave closed */
        kpod_logw_write(c->log, stream, buf, (size_t)n, kpod_clock_real_ns());
        kpod_attach_broadcast(&c->att,
                              stream == KPOD_LOG_STDERR ? KPOD_ATTACH_STDERR : KPOD_ATTACH_STDOUT,
                              buf, (size_t)n);
    } while (drain);
    return true;
}

/* ---- launching ---- */

static int
make_pipe(int p[2], struct kpod_err **err)
{
    if (pipe2(p, O_CLOEXEC) < 0)
        return kpod_err_sys(err, "create pipe");
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    return 0;
}

/* poststart and poststop hooks (the runtime runs the others): with the OCI state on stdin; a
 * failure is logged, as the runtime spec says for these two stages. */
static void
run_hooks(struct mctr *c, enum kpod_oci_hook_kind kind, const char *status)
{
    _cleanup_free_ char *cfgpath = xasprintf("%s/config.json", c->cfg->bundle);
    _cleanup_err_ struct kpod_err *e = NULL;
    struct kpod_oci_spec *spec = kpod_oci_spec_load_file(cfgpath, &e);
    if (spec == NULL) {
        kpod_warn("container '%s': hooks: %s", c->cfg->name, e->msg);
        return;
    }
    _cleanup_json_ json_t *st =
        kpod_container_state_json(c->cfg->id, status, c->st.pid, c->cfg->bundle, spec);
    if (kpod_container_run_hooks(spec, kind, st, &e) < 0)
        kpod_warn("container '%s': %s hook: %s", c->cfg->name,
                  kind == KPOD_OCI_HOOK_POSTSTART ? "poststart" : "poststop", e->msg);
    kpod_oci_spec_free(spec);
}

static void arm_timer(struct mon *m);

static int
launch(struct mon *m, size_t i, struct kpod_err **err)
{
    struct mctr *c = &m->c[i];
    const struct kpod_monitor_ctr *k = c->cfg;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    /* The spec is read for each launch and dropped after it: an idle monitor keeps no copy. */
    _cleanup_free_ char *cfgpath = xasprintf("%s/config.json", k->bundle);
    struct kpod_oci_spec *spec = kpod_oci_spec_load_file(cfgpath, err);
    if (spec == NULL)
        return kpod_err_prefix(err, "container '%s'", k->name);
    bool tty = c->tty = spec->process != NULL && spec->process->terminal;
    int inp[2] = {-1, -1};
    if (!tty && (make_pipe(outp, err) < 0 || make_pipe(errp, err) < 0 ||
                 (k->stdin_open && pipe2(inp, O_CLOEXEC) < 0 &&
                  kpod_err_sys(err, "create stdin pipe") < 0))) {
        for (int f = 0; f < 2; f++) { /* nothing of a half-made launch stays open */
            if (outp[f] >= 0)
                close(outp[f]);
            if (errp[f] >= 0)
                close(errp[f]);
        }
        kpod_oci_spec_free(spec);
        return -1;
    }
    struct kpod_container_opts o = {
        .id = k->id,
        .bundle = k->bundle,
        .spec = spec,
        .state_dir = k->state_dir,
        .stdio = {inp[0] >= 0 ? inp[0] : null, tty ? null : outp[1], tty ? null : errp[1]},
        .console_socket = -1,
        .cgroup_path = k->cgroup,
        .seccomp_cache = m->seccomp_cache,
    };
    _cleanup_container_ struct kpod_container *kc = NULL;
    int r = kpod_container_create(&o, &kc, err);
    kpod_oci_spec_free(spec);
    if (outp[1] >= 0)
        close(outp[1]);
    if (errp[1] >= 0)
        close(errp[1]);
    if (inp[0] >= 0)
        close(inp[0]);
    if (c->in >= 0)
        close(c->in);
    c->in = inp[1];
    if (c->in >= 0)
        fcntl(c->in, F_SETFL, O_NONBLOCK);
    if (r == 0)
        r = kpod_container_start(kc->fifo_path, kc->pid, kc->starttime, err);
    if (r < 0) {
        close(outp[0]);
        close(errp[0]);
        if (kc != NULL && kc->console_fd >= 0)
            close(kc->console_fd);
        kpod_err_prefix(err, "container '%s'", k->name);
        free(c->st.error);
        c->st.error = xstrdup(err && *err ? (*err)->msg : "start failed");
        snprintf(c->st.state, sizeof(c->st.state), "exited");
        c->st.exit_code = err && *err ? kpod_err_exit_code(*err) : 125;
        c->st.finished_ns = kpod_clock_real_ns();
        save_status(c);
        return -1;
    }
    c->out = tty ? TAKE_FD(kc->console_fd) : outp[0];
    c->err = tty ? -1 : errp[0];
    if (tty)
        fcntl(c->out, F_SETFL, O_NONBLOCK);
    watch(m, c->out, EV_OUT, i);
    if (c->err >= 0)
        watch(m, c->err, EV_ERR, i);
    c->st.pid = kc->pid;
    c->st.starttime = kc->starttime;
    c->st.started_ns = kpod_clock_real_ns();
    c->st.finished_ns = 0;
    c->st.exit_code = -1;
    c->st.oom_killed = false;
    free(c->st.error);
    c->st.error = NULL;
    snprintf(c->st.state, sizeof(c->st.state), "running");
    c->restart_at_ns = 0;
    c->term_sent = false;
    struct kpod_cgroup *cg = k->cgroup ? kpod_cgroup_open(k->cgroup, false, NULL) : NULL;
    c->oom_before = 0;
    if (cg != NULL)
        kpod_cgroup_oom_count(cg, &c->oom_before, NULL);
    kpod_cgroup_free(cg);
    save_status(c);
    kpod_info("container '%s' started, pid %d", k->name, (int)kc->pid);
    if (k->poststart)
        run_hooks(c, KPOD_OCI_HOOK_POSTSTART, "running");
    struct pctr pc = pctr_of(m, c);
    if (probes_started(&pc, c->st.started_ns) & PR_SAVE)
        save_status(c);
    arm_timer(m); /* its probes, also while the init sequence runs */
    malloc_trim(0);
    return 0;
}

static void finish_start(struct mon *m, struct kpod_err *e);

static bool
is_running(const struct mctr *c)
{
    return strcmp(c->st.state, "running") == 0;
}

/* A sidecar lets the init sequence move on once it is started, as in Kubernetes: running, its
 * postStart hook done and its startupProbe passed (probe.c sets st.started and says PR_STARTED,
 * and probe_reaped calls advance() again). */
static bool
sidecar_started(const struct mctr *c)
{
    return is_running(c) && c->st.started;
}

/* Runs the next init container (a plain one to completion, a sidecar until it is started), or
 * when none is left, launches every app container. */
static void
advance(struct mon *m)
{
    for (size_t i = 0; i < m->n; i++) {
        struct mctr *c = &m->c[i];
        if (!c->cfg->init || c->succeeded)
            continue;
        if (!is_running(c) && c->restart_at_ns == 0) {
            _cleanup_err_ struct kpod_err *e = NULL;
            if (launch(m, i, &e) < 0) {
                finish_start(m, e);
                return;
            }
        }
        if (c->cfg->sidecar && sidecar_started(c)) {
            c->succeeded = true;
            continue;
        }
        return; /* still running, or waiting to be restarted */
    }
    if (m->apps_launched)
        return;
    m->apps_launched = true;
    for (size_t i = 0; i < m->n; i++) {
        if (m->c[i].cfg->init)
            continue;
        _cleanup_err_ struct kpod_err *e = NULL;
        if (launch(m, i, &e) < 0) {
            finish_start(m, e);
            return;
        }
    }
    finish_start(m, NULL);
}

static void
finish_start(struct mon *m, struct kpod_err *e)
{
    if (m->start_client < 0)
        return;
    if (e != NULL) {
        reply(m->start_client, error_reply(e));
    } else {
        json_t *ctrs = json_array();
        for (size_t i = 0; i < m->n; i++)
            json_array_append_new(ctrs, json_pack("{s:s, s:I}", "name", m->c[i].cfg->name, "pid",
                                                  (json_int_t)m->c[i].st.pid));
        reply(m->start_client, json_pack("{s:b, s:o}", "ok", 1, "containers", ctrs));
    }
    m->start_client = -1;
    arm_timer(m); /* probes are due */
    malloc_trim(0);
    if (m->idle != NULL)
        m->idle();
}

/* ---- exits and restarts ---- */

static void
arm_timer(struct mon *m)
{
    int64_t next = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->c[i].restart_at_ns && (!next || m->c[i].restart_at_ns < next))
            next = m->c[i].restart_at_ns;
    if (m->terminating && m->kill_at_ns && (!next || m->kill_at_ns < next))
        next = m->kill_at_ns;
    for (size_t i = 0; i < m->n && !m->terminating; i++) {
        struct pctr pc = pctr_of(m, &m->c[i]);
        int64_t due = probes_next(&pc);
        if (due && (!next || due < next))
            next = due;
    }
    struct itimerspec its = {0};
    if (next) {
        its.it_value.tv_sec = next / 1000000000LL;
        its.it_value.tv_nsec = next % 1000000000LL;
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1;
    }
    timerfd_settime(m->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static bool
wants_restart(const struct mon *m, const struct mctr *c)
{
    if (m->terminating)
        return false;
    if (c->cfg->sidecar) /* whatever the pod's restartPolicy */
        return true;
    const char *p = m->cfg->restart_policy;
    if (c->cfg->init) /* Kubernetes: a failed init container is retried unless Never */
        return c->st.exit_code != 0 && strcmp(p, "Never") != 0;
    if (strcmp(p, "Always") == 0)
        return true;
    return strcmp(p, "OnFailure") == 0 && c->st.exit_code != 0;
}

/* ---- termination, ordered as the kubelet orders it ---- */

static void
signal_ctr(struct mon *m, struct mctr *c)
{
    int sig = m->term_kill          ? SIGKILL
              : m->term_sig         ? m->term_sig
              : c->cfg->stop_signal ? c->cfg->stop_signal
                                    : SIGTERM;
    c->term_sent = true;
    struct pctr pc = pctr_of(m, c);
    if (probes_stop(&pc, sig, kpod_clock_real_ns()) > 0) {
        /* its preStop hook runs first, the signal follows when it ends; a forced stop (rm -f,
         * down) still gives the hook a few seconds */
        kpod_info("container '%s': preStop hook, then stop signal %d", c->cfg->name, sig);
        int64_t s = c->cfg->grace_seconds < PRESTOP_FORCE_MAX_S ? c->cfg->grace_seconds
                                                                : PRESTOP_FORCE_MAX_S;
        int64_t until = kpod_clock_real_ns() + s * 1000000000LL;
        if (m->term_kill && m->kill_at_ns < until)
            m->kill_at_ns = until;
        return;
    }
    kpod_info("container '%s': stop signal %d", c->cfg->name, sig);
    kpod_container_kill(c->st.pid, c->st.starttime, c->cfg->cgroup, sig, false, NULL);
}

/* App containers (and init containers still running) get their stop signal first; sidecars
 * only once those have exited, one at a time in reverse order of declaration, each after every
 * sidecar declared after it has exited. One grace period covers the whole; on_timer SIGKILLs
 * what still runs at its end. Called again after every exit. */
static void
terminate_step(struct mon *m)
{
    if (!m->terminating)
        return;
    bool others = false;
    for (size_t i = 0; i < m->n; i++) {
        struct mctr *c = &m->c[i];
        if (c->cfg->sidecar || !is_running(c))
            continue;
        others = true;
        if (!c->term_sent)
            signal_ctr(m, c);
    }
    if (others && !m->term_kill)
        return;
    for (size_t i = m->n; i-- > 0;) {
        struct mctr *c = &m->c[i];
        if (!c->cfg->sidecar || !is_running(c))
            continue;
        if (!c->term_sent)
            signal_ctr(m, c);
        if (!m->term_kill)
            return;
    }
}

static void
begin_termination(struct mon *m, int sig, long long timeout)
{
    int64_t deadline = kpod_clock_real_ns() + (timeout > 0 ? timeout : 0) * 1000000000LL;
    if (!m->terminating || m->kill_at_ns == 0 || deadline < m->kill_at_ns)
        m->kill_at_ns = deadline;
    m->terminating = true;
    if (m->term_sig == 0)
        m->term_sig = sig;
    m->term_kill = m->term_kill || timeout == 0;
    for (size_t i = 0; i < m->n; i++) {
        struct mctr *c = &m->c[i];
        c->restart_at_ns = 0;
        if (strcmp(c->st.state, "waiting") == 0) {
            snprintf(c->st.state, sizeof(c->st.state), "exited");
            save_status(c);
        }
    }
    terminate_step(m);
    arm_timer(m);
}

/* Sidecars do not keep a pod alive (Kubernetes): once every app container has ended for good
 * under restartPolicy Never or OnFailure, the sidecars are stopped as on a pod stop, within
 * terminationGracePeriodSeconds. */
static void
maybe_complete(struct mon *m)
{
    if (m->terminating || !m->apps_launched || strcmp(m->cfg->restart_policy, "Always") == 0)
        return;
    bool sidecars = false;
    for (size_t i = 0; i < m->n; i++) {
        const struct mctr *c = &m->c[i];
        if (c->cfg->sidecar)
            sidecars = sidecars || is_running(c) || c->restart_at_ns != 0;
        else if (!c->cfg->init && (strcmp(c->st.state, "exited") != 0 || c->restart_at_ns != 0))
            return;
    }
    if (!sidecars)
        return;
    kpod_info("pod '%s': every app container has ended: stopping its sidecars", m->cfg->pod_name);
    begin_termination(m, 0, m->cfg->grace_s);
}

static void
on_exit_status(struct mon *m, size_t i, int wstatus)
{
    struct mctr *c = &m->c[i];
    if (c->out >= 0 && !pump(c, c->out, KPOD_LOG_STDOUT, true))
        close_stream(m, &c->out);
    if (c->err >= 0 && !pump(c, c->err, KPOD_LOG_STDERR, true))
        close_stream(m, &c->err);
    struct pctr pc = pctr_of(m, c);
    probes_exited(&pc);
    kpod_attach_close(&c->att, kpod_container_exit_code(wstatus));
    c->st.exit_code = kpod_container_exit_code(wstatus);
    c->st.finished_ns = kpod_clock_real_ns();
    snprintf(c->st.state, sizeof(c->st.state), "exited");
    struct kpod_cgroup *cg = c->cfg->cgroup ? kpod_cgroup_open(c->cfg->cgroup, false, NULL) : NULL;
    uint64_t oom = 0;
    if (cg != NULL && kpod_cgroup_oom_count(cg, &oom, NULL) == 0 && oom > c->oom_before)
        c->st.oom_killed = true;
    kpod_cgroup_free(cg);
    kpod_info("container '%s' exited with %d%s", c->cfg->name, c->st.exit_code,
              c->st.oom_killed ? " (OOM killed)" : "");
    if (c->cfg->poststop)
        run_hooks(c, KPOD_OCI_HOOK_POSTSTOP, "stopped");
    if (c->cfg->init && !c->cfg->sidecar && c->st.exit_code == 0)
        c->succeeded = true;
    if (wants_restart(m, c)) {
        if (c->st.finished_ns - c->st.started_ns > BACKOFF_RESET_NS || c->backoff_ms == 0)
            c->backoff_ms = m->cfg->backoff_ms;
        c->restart_at_ns = c->st.finished_ns + c->backoff_ms * 1000000LL;
        c->backoff_ms = c->backoff_ms * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : c->backoff_ms * 2;
        snprintf(c->st.state, sizeof(c->st.state), "waiting");
    }
    save_status(c);
    if (c->cfg->init && !m->terminating) {
        if (c->succeeded) {
            advance(m);
        } else if (c->restart_at_ns == 0) {
            _cleanup_err_ struct kpod_err *e = NULL;
            kpod_err_msg(&e, "init container '%s' exited with code %d", c->cfg->name,
                         c->st.exit_code);
            finish_start(m, e);
        }
    }
    if (!c->cfg->init)
        maybe_complete(m);
    arm_timer(m);
}

static size_t
running_count(const struct mon *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += strcmp(m->c[i].st.state, "running") == 0;
    return n;
}

static void
maybe_finish_stop(struct mon *m)
{
    if (!m->stopping || running_count(m) > 0)
        return;
    for (size_t i = 0; i < m->nstop; i++)
        reply(m->stop_clients[i], json_pack("{s:b}", "ok", 1));
    m->nstop = 0;
    m->quit = true;
}

/* A probe or hook process ended; true when pid was one. */
static bool
probe_reaped(struct mon *m, pid_t pid, int wstatus)
{
    for (size_t i = 0; i < m->n; i++) {
        struct pctr pc = pctr_of(m, &m->c[i]);
        int r = probes_reaped(&pc, pid, wstatus, kpod_clock_real_ns());
        if (r < 0)
            continue;
        if (r & PR_SAVE)
            save_status(&m->c[i]);
        if ((r & PR_STARTED) && m->c[i].cfg->sidecar && !m->terminating)
            advance(m); /* the init sequence waited for this sidecar */
        arm_timer(m);
        return true;
    }
    return false;
}

static void
reap(struct mon *m)
{
    struct signalfd_siginfo si;
    while (read(m->sfd, &si, sizeof(si)) == sizeof(si))
        ;
    for (;;) {
        int ws;
        pid_t pid = waitpid(-1, &ws, WNOHANG);
        if (pid <= 0)
            break;
        if (probe_reaped(m, pid, ws))
            continue;
        for (size_t i = 0; i < m->n; i++) {
            if (m->c[i].st.pid == pid && strcmp(m->c[i].st.state, "running") == 0) {
                on_exit_status(m, i, ws);
                break;
            }
        }
    }
    terminate_step(m);
    maybe_finish_stop(m);
}

static void
probes_due_all(struct mon *m, int64_t now)
{
    for (size_t i = 0; i < m->n && !m->terminating; i++) {
        struct pctr pc = pctr_of(m, &m->c[i]);
        if (probes_due(&pc, now) & PR_SAVE)
            save_status(&m->c[i]);
    }
}

static void
on_timer(struct mon *m)
{
    uint64_t ticks;
    if (read(m->tfd, &ticks, sizeof(ticks)) < 0)
        kpod_debug("timer: %m");
    int64_t now = kpod_clock_real_ns();
    if (m->terminating && m->kill_at_ns && now >= m->kill_at_ns) {
        for (size_t i = 0; i < m->n; i++) {
            struct mctr *c = &m->c[i];
            if (strcmp(c->st.state, "running") == 0)
                kpod_container_kill(c->st.pid, c->st.starttime, c->cfg->cgroup, SIGKILL, true,
                                    NULL);
        }
        m->kill_at_ns = 0;
    }
    probes_due_all(m, now);
    for (size_t i = 0; i < m->n && !m->terminating; i++) {
        struct mctr *c = &m->c[i];
        if (!c->restart_at_ns || c->restart_at_ns > now)
            continue;
        c->restart_at_ns = 0;
        c->st.restart_count++;
        _cleanup_err_ struct kpod_err *e = NULL;
        if (launch(m, i, &e) < 0)
            kpod_warn("restart '%s': %s", c->cfg->name, e->msg);
        else if (c->cfg->sidecar && !c->succeeded)
            advance(m); /* a sidecar the init sequence still waits for */
    }
    maybe_complete(m); /* an app container that could not be restarted has ended too */
    arm_timer(m);
}

/* ---- control socket ---- */

static void
op_stop(struct mon *m, int fd, const json_t *req)
{
    if (m->nstop == MAX_CLIENTS) {
        reply(fd, json_pack("{s:b, s:s}", "ok", 0, "error", "too many waiting clients"));
        return;
    }
    m->stop_clients[m->nstop++] = fd;
    if (!m->stopping) {
        m->stopping = true;
        begin_termination(m, (int)kpod_json_int(req, "signal", 0),
                          kpod_json_int(req, "timeout", 30));
    }
    finish_start(m, NULL);
    maybe_finish_stop(m);
}

static void free_ctrs(struct mon *m);
static int setup_ctrs(struct mon *m, const char *pod_dir, struct kpod_err **err);

/* An idle monitor (a warm pool entry, lib/sandbox/factory.c) takes its pod's real config: the
 * monitor.json of "dir", the directory its pod now lives in. Only before any container. */
static void
op_configure(struct mon *m, int fd, const json_t *req)
{
    const char *dir = kpod_json_str(req, "dir");
    if (dir == NULL || m->started || m->n > 0) {
        reply(fd, json_pack("{s:b, s:s}", "ok", 0, "error",
                            dir == NULL ? "configure: no dir" : "configure: already configured"));
        return;
    }
    free_ctrs(m);
    _cleanup_err_ struct kpod_err *e = NULL;
    if (setup_ctrs(m, dir, &e) < 0) {
        /* half configured: this monitor cannot serve a pod any more */
        reply(fd, json_pack("{s:b, s:s}", "ok", 0, "error", e->msg));
        m->quit = true;
        return;
    }
    for (size_t i = 0; i < m->n; i++)
        watch(m, m->c[i].att.lfd, EV_ATTACH, i);
    kpod_info("monitor configured for pod '%s'", m->cfg->pod_name);
    reply(fd, json_pack("{s:b}", "ok", 1));
}

static void
on_client(struct mon *m)
{
    int fd = accept4(m->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    _cleanup_err_ struct kpod_err *e = NULL;
    _cleanup_json_ json_t *req = n > 0 ? kpod_json_loadb(buf, (size_t)n, "request", &e) : NULL;
    const char *op = kpod_json_str(req, "op");
    if (op == NULL) {
        reply(fd, json_pack("{s:b, s:s}", "ok", 0, "error", "bad request"));
    } else if (strcmp(op, "start") == 0) {
        if (m->started || m->start_client >= 0) {
            reply(fd, json_pack("{s:b, s:s}", "ok", 0, "error", "already started"));
            return;
        }
        m->started = true;
        m->start_client = fd;
        advance(m);
    } else if (strcmp(op, "configure") == 0) {
        op_configure(m, fd, req);
    } else if (strcmp(op, "stop") == 0) {
        op_stop(m, fd, req);
    } else if (strcmp(op, "status") == 0) {
        reply(fd, json_pack("{s:b, s:I, s:b}", "ok", 1, "running", (json_int_t)running_count(m),
                            "stopping", m->stopping));
    } else {
        reply(fd, json_pack("{s:b, s:s}", "ok", 0, "error", "unknown op"));
    }
}

/* ---- setup ---- */

/* Reads pod_dir/monitor.json and prepares its containers (state dirs, attach sockets, logs). */
static int
setup_ctrs(struct mon *m, const char *pod_dir, struct kpod_err **err)
{
    _cleanup_free_ char *cfgpath = xasprintf("%s/monitor.json", pod_dir);
    _cleanup_json_ json_t *j = kpod_json_load_file(cfgpath, 1 << 20, err);
    if (j == NULL || (m->cfg = kpod_monitor_config_from_json(j, err)) == NULL)
        return -1;
    m->n = m->cfg->nctrs;
    _cleanup_free_ char *runroot = xstrdup(pod_dir); /* <runroot>/pods/<id> */
    char *slash = strrchr(runroot, '/');
    if (slash != NULL)
        *slash = '\0';
    slash = strrchr(runroot, '/');
    if (slash != NULL)
        *slash = '\0';
    m->seccomp_cache = xasprintf("%s/seccomp", runroot);
    m->c = xcalloc(m->n + 1, sizeof(*m->c));
    for (size_t i = 0; i < m->n; i++) {
        struct mctr *c = &m->c[i];
        c->cfg = &m->cfg->ctrs[i];
        c->out = c->err = -1;
        c->st.exit_code = -1;
        snprintf(c->st.state, sizeof(c->st.state), "created");
        c->in = -1;
        probes_init(&c->pr);
        if (kpod_fs_mkdir_p(c->cfg->state_dir, 0700, err) < 0 ||
            kpod_attach_listen(&c->att, c->cfg->state_dir, err) < 0)
            return -1;
        c->log = kpod_logw_open(c->cfg->log_path, m->cfg->log_max_size, m->cfg->log_max_files, err);
        if (c->log == NULL)
            return -1;
        save_status(c);
    }
    return 0;
}

static int
setup(struct mon *m, const char *pod_dir, struct kpod_err **err)
{
    if (setup_ctrs(m, pod_dir, err) < 0)
        return -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGHUP, SIG_IGN);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    m->ep = epoll_create1(EPOLL_CLOEXEC);
    m->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    m->tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
    m->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    _cleanup_close_ int dirfd = open(pod_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct sockaddr_un sa;
    kpod_monitor_sockaddr(dirfd, &sa);
    unlink(sa.sun_path);
    if (m->ep < 0 || m->sfd < 0 || m->tfd < 0 || m->lfd < 0 || dirfd < 0 ||
        bind(m->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(m->lfd, 16) < 0)
        return kpod_err_sys(err, "monitor socket in '%s'", pod_dir);
    watch(m, m->lfd, EV_LISTEN, 0);
    for (size_t i = 0; i < m->n; i++)
        watch(m, m->c[i].att.lfd, EV_ATTACH, i);
    watch(m, m->sfd, EV_SIGNAL, 0);
    watch(m, m->tfd, EV_TIMER, 0);
    return 0;
}

static void
free_ctrs(struct mon *m)
{
    for (size_t i = 0; i < m->n; i++) {
        struct mctr *c = &m->c[i];
        if (c->out >= 0)
            close(c->out);
        if (c->err >= 0)
            close(c->err);
        kpod_logw_close(c->log);
        kpod_attach_fini(&c->att);
        if (c->in >= 0)
            close(c->in);
        probes_fini(&c->pr);
        kpod_ctr_status_fini(&c->st);
    }
    free(m->c);
    free(m->seccomp_cache);
    kpod_monitor_config_free(m->cfg);
    m->c = NULL;
    m->seccomp_cache = NULL;
    m->cfg = NULL;
    m->n = 0;
}

static void
teardown(struct mon *m)
{
    free_ctrs(m);
    if (m->lfd >= 0)
        close(m->lfd);
}

/* Input of an attached client: stdin data for the container; an empty frame closes stdin. */
static void
on_attach_input(struct mon *m, struct mctr *c, int fd)
{
    int stream = 0;
    char *buf = NULL;
    size_t len = 0;
    int r = kpod_attach_recv(fd, &stream, &buf, &len);
    if (r <= 0) {
        epoll_ctl(m->ep, EPOLL_CTL_DEL, fd, NULL);
        kpod_attach_drop(&c->att, fd);
        return;
    }
    int target = c->tty ? c->out : c->in;
    if (stream == KPOD_ATTACH_STDIN && target >= 0) {
        if (len == 0 && !c->tty) {
            close(c->in);
            c->in = -1;
        } else if (kpod_fs_write_all(target, buf, len) < 0) {
            kpod_debug("container '%s': stdin: %m", c->cfg->name);
        }
    }
    free(buf);
}

static void
dispatch(struct mon *m, uint64_t data)
{
    enum ev_kind k = (enum ev_kind)(data >> 32);
    size_t i = (size_t)(data & 0xffffffffu);
    if (k == EV_ACLIENT) {
        on_attach_input(m, &m->c[data & 0xfff], (int)((data >> 12) & 0xfffff));
        return;
    }
    if (k == EV_ATTACH) {
        int fd = kpod_attach_accept(&m->c[i].att);
        if (fd >= 0) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u64 = evclient(i, fd)};
            epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev);
        }
        return;
    }
    switch (k) {
    case EV_LISTEN:
        on_client(m);
        break;
    case EV_SIGNAL:
        reap(m);
        break;
    case EV_TIMER:
        on_timer(m);
        break;
    case EV_OUT:
        if (!pump(&m->c[i], m->c[i].out, KPOD_LOG_STDOUT, false))
            close_stream(m, &m->c[i].out);
        break;
    case EV_ERR:
        if (!pump(&m->c[i], m->c[i].err, KPOD_LOG_STDERR, false))
            close_stream(m, &m->c[i].err);
        break;
    default:
        break;
    }
}

int
kpod_monitor_run(const char *pod_dir, int ready_fd, void (*idle)(void))
{
    struct mon m = {.ep = -1, .lfd = -1, .sfd = -1, .tfd = -1, .start_client = -1, .idle = idle};
    _cleanup_err_ struct kpod_err *e = NULL;
    if (setup(&m, pod_dir, &e) < 0) {
        kpod_log(KPOD_LOG_ERROR, "monitor: %s", e->msg);
        teardown(&m);
        return 1;
    }
    if (ready_fd >= 0) {
        char msg[64];
        int len = snprintf(msg, sizeof(msg), "%d %llu\n", (int)getpid(),
                           kpod_container_proc_starttime(getpid()));
        if (kpod_fs_write_all(ready_fd, msg, (size_t)len) < 0)
            kpod_debug("ready: %m");
        close(ready_fd);
    }
    kpod_info("monitor of pod '%s' ready", m.cfg->pod_name);
    malloc_trim(0);
    if (idle != NULL)
        idle();
    while (!m.quit) {
        struct epoll_event evs[16];
        int n = epoll_wait(m.ep, evs, 16, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (int i = 0; i < n; i++)
            dispatch(&m, evs[i].data.u64);
    }
    kpod_info("monitor of pod '%s' exits", m.cfg ? m.cfg->pod_name : "?");
    teardown(&m);
    return 0;
}
