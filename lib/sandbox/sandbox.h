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
    bool init;    /* an init container */
    bool sidecar; /* an init container with restartPolicy: Always: runs next to the app */
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
/* The Kubernetes phase: Pending (created, not started), Running, Succeeded (every app container
 * terminated with 0 and none will restart), Failed (every one terminated, one at least with
 * another code, or the pod was stopped). */
const char *kpod_pod_phase(const struct kpod_pod_state *p);

/* The start time of a process (field 22 of /proc/PID/stat), 0 when it does not exist. */
uint64_t kpod_proc_start_time(pid_t pid);
/* True when pid runs and is the same process (start time matches). */
bool kpod_proc_alive(pid_t pid, uint64_t start);
/* Waits (polling) until the process is gone; false when it still lives after timeout_ms. */
bool kpod_proc_wait_gone(pid_t pid, uint64_t start, int timeout_ms);
/* Sends sig, waits grace_ms for the process to go, then SIGKILL and waits 2 s more. Processes
 * that are not our children (daemons, holders) are waited for by polling. */
void kpod_proc_stop(pid_t pid, uint64_t start, int sig, int grace_ms);

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
/* Moves a prepared pod directory (a warm pool entry whose state p already is the pod's) into
 * the store: under the global lock, refuses a taken name, saves p into src_dir, renames src_dir
 * to the pod's directory and writes the name. The caller holds the entry's lock (it follows the
 * directory). */
