/* `kpod inspect`: containers or pods, by name or id, as JSON or one field. */
#include "common.h"

#include <string.h>

struct inspect_opts {
    char *format;
};

static const struct kpod_opt inspect_opts[] = {
    {"format", 'f', KPOD_OPT_STRING, offsetof(struct inspect_opts, format), "FORMAT",
     "json (the default) or fields such as {{.State.ExitCode}}", "=json", NULL, false},
    KPOD_OPTS_END,
};

static json_t *
lookup(struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    struct kpod_pod_state *p = NULL;
    struct kpod_ctr_state *c = NULL;
    struct kpod_err *ce = NULL;
    if (kpod_cmd_find_ctr(ctx, name, &p, &c, &ce) == 0) {
        json_t *j = kpod_cmd_ctr_json(p, c);
        kpod_pod_state_free(p);
        return j;
    }
    struct kpod_err *pe = NULL;
    p = kpod_cmd_find_pod(ctx, name, &pe);
    if (p != NULL) {
        kpod_err_free(&ce);
        json_t *j = kpod_cmd_pod_json(p);
        kpod_pod_state_free(p);
        return j;
    }
    kpod_err_free(&pe);
    kpod_err_move(err, &ce);
    if (err && *err && (*err)->kind == KPOD_ERR_NOTFOUND) {
        kpod_err_free(err);
        kpod_err_notfound(err, "no such container or pod '%s'", name);
    }
    return NULL;
}

static int
run_inspect(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct inspect_opts *o = data;
    _cleanup_json_ json_t *all = json_array();
    for (int i = 0; i < argc; i++) {
        json_t *j = lookup(ctx, argv[i], err);
        if (j == NULL)
            return -1;
        json_array_append_new(all, j);
    }
    return kpod_cmd_print_inspect(all, o->format, err);
}

const struct kpod_cmd kpod_cmd_inspect = {
    .name = "inspect",
    .summary = "show the state and configuration of containers or pods",
    .usage = "[options] NAME...",
    .opts = inspect_opts,
    .opts_size = sizeof(struct inspect_opts),
    .run = run_inspect,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "containers",
};
