/* lib/container: kpod's OCI runtime engine. The parent side creates a container process from an
 * OCI spec in two phases, like an OCI runtime: create (namespaces, cgroup, rootfs, mounts,
 * devices, user, capabilities; the process then waits on an exec fifo) and start (the fifo is
 * opened, the process execs). Errors of the child reach the parent with their real cause
 * ("exec '/bin/nosuch': No such file or directory", kind NOTFOUND → exit 127). Also: OCI hooks,
 * signals and stop with a grace period, the runtime state file, and exec into a running
 * container (setns). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/oci.h"
#include "util/util.h"

/* Exit status conventions of a container process that could not be started. */
#define KPOD_CONTAINER_EXIT_CANNOT_INVOKE 126
#define KPOD_CONTAINER_EXIT_NOT_FOUND 127

/* An overlayfs root (the image's layers): mounted on root.path by the container's own process,
 * in its mount namespace, so it disappears with the container. */
struct kpod_container_overlay {
    char *const *lowers; /* top-most first, NULL-terminated */
    const char *upper;   /* NULL (and work NULL): a read-only overlay */
    const char *work;
};
/* The classic mount(2) option string for o, with ':', ',' and '\' escaped (pure). */
char *kpod_container_overlay_data(const struct kpod_container_overlay *o);

struct kpod_container_opts {
    const char *id;                   /* the container id, also in error messages */
    const char *bundle;               /* absolute bundle dir; root.path is relative to it */
    const struct kpod_oci_spec *spec; /* must outlive the call only */
    const char *state_dir;            /* a private directory for the exec fifo */
    /* stdio of the process when not a terminal (-1: inherit the caller's). */
    int stdio[3];
    /* With process.terminal: a connected unix socket that receives the pty master (SCM_RIGHTS,
     * the OCI --console-socket protocol); -1: the master is returned in console_fd. */
    int console_socket;
    /* The cgroup, relative to each hierarchy's root; NULL: linux.cgroupsPath, or
     * "kpod-runtime-<id>" when that is unset too. */
    const char *cgroup_path;
    bool no_cgroup; /* do not create or join any cgroup (tests, nested setups) */
    const struct kpod_container_overlay *overlay; /* NULL: root.path is ready as it is */
    const char *seccomp_cache; /* compiled seccomp programs are kept here; NULL: none */
};

/* A created container as the parent sees it. */
struct kpod_container {
    char *id;
    pid_t pid;                    /* in the caller's pid namespace */
    unsigned long long starttime; /* of pid (/proc/pid/stat), to detect pid reuse */
    int console_fd;               /* pty master when returned to the caller, else -1 */
    char *cgroup_path;            /* NULL with no_cgroup */
    char *fifo_path;
    char *rootfs; /* absolute */
};

void kpod_container_free(struct kpod_container *c);
KPOD_DEFINE_CLEANUP(struct kpod_container, kpod_container_free)
#define _cleanup_container_ _cleanup_(kpod_cleanup_kpod_container_free)

/* Creates the container: on success its process waits on <state_dir>/exec.fifo. The prestart,
 * createRuntime and createContainer hooks have run. On failure nothing is left (process killed,
 * cgroup removed, fifo deleted).
 * Semantics worth knowing: process.capabilities absent leaves root's capabilities as they are
 * (as runc does); rlimits above the caller's hard limit are lowered to it with a warning; HOME
 * comes from the container's /etc/passwd when env has none; a new user namespace needs every
 * other namespace new too; the first process of a new pid namespace only gets the signals it
 * handles. */
int kpod_container_create(const struct kpod_container_opts *o, struct kpod_container **ret,
                          struct kpod_err **err);

/* Releases a created container by its fifo: the process (pid, starttime) execs. Returns 0 once
 * the exec succeeded, or -1 with the child's error (exec not found: NOTFOUND; not executable:
 * INVOKE; the process died meanwhile: INVOKE). The fifo is removed either way. */
int kpod_container_start(const char *fifo_path, pid_t pid, unsigned long long starttime,
                         struct kpod_err **err);