int kpod_store_adopt_pod(struct kpod_store *s, const char *src_dir, const struct kpod_pod_state *p,
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
 * reverse; KPOD_FAIL_STEP=<step> injects one (steps: state, kube, cgroup, network, infra,
 * volumes, images, rootfs, bundles, monitor, start). */
int kpod_sandbox_play(struct kpod_ctx *ctx, const struct kpod_manifest *m,
                      const struct kpod_pod *pod, const struct kpod_play_opts *o,
                      struct kpod_pod_state **ret, struct kpod_err **err);

/* What a pod was played from: its Kubernetes YAML re-emitted from the parsed model with the
 * ConfigMaps and Secrets it used, as they were (kpod_manifest_emit), in the pod's data dir. */
#define KPOD_SANDBOX_KUBE_FILE "kube.yaml"
/* The path of that file for pod id (it may be missing for pods played by an older kpod). */
char *kpod_sandbox_kube_path(const struct kpod_ctx *ctx, const char *id);

/* Loads a pod and folds in what its monitor recorded (container pids, exits, restarts) and
 * what the kernel says (a dead pid, or one reused: start time), without side effects. */
struct kpod_pod_state *kpod_sandbox_fetch(struct kpod_store *s, const char *id,
                                          struct kpod_err **err);

/* ---- Jobs (lib/sandbox/job.c): a detached controller per Job, state in
 * RUNROOT/jobs/<name>/job.json ---- */

struct kpod_job_args {
    const struct kpod_manifest *m; /* with its source, which the controller plays from */
    const struct kpod_pod *tpl;    /* the Job's template pod (tpl->job set) */
    const struct kpod_play_opts *o;
};
char *kpod_job_dir(const struct kpod_ctx *ctx, const char *name);
/* Creates the Job (refused when it exists), plays its first min(parallelism, completions) pods
 * and starts its controller; all or nothing. Returns the ids of the pods made. */
int kpod_job_play(struct kpod_ctx *ctx, const struct kpod_job_args *a, char ***ret_ids,
                  struct kpod_err **err);
/* The controller's loop (`kpod __job NAME`); returns when the Job has ended or was removed. */
int kpod_job_run(struct kpod_ctx *ctx, const char *name, struct kpod_err **err);
/* The Job's record (job.json); NOTFOUND when there is none. */
json_t *kpod_job_load(const struct kpod_ctx *ctx, const char *name, struct kpod_err **err);
/* Removes a Job: its controller (even a dead one's leftovers), every pod it made, its
 * directory. Returns 1 when there was a Job, 0 when only stray pods (or nothing) were found;
 * *ret_ids (when not NULL) gets the ids of the pods removed. */
int kpod_job_remove(struct kpod_ctx *ctx, const char *name, char ***ret_ids, struct kpod_err **err);
/* Removes every Job (pod rm -a -f, system reset); *ret_ids gets the pods removed. */
int kpod_job_remove_all(struct kpod_ctx *ctx, char ***ret_ids, struct kpod_err **err);
/* The names of the Jobs under the runroot. */
int kpod_job_list(const struct kpod_ctx *ctx, char ***ret_names, struct kpod_err **err);
/* The ids of the pods whose kpod.io/owner annotation is owner ("<Kind>/<name>"). */
int kpod_sandbox_owned_pods(struct kpod_ctx *ctx, const char *owner, char ***ret_ids,
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

/* ---- The warm pool (lib/sandbox/factory.c; seed-semantics §8) ---- */

#define KPOD_FACTORY_MAX 64
/* Configures the pool (size entries on network, NULL: the default; under the current
 * KPOD_CGROUP_PARENT) and fills it before returning. Changing the network or cgroup parent
 * replaces the entries; a smaller size removes the extra ones. */
int kpod_factory_init(struct kpod_ctx *ctx, long long size, const char *network,
                      struct kpod_err **err);
/* Discards broken entries and makes new ones until the pool is full. With wait false it
 * returns at once when another refiller runs (refill.lock), else it waits for it. */
int kpod_factory_refill(struct kpod_ctx *ctx, bool wait, struct kpod_err **err);
/* Removes the pool and every entry (processes, netns, veth, address, cgroups, mounts). */
int kpod_factory_destroy(struct kpod_ctx *ctx, struct kpod_err **err);
/* {"Configured", "Size", "Network", "Refilling", "Ready", "Entries": [{"Id", "State" (ready,
 * creating, adopting, broken), "Reason", "IP", "Created", "InfraPid", "MonitorPid", "RssKiB",
 * "PrivateKiB"}]}. */
json_t *kpod_factory_status(struct kpod_ctx *ctx, struct kpod_err **err);

/* ---- Stats (lib/sandbox/stats.c): `kpod stats` and `kpod pod stats` (seed-semantics §6) ---- */

struct kpod_cgroup_stats;

/* One row's figures. valid is false for a container or pod that does not run (shown "--"). */
struct kpod_stats {
    bool valid;
    bool has_net;       /* false with hostNetwork or when the netns cannot be read */
    uint64_t cpu_ns;    /* CPU time since the cgroup was made */
    double cpu_percent; /* over the last interval (the first sample: since start); 100 = 1 core */
    double avg_cpu_percent; /* since start */
    uint64_t mem_usage;     /* working set: usage minus inactive file */
    uint64_t mem_limit;     /* the limit, or the host's memory when unlimited */
    double mem_percent;
    uint64_t mem_swap;
    uint64_t pids, pids_limit; /* pids_limit UINT64_MAX: unlimited */
    uint64_t block_read, block_write;
    uint64_t net_rx, net_tx; /* the pod netns's interfaces but lo */
    int64_t uptime_ns;
    uint64_t throttled_periods, throttled_ns, oom_kills;
};

/* A listed row: a container (ctr_name set) or a pod (ctr_name NULL). */
struct kpod_stats_row {
    char *id, *name, *pod_id, *pod_name, *ctr_name;
    int nctrs; /* pod rows: running containers */
    struct kpod_stats s;
    /* pod rows: each running container's row and their sum (the pod cgroup's own figures, in
     * s, also hold the infra and what runs outside the containers) */
    struct kpod_stats_row *ctrs;
    size_t nctr_rows;
    struct kpod_stats sum;
};
void kpod_stats_row_fini(struct kpod_stats_row *r);

/* The previous sample of one row, for CPU % over an interval. */
struct kpod_stats_prev {
    uint64_t cpu_ns;
    int64_t at_ns; /* CLOCK_REALTIME of the sample; 0: none, use the start time */
};

/* Pure: figures from a cgroup sample taken at now_ns (realtime) for something started at
 * started_ns, against the previous sample (NULL or at_ns 0: since start); host_mem replaces an
 * unlimited memory limit. Network fields are left alone. */
void kpod_stats_compute(const struct kpod_cgroup_stats *cg, const struct kpod_stats_prev *prev,
                        int64_t started_ns, int64_t now_ns, uint64_t host_mem,
                        struct kpod_stats *ret);
/* Pure: sums the bytes of /proc/PID/net/dev text over every interface but lo. Returns the
 * number of interfaces counted, -1 when the text is not net/dev. */
int kpod_stats_parse_net_dev(const char *text, uint64_t *ret_rx, uint64_t *ret_tx);
/* The received/sent bytes of the network namespace of pid (/proc/PID/net/dev; no fork). */
int kpod_stats_read_net(pid_t pid, uint64_t *ret_rx, uint64_t *ret_tx, struct kpod_err **err);

/* Human units as podman prints them (decimal, 3 significant digits: "0B", "1.23kB", "52.4MB"). */
void kpod_stats_human_size(uint64_t bytes, char *buf, size_t len);
/* "12.34%" */
void kpod_stats_percent(double pct, char *buf, size_t len);
/* A Go-like duration: "850ms", "12.345s", "1m2.5s", "3h4m5s". */
void kpod_stats_duration(uint64_t ns, char *buf, size_t len);

/* podman's JSON keys (strings as podman prints them: id, name, cpu_time, cpu_percent, avg_cpu,
 * mem_usage, mem_percent, net_io, block_io, pids) plus mem_limit, pod, pod_name and "raw": the
 * numbers. Pod rows use podman's `pod stats` keys (Pod, Name, CPU, MemUsage, MemUsageBytes, Mem,
 * NetIO, BlockIO, PIDS) plus the same "raw", "Sum" (the containers' figures added up) and
 * "ContainerStats" (their rows). */
json_t *kpod_stats_row_json(const struct kpod_stats_row *r, bool no_trunc);
/* The Prometheus text exposition format (version 0.0.4) of rows, metric family by family. */
char *kpod_stats_prometheus(const struct kpod_stats_row *rows, size_t n);

/* Samples pods and containers, keeping their cgroups open (pread of kept stat files) and the
 * previous CPU figures between rounds. */
struct kpod_stats_sampler;
struct kpod_stats_sampler *kpod_stats_sampler_new(void);
void kpod_stats_sampler_free(struct kpod_stats_sampler *s);
/* Appends the rows of pod p to *rows: a row for the pod itself (pod_row) or one per container
 * (running ones; every container with all, those not running invalid). only, when not NULL,
 * limits the containers to that one. */
int kpod_stats_sample(struct kpod_stats_sampler *s, const struct kpod_pod_state *p,
                      const struct kpod_ctr_state *only, bool pod_row, bool all,
                      struct kpod_stats_row **rows, size_t *n, struct kpod_err **err);

/* ---- Update (lib/sandbox/update.c): `kpod update` (seed-semantics §5.3, §5.5) ---- */

/* What to change; a field of -1 (NULL) is left as is. memory_swap -1 is "unset"; to ask for
 * unlimited swap pass KPOD_UPDATE_UNLIMITED. */
#define KPOD_UPDATE_UNLIMITED INT64_MAX
struct kpod_update {
    int64_t memory, memory_reservation, memory_swap; /* bytes */
    int64_t cpu_quota;                               /* us per cpu_period; -1 unchanged */
    int64_t cpu_period;                              /* us; -1 unchanged */
    int64_t cpu_shares;
    char *cpuset_cpus;
    int64_t pids_limit; /* KPOD_UPDATE_UNLIMITED: unlimited */
};
void kpod_update_init(struct kpod_update *u);
/* Pure: parses podman's --cpus (a decimal with up to 2 places, > 0) into quota/period. */
int kpod_update_parse_cpus(const char *s, int64_t *ret_quota, int64_t *ret_period,
                           struct kpod_err **err);
/* Pure: a cpu list ("0-2,5"): returns the number of CPUs, fills mask (bit i: CPU i < 1024) and
 * checks each CPU is below ncpus (0: no check). */
int kpod_update_parse_cpuset(const char *s, uint64_t mask[16], int ncpus, struct kpod_err **err);
/* Pure: the canonical list of a mask ("0-2,5"). */
char *kpod_update_format_cpuset(const uint64_t mask[16]);
/* Changes the limits of a running container: validates, writes its cgroup (restoring the old
 * values when the kernel refuses one), recomputes the pod cgroup's totals over the running
 * containers (memory and CPU quota sums, "max" when one is unlimited; cpuset union), and
 * persists the new values in the container's bundle config.json (kept across pod stop/start). */
int kpod_sandbox_update(struct kpod_ctx *ctx, const char *pod_id, const char *ctr_name,
                        const struct kpod_update *u, struct kpod_err **err);
/* Writes the pod cgroup's totals over the running containers' bundle limits (seed §5.3: memory
 * and CPU quota sums, unlimited when one is; the cpuset union, which the infra leaf follows).
 * kpod update calls it; the pipeline may call it after start and stop too. */
int kpod_sandbox_pod_totals(const struct kpod_pod_state *p, struct kpod_err **err);

/* ---- interfaces and routes of a running pod (Kata's Add/RemoveInterface, UpdateRoutes) ---- */
struct kpod_net_result;
typedef int (*kpod_sandbox_net_fn)(struct kpod_ctx *ctx, struct kpod_net_result *r, void *data,
                                   struct kpod_err **err);
/* Runs fn on the pod's network under its lock — exclusive when change, then the changed result
 * is persisted (so `pod stop` + `pod start` restore it); shared otherwise. Refuses a pod that is
 * not running (126) or that uses the host network. */
int kpod_sandbox_with_network(struct kpod_ctx *ctx, const char *id, bool change,
                              kpod_sandbox_net_fn fn, void *data, struct kpod_err **err);
