/* The OCI runtime-spec (config.json) subset kpod builds and runs, as plain C structs.
 *
 * Parsing is strict about types (errors name the JSON path: 'process.user.uid': expected an
 * integer) and lenient about fields kpod does not model: every unknown key is kept in the
 * `extra` object of the struct it appeared in (written back by kpod_oci_spec_to_json, so a
 * round trip loses nothing) and its path is listed in spec->unknown, so the runtime can warn
 * "ignoring unsupported field 'linux.intelRdt'".
 *
 * Conventions: strings and string vectors are NULL when absent; a present but empty JSON array
 * is an empty vector (not NULL), so it round-trips. Arrays of structs are pointer + count.
 * Signed 64-bit fields use KPOD_OCI_UNSET for "absent"; optional small fields have a has_
 * flag. Pure: no system calls beyond reading and writing the file in load/save. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define KPOD_OCI_VERSION "1.0.2"
/* The largest config.json kpod reads. */
#define KPOD_OCI_MAX_FILE (16u << 20)
/* "Absent" for int64 fields (OCI uses -1 for "unlimited", so -1 is a value). */
#define KPOD_OCI_UNSET INT64_MIN

struct kpod_oci_user {
    uint32_t uid;
    uint32_t gid;
    bool has_umask;
    uint32_t umask;
    uint32_t *additional_gids; /* additionalGids */
    size_t n_additional_gids;
    json_t *extra;
};

/* Each set NULL when absent. */
struct kpod_oci_caps {
    char **bounding;
    char **effective;
    char **inheritable;
    char **permitted;
    char **ambient;
    json_t *extra;
};

struct kpod_oci_rlimit {
    char *type; /* "RLIMIT_NOFILE" */
    uint64_t hard;
    uint64_t soft;
    json_t *extra;
};

struct kpod_oci_process {
    bool terminal;
    bool has_console_size;
    uint32_t console_height;
    uint32_t console_width;
    struct kpod_oci_user user;
    char **args;
    char **env;
    char *cwd;
    struct kpod_oci_caps *capabilities; /* NULL when absent */
    struct kpod_oci_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    bool has_oom_score_adj;
    int oom_score_adj;
    json_t *extra;
};

struct kpod_oci_root {
    char *path;
    bool readonly;
    json_t *extra;
};

struct kpod_oci_mount {
    char *destination;
    char *type;
    char *source;
    char **options;
    json_t *extra;
};

enum kpod_oci_hook_kind {
    KPOD_OCI_HOOK_PRESTART = 0,
    KPOD_OCI_HOOK_CREATE_RUNTIME,
    KPOD_OCI_HOOK_CREATE_CONTAINER,
    KPOD_OCI_HOOK_START_CONTAINER,
    KPOD_OCI_HOOK_POSTSTART,
    KPOD_OCI_HOOK_POSTSTOP,
    KPOD_OCI_HOOK_KINDS,
};

struct kpod_oci_hook {
    char *path;
    char **args;
    char **env;
    int timeout; /* seconds, 0 none */
    json_t *extra;
};

struct kpod_oci_hooks {
    struct kpod_oci_hook *list[KPOD_OCI_HOOK_KINDS];
    size_t n[KPOD_OCI_HOOK_KINDS];
    json_t *extra;
};

struct kpod_oci_namespace {
    char *type; /* pid network mount ipc uts user cgroup time */
    char *path; /* NULL: a new namespace */
    json_t *extra;
};

struct kpod_oci_id_mapping {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size;
};

struct kpod_oci_kv {
    char *key;
    char *value;
};

/* linux.resources.devices[]: a cgroup device rule. */
struct kpod_oci_device_rule {
    bool allow;
    char *type;    /* "a", "c", "b"; NULL = all */
    int64_t major; /* KPOD_OCI_UNSET = any */
    int64_t minor; /* KPOD_OCI_UNSET = any */
    char *access;  /* "rwm"; NULL = all */
    json_t *extra;
};

struct kpod_oci_resources {
    /* memory: bytes, KPOD_OCI_UNSET when absent, -1 unlimited */
    int64_t memory_limit;
    int64_t memory_reservation;
    int64_t memory_swap;
    /* cpu */
    uint64_t cpu_shares; /* 0 absent */
    int64_t cpu_quota;   /* KPOD_OCI_UNSET absent */
    uint64_t cpu_period; /* 0 absent */
    char *cpu_cpus;
    char *cpu_mems;
    /* pids */
    int64_t pids_limit; /* KPOD_OCI_UNSET absent */
    struct kpod_oci_device_rule *devices;
    size_t n_devices;
    json_t *extra;        /* of linux.resources */
    json_t *memory_extra; /* of linux.resources.memory */
    json_t *cpu_extra;
    json_t *pids_extra;
};

struct kpod_oci_seccomp_arg {
    uint32_t index;
    uint64_t value;
    uint64_t value_two; /* valueTwo */
    char *op;           /* "SCMP_CMP_EQ", ... */
    json_t *extra;
};

struct kpod_oci_seccomp_syscall {
    char **names;
    char *action; /* "SCMP_ACT_ERRNO", ... */
    bool has_errno_ret;
    uint32_t errno_ret; /* errnoRet */
    struct kpod_oci_seccomp_arg *args;
    size_t n_args;
    json_t *extra;
};

struct kpod_oci_seccomp {
    char *default_action;
    bool has_default_errno_ret;
    uint32_t default_errno_ret; /* defaultErrnoRet */
    char **architectures;       /* "SCMP_ARCH_X86_64", ... */
    char **flags;               /* "SECCOMP_FILTER_FLAG_LOG", ... */
    struct kpod_oci_seccomp_syscall *syscalls;
    size_t n_syscalls;
    json_t *extra;
};

