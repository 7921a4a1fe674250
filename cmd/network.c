/* `kpod network`: the group of named bridge networks (ls, inspect, create, rm). */
#include "cli.h"

const struct kpod_cmd kpod_cmd_network = {
    .name = "network",
    .summary = "manage pod networks",
    .description = "Named bridge networks a pod can join with --network. The default network "
                   "'kpod' (bridge kpod0, 10.88.0.0/16) always exists.",
};
