/* `kpod pod route update POD`: replace a running pod's route table (Kata's UpdateRoutes). */
#include "common.h"

#include <string.h>
#include <unistd.h>

#include "network/network.h"

struct pod_route_update_opts {
    char **routes;
    char *file;
    char *format;
};

static const struct kpod_opt pod_route_update_opts[] = {
    {"route", 0, KPOD_OPT_STRV, offsetof(struct pod_route_update_opts, routes),
     "dest=,gw=,dev=,src=,scope=", "a route of the new table", NULL, NULL, false},
    {"file", 0, KPOD_OPT_STRING, offsetof(struct pod_route_update_opts, file), "FILE",
     "the new table as Kata Route JSON (- for standard input)", "file", NULL, false},
    {"format", 0, KPOD_OPT_STRING, offsetof(struct pod_route_update_opts, format), "FORMAT",
     "output format of the resulting table: json or table", "=json table", NULL, false},
    KPOD_OPTS_END,
};

struct upd {
    struct kpod_net_route *v;
    size_t n;
    bool json;
};

static int
update(struct kpod_ctx *ctx, struct kpod_net_result *r, void *data, struct kpod_err **err)
{
    struct upd *u = data;
    if (kpod_net_result_route_update(r, u->v, u->n, err) < 0)
        return -1;
    kpod_cmd_print_routes(r->routes, r->n_routes, u->json);
    return 0;
}

static int
read_routes(struct pod_route_update_opts *o, struct upd *u, struct kpod_err **err)
{
    if (o->file != NULL) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        if (strcmp(o->file, "-") == 0) {
            size_t cap = 0;
            char chunk[4096];
            ssize_t n;
            while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0) {
                xgrow((void **)&buf, &cap, len + (size_t)n + 1, 1);
                memcpy(buf + len, chunk, (size_t)n);
                len += (size_t)n;
            }
        } else if (kpod_fs_read_file(o->file, 1 << 20, &buf, &len, err) < 0) {
            return -1;
        }
        _cleanup_json_ json_t *j = kpod_json_loadb(buf ? buf : "", len, o->file, err);
        return j != NULL ? kpod_net_routes_from_json(j, &u->v, &u->n, err) : -1;
    }
    size_t n = kpod_strv_len(o->routes);
    u->v = xcalloc(n + 1, sizeof(*u->v));
    for (; u->n < n; u->n++)
        if (kpod_net_route_parse(o->routes[u->n], &u->v[u->n], err) < 0)
            return -1;
    return 0;
}

static int
run_pod_route_update(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_route_update_opts *o = data;
    struct upd u = {0};
    if (kpod_cmd_format_json(o->format, "pod route update", &u.json, err) < 0)
        return -1;
    if ((o->file == NULL) == (o->routes == NULL))
        return kpod_err_usage(err, "pod route update: give --route (repeatable) or --file");
    _cleanup_free_ char *id = NULL;
    int rc = kpod_cmd_pod_id(ctx, argv[0], &id, err);
    if (rc == 0 && (rc = read_routes(o, &u, err)) < 0)
        kpod_err_prefix(err, "pod route update");
    if (rc == 0 && (rc = kpod_sandbox_with_network(ctx, id, true, update, &u, err)) < 0)
        kpod_err_prefix(err, "pod route update '%s'", argv[0]);
    kpod_net_routes_free(u.v, u.n);
    return rc;
}

const struct kpod_cmd kpod_cmd_pod_route_update = {
    .name = "update",
    .parent = "pod route",
    .summary = "replace the route table of a running pod",
    .usage = "(--route SPEC... | --file FILE) POD",
    .description = "Keeps kernel and link-local routes, adds gateway-less routes before the ones "
                   "with a gateway, and prints the resulting table. On a failure the old table "
                   "is restored.",
    .opts = pod_route_update_opts,
    .opts_size = sizeof(struct pod_route_update_opts),
    .run = run_pod_route_update,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "pods",
};
