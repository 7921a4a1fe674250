/* Routes of a pod netns: the main table (Kata ListRoutes) and its replacement (UpdateRoutes)
 * with the agent's rules, made all-or-nothing. */
#include "network/internal.h"

#include <arpa/inet.h>
#include <netlink/route/route.h>
#include <string.h>

KPOD_DEFINE_CLEANUP(struct rtnl_route, rtnl_route_put)
#define _cleanup_nl_route_ _cleanup_(kpod_cleanup_rtnl_route_put)

static char *
addr_str(struct nl_addr *a, bool with_prefix)
{
    if (a == NULL)
        return xstrdup("");
    char buf[INET6_ADDRSTRLEN] = "";
    if (nl_addr_get_len(a) > 0)
        inet_ntop(nl_addr_get_family(a), nl_addr_get_binary_addr(a), buf, sizeof(buf));
    else
        strcpy(buf, nl_addr_get_family(a) == AF_INET6 ? "::" : "0.0.0.0");
    if (!with_prefix)
        return xstrdup(buf);
    return xasprintf("%s/%u", buf, nl_addr_get_prefixlen(a));
}

static void
fill_route(struct rtnl_route *rt, struct nl_cache *links, struct kpod_net_route *r)
{
    struct nl_addr *dst = rtnl_route_get_dst(rt);
    r->dest = dst == NULL || nl_addr_get_prefixlen(dst) == 0 ? xstrdup("") : addr_str(dst, true);
    struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, 0);
    struct nl_addr *gw = nh != NULL ? rtnl_route_nh_get_gateway(nh) : NULL;
    r->gateway = gw != NULL ? addr_str(gw, false) : xstrdup("");
    char name[IFNAMSIZ] = "";
    if (nh != NULL)
        rtnl_link_i2name(links, rtnl_route_nh_get_ifindex(nh), name, sizeof(name));
    r->device = xstrdup(name);
    struct nl_addr *src = rtnl_route_get_src(rt), *pref = rtnl_route_get_pref_src(rt);
    if (src != NULL && nl_addr_get_prefixlen(src) > 0)
        r->source = addr_str(src, true);
    else
        r->source = pref != NULL ? addr_str(pref, false) : xstrdup("");
    r->scope = rtnl_route_get_scope(rt);
    r->family = rtnl_route_get_family(rt);
}

static bool
in_main(struct rtnl_route *rt)
{
    return rtnl_route_get_table(rt) == RT_TABLE_MAIN && rtnl_route_get_type(rt) == RTN_UNICAST;
}

static int
caches(struct nl_sock *s, struct nl_cache **links, struct nl_cache **routes, struct kpod_err **err)
{
    int r = rtnl_link_alloc_cache(s, AF_UNSPEC, links);
    if (r < 0)
        return kpod_nl_err(err, r, "list links");
    r = rtnl_route_alloc_cache(s, AF_UNSPEC, 0, routes);
    if (r < 0)
        return kpod_nl_err(err, r, "list routes");
    return 0;
}

