/* `kpod pod route ls POD`: the route table of a running pod. */
#include "common.h"

#include "network/network.h"

struct pod_route_ls_opts {
    char *format;
};

static const struct kpod_opt pod_route_ls_opts[] = {
    {"format", 0, KPOD_OPT_STRING, offsetof(struct pod_route_ls_opts, format), "FORMAT",
     "output format: json (Kata Route objects) or table", "=json table", NULL, false},
    KPOD_OPTS_END,
};

static int
ls(struct kpod_ctx *ctx, struct kpod_net_result *r, void *data, struct kpod_err **err)
{
    struct kpod_net_route *v = NULL;
    size_t n = 0;
    if (kpod_net_route_list(r->netns_path, &v, &n, err) < 0)
        return -1;
    kpod_cmd_print_routes(v, n, *(bool *)data);
    kpod_net_routes_free(v, n);
    return 0;
}

static int
run_pod_route_ls(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_route_ls_opts *o = data;
    bool json = false;
    if (kpod_cmd_format_json(o->format, "pod route ls", &json, err) < 0)
        return -1;
    _cleanup_free_ char *id = NULL;
    if (kpod_cmd_pod_id(ctx, argv[0], &id, err) < 0)
        return -1;
    return kpod_sandbox_with_network(ctx, id, false, ls, &json, err);
}

const struct kpod_cmd kpod_cmd_pod_route_ls = {
    .name = "ls",
    .parent = "pod route",
    .aliases = "list",
    .summary = "list the routes of a running pod",
    .usage = "[options] POD",
    .opts = pod_route_ls_opts,
    .opts_size = sizeof(struct pod_route_ls_opts),
    .run = run_pod_route_ls,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "pods",
};
