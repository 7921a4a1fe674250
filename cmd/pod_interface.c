/* `kpod pod interface`: network interfaces of a running pod. */
#include "cli.h"

const struct kpod_cmd kpod_cmd_pod_interface = {
    .name = "interface",
    .parent = "pod",
    .aliases = "iface",
    .summary = "add, remove and list the network interfaces of a running pod",
};
