/* Interfaces, routes, ports and the setup result: freeing, parsing, Kata JSON. Pure. */
#include "network/network.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <string.h>

void
kpod_net_iface_clear(struct kpod_net_iface *i)
{
    if (i == NULL)
        return;
    free(i->name);
    free(i->hwaddr);
    free(i->type);
    free(i->state);
    free(i->addrs);
    free(i->network);
    free(i->host_veth);
    free(i->gateway);
    free(i->link);
    memset(i, 0, sizeof(*i));
}

void
kpod_net_route_clear(struct kpod_net_route *r)
{
    if (r == NULL)
        return;
    free(r->dest);
    free(r->gateway);
    free(r->device);
    free(r->source);
    memset(r, 0, sizeof(*r));
}

void
kpod_net_ifaces_free(struct kpod_net_iface *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        kpod_net_iface_clear(&v[i]);
    free(v);
}

void
kpod_net_routes_free(struct kpod_net_route *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        kpod_net_route_clear(&v[i]);
    free(v);
}

static const char *
nz(const char *s)
{
    return s != NULL ? s : "";
}

static char *
dup_or_null(const char *s)
{
    return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* Kata writes families as the agent protocol does: 0 v4, 1 v6. */
static int
family_to_kata(int family)
{
    return family == AF_INET6 ? 1 : 0;
}

static int
family_from_json(const json_t *v, const char *addr)
{
    if (addr != NULL && *addr != '\0')
        return strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
    long long f = json_is_integer(v) ? json_integer_value(v) : 0;
    return (f == 1 || f == AF_INET6) ? AF_INET6 : AF_INET;
}

json_t *
kpod_net_iface_to_json(const struct kpod_net_iface *i)
{
    json_t *j = json_object();
    kpod_json_set_str(j, "device", nz(i->name));
    kpod_json_set_str(j, "name", nz(i->name));
    json_t *addrs = json_array();
    for (size_t k = 0; k < i->n_addrs; k++) {
        char mask[8];
        snprintf(mask, sizeof(mask), "%u", i->addrs[k].prefix);
        json_array_append_new(addrs, json_pack("{s:i, s:s, s:s}", "family",
                                               family_to_kata(i->addrs[k].family), "address",
                                               i->addrs[k].address, "mask", mask));
    }
    json_object_set_new(j, "IPAddresses", addrs);
    kpod_json_set_int(j, "mtu", i->mtu);
    kpod_json_set_str(j, "hwAddr", nz(i->hwaddr));
    kpod_json_set_str(j, "linkType", nz(i->type));
    kpod_json_set_int(j, "raw_flags", i->noarp ? 0x80 /* IFF_NOARP */ : 0);
    if (i->state != NULL)
        kpod_json_set_str(j, "state", i->state);
    kpod_json_set_str(j, "network", i->network);
    kpod_json_set_str(j, "hostVeth", i->host_veth);
    kpod_json_set_str(j, "gateway", i->gateway);
    kpod_json_set_str(j, "link", i->link);
    return j;
}

static int
addr_from_json(const json_t *a, struct kpod_net_addr *ret, struct kpod_err **err)
{
    const char *address = kpod_json_str(a, "address");
    if (address == NULL)
        return kpod_err_input(err, "IPAddresses: 'address' missing");
    const json_t *m = json_object_get(a, "mask");
    char spec[96];
    if (json_is_string(m))
        snprintf(spec, sizeof(spec), "%s/%s", address, json_string_value(m));
    else if (json_is_integer(m))
        snprintf(spec, sizeof(spec), "%s/%lld", address, (long long)json_integer_value(m));
    else
        snprintf(spec, sizeof(spec), "%s", address);
    struct kpod_net_cidr c;
    if (kpod_net_cidr_parse(spec, false, &c, err) < 0)
        return -1;
    ret->family = c.family;
    ret->prefix = c.prefix;
    kpod_net_cidr_format(&c, false, ret->address, sizeof(ret->address));
    return 0;
}

int
kpod_net_iface_from_json(const json_t *j, struct kpod_net_iface *ret, struct kpod_err **err)
{
    if (!json_is_object(j))
        return kpod_err_input(err, "interface: not a JSON object");
    struct kpod_net_iface i = {0};
    const char *name = kpod_json_str(j, "name");
    if (name == NULL || *name == '\0')
        name = kpod_json_str(j, "device");
    i.name = dup_or_null(name);
    i.hwaddr = dup_or_null(kpod_json_str(j, "hwAddr"));
    const char *type = kpod_json_str(j, "linkType");
    i.type = dup_or_null(type != NULL ? type : kpod_json_str(j, "type"));
    i.mtu = (unsigned)kpod_json_int(j, "mtu", 0);
    i.noarp = (kpod_json_int(j, "raw_flags", 0) & 0x80) != 0;
    i.network = dup_or_null(kpod_json_str(j, "network"));
    i.host_veth = dup_or_null(kpod_json_str(j, "hostVeth"));
    i.gateway = dup_or_null(kpod_json_str(j, "gateway"));
    i.link = dup_or_null(kpod_json_str(j, "link"));
    i.state = dup_or_null(kpod_json_str(j, "state"));
    const json_t *addrs = json_object_get(j, "IPAddresses");
    if (addrs != NULL && !json_is_array(addrs) && !json_is_null(addrs)) {
        kpod_net_iface_clear(&i);
        return kpod_err_input(err, "interface: 'IPAddresses' is not an array");
    }
    size_t n = json_array_size(addrs);
    if (n > 256) {
        kpod_net_iface_clear(&i);
        return kpod_err_input(err, "interface: more than 256 addresses");
    }
    i.addrs = n > 0 ? xcalloc(n, sizeof(*i.addrs)) : NULL;
    for (size_t k = 0; k < n; k++) {
        if (addr_from_json(json_array_get(addrs, k), &i.addrs[k], err) < 0) {
            kpod_net_iface_clear(&i);
            return kpod_err_prefix(err, "interface '%s'", nz(name));
        }
        i.n_addrs++;
    }
    *ret = i;
    return 0;
}

json_t *
kpod_net_route_to_json(const struct kpod_net_route *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "dest", nz(r->dest), "gateway",
                     nz(r->gateway), "device", nz(r->device), "source", nz(r->source), "scope",
                     r->scope, "family", family_to_kata(r->family));
}