static int
list_on(struct nl_sock *s, struct kpod_net_route **ret, size_t *ret_n, struct kpod_err **err)
{
    _cleanup_nl_cache_ struct nl_cache *links = NULL, *routes = NULL;
    if (caches(s, &links, &routes, err) < 0)
        return -1;
    size_t n = 0, cap = 0;
    struct kpod_net_route *v = NULL;
    for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
        struct rtnl_route *rt = (struct rtnl_route *)o;
        if (!in_main(rt))
            continue;
        xgrow((void **)&v, &cap, n + 1, sizeof(*v));
        memset(&v[n], 0, sizeof(v[n]));
        fill_route(rt, links, &v[n++]);
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

int
kpod_net_route_list(const char *netns, struct kpod_net_route **ret, size_t *ret_n,
                    struct kpod_err **err)
{
    _cleanup_nl_sock_ struct nl_sock *s = kpod_nl_open(netns, err);
    if (s == NULL)
        return -1;
    return list_on(s, ret, ret_n, err);
}

static int
parse_addr(const char *s, int family, struct nl_addr **ret, struct kpod_err **err)
{
    int r = nl_addr_parse(s, family, ret);
    if (r < 0)
        return kpod_nl_err(err, r, "invalid address '%s'", s);
    return 0;
}

static bool
set(const char *s)
{
    return s != NULL && *s != '\0';
}

/* Builds the netlink route for r; ifindex of its device resolved by the caller. */
static struct rtnl_route *
build(const struct kpod_net_route *r, int ifindex, struct kpod_err **err)
{
    _cleanup_nl_route_ struct rtnl_route *rt = rtnl_route_alloc();
    _cleanup_nl_addr_ struct nl_addr *dst = NULL, *gw = NULL, *src = NULL;
    int fam = r->family != 0 ? r->family : AF_INET;
    if (parse_addr(set(r->dest) ? r->dest : (fam == AF_INET6 ? "::/0" : "0.0.0.0/0"), fam, &dst,
                   err) < 0)
        return NULL;
    rtnl_route_set_family(rt, fam);
    rtnl_route_set_dst(rt, dst);
    rtnl_route_set_table(rt, RT_TABLE_MAIN);
    rtnl_route_set_protocol(rt, RTPROT_BOOT);
    rtnl_route_set_type(rt, RTN_UNICAST);
    int scope = r->scope;
    if (scope == RT_SCOPE_UNIVERSE && !set(r->gateway))
        scope = RT_SCOPE_LINK; /* as `ip route add` does for device routes */
    rtnl_route_set_scope(rt, (uint8_t)scope);
    if (set(r->source)) {
        if (parse_addr(r->source, fam, &src, err) < 0)
            return NULL;
        if (strchr(r->source, '/') != NULL)
            rtnl_route_set_src(rt, src);
        else
            rtnl_route_set_pref_src(rt, src);
    }
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    if (ifindex > 0)
        rtnl_route_nh_set_ifindex(nh, ifindex);
    if (set(r->gateway)) {
        if (parse_addr(r->gateway, fam, &gw, err) < 0) {
            rtnl_route_nh_free(nh);
            return NULL;
        }
        rtnl_route_nh_set_gateway(nh, gw);
    }
    rtnl_route_add_nexthop(rt, nh);
    return TAKE_PTR(rt);
}

static int
resolve_dev(struct nl_cache *links, const struct kpod_net_route *r, int *ret, struct kpod_err **err)
{
    *ret = 0;
    if (!set(r->device)) {
        if (!set(r->gateway))
            return kpod_err_input(err, "route '%s': needs a device or a gateway",
                                  set(r->dest) ? r->dest : "default");
        return 0;
    }
    *ret = rtnl_link_name2i(links, r->device);
    if (*ret <= 0)
        return kpod_err_input(err, "route '%s': no device '%s' in the pod",
                              set(r->dest) ? r->dest : "default", r->device);
    return 0;
}

int
kpod_net_route_add_one(struct nl_sock *s, const struct kpod_net_route *r, struct kpod_err **err)
{
    _cleanup_nl_cache_ struct nl_cache *links = NULL;
    int rc = rtnl_link_alloc_cache(s, AF_UNSPEC, &links);
    if (rc < 0)
        return kpod_nl_err(err, rc, "list links");
    int idx = 0;
    if (resolve_dev(links, r, &idx, err) < 0)
        return -1;
    _cleanup_nl_route_ struct rtnl_route *rt = build(r, idx, err);
    if (rt == NULL)
        return -1;
    rc = rtnl_route_add(s, rt, NLM_F_CREATE);
    if (rc < 0 && rc != -NLE_EXIST)
        return kpod_nl_err(err, rc, "add route '%s'", set(r->dest) ? r->dest : "default");
    return 0;
}

/* The agent keeps kernel routes, routes without a device and routes on "lo*" links. */
static bool
deletable(struct rtnl_route *rt, struct nl_cache *links)
{
    if (!in_main(rt) || rtnl_route_get_protocol(rt) == RTPROT_KERNEL)
        return false;
    struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, 0);
    if (nh == NULL || rtnl_route_nh_get_ifindex(nh) <= 0)
        return false;
    char name[IFNAMSIZ] = "";
    rtnl_link_i2name(links, rtnl_route_nh_get_ifindex(nh), name, sizeof(name));
    return strstr(name, "lo") == NULL;
}

struct update {
    struct rtnl_route **old; /* deleted, to restore on failure */
    size_t n_old;
    struct rtnl_route **added;
    size_t n_added;
};

static void
update_undo(struct nl_sock *s, struct update *u)
{
    for (size_t i = u->n_added; i-- > 0;)
        rtnl_route_delete(s, u->added[i], 0);
    /* twice: a gateway route needs the device route to its gateway back first */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < u->n_old; i++)
            rtnl_route_add(s, u->old[i], NLM_F_CREATE);
}

