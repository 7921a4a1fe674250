/* `kpod system`: housekeeping. */
#include "cli.h"

const struct kpod_cmd kpod_cmd_system = {
    .name = "system",
    .summary = "housekeeping: prune and reset",
};
