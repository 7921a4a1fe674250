/* `kpod pod rm`: remove pods and everything they made. */
#include "common.h"

struct pod_rm_opts {
    bool all;
    bool force;
    bool ignore;
};

static const struct kpod_opt pod_rm_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct pod_rm_opts, all), NULL, "remove every pod", NULL,
     NULL, false},
    {"force", 'f', KPOD_OPT_BOOL, offsetof(struct pod_rm_opts, force), NULL,
     "stop running pods first; clean up whatever is left after a crash", NULL, NULL, false},
    {"ignore", 'i', KPOD_OPT_BOOL, offsetof(struct pod_rm_opts, ignore), NULL,
     "a missing pod is not an error", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
rm_one(struct kpod_ctx *ctx, const char *id, void *data, struct kpod_err **err)
{
    struct pod_rm_opts *o = data;
    return kpod_sandbox_remove(ctx, id, o->force, err);
}

static int
run_pod_rm(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_rm_opts *o = data;
    if (o->ignore && !o->all) {
        /* drop the names that do not exist */
        int kept = 0;
        for (int i = 0; i < argc; i++) {
            struct kpod_store s = {0};
            _cleanup_free_ char *id = NULL;
            struct kpod_err *e = NULL;
            if (kpod_store_init(&s, ctx, &e) == 0 && kpod_store_lookup(&s, argv[i], &id, &e) == 0)
                argv[kept++] = argv[i];
            kpod_err_free(&e);
            kpod_store_fini(&s);
        }
        if (kept == 0)
            return 0;
        argc = kept;
    }
    if (o->all && o->force) { /* Jobs first, so that no controller makes a pod meanwhile */
        _cleanup_strv_ char **ids = NULL;
        if (kpod_job_remove_all(ctx, &ids, err) < 0)
            return kpod_err_prefix(err, "pod rm");
        for (size_t i = 0; ids[i] != NULL; i++)
            printf("%s\n", ids[i]);
    }
    return kpod_cmd_each_pod(ctx, argc, argv, o->all, rm_one, o, err);
}

const struct kpod_cmd kpod_cmd_pod_rm = {
    .name = "rm",
    .parent = "pod",
    .summary = "remove pods",
    .usage = "[options] POD...",
    .opts = pod_rm_opts,
    .opts_size = sizeof(struct pod_rm_opts),
    .run = run_pod_rm,
    .max_args = -1,
    .args_complete = "pods",
};