static int
route_validate(struct kpod_net_route *r, struct kpod_err **err)
{
    struct kpod_net_cidr c;
    int family = 0;
    if (r->dest != NULL && *r->dest != '\0') {
        if (kpod_net_cidr_parse(r->dest, false, &c, err) < 0)
            return kpod_err_prefix(err, "route dest");
        family = c.family;
    }
    if (r->gateway != NULL && *r->gateway != '\0') {
        if (kpod_net_cidr_parse(r->gateway, false, &c, err) < 0)
            return kpod_err_prefix(err, "route gateway");
        if (family != 0 && family != c.family)
            return kpod_err_input(err, "route '%s': gateway '%s' of another family", r->dest,
                                  r->gateway);
        family = c.family;
    }
    if (r->source != NULL && *r->source != '\0') {
        if (kpod_net_cidr_parse(r->source, false, &c, err) < 0)
            return kpod_err_prefix(err, "route source");
        if (family != 0 && family != c.family)
            return kpod_err_input(err, "route: source '%s' of another family", r->source);
        family = c.family;
    }
    if (family == 0)
        family = r->family != 0 ? r->family : AF_INET;
    if (r->scope < 0 || r->scope > 255)
        return kpod_err_input(err, "route: scope %d out of range", r->scope);
    r->family = family;
    return 0;
}

int
kpod_net_route_from_json(const json_t *j, struct kpod_net_route *ret, struct kpod_err **err)
{
    if (!json_is_object(j))
        return kpod_err_input(err, "route: not a JSON object");
    struct kpod_net_route r = {0};
    r.dest = dup_or_null(kpod_json_str(j, "dest"));
    r.gateway = dup_or_null(kpod_json_str(j, "gateway"));
    r.device = dup_or_null(kpod_json_str(j, "device"));
    r.source = dup_or_null(kpod_json_str(j, "source"));
    r.scope = (int)kpod_json_int(j, "scope", 0);
    r.family = family_from_json(json_object_get(j, "family"), NULL);
    if (route_validate(&r, err) < 0) {
        kpod_net_route_clear(&r);
        return -1;
    }
    *ret = r;
    return 0;
}

int
kpod_net_routes_from_json(const json_t *j, struct kpod_net_route **ret, size_t *ret_n,
                          struct kpod_err **err)
{
    if (json_is_object(j)) {
        const json_t *inner = json_object_get(j, "Routes");
        if (inner == NULL)
            inner = json_object_get(j, "routes");
        if (json_is_array(inner))
            j = inner;
    }
    size_t n = json_is_array(j) ? json_array_size(j) : 1;
    if (n > 4096)
        return kpod_err_input(err, "routes: more than 4096");
    struct kpod_net_route *v = n > 0 ? xcalloc(n, sizeof(*v)) : NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_is_array(j) ? json_array_get(j, i) : j;
        if (kpod_net_route_from_json(e, &v[i], err) < 0) {
            kpod_net_routes_free(v, n);
            return kpod_err_prefix(err, "route %zu", i + 1);
        }
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

static int
scope_parse(const char *s, int *ret)
{
    static const struct {
        const char *name;
        int val;
    } names[] = {{"universe", RT_SCOPE_UNIVERSE}, {"global", RT_SCOPE_UNIVERSE},
                 {"site", RT_SCOPE_SITE},         {"link", RT_SCOPE_LINK},
                 {"host", RT_SCOPE_HOST},         {"nowhere", RT_SCOPE_NOWHERE}};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(s, names[i].name) == 0) {
            *ret = names[i].val;
            return 0;
        }
    long long v = 0;
    if (kpod_str_to_ll(s, 0, 255, &v) < 0)
        return -1;
    *ret = (int)v;
    return 0;
}

