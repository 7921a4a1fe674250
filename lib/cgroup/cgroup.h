/* lib/cgroup: cgroup v1 and v2 behind one interface (the contract between the cgroup module,
 * the container runtime, the sandbox and stats). The backend is chosen at run time:
 * v2 when /sys/fs/cgroup is a cgroup2 mount, else v1 named hierarchies (cpu, cpuacct, cpuset,
 * memory, pids, blkio, devices, freezer; a cgroup2 mount at /sys/fs/cgroup/unified on a
 * hybrid host is ignored except for what only it owns). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

enum kpod_cgroup_version {
    KPOD_CGROUP_V1 = 1,
    KPOD_CGROUP_V2 = 2,
};

/* Limits in OCI terms (runtime-spec linux.resources); a field of -1 / 0 / NULL is "unset"
 * as noted. */
struct kpod_cgroup_limits {
    int64_t memory_limit;       /* bytes, -1 unset */
    int64_t memory_reservation; /* bytes, -1 unset */
    int64_t memory_swap;        /* memory+swap bytes (v1 semantics), -1 unset */
    uint64_t cpu_shares;        /* 0 unset; v2: converted to cpu.weight */
    int64_t cpu_quota;          /* us per period, -1 unset ("max") */
    uint64_t cpu_period;        /* us, 0 unset */
    char *cpuset_cpus;          /* NULL unset */
    char *cpuset_mems;          /* NULL unset */
    int64_t pids_limit;         /* -1 unset, 0 unset too (OCI: <= 0 unlimited) */
    /* Device allowlist in v1 devices.allow syntax ("c 1:3 rwm", "b *:* m", "a"),
     * NULL-terminated; NULL: leave the cgroup's default. v1: "a" is written to devices.deny
     * first, then each rule to devices.allow. v2: compiled into a BPF cgroup device program
     * (deny unless a rule allows) that replaces the one attached before. */
    char **devices_allow;
};

/* Initialises limits to "all unset". */
void kpod_cgroup_limits_init(struct kpod_cgroup_limits *l);
void kpod_cgroup_limits_free(struct kpod_cgroup_limits *l);

/* Figures read from one cgroup; fields the kernel does not offer are 0. */
struct kpod_cgroup_stats {
    uint64_t cpu_usage_ns; /* total CPU time */
    uint64_t cpu_user_ns;
    uint64_t cpu_system_ns;
    uint64_t memory_usage;       /* bytes, as the kernel counts it */
    uint64_t memory_working_set; /* usage minus inactive file (Kubernetes/podman) */
    uint64_t memory_limit;       /* bytes; UINT64_MAX when unlimited */
    uint64_t memory_cache;
    uint64_t memory_rss;
    uint64_t memory_swap;
    uint64_t oom_kills; /* memory.events oom_kill / memory.oom_control oom_kill */
    uint64_t pids_current;
    uint64_t pids_limit; /* UINT64_MAX when unlimited */
    uint64_t blkio_read_bytes;
    uint64_t blkio_write_bytes;
    /* Extensions: CFS throttling (v1 cpu.stat; v2 cpu.stat), peak memory (v1
     * memory.max_usage_in_bytes; v2 memory.peak, kernel 5.19+). */
    uint64_t cpu_periods;
    uint64_t cpu_throttled_periods;
    uint64_t cpu_throttled_ns;
    uint64_t memory_max_usage;
};

struct kpod_cgroup; /* opaque: one cgroup (e.g. "kpod/<pod-id>/<ctr>") in every hierarchy */

/* Which cgroup version this host runs (cached after the first call). */
enum kpod_cgroup_version kpod_cgroup_host_version(void);

/* Opens (create=false) or creates (create=true, parents too, mkdir -p semantics) the cgroup at
 * relative path `path` (e.g. "kpod/abc/web") below the root of every hierarchy. On v2 it
 * enables the needed controllers in the parents' cgroup.subtree_control. */
struct kpod_cgroup *kpod_cgroup_open(const char *path, bool create, struct kpod_err **err);
void kpod_cgroup_free(struct kpod_cgroup *cg);
const char *kpod_cgroup_path(const struct kpod_cgroup *cg);

/* Applies limits (unset fields untouched). Errors name the file and value. */
int kpod_cgroup_apply(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l,
                      struct kpod_err **err);
/* Moves pid into the cgroup (every hierarchy). */
int kpod_cgroup_enter(struct kpod_cgroup *cg, pid_t pid, struct kpod_err **err);
/* Freezes (true) or thaws (false) and waits until the state is reached. */
int kpod_cgroup_freeze(struct kpod_cgroup *cg, bool frozen, struct kpod_err **err);
int kpod_cgroup_read_stats(struct kpod_cgroup *cg, struct kpod_cgroup_stats *ret,
                           struct kpod_err **err);
