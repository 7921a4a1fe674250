/* Jobs (batch/v1): kpod is daemonless, so each Job has its own small controller process, a
 * re-exec of kpod (`kpod __job NAME`) started by `kpod play`. It keeps `parallelism` pods
 * running until `completions` pods have Succeeded, counts failures against `backoffLimit`,
 * stops everything at `activeDeadlineSeconds`, and records the Job in
 * RUNROOT/jobs/<name>/job.json (saved atomically under RUNROOT/jobs/<name>/lock), next to the
 * manifest it plays its pods from. Pods are "<job>-<n>", n counting up from 0 in creation order;
 * a Failed pod is kept (for its logs) and a new one made.
 *
 * Removal never depends on the controller being alive: kpod_job_remove takes the lock, removes
 * job.json (a controller that finds it gone exits), stops the controller (SIGTERM, then
 * SIGKILL), then removes every pod the Job made, recorded or carrying its owner annotation. */
#include "sandbox/internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "manifest/manifest.h"

#define JOB_TICK_MS 200

/* ---- the play options `kpod play` recorded ---- */

/* The play options back from job.json; strings point into j. */
struct job_play {
    struct kpod_play_opts o;
    struct kpod_pull_opts pull;
    char **hooks; /* the pointers only */
};

static void
play_from_json(const json_t *j, struct job_play *jp)
{
    *jp = (struct job_play){0};
    jp->pull.tls_verify = (int)kpod_json_int(j, "tlsVerify", 1);
    jp->pull.authfile = kpod_json_str(j, "authfile");
    jp->pull.cert_dir = kpod_json_str(j, "certDir");
    jp->o.network = kpod_json_str(j, "network");
    jp->o.log_level = kpod_json_str(j, "logLevel") ? kpod_json_str(j, "logLevel") : "info";
    jp->o.log_max_size = (uint64_t)kpod_json_int(j, "logMaxSize", 0);
    jp->o.log_max_files = (unsigned)kpod_json_int(j, "logMaxFiles", 0);
    jp->o.backoff_ms = kpod_json_int(j, "backoffMs", 0);
    jp->o.quiet = true;
    jp->o.pull = &jp->pull;
    if (kpod_json_bool(j, "hooksDirsSet", false)) {
        json_t *a = json_object_get(j, "hooksDirs");
        jp->hooks = xcalloc(json_array_size(a) + 1, sizeof(char *));
        for (size_t i = 0; i < json_array_size(a); i++)
            jp->hooks[i] = (char *)json_string_value(json_array_get(a, i));
        jp->o.hooks_dirs = jp->hooks;
    }
}

/* The template of the Job named name in m. */
static const struct kpod_pod *
find_template(const struct kpod_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->n_pods; i++)
        if (m->pods[i].job != NULL && strcmp(m->pods[i].owner_name, name) == 0)
            return &m->pods[i];
    return NULL;
}

/* ---- the controller ---- */

static volatile sig_atomic_t stop_requested;

static void
on_term(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Refreshes the records of the pods still running; returns how many are active. */
static long long
observe(struct kpod_ctx *ctx, json_t *job, bool on_failure)
{
    struct kpod_store s = {0};
    struct kpod_err *e = NULL;
    long long active = 0, succeeded = 0, failed = 0, restarts = 0;
    if (kpod_store_init(&s, ctx, &e) < 0) {
        kpod_err_free(&e);
        return -1;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(job, "pods"), i, rec)
    {
        const char *phase = kpod_json_str(rec, "phase");
        if (strcmp(phase, "Running") == 0) {
            struct kpod_pod_state *p = kpod_sandbox_fetch(&s, kpod_json_str(rec, "id"), &e);
            if (p == NULL && e->kind != KPOD_ERR_NOTFOUND) {
                kpod_warn("job: pod '%s': %s", kpod_json_str(rec, "name"), e->msg);
                kpod_err_free(&e); /* try again at the next tick */
            } else if (p == NULL) {
                kpod_err_free(&e);
                phase = "Failed"; /* removed behind the Job's back: counted as failed */
                kpod_json_set_str(rec, "reason", "PodDeleted");
            } else {
                phase = kpod_pod_phase(p);
                if (strcmp(phase, "Pending") == 0)
                    phase = "Running";
                int n = 0;
                for (size_t k = 0; k < p->nctrs; k++)
                    n += p->ctrs[k].restart_count;
                kpod_json_set_int(rec, "restarts", n);
                kpod_pod_state_free(p);
            }
            kpod_json_set_str(rec, "phase", phase);
        }
        active += strcmp(phase, "Running") == 0;
        succeeded += strcmp(phase, "Succeeded") == 0;
        failed += strcmp(phase, "Failed") == 0;
        restarts += kpod_json_int(rec, "restarts", 0);
    }
    kpod_store_fini(&s);
    /* with OnFailure a failure restarts the container in place: each restart counts */
    long long failures = failed + (on_failure ? restarts : 0);
    if (failures > kpod_json_int(job, "failed", 0))
        kpod_json_set_int(job, "lastFailureTime", kpod_clock_real_ns());
    kpod_json_set_int(job, "active", active);
    kpod_json_set_int(job, "succeeded", succeeded);
    kpod_json_set_int(job, "failed", failures);
    return active;
}

/* Stops the running pods of a Job that ended (their records keep the final phase). */
static void
stop_active(struct kpod_ctx *ctx, json_t *job)
{
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(job, "pods"), i, rec)
    {
        if (strcmp(kpod_json_str(rec, "phase"), "Running") != 0)
            continue;
        struct kpod_err *e = NULL;
        if (kpod_sandbox_stop(ctx, kpod_json_str(rec, "id"), 0, true, &e) < 0)
            kpod_warn("job: stop pod '%s': %s", kpod_json_str(rec, "name"), e->msg);
        kpod_err_free(&e);
        kpod_json_set_str(rec, "phase", "Failed");
    }
    kpod_json_set_int(job, "active", 0);
}

