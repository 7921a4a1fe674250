/* Shared between lib/sandbox's files; not for other modules. */
#pragma once

#include "sandbox/sandbox.h"

/* The infra process: the holder of the pod's shared namespaces (Kata's VM, podman's pause).
 * It joins netns_path (NULL: the caller's), unshares IPC and UTS (unless host_ipc / host_uts),
 * and PID when share_pid, sets the hostname, enters cgroup_path and waits. */
struct kpod_infra_args {
    const char *netns_path;
    bool host_ipc, host_uts, share_pid;
    const char *hostname;
    const char *cgroup_path;
    const char *self;   /* the kpod binary, to find kpod-infra beside it */
    const char *helper; /* set by kpod_infra_start */
};
int kpod_infra_start(const struct kpod_infra_args *a, pid_t *ret_pid, uint64_t *ret_start,
                     struct kpod_err **err);
/* Kills it (SIGKILL, checked against the start time); a gone process is fine. */
void kpod_infra_stop(pid_t pid, uint64_t start);

/* Paths of a pod. */
char *kpod_sandbox_run_dir(const struct kpod_ctx *ctx, const char *id);
char *kpod_sandbox_data_dir(const struct kpod_ctx *ctx, const char *id);
/* Unmounts (lazily when busy) and forgets every mount recorded in p->mounts, newest first. */
int kpod_sandbox_unmount_all(struct kpod_pod_state *p, struct kpod_err **err);
/* Records a mount point (for rollback and rm -f after a crash). */
void kpod_sandbox_track_mount(struct kpod_pod_state *p, const char *path);

struct kpod_oci_spec;
/* Adds the hooks of podman-style hooks directories (JSON 1.0.0) that apply to spec. */
int kpod_sandbox_hooks_apply(struct kpod_oci_spec *spec, char *const *dirs, struct kpod_err **err);

struct kpod_store;
/* Removes everything p records (monitor, cgroup, infra, mounts, network, data and run dirs in
 * store s, names), continuing past failures; the caller holds the pod's lock. */
int kpod_sandbox_destroy(struct kpod_ctx *ctx, struct kpod_store *s, struct kpod_pod_state *p,
                         struct kpod_err **err);
/* The same without a state (killed before the first save): by the id's paths and cgroup. */
int kpod_sandbox_destroy_bare(struct kpod_ctx *ctx, struct kpod_store *s, const char *id,
                              struct kpod_err **err);

/* ---- The warm pool (factory.c) ---- */
/* What a pod asks of a pool entry. */
struct kpod_factory_want {
    const char *name;    /* the pod's name */
    const char *network; /* NULL: the default network */
};
/* Takes a ready entry for a pod that fits (the caller checked the manifest): under the pool's
 * lock p (the pod's identity: name, ns, labels, extra...) gets the entry's sandbox (id, cgroup,
 * netns, network, infra, monitor, /dev/shm) and is saved in the entry's directory, which is
 * renamed into the pod store s with the name. Returns 1 with the pod's lock in *ret_lock; 0
 * when there is no pool, it does not fit or has no ready entry (a broken pool is warned about,
 * once), never an error. */
int kpod_factory_adopt(struct kpod_ctx *ctx, struct kpod_store *s,
                       const struct kpod_factory_want *w, struct kpod_pod_state *p, int *ret_lock);
/* Starts a detached `kpod factory refill` (when a pool is configured); never waits for it. */
void kpod_factory_kick(struct kpod_ctx *ctx);
/* Sets the hostname in the uts namespace of the infra process pid. */
int kpod_factory_sethostname(pid_t infra, const char *hostname, struct kpod_err **err);

/* Jobs (job.c, the controller; job_admin.c, the record, start and removal). */
struct kpod_manifest;
struct kpod_pod;
struct kpod_play_opts;
char *kpod_job_file(const struct kpod_ctx *ctx, const char *name, const char *file);
/* The Job's lock, exclusive: every read-modify-write of job.json holds it. */
int kpod_job_lock(const struct kpod_ctx *ctx, const char *name, struct kpod_err **err);
int kpod_job_save(const struct kpod_ctx *ctx, const char *name, const json_t *j,
                  struct kpod_err **err);
/* Plays pod "<job>-<index>" from the Job's template; returns its id. */
int kpod_job_play_pod(struct kpod_ctx *ctx, const struct kpod_manifest *m,
                      const struct kpod_pod *tpl, long long index, const struct kpod_play_opts *o,
                      char **ret_id, struct kpod_err **err);
/* A pod's record in job.json: {"name", "id", "phase": "Running", "restarts": 0}. */
json_t *kpod_job_pod_record(const char *name, const char *id);
