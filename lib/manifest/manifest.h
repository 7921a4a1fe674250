/* Kubernetes YAML (Pod, Deployment, Job, DaemonSet, ConfigMap, Secret, List; multi-document)
 * to a validated pod model. Pure: no system calls beyond reading the input. Errors and
 * warnings carry "file:line:column: field.path: cause". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Limits on untrusted input. */
#define KPOD_MANIFEST_MAX_SIZE (8u << 20)     /* bytes per file */
#define KPOD_MANIFEST_MAX_DEPTH 64            /* nesting of mappings and sequences */
#define KPOD_MANIFEST_MAX_NODES 200000        /* nodes per document */
#define KPOD_MANIFEST_MAX_VISITS 400000       /* nodes visited per document, aliases expanded */
#define KPOD_MANIFEST_MAX_DOCUMENTS 1000      /* documents per input */
#define KPOD_MANIFEST_MAX_PODS 256            /* pods per manifest */
#define KPOD_MANIFEST_MAX_WARNINGS 100        /* warnings kept; then one line says more were cut */
#define KPOD_MANIFEST_MAX_ENV 10000           /* environment variables per container */
#define KPOD_MANIFEST_MAX_EXPANSION (1 << 20) /* bytes of one $(VAR)-expanded string */

/* Where a value came from, for errors found after parsing. */
struct kpod_pos {
    const char *file; /* owned by the manifest */
    const char *path; /* field path, "spec.containers[0]"; owned by the manifest */
    int line, col;    /* 1-based; 0 when unknown */
};

/* Unset markers. */
#define KPOD_UNSET (-1LL)

struct kpod_kv {
    char *key;
    char *value; /* NUL-terminated; secrets may hold binary data: use len */
    size_t len;
};

struct kpod_kvlist {
    struct kpod_kv *items;
    size_t n;
};

/* ConfigMap or Secret: data after base64 decoding, stringData merged (wins). */
enum kpod_keyset_kind { KPOD_KEYSET_CONFIGMAP, KPOD_KEYSET_SECRET };

struct kpod_keyset {
    enum kpod_keyset_kind kind;
    char *name;
    char *namespace;
    struct kpod_kvlist data;
    bool immutable;
    struct kpod_pos pos;
};

enum kpod_seccomp_type {
    KPOD_SECCOMP_UNSET = 0,
    KPOD_SECCOMP_RUNTIME_DEFAULT,
    KPOD_SECCOMP_UNCONFINED,
    KPOD_SECCOMP_LOCALHOST,
};

struct kpod_seccomp_profile {
    enum kpod_seccomp_type type;
    char *localhost_profile; /* relative path for LOCALHOST */
};

enum kpod_env_source {
    KPOD_ENV_VALUE = 0,
    KPOD_ENV_CONFIGMAP_KEY,
    KPOD_ENV_SECRET_KEY,
    KPOD_ENV_FIELD,    /* fieldRef: metadata.name, metadata.labels['x'], status.podIP, ... */
    KPOD_ENV_RESOURCE, /* resourceFieldRef: limits.cpu, requests.memory, ... */
};

struct kpod_env_var {
    char *name;
    enum kpod_env_source source;
    char *value;    /* KPOD_ENV_VALUE: may hold $(VAR) references */
    char *ref_name; /* ConfigMap/Secret name */
    char *ref_key;  /* key in it */
    bool optional;
    char *field_path;   /* fieldRef.fieldPath */
    char *resource;     /* resourceFieldRef.resource */
    char *resource_ctr; /* resourceFieldRef.containerName (NULL: this container) */
    long long divisor;  /* in the resource's unit: millicores for cpu, bytes otherwise */
    struct kpod_pos pos;
};

struct kpod_env_from {
    enum kpod_keyset_kind kind;
    char *name;
    char *prefix;
    bool optional;
    struct kpod_pos pos;
};

struct kpod_port {
    char *name;
    int container_port;
    int host_port; /* 0: none */
    char *host_ip;
    char *protocol; /* "TCP" (default), "UDP", "SCTP" */
    struct kpod_pos pos;
};

struct kpod_volume_mount {
    char *name;
    char *mount_path;
    char *sub_path;
    bool read_only;
    char *mount_propagation; /* None, HostToContainer, Bidirectional */
    struct kpod_pos pos;
};

