/* Jobs: their record under the runroot, starting one (its first pods and its detached
 * controller) and removing one, whatever state its controller is in. See job.c. */
#include "sandbox/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "manifest/manifest.h"

#define JOB_STOP_WAIT_MS 10000

char *
kpod_job_dir(const struct kpod_ctx *ctx, const char *name)
{
    return xasprintf("%s/jobs/%s", ctx->runroot, name);
}

char *
kpod_job_file(const struct kpod_ctx *ctx, const char *name, const char *file)
{
    return xasprintf("%s/jobs/%s/%s", ctx->runroot, name, file);
}

int
kpod_job_lock(const struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    _cleanup_free_ char *path = kpod_job_file(ctx, name, "lock");
    return kpod_lock_acquire(path, KPOD_LOCK_EXCLUSIVE, false, err);
}

json_t *
kpod_job_load(const struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    _cleanup_free_ char *path = kpod_job_file(ctx, name, "job.json");
    json_t *j = kpod_json_load_file(path, 1 << 20, err);
    if (j == NULL && *err != NULL && (*err)->errnum == ENOENT) {
        kpod_err_free(err);
        kpod_err_set(err, KPOD_ERR_NOTFOUND, ENOENT, "no job '%s'", name);
    }
    return j;
}

int
kpod_job_save(const struct kpod_ctx *ctx, const char *name, const json_t *j, struct kpod_err **err)
{
    _cleanup_free_ char *path = kpod_job_file(ctx, name, "job.json");
    return kpod_json_save_file(path, j, true, 0600, err);
}

static json_t *
play_json(const struct kpod_play_opts *o)
{
    json_t *hooks = json_array();
    for (size_t i = 0; o->hooks_dirs != NULL && o->hooks_dirs[i] != NULL; i++)
        json_array_append_new(hooks, json_string(o->hooks_dirs[i]));
    json_t *j = json_pack("{s:I, s:I, s:I, s:b, s:o}", "logMaxSize", (json_int_t)o->log_max_size,
                          "logMaxFiles", (json_int_t)o->log_max_files, "backoffMs",
                          (json_int_t)o->backoff_ms, "hooksDirsSet", o->hooks_dirs != NULL,
                          "hooksDirs", hooks);
    kpod_json_set_str(j, "network", o->network);
    kpod_json_set_str(j, "logLevel", o->log_level);
    if (o->pull != NULL) {
        kpod_json_set_int(j, "tlsVerify", o->pull->tls_verify);
        kpod_json_set_str(j, "authfile", o->pull->authfile);
        kpod_json_set_str(j, "certDir", o->pull->cert_dir);
    }
    return j;
}

/* Plays pod "<job>-<index>" from the template; returns its id. */
int
kpod_job_play_pod(struct kpod_ctx *ctx, const struct kpod_manifest *m, const struct kpod_pod *tpl,
                  long long index, const struct kpod_play_opts *o, char **ret_id,
                  struct kpod_err **err)
{
    _cleanup_free_ char *name = xasprintf("%s-%lld", tpl->owner_name, index);
    struct kpod_pod pod = *tpl;
    pod.name = name;
    pod.index = (int)index;
    struct kpod_pod_state *p = NULL;
    if (kpod_sandbox_play(ctx, m, &pod, o, &p, err) < 0)
        return -1;
    *ret_id = xstrdup(p->id);
    kpod_pod_state_free(p);
    return 0;
}

static void
remove_quietly(struct kpod_ctx *ctx, const char *id)
{
    struct kpod_err *e = NULL;
    if (kpod_sandbox_remove(ctx, id, true, &e) < 0)
        kpod_warn("job: remove pod %s: %s", id, e->msg);
    kpod_err_free(&e);
}

/* One pod record: {"name", "id", "phase", "restarts"}. */
json_t *
kpod_job_pod_record(const char *name, const char *id)
{
    return json_pack("{s:s, s:s, s:s, s:i}", "name", name, "id", id, "phase", "Running", "restarts",
                     0);
}

static void __attribute__((noreturn)) exec_controller(const struct kpod_ctx *ctx, const char *name)
{
    if (setsid() < 0)
        _exit(1);
    pid_t pid = fork();
    if (pid != 0)
        _exit(pid < 0 ? 1 : 0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    _cleanup_free_ char *logpath = kpod_job_file(ctx, name, "controller.log");
    int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(log, 2) < 0)
        _exit(1);
    close_range(3, ~0U, 0);
    if (chdir("/") < 0)
        _exit(1);
    execl(ctx->self, "kpod", "--root", ctx->root, "--runroot", ctx->runroot, "__job", name,
          (char *)NULL);
    _exit(127);
}

