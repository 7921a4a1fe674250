/* Network configurations: the built-in default `kpod` (bridge kpod0, 10.88.0.0/16) and named
 * bridge networks stored as root/networks/<name>.json. */
#include "network/network.h"
#include "network/internal.h"

#include <ctype.h>
#include <dirent.h>
#include <net/if.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void
kpod_net_config_free(struct kpod_net_config *c)
{
    if (c == NULL)
        return;
    free(c->name);
    free(c->driver);
    free(c->bridge);
    free(c->subnet);
    free(c->gateway);
    free(c->subnet6);
    free(c->gateway6);
    free(c->created);
    free(c->id);
    free(c);
}

void
kpod_net_config_list_free(struct kpod_net_config **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        kpod_net_config_free(v[i]);
    free(v);
}

static char *
name_id(const char *name)
{
    char d[KPOD_DIGEST_STR_LEN];
    kpod_sha256_buf(name, strlen(name), d);
    return xstrdup(d + 7);
}

static bool
valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
            return false;
    return true;
}

bool
kpod_net_valid_ifname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) ||
            !isprint((unsigned char)s[i]))
            return false;
    return true;
}

static struct kpod_net_config *
default_config(void)
{
    struct kpod_net_config *c = xzalloc(sizeof(*c));
    c->name = xstrdup(KPOD_NET_DEFAULT);
    c->driver = xstrdup("bridge");
    c->bridge = xstrdup(KPOD_NET_DEFAULT_BRIDGE);
    c->subnet = xstrdup(KPOD_NET_DEFAULT_SUBNET);
    c->gateway = xstrdup("10.88.0.1");
    c->created = xstrdup("1970-01-01T00:00:00Z");
    c->id = name_id(KPOD_NET_DEFAULT);
    return c;
}

json_t *
kpod_net_config_to_json(const struct kpod_net_config *c)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", c->name, "id", c->id,
                          "driver", c->driver, "network_interface", c->bridge, "subnet", c->subnet,
                          "gateway", c->gateway, "created", c->created);
    kpod_json_set_str(j, "ipv6_subnet", c->subnet6);
    kpod_json_set_str(j, "ipv6_gateway", c->gateway6);
    json_object_set_new(j, "ipv6_enabled", json_boolean(c->subnet6 != NULL));
    return j;
}

/* Checks the IPv6 subnet/gateway and canonicalises them into c. */
static int
validate6(struct kpod_net_config *c, struct kpod_err **err)
{
    struct kpod_net_cidr sn, net, gw;
    if (c->subnet6 == NULL) {
        if (c->gateway6 != NULL)
            return kpod_err_input(err, "IPv6 gateway '%s' without an IPv6 subnet", c->gateway6);
        return 0;
    }
    if (kpod_net_cidr_parse(c->subnet6, true, &sn, err) < 0)
        return -1;
    if (sn.family != AF_INET6 || sn.prefix > 120 || sn.prefix < 64)
        return kpod_err_input(err, "invalid subnet '%s': want IPv6 with a prefix of 64-120",
                              c->subnet6);
    kpod_net_cidr_network(&sn, &net);
    char buf[64];
    free(c->subnet6);
    c->subnet6 = xstrdup(kpod_net_cidr_format(&net, true, buf, sizeof(buf)));
    if (c->gateway6 == NULL) {
        gw = net;
        gw.addr[15] |= 1;
        gw.prefix = 128;
        c->gateway6 = xstrdup(kpod_net_cidr_format(&gw, false, buf, sizeof(buf)));
    }
    if (kpod_net_cidr_parse(c->gateway6, false, &gw, err) < 0)
        return -1;
    if (!kpod_net_cidr_contains(&net, &gw) || memcmp(gw.addr, net.addr, 16) == 0)
        return kpod_err_input(err, "gateway '%s' is not a host address of subnet '%s'", c->gateway6,
                              c->subnet6);
    free(c->gateway6);
    c->gateway6 = xstrdup(kpod_net_cidr_format(&gw, false, buf, sizeof(buf)));
    return 0;
}

