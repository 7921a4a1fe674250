/* lib/sandbox: the pod state machine, persisted state, locking, lookup and the undo list that
 * the play pipeline is built on (seed-semantics §1). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/* The seed's four states (seed-semantics §1.2). */
enum kpod_state {
    KPOD_STATE_READY = 0,
    KPOD_STATE_RUNNING,
    KPOD_STATE_PAUSED,
    KPOD_STATE_STOPPED,
};

const char *kpod_state_name(enum kpod_state s);
int kpod_state_parse(const char *s, enum kpod_state *ret);
/* The exact transition table: ready→running|stopped, running→paused|stopped,
 * paused→running|stopped, stopped→running. */
bool kpod_state_can_move(enum kpod_state from, enum kpod_state to);
/* Checks cur == expected_from and the move; errors like the seed's, with kind INVOKE (126). */
int kpod_state_transition(enum kpod_state cur, enum kpod_state from, enum kpod_state to,
                          const char *what, struct kpod_err **err);

/* Container operations and their preconditions (seed-semantics §1.2 table). */
enum kpod_ctr_op {
    KPOD_CTR_OP_START,
    KPOD_CTR_OP_STOP,
    KPOD_CTR_OP_DELETE,
    KPOD_CTR_OP_ENTER,
    KPOD_CTR_OP_WAIT,
    KPOD_CTR_OP_SIGNAL,
    KPOD_CTR_OP_UPDATE,
    KPOD_CTR_OP_PAUSE,
    KPOD_CTR_OP_RESUME,
    KPOD_CTR_OP_STATS,
    KPOD_CTR_OP_TOP,
};
/* Returns 0 when op is allowed with the pod in pod_state and the container in ctr_state; else
 * -1 with an INVOKE error naming the container and its state. */
int kpod_ctr_op_check(enum kpod_ctr_op op, enum kpod_state pod_state, enum kpod_state ctr_state,
                      const char *ctr_name, struct kpod_err **err);

struct kpod_ctr_state {
    char *id;   /* 64 hex */
    char *name; /* the manifest's container name */
    char *image;
    bool init; /* an init container */
    enum kpod_state state;
    pid_t pid;
    uint64_t pid_start; /* /proc/PID/stat start time, to detect pid reuse */
    int exit_code;      /* -1 while unknown */
    bool oom_killed;
    int restart_count;
    int64_t created_ns, started_ns, finished_ns; /* since the epoch, 0 unset */
    char *cgroup;                                /* relative cgroup path */
    char *bundle;                                /* directory with config.json */
    json_t *extra; /* fields owned by other modules (runtime, logs, probes), kept verbatim */
};

struct kpod_pod_state {
    char *id;
    char *name;
    char *ns; /* metadata.namespace */
    enum kpod_state state;
    int64_t created_ns;
    char *restart_policy; /* Always, OnFailure, Never */
    char *cgroup;
    char *netns; /* path of the pinned netns, NULL with hostNetwork */
    pid_t infra_pid, monitor_pid;
    uint64_t infra_start, monitor_start;
    json_t *labels, *annotations; /* objects of strings */
    json_t *network;              /* lib/network's result, persisted verbatim */
    char **mounts;                /* mount points to undo, in creation order */
    struct kpod_ctr_state *ctrs;
    size_t nctrs;
    json_t *extra;
};

void kpod_pod_state_free(struct kpod_pod_state *p);
json_t *kpod_pod_state_to_json(const struct kpod_pod_state *p);
struct kpod_pod_state *kpod_pod_state_from_json(const json_t *j, struct kpod_err **err);
/* Appends a container with a new id; the pointer is valid until the next add (the array moves). */
struct kpod_ctr_state *kpod_pod_state_add_ctr(struct kpod_pod_state *p, const char *name);
struct kpod_ctr_state *kpod_pod_state_find_ctr(struct kpod_pod_state *p, const char *name_or_id);
/* podman's user-facing status: Created, Running, Degraded, Paused, Exited, Stopped. */
const char *kpod_pod_status(const struct kpod_pod_state *p);

/* The start time of a process (field 22 of /proc/PID/stat), 0 when it does not exist. */
uint64_t kpod_proc_start_time(pid_t pid);
/* True when pid runs and is the same process (start time matches). */
bool kpod_proc_alive(pid_t pid, uint64_t start);

/* The store: pods under RUNROOT/pods/<id>/ (pod.json, lock), names in RUNROOT/names/<name>
 * (a file holding the id, created under the global lock RUNROOT/kpod.lock). */
struct kpod_store {
    char *runroot;
    char *root;
};

int kpod_store_init(struct kpod_store *s, const struct kpod_ctx *ctx, struct kpod_err **err);
void kpod_store_fini(struct kpod_store *s);
char *kpod_store_pod_dir(const struct kpod_store *s, const char *id);
/* Reserves name for a new pod (EEXIST → "pod 'x' already exists"), makes its directory and
 * lock, returns the id and holds the pod's exclusive lock in *ret_lock. */
int kpod_store_create_pod(struct kpod_store *s, const char *name, char **ret_id, int *ret_lock,
                          struct kpod_err **err);
/* Resolves a name, a full id or a unique id prefix (at least 3 hex) to an id. NOTFOUND (127)
 * when nothing matches, an error when a prefix is ambiguous. */
int kpod_store_lookup(struct kpod_store *s, const char *name_or_id, char **ret_id,
                      struct kpod_err **err);
/* Locks a pod (shared or exclusive); returns the fd. */
int kpod_store_lock_pod(struct kpod_store *s, const char *id, enum kpod_lock_mode mode,
                        struct kpod_err **err);
