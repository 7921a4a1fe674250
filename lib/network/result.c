/* The setup result the sandbox persists in the pod state: to and from JSON. Pure. */
#include "network/network.h"

#include <string.h>

void
kpod_net_result_free(struct kpod_net_result *r)
{
    if (r == NULL)
        return;
    free(r->pod_id);
    free(r->pod_name);
    free(r->netns_path);
    free(r->network);
    free(r->ip);
    free(r->ip6);
    free(r->nft_table);
    kpod_net_ifaces_free(r->ifaces, r->n_ifaces);
    kpod_net_routes_free(r->routes, r->n_routes);
    for (size_t i = 0; i < r->n_ports; i++)
        free(r->ports[i].host_ip);
    free(r->ports);
    free(r);
}

static const char *
nz(const char *s)
{
    return s != NULL ? s : "";
}

json_t *
kpod_net_result_to_json(const struct kpod_net_result *r)
{
    json_t *j = json_object();
    kpod_json_set_str(j, "podId", nz(r->pod_id));
    kpod_json_set_str(j, "podName", nz(r->pod_name));
    kpod_json_set_str(j, "netnsPath", nz(r->netns_path));
    kpod_json_set_str(j, "network", nz(r->network));
    json_object_set_new(j, "hostNetwork", json_boolean(r->host_network));
    kpod_json_set_str(j, "ip", nz(r->ip));
    kpod_json_set_str(j, "ip6", nz(r->ip6));
    kpod_json_set_str(j, "nftTable", nz(r->nft_table));
    json_t *a = json_array();
    for (size_t i = 0; i < r->n_ifaces; i++)
        json_array_append_new(a, kpod_net_iface_to_json(&r->ifaces[i]));
    json_object_set_new(j, "interfaces", a);
    a = json_array();
    for (size_t i = 0; i < r->n_routes; i++)
        json_array_append_new(a, kpod_net_route_to_json(&r->routes[i]));
    json_object_set_new(j, "routes", a);
    a = json_array();
    for (size_t i = 0; i < r->n_ports; i++) {
        const struct kpod_net_port *p = &r->ports[i];
        json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s}", "hostIP", nz(p->host_ip),
                                           "hostPort", (int)p->host_port, "containerPort",
                                           (int)p->container_port, "protocol", p->protocol));
    }
    json_object_set_new(j, "ports", a);
    return j;
}

static char *
str_or_empty(const json_t *j, const char *key)
{
    return xstrdup(nz(kpod_json_str(j, key)));
}

static int
ports_from_json(const json_t *a, struct kpod_net_result *r, struct kpod_err **err)
{
    size_t n = json_array_size(a);
    if (n > 65536)
        return kpod_err_input(err, "network result: too many ports");
    r->ports = n > 0 ? xcalloc(n, sizeof(*r->ports)) : NULL;
    for (size_t i = 0; i < n; i++, r->n_ports++) {
        const json_t *p = json_array_get(a, i);
        struct kpod_net_port *o = &r->ports[i];
        const char *hip = kpod_json_str(p, "hostIP");
        o->host_ip = hip != NULL && *hip != '\0' ? xstrdup(hip) : NULL;
        o->host_port = (unsigned)kpod_json_int(p, "hostPort", 0);
        o->container_port = (unsigned)kpod_json_int(p, "containerPort", 0);
        const char *proto = kpod_json_str(p, "protocol");
        snprintf(o->protocol, sizeof(o->protocol), "%s",
                 proto != NULL && strcmp(proto, "udp") == 0 ? "udp" : "tcp");
    }
    return 0;
}

struct kpod_net_result *
kpod_net_result_from_json(const json_t *j, struct kpod_err **err)
{
    if (!json_is_object(j)) {
        kpod_err_input(err, "network result: not a JSON object");
        return NULL;
    }
    _cleanup_net_result_ struct kpod_net_result *r = xzalloc(sizeof(*r));
    r->pod_id = str_or_empty(j, "podId");
    r->pod_name = str_or_empty(j, "podName");
    r->netns_path = str_or_empty(j, "netnsPath");
    r->network = str_or_empty(j, "network");
    r->host_network = kpod_json_bool(j, "hostNetwork", false);
    r->ip = str_or_empty(j, "ip");
    r->ip6 = str_or_empty(j, "ip6");
    r->nft_table = str_or_empty(j, "nftTable");
    const json_t *a = json_object_get(j, "interfaces");
    size_t n = json_array_size(a);
    r->ifaces = n > 0 ? xcalloc(n, sizeof(*r->ifaces)) : NULL;
    for (size_t i = 0; i < n; i++, r->n_ifaces++)
        if (kpod_net_iface_from_json(json_array_get(a, i), &r->ifaces[i], err) < 0) {
            kpod_err_prefix(err, "network result");
            return NULL;
        }
    a = json_object_get(j, "routes");
    if (json_array_size(a) > 0 && kpod_net_routes_from_json(a, &r->routes, &r->n_routes, err) < 0) {
        kpod_err_prefix(err, "network result");
        return NULL;
    }
    if (ports_from_json(json_object_get(j, "ports"), r, err) < 0)
        return NULL;
    return TAKE_PTR(r);
}
