/* rtnetlink through libnl-route-3: sockets bound to a netns, errors, link and address
 * helpers. */
#include "network/internal.h"

#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <stdarg.h>
#include <string.h>

int
kpod_nl_err(struct kpod_err **err, int nlerr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *ctx = xvasprintf(fmt, ap);
    va_end(ap);
    int e = nlerr < 0 ? -nlerr : nlerr;
    int kind = (e == NLE_EXIST || e == NLE_INVAL || e == NLE_OBJ_NOTFOUND || e == NLE_NODEV ||
                e == NLE_NOADDR)
                   ? KPOD_ERR_INPUT
                   : KPOD_ERR_INTERNAL;
    return kpod_err_set(err, kind, 0, "%s: %s", ctx, nl_geterror(e));
}

struct nl_sock *
kpod_nl_open(const char *netns, struct kpod_err **err)
{
    int old = -1;
    if (netns != NULL && kpod_netns_enter(netns, &old, err) < 0)
        return NULL;
    _cleanup_nl_sock_ struct nl_sock *s = nl_socket_alloc();
    int r = s != NULL ? nl_connect(s, NETLINK_ROUTE) : -NLE_NOMEM;
    if (old >= 0 && kpod_netns_leave(old, err) < 0)
        abort(); /* never continue in the wrong namespace */
    if (r < 0) {
        kpod_nl_err(err, r, "netlink socket");
        return NULL;
    }
    return TAKE_PTR(s);
}

int
kpod_nl_link_get(struct nl_sock *s, const char *name, struct rtnl_link **ret, struct kpod_err **err)
{
    struct rtnl_link *l = NULL;
    int r = rtnl_link_get_kernel(s, 0, name, &l);
    if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
        *ret = NULL;
        return 0;
    }
    if (r < 0)
        return kpod_nl_err(err, r, "look up link '%s'", name);
    *ret = l;
    return 1;
}

int
kpod_nl_link_set_up(struct nl_sock *s, int ifindex, bool up, struct kpod_err **err)
{
    _cleanup_nl_link_ struct rtnl_link *req = rtnl_link_alloc();
    rtnl_link_set_ifindex(req, ifindex);
    if (up)
        rtnl_link_set_flags(req, IFF_UP);
    else
        rtnl_link_unset_flags(req, IFF_UP);
    _cleanup_nl_link_ struct rtnl_link *cur = rtnl_link_alloc();
    rtnl_link_set_ifindex(cur, ifindex);
    int r = rtnl_link_change(s, cur, req, 0);
    if (r < 0)
        return kpod_nl_err(err, r, "set link %d %s", ifindex, up ? "up" : "down");
    return 0;
}

int
kpod_nl_addr_add(struct nl_sock *s, int ifindex, const char *cidr, struct kpod_err **err)
{
    _cleanup_nl_addr_ struct nl_addr *a = NULL;
    int r = nl_addr_parse(cidr, AF_UNSPEC, &a);
    if (r < 0)
        return kpod_nl_err(err, r, "invalid address '%s'", cidr);
    struct rtnl_addr *ra = rtnl_addr_alloc();
    rtnl_addr_set_ifindex(ra, ifindex);
    rtnl_addr_set_local(ra, a);
    if (nl_addr_get_family(a) == AF_INET6)
        rtnl_addr_set_flags(ra, IFA_F_NODAD);
    r = rtnl_addr_add(s, ra, 0);
    rtnl_addr_put(ra);
    if (r < 0 && r != -NLE_EXIST)
        return kpod_nl_err(err, r, "add address '%s'", cidr);
    return 0;
}

int
kpod_nl_link_delete(struct nl_sock *s, const char *name, struct kpod_err **err)
{
    _cleanup_nl_link_ struct rtnl_link *l = NULL;
    int r = kpod_nl_link_get(s, name, &l, err);
    if (r <= 0)
        return r;
    r = rtnl_link_delete(s, l);
    if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
        return kpod_nl_err(err, r, "delete link '%s'", name);
    return 0;
}
