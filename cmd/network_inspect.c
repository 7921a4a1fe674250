/* `kpod network inspect NAME...`: configuration and address use as JSON. */
#include "cli.h"
#include "network/network.h"

#include <string.h>

struct network_inspect_opts {
    char *format;
};

static const struct kpod_opt network_inspect_opts[] = {
    {"format", 'f', KPOD_OPT_STRING, offsetof(struct network_inspect_opts, format), "FORMAT",
     "output format: json", "=json", NULL, false},
    KPOD_OPTS_END,
};

static int
run_network_inspect(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct network_inspect_opts *o = data;
    if (o->format != NULL && strcmp(o->format, "json") != 0)
        return kpod_err_usage(err, "network inspect: unknown format '%s': want json", o->format);
    _cleanup_json_ json_t *a = json_array();
    for (int i = 0; i < argc; i++) {
        _cleanup_net_config_ struct kpod_net_config *c = kpod_net_config_load(ctx, argv[i], err);
        if (c == NULL)
            return kpod_err_prefix(err, "network inspect");
        json_t *j = kpod_net_config_to_json(c);
        int used = kpod_ipam_count(ctx, c->name, err);
        if (used < 0) {
            json_decref(j);
            return kpod_err_prefix(err, "network inspect '%s'", argv[i]);
        }
        kpod_json_set_int(j, "allocated_addresses", used);
        json_array_append_new(a, j);
    }
    _cleanup_free_ char *s = kpod_json_dumps(a, true);
    printf("%s\n", s);
    return 0;
}

const struct kpod_cmd kpod_cmd_network_inspect = {
    .name = "inspect",
    .parent = "network",
    .summary = "show networks as JSON",
    .usage = "[options] NETWORK...",
    .opts = network_inspect_opts,
    .opts_size = sizeof(struct network_inspect_opts),
    .run = run_network_inspect,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "networks",
};
