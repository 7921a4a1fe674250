/* lib/cgroup internals: the host's hierarchies, the cgroup handle, file I/O helpers and the
 * two backends. Only the lib/cgroup sources and test/unit/test_cgroup.c include this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

/* The v1 hierarchies kpod uses (name=systemd holds no controller but keeps processes in step
 * with the others, as runc and crun do). */
enum cg_ctrl {
    CG_CPU,
    CG_CPUACCT,
    CG_CPUSET,
    CG_MEMORY,
    CG_PIDS,
    CG_BLKIO,
    CG_DEVICES,
    CG_FREEZER,
    CG_SYSTEMD,
    CG_NCTRL,
};

/* The v1 name of a controller ("cpu", ..., "name=systemd"). */
const char *cg_ctrl_name(enum cg_ctrl c);

/* Where the hierarchies are mounted. */
struct cg_mounts {
    enum kpod_cgroup_version version; /* V2 when the cgroup2 mount is /sys/fs/cgroup */
    char *v1[CG_NCTRL];               /* mount point of each v1 controller, NULL if none */
    char *v2;                         /* the cgroup2 mount point, NULL if none */
};

/* Parses mountinfo text into *ret (freed with cg_mounts_free). Pure. */
void cg_parse_mounts(const char *mountinfo, struct cg_mounts *ret);
void cg_mounts_free(struct cg_mounts *m);
/* The host's mounts, parsed once from /proc/self/mountinfo. */
const struct cg_mounts *cg_host_mounts(void);

/* v2 controllers kpod enables and uses, as bits of a mask. */
enum {
    CG2_CPU = 1 << 0,
    CG2_CPUSET = 1 << 1,
    CG2_IO = 1 << 2,
    CG2_MEMORY = 1 << 3,
    CG2_PIDS = 1 << 4,
};
#define CG2_WANTED (CG2_CPU | CG2_CPUSET | CG2_IO | CG2_MEMORY | CG2_PIDS)
/* Parses cgroup.controllers / cgroup.subtree_control text ("cpu io memory") into a mask of
 * the controllers above (others ignored). Pure. */
unsigned cg_parse_controllers(const char *text);
const char *cg2_ctrl_name(unsigned bit);

/* Normalises a relative cgroup path: leading and repeated slashes folded; "", ".", ".." and
 * over-long paths rejected. Returns a new string or NULL with *err set. */
char *cg_normalize_path(const char *path, struct kpod_err **err);

/* A stat file kept open (kpod_cgroup_keep_stat_files), re-read with pread at offset 0. */
struct cg_open_file {
    const char *dir;  /* one of the handle's own dir strings */
    const char *file; /* a string literal */
    int fd;
};
#define CG_MAX_OPEN_FILES 16

struct kpod_cgroup {
    enum kpod_cgroup_version version;
    char *path;             /* normalised relative path, e.g. "kpod/abc/web" */
    char *mounts[CG_NCTRL]; /* v1: the mount of each controller's hierarchy, NULL if none */
    char *dirs[CG_NCTRL];   /* v1: <mount>/<path> per controller, NULL if not mounted */
    char *root;             /* v2: the cgroup2 mount */
    char *dir;              /* v2: <root>/<path> */
    bool keep_files;
    size_t nfiles;
    struct cg_open_file files[CG_MAX_OPEN_FILES];
};

/* Stats reads: like cg_read / cg_read_u64, through the handle's kept-open files when asked. */
ssize_t cg_read_stat(struct kpod_cgroup *cg, const char *dir, const char *file, char *buf,
                     size_t size, struct kpod_err **err);
int cg_read_stat_u64(struct kpod_cgroup *cg, const char *dir, const char *file, uint64_t *ret,
                     struct kpod_err **err);
void cg_close_files(struct kpod_cgroup *cg);

/* Opens or creates a v1 cgroup on the hierarchies of m (the host's, or a test's); takes path
 * (normalised). */
struct kpod_cgroup *cg_open_v1(const struct cg_mounts *m, char *path, bool create,
                               struct kpod_err **err);

/* v1: true if dirs[c] is set and no earlier controller shares its directory (co-mounted
 * cpu,cpuacct), so per-hierarchy work runs once per directory. */
