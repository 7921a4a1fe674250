/* Interface and route operations on a setup result: the state the sandbox persists follows
 * what the netns has. */
#include "network/internal.h"

#include <string.h>
#include <strings.h>

static int
refuse(const struct kpod_net_result *r, struct kpod_err **err)
{
    if (r->host_network || r->netns_path == NULL || *r->netns_path == '\0')
        return kpod_err_invoke(err,
                               "pod '%s' uses the host network: its interfaces and routes "
                               "are the host's",
                               r->pod_name);
    return 0;
}

static int
reread_routes(struct kpod_net_result *r, struct kpod_err **err)
{
    struct kpod_net_route *v = NULL;
    size_t n = 0;
    if (kpod_net_route_list(r->netns_path, &v, &n, err) < 0)
        return -1;
    kpod_net_routes_free(r->routes, r->n_routes);
    r->routes = v;
    r->n_routes = n;
    return 0;
}

int
kpod_net_result_iface_add(struct kpod_ctx *ctx, struct kpod_net_result *r,
                          const struct kpod_net_iface_add_args *a, struct kpod_err **err)
{
    if (refuse(r, err) < 0)
        return -1;
    struct kpod_net_iface_add_args args = *a;
    args.pod_id = r->pod_id;
    struct kpod_net_iface i = {0};
    if (kpod_net_iface_add(ctx, r->netns_path, &args, &i, err) < 0)
        return -1;
    r->ifaces = xreallocarray(r->ifaces, r->n_ifaces + 1, sizeof(*r->ifaces));
    r->ifaces[r->n_ifaces++] = i;
    return reread_routes(r, err);
}

int
kpod_net_result_iface_remove(struct kpod_ctx *ctx, struct kpod_net_result *r, const char *mac,
                             const char *name, struct kpod_err **err)
{
    if (refuse(r, err) < 0)
        return -1;
    struct kpod_net_iface_rm_args a = {
        .pod_id = r->pod_id, .mac = mac, .name = name, .known = r->ifaces, .n_known = r->n_ifaces};
    if (kpod_net_iface_remove(ctx, r->netns_path, &a, err) < 0)
        return -1;
    for (size_t i = 0; i < r->n_ifaces; i++) {
        struct kpod_net_iface *k = &r->ifaces[i];
        if ((mac != NULL && k->hwaddr != NULL && strcasecmp(k->hwaddr, mac) == 0) ||
            (mac == NULL && name != NULL && k->name != NULL && strcmp(k->name, name) == 0)) {
            kpod_net_iface_clear(k);
            memmove(k, k + 1, (r->n_ifaces - i - 1) * sizeof(*k));
            r->n_ifaces--;
            break;
        }
    }
    return reread_routes(r, err);
}

int
kpod_net_result_route_update(struct kpod_net_result *r, const struct kpod_net_route *routes,
                             size_t n, struct kpod_err **err)
{
    if (refuse(r, err) < 0)
        return -1;
    struct kpod_net_route *v = NULL;
    size_t nv = 0;
    if (kpod_net_route_update(r->netns_path, routes, n, &v, &nv, err) < 0)
        return -1;
    kpod_net_routes_free(r->routes, r->n_routes);
    r->routes = v;
    r->n_routes = nv;
    return 0;
}