/* Resources in base units: millicores for cpu, bytes for memory; KPOD_UNSET when absent. */
struct kpod_resources {
    long long cpu_limit, cpu_request;
    long long mem_limit, mem_request;
    long long eph_limit, eph_request; /* ephemeral-storage, bytes */
    long long hugepages_2mi_limit;
};

/* -1 unset, 0 false, 1 true */
typedef signed char kpod_tristate;

struct kpod_security_context {
    kpod_tristate privileged;
    kpod_tristate read_only_root_fs;
    kpod_tristate allow_privilege_escalation;
    kpod_tristate run_as_non_root;
    long long run_as_user, run_as_group; /* KPOD_UNSET when absent */
    char **cap_add, **cap_drop;          /* normalised to "CAP_NAME"; "ALL" stays "ALL" */
    char *proc_mount;                    /* Default / Unmasked */
    struct kpod_seccomp_profile seccomp;
};

/* A probe or lifecycle handler: exactly one of exec, httpGet, tcpSocket. */
enum kpod_handler_type {
    KPOD_HANDLER_NONE = 0,
    KPOD_HANDLER_EXEC,
    KPOD_HANDLER_HTTP_GET,
    KPOD_HANDLER_TCP_SOCKET,
};

struct kpod_handler {
    enum kpod_handler_type type;
    char **command;             /* exec */
    char *host;                 /* httpGet/tcpSocket: an IP address; NULL: the pod's address */
    int port;                   /* httpGet/tcpSocket, resolved when given by name */
    char *port_name;            /* the container port name it was given as, or NULL */
    char *path;                 /* httpGet: "/" when absent */
    struct kpod_kvlist headers; /* httpGet.httpHeaders, in order */
    struct kpod_pos pos;
};

struct kpod_probe {
    bool set;
    struct kpod_handler handler;
    int initial_delay_seconds, period_seconds, timeout_seconds;
    int success_threshold, failure_threshold;
    long long termination_grace_seconds; /* the probe's own, for a kill; KPOD_UNSET: the pod's */
    struct kpod_pos pos;
};

enum kpod_pull_policy {
    KPOD_PULL_DEFAULT = 0, /* Always for :latest or no tag, else IfNotPresent */
    KPOD_PULL_ALWAYS,
    KPOD_PULL_IF_NOT_PRESENT,
    KPOD_PULL_NEVER,
};

struct kpod_container {
    char *name;
    char *image;
    enum kpod_pull_policy pull_policy;
    bool init;              /* from initContainers */
    bool sidecar;           /* an init container with restartPolicy: Always (native sidecar) */
    char **command, **args; /* NULL when absent or empty (Kubernetes treats both the same) */
    char *working_dir;
    struct kpod_env_var *env;
    size_t n_env;
    struct kpod_env_from *env_from;
    size_t n_env_from;
    struct kpod_port *ports;
    size_t n_ports;
    struct kpod_volume_mount *mounts;
    size_t n_mounts;
    struct kpod_resources resources;
    struct kpod_security_context sec;
    bool tty, stdin_open, stdin_once;
    int stop_signal;                          /* lifecycle.stopSignal, 0: unset */
    struct kpod_handler post_start, pre_stop; /* lifecycle; type NONE when absent */
    struct kpod_probe liveness, readiness, startup;
    char *termination_message_path;
    struct kpod_pos pos;
};

enum kpod_volume_type {
    KPOD_VOLUME_EMPTYDIR,
    KPOD_VOLUME_HOSTPATH,
    KPOD_VOLUME_CONFIGMAP,
    KPOD_VOLUME_SECRET,
    KPOD_VOLUME_PVC,
};

enum kpod_hostpath_type {
    KPOD_HOSTPATH_UNSET = 0, /* "": no checks */
    KPOD_HOSTPATH_DIRECTORY_OR_CREATE,
    KPOD_HOSTPATH_DIRECTORY,
    KPOD_HOSTPATH_FILE_OR_CREATE,
    KPOD_HOSTPATH_FILE,
    KPOD_HOSTPATH_SOCKET,
    KPOD_HOSTPATH_CHAR_DEVICE,
    KPOD_HOSTPATH_BLOCK_DEVICE,
};

struct kpod_key_to_path {
    char *key;
    char *path;
    int mode; /* -1: the volume's defaultMode */
};