/* Checks subnet/gateway and canonicalises them into c. */
static int
validate(struct kpod_net_config *c, struct kpod_err **err)
{
    struct kpod_net_cidr sn, net, gw;
    if (!valid_name(c->name))
        return kpod_err_input(err,
                              "invalid network name '%s': want [a-zA-Z0-9][a-zA-Z0-9_.-]*, "
                              "at most 64 characters",
                              c->name);
    if (strcmp(c->driver, "bridge") != 0)
        return kpod_err_input(err, "network '%s': unsupported driver '%s'", c->name, c->driver);
    if (!kpod_net_valid_ifname(c->bridge) ||
        strspn(c->bridge, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789_.-") != strlen(c->bridge))
        return kpod_err_input(err,
                              "invalid interface name '%s': want at most 15 of "
                              "[a-zA-Z0-9_.-]",
                              c->bridge);
    if (kpod_net_cidr_parse(c->subnet, true, &sn, err) < 0)
        return -1;
    if (sn.family != AF_INET || sn.prefix > 30 || sn.prefix < 8)
        return kpod_err_input(err, "invalid subnet '%s': want IPv4 with a prefix of 8-30",
                              c->subnet);
    kpod_net_cidr_network(&sn, &net);
    char buf[64];
    free(c->subnet);
    c->subnet = xstrdup(kpod_net_cidr_format(&net, true, buf, sizeof(buf)));
    if (c->gateway == NULL) {
        gw = net;
        gw.addr[3] |= 1;
        gw.prefix = 32;
        c->gateway = xstrdup(kpod_net_cidr_format(&gw, false, buf, sizeof(buf)));
    }
    if (kpod_net_cidr_parse(c->gateway, false, &gw, err) < 0)
        return -1;
    if (!kpod_net_cidr_contains(&net, &gw))
        return kpod_err_input(err, "gateway '%s' is not in subnet '%s'", c->gateway, c->subnet);
    uint32_t host = ~0u >> net.prefix, g = 0;
    memcpy(&g, gw.addr, 4);
    g = ntohl(g) & host;
    if (g == 0 || g == host)
        return kpod_err_input(err, "gateway '%s' is the network or broadcast address of '%s'",
                              c->gateway, c->subnet);
    return validate6(c, err);
}

struct kpod_net_config *
kpod_net_config_from_json(const json_t *j, struct kpod_err **err)
{
    _cleanup_net_config_ struct kpod_net_config *c = xzalloc(sizeof(*c));
    const char *name = kpod_json_str(j, "name"), *subnet = kpod_json_str(j, "subnet");
    const char *bridge = kpod_json_str(j, "network_interface");
    if (name == NULL || subnet == NULL || bridge == NULL) {
        kpod_err_input(err, "network config: 'name', 'subnet' and 'network_interface' required");
        return NULL;
    }
    c->name = xstrdup(name);
    c->subnet = xstrdup(subnet);
    c->bridge = xstrdup(bridge);
    const char *s = kpod_json_str(j, "driver");
    c->driver = xstrdup(s != NULL ? s : "bridge");
    s = kpod_json_str(j, "gateway");
    c->gateway = s != NULL ? xstrdup(s) : NULL;
    s = kpod_json_str(j, "created");
    c->created = xstrdup(s != NULL ? s : "");
    s = kpod_json_str(j, "ipv6_subnet");
    c->subnet6 = s != NULL && *s != '\0' ? xstrdup(s) : NULL;
    s = kpod_json_str(j, "ipv6_gateway");
    c->gateway6 = s != NULL && *s != '\0' ? xstrdup(s) : NULL;
    c->id = name_id(name);
    if (validate(c, err) < 0)
        return NULL;
    return TAKE_PTR(c);
}

static char *
config_path(struct kpod_ctx *ctx, const char *name)
{
    return xasprintf("%s/networks/%s.json", ctx->root, name);
}

struct kpod_net_config *
kpod_net_config_load(struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    if (name == NULL || strcmp(name, KPOD_NET_DEFAULT) == 0)
        return default_config();
    if (!valid_name(name)) {
        kpod_err_input(err, "invalid network name '%s'", name);
        return NULL;
    }
    _cleanup_free_ char *path = config_path(ctx, name);
    if (!kpod_fs_exists(path)) {
        kpod_err_notfound(err, "network '%s': no such network", name);
        return NULL;
    }
    _cleanup_json_ json_t *j = kpod_json_load_file(path, 1 << 16, err);
    struct kpod_net_config *c = j != NULL ? kpod_net_config_from_json(j, err) : NULL;
    if (c == NULL)
        kpod_err_prefix(err, "network '%s'", name);
    return c;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct kpod_net_config **
kpod_net_config_list(struct kpod_ctx *ctx, size_t *ret_n, struct kpod_err **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/networks", ctx->root);
    _cleanup_strv_ char **names = NULL;
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (d == NULL && errno != ENOENT) {
        kpod_err_sys(err, "open '%s'", dir);
        return NULL;
    }
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0)
            kpod_strv_push_take(&names, xstrndup(e->d_name, n - 5));
    }
    size_t n = kpod_strv_len(names);
    if (n > 1)
        qsort(names, n, sizeof(char *), name_cmp);
    struct kpod_net_config **v = xcalloc(n + 1, sizeof(*v));
    v[0] = default_config();
    size_t k = 1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], KPOD_NET_DEFAULT) == 0)
            continue;
        v[k] = kpod_net_config_load(ctx, names[i], err);
        if (v[k] == NULL) {
            kpod_net_config_list_free(v, k);
            return NULL;
        }
        k++;
    }
    *ret_n = k;
    return v;
}

