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
            for (size_t x = 0; k->network != NULL && r->ip != NULL && x < k->n_addrs; x++)
                if (strcmp(k->addrs[x].address, r->ip) == 0) {
                    free(r->ip); /* the primary addresses went with it */
                    r->ip = xstrdup("");
                    free(r->ip6);
                    r->ip6 = xstrdup("");
                    break;
                }
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

/* The primary interface is the first one when the pod joined a bridge network. */
static bool
has_primary(const struct kpod_net_result *r)
{
    return r->n_ifaces > 0 && r->ifaces[0].host_veth != NULL && r->ip != NULL && *r->ip != '\0';
}

static int
readd_iface(struct kpod_ctx *ctx, struct kpod_net_result *r, const struct kpod_net_iface *old,
            struct kpod_err **err)
{
    _cleanup_strv_ char **ips = NULL;
    for (size_t k = 0; k < old->n_addrs; k++) {
        const struct kpod_net_addr *ad = &old->addrs[k];
        if (ad->family == AF_INET6 && kpod_str_has_prefix(ad->address, "fe80:"))
            continue; /* the kernel makes link-local addresses */
        kpod_strv_push_take(&ips, xasprintf("%s/%u", ad->address, ad->prefix));
    }
    if (ips == NULL)
        ips = xcalloc(1, sizeof(char *)); /* none: do not allocate a new one */
    struct kpod_net_iface_add_args a = {.pod_id = r->pod_id,
                                        .name = old->name,
                                        .mac = old->hwaddr && *old->hwaddr ? old->hwaddr : NULL,
                                        .ips = ips,
                                        .mtu = old->mtu,
                                        .network = old->link ? NULL : old->network,
                                        .link = old->link,
                                        .noarp = old->noarp};
    if (a.network == NULL && a.link == NULL)
        return kpod_err_msg(err, "interface '%s': no network or host device recorded",
                            old->name ? old->name : "");
    return kpod_net_result_iface_add(ctx, r, &a, err);
}

struct kpod_net_result *
kpod_net_restore(struct kpod_ctx *ctx, const struct kpod_net_result *old, struct kpod_err **err)
{
    bool primary = has_primary(old);
    struct kpod_net_setup_args a = {.pod_id = old->pod_id,
                                    .pod_name = old->pod_name,
                                    .network = old->network,
                                    .ip = primary ? old->ip : NULL,
                                    .mac = primary ? old->ifaces[0].hwaddr : NULL,
                                    .ports = old->ports,
                                    .n_ports = old->n_ports,
                                    .host_network = old->host_network,
                                    .ip6 = primary && old->ip6 && *old->ip6 ? old->ip6 : NULL};
    if (a.mac != NULL && *a.mac == '\0')
        a.mac = NULL;
    _cleanup_net_result_ struct kpod_net_result *r = kpod_net_setup(ctx, &a, err);
    if (r == NULL || old->host_network)
        return TAKE_PTR(r);
    int rc = 0;
    for (size_t i = primary ? 1 : 0; i < old->n_ifaces && rc == 0; i++)
        rc = readd_iface(ctx, r, &old->ifaces[i], err);
    if (rc == 0 && old->n_routes > 0)
        rc = kpod_net_result_route_update(r, old->routes, old->n_routes, err);
    if (rc < 0) {
        kpod_err_prefix(err, "restore the network of pod '%s'", old->pod_name);
        kpod_net_teardown(ctx, r, NULL);
        return NULL;
    }
    return TAKE_PTR(r);
}
