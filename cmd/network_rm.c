/* `kpod network rm NAME...`: removes named networks (their bridge and NAT rules too). */
#include "cli.h"
#include "network/network.h"

struct network_rm_opts {
    bool force;
};

static const struct kpod_opt network_rm_opts[] = {
    {"force", 'f', KPOD_OPT_BOOL, offsetof(struct network_rm_opts, force), NULL,
     "remove even while pods hold addresses in it", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_network_rm(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct network_rm_opts *o = data;
    for (int i = 0; i < argc; i++) {
        if (kpod_net_config_remove(ctx, argv[i], o->force, err) < 0)
            return kpod_err_prefix(err, "network rm");
        printf("%s\n", argv[i]);
    }
    return 0;
}

const struct kpod_cmd kpod_cmd_network_rm = {
    .name = "rm",
    .parent = "network",
    .aliases = "remove",
    .summary = "remove networks",
    .usage = "[options] NETWORK...",
    .opts = network_rm_opts,
    .opts_size = sizeof(struct network_rm_opts),
    .run = run_network_rm,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "networks",
};