static int
check_conflicts(struct kpod_net_config **all, size_t n, const struct kpod_net_config *c,
                struct kpod_err **err)
{
    struct kpod_net_cidr a, b;
    kpod_net_cidr_parse(c->subnet, true, &a, NULL);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i]->name, c->name) == 0)
            return kpod_err_input(err, "network name '%s' already used", c->name);
        if (strcmp(all[i]->bridge, c->bridge) == 0)
            return kpod_err_input(err, "interface name '%s' already used by network '%s'",
                                  c->bridge, all[i]->name);
        _cleanup_free_ char *sys = xasprintf("/sys/class/net/%s", c->bridge);
        _cleanup_free_ char *br = xasprintf("/sys/class/net/%s/bridge", c->bridge);
        if (kpod_fs_exists(sys) && !kpod_fs_exists(br))
            return kpod_err_input(err, "interface '%s' exists on the host and is not a bridge",
                                  c->bridge);
        kpod_net_cidr_parse(all[i]->subnet, true, &b, NULL);
        if (kpod_net_cidr_overlaps(&a, &b))
            return kpod_err_input(err, "subnet '%s' overlaps network '%s' (%s)", c->subnet,
                                  all[i]->name, all[i]->subnet);
        if (c->subnet6 == NULL || all[i]->subnet6 == NULL)
            continue;
        struct kpod_net_cidr a6, b6;
        kpod_net_cidr_parse(c->subnet6, true, &a6, NULL);
        kpod_net_cidr_parse(all[i]->subnet6, true, &b6, NULL);
        if (kpod_net_cidr_overlaps(&a6, &b6))
            return kpod_err_input(err, "subnet '%s' overlaps network '%s' (%s)", c->subnet6,
                                  all[i]->name, all[i]->subnet6);
    }
    return 0;
}

/* A unique local /64 from the network's name: fdXX:XXXX:XXXX:XXXX::/64 (RFC 4193 style). */
static char *
ula_subnet(const char *name)
{
    char d[KPOD_DIGEST_STR_LEN];
    _cleanup_free_ char *key = xasprintf("kpod-network/%s", name);
    kpod_sha256_buf(key, strlen(key), d);
    return xasprintf("fd%.2s:%.4s:%.4s:%.4s::/64", d + 7, d + 9, d + 13, d + 17);
}

static char *
free_subnet(struct kpod_net_config **all, size_t n)
{
    for (unsigned k = 89; k < 256; k++)
        for (unsigned third = 0; third < 256; third++) {
            _cleanup_free_ char *s = xasprintf("10.%u.%u.0/24", k, third);
            struct kpod_net_cidr a, b;
            kpod_net_cidr_parse(s, true, &a, NULL);
            bool used = false;
            for (size_t i = 0; i < n && !used; i++) {
                kpod_net_cidr_parse(all[i]->subnet, true, &b, NULL);
                used = kpod_net_cidr_overlaps(&a, &b);
            }
            if (!used)
                return TAKE_PTR(s);
        }
    return NULL;
}