/* linux.devices[]: a device node to create in the container. */
struct kpod_oci_device {
    char *path;
    char *type; /* "c", "b", "u", "p" */
    int64_t major;
    int64_t minor;
    bool has_file_mode;
    uint32_t file_mode;
    bool has_uid;
    uint32_t uid;
    bool has_gid;
    uint32_t gid;
    json_t *extra;
};

struct kpod_oci_linux {
    struct kpod_oci_namespace *namespaces;
    size_t n_namespaces;
    struct kpod_oci_id_mapping *uid_mappings;
    size_t n_uid_mappings;
    struct kpod_oci_id_mapping *gid_mappings;
    size_t n_gid_mappings;
    struct kpod_oci_kv *sysctl;
    size_t n_sysctl;
    struct kpod_oci_resources *resources; /* NULL when absent */
    char *cgroups_path;
    struct kpod_oci_seccomp *seccomp; /* NULL when absent */
    char **masked_paths;
    char **readonly_paths;
    char *rootfs_propagation;
    struct kpod_oci_device *devices;
    size_t n_devices;
    json_t *extra;
};

struct kpod_oci_spec {
    char *oci_version;
    struct kpod_oci_process *process; /* NULL when absent */
    struct kpod_oci_root *root;       /* NULL when absent */
    char *hostname;
    struct kpod_oci_mount *mounts;
    size_t n_mounts;
    struct kpod_oci_hooks *hooks; /* NULL when absent */
    struct kpod_oci_kv *annotations;
    size_t n_annotations;
    struct kpod_oci_linux *linux_; /* "linux" (a predefined macro under gnu11) */
    json_t *extra;
    /* JSON paths of the fields kept in extra objects, e.g. "linux.intelRdt". */
    char **unknown;
};

/* A new spec with ociVersion set and nothing else. */
struct kpod_oci_spec *kpod_oci_spec_new(void);
void kpod_oci_spec_free(struct kpod_oci_spec *spec);
KPOD_DEFINE_CLEANUP(struct kpod_oci_spec, kpod_oci_spec_free)
#define _cleanup_oci_spec_ _cleanup_(kpod_cleanup_kpod_oci_spec_free)

/* Builds a spec from a parsed config.json object; errors name the JSON path. */
struct kpod_oci_spec *kpod_oci_spec_from_json(const json_t *j, struct kpod_err **err);
/* Serialises a spec (with every preserved unknown field); never fails. */
json_t *kpod_oci_spec_to_json(const struct kpod_oci_spec *spec);
/* Reads path (at most KPOD_OCI_MAX_FILE bytes); errors start with the path. */
struct kpod_oci_spec *kpod_oci_spec_load_file(const char *path, struct kpod_err **err);
/* Writes atomically, pretty-printed, mode 0644. */
int kpod_oci_spec_save_file(const struct kpod_oci_spec *spec, const char *path,
                            struct kpod_err **err);

/* The JSON key of a hook kind ("createRuntime"). */
const char *kpod_oci_hook_kind_name(enum kpod_oci_hook_kind kind);

/* Builders (for the spec module and tests). Every string is copied. */
/* Ensures the optional sections exist and returns them. */
struct kpod_oci_process *kpod_oci_spec_process(struct kpod_oci_spec *spec);
struct kpod_oci_linux *kpod_oci_spec_linux(struct kpod_oci_spec *spec);
struct kpod_oci_resources *kpod_oci_spec_resources(struct kpod_oci_spec *spec);
/* Appends a mount; options NULL-terminated or NULL. */
struct kpod_oci_mount *kpod_oci_spec_add_mount(struct kpod_oci_spec *spec, const char *destination,
                                               const char *type, const char *source,
                                               char *const *options);
/* Finds the mount at destination (the last one, as it wins), or NULL. */
struct kpod_oci_mount *kpod_oci_spec_find_mount(const struct kpod_oci_spec *spec,
                                                const char *destination);
/* Sets (replacing) or with path NULL adds a new namespace of type. */
void kpod_oci_spec_set_namespace(struct kpod_oci_spec *spec, const char *type, const char *path);
/* The namespace entry of type, or NULL. */
const struct kpod_oci_namespace *kpod_oci_spec_find_namespace(const struct kpod_oci_spec *spec,
                                                              const char *type);
/* Sets (replacing) an annotation / a sysctl. */
void kpod_oci_spec_set_annotation(struct kpod_oci_spec *spec, const char *key, const char *value);
const char *kpod_oci_spec_get_annotation(const struct kpod_oci_spec *spec, const char *key);
void kpod_oci_spec_set_sysctl(struct kpod_oci_spec *spec, const char *key, const char *value);
/* Sets "NAME=value" in process.env, replacing an existing NAME. */
void kpod_oci_spec_set_env(struct kpod_oci_spec *spec, const char *name, const char *value);
/* Looks NAME up in an env vector ("NAME=value"); returns the value or NULL. */
const char *kpod_oci_env_get(char *const *env, const char *name);
/* Sets (replacing) an rlimit. */
void kpod_oci_spec_set_rlimit(struct kpod_oci_spec *spec, const char *type, uint64_t hard,
                              uint64_t soft);
/* Appends a hook; args/env may be NULL. */
void kpod_oci_spec_add_hook(struct kpod_oci_spec *spec, enum kpod_oci_hook_kind kind,
                            const char *path, char *const *args, char *const *env, int timeout);
