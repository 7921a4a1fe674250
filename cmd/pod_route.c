/* `kpod pod route`: the route table of a running pod. */
#include "cli.h"

const struct kpod_cmd kpod_cmd_pod_route = {
    .name = "route",
    .parent = "pod",
    .summary = "list and replace the routes of a running pod",
};
