/* flock(2) locks on lock files: shared for readers, exclusive for writers. */
#pragma once

#include <stdbool.h>

#include "util/err.h"

enum kpod_lock_mode {
    KPOD_LOCK_SHARED,
    KPOD_LOCK_EXCLUSIVE,
};

/* Opens (creating) path and locks it; blocks unless nonblock. Returns the fd holding the lock,
 * or -1 with *err set (kind INVOKE and errno EWOULDBLOCK when nonblock and the lock is held). */
int kpod_lock_acquire(const char *path, enum kpod_lock_mode mode, bool nonblock,
                      struct kpod_err **err);
/* Changes the mode of a held lock (not atomic, as flock(2) says). */
int kpod_lock_change(int fd, enum kpod_lock_mode mode, struct kpod_err **err);
/* Unlocks and closes; accepts -1. */
void kpod_lock_release(int fd);

static inline void
kpod_lock_releasep(int *fd)
{
    kpod_lock_release(*fd);
}
#define _cleanup_lock_ __attribute__((cleanup(kpod_lock_releasep)))