static char *
free_bridge(struct kpod_net_config **all, size_t n)
{
    for (unsigned k = 1; k < 10000; k++) {
        _cleanup_free_ char *b = xasprintf("kpod%u", k);
        _cleanup_free_ char *sys = xasprintf("/sys/class/net/%s", b);
        bool used = kpod_fs_exists(sys);
        for (size_t i = 0; i < n && !used; i++)
            used = strcmp(all[i]->bridge, b) == 0;
        if (!used)
            return TAKE_PTR(b);
    }
    return NULL;
}

static char *
now_rfc3339(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

struct kpod_net_config *
kpod_net_config_create(struct kpod_ctx *ctx, const struct kpod_net_create_args *a,
                       struct kpod_err **err)
{
    if (strcmp(a->name, "none") == 0 || strcmp(a->name, "host") == 0 ||
        strcmp(a->name, KPOD_NET_DEFAULT) == 0) {
        kpod_err_input(err, "network name '%s' is reserved", a->name);
        return NULL;
    }
    _cleanup_free_ char *dir = xasprintf("%s/networks", ctx->root);
    _cleanup_free_ char *lockp = xasprintf("%s/.lock", dir);
    if (kpod_fs_mkdir_p(dir, 0700, err) < 0)
        return NULL;
    _cleanup_lock_ int lock = kpod_lock_acquire(lockp, KPOD_LOCK_EXCLUSIVE, false, err);
    if (lock < 0)
        return NULL;
    size_t n = 0;
    struct kpod_net_config **all = kpod_net_config_list(ctx, &n, err);
    if (all == NULL)
        return NULL;
    _cleanup_net_config_ struct kpod_net_config *c = xzalloc(sizeof(*c));
    c->name = xstrdup(a->name);
    c->driver = xstrdup("bridge");
    c->subnet = a->subnet != NULL ? xstrdup(a->subnet) : free_subnet(all, n);
    c->bridge = a->bridge != NULL ? xstrdup(a->bridge) : free_bridge(all, n);
    c->gateway = a->gateway != NULL ? xstrdup(a->gateway) : NULL;
    c->subnet6 = a->subnet6 != NULL ? xstrdup(a->subnet6) : a->ipv6 ? ula_subnet(a->name) : NULL;
    c->gateway6 = a->gateway6 != NULL ? xstrdup(a->gateway6) : NULL;
    c->created = now_rfc3339();
    c->id = name_id(a->name);
    int r = c->subnet == NULL || c->bridge == NULL
                ? kpod_err_msg(err, "no free subnet or interface name left")
                : validate(c, err);
    if (r == 0)
        r = check_conflicts(all, n, c, err);
    kpod_net_config_list_free(all, n);
    if (r < 0)
        return NULL;
    _cleanup_json_ json_t *j = kpod_net_config_to_json(c);
    _cleanup_free_ char *path = config_path(ctx, c->name);
    if (kpod_json_save_file(path, j, true, 0600, err) < 0)
        return NULL;
    return TAKE_PTR(c);
}

int
kpod_net_config_remove(struct kpod_ctx *ctx, const char *name, bool force, struct kpod_err **err)
{
    if (strcmp(name, KPOD_NET_DEFAULT) == 0)
        return kpod_err_input(err, "network '%s': the default network cannot be removed", name);
    _cleanup_net_config_ struct kpod_net_config *c = kpod_net_config_load(ctx, name, err);
    if (c == NULL)
        return -1;
    int used = kpod_ipam_count(ctx, name, err);
    if (used < 0)
        return -1;
    if (used > 0 && !force)
        return kpod_err_invoke(err, "network '%s' is in use by %d pod address%s", name, used,
                               used == 1 ? "" : "es");
    if (kpod_net_network_down(ctx, c, force, err) < 0)
        return -1;
    _cleanup_free_ char *path = config_path(ctx, name);
    if (unlink(path) < 0 && errno != ENOENT)
        return kpod_err_sys(err, "remove '%s'", path);
    _cleanup_free_ char *rundir = xasprintf("%s/networks/%s", ctx->runroot, name);
    return kpod_fs_rm_rf(rundir, err);
}