int
kpod_net_route_parse(const char *s, struct kpod_net_route *ret, struct kpod_err **err)
{
    struct kpod_net_route r = {0};
    _cleanup_strv_ char **parts = kpod_strv_split(s, ",", true);
    for (size_t i = 0; parts != NULL && parts[i] != NULL; i++) {
        char *eq = strchr(parts[i], '=');
        if (eq == NULL) {
            kpod_net_route_clear(&r);
            return kpod_err_input(err, "invalid route '%s': '%s' is not key=value", s, parts[i]);
        }
        *eq++ = '\0';
        const char *k = parts[i];
        char **slot = NULL;
        if (strcmp(k, "dest") == 0 || strcmp(k, "dst") == 0)
            slot = &r.dest;
        else if (strcmp(k, "gw") == 0 || strcmp(k, "gateway") == 0)
            slot = &r.gateway;
        else if (strcmp(k, "dev") == 0 || strcmp(k, "device") == 0)
            slot = &r.device;
        else if (strcmp(k, "src") == 0 || strcmp(k, "source") == 0)
            slot = &r.source;
        else if (strcmp(k, "scope") == 0) {
            if (scope_parse(eq, &r.scope) < 0) {
                kpod_net_route_clear(&r);
                return kpod_err_input(err, "invalid route '%s': unknown scope '%s'", s, eq);
            }
            continue;
        } else {
            kpod_net_route_clear(&r);
            return kpod_err_input(err, "invalid route '%s': unknown key '%s'", s, k);
        }
        free(*slot);
        *slot = strcmp(eq, "default") == 0 && slot == &r.dest ? NULL : dup_or_null(eq);
    }
    if (route_validate(&r, err) < 0) {
        kpod_net_route_clear(&r);
        return kpod_err_prefix(err, "invalid route '%s'", s);
    }
    *ret = r;
    return 0;
}

void
kpod_net_routes_sort_for_add(struct kpod_net_route *v, size_t n)
{
    /* stable partition: insertion keeps the input order within each group */
    for (size_t i = 1; i < n; i++) {
        struct kpod_net_route cur = v[i];
        bool cur_gw = cur.gateway != NULL && *cur.gateway != '\0';
        if (cur_gw)
            continue;
        size_t j = i;
        while (j > 0 && v[j - 1].gateway != NULL && *v[j - 1].gateway != '\0') {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = cur;
    }
}

int
kpod_net_port_parse(const char *s, struct kpod_net_port *ret, struct kpod_err **err)
{
    struct kpod_net_port p = {0};
    char buf[128];
    if (strlen(s) >= sizeof(buf))
        return kpod_err_input(err, "invalid port '%s': too long", s);
    strcpy(buf, s);
    strcpy(p.protocol, "tcp");
    char *slash = strrchr(buf, '/');
    if (slash != NULL) {
        *slash++ = '\0';
        if (strcmp(slash, "tcp") != 0 && strcmp(slash, "udp") != 0)
            return kpod_err_input(err, "invalid port '%s': protocol must be tcp or udp", s);
        strcpy(p.protocol, slash);
    }
    char *ctr = strrchr(buf, ':');
    if (ctr == NULL)
        return kpod_err_input(err, "invalid port '%s': want [HOSTIP:]HOSTPORT:PORT[/PROTO]", s);
    *ctr++ = '\0';
    char *host = strrchr(buf, ':');
    char *hostip = NULL;
    if (host != NULL) {
        *host++ = '\0';
        hostip = buf;
        struct kpod_net_cidr c;
        if (kpod_net_cidr_parse(hostip, false, &c, err) < 0 || c.family != AF_INET)
            return kpod_err_input(err, "invalid port '%s': host IP must be IPv4", s);
    } else {
        host = buf;
    }
    long long hp = 0, cp = 0;
    if (kpod_str_to_ll(host, 1, 65535, &hp) < 0 || kpod_str_to_ll(ctr, 1, 65535, &cp) < 0)
        return kpod_err_input(err, "invalid port '%s': ports must be 1-65535", s);
    p.host_port = (unsigned)hp;
    p.container_port = (unsigned)cp;
    p.host_ip = dup_or_null(hostip);
    *ret = p;
    return 0;
}