static void
finish(json_t *job, const char *status, const char *reason, const char *message)
{
    kpod_json_set_str(job, "status", status);
    kpod_json_set_str(job, "reason", reason);
    kpod_json_set_str(job, "message", message);
    kpod_json_set_int(job, "completionTime", kpod_clock_real_ns());
}

/* Makes pods until `want` are active; a pod that cannot be made counts as a failure
 * (playFailures, against backoffLimit). */
static void
make_pods(struct kpod_ctx *ctx, json_t *job, const struct kpod_manifest *m,
          const struct kpod_pod *tpl, const struct kpod_play_opts *o, long long want)
{
    long long active = kpod_json_int(job, "active", 0);
    json_t *pods = json_object_get(job, "pods");
    for (; active < want && !stop_requested; active++) {
        long long index = kpod_json_int(job, "nextIndex", 0);
        kpod_json_set_int(job, "nextIndex", index + 1);
        _cleanup_free_ char *id = NULL;
        _cleanup_free_ char *name = xasprintf("%s-%lld", tpl->owner_name, index);
        struct kpod_err *e = NULL;
        if (kpod_job_play_pod(ctx, m, tpl, index, o, &id, &e) < 0) {
            kpod_warn("job: play pod '%s': %s", name, e->msg);
            kpod_json_set_str(job, "lastError", e->msg);
            kpod_json_set_int(job, "playFailures", kpod_json_int(job, "playFailures", 0) + 1);
            kpod_json_set_int(job, "lastFailureTime", kpod_clock_real_ns());
            kpod_err_free(&e);
            break; /* try again at the next tick, against backoffLimit */
        }
        json_array_append_new(pods, kpod_job_pod_record(name, id));
    }
    kpod_json_set_int(job, "active", active);
}

/* The delay before a pod replaces a failed one, as Kubernetes does it: the base (10 s, or the
 * play's restart backoff, KPOD_RESTART_BACKOFF_MS) doubled for each failure, at most 6 minutes. */
static int64_t
failure_delay_ns(int64_t base_ms, long long failures)
{
    const char *env = getenv("KPOD_RESTART_BACKOFF_MS");
    if (base_ms <= 0)
        base_ms = env ? atoll(env) : 10000;
    if (base_ms <= 0)
        base_ms = 10000;
    int64_t ms = base_ms;
    for (long long i = 1; i < failures && ms < 360000; i++)
        ms *= 2;
    return (ms < 360000 ? ms : 360000) * 1000000LL;
}

/* One pass over the Job; returns 1 when it has ended. */
static int
tick(struct kpod_ctx *ctx, json_t *job, const struct kpod_manifest *m, const struct kpod_pod *tpl,
     const struct kpod_play_opts *o)
{
    const json_t *spec = json_object_get(job, "spec");
    long long completions = kpod_json_int(spec, "completions", 1);
    long long parallelism = kpod_json_int(spec, "parallelism", 1);
    long long backoff = kpod_json_int(spec, "backoffLimit", 6);
    long long deadline = kpod_json_int(spec, "activeDeadlineSeconds", -1);
    observe(ctx, job, tpl->restart_policy == KPOD_RESTART_ON_FAILURE);
    long long failed = kpod_json_int(job, "failed", 0) + kpod_json_int(job, "playFailures", 0);
    long long succeeded = kpod_json_int(job, "succeeded", 0);
    int64_t started = kpod_json_int(job, "startTime", 0);
    if (succeeded >= completions) {
        stop_active(ctx, job);
        finish(job, "Complete", "Completed", "reached the expected number of succeeded pods");
        return 1;
    }
    if (failed > backoff) {
        stop_active(ctx, job);
        finish(job, "Failed", "BackoffLimitExceeded", "the Job has reached the backoff limit");
        return 1;
    }
    if (deadline > 0 && kpod_clock_real_ns() - started >= deadline * 1000000000LL) {
        stop_active(ctx, job);
        finish(job, "Failed", "DeadlineExceeded",
               "the Job was active longer than its activeDeadlineSeconds");
        return 1;
    }
    long long want = completions - succeeded;
    if (want > parallelism)
        want = parallelism;
    if (failed > 0 && kpod_clock_real_ns() < kpod_json_int(job, "lastFailureTime", 0) +
                                                 failure_delay_ns(o->backoff_ms, failed))
        return 0; /* Kubernetes' delay before a failed pod is replaced */
    make_pods(ctx, job, m, tpl, o, want);
    return 0;
}