struct kpod_volume {
    char *name;
    enum kpod_volume_type type;
    /* emptyDir */
    bool memory;          /* medium: Memory */
    long long size_limit; /* bytes, KPOD_UNSET when absent */
    /* hostPath */
    char *path;
    enum kpod_hostpath_type hostpath_type;
    /* configMap / secret */
    char *source; /* ConfigMap name or secretName */
    struct kpod_key_to_path *items;
    size_t n_items;
    int default_mode; /* 0644 unless set */
    bool optional;
    /* persistentVolumeClaim */
    char *claim;
    bool read_only;
    struct kpod_pos pos;
};

enum kpod_restart_policy {
    KPOD_RESTART_ALWAYS = 0,
    KPOD_RESTART_ON_FAILURE,
    KPOD_RESTART_NEVER,
};

struct kpod_host_alias {
    char *ip;
    char **hostnames;
};

/* A Job's spec (batch/v1): how many pods must succeed, how many run at once, how many
 * failures are tolerated, and the deadline of the whole Job. */
struct kpod_job {
    long long completions;                /* 1 when absent */
    long long parallelism;                /* 1 when absent */
    long long backoff_limit;              /* 6 when absent */
    long long active_deadline_seconds;    /* KPOD_UNSET when absent */
    long long ttl_seconds_after_finished; /* KPOD_UNSET when absent */
};

/* On every pod of a workload: "<Kind>/<name>" of its owner. */
#define KPOD_MANIFEST_OWNER_ANNOTATION "kpod.io/owner"
#define KPOD_MANIFEST_MAX_REPLICAS 100  /* pods per Deployment/ReplicaSet/StatefulSet */
#define KPOD_MANIFEST_MAX_JOB_PODS 1000 /* completions and parallelism of a Job */

struct kpod_pod {
    char *name;
    char *namespace;  /* "default" when absent */
    char *kind;       /* the kind it came from: Pod, Deployment, Job, DaemonSet */
    char *owner_name; /* metadata.name of the Deployment/Job/DaemonSet */
    /* workloads: pods are "<owner>-<index>"; replicas of one workload share the template */
    int index;
    struct kpod_job *job; /* Job only: its spec; the pod is the template of "<job>-<n>" */
    struct kpod_kvlist labels, annotations;
    struct kpod_container *containers; /* init containers first, in order */
    size_t n_containers, n_init;
    struct kpod_volume *volumes;
    size_t n_volumes;
    enum kpod_restart_policy restart_policy;
    char *hostname, *subdomain;
    bool host_network, host_pid, host_ipc, share_pid;
    char *dns_policy;
    char **dns_nameservers, **dns_searches;
    struct kpod_kvlist dns_options; /* value may be NULL */
    struct kpod_host_alias *host_aliases;
    size_t n_host_aliases;
    /* pod securityContext */
    long long run_as_user, run_as_group, fs_group; /* KPOD_UNSET when absent */
    kpod_tristate run_as_non_root;
    long long *supplemental_groups;
    size_t n_supplemental_groups;
    struct kpod_kvlist sysctls;
    struct kpod_seccomp_profile seccomp;
    long long termination_grace_seconds; /* 30 when absent */
    long long active_deadline_seconds;   /* KPOD_UNSET */
    struct kpod_pos pos;
};

struct kpod_arena;

/* A parsed, validated set of documents. */
struct kpod_workload {
    char *kind, *name, *namespace;
    long long replicas;         /* pods made from the template (a Job: 1, its template) */
    const struct kpod_job *job; /* Job only */
};

struct kpod_manifest {
    struct kpod_pod *pods;
    size_t n_pods;
    struct kpod_workload *workloads; /* in input order, with replicas 0 ones */
    size_t n_workloads;
    struct kpod_keyset *keysets; /* ConfigMaps and Secrets */
    size_t n_keysets;
    char **warnings; /* "file:line:col: path: text", in input order */
    char *source;    /* every input as read, joined with "---" documents (NUL-terminated) */
    size_t source_len;
    struct kpod_arena *arena;
};

/* Parsing. Each input is a file path or "-" for stdin. Returns NULL with *err
 * "file:line:col: path: cause" on the first error; the warnings found before it are then moved
 * to *ret_warnings when that is not NULL (on success they are in m->warnings). */
struct kpod_manifest *kpod_manifest_parse_files(char *const *paths, char ***ret_warnings,
                                                struct kpod_err **err);
/* Parses a buffer named name (used in positions). */
struct kpod_manifest *kpod_manifest_parse_buffer(const char *name, const char *buf, size_t len,
                                                 struct kpod_err **err);