/* Process liveness and identity. */
unsigned long long kpod_container_proc_starttime(pid_t pid);
/* True when pid is alive, not a zombie, and (starttime != 0) has that start time. */
bool kpod_container_proc_alive(pid_t pid, unsigned long long starttime);

/* Sends sig to the container's init, or with all to every process of its cgroup (falls back to
 * init when there is no cgroup). Checks starttime against pid reuse. */
int kpod_container_kill(pid_t pid, unsigned long long starttime, const char *cgroup_path, int sig,
                        bool all, struct kpod_err **err);
/* Sends sig, waits up to timeout seconds for init to exit, then SIGKILLs everything.
 * Returns 1 when the grace period ran out and SIGKILL was needed, 0 otherwise. */
int kpod_container_stop(pid_t pid, unsigned long long starttime, const char *cgroup_path, int sig,
                        int timeout, struct kpod_err **err);

/* The OCI state object {ociVersion, id, status, pid, bundle, annotations}. */
json_t *kpod_container_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
                                  const struct kpod_oci_spec *spec);
/* Runs the hooks of one kind in order with the state JSON on stdin; each is killed after its
 * timeout. The first failure stops and is returned (with the hook's stderr). */
int kpod_container_run_hooks(const struct kpod_oci_spec *spec, enum kpod_oci_hook_kind kind,
                             const json_t *state, struct kpod_err **err);

/* Parses a signal name or number: "TERM", "SIGTERM", "15", "KILL". Returns 0 or -1. */
int kpod_container_parse_signal(const char *s, int *ret);
/* The exit code convention of a waitpid status: code, or 128 + signal. */
int kpod_container_exit_code(int wstatus);

/* Exec into a running container (for `kpod exec`). */
struct kpod_container_exec_opts {
    pid_t pid;                              /* the container's init */
    const struct kpod_oci_process *process; /* args, env, cwd, user, caps, rlimits, NNP, ... */
    const struct kpod_oci_seccomp *seccomp; /* NULL: none */
    const char *cgroup_path;                /* joined when set */
    int stdio[3];                           /* -1: inherit */
    int console_socket;                     /* with process->terminal, as in create */
    const char *apparmor_profile;           /* reserved, must be NULL */
    const char *seccomp_cache;              /* as in kpod_container_opts */
    bool die_with_caller; /* SIGKILL the process when the caller dies (PR_SET_PDEATHSIG) */
    int preserve_fds;     /* pass on fds 3 .. 3+N-1 of the caller */
};
/* Forks a process that joins the namespaces of o->pid (user first, mount last; only those that
 * differ from the caller's), its cgroup, applies the process settings and execs. Returns once the
 * exec succeeded (or failed, with the child's error: NOTFOUND 127 / INVOKE 126); *ret_pid is a
 * child of the caller to waitpid for, and *ret_console the pty master when terminal and no console
 * socket (else -1). */
int kpod_container_exec(const struct kpod_container_exec_opts *o, pid_t *ret_pid, int *ret_console,
                        struct kpod_err **err);

/* Runtime state of `kpod runtime` (and anything else that wants an OCI-runtime-like store):
 * <dir>/state.json written atomically under <dir>/lock. */
struct kpod_container_state {
    char *id;
    char *bundle;
    char *rootfs;
    pid_t pid;
    unsigned long long starttime;
    char *cgroup_path; /* NULL: none */
    char *created;     /* RFC 3339 */
    bool started;      /* start was called */
    json_t *annotations;
};
void kpod_container_state_free(struct kpod_container_state *s);
KPOD_DEFINE_CLEANUP(struct kpod_container_state, kpod_container_state_free)
#define _cleanup_container_state_ _cleanup_(kpod_cleanup_kpod_container_state_free)
int kpod_container_state_save(const char *dir, const struct kpod_container_state *s,
                              struct kpod_err **err);
struct kpod_container_state *kpod_container_state_load(const char *dir, struct kpod_err **err);
/* "created", "running" or "stopped", from the process and the fifo. */
const char *kpod_container_state_status(const char *dir, const struct kpod_container_state *s);
