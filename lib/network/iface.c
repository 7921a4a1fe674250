/* Interfaces of a pod netns: list (Kata ListInterfaces), the agent's updateInterface
 * semantics, and removal (RemoveInterface, but an unknown interface is an error). */
#include "network/internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ctype.h>
#include <netlink/route/addr.h>
#include <string.h>
#include <strings.h>

static char *
mac_string(struct rtnl_link *l)
{
    struct nl_addr *a = rtnl_link_get_addr(l);
    if (a == NULL || nl_addr_get_len(a) != 6)
        return xstrdup("");
    const uint8_t *b = nl_addr_get_binary_addr(a);
    return xasprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static void
collect_addrs(struct nl_cache *addrs, int ifindex, struct kpod_net_iface *i)
{
    size_t cap = 0;
    for (struct nl_object *o = nl_cache_get_first(addrs); o != NULL; o = nl_cache_get_next(o)) {
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        struct nl_addr *local = rtnl_addr_get_local(a);
        if (rtnl_addr_get_ifindex(a) != ifindex || local == NULL)
            continue;
        xgrow((void **)&i->addrs, &cap, i->n_addrs + 1, sizeof(*i->addrs));
        struct kpod_net_addr *d = &i->addrs[i->n_addrs++];
        memset(d, 0, sizeof(*d));
        d->family = rtnl_addr_get_family(a);
        d->prefix = (unsigned)rtnl_addr_get_prefixlen(a);
        inet_ntop(d->family, nl_addr_get_binary_addr(local), d->address, sizeof(d->address));
    }
}

static void
fill_iface(struct rtnl_link *l, struct nl_cache *addrs, struct kpod_net_iface *i)
{
    i->name = xstrdup(rtnl_link_get_name(l));
    i->hwaddr = mac_string(l);
    i->mtu = rtnl_link_get_mtu(l);
    const char *type = rtnl_link_get_type(l);
    i->type = xstrdup(type != NULL ? type : "");
    unsigned flags = rtnl_link_get_flags(l);
    i->state = xstrdup((flags & IFF_UP) ? "up" : "down");
    i->noarp = (flags & IFF_NOARP) != 0;
    collect_addrs(addrs, rtnl_link_get_ifindex(l), i);
}

static int
list_on(struct nl_sock *s, struct kpod_net_iface **ret, size_t *ret_n, struct kpod_err **err)
{
    _cleanup_nl_cache_ struct nl_cache *links = NULL, *addrs = NULL;
    int r = rtnl_link_alloc_cache(s, AF_UNSPEC, &links);
    if (r < 0)
        return kpod_nl_err(err, r, "list links");
    r = rtnl_addr_alloc_cache(s, &addrs);
    if (r < 0)
        return kpod_nl_err(err, r, "list addresses");
    size_t n = 0, cap = 0;
    struct kpod_net_iface *v = NULL;
    for (struct nl_object *o = nl_cache_get_first(links); o != NULL; o = nl_cache_get_next(o)) {
        xgrow((void **)&v, &cap, n + 1, sizeof(*v));
        memset(&v[n], 0, sizeof(v[n]));
        fill_iface((struct rtnl_link *)o, addrs, &v[n++]);
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

int
kpod_net_iface_list(const char *netns, struct kpod_net_iface **ret, size_t *ret_n,
                    struct kpod_err **err)
{
    _cleanup_nl_sock_ struct nl_sock *s = kpod_nl_open(netns, err);
    if (s == NULL)
        return -1;
    return list_on(s, ret, ret_n, err);
}

/* Finds a link of the netns by MAC (case-insensitive) or by name. */
int
kpod_net_find_link(struct nl_sock *s, const char *mac, const char *name, struct rtnl_link **ret,
                   struct kpod_err **err)
{
    _cleanup_nl_cache_ struct nl_cache *links = NULL;
    int r = rtnl_link_alloc_cache(s, AF_UNSPEC, &links);
    if (r < 0)
        return kpod_nl_err(err, r, "list links");
    for (struct nl_object *o = nl_cache_get_first(links); o != NULL; o = nl_cache_get_next(o)) {
        struct rtnl_link *l = (struct rtnl_link *)o;
        _cleanup_free_ char *m = mac_string(l);
        if ((mac != NULL && strcasecmp(m, mac) == 0) ||
            (mac == NULL && name != NULL && strcmp(rtnl_link_get_name(l), name) == 0)) {
            nl_object_get(o);
            *ret = l;
            return 1;
        }
    }
    *ret = NULL;
    return 0;
}

static int
flush_addrs(struct nl_sock *s, int ifindex, struct kpod_err **err)
{
    _cleanup_nl_cache_ struct nl_cache *addrs = NULL;
    int r = rtnl_addr_alloc_cache(s, &addrs);
    if (r < 0)
        return kpod_nl_err(err, r, "list addresses");
    for (struct nl_object *o = nl_cache_get_first(addrs); o != NULL; o = nl_cache_get_next(o)) {
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        if (rtnl_addr_get_ifindex(a) != ifindex)
            continue;
        r = rtnl_addr_delete(s, a, 0);
        if (r < 0 && r != -NLE_NOADDR && r != -NLE_OBJ_NOTFOUND)
            return kpod_nl_err(err, r, "delete address");
    }
    return 0;
}

/* The agent's updateInterface: the link found by MAC is set down, its addresses are replaced,
 * MTU, name and NOARP applied, then it is set up. */
int
kpod_net_iface_apply(struct nl_sock *s, const char *mac, const struct kpod_net_iface_add_args *a,
                     struct kpod_err **err)
{
    _cleanup_nl_link_ struct rtnl_link *l = NULL;
    int r = kpod_net_find_link(s, mac, NULL, &l, err);
    if (r <= 0)
        return r < 0 ? -1 : kpod_err_input(err, "no interface with MAC '%s'", mac);
    int idx = rtnl_link_get_ifindex(l);
    if (kpod_nl_link_set_up(s, idx, false, err) < 0 || flush_addrs(s, idx, err) < 0)
        return -1;
    for (size_t i = 0; a->ips != NULL && a->ips[i] != NULL; i++)
        if (kpod_nl_addr_add(s, idx, a->ips[i], err) < 0)
            return -1;
    _cleanup_nl_link_ struct rtnl_link *req = rtnl_link_alloc();
    if (a->mtu > 0)
        rtnl_link_set_mtu(req, a->mtu);
    if (a->name != NULL)
        rtnl_link_set_name(req, a->name);
    if (a->noarp)
        rtnl_link_set_flags(req, IFF_NOARP);
    else
        rtnl_link_unset_flags(req, IFF_NOARP);
    r = rtnl_link_change(s, l, req, 0);
    if (r < 0)
        return kpod_nl_err(err, r, "configure interface '%s'", a->name ? a->name : mac);
    return kpod_nl_link_set_up(s, idx, true, err);
}

static const struct kpod_net_iface *
find_known(const struct kpod_net_iface_rm_args *a, const char *mac, const char *name)
{
    for (size_t i = 0; i < a->n_known; i++) {
        const struct kpod_net_iface *k = &a->known[i];
        if ((k->hwaddr != NULL && strcasecmp(k->hwaddr, mac) == 0) ||
            (k->name != NULL && strcmp(k->name, name) == 0))
            return k;
    }
    return NULL;
}

/* Moves a link back to the host netns under its original name. */
static int
return_to_host(struct nl_sock *s, struct rtnl_link *l, const char *orig, struct kpod_err **err)
{
    _cleanup_close_ int hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (hostns < 0)
        return kpod_err_sys(err, "open the host network namespace");
    _cleanup_nl_link_ struct rtnl_link *req = rtnl_link_alloc();
    rtnl_link_set_ns_fd(req, hostns);
    rtnl_link_set_name(req, orig);
    rtnl_link_unset_flags(req, IFF_UP);
    int r = rtnl_link_change(s, l, req, 0);
    if (r < 0)
        return kpod_nl_err(err, r, "return '%s' to the host", orig);
    return 0;
}

int
kpod_net_iface_remove(struct kpod_ctx *ctx, const char *netns,
                      const struct kpod_net_iface_rm_args *a, struct kpod_err **err)
{
    _cleanup_nl_sock_ struct nl_sock *s = kpod_nl_open(netns, err);
    if (s == NULL)
        return -1;
    _cleanup_nl_link_ struct rtnl_link *l = NULL;
    int r = kpod_net_find_link(s, a->mac, a->name, &l, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return a->mac != NULL ? kpod_err_input(err, "no interface with MAC '%s'", a->mac)
                              : kpod_err_input(err, "no interface named '%s'", a->name);
    const char *name = rtnl_link_get_name(l);
    if (a->mac != NULL && a->name != NULL && strcmp(name, a->name) != 0)
        return kpod_err_input(err, "interface with MAC '%s' is '%s', not '%s'", a->mac, name,
                              a->name);
    if (rtnl_link_get_flags(l) & IFF_LOOPBACK)
        return kpod_err_input(err, "interface '%s': the loopback cannot be removed", name);
    _cleanup_free_ char *mac = mac_string(l);
    const struct kpod_net_iface *k = find_known(a, mac, name);
    if (k != NULL && k->link != NULL)
        r = return_to_host(s, l, k->link, err);
    else if ((r = rtnl_link_delete(s, l)) < 0)
        r = kpod_nl_err(err, r, "delete interface '%s'", name);
    if (r < 0)
        return -1;
    for (size_t i = 0; k != NULL && k->network != NULL && i < k->n_addrs; i++)
        kpod_ipam_release(ctx, k->network, a->pod_id, k->addrs[i].address, NULL);
    return 0;
}
