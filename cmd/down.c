/* `kpod down FILE…|-`: stop and remove the pods of the YAML (idempotent). */
#include "common.h"

#include <string.h>

#include "manifest/manifest.h"

struct down_opts {
    bool force;
};

static const struct kpod_opt down_opts[] = {
    {"force", 0, KPOD_OPT_BOOL, offsetof(struct down_opts, force), NULL,
     "also remove the named volumes (persistentVolumeClaim) of the pods", NULL, NULL, false},
    KPOD_OPTS_END,
};

static void
remove_claims(struct kpod_ctx *ctx, const struct kpod_pod *pod)
{
    for (size_t i = 0; i < pod->n_volumes; i++) {
        const struct kpod_volume *v = &pod->volumes[i];
        if (v->type != KPOD_VOLUME_PVC || v->claim == NULL)
            continue;
        _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", ctx->root, v->claim);
        struct kpod_err *e = NULL;
        if (kpod_fs_rm_rf(dir, &e) < 0)
            fprintf(stderr, "Error: %s\n", e->msg);
        kpod_err_free(&e);
    }
}

static void
say_removed(bool *header, const char *id)
{
    if (!*header)
        printf("Pods removed:\n");
    *header = true;
    printf("%s\n", id);
}

/* Every pod a workload of the files made (replicas of any count, a Job's pods and its
 * controller), found by their owner annotation. */
static int
down_workloads(struct kpod_ctx *ctx, const struct kpod_manifest *m, bool *header,
               struct kpod_err **err)
{
    int rc = 0;
    for (size_t i = 0; i < m->n_workloads; i++) {
        const struct kpod_workload *w = &m->workloads[i];
        _cleanup_free_ char *owner = xasprintf("%s/%s", w->kind, w->name);
        _cleanup_strv_ char **ids = NULL;
        struct kpod_err *e = NULL;
        int r = w->job != NULL ? kpod_job_remove(ctx, w->name, &ids, &e)
                               : kpod_sandbox_owned_pods(ctx, owner, &ids, &e);
        for (size_t k = 0; r >= 0 && ids[k] != NULL; k++) {
            if (w->job == NULL && kpod_sandbox_remove(ctx, ids[k], true, &e) < 0) {
                r = -1;
                break;
            }
            say_removed(header, ids[k]);
        }
        if (r < 0 && rc == 0)
            kpod_err_move(err, &e);
        kpod_err_free(&e);
        rc = r < 0 ? -1 : rc;
    }
    return rc;
}

static int
run_down(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct down_opts *o = data;
    _cleanup_strv_ char **early = NULL;
    _cleanup_manifest_ struct kpod_manifest *m = kpod_manifest_parse_files(argv, &early, err);
    if (m == NULL) {
        for (char **w = early; w && *w; w++)
            kpod_warn("%s", *w);
        return kpod_err_prefix(err, "down");
    }
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    bool header = false;
    int rc = down_workloads(ctx, m, &header, err);
    for (size_t i = 0; i < m->n_pods; i++) {
        _cleanup_free_ char *id = NULL;
        struct kpod_err *e = NULL;
        if (kpod_store_lookup(&s, m->pods[i].name, &id, &e) < 0) {
            kpod_err_free(&e); /* already gone: down is idempotent */
        } else if (kpod_sandbox_remove(ctx, id, true, &e) < 0) {
            if (rc == 0)
                kpod_err_move(err, &e);
            kpod_err_free(&e);
            rc = -1;
            continue;
        } else {
            say_removed(&header, id);
        }
        if (o->force)
            remove_claims(ctx, &m->pods[i]);
    }
    kpod_store_fini(&s);
    return rc;
}

const struct kpod_cmd kpod_cmd_down = {
    .name = "down",
    .summary = "stop and remove the pods of Kubernetes YAML",
    .usage = "[options] FILE...|-",
    .opts = down_opts,
    .opts_size = sizeof(struct down_opts),
    .run = run_down,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "file",
};
