/* Private to lib/container: the plan the parent prepares from a spec (everything validated and
 * resolved before clone, so the child only executes it), the sync protocol and the child's
 * steps. */
#pragma once

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "container/container.h"

/* Mount options → mount(2) arguments. */
struct mount_flags {
    unsigned long flags;       /* MS_RDONLY, MS_NOSUID, ... for the mount itself */
    unsigned long clear;       /* flags explicitly cleared (rw, suid, dev, exec, ...) */
    unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE (| MS_REC) */
    bool bind;
    bool recursive;
    char *data;     /* the rest, comma separated, for the filesystem; NULL if none */
    char **ignored; /* options kpod does not implement (tmpcopyup, ...), for a warning */
};
/* Parses OCI mount options. Unknown options go to data (the filesystem decides). */
void mount_flags_parse(char *const *options, struct mount_flags *ret);
void mount_flags_free(struct mount_flags *f);
/* Parses rootfsPropagation ("private", "rslave", ...) into MS_* | MS_REC; returns 0 or -1. */
int mount_propagation_parse(const char *s, unsigned long *ret);

struct mount_plan {
    const struct kpod_oci_mount *m;
    struct mount_flags f;
    char *source;       /* bind: absolute host path */
    bool source_is_dir; /* bind: what to create at the destination */
};

struct ns_join {
    int fd;
    int nstype; /* CLONE_NEW* */
    const char *path;
};

struct rlimit_plan {
    int resource;
    struct rlimit lim;
};

