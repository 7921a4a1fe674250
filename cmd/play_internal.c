/* `kpod play` for real: every pod of the files, all or nothing. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "manifest/manifest.h"

static int
log_opts(char **opts, struct kpod_play_opts *po, struct kpod_err **err)
{
    for (size_t i = 0; opts != NULL && opts[i] != NULL; i++) {
        const char *o = opts[i];
        unsigned long long v;
        long long n;
        if (kpod_str_has_prefix(o, "max-size=") && kpod_str_to_size(o + 9, &v) == 0)
            po->log_max_size = v;
        else if (kpod_str_has_prefix(o, "max-file=") && kpod_str_to_ll(o + 9, 1, 1000, &n) == 0)
            po->log_max_files = (unsigned)n;
        else
            return kpod_err_usage(err,
                                  "play: invalid --log-opt '%s': want max-size=SIZE or "
                                  "max-file=N",
                                  o);
    }
    return 0;
}

static void
remove_pods(struct kpod_ctx *ctx, char **ids)
{
    for (size_t i = 0; ids != NULL && ids[i] != NULL; i++) {
        struct kpod_err *e = NULL;
        if (kpod_sandbox_remove(ctx, ids[i], true, &e) < 0)
            fprintf(stderr, "Error: %s\n", e->msg);
        kpod_err_free(&e);
    }
}

static int
replace_pod(struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_free_ char *id = NULL;
    struct kpod_err *e = NULL;
    int rc = 0;
    if (kpod_store_lookup(&s, name, &id, &e) == 0)
        rc = kpod_sandbox_remove(ctx, id, true, err);
    kpod_err_free(&e);
    kpod_store_fini(&s);
    return rc;
}

/* --replace: the pods a workload of the files made before (all of them, so a workload with
 * fewer replicas now loses the extra ones), and its Job. */
static int
replace_workloads(struct kpod_ctx *ctx, const struct kpod_manifest *m, struct kpod_err **err)
{
    for (size_t i = 0; i < m->n_workloads; i++) {
        const struct kpod_workload *w = &m->workloads[i];
        if (w->job != NULL) {
            if (kpod_job_remove(ctx, w->name, NULL, err) < 0)
                return -1;
            continue;
        }
        _cleanup_free_ char *owner = xasprintf("%s/%s", w->kind, w->name);
        _cleanup_strv_ char **ids = NULL;
        if (kpod_sandbox_owned_pods(ctx, owner, &ids, err) < 0)
            return -1;
        for (size_t k = 0; ids[k] != NULL; k++)
            if (kpod_sandbox_remove(ctx, ids[k], true, err) < 0)
                return -1;
    }
    return 0;
}

static void
remove_jobs(struct kpod_ctx *ctx, char **names)
{
    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
        struct kpod_err *e = NULL;
        if (kpod_job_remove(ctx, names[i], NULL, &e) < 0)
            fprintf(stderr, "Error: %s\n", e->msg);
        kpod_err_free(&e);
    }
}

/* A Job: its controller plays the pods; the first ones are made now. */
static int
play_job(struct kpod_ctx *ctx, const struct kpod_manifest *m, const struct kpod_pod *tpl,
         const struct kpod_play_opts *po, bool quiet, struct kpod_err **err)
{
    _cleanup_strv_ char **ids = NULL;
    struct kpod_job_args a = {.m = m, .tpl = tpl, .o = po};
    if (kpod_job_play(ctx, &a, &ids, err) < 0)
        return -1;
    if (!quiet)
        printf("Job:\n%s (completions %lld, parallelism %lld, backoffLimit %lld)\nPods:\n",
               tpl->owner_name, tpl->job->completions, tpl->job->parallelism,
               tpl->job->backoff_limit);
    for (size_t i = 0; ids[i] != NULL; i++)
        printf("%s\n", ids[i]);
    if (!quiet)
        printf("\n");
    return 0;
}

