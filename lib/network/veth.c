/* veth pairs: the host end on a bridge, the peer created directly inside the pod netns. */
#include "network/internal.h"

#include <netlink/route/link/veth.h>
#include <string.h>

char *
kpod_net_veth_name(const char *pod_id, const char *ifname)
{
    char d[KPOD_DIGEST_STR_LEN];
    _cleanup_free_ char *key = xasprintf("%s/%s", pod_id, ifname);
    kpod_sha256_buf(key, strlen(key), d);
    return xasprintf("veth%.10s", d + 7);
}

int
kpod_nl_veth_create(struct nl_sock *s, const struct kpod_veth_args *a, struct kpod_err **err)
{
    _cleanup_nl_link_ struct rtnl_link *l = rtnl_link_veth_alloc();
    if (l == NULL)
        return kpod_err_msg(err, "allocate veth");
    struct rtnl_link *peer = rtnl_link_veth_get_peer(l);
    rtnl_link_set_name(l, a->host_name);
    if (a->master > 0)
        rtnl_link_set_master(l, a->master);
    rtnl_link_set_name(peer, a->peer_name);
    rtnl_link_set_ns_fd(peer, a->nsfd);
    if (a->mtu > 0) {
        rtnl_link_set_mtu(l, a->mtu);
        rtnl_link_set_mtu(peer, a->mtu);
    }
    if (a->mac != NULL) {
        _cleanup_nl_addr_ struct nl_addr *mac = NULL;
        int r = nl_addr_parse(a->mac, AF_LLC, &mac);
        if (r < 0 || nl_addr_get_len(mac) != 6) {
            rtnl_link_put(peer);
            return kpod_err_input(err, "invalid MAC address '%s'", a->mac);
        }
        rtnl_link_set_addr(peer, mac);
    }
    rtnl_link_set_flags(l, IFF_UP);
    int r = rtnl_link_add(s, l, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(peer);
    if (r < 0)
        return kpod_nl_err(err, r, "create veth '%s'", a->host_name);
    return 0;
}
