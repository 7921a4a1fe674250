/* `kpod pod interface rm POD (--mac MAC | --name NAME)`: remove an interface from a running pod. */
#include "common.h"

#include "network/network.h"

struct pod_iface_rm_opts {
    char *mac;
    char *name;
};

static const struct kpod_opt pod_iface_rm_opts[] = {
    {"mac", 0, KPOD_OPT_STRING, offsetof(struct pod_iface_rm_opts, mac), "MAC",
     "the interface by hardware address", NULL, NULL, false},
    {"name", 0, KPOD_OPT_STRING, offsetof(struct pod_iface_rm_opts, name), "NAME",
     "the interface by name", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
rm(struct kpod_ctx *ctx, struct kpod_net_result *r, void *data, struct kpod_err **err)
{
    struct pod_iface_rm_opts *o = data;
    return kpod_net_result_iface_remove(ctx, r, o->mac, o->name, err);
}

static int
run_pod_iface_rm(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_iface_rm_opts *o = data;
    if ((o->mac == NULL) == (o->name == NULL))
        return kpod_err_usage(err, "pod interface rm: give --mac or --name");
    _cleanup_free_ char *id = NULL;
    if (kpod_cmd_pod_id(ctx, argv[0], &id, err) < 0)
        return -1;
    if (kpod_sandbox_with_network(ctx, id, true, rm, o, err) < 0)
        return kpod_err_prefix(err, "pod interface rm '%s'", argv[0]);
    return 0;
}

const struct kpod_cmd kpod_cmd_pod_interface_rm = {
    .name = "rm",
    .parent = "pod interface",
    .summary = "remove a network interface from a running pod",
    .usage = "(--mac MAC | --name NAME) POD",
    .opts = pod_iface_rm_opts,
    .opts_size = sizeof(struct pod_iface_rm_opts),
    .run = run_pod_iface_rm,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "pods",
};
