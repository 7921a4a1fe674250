/* `kpod factory`: the group of warm pool commands (seed-semantics §8, Kata's VM factory). */
#include "cli.h"

const struct kpod_cmd kpod_cmd_factory = {
    .name = "factory",
    .summary = "manage the warm pool of pre-created sandboxes",
    .description = "A pool of sandboxes made ahead of time up to, but not including, their "
                   "containers (cgroup, network namespace with its address, infra, /dev/shm, an "
                   "idle monitor). 'kpod play' adopts one for a pod that fits and refills the "
                   "pool in the background.",
};
