/* Pod model + image config → one OCI runtime spec per container, and the pod plan (volumes in
 * the kubelet layout, /dev/shm, hosts/hostname/resolv.conf) the sandbox materialises.
 * Pure: no system calls beyond reading input (the image's /etc/passwd and /etc/group). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "manifest/manifest.h"
#include "spec/oci.h"
#include "util/util.h"

#define KPOD_SPEC_DEFAULT_SHM_SIZE (64LL << 20)
#define KPOD_SPEC_DEFAULT_PIDS_LIMIT 2048
/* The second-to-last path element of an emptyDir source (Kata's and the kubelet's rule). */
#define KPOD_SPEC_EMPTYDIR_PLUGIN "kubernetes.io~empty-dir"
/* Fake mount types of the rewrite pass; the mount executor turns them into binds. */
#define KPOD_SPEC_MOUNT_LOCAL "local"
#define KPOD_SPEC_MOUNT_EPHEMERAL "ephemeral"

/* A file of a configMap or secret volume. */
struct kpod_spec_file {
    char *path; /* relative to the volume directory, may contain '/' */
    char *data;
    size_t len;
    int mode;
};

/* A pod volume as it lives on the host. */
struct kpod_spec_volume {
    char *name;
    enum kpod_volume_type type;
    char *host_path; /* the directory (or hostPath) on the host */
    bool tmpfs;      /* emptyDir medium Memory, and secrets: a tmpfs mounted once per pod */
    long long size;  /* tmpfs size in bytes, 0: no limit */
    int dir_mode;    /* mode of the directory: 0777 emptyDir, 0755 configMap, 0750 secret */
    long long gid;   /* group of the directory and files (fsGroup), KPOD_UNSET: none */
    struct kpod_spec_file *files; /* configMap / secret contents */
    size_t n_files;
    enum kpod_hostpath_type hostpath_type;
    bool read_only; /* PVC readOnly */
};

/* What the pod needs on the host before its containers start. */
struct kpod_spec_pod {
    char *pod_dir; /* <root>/pods/<uid>: volumes in the kubelet layout */
    char *run_dir; /* <runroot>/pods/<id>: shm, hosts, hostname, resolv.conf */
    struct kpod_spec_volume *volumes;
    size_t n_volumes;
    char *shm_path; /* <run_dir>/shm: one tmpfs for the whole pod */
    long long shm_size;
    char *hostname;
    char *hosts_path, *hostname_path, *resolv_path;
};

struct kpod_spec_pod_args {
    const struct kpod_manifest *manifest;
    const struct kpod_pod *pod;
    const char *pod_dir;      /* required */
    const char *run_dir;      /* required */
    const char *volumes_root; /* PVC named volumes: <volumes_root>/<claim>/_data; required */
    long long shm_size;       /* 0: 64 MiB */
};

struct kpod_spec_pod *kpod_spec_pod_plan(const struct kpod_spec_pod_args *a, struct kpod_err **err);
void kpod_spec_pod_free(struct kpod_spec_pod *p);
KPOD_DEFINE_CLEANUP(struct kpod_spec_pod, kpod_spec_pod_free)
#define _cleanup_spec_pod_ _cleanup_(kpod_cleanup_kpod_spec_pod_free)
const struct kpod_spec_volume *kpod_spec_pod_volume(const struct kpod_spec_pod *p,
                                                    const char *name);

/* What a hostPath volume's type asks of the host path, given what stat(2) found there
 * (exists false: it does not exist; mode: st_mode). Returns KPOD_HOSTPATH_OK, _MKDIR (create
 * the directory, 0755), _CREATE_FILE (create an empty file, 0644), or -1 with *err naming
 * the volume and what was found. */
enum { KPOD_HOSTPATH_OK = 0, KPOD_HOSTPATH_MKDIR = 1, KPOD_HOSTPATH_CREATE_FILE = 2 };
int kpod_spec_hostpath_check(const struct kpod_spec_volume *v, bool exists, unsigned mode,
                             struct kpod_err **err);

