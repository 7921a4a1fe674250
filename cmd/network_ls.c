/* `kpod network ls`: the default network and the named ones. */
#include "cli.h"
#include "network/network.h"

#include <string.h>

struct network_ls_opts {
    char *format;
    bool quiet;
    bool no_trunc;
};

static const struct kpod_opt network_ls_opts[] = {
    {"format", 0, KPOD_OPT_STRING, offsetof(struct network_ls_opts, format), "FORMAT",
     "output format: table or json", "=json table", NULL, false},
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct network_ls_opts, quiet), NULL,
     "print only network names", NULL, NULL, false},
    {"no-trunc", 0, KPOD_OPT_BOOL, offsetof(struct network_ls_opts, no_trunc), NULL,
     "do not truncate network IDs", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_network_ls(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct network_ls_opts *o = data;
    bool json = o->format != NULL && strcmp(o->format, "json") == 0;
    if (o->format != NULL && !json && strcmp(o->format, "table") != 0)
        return kpod_err_usage(err, "network ls: unknown format '%s': want json or table",
                              o->format);
    size_t n = 0;
    struct kpod_net_config **v = kpod_net_config_list(ctx, &n, err);
    if (v == NULL)
        return kpod_err_prefix(err, "network ls");
    if (json) {
        _cleanup_json_ json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, kpod_net_config_to_json(v[i]));
        _cleanup_free_ char *s = kpod_json_dumps(a, true);
        printf("%s\n", s);
    } else if (o->quiet) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", v[i]->name);
    } else {
        printf("%-*s  %-16s  %-8s  %-10s  %-18s  %s\n", o->no_trunc ? 64 : 12, "NETWORK ID", "NAME",
               "DRIVER", "INTERFACE", "SUBNET", "GATEWAY");
        for (size_t i = 0; i < n; i++)
            printf("%-*.*s  %-16s  %-8s  %-10s  %-18s  %s\n", o->no_trunc ? 64 : 12,
                   o->no_trunc ? 64 : 12, v[i]->id, v[i]->name, v[i]->driver, v[i]->bridge,
                   v[i]->subnet, v[i]->gateway);
    }
    kpod_net_config_list_free(v, n);
    return 0;
}

const struct kpod_cmd kpod_cmd_network_ls = {
    .name = "ls",
    .parent = "network",
    .aliases = "list",
    .summary = "list networks",
    .opts = network_ls_opts,
    .opts_size = sizeof(struct network_ls_opts),
    .run = run_network_ls,
    .max_args = 0,
};
