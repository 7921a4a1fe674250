/* Address allocation: runroot/networks/<net>/ipam.json {"allocations": {ip: owner}, "last": ip}
 * read and written under an exclusive flock of runroot/networks/<net>/ipam.lock, so no two pods
 * ever get the same address, also when kpod runs concurrently. */
#include "network/network.h"
#include "network/internal.h"

#include <arpa/inet.h>
#include <string.h>

#define IPAM_MAX_FILE (16u << 20)

int
kpod_net_lock(struct kpod_ctx *ctx, const char *net, struct kpod_err **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/networks/%s", ctx->runroot, net);
    if (kpod_fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_free_ char *path = xasprintf("%s/ipam.lock", dir);
    return kpod_lock_acquire(path, KPOD_LOCK_EXCLUSIVE, false, err);
}

static uint32_t
v4(const struct kpod_net_cidr *c)
{
    uint32_t a = 0;
    memcpy(&a, c->addr, 4);
    return ntohl(a);
}

static void
v4_format(uint32_t a, char *buf, size_t len)
{
    uint32_t n = htonl(a);
    inet_ntop(AF_INET, &n, buf, (socklen_t)len);
}

/* a += off, big-endian over 16 bytes */
static void
add16(uint8_t *a, uint32_t off)
{
    uint64_t carry = off;
    for (int i = 15; i >= 0 && carry != 0; i--) {
        carry += a[i];
        a[i] = (uint8_t)carry;
        carry >>= 8;
    }
}

/* The low 32 bits of a's offset in its subnet (enough: at most 2^24 addresses are used). */
static uint32_t
low32(const struct kpod_net_cidr *a)
{
    uint32_t v = 0;
    memcpy(&v, a->addr + 12, 4);
    return ntohl(v);
}

static int
pick6(const struct kpod_net_cidr *sn, const struct kpod_net_cidr *gw, char *const *taken,
      const char *last, char **ret_ip, struct kpod_err **err)
{
    struct kpod_net_cidr base, l;
    kpod_net_cidr_network(sn, &base);
    unsigned bits = 128 - sn->prefix;
    uint32_t size = bits >= 24 ? 1u << 24 : 1u << bits;
    uint32_t start = 0;
    if (last != NULL && kpod_net_cidr_parse(last, false, &l, NULL) == 0 &&
        kpod_net_cidr_contains(sn, &l))
        start = (low32(&l) - low32(&base) + 1u) % size;
    for (uint32_t k = 0; k < size; k++) {
        uint32_t off = (start + k) % size;
        if (off == 0)
            continue; /* the subnet-router anycast address */
        struct kpod_net_cidr c = base;
        add16(c.addr, off);
        c.prefix = 128;
        if (memcmp(c.addr, gw->addr, 16) == 0)
            continue;
        char buf[64];
        kpod_net_cidr_format(&c, false, buf, sizeof(buf));
        if (kpod_strv_contains(taken, buf))
            continue;
        *ret_ip = xstrdup(buf);
        return 0;
    }
    char sbuf[64];
    return kpod_err_msg(err, "subnet '%s': no free address left",
                        kpod_net_cidr_format(sn, true, sbuf, sizeof(sbuf)));
}

int
kpod_ipam_pick(const char *subnet, const char *gateway, char *const *taken, const char *last,
               char **ret_ip, struct kpod_err **err)
{
    struct kpod_net_cidr sn, gw, l;
    if (kpod_net_cidr_parse(subnet, true, &sn, err) < 0)
        return -1;
    if (kpod_net_cidr_parse(gateway, false, &gw, err) < 0)
        return -1;
    if (sn.family == AF_INET6)
        return pick6(&sn, &gw, taken, last, ret_ip, err);
    uint32_t hostmask = sn.prefix == 0 ? ~0u : ~0u >> sn.prefix;
    uint32_t base = v4(&sn) & ~hostmask, size = hostmask + 1u;
    uint32_t start = 0;
    if (last != NULL && kpod_net_cidr_parse(last, false, &l, NULL) == 0 &&
        kpod_net_cidr_contains(&sn, &l))
        start = (v4(&l) - base + 1u) & hostmask;
    for (uint32_t k = 0; k < size; k++) {
        uint32_t off = (start + k) & hostmask;
        if (off == 0 || off == hostmask || base + off == v4(&gw))
            continue;
        char buf[INET_ADDRSTRLEN];
        v4_format(base + off, buf, sizeof(buf));
        if (kpod_strv_contains(taken, buf))
            continue;
        *ret_ip = xstrdup(buf);
        return 0;
    }
    return kpod_err_msg(err, "subnet '%s': no free address left", subnet);
}

static json_t *
load(const char *path, struct kpod_err **err)
{
    if (!kpod_fs_exists(path))
        return json_pack("{s:{}}", "allocations");
    json_t *j = kpod_json_load_file(path, IPAM_MAX_FILE, err);
    if (j == NULL)
        return NULL;
    if (!json_is_object(json_object_get(j, "allocations")))
        json_object_set_new(j, "allocations", json_object());
    return j;
}

static char *
ipam_path(struct kpod_ctx *ctx, const char *net)
{
    return xasprintf("%s/networks/%s/ipam.json", ctx->runroot, net);
}

/* One address family of a network: its subnet, gateway and the "last" key of the file. */
struct pool {
    const char *net, *subnet, *gateway, *last_key;
};

static int
check_static(const struct pool *pl, const char *ip, json_t *alloc, char **ret,
             struct kpod_err **err)
{
    struct kpod_net_cidr sn, a, gw, netaddr;
    if (kpod_net_cidr_parse(ip, false, &a, err) < 0)
        return -1;
    kpod_net_cidr_parse(pl->subnet, true, &sn, NULL);
    kpod_net_cidr_parse(pl->gateway, false, &gw, NULL);
    if (!kpod_net_cidr_contains(&sn, &a))
        return kpod_err_input(err, "address '%s' is not in subnet '%s' of network '%s'", ip,
                              pl->subnet, pl->net);
    kpod_net_cidr_network(&sn, &netaddr);
    bool reserved = memcmp(a.addr, gw.addr, 16) == 0 || memcmp(a.addr, netaddr.addr, 16) == 0;
    if (a.family == AF_INET) {
        uint32_t hostmask = ~0u >> sn.prefix;
        reserved = reserved || (v4(&a) & hostmask) == hostmask;
    }
    if (reserved)
        return kpod_err_input(err, "address '%s' is reserved in network '%s'", ip, pl->net);
    char buf[64];
    kpod_net_cidr_format(&a, false, buf, sizeof(buf));
    const char *owner = kpod_json_str(alloc, buf);
    if (owner != NULL)
        return kpod_err_input(err, "address '%s' is already allocated to pod '%s'", buf, owner);
    *ret = xstrdup(buf);
    return 0;
}

static int
allocate(struct kpod_ctx *ctx, const struct pool *net, const char *owner, const char *want_ip,
         char **ret_ip, struct kpod_err **err)
{
    _cleanup_lock_ int lock = kpod_net_lock(ctx, net->net, err);
    if (lock < 0)
        return -1;
    _cleanup_free_ char *path = ipam_path(ctx, net->net);
    _cleanup_json_ json_t *j = load(path, err);
    if (j == NULL)
        return kpod_err_prefix(err, "network '%s' addresses", net->net);
    json_t *alloc = json_object_get(j, "allocations");
    _cleanup_free_ char *ip = NULL;
    if (want_ip != NULL) {
        if (check_static(net, want_ip, alloc, &ip, err) < 0)
            return -1;
    } else {
        _cleanup_strv_ char **taken = NULL;
        const char *k;
        json_t *v;
        json_object_foreach(alloc, k, v) kpod_strv_push(&taken, k);
        if (kpod_ipam_pick(net->subnet, net->gateway, taken, kpod_json_str(j, net->last_key), &ip,
                           err) < 0)
            return kpod_err_prefix(err, "network '%s'", net->net);
        kpod_json_set_str(j, net->last_key, ip);
    }
    json_object_set_new(alloc, ip, json_string(owner));
    if (kpod_json_save_file(path, j, true, 0600, err) < 0)
        return -1;
    *ret_ip = TAKE_PTR(ip);
    return 0;
}

/* Caller holds the network lock (or takes it: lock < 0 means take it here). */
int
kpod_ipam_allocate(struct kpod_ctx *ctx, const struct kpod_net_config *net, const char *owner,
                   const char *want_ip, char **ret_ip, struct kpod_err **err)
{
    struct pool p = {net->name, net->subnet, net->gateway, "last"};
    return allocate(ctx, &p, owner, want_ip, ret_ip, err);
}

int
kpod_ipam_allocate6(struct kpod_ctx *ctx, const struct kpod_net_config *net, const char *owner,
                    const char *want_ip, char **ret_ip, struct kpod_err **err)
{
    if (net->subnet6 == NULL)
        return kpod_err_input(err, "network '%s' has no IPv6 subnet", net->name);
    struct pool p = {net->name, net->subnet6, net->gateway6, "last6"};
    return allocate(ctx, &p, owner, want_ip, ret_ip, err);
}

int
kpod_ipam_release(struct kpod_ctx *ctx, const char *net, const char *owner, const char *ip,
                  struct kpod_err **err)
{
    _cleanup_free_ char *path = ipam_path(ctx, net);
    if (!kpod_fs_exists(path))
        return 0;
    _cleanup_lock_ int lock = kpod_net_lock(ctx, net, err);
    if (lock < 0)
        return -1;
    _cleanup_json_ json_t *j = load(path, err);
    if (j == NULL)
        return -1;
    json_t *alloc = json_object_get(j, "allocations");
    const char *k;
    json_t *v;
    void *tmp;
    bool changed = false;
    json_object_foreach_safe(alloc, tmp, k, v)
    {
        const char *o = json_string_value(v);
        if ((ip == NULL || strcmp(k, ip) == 0) && (owner == NULL || (o && strcmp(o, owner) == 0))) {
            json_object_del(alloc, k);
            changed = true;
        }
    }
    if (!changed)
        return 0;
    return kpod_json_save_file(path, j, true, 0600, err);
}

int
kpod_ipam_count(struct kpod_ctx *ctx, const char *net, struct kpod_err **err)
{
    _cleanup_free_ char *path = ipam_path(ctx, net);
    if (!kpod_fs_exists(path))
        return 0;
    _cleanup_json_ json_t *j = load(path, err);
    if (j == NULL)
        return -1;
    return (int)json_object_size(json_object_get(j, "allocations"));
}