/* Loads the Job's manifest and template; the manifest lives as long as the controller. */
static struct kpod_manifest *
load_manifest(const struct kpod_ctx *ctx, const char *name, const struct kpod_pod **ret_tpl,
              struct kpod_err **err)
{
    _cleanup_free_ char *path = kpod_job_file(ctx, name, "manifest.yaml");
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (kpod_fs_read_file(path, KPOD_MANIFEST_MAX_SIZE * 4, &buf, &len, err) < 0)
        return NULL;
    struct kpod_manifest *m = kpod_manifest_parse_buffer(path, buf, len, err);
    if (m == NULL)
        return NULL;
    *ret_tpl = find_template(m, name);
    if (*ret_tpl == NULL) {
        kpod_manifest_free(m);
        return kpod_err_msg(err, "'%s' holds no Job '%s'", path, name), NULL;
    }
    return m;
}

/* A pass under the lock; returns 1 when the controller is done (ended, or the Job removed). */
static int
locked_tick(struct kpod_ctx *ctx, const char *name, const struct kpod_manifest *m,
            const struct kpod_pod *tpl, const struct kpod_play_opts *o, struct kpod_err **err)
{
    _cleanup_lock_ int lock = kpod_job_lock(ctx, name, err);
    if (lock < 0)
        return -1;
    struct kpod_err *e = NULL;
    _cleanup_json_ json_t *job = kpod_job_load(ctx, name, &e);
    if (job == NULL) { /* removed: nothing left to do */
        kpod_err_free(&e);
        return 1;
    }
    if (strcmp(kpod_json_str(job, "status"), "Running") != 0 || stop_requested)
        return 1;
    int done = tick(ctx, job, m, tpl, o);
    if (kpod_job_save(ctx, name, job, err) < 0)
        return -1;
    return done;
}

/* Records the controller's pid in job.json; returns 1 when the Job is already gone. */
static int
register_controller(struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    _cleanup_lock_ int lock = kpod_job_lock(ctx, name, err);
    if (lock < 0)
        return -1;
    struct kpod_err *e = NULL;
    _cleanup_json_ json_t *job = kpod_job_load(ctx, name, &e);
    if (job == NULL) {
        kpod_err_free(&e);
        return 1;
    }
    kpod_json_set_int(job, "controllerPid", getpid());
    kpod_json_set_int(job, "controllerStart", (long long)kpod_proc_start_time(getpid()));
    return kpod_job_save(ctx, name, job, err);
}

/* ttlSecondsAfterFinished: the Job and its pods are removed that long after it ended (unless
 * it was removed or replaced meanwhile: its record is checked every tick). */
static int
after_ttl(struct kpod_ctx *ctx, const char *name, long long ttl, struct kpod_err **err)
{
    for (;;) {
        struct kpod_err *e = NULL;
        _cleanup_json_ json_t *job = kpod_job_load(ctx, name, &e);
        kpod_err_free(&e);
        if (job == NULL || stop_requested ||
            kpod_json_int(job, "controllerPid", 0) != (long long)getpid())
            return 0;
        int64_t end = kpod_json_int(job, "completionTime", 0) + ttl * 1000000000LL;
        if (kpod_clock_real_ns() >= end)
            break;
        kpod_clock_sleep_ms(JOB_TICK_MS);
    }
    return kpod_job_remove(ctx, name, NULL, err) < 0 ? -1 : 0;
}

int
kpod_job_run(struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    int r = register_controller(ctx, name, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    const struct kpod_pod *tpl = NULL;
    _cleanup_manifest_ struct kpod_manifest *m = load_manifest(ctx, name, &tpl, err);
    if (m == NULL)
        return -1;
    _cleanup_json_ json_t *job0 = kpod_job_load(ctx, name, err);
    if (job0 == NULL)
        return (*err)->kind == KPOD_ERR_NOTFOUND ? (kpod_err_free(err), 0) : -1;
    struct job_play jp;
    play_from_json(json_object_get(job0, "play"), &jp);
    while (!stop_requested) {
        r = locked_tick(ctx, name, m, tpl, &jp.o, err);
        if (r != 0)
            break;
        kpod_clock_sleep_ms(JOB_TICK_MS);
    }
    free(jp.hooks);
    if (r > 0 && !stop_requested && tpl->job->ttl_seconds_after_finished != KPOD_UNSET)
        return after_ttl(ctx, name, tpl->job->ttl_seconds_after_finished, err);
    return r < 0 ? -1 : 0;
}