/* The pids in the cgroup and its sub-cgroups (on v1 the union over the hierarchies, without
 * duplicates); *ret_pids malloc'd (NULL when there are none). Returns the count. */
int kpod_cgroup_pids(struct kpod_cgroup *cg, pid_t **ret_pids, struct kpod_err **err);
/* An fd that becomes readable (eventfd on v1, inotify on memory.events on v2) when an OOM
 * kill happens in the cgroup; kpod_cgroup_oom_count reads the running count. It also wakes for
 * other memory events and, on v1, when the cgroup is removed: after each wake call
 * kpod_cgroup_oom_drain (the fd is non-blocking, close-on-exec) and compare the count. */
int kpod_cgroup_oom_fd(struct kpod_cgroup *cg, struct kpod_err **err);
int kpod_cgroup_oom_count(struct kpod_cgroup *cg, uint64_t *ret, struct kpod_err **err);
/* Kills every process (SIGKILL, thawing first if frozen), waits for the cgroup to empty
 * (bounded), then removes it and its sub-cgroups, leaves first. A missing cgroup is fine. */
int kpod_cgroup_destroy(struct kpod_cgroup *cg, struct kpod_err **err);
/* The same by path, for `rm -f` after a crash. */
int kpod_cgroup_destroy_path(const char *path, struct kpod_err **err);

/* Extensions beyond the first contract. */

enum kpod_cgroup_freezer {
    KPOD_CGROUP_THAWED = 0,
    KPOD_CGROUP_FREEZING, /* v1 only: freezing in progress */
    KPOD_CGROUP_FROZEN,
};
/* Reads the freezer state (v1 freezer.state; v2 cgroup.events "frozen"). */
int kpod_cgroup_freezer_state(struct kpod_cgroup *cg, enum kpod_cgroup_freezer *ret,
                              struct kpod_err **err);
/* Sends sig to every process in the cgroup and its sub-cgroups (SIGKILL on v2 uses cgroup.kill
 * when the kernel has it). Returns the number of processes signalled (cgroup.kill: 1). */
int kpod_cgroup_signal(struct kpod_cgroup *cg, int sig, struct kpod_err **err);
/* The directory of the cgroup in the hierarchy of a v1 controller ("memory", "cpu",
 * "name=systemd", ...) or, on v2, the cgroup's one directory (controller ignored). NULL if that
 * hierarchy is not mounted. */
const char *kpod_cgroup_dir(const struct kpod_cgroup *cg, const char *controller);
/* Like kpod_cgroup_open, but on the cgroup2 hierarchy mounted at v2root whatever the host runs:
 * for tests and `kpod __cgroup --v2-root` (the unified mount of a hybrid host is a real
 * cgroup2, without memory/cpu/pids controllers). */
struct kpod_cgroup *kpod_cgroup_open_v2_at(const char *v2root, const char *path, bool create,
                                           struct kpod_err **err);
/* For samplers that read the same cgroup again and again (`kpod stats` streaming, the
 * monitor): keeps the stat files open (at most 16 fds) and re-reads them with pread, about ten
 * times cheaper per file than open+read+close. Off by default; closed by kpod_cgroup_free. */
void kpod_cgroup_keep_stat_files(struct kpod_cgroup *cg, bool keep);
/* Drains the pending notifications of a kpod_cgroup_oom_fd fd (it is non-blocking), so poll
 * waits for the next one. */
void kpod_cgroup_oom_drain(int fd);
/* The OCI shares → cgroup v2 cpu.weight conversion crun and runc use (quadratic in log2, so
 * that 2 → 1, 1024 → 100, 262144 → 10000); 0 stays 0 ("unset"). */
uint64_t kpod_cgroup_shares_to_weight(uint64_t shares);

/* Pure parsers, unit-tested on fixture files (no system calls). */
/* Parses "key value\n" files (memory.stat, cpu.stat, memory.events); returns the value of key
 * or fallback. */
uint64_t kpod_cgroup_parse_keyed(const char *text, const char *key, uint64_t fallback);
/* Parses a single value file: a number, or "max" → UINT64_MAX. Returns 0 or -1. */
int kpod_cgroup_parse_value(const char *text, uint64_t *ret);
/* Sums blkio/io read and write bytes from v1 blkio.throttle.io_service_bytes(_recursive) or
 * v2 io.stat text. */
void kpod_cgroup_parse_blkio(const char *text, enum kpod_cgroup_version v, uint64_t *ret_read,
                             uint64_t *ret_write);
/* Parses /proc/self/mountinfo-style text to find the backend: returns KPOD_CGROUP_V2 when the
 * mount at /sys/fs/cgroup is cgroup2, else V1. */
enum kpod_cgroup_version kpod_cgroup_parse_mountinfo(const char *mountinfo);
