/* Files and paths: atomic writes, bounded reads, directory helpers, and path resolution that
 * never leaves a root directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

/* Writes data to path atomically: a temp file in the same directory, fsync, rename, then fsync
 * of the directory. Readers see the old or the new content, never a mix. */
int kpod_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct kpod_err **err);

/* Reads a whole file of at most max bytes; *ret_buf is NUL-terminated. */
int kpod_fs_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len,
                      struct kpod_err **err);

/* Writes all of buf to fd, retrying on EINTR and short writes. */
int kpod_fs_write_all(int fd, const void *buf, size_t len);
/* Reads up to len bytes, retrying on EINTR and short reads; returns bytes read or -1. */
ssize_t kpod_fs_read_all(int fd, void *buf, size_t len);

/* mkdir -p with mode for created components; existing directories are fine. */
int kpod_fs_mkdir_p(const char *path, mode_t mode, struct kpod_err **err);
/* rm -rf; a missing path is fine. Does not cross mount points or follow symlinks. */
int kpod_fs_rm_rf(const char *path, struct kpod_err **err);
bool kpod_fs_exists(const char *path);

/* Joins root and an untrusted relative or absolute path lexically: "..", "." and repeated
 * slashes are folded and the result never rises above root. Symlinks are not resolved (use
 * kpod_fs_openat_in_root for that). Returns a new string. */
char *kpod_fs_join_in_root(const char *root, const char *path);

/* Opens path relative to the directory rootfd as if rootfd were "/": absolute symlinks and
 * ".." resolve inside it (openat2 RESOLVE_IN_ROOT). Returns an fd or -1 with *err set. */
int kpod_fs_openat_in_root(int rootfd, const char *path, int flags, mode_t mode,
                           struct kpod_err **err);

/* Creates the directories of path inside rootfd (each component resolved in the root, never
 * through a symlink that leaves it) and returns an O_PATH|O_DIRECTORY fd of the last. */
int kpod_fs_mkdirat_in_root(int rootfd, const char *path, mode_t mode, struct kpod_err **err);

/* Finds kpod's helper program name (kpod-monitor, kpod-infra): $KPOD_HELPER_DIR/name, then
 * beside the kpod binary self, then self's ../libexec/kpod/name. NULL when none is executable. */
char *kpod_fs_helper_path(const char *self, const char *name);
