/* Adding an interface to a pod netns (Kata AddInterface): a veth whose host end joins a
 * network's bridge, or a host device moved in; then the updateInterface semantics. Every step
 * is rolled back on failure. */
#include "network/internal.h"

#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <net/if.h>

static int
validate(struct nl_sock *pod, const struct kpod_net_iface_add_args *a, struct kpod_err **err)
{
    if (a->name != NULL && !kpod_net_valid_ifname(a->name))
        return kpod_err_input(err, "invalid interface name '%s'", a->name);
    if ((a->network == NULL) == (a->link == NULL))
        return kpod_err_usage(err, "interface add: give one of a network or a host link");
    if (a->mtu != 0 && (a->mtu < 68 || a->mtu > 65535))
        return kpod_err_input(err, "invalid MTU %u: want 68-65535", a->mtu);
    for (size_t i = 0; a->ips != NULL && a->ips[i] != NULL; i++) {
        struct kpod_net_cidr c;
        if (kpod_net_cidr_parse(a->ips[i], true, &c, err) < 0)
            return -1;
    }
    _cleanup_nl_link_ struct rtnl_link *l = NULL;
    if (a->name != NULL && kpod_net_find_link(pod, NULL, a->name, &l, err) != 0)
        return l != NULL ? kpod_err_input(err, "interface '%s' already exists in the pod", a->name)
                         : -1;
    if (a->mac != NULL) {
        _cleanup_nl_addr_ struct nl_addr *m = NULL;
        if (nl_addr_parse(a->mac, AF_LLC, &m) < 0 || nl_addr_get_len(m) != 6)
            return kpod_err_input(err, "invalid MAC address '%s'", a->mac);
        if (kpod_net_find_link(pod, a->mac, NULL, &l, err) != 0)
            return l != NULL ? kpod_err_input(err, "MAC address '%s' already in the pod", a->mac)
                             : -1;
    }
    return 0;
}

static char *
free_ethname(struct nl_sock *pod)
{
    for (unsigned k = 0; k < 1000; k++) {
        _cleanup_free_ char *n = xasprintf("eth%u", k);
        _cleanup_nl_link_ struct rtnl_link *l = NULL;
        if (kpod_net_find_link(pod, NULL, n, &l, NULL) == 0)
            return TAKE_PTR(n);
    }
    return xstrdup("eth999");
}

static int
mac_of(struct nl_sock *s, const char *name, char **ret, struct kpod_err **err)
{
    _cleanup_nl_link_ struct rtnl_link *l = NULL;
    if (kpod_nl_link_get(s, name, &l, err) <= 0)
        return kpod_err_msg(err, "interface '%s' vanished", name);
    const uint8_t *b = nl_addr_get_binary_addr(rtnl_link_get_addr(l));
    *ret = xasprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
    return 0;
}

