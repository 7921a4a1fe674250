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

static void
print_pod(const struct kpod_pod_state *p, bool quiet)
{
    if (quiet) {
        printf("%s\n", p->id);
        return;
    }
    printf("Pod:\n%s\nContainers:\n", p->id);
    for (size_t i = 0; i < p->nctrs; i++)
        printf("%s\n", p->ctrs[i].id);
    printf("\n");
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
    if (o->ip != NULL && m->n_pods > 1)
        return kpod_err_usage(err, "play: --ip needs exactly one pod, the files hold %zu",
                              m->n_pods);
    _cleanup_strv_ char **made = xcalloc(1, sizeof(char *));
    struct kpod_pod_state **pods = xcalloc(m->n_pods + 1, sizeof(*pods));
    int rc = 0;
    for (size_t i = 0; i < m->n_pods && rc == 0; i++) {
        if (o->replace && replace_pod(ctx, m->pods[i].name, err) < 0)
            rc = -1;
        else if (kpod_sandbox_play(ctx, m, &m->pods[i], &po, &pods[i], err) < 0)
            rc = -1;
        else
            kpod_strv_push(&made, pods[i]->id);
    }
    if (rc < 0)
        remove_pods(ctx, made); /* nothing half-made: the pods before the failure go too */
    for (size_t i = 0; i < m->n_pods; i++) {
        if (rc == 0)
            print_pod(pods[i], o->quiet);
        kpod_pod_state_free(pods[i]);
    }
    free(pods);
    return rc;
}