/* Contents of the pod's /etc/hosts (localhost lines, the pod's own name and IP, hostAliases;
 * with hostNetwork the host's file host_hosts, then the hostAliases),
 * /etc/resolv.conf (the host's file, or dnsConfig per dnsPolicy) and /etc/hostname. */
char *kpod_spec_hosts_content(const struct kpod_pod *pod, const char *hostname, const char *pod_ip,
                              const char *host_hosts);
char *kpod_spec_resolv_content(const struct kpod_pod *pod, const char *host_resolv_conf);

struct kpod_spec_args {
    const struct kpod_manifest *manifest;
    const struct kpod_pod *pod;
    const struct kpod_container *ctr;
    const struct kpod_spec_pod *plan; /* from kpod_spec_pod_plan */
    /* The image config: the "config" object of an OCI image config (Env, Entrypoint, Cmd,
     * WorkingDir, User, StopSignal, ...) or the whole image config holding it; NULL: empty. */
    const json_t *image_config;
    const char *image_rootfs; /* for /etc/passwd and /etc/group; NULL: numeric users only */
    const char *rootfs;       /* root.path, default "rootfs" */
    /* Pod namespaces to join (NULL: a new one). */
    const char *netns_path, *ipcns_path, *utsns_path, *pidns_path;
    const char *cgroups_path;
    long long pids_limit; /* 0: podman's default of 2048; < 0: no limit */
    struct kpod_env_runtime env_rt;
    uint64_t nofile_hard; /* caller's hard RLIMIT_NOFILE: defaults never exceed it; 0 unknown */
    /* The caller's oom_score_adj: lowering it needs CAP_SYS_RESOURCE, so the QoS value is
     * clamped to it when has_oom_floor. */
    bool has_oom_floor;
    int oom_floor;
    const char *seccomp_root; /* directory of Localhost seccomp profiles; NULL: refused */
    /* The caller's bounding set (bit N = capability N): privileged and add: [ALL] give only
     * what the caller can grant. has_host_caps false: every capability. */
    bool has_host_caps;
    uint64_t host_caps;
};

/* Builds the container's spec. Warnings (e.g. an image user not found) are appended to
 * *warnings when not NULL. */
struct kpod_oci_spec *kpod_spec_build(const struct kpod_spec_args *a, char ***warnings,
                                      struct kpod_err **err);

/* The process arguments by the Kubernetes rules: command replaces ENTRYPOINT and drops CMD,
 * args replace CMD only; $(VAR) expanded from env. Returns a strv (error if empty). */
int kpod_spec_process_args(char *const *entrypoint, char *const *cmd, char *const *command,
                           char *const *args, char *const *env, char ***ret, struct kpod_err **err);

/* The rewrite pass (seed-semantics §7): each mount whose source is an emptyDir
 * (".../kubernetes.io~empty-dir/<vol>") becomes type "ephemeral" when fstype(source) is tmpfs,
 * else "local"; source, destination and options are kept. Returns how many changed. */
typedef const char *(*kpod_spec_fstype_fn)(const char *path, void *data);
int kpod_spec_rewrite_mounts(struct kpod_oci_spec *spec, kpod_spec_fstype_fn fstype, void *data);
bool kpod_spec_is_emptydir(const char *path);
/* fstype of path from /proc/mounts text: the first line whose mount point equals path;
 * NULL when absent or the line is malformed. */
const char *kpod_spec_mounts_fstype(const char *proc_mounts, const char *path, char *buf,
                                    size_t len);
/* The executor's view: ephemeral/local mounts become rbind mounts of their source. */
void kpod_spec_finalize_mounts(struct kpod_oci_spec *spec);

/* The default seccomp profile (kpod's own allowlist, equivalent to containers/common's),
 * with the syscalls the given effective capabilities unlock. */
struct kpod_oci_seccomp *kpod_spec_default_seccomp(char *const *caps);
/* The capabilities kpod gives a container without securityContext.capabilities, and every
 * capability the kernel knows (privileged, add: [ALL]); NULL-terminated. */
const char *const *kpod_spec_default_caps(void);
const char *const *kpod_spec_all_caps(void);
