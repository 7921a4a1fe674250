/* `kpod pod`: the group of pod commands. */
#include "cli.h"

const struct kpod_cmd kpod_cmd_pod = {
    .name = "pod",
    .summary = "manage pods",
    .description = "Pods are created by 'kpod play' from Kubernetes YAML; these commands list, "
                   "inspect, stop, start, pause and remove them.",
};
