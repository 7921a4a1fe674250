/* `kpod pod inspect`: a pod's state and configuration as JSON. */
#include "common.h"

#include <string.h>

struct pod_inspect_opts {
    char *format;
};

static const struct kpod_opt pod_inspect_opts[] = {
    {"format", 'f', KPOD_OPT_STRING, offsetof(struct pod_inspect_opts, format), "FORMAT",
     "json (the default) or a field path such as {{.State}}", "=json", NULL, false},
    KPOD_OPTS_END,
};

static int
run_pod_inspect(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_inspect_opts *o = data;
    _cleanup_json_ json_t *all = json_array();
    for (int i = 0; i < argc; i++) {
        struct kpod_pod_state *p = kpod_cmd_find_pod(ctx, argv[i], err);
        if (p == NULL)
            return -1;
        json_array_append_new(all, kpod_cmd_pod_json(p));
        kpod_pod_state_free(p);
    }
    return kpod_cmd_print_inspect(all, o->format, err);
}

const struct kpod_cmd kpod_cmd_pod_inspect = {
    .name = "inspect",
    .parent = "pod",
    .summary = "show the state and configuration of pods",
    .usage = "[options] POD...",
    .opts = pod_inspect_opts,
    .opts_size = sizeof(struct pod_inspect_opts),
    .run = run_pod_inspect,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "pods",
};