/* Creates the device in the pod netns (named tmpname) and records how to undo it in i. */
static int
create_device(struct kpod_ctx *ctx, const char *netns, const struct kpod_net_iface_add_args *a,
              const char *tmpname, struct kpod_net_iface *i, struct kpod_err **err)
{
    _cleanup_nl_sock_ struct nl_sock *host = kpod_nl_open(NULL, err);
    if (host == NULL)
        return -1;
    _cleanup_close_ int nsfd = open(netns, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        return kpod_err_sys(err, "open '%s'", netns);
    if (a->link != NULL) {
        _cleanup_nl_link_ struct rtnl_link *l = NULL;
        if (kpod_nl_link_get(host, a->link, &l, err) <= 0)
            return kpod_err_input(err, "host interface '%s' not found", a->link);
        _cleanup_nl_link_ struct rtnl_link *req = rtnl_link_alloc();
        rtnl_link_set_ns_fd(req, nsfd);
        rtnl_link_set_name(req, tmpname);
        int r = rtnl_link_change(host, l, req, 0);
        if (r < 0)
            return kpod_nl_err(err, r, "move '%s' into the pod", a->link);
        i->link = xstrdup(a->link);
        return 0;
    }
    _cleanup_net_config_ struct kpod_net_config *net = kpod_net_config_load(ctx, a->network, err);
    if (net == NULL || kpod_net_network_up(ctx, net, err) < 0)
        return -1;
    _cleanup_nl_link_ struct rtnl_link *br = NULL;
    if (kpod_nl_link_get(host, net->bridge, &br, err) <= 0)
        return kpod_err_msg(err, "bridge '%s' missing", net->bridge);
    i->network = xstrdup(net->name);
    i->host_veth = kpod_net_veth_name(a->pod_id, a->name); /* a->name: final, unique in the pod */
    struct kpod_veth_args va = {.host_name = i->host_veth,
                                .peer_name = tmpname,
                                .nsfd = nsfd,
                                .master = rtnl_link_get_ifindex(br),
                                .mac = a->mac,
                                .mtu = a->mtu};
    if (kpod_nl_veth_create(host, &va, err) < 0) {
        free(i->host_veth);
        i->host_veth = NULL;
        return -1;
    }
    return 0;
}

static void
release_all(struct kpod_ctx *ctx, const struct kpod_net_iface_add_args *a, char **reserved)
{
    for (size_t i = 0; reserved != NULL && reserved[i] != NULL; i++)
        kpod_ipam_release(ctx, a->network, a->pod_id, reserved[i], NULL);
}

/* Addresses of the network's subnet are recorded in its IPAM (one is allocated when none is
 * given), so no other pod gets them; *ret_reserved lists them for the rollback. */
static int
reserve_ips(struct kpod_ctx *ctx, const struct kpod_net_iface_add_args *a, char ***ips,
            char ***ret_reserved, struct kpod_err **err)
{
    if (a->network == NULL)
        return 0;
    _cleanup_net_config_ struct kpod_net_config *net = kpod_net_config_load(ctx, a->network, err);
    if (net == NULL)
        return -1;
    struct kpod_net_cidr sn, c;
    kpod_net_cidr_parse(net->subnet, true, &sn, NULL);
    if (kpod_strv_len(*ips) == 0) {
        char *ip = NULL;
        if (kpod_ipam_allocate(ctx, net, a->pod_id, NULL, &ip, err) < 0)
            return -1;
        kpod_strv_push_take(ips, xasprintf("%s/%u", ip, sn.prefix));
        kpod_strv_push_take(ret_reserved, ip);
        return 0;
    }
    for (size_t i = 0; (*ips)[i] != NULL; i++) {
        char buf[64], *ip = NULL;
        kpod_net_cidr_parse((*ips)[i], true, &c, NULL);
        if (!kpod_net_cidr_contains(&sn, &c))
            continue;
        if (kpod_ipam_allocate(ctx, net, a->pod_id, kpod_net_cidr_format(&c, false, buf, 64), &ip,
                               err) < 0) {
            release_all(ctx, a, *ret_reserved);
            return -1;
        }
        kpod_strv_push_take(ret_reserved, ip);
    }
    return 0;
}

static int
finish(struct nl_sock *pod, const char *netns, const char *name, struct kpod_net_iface *i,
       struct kpod_err **err)
{
    struct kpod_net_iface *all = NULL;
    size_t n = 0;
    if (kpod_net_iface_list(netns, &all, &n, err) < 0)
        return -1;
    for (size_t k = 0; k < n; k++)
        if (strcmp(all[k].name, name) == 0) {
            struct kpod_net_iface keep = *i;
            *i = all[k];
            memset(&all[k], 0, sizeof(all[k]));
            i->network = keep.network;
            i->host_veth = keep.host_veth;
            i->link = keep.link;
            free(keep.name);
            free(keep.hwaddr);
            break;
        }
    kpod_net_ifaces_free(all, n);
    (void)pod;
    return 0;
}

int
kpod_net_iface_add(struct kpod_ctx *ctx, const char *netns, const struct kpod_net_iface_add_args *a,
                   struct kpod_net_iface *ret, struct kpod_err **err)
{
    _cleanup_nl_sock_ struct nl_sock *pod = kpod_nl_open(netns, err);
    if (pod == NULL || validate(pod, a, err) < 0)
        return -1;
    _cleanup_free_ char *name = a->name != NULL ? xstrdup(a->name) : free_ethname(pod);
    _cleanup_strv_ char **ips = kpod_strv_dup(a->ips);
    _cleanup_strv_ char **reserved = NULL;
    if (reserve_ips(ctx, a, &ips, &reserved, err) < 0)
        return kpod_err_prefix(err, "add interface '%s'", name);
    struct kpod_net_iface i = {0};
    char rnd[9], tmpname[IFNAMSIZ];
    kpod_random_hex(rnd, 4);
    snprintf(tmpname, sizeof(tmpname), "kptmp%s", rnd);
    struct kpod_net_iface_add_args fin = *a;
    fin.name = name;
    fin.ips = ips;
    _cleanup_free_ char *mac = NULL;
    int r = create_device(ctx, netns, &fin, tmpname, &i, err);
    if (r == 0)
        r = mac_of(pod, tmpname, &mac, err);
    if (r == 0)
        r = kpod_net_iface_apply(pod, mac, &fin, err);
    if (r == 0)
        r = finish(pod, netns, name, &i, err);
    if (r < 0) {
        _cleanup_nl_link_ struct rtnl_link *l = NULL;
        const char *cur = mac != NULL ? NULL : tmpname;
        if (kpod_net_find_link(pod, mac, cur, &l, NULL) > 0) {
            struct kpod_net_iface_rm_args rm = {
                .pod_id = a->pod_id, .mac = mac, .name = cur, .known = &i, .n_known = 1};
            if (i.hwaddr == NULL)
                i.hwaddr = xstrdup(mac != NULL ? mac : "");
            i.name = xstrdup(rtnl_link_get_name(l));
            kpod_net_iface_remove(ctx, netns, &rm, NULL);
        }
        release_all(ctx, a, reserved);
        kpod_net_iface_clear(&i);
        return kpod_err_prefix(err, "add interface '%s'", name);
    }
    *ret = i;
    return 0;
}