static int
spawn_controller(const struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    pid_t pid = fork();
    if (pid < 0)
        return kpod_err_sys(err, "job '%s': fork the controller", name);
    if (pid == 0)
        exec_controller(ctx, name);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return kpod_err_msg(err, "job '%s': start the controller", name);
    return 0;
}

static json_t *
new_job(const struct kpod_pod *tpl, const struct kpod_play_opts *o)
{
    const struct kpod_job *js = tpl->job;
    json_t *spec = json_pack(
        "{s:I, s:I, s:I, s:I, s:I}", "completions", (json_int_t)js->completions, "parallelism",
        (json_int_t)js->parallelism, "backoffLimit", (json_int_t)js->backoff_limit,
        "activeDeadlineSeconds", (json_int_t)js->active_deadline_seconds, "ttlSecondsAfterFinished",
        (json_int_t)js->ttl_seconds_after_finished);
    return json_pack("{s:s, s:s, s:o, s:s, s:I, s:i, s:i, s:i, s:i, s:[], s:o}", "name",
                     tpl->owner_name, "namespace", tpl->namespace, "spec", spec, "status",
                     "Running", "startTime", (json_int_t)kpod_clock_real_ns(), "active", 0,
                     "succeeded", 0, "failed", 0, "nextIndex", 0, "pods", "play", play_json(o));
}

/* Makes the Job's directory (refused when it exists) with job.json and the manifest. */
static int
create_job_dir(struct kpod_ctx *ctx, const struct kpod_job_args *a, json_t *job,
               struct kpod_err **err)
{
    const char *name = a->tpl->owner_name;
    _cleanup_free_ char *jobs = xasprintf("%s/jobs", ctx->runroot);
    _cleanup_free_ char *dir = kpod_job_dir(ctx, name);
    if (kpod_fs_mkdir_p(jobs, 0700, err) < 0)
        return -1;
    if (mkdir(dir, 0700) < 0)
        return errno == EEXIST ? kpod_err_set(err, KPOD_ERR_INPUT, 0,
                                              "job '%s' already exists (kpod down FILE, or "
                                              "play --replace)",
                                              name)
                               : kpod_err_sys(err, "mkdir '%s'", dir);
    _cleanup_free_ char *src = kpod_job_file(ctx, name, "manifest.yaml");
    if (kpod_fs_write_atomic(src, a->m->source ? a->m->source : "", a->m->source_len, 0600, err) <
            0 ||
        kpod_job_save(ctx, name, job, err) < 0) {
        struct kpod_err *e = NULL;
        kpod_fs_rm_rf(dir, &e);
        kpod_err_free(&e);
        return -1;
    }
    return 0;
}

int
kpod_job_play(struct kpod_ctx *ctx, const struct kpod_job_args *a, char ***ret_ids,
              struct kpod_err **err)
{
    const struct kpod_pod *tpl = a->tpl;
    const char *name = tpl->owner_name;
    _cleanup_json_ json_t *job = new_job(tpl, a->o);
    if (create_job_dir(ctx, a, job, err) < 0)
        return kpod_err_prefix(err, "job '%s'", name);
    _cleanup_lock_ int lock = kpod_job_lock(ctx, name, err);
    if (lock < 0)
        return -1;
    /* the first pods are made here, so that their errors reach the user */
    long long first = tpl->job->parallelism < tpl->job->completions ? tpl->job->parallelism
                                                                    : tpl->job->completions;
    _cleanup_strv_ char **ids = xcalloc(1, sizeof(char *));
    int rc = 0;
    for (long long i = 0; i < first && rc == 0; i++) {
        _cleanup_free_ char *id = NULL, *pname = xasprintf("%s-%lld", name, i);
        rc = kpod_job_play_pod(ctx, a->m, tpl, i, a->o, &id, err);
        if (rc == 0) {
            json_array_append_new(json_object_get(job, "pods"), kpod_job_pod_record(pname, id));
            kpod_strv_push(&ids, id);
        }
    }
    kpod_json_set_int(job, "nextIndex", first);
    kpod_json_set_int(job, "active", first);
    if (rc == 0 && kpod_job_save(ctx, name, job, err) == 0 &&
        spawn_controller(ctx, name, err) == 0) {
        *ret_ids = TAKE_PTR(ids);
        return 0;
    }
    for (size_t i = 0; ids[i] != NULL; i++)
        remove_quietly(ctx, ids[i]);
    _cleanup_free_ char *dir = kpod_job_dir(ctx, name);
    struct kpod_err *e = NULL;
    if (kpod_fs_rm_rf(dir, &e) < 0)
        kpod_warn("job '%s': cleanup: %s", name, e->msg);
    kpod_err_free(&e);
    return kpod_err_prefix(err, "job '%s'", name);
}

