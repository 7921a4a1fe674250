/* The pod network: setup (netns, lo, address, veth on the bridge, routes, ports) and the
 * idempotent teardown that also serves as setup's rollback. */
#include "network/network.h"
#include "network/internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <netlink/route/route.h>
#include <string.h>

static bool
valid_pod_name(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 253 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
            !(s[i] >= '0' && s[i] <= '9') && strchr("_.-", s[i]) == NULL)
            return false;
    return true;
}

/* Inside the netns: address on eth0, up, default route. */
/* Fault injection for the rollback tests: KPOD_TEST_NET_FAIL=<step> makes that step fail. */
static int
fail_at(const char *step, struct kpod_err **err)
{
    const char *f = getenv("KPOD_TEST_NET_FAIL");
    if (f != NULL && strcmp(f, step) == 0)
        return kpod_err_msg(err, "injected failure at '%s'", step);
    return 0;
}

static char *
with_prefix(const char *ip, const char *subnet)
{
    struct kpod_net_cidr sn;
    kpod_net_cidr_parse(subnet, true, &sn, NULL);
    return xasprintf("%s/%u", ip, sn.prefix);
}

/* Inside the netns: the addresses on eth0, up, the default routes via the bridge. */
static int
configure_eth0(struct nl_sock *s, const struct kpod_net_result *res,
               const struct kpod_net_config *net, struct kpod_err **err)
{
    _cleanup_nl_link_ struct rtnl_link *l = NULL;
    if (kpod_nl_link_get(s, "eth0", &l, err) <= 0)
        return kpod_err_msg(err, "eth0 missing in the pod network namespace");
    int idx = rtnl_link_get_ifindex(l);
    _cleanup_free_ char *cidr = with_prefix(res->ip, net->subnet);
    if (kpod_nl_addr_add(s, idx, cidr, err) < 0)
        return -1;
    _cleanup_free_ char *cidr6 = res->ip6 != NULL ? with_prefix(res->ip6, net->subnet6) : NULL;
    if (cidr6 != NULL && kpod_nl_addr_add(s, idx, cidr6, err) < 0)
        return -1;
    if (kpod_nl_link_set_up(s, idx, true, err) < 0)
        return -1;
    struct kpod_net_route r = {
        .gateway = net->gateway, .device = (char *)"eth0", .family = AF_INET};
    if (kpod_net_route_add_one(s, &r, err) < 0)
        return -1;
    struct kpod_net_route r6 = {
        .gateway = net->gateway6, .device = (char *)"eth0", .family = AF_INET6};
    return cidr6 != NULL ? kpod_net_route_add_one(s, &r6, err) : 0;
}

static int
allocate_addrs(struct kpod_ctx *ctx, struct kpod_net_result *res, const struct kpod_net_config *net,
               const struct kpod_net_setup_args *a, struct kpod_err **err)
{
    if (a->ip6 != NULL && net->subnet6 == NULL)
        return kpod_err_input(err, "network '%s' has no IPv6 subnet for '%s'", net->name, a->ip6);
    if (kpod_ipam_allocate(ctx, net, a->pod_id, a->ip, &res->ip, err) < 0)
        return -1;
    if (net->subnet6 != NULL &&
        kpod_ipam_allocate6(ctx, net, a->pod_id, a->ip6, &res->ip6, err) < 0)
        return -1;
    return fail_at("ipam", err);
}

static int
lo_up(struct nl_sock *s, struct kpod_err **err)
{
    _cleanup_nl_link_ struct rtnl_link *l = NULL;
    if (kpod_nl_link_get(s, "lo", &l, err) <= 0)
        return kpod_err_msg(err, "lo missing in the pod network namespace");
    return kpod_nl_link_set_up(s, rtnl_link_get_ifindex(l), true, err);
}

