/* Shared by the pod interface and route commands: tables and JSON of interfaces and routes. */
#include "common.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include "network/network.h"

int
kpod_cmd_pod_id(struct kpod_ctx *ctx, const char *name, char **ret_id, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    int rc = kpod_store_lookup(&s, name, ret_id, err);
    kpod_store_fini(&s);
    return rc;
}

void
kpod_cmd_print_ifaces(const struct kpod_net_iface *v, size_t n, bool json)
{
    if (json) {
        _cleanup_json_ json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, kpod_net_iface_to_json(&v[i]));
        _cleanup_free_ char *s = kpod_json_dumps(a, true);
        printf("%s\n", s);
        return;
    }
    printf("%-12s %-18s %-6s %-6s %s\n", "NAME", "MAC", "MTU", "STATE", "ADDRESSES");
    for (size_t i = 0; i < n; i++) {
        printf("%-12s %-18s %-6u %-6s", v[i].name ? v[i].name : "",
               v[i].hwaddr && *v[i].hwaddr ? v[i].hwaddr : "-", v[i].mtu,
               v[i].state ? v[i].state : "");
        for (size_t k = 0; k < v[i].n_addrs; k++)
            printf("%s%s/%u", k ? "," : " ", v[i].addrs[k].address, v[i].addrs[k].prefix);
        printf("\n");
    }
}

static const char *
scope_name(int scope)
{
    switch (scope) {
    case RT_SCOPE_UNIVERSE:
        return "universe";
    case RT_SCOPE_LINK:
        return "link";
    case RT_SCOPE_HOST:
        return "host";
    default:
        return "other";
    }
}

void
kpod_cmd_print_routes(const struct kpod_net_route *v, size_t n, bool json)
{
    if (json) {
        _cleanup_json_ json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, kpod_net_route_to_json(&v[i]));
        _cleanup_free_ char *s = kpod_json_dumps(a, true);
        printf("%s\n", s);
        return;
    }
    printf("%-20s %-16s %-10s %-16s %s\n", "DESTINATION", "GATEWAY", "DEVICE", "SOURCE", "SCOPE");
    for (size_t i = 0; i < n; i++)
        printf("%-20s %-16s %-10s %-16s %s\n", v[i].dest && *v[i].dest ? v[i].dest : "default",
               v[i].gateway && *v[i].gateway ? v[i].gateway : "-", v[i].device ? v[i].device : "",
               v[i].source && *v[i].source ? v[i].source : "-", scope_name(v[i].scope));
}