void kpod_manifest_free(struct kpod_manifest *m);
KPOD_DEFINE_CLEANUP(struct kpod_manifest, kpod_manifest_free)
#define _cleanup_manifest_ _cleanup_(kpod_cleanup_kpod_manifest_free)

const struct kpod_keyset *kpod_manifest_find_keyset(const struct kpod_manifest *m,
                                                    enum kpod_keyset_kind kind, const char *name);
const struct kpod_volume *kpod_pod_find_volume(const struct kpod_pod *pod, const char *name);
const struct kpod_container *kpod_pod_find_container(const struct kpod_pod *pod, const char *name);

/* Values known only when the pod runs (fieldRef / resourceFieldRef). NULL strings become "". */
struct kpod_env_runtime {
    const char *pod_uid;
    const char *pod_ip;
    const char *host_ip;
    const char *node_name;
    long long node_cpu_milli; /* for limits.cpu without a limit; 0: unknown */
    long long node_mem_bytes; /* for limits.memory without a limit; 0: unknown */
};

/* The container's environment in Kubernetes order and precedence: envFrom sources in order,
 * then env entries (which win), $(VAR) expanded from the earlier entries in env values.
 * Returns a strv of "NAME=VALUE". Optional references to a missing key are left out. */
int kpod_manifest_container_env(const struct kpod_manifest *m, const struct kpod_pod *pod,
                                const struct kpod_container *c, const struct kpod_env_runtime *rt,
                                char ***ret_env, struct kpod_err **err);

/* Kubernetes $(VAR) expansion: $(NAME) from env ("NAME=VALUE" strv; the last wins), $$ is a
 * literal $, unknown references and anything else stay as written. Returns a new string, or
 * NULL when it would exceed KPOD_MANIFEST_MAX_EXPANSION bytes. */
char *kpod_manifest_expand(const char *s, char *const *env);
/* Expands every string of in against one index of env (command, args). */
int kpod_manifest_expand_strv(char *const *in, char *const *env, char ***ret,
                              struct kpod_err **err);

/* Parses a Kubernetes quantity ("100m", "0.5", "129e6", "129M", "123Mi") and returns it
 * multiplied by 1000 (milli = true, for cpu) or in units, rounded up like Kubernetes does.
 * Returns 0 or -1 (not a quantity, negative, or overflow). */
int kpod_quantity_parse(const char *s, bool milli, long long *ret);

/* Signal names: "SIGTERM", "TERM", "sigterm", "15", "SIGRTMIN+3". Returns the number or -1. */
int kpod_signal_parse(const char *s);
const char *kpod_signal_name(int sig);

/* The effective pull policy: the container's, else Always for an image without a tag or with
 * ":latest" (and no digest), else IfNotPresent, as Kubernetes defaults it. */
enum kpod_pull_policy kpod_container_pull_policy(const struct kpod_container *c);

/* Kubernetes name rules. */
bool kpod_is_dns1123_label(const char *s);
bool kpod_is_dns1123_subdomain(const char *s);

/* Emitting: pods back to Kubernetes YAML (`kpod generate kube`, and the form a pod is stored in
 * when it is played). Each pod becomes one document (a Pod, or a workload around it), then a
 * Service per pod when asked, then every ConfigMap and Secret the pods reference, once each, as
 * their own documents. Only what the user gave: no kpod-private fields. */
enum kpod_emit_kind {
    KPOD_EMIT_OWN = 0, /* the kind the pod was played from (Pod, Deployment, Job, ...) */
    KPOD_EMIT_POD,
    KPOD_EMIT_DEPLOYMENT, /* named as played, or "<pod>-deployment"; restartPolicy Always */
    KPOD_EMIT_JOB,        /* named as played, or "<pod>-job"; restartPolicy Always → OnFailure */
};

struct kpod_emit_opts {
    enum kpod_emit_kind kind;
    long long replicas; /* Deployment, ReplicaSet, StatefulSet; 0: 1 */
    bool service;       /* a Service per pod, selecting it by its labels (app=NAME if none) */
};

struct kpod_emit_item {
    const struct kpod_manifest *m; /* where the pod's ConfigMaps and Secrets are */
    const struct kpod_pod *pod;
};

/* Writes the YAML of the items to a new NUL-terminated buffer. */
int kpod_manifest_emit(const struct kpod_emit_item *items, size_t n, const struct kpod_emit_opts *o,
                       char **ret, size_t *ret_len, struct kpod_err **err);
