/* A network's host side: the Linux bridge with the gateway address, and its NAT rules. The
 * bridge is created on first use and removed with the network's last pod. */
#include "network/internal.h"

#include <fcntl.h>
#include <netlink/route/link/bridge.h>
#include <string.h>

static int
sysctl_write(const char *path, const char *val, struct kpod_err **err)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "open '%s'", path);
    if (kpod_fs_write_all(fd, val, strlen(val)) < 0)
        return kpod_err_sys(err, "write '%s'", path);
    return 0;
}

static int
bridge_create(struct nl_sock *s, const struct kpod_net_config *c, struct kpod_err **err)
{
    _cleanup_nl_link_ struct rtnl_link *b = rtnl_link_bridge_alloc();
    rtnl_link_set_name(b, c->bridge);
    int r = rtnl_link_add(s, b, NLM_F_CREATE | NLM_F_EXCL);
    if (r < 0 && r != -NLE_EXIST)
        return kpod_nl_err(err, r, "create bridge '%s'", c->bridge);
    return 0;
}

int
kpod_net_network_up(struct kpod_ctx *ctx, const struct kpod_net_config *c, struct kpod_err **err)
{
    _cleanup_nl_sock_ struct nl_sock *s = kpod_nl_open(NULL, err);
    if (s == NULL)
        return -1;
    _cleanup_nl_link_ struct rtnl_link *b = NULL;
    int r = kpod_nl_link_get(s, c->bridge, &b, err);
    if (r < 0)
        return -1;
    /* The masquerade table is made with the bridge and removed with it (network_down): a pod
     * joining a bridge that is up leaves nftables alone — a commit costs ~17 ms a play. */
    bool created = r == 0;
    if (r == 0) {
        if (bridge_create(s, c, err) < 0 || kpod_nl_link_get(s, c->bridge, &b, err) <= 0)
            return kpod_err_prefix(err, "network '%s'", c->name);
    } else if (rtnl_link_get_type(b) == NULL || strcmp(rtnl_link_get_type(b), "bridge") != 0) {
        return kpod_err_input(err, "network '%s': interface '%s' exists and is not a bridge",
                              c->name, c->bridge);
    }
    int idx = rtnl_link_get_ifindex(b);
    struct kpod_net_cidr sn;
    kpod_net_cidr_parse(c->subnet, true, &sn, NULL);
    _cleanup_free_ char *gw = xasprintf("%s/%u", c->gateway, sn.prefix);
    if (kpod_nl_addr_add(s, idx, gw, err) < 0 || kpod_nl_link_set_up(s, idx, true, err) < 0)
        return kpod_err_prefix(err, "network '%s'", c->name);
    /* DNAT of 127.0.0.1:hostPort sends loopback-sourced packets out of the bridge */
    _cleanup_free_ char *rl = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", c->bridge);
    if (sysctl_write(rl, "1", err) < 0)
        return kpod_err_prefix(err, "network '%s'", c->name);
    if (created && kpod_nft_nat_add(c->bridge, c->subnet, err) < 0)
        return kpod_err_prefix(err, "network '%s'", c->name);
    if (c->subnet6 != NULL) {
        kpod_net_cidr_parse(c->subnet6, true, &sn, NULL);
        _cleanup_free_ char *gw6 = xasprintf("%s/%u", c->gateway6, sn.prefix);
        if (kpod_nl_addr_add(s, idx, gw6, err) < 0 ||
            (created && kpod_nft_nat_add(c->bridge, c->subnet6, err) < 0))
            return kpod_err_prefix(err, "network '%s'", c->name);
    }
    return 0;
}

/* Number of links enslaved to the bridge (pods of any runroot). */
static int
bridge_ports(struct nl_sock *s, int ifindex, struct kpod_err **err)
{
    _cleanup_nl_cache_ struct nl_cache *links = NULL;
    int r = rtnl_link_alloc_cache(s, AF_UNSPEC, &links);
    if (r < 0)
        return kpod_nl_err(err, r, "list links");
    int n = 0;
    for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o))
        n += rtnl_link_get_master((struct rtnl_link *)o) == ifindex;
    return n;
}

int
kpod_net_network_down(struct kpod_ctx *ctx, const struct kpod_net_config *c, bool force,
                      struct kpod_err **err)
{
    _cleanup_free_ char *table = xasprintf("kpod-net-%s", c->bridge);
    _cleanup_nl_sock_ struct nl_sock *s = kpod_nl_open(NULL, err);
    if (s == NULL)
        return -1;
    _cleanup_nl_link_ struct rtnl_link *b = NULL;
    int r = kpod_nl_link_get(s, c->bridge, &b, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (rtnl_link_get_type(b) == NULL || strcmp(rtnl_link_get_type(b), "bridge") != 0)
            return 0; /* not ours */
        /* pods of another runroot may share the bridge: it goes with its last port */
        int ports = bridge_ports(s, rtnl_link_get_ifindex(b), err);
        if (ports < 0)
            return -1;
        if (ports > 0 && !force)
            return 0;
        if (kpod_nl_link_delete(s, c->bridge, err) < 0)
            return -1;
    }
    if (kpod_nft_table_delete(table, err) < 0)
        return -1;
    return c->subnet6 != NULL ? kpod_nft_table6_delete(table, err) : 0;
}
