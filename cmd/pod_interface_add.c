/* `kpod pod interface add POD`: a new interface in a running pod's network namespace — a veth
 * on a network's bridge, or a host device moved in; addresses, MTU, up; rolled back on failure
 * and recorded in the pod state. */
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network/network.h"

struct pod_iface_add_opts {
    char *name;
    char *mac;
    char **ips;
    long long mtu;
    char *network;
    char *link;
    char *file;
    char *format;
};

static const struct kpod_opt pod_iface_add_opts[] = {
    {"name", 0, KPOD_OPT_STRING, offsetof(struct pod_iface_add_opts, name), "NAME",
     "the interface's name in the pod (default: the first free ethN)", NULL, NULL, false},
    {"mac", 0, KPOD_OPT_STRING, offsetof(struct pod_iface_add_opts, mac), "MAC",
     "its hardware address (default: random)", NULL, NULL, false},
    {"ip", 0, KPOD_OPT_STRV, offsetof(struct pod_iface_add_opts, ips), "CIDR",
     "an address with its prefix (default: one from the network)", NULL, NULL, false},
    {"mtu", 0, KPOD_OPT_INT, offsetof(struct pod_iface_add_opts, mtu), "N", "the MTU", NULL, "0",
     false},
    {"network", 0, KPOD_OPT_STRING, offsetof(struct pod_iface_add_opts, network), "NAME",
     "a veth whose host end joins this network's bridge (default: the pod's network)", "networks",
     NULL, false},
    {"link", 0, KPOD_OPT_STRING, offsetof(struct pod_iface_add_opts, link), "HOSTDEV",
     "move this host device into the pod instead", NULL, NULL, false},
    {"file", 0, KPOD_OPT_STRING, offsetof(struct pod_iface_add_opts, file), "FILE",
     "the interface as Kata Interface JSON (- for standard input)", "file", NULL, false},
    {"format", 0, KPOD_OPT_STRING, offsetof(struct pod_iface_add_opts, format), "FORMAT",
     "output format: json or table", "=json table", NULL, false},
    KPOD_OPTS_END,
};

struct add_data {
    struct kpod_net_iface_add_args args;
    bool json;
};

static int
add(struct kpod_ctx *ctx, struct kpod_net_result *r, void *data, struct kpod_err **err)
{
    struct add_data *d = data;
    if (d->args.network == NULL && d->args.link == NULL)
        d->args.network = r->network;
    if (kpod_net_result_iface_add(ctx, r, &d->args, err) < 0)
        return -1;
    kpod_cmd_print_ifaces(&r->ifaces[r->n_ifaces - 1], 1, d->json);
    return 0;
}

/* --file: Kata's Interface {device, name, IPAddresses[{family, address, mask}], mtu, hwAddr} */
static int
from_file(const char *file, struct kpod_net_iface *ret, char ***ret_ips, struct kpod_err **err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (strcmp(file, "-") == 0) {
        size_t cap = 0;
        char chunk[4096];
        ssize_t n;
        while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0) {
            xgrow((void **)&buf, &cap, len + (size_t)n + 1, 1);
            memcpy(buf + len, chunk, (size_t)n);
            len += (size_t)n;
        }
        if (buf == NULL)
            buf = xstrdup("");
    } else if (kpod_fs_read_file(file, 1 << 20, &buf, &len, err) < 0) {
        return -1;
    }
    _cleanup_json_ json_t *j = kpod_json_loadb(buf, len, file, err);
    if (j == NULL || kpod_net_iface_from_json(j, ret, err) < 0)
        return -1;
    for (size_t i = 0; i < ret->n_addrs; i++)
        kpod_strv_push_take(ret_ips,
                            xasprintf("%s/%u", ret->addrs[i].address, ret->addrs[i].prefix));
    return 0;
}

static int
run_pod_iface_add(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_iface_add_opts *o = data;
    struct add_data d = {0};
    if (kpod_cmd_format_json(o->format, "pod interface add", &d.json, err) < 0)
        return -1;
    if (o->mtu < 0 || o->mtu > 65535)
        return kpod_err_usage(err, "pod interface add: invalid MTU %lld", o->mtu);
    if (o->network != NULL && o->link != NULL)
        return kpod_err_usage(err, "pod interface add: --network and --link exclude each other");
    _cleanup_free_ char *id = NULL;
    if (kpod_cmd_pod_id(ctx, argv[0], &id, err) < 0)
        return -1;
    struct kpod_net_iface fromfile = {0};
    _cleanup_strv_ char **ips = kpod_strv_dup(o->ips);
    if (o->file != NULL && from_file(o->file, &fromfile, &ips, err) < 0)
        return kpod_err_prefix(err, "pod interface add");
    d.args = (struct kpod_net_iface_add_args){
        .pod_id = id,
        .name = o->name ? o->name : fromfile.name,
        .mac = o->mac ? o->mac : fromfile.hwaddr,
        .ips = ips,
        .mtu = o->mtu ? (unsigned)o->mtu : fromfile.mtu,
        .network = o->network,
        .link = o->link,
        .noarp = fromfile.noarp,
    };
    int rc = kpod_sandbox_with_network(ctx, id, true, add, &d, err);
    kpod_net_iface_clear(&fromfile);
    return rc < 0 ? kpod_err_prefix(err, "pod interface add '%s'", argv[0]) : 0;
}

const struct kpod_cmd kpod_cmd_pod_interface_add = {
    .name = "add",
    .parent = "pod interface",
    .summary = "add a network interface to a running pod",
    .usage = "[options] POD",
    .opts = pod_iface_add_opts,
    .opts_size = sizeof(struct pod_iface_add_opts),
    .run = run_pod_iface_add,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "pods",
};