bool cg_v1_first(const struct kpod_cgroup *cg, enum cg_ctrl c);

/* File I/O: one open and one read/write per call, no stdio. Errors name the file and value. */
/* Reads dir/file into buf (NUL-terminated); returns the length or -1. */
ssize_t cg_read(const char *dir, const char *file, char *buf, size_t size, struct kpod_err **err);
/* Reads a single-value file: a number or "max" (UINT64_MAX). */
int cg_read_u64(const char *dir, const char *file, uint64_t *ret, struct kpod_err **err);
/* Writes value to dir/file in one write(2). */
int cg_write(const char *dir, const char *file, const char *value, struct kpod_err **err);
int cg_writef(const char *dir, const char *file, struct kpod_err **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool cg_file_exists(const char *dir, const char *file);
/* Sleeps for ms milliseconds. */
void cg_sleep_ms(unsigned ms);

/* Reads every pid of dir/cgroup.procs and of all its sub-cgroups into *pids (appending). */
int cg_collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap, struct kpod_err **err);
/* Removes dir's sub-cgroups, leaves first, then dir itself; retries while busy (processes
 * still exiting). A missing dir is fine. */
int cg_rmdir_tree(const char *dir, struct kpod_err **err);

/* Device rules (devices.c). */
enum {
    CG_DEV_MKNOD = 1, /* BPF_DEVCG_ACC_* values */
    CG_DEV_READ = 2,
    CG_DEV_WRITE = 4,
    CG_DEV_RWM = 7,
};
struct cg_device_rule {
    char type;       /* 'a', 'b', 'c' */
    long long major; /* -1: any */
    long long minor; /* -1: any */
    unsigned access; /* CG_DEV_* bits */
};
/* Parses "c 1:3 rwm", "b *:* m", "c 136:* rw", "a". Pure. */
int cg_parse_device_rule(const char *text, struct cg_device_rule *ret, struct kpod_err **err);
struct bpf_insn;
/* Compiles allow rules into a cgroup device program (default deny) in out, which holds at
 * least 8 + 8 * nrules instructions; returns the count. Pure. */
size_t cg_device_program(const struct cg_device_rule *rules, size_t nrules, struct bpf_insn *out);
/* Attaches the program for allow to the v2 cgroup, replacing the ones attached before. */
int cg_v2_apply_devices(struct kpod_cgroup *cg, char **allow, struct kpod_err **err);
/* How many device programs are attached to the v2 cgroup. */
int cg_v2_device_programs(struct kpod_cgroup *cg, struct kpod_err **err);

/* The v1 backend (v1.c). */
int cg_v1_create(struct kpod_cgroup *cg, struct kpod_err **err);
int cg_v1_apply(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err);
int cg_v1_enter(struct kpod_cgroup *cg, pid_t pid, struct kpod_err **err);
int cg_v1_freeze(struct kpod_cgroup *cg, bool frozen, struct kpod_err **err);
int cg_v1_freezer_state(struct kpod_cgroup *cg, enum kpod_cgroup_freezer *ret,
                        struct kpod_err **err);
int cg_v1_stats(struct kpod_cgroup *cg, struct kpod_cgroup_stats *ret, struct kpod_err **err);

/* The v2 backend (v2.c). */
int cg_v2_create(struct kpod_cgroup *cg, struct kpod_err **err);
int cg_v2_apply(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err);
int cg_v2_enter(struct kpod_cgroup *cg, pid_t pid, struct kpod_err **err);
int cg_v2_freeze(struct kpod_cgroup *cg, bool frozen, struct kpod_err **err);
int cg_v2_freezer_state(struct kpod_cgroup *cg, enum kpod_cgroup_freezer *ret,
                        struct kpod_err **err);
int cg_v2_stats(struct kpod_cgroup *cg, struct kpod_cgroup_stats *ret, struct kpod_err **err);
/* Writes 1 to cgroup.kill; returns 1 if done, 0 if the kernel has no cgroup.kill. */
int cg_v2_kill(struct kpod_cgroup *cg, struct kpod_err **err);
