/* `kpod network create [NAME]`: a named bridge network. */
#include "cli.h"
#include "network/network.h"

#include <string.h>

struct network_create_opts {
    char *subnet;
    char *gateway;
    char *interface_name;
    char *driver;
};

static const struct kpod_opt network_create_opts[] = {
    {"subnet", 0, KPOD_OPT_STRING, offsetof(struct network_create_opts, subnet), "CIDR",
     "IPv4 subnet (default: the first free 10.89.N.0/24)", NULL, NULL, false},
    {"gateway", 0, KPOD_OPT_STRING, offsetof(struct network_create_opts, gateway), "IP",
     "gateway address (default: the first address of the subnet)", NULL, NULL, false},
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

static int
run_network_create(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct network_create_opts *o = data;
    if (o->driver != NULL && strcmp(o->driver, "bridge") != 0)
        return kpod_err_usage(err, "network create: unsupported driver '%s': want bridge",
                              o->driver);
    _cleanup_free_ char *name = argc > 0 ? xstrdup(argv[0]) : free_name(ctx);
    struct kpod_net_create_args a = {
        .name = name, .subnet = o->subnet, .gateway = o->gateway, .bridge = o->interface_name};
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
