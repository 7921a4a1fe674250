/* `kpod generate`: the group of commands that write what kpod runs back out. */
#include "cli.h"

const struct kpod_cmd kpod_cmd_generate = {
    .name = "generate",
    .summary = "generate structured data from the pods kpod runs",
    .description = "Writes the pods kpod runs back out: 'kpod generate kube' prints the "
                   "Kubernetes YAML of pods.",
};