static void
update_free(struct update *u)
{
    for (size_t i = 0; i < u->n_old; i++)
        rtnl_route_put(u->old[i]);
    for (size_t i = 0; i < u->n_added; i++)
        rtnl_route_put(u->added[i]);
    free(u->old);
    free(u->added);
}

static int
oif(struct rtnl_route *rt)
{
    struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, 0);
    return nh != NULL ? rtnl_route_nh_get_ifindex(nh) : 0;
}

/* A wanted route that a kept (kernel) route already provides, e.g. fe80::/64 or the subnet
 * route of an address: adding it again would make a duplicate with another metric. */
static bool
kept_covers(struct nl_cache *routes, struct nl_cache *links, struct rtnl_route *want)
{
    for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
        struct rtnl_route *rt = (struct rtnl_route *)o;
        if (!in_main(rt) || deletable(rt, links) ||
            rtnl_route_get_family(rt) != rtnl_route_get_family(want))
            continue;
        struct rtnl_nexthop *nh = rtnl_route_nexthop_n(want, 0);
        if (nh != NULL && rtnl_route_nh_get_gateway(nh) != NULL)
            continue;
        if (nl_addr_cmp(rtnl_route_get_dst(rt), rtnl_route_get_dst(want)) == 0 &&
            (oif(want) == 0 || oif(want) == oif(rt)))
            return true;
    }
    return false;
}

static int
update_apply(struct nl_sock *s, struct nl_cache *links, struct nl_cache *routes,
             struct rtnl_route **want, size_t n, struct update *u, struct kpod_err **err)
{
    u->old = xcalloc(nl_cache_nitems(routes) + 1, sizeof(*u->old));
    u->added = xcalloc(n + 1, sizeof(*u->added));
    for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
        struct rtnl_route *rt = (struct rtnl_route *)o;
        if (!deletable(rt, links))
            continue;
        int r = rtnl_route_delete(s, rt, 0);
        if (r < 0 && r != -NLE_OBJ_NOTFOUND)
            return kpod_nl_err(err, r, "delete route");
        nl_object_get(o);
        u->old[u->n_old++] = rt;
    }
    for (size_t i = 0; i < n; i++) {
        if (kept_covers(routes, links, want[i]))
            continue;
        int r = rtnl_route_add(s, want[i], NLM_F_CREATE | NLM_F_EXCL);
        if (r == -NLE_EXIST)
            continue;
        if (r < 0) {
            _cleanup_free_ char *d = addr_str(rtnl_route_get_dst(want[i]), true);
            return kpod_nl_err(err, r, "add route '%s'", d);
        }
        nl_object_get((struct nl_object *)want[i]);
        u->added[u->n_added++] = want[i];
    }
    return 0;
}

static void
routes_put(struct rtnl_route **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        if (v[i] != NULL)
            rtnl_route_put(v[i]);
    free(v);
}

int
kpod_net_route_update(const char *netns, const struct kpod_net_route *routes, size_t n,
                      struct kpod_net_route **ret, size_t *ret_n, struct kpod_err **err)
{
    _cleanup_nl_sock_ struct nl_sock *s = kpod_nl_open(netns, err);
    if (s == NULL)
        return -1;
    _cleanup_nl_cache_ struct nl_cache *links = NULL, *cur = NULL;
    if (caches(s, &links, &cur, err) < 0)
        return -1;
    /* everything checked before the first change */
    struct kpod_net_route *sorted = n > 0 ? xmemdup(routes, n * sizeof(*routes)) : NULL;
    kpod_net_routes_sort_for_add(sorted, n);
    struct rtnl_route **want = xcalloc(n + 1, sizeof(*want));
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        int idx = 0;
        r = resolve_dev(links, &sorted[i], &idx, err);
        if (r == 0 && (want[i] = build(&sorted[i], idx, err)) == NULL)
            r = -1;
    }
    free(sorted);
    struct update u = {0};
    if (r == 0 && (r = update_apply(s, links, cur, want, n, &u, err)) < 0)
        update_undo(s, &u);
    update_free(&u);
    routes_put(want, n);
    if (r < 0)
        return kpod_err_prefix(err, "update routes");
    return list_on(s, ret, ret_n, err);
}