/* Capability sets as bit masks over cap numbers (0..63). */
struct caps_plan {
    bool present;
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct seccomp_prog {
    struct sock_filter *filter;
    unsigned short len;
    unsigned flags; /* SECCOMP_FILTER_FLAG_* */
};

struct plan {
    const struct kpod_oci_spec *spec;
    const struct kpod_oci_process *process;
    const char *id;
    char *rootfs;
    int clone_flags;   /* new namespaces created by clone (not cgroup) */
    bool new_cgroupns; /* unshared by the child once in its cgroup */
    bool new_mountns, new_utsns, own_utsns, new_netns, new_pidns, new_ipcns, new_userns;
    struct ns_join joins[8];
    size_t n_joins;
    int pidns_fd; /* a pid namespace to join (parent side), -1 */
    const struct kpod_container_overlay *overlay;
    struct mount_plan *mounts;
    size_t n_mounts;
    unsigned long root_propagation;
    bool has_root_propagation;
    struct rlimit_plan *rlimits;
    size_t n_rlimits;
    struct caps_plan caps;
    struct seccomp_prog seccomp; /* len 0: none */
    int preserve_fds;            /* fds 3 .. 3+N-1 stay open across exec */
    bool die_with_parent;
    /* Set in the child. */
    int rootfd;           /* the rootfs bind mount (O_PATH) */
    char **cgroup_v1;     /* v1 hierarchies of the process: name, path, name, path, ... */
    char *cgroup_self_v2; /* the process's cgroup2 path (no leading '/') */
    /* Set by the driver right before clone. */
    int sync_fd;
    int fifo_fd; /* O_PATH of the exec fifo (create), -1 for exec */
    int fifo_dirfd;
    int stdio[3];
};

/* plan.c */
int plan_init(struct plan *p, const struct kpod_oci_spec *spec, const char *bundle, const char *id,
              const char *seccomp_cache, struct kpod_err **err);
void plan_release(struct plan *p);
/* A signed CLONE_NEW* from an OCI namespace type, 0 if unknown. */
int ns_type_flag(const char *type);
/* Rlimits: name → resource; the value clamped to the caller's hard limit (warns). */
int rlimit_resource(const char *name);
int plan_rlimits(struct plan *p, const struct kpod_oci_process *proc, struct kpod_err **err);
/* Capabilities. */
int caps_plan_init(struct caps_plan *c, const struct kpod_oci_caps *caps, struct kpod_err **err);
/* Parses "CAP_SYS_ADMIN" (or "SYS_ADMIN", any case); returns the number or -1. */
int cap_from_name(const char *name);
/* Seccomp: builds a libseccomp filter from the spec. */
scmp_filter_ctx seccomp_build(const struct kpod_oci_seccomp *s, struct kpod_err **err);
/* The filter as a BPF program: from cache_dir when compiled before (NULL: no cache). */
int seccomp_prepare(const struct kpod_oci_seccomp *s, const char *cache_dir,
                    struct seccomp_prog *ret, struct kpod_err **err);
/* Loads it into the calling thread; returns 0 or -errno. */
int seccomp_apply(const struct seccomp_prog *p);
void seccomp_prog_free(struct seccomp_prog *p);

/* sync.c: the parent/child socket protocol (SOCK_SEQPACKET). */
enum sync_type {
    SYNC_GO = 1,     /* parent → child: cgroup set, proceed */
    SYNC_HOOKS,      /* child → parent: mounts done, run createRuntime/createContainer */
    SYNC_HOOKS_DONE, /* parent → child */
    SYNC_CONSOLE,    /* child → parent: pty master attached */
    SYNC_READY,      /* child → parent: created, waiting on the fifo / about to exec */
    SYNC_ERROR,      /* child → parent: kind, errno and message follow */
};
struct sync_msg {
    int32_t type;
    int32_t kind;
    int32_t errnum;
    char text[3000];
};
int sync_send(int fd, int type, int passfd);
int sync_send_err(int fd, const struct kpod_err *e);
/* Receives one message; *ret_fd gets a passed fd (or -1). Returns 0, or -1 on EOF/error. */
int sync_recv(int fd, struct sync_msg *m, int *ret_fd);
/* Sends a pty master to an OCI console socket (SCM_RIGHTS, the name as payload). */
int console_send(int sock, int master);
/* Turns an error message back into a kpod_err. */
int sync_to_err(const struct sync_msg *m, struct kpod_err **err);

/* child.c: runs in the cloned process; never returns. */
__attribute__((noreturn)) void child_main(struct plan *p);
/* process.c: the steps after the rootfs, shared with exec. */
int proc_setup_terminal(struct plan *p, bool console_bind, struct kpod_err **err);
int proc_setup_stdio(struct plan *p, struct kpod_err **err);
int proc_apply_rlimits(const struct plan *p, struct kpod_err **err);
/* Makes a missing working directory (after the pivot, before the root may turn read-only), as
 * runc and so Kubernetes do; `exec` does not. */
int proc_make_cwd(struct plan *p, struct kpod_err **err);
int proc_finalize(struct plan *p, struct kpod_err **err);
/* Execs the process (environ from the spec, PATH lookup in the container); on failure sets
 * *err (NOTFOUND/INVOKE) and returns -1. */
int proc_exec(const struct plan *p, struct kpod_err **err);
/* Writes the error for the starter (fifo) in the "kind errno message" form start reads. */
void proc_report_exec_error(int fd, const struct kpod_err *e);

/* rootfs.c */
int rootfs_prepare(struct plan *p, struct kpod_err **err);
int rootfs_pivot(struct plan *p, struct kpod_err **err);
int rootfs_finish(struct plan *p, struct kpod_err **err);
int rootfs_mask(struct plan *p, struct kpod_err **err);
/* overlay.c */
int rootfs_mount_overlay(const struct kpod_container_overlay *o, const char *target,
                         struct kpod_err **err);

/* create.c: the spec's device rules as the cgroup contract's allowlist (pure). */
char **devices_allowlist(const struct kpod_oci_spec *spec);

/* hooks.c */
int hooks_run_in_ns(const struct kpod_oci_spec *spec, enum kpod_oci_hook_kind kind,
                    const json_t *state, pid_t ns_pid, struct kpod_err **err);
