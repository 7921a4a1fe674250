/* Addresses and prefixes: parsing, formatting, containment. Pure. */
#include "network/network.h"

#include <arpa/inet.h>
#include <string.h>

int
kpod_net_cidr_parse(const char *s, bool want_prefix, struct kpod_net_cidr *ret,
                    struct kpod_err **err)
{
    struct kpod_net_cidr c = {0};
    if (s == NULL || *s == '\0')
        return kpod_err_input(err, "invalid address '': empty");
    char buf[INET6_ADDRSTRLEN + 8];
    if (strlen(s) >= sizeof(buf))
        return kpod_err_input(err, "invalid address '%s': too long", s);
    strcpy(buf, s);
    char *slash = strchr(buf, '/');
    if (slash != NULL)
        *slash++ = '\0';
    else if (want_prefix)
        return kpod_err_input(err, "invalid CIDR '%s': missing /prefix", s);
    if (inet_pton(AF_INET, buf, c.addr) == 1)
        c.family = AF_INET;
    else if (inet_pton(AF_INET6, buf, c.addr) == 1)
        c.family = AF_INET6;
    else
        return kpod_err_input(err, "invalid %s '%s': not an IP address",
                              want_prefix ? "CIDR" : "address", s);
    unsigned max = c.family == AF_INET ? 32 : 128;
    c.prefix = max;
    if (slash != NULL) {
        long long p = 0;
        if (kpod_str_to_ll(slash, 0, max, &p) < 0)
            return kpod_err_input(err, "invalid CIDR '%s': prefix length must be 0-%u", s, max);
        c.prefix = (unsigned)p;
    }
    *ret = c;
    return 0;
}

const char *
kpod_net_cidr_format(const struct kpod_net_cidr *c, bool with_prefix, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "";
    inet_ntop(c->family, c->addr, a, sizeof(a));
    if (with_prefix)
        snprintf(buf, len, "%s/%u", a, c->prefix);
    else
        snprintf(buf, len, "%s", a);
    return buf;
}

void
kpod_net_cidr_network(const struct kpod_net_cidr *c, struct kpod_net_cidr *ret)
{
    struct kpod_net_cidr n = *c;
    unsigned bytes = c->family == AF_INET ? 4 : 16;
    for (unsigned i = 0; i < bytes; i++) {
        unsigned bit0 = i * 8;
        if (bit0 >= c->prefix)
            n.addr[i] = 0;
        else if (bit0 + 8 > c->prefix)
            n.addr[i] &= (uint8_t)(0xff << (8 - (c->prefix - bit0)));
    }
    *ret = n;
}

static bool
prefix_equal(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

bool
kpod_net_cidr_contains(const struct kpod_net_cidr *net, const struct kpod_net_cidr *addr)
{
    return net->family == addr->family && prefix_equal(net->addr, addr->addr, net->prefix);
}

bool
kpod_net_cidr_overlaps(const struct kpod_net_cidr *a, const struct kpod_net_cidr *b)
{
    if (a->family != b->family)
        return false;
    unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;
    return prefix_equal(a->addr, b->addr, p);
}