static int
attach_bridge(struct kpod_ctx *ctx, struct kpod_net_result *res, const struct kpod_net_config *net,
              const struct kpod_net_setup_args *a, struct kpod_err **err)
{
    if (allocate_addrs(ctx, res, net, a, err) < 0)
        return -1;
    _cleanup_nl_sock_ struct nl_sock *host = kpod_nl_open(NULL, err);
    if (host == NULL)
        return -1;
    _cleanup_close_ int nsfd = open(res->netns_path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        return kpod_err_sys(err, "open '%s'", res->netns_path);
    struct kpod_net_iface *i = &res->ifaces[0];
    i->host_veth = kpod_net_veth_name(a->pod_id, "eth0");
    i->network = xstrdup(net->name);
    i->gateway = xstrdup(net->gateway);
    res->n_ifaces = 1;
    /* Another kpod (another runroot) may remove an idle bridge between our bringing it up and
     * attaching to it: bring it up again and retry, a few times. */
    for (int attempt = 0;; attempt++) {
        if (kpod_net_network_up(ctx, net, err) < 0 || fail_at("bridge", err) < 0)
            return -1;
        _cleanup_nl_link_ struct rtnl_link *br = NULL;
        int got = kpod_nl_link_get(host, net->bridge, &br, err);
        if (got < 0)
            return -1;
        if (got > 0) {
            struct kpod_veth_args va = {.host_name = i->host_veth,
                                        .peer_name = "eth0",
                                        .nsfd = nsfd,
                                        .master = rtnl_link_get_ifindex(br),
                                        .mac = a->mac};
            if (kpod_nl_veth_create(host, &va, err) == 0)
                break;
        }
        if (attempt == 4) {
            if (err != NULL && *err == NULL)
                kpod_err_msg(err, "bridge '%s' missing", net->bridge);
            return -1;
        }
        kpod_err_free(err);
    }
    if (fail_at("veth", err) < 0)
        return -1;
    _cleanup_nl_sock_ struct nl_sock *pod = kpod_nl_open(res->netns_path, err);
    if (pod == NULL || configure_eth0(pod, res, net, err) < 0 || fail_at("address", err) < 0)
        return -1;
    if (a->n_ports > 0) {
        res->nft_table = kpod_nft_pod_table(a->pod_id);
        if (kpod_nft_ports_add(res->nft_table, res->ip, net->bridge, a->ports, a->n_ports, err) <
                0 ||
            fail_at("ports", err) < 0)
            return -1;
    }
    return 0;
}

/* Records what the pod ended up with: eth0 as the kernel shows it, and the route table. */
static int
record_state(struct kpod_net_result *res, struct kpod_err **err)
{
    struct kpod_net_iface *all = NULL;
    size_t n = 0;
    if (kpod_net_iface_list(res->netns_path, &all, &n, err) < 0)
        return -1;
    for (size_t k = 0; k < n && res->n_ifaces > 0; k++) {
        if (strcmp(all[k].name, "eth0") != 0)
            continue;
        struct kpod_net_iface *i = &res->ifaces[0];
        i->name = TAKE_PTR(all[k].name);
        i->hwaddr = TAKE_PTR(all[k].hwaddr);
        i->type = TAKE_PTR(all[k].type);
        i->mtu = all[k].mtu;
        i->addrs = TAKE_PTR(all[k].addrs);
        i->n_addrs = all[k].n_addrs;
    }
    kpod_net_ifaces_free(all, n);
    return kpod_net_route_list(res->netns_path, &res->routes, &res->n_routes, err);
}

static void
copy_ports(struct kpod_net_result *res, const struct kpod_net_setup_args *a)
{
    res->ports = a->n_ports > 0 ? xcalloc(a->n_ports, sizeof(*res->ports)) : NULL;
    for (size_t i = 0; i < a->n_ports; i++) {
        res->ports[i] = a->ports[i];
        res->ports[i].host_ip = a->ports[i].host_ip ? xstrdup(a->ports[i].host_ip) : NULL;
    }
    res->n_ports = a->n_ports;
}

struct kpod_net_result *
kpod_net_setup(struct kpod_ctx *ctx, const struct kpod_net_setup_args *a, struct kpod_err **err)
{
    if (a->pod_id == NULL || *a->pod_id == '\0' || !valid_pod_name(a->pod_name)) {
        kpod_err_input(err, "network setup: invalid pod name '%s'", a->pod_name ? a->pod_name : "");
        return NULL;
    }
    const char *netname = a->network != NULL ? a->network : KPOD_NET_DEFAULT;
    bool host = a->host_network || strcmp(netname, "host") == 0;
    bool none = strcmp(netname, "none") == 0;
    if ((host || none) && (a->ip != NULL || a->mac != NULL || a->n_ports > 0)) {
        kpod_err_input(err, "network '%s': static IP, MAC and ports need a bridge network",
                       host ? "host" : "none");
        return NULL;
    }
    _cleanup_net_config_ struct kpod_net_config *net = NULL;
    if (!host && !none && (net = kpod_net_config_load(ctx, netname, err)) == NULL)
        return NULL;
    if (kpod_nft_ports_check(a->ports, a->n_ports, err) < 0) {
        kpod_err_prefix(err, "network setup of pod '%s'", a->pod_name);
        return NULL;
    }
    _cleanup_net_result_ struct kpod_net_result *res = xzalloc(sizeof(*res));
    res->pod_id = xstrdup(a->pod_id);
    res->pod_name = xstrdup(a->pod_name);
    res->network = xstrdup(host ? "host" : netname);
    res->host_network = host;
    res->ip = NULL;
    if (host) {
        res->netns_path = xstrdup("");
        res->ip = xstrdup("");
        res->ip6 = xstrdup("");
        res->nft_table = xstrdup("");
        return TAKE_PTR(res);
    }
    res->netns_path = xasprintf("%s/netns/%s", ctx->runroot, a->pod_name);
    if (kpod_netns_create(res->netns_path, err) < 0) {
        free(res->netns_path);
        res->netns_path = xstrdup("");
        return NULL;
    }
    res->ifaces = xcalloc(1, sizeof(*res->ifaces));
    copy_ports(res, a);
    _cleanup_nl_sock_ struct nl_sock *pod = kpod_nl_open(res->netns_path, err);
    int r = pod != NULL && fail_at("netns", err) == 0 ? lo_up(pod, err) : -1;
    if (r == 0 && net != NULL)
        r = attach_bridge(ctx, res, net, a, err);
    if (r == 0)
        r = record_state(res, err);
    if (r == 0)
        r = fail_at("record", err);
    if (r < 0) {
        kpod_err_prefix(err, "network setup of pod '%s'", a->pod_name);
        kpod_net_teardown(ctx, res, NULL);
        return NULL;
    }
    if (res->ip == NULL)
        res->ip = xstrdup("");
    if (res->ip6 == NULL)
        res->ip6 = xstrdup("");
    if (res->nft_table == NULL)
        res->nft_table = xstrdup("");
    return TAKE_PTR(res);
}

static void
keep_first(struct kpod_err **err, struct kpod_err **e)
{
    if (*e == NULL)
        return;
    if (err != NULL && *err == NULL)
        kpod_err_move(err, e);
    else
        kpod_err_free(e);
}

/* Removes the network's bridge and NAT table when no pod uses it any more. */
static int
network_release(struct kpod_ctx *ctx, const char *netname, const char *owner, struct kpod_err **err)
{
    if (kpod_ipam_release(ctx, netname, owner, NULL, err) < 0)
        return -1;
    _cleanup_net_config_ struct kpod_net_config *c = kpod_net_config_load(ctx, netname, NULL);
    if (c == NULL)
        return 0; /* removed with --force meanwhile */
    _cleanup_lock_ int lock = kpod_net_lock(ctx, netname, err);
    if (lock < 0)
        return -1;
    int used = kpod_ipam_count(ctx, netname, err);
    if (used != 0)
        return used < 0 ? -1 : 0;
    return kpod_net_network_down(ctx, c, false, err);
}

int
kpod_net_teardown(struct kpod_ctx *ctx, const struct kpod_net_result *r, struct kpod_err **err)
{
    if (r == NULL || r->host_network)
        return 0;
    struct kpod_err *e = NULL;
    kpod_nft_table_delete(r->nft_table, &e);
    keep_first(err, &e);
    _cleanup_nl_sock_ struct nl_sock *host = kpod_nl_open(NULL, &e);
    keep_first(err, &e);
    for (size_t i = 0; host != NULL && i < r->n_ifaces; i++)
        if (r->ifaces[i].host_veth != NULL) {
            kpod_nl_link_delete(host, r->ifaces[i].host_veth, &e);
            keep_first(err, &e);
        }
    kpod_netns_delete(r->netns_path, &e);
    keep_first(err, &e);
    _cleanup_strv_ char **nets = NULL;
    if (r->network != NULL && *r->network != '\0' && strcmp(r->network, "none") != 0)
        kpod_strv_push(&nets, r->network);
    for (size_t i = 0; i < r->n_ifaces; i++)
        if (r->ifaces[i].network != NULL && !kpod_strv_contains(nets, r->ifaces[i].network))
            kpod_strv_push(&nets, r->ifaces[i].network);
    for (size_t i = 0; nets != NULL && nets[i] != NULL; i++) {
        network_release(ctx, nets[i], r->pod_id, &e);
        keep_first(err, &e);
    }
    return err != NULL && *err != NULL ? -1 : 0;
}

int
kpod_net_cleanup(struct kpod_ctx *ctx, const char *pod_id, const char *pod_name,
                 struct kpod_err **err)
{
    if (!valid_pod_name(pod_name))
        return kpod_err_input(err, "network cleanup: invalid pod name '%s'", pod_name);
    _cleanup_net_result_ struct kpod_net_result *r = xzalloc(sizeof(*r));
    r->pod_id = xstrdup(pod_id);
    r->pod_name = xstrdup(pod_name);
    r->netns_path = xasprintf("%s/netns/%s", ctx->runroot, pod_name);
    r->nft_table = kpod_nft_pod_table(pod_id);
    r->ifaces = xcalloc(1, sizeof(*r->ifaces));
    r->ifaces[0].host_veth = kpod_net_veth_name(pod_id, "eth0");
    r->n_ifaces = 1;
    /* every network this runroot allocated from */
    _cleanup_free_ char *dir = xasprintf("%s/networks", ctx->runroot);
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        r->ifaces = xreallocarray(r->ifaces, r->n_ifaces + 1, sizeof(*r->ifaces));
        memset(&r->ifaces[r->n_ifaces], 0, sizeof(*r->ifaces));
        r->ifaces[r->n_ifaces++].network = xstrdup(e->d_name);
    }
    return kpod_net_teardown(ctx, r, err);
}
