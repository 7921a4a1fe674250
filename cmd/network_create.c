/* `kpod network create [NAME]`: a named bridge network. */
#include "cli.h"
#include "network/network.h"

#include <arpa/inet.h>
#include <string.h>

struct network_create_opts {
    char **subnet;
    char **gateway;
    bool ipv6;
    char *interface_name;
    char *driver;
};

static const struct kpod_opt network_create_opts[] = {
    {"subnet", 0, KPOD_OPT_STRV, offsetof(struct network_create_opts, subnet), "CIDR",
     "IPv4 subnet (default: the first free 10.89.N.0/24); repeat with an IPv6 one for dual stack",
     NULL, NULL, false},
    {"gateway", 0, KPOD_OPT_STRV, offsetof(struct network_create_opts, gateway), "IP",
     "gateway of a subnet (default: its first address)", NULL, NULL, false},
    {"ipv6", 0, KPOD_OPT_BOOL, offsetof(struct network_create_opts, ipv6), NULL,
     "dual stack; without an IPv6 --subnet a unique local fdXX:...::/64 is chosen", NULL, NULL,
     false},
    {"interface-name", 0, KPOD_OPT_STRING, offsetof(struct network_create_opts, interface_name),
     "NAME", "bridge name on the host (default: the first free kpodN)", NULL, NULL, false},
    {"driver", 'd', KPOD_OPT_STRING, offsetof(struct network_create_opts, driver), "DRIVER",
     "network driver: bridge", "=bridge", "bridge", false},
    KPOD_OPTS_END,
};

static char *
free_name(struct kpod_ctx *ctx)
{
    for (unsigned k = 1;; k++) {
        char *n = xasprintf("kpod%u", k);
        struct kpod_net_config *c = kpod_net_config_load(ctx, n, NULL);
        if (c == NULL)
            return n;
        kpod_net_config_free(c);
        free(n);
    }
}

/* Sorts repeated --subnet/--gateway values into IPv4 and IPv6, at most one of each. */
static int
by_family(char **v, bool cidr, const char **ret4, const char **ret6, struct kpod_err **err)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
        struct kpod_net_cidr c;
        if (kpod_net_cidr_parse(v[i], cidr, &c, err) < 0)
            return -1;
        const char **slot = c.family == AF_INET ? ret4 : ret6;
        if (*slot != NULL)
            return kpod_err_usage(err, "more than one IPv%d %s", c.family == AF_INET ? 4 : 6,
                                  cidr ? "subnet" : "gateway");
        *slot = v[i];
    }
    return 0;
}

static int
run_network_create(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct network_create_opts *o = data;
    if (o->driver != NULL && strcmp(o->driver, "bridge") != 0)
        return kpod_err_usage(err, "network create: unsupported driver '%s': want bridge",
                              o->driver);
    _cleanup_free_ char *name = argc > 0 ? xstrdup(argv[0]) : free_name(ctx);
    struct kpod_net_create_args a = {.name = name, .bridge = o->interface_name, .ipv6 = o->ipv6};
    if (by_family(o->subnet, true, &a.subnet, &a.subnet6, err) < 0 ||
        by_family(o->gateway, false, &a.gateway, &a.gateway6, err) < 0)
        return kpod_err_prefix(err, "network create");
    if (a.subnet6 != NULL)
        a.ipv6 = true;
    _cleanup_net_config_ struct kpod_net_config *c = kpod_net_config_create(ctx, &a, err);
    if (c == NULL)
        return kpod_err_prefix(err, "network create");
    printf("%s\n", c->name);
    return 0;
}

const struct kpod_cmd kpod_cmd_network_create = {
    .name = "create",
    .parent = "network",
    .summary = "create a bridge network",
    .usage = "[options] [NAME]",
    .opts = network_create_opts,
    .opts_size = sizeof(struct network_create_opts),
    .run = run_network_create,
    .max_args = 1,
};