/* Stops a controller: SIGTERM, a wait, SIGKILL. */
static void
stop_controller(pid_t pid, uint64_t start)
{
    if (pid != getpid()) /* the TTL: the controller removes its own Job */
        kpod_proc_stop(pid, start, SIGTERM, JOB_STOP_WAIT_MS);
}

/* The ids of every pod whose owner annotation names owner ("<Kind>/<name>"). */
int
kpod_sandbox_owned_pods(struct kpod_ctx *ctx, const char *owner, char ***ret_ids,
                        struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_strv_ char **all = NULL;
    if (kpod_store_list(&s, &all, err) < 0) {
        kpod_store_fini(&s);
        return -1;
    }
    char **ids = xcalloc(1, sizeof(char *));
    for (size_t i = 0; all != NULL && all[i] != NULL; i++) {
        struct kpod_err *e = NULL;
        struct kpod_pod_state *p = kpod_store_load(&s, all[i], &e);
        kpod_err_free(&e);
        const char *o = p ? kpod_json_str(p->annotations, KPOD_MANIFEST_OWNER_ANNOTATION) : NULL;
        if (o != NULL && strcmp(o, owner) == 0)
            kpod_strv_push(&ids, all[i]);
        kpod_pod_state_free(p);
    }
    kpod_store_fini(&s);
    *ret_ids = ids;
    return 0;
}

int
kpod_job_remove(struct kpod_ctx *ctx, const char *name, char ***ret_ids, struct kpod_err **err)
{
    _cleanup_free_ char *dir = kpod_job_dir(ctx, name);
    pid_t pid = 0;
    uint64_t start = 0;
    bool existed = kpod_fs_exists(dir);
    if (existed) {
        _cleanup_lock_ int lock = kpod_job_lock(ctx, name, err);
        if (lock < 0)
            return -1;
        struct kpod_err *e = NULL;
        _cleanup_json_ json_t *job = kpod_job_load(ctx, name, &e);
        kpod_err_free(&e);
        pid = (pid_t)kpod_json_int(job, "controllerPid", 0);
        start = (uint64_t)kpod_json_int(job, "controllerStart", 0);
        _cleanup_free_ char *path = kpod_job_file(ctx, name, "job.json");
        if (unlink(path) < 0 && errno != ENOENT)
            return kpod_err_sys(err, "job '%s': remove '%s'", name, path);
    }
    stop_controller(pid, start);
    _cleanup_free_ char *owner = xasprintf("Job/%s", name);
    _cleanup_strv_ char **ids = NULL;
    if (kpod_sandbox_owned_pods(ctx, owner, &ids, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; ids[i] != NULL; i++) {
        struct kpod_err *e = NULL;
        if (kpod_sandbox_remove(ctx, ids[i], true, &e) < 0) {
            if (rc == 0)
                kpod_err_move(err, &e);
            rc = -1;
        }
        kpod_err_free(&e);
    }
    if (rc == 0 && existed && kpod_fs_rm_rf(dir, err) < 0)
        rc = -1;
    if (rc == 0 && ret_ids != NULL)
        *ret_ids = TAKE_PTR(ids);
    return rc < 0 ? kpod_err_prefix(err, "job '%s'", name) : (existed ? 1 : 0);
}

int
kpod_job_list(const struct kpod_ctx *ctx, char ***ret_names, struct kpod_err **err)
{
    _cleanup_free_ char *jobs = xasprintf("%s/jobs", ctx->runroot);
    char **names = xcalloc(1, sizeof(char *));
    _cleanup_closedir_ DIR *d = opendir(jobs);
    if (d == NULL && errno != ENOENT) {
        kpod_strv_free(names);
        return kpod_err_sys(err, "open '%s'", jobs);
    }
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
        if (de->d_name[0] != '.')
            kpod_strv_push(&names, de->d_name);
    *ret_names = names;
    return 0;
}

int
kpod_job_remove_all(struct kpod_ctx *ctx, char ***ret_ids, struct kpod_err **err)
{
    _cleanup_strv_ char **names = NULL;
    if (kpod_job_list(ctx, &names, err) < 0)
        return -1;
    char **all = xcalloc(1, sizeof(char *));
    int rc = 0;
    for (size_t i = 0; names[i] != NULL; i++) {
        _cleanup_strv_ char **ids = NULL;
        struct kpod_err *e = NULL;
        if (kpod_job_remove(ctx, names[i], &ids, &e) < 0) {
            if (rc == 0)
                kpod_err_move(err, &e);
            kpod_err_free(&e);
            rc = -1;
            continue;
        }
        for (size_t k = 0; ids[k] != NULL; k++)
            kpod_strv_push(&all, ids[k]);
    }
    if (rc < 0) {
        kpod_strv_free(all);
        return -1;
    }
    *ret_ids = all;
    return 0;
}