/* Loads a pod's state without side effects. */
struct kpod_pod_state *kpod_store_load(struct kpod_store *s, const char *id, struct kpod_err **err);
/* Saves atomically (temp, fsync, rename); the caller holds the exclusive lock. */
int kpod_store_save(struct kpod_store *s, const struct kpod_pod_state *p, struct kpod_err **err);
/* Removes the pod's directory and name (name NULL: every name pointing to id); the caller
 * holds the exclusive lock. */
int kpod_store_remove(struct kpod_store *s, const char *id, const char *name,
                      struct kpod_err **err);
/* The ids of all pods (unreadable entries skipped, like the seed's ListSandbox). */
int kpod_store_list(struct kpod_store *s, char ***ret_ids, struct kpod_err **err);

/* The undo list of a multi-step operation: each step that succeeds pushes its undo; on failure
 * kpod_undo_run runs them in reverse; on success kpod_undo_clear drops them. */
typedef int (*kpod_undo_fn)(void *data, struct kpod_err **err);
struct kpod_undo_step {
    char *what;
    kpod_undo_fn fn;
    void *data;
    void (*free_data)(void *data);
};
struct kpod_undo {
    struct kpod_undo_step *steps;
    size_t n, cap;
};
void kpod_undo_push(struct kpod_undo *u, const char *what, kpod_undo_fn fn, void *data,
                    void (*free_data)(void *data));
/* Runs every step in reverse; a failing step is logged and the rest still run. Returns how
 * many failed. */
int kpod_undo_run(struct kpod_undo *u);
void kpod_undo_clear(struct kpod_undo *u);

/* Fault injection for rollback tests: KPOD_FAIL_STEP=<name> makes kpod_fault(name) fail. */
int kpod_fault(const char *step, struct kpod_err **err);

/* ---- The pipeline (seed-semantics §1.4) and the pod lifecycle ---- */

struct kpod_manifest;
struct kpod_pod;
struct kpod_pull_opts;

struct kpod_play_opts {
    const char *network;   /* NULL: the default network "kpod" */
    const char *ip;        /* a static address, or NULL */
    bool no_start;         /* --start=false: create, leave ready */
    const char *log_level; /* for the monitor */
    int64_t backoff_ms;    /* restart backoff base; 0: 10 s (KPOD_RESTART_BACKOFF_MS) */
    uint64_t log_max_size; /* 0: 10 MiB */
    unsigned log_max_files;
    const struct kpod_pull_opts *pull;
    bool quiet;        /* no pull progress */
    char **hooks_dirs; /* OCI hooks directories (JSON 1.0.0); NULL: podman's defaults */
};

/* `kpod play` for one pod: create the sandbox (state dir, lock, state ready, pod cgroup) →
 * network → infra (holder of the shared namespaces) → volumes, hosts files, rootfs → monitor →
 * init containers, then app containers → running, persisted. Any failure undoes every step in
 * reverse; KPOD_FAIL_STEP=<step> injects one (steps: state, cgroup, network, infra, volumes,
 * images, rootfs, bundles, monitor, start). */
int kpod_sandbox_play(struct kpod_ctx *ctx, const struct kpod_manifest *m,
                      const struct kpod_pod *pod, const struct kpod_play_opts *o,
                      struct kpod_pod_state **ret, struct kpod_err **err);

/* Loads a pod and folds in what its monitor recorded (container pids, exits, restarts) and
 * what the kernel says (a dead pid, or one reused: start time), without side effects. */
struct kpod_pod_state *kpod_sandbox_fetch(struct kpod_store *s, const char *id,
                                          struct kpod_err **err);

/* Stop: the stop signal, the grace period (timeout < 0: terminationGracePeriodSeconds),
 * SIGKILL; then the infra, the network; state stopped. A stopped pod is a success. */
int kpod_sandbox_stop(struct kpod_ctx *ctx, const char *id, int timeout, bool force,
                      struct kpod_err **err);
/* Start a ready or stopped pod again (network, infra, monitor, containers). */
int kpod_sandbox_start(struct kpod_ctx *ctx, const char *id, const char *log_level,
                       struct kpod_err **err);
/* Remove; a running pod needs force (then it is stopped first). Always cleans up everything
 * recorded, even after kill -9 of kpod or the monitor. */
int kpod_sandbox_remove(struct kpod_ctx *ctx, const char *id, bool force, struct kpod_err **err);
/* Freeze (pause=true) or thaw the pod's cgroup. */
int kpod_sandbox_pause(struct kpod_ctx *ctx, const char *id, bool pause, struct kpod_err **err);
/* Sends sig to every running container's init. */
int kpod_sandbox_kill(struct kpod_ctx *ctx, const char *id, int sig, struct kpod_err **err);

/* ---- interfaces and routes of a running pod (Kata's Add/RemoveInterface, UpdateRoutes) ---- */
struct kpod_net_result;
typedef int (*kpod_sandbox_net_fn)(struct kpod_ctx *ctx, struct kpod_net_result *r, void *data,
                                   struct kpod_err **err);
/* Runs fn on the pod's network under its lock — exclusive when change, then the changed result
 * is persisted (so `pod stop` + `pod start` restore it); shared otherwise. Refuses a pod that is
 * not running (126) or that uses the host network. */
int kpod_sandbox_with_network(struct kpod_ctx *ctx, const char *id, bool change,
                              kpod_sandbox_net_fn fn, void *data, struct kpod_err **err);