static void
print_pod(const struct kpod_pod_state *p, bool quiet)
{
    if (p == NULL)
        return;
    if (quiet) {
        printf("%s\n", p->id);
        return;
    }
    printf("Pod:\n%s\nContainers:\n", p->id);
    for (size_t i = 0; i < p->nctrs; i++)
        printf("%s\n", p->ctrs[i].id);
    printf("\n");
}

static int
check_play(const struct kpod_play_cli *o, const struct kpod_manifest *m, struct kpod_err **err)
{
    if (o->ip != NULL && m->n_pods > 1)
        return kpod_err_usage(err, "play: --ip needs exactly one pod, the files hold %zu",
                              m->n_pods);
    for (size_t i = 0; i < m->n_pods; i++)
        if (m->pods[i].job != NULL && o->no_start)
            return kpod_err_usage(err, "play: Job '%s': --start=false cannot hold a Job back",
                                  m->pods[i].owner_name);
    return 0;
}

/* Every pod (and Job) of the files, all or nothing. */
static int
play_all(struct kpod_ctx *ctx, const struct kpod_manifest *m, const struct kpod_play_cli *o,
         const struct kpod_play_opts *po, struct kpod_err **err)
{
    _cleanup_strv_ char **made = xcalloc(1, sizeof(char *));
    _cleanup_strv_ char **jobs = xcalloc(1, sizeof(char *));
    struct kpod_pod_state **pods = xcalloc(m->n_pods + 1, sizeof(*pods));
    int rc = 0;
    for (size_t i = 0; i < m->n_pods && rc == 0; i++) {
        if (m->pods[i].job != NULL) {
            rc = play_job(ctx, m, &m->pods[i], po, o->quiet, err);
            if (rc == 0)
                kpod_strv_push(&jobs, m->pods[i].owner_name);
        } else if (o->replace && replace_pod(ctx, m->pods[i].name, err) < 0)
            rc = -1;
        else if (kpod_sandbox_play(ctx, m, &m->pods[i], po, &pods[i], err) < 0)
            rc = -1;
        else
            kpod_strv_push(&made, pods[i]->id);
    }
    if (rc < 0) {
        remove_jobs(ctx, jobs);
        remove_pods(ctx, made); /* nothing half-made: the pods before the failure go too */
    }
    for (size_t i = 0; i < m->n_pods; i++) {
        if (rc == 0)
            print_pod(pods[i], o->quiet);
        kpod_pod_state_free(pods[i]);
    }
    free(pods);
    return rc;
}

int
kpod_cmd_play_run(struct kpod_ctx *ctx, const struct kpod_play_cli *o, char **files,
                  struct kpod_err **err)
{
    struct kpod_pull_opts pull = {
        .tls_verify = o->tls_verify ? 1 : 0,
        .authfile = o->authfile,
        .creds = o->creds,
    };
    const char *level = "info";
    struct kpod_play_opts po = {
        .network = o->network,
        .ip = o->ip,
        .no_start = o->no_start,
        .log_level = level,
        .pull = &pull,
        .quiet = o->quiet,
        .hooks_dirs = o->hooks_dirs,
    };
    if (log_opts(o->log_opts, &po, err) < 0)
        return -1;
    _cleanup_strv_ char **early = NULL;
    _cleanup_manifest_ struct kpod_manifest *m = kpod_manifest_parse_files(files, &early, err);
    if (m == NULL) {
        for (char **w = early; w && *w; w++)
            kpod_warn("%s", *w);
        return kpod_err_prefix(err, "play");
    }
    for (char **w = m->warnings; w && *w; w++)
        kpod_warn("%s", *w);
    if (check_play(o, m, err) < 0)
        return -1;
    if (o->replace && replace_workloads(ctx, m, err) < 0)
        return kpod_err_prefix(err, "play: replace");
    return play_all(ctx, m, o, &po, err);
}
