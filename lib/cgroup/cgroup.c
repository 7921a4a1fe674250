/* The common side of lib/cgroup: host detection, opening a cgroup, and dispatch to the v1
 * or v2 backend. */
#include "cgroup/cgroup.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup/internal.h"

static struct cg_mounts host_mounts;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static void
load_host_mounts(void)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_err_ struct kpod_err *err = NULL;
    if (kpod_fs_read_file("/proc/self/mountinfo", 16 << 20, &text, NULL, &err) < 0) {
        kpod_warn("cgroup: %s", err->msg);
        cg_parse_mounts("", &host_mounts);
        return;
    }
    cg_parse_mounts(text, &host_mounts);
}

const struct cg_mounts *
cg_host_mounts(void)
{
    pthread_once(&host_once, load_host_mounts);
    return &host_mounts;
}

enum kpod_cgroup_version
kpod_cgroup_host_version(void)
{
    return cg_host_mounts()->version;
}

void
kpod_cgroup_limits_init(struct kpod_cgroup_limits *l)
{
    memset(l, 0, sizeof(*l));
    l->memory_limit = -1;
    l->memory_reservation = -1;
    l->memory_swap = -1;
    l->cpu_quota = -1;
    l->pids_limit = -1;
}

void
kpod_cgroup_limits_free(struct kpod_cgroup_limits *l)
{
    if (l == NULL)
        return;
    free(l->cpuset_cpus);
    free(l->cpuset_mems);
    kpod_strv_free(l->devices_allow);
    l->cpuset_cpus = l->cpuset_mems = NULL;
    l->devices_allow = NULL;
}

void
kpod_cgroup_free(struct kpod_cgroup *cg)
{
    if (cg == NULL)
        return;
    cg_close_files(cg);
    for (int c = 0; c < CG_NCTRL; c++) {
        free(cg->mounts[c]);
        free(cg->dirs[c]);
    }
    free(cg->path);
    free(cg->root);
    free(cg->dir);
    free(cg);
}

KPOD_DEFINE_CLEANUP(struct kpod_cgroup, kpod_cgroup_free)

void
kpod_cgroup_keep_stat_files(struct kpod_cgroup *cg, bool keep)
{
    if (!keep)
        cg_close_files(cg);
    cg->keep_files = keep;
}

const char *
kpod_cgroup_path(const struct kpod_cgroup *cg)
{
    return cg->path;
}

bool
cg_v1_first(const struct kpod_cgroup *cg, enum cg_ctrl c)
{
    if (cg->dirs[c] == NULL)
        return false;
    for (int i = 0; i < (int)c; i++) {
        if (cg->dirs[i] != NULL && strcmp(cg->dirs[i], cg->dirs[c]) == 0)
            return false;
    }
    return true;
}

const char *
kpod_cgroup_dir(const struct kpod_cgroup *cg, const char *controller)
{
    if (cg->version == KPOD_CGROUP_V2)
        return cg->dir;
    for (int c = 0; c < CG_NCTRL; c++) {
        if (controller != NULL && strcmp(controller, cg_ctrl_name(c)) == 0)
            return cg->dirs[c];
    }
    return NULL;
}

static bool
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

struct kpod_cgroup *
cg_open_v1(const struct cg_mounts *m, char *path, bool create, struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_kpod_cgroup_free) struct kpod_cgroup *cg = xzalloc(sizeof(*cg));
    cg->version = KPOD_CGROUP_V1;
    cg->path = path;
    bool any = false, found = false;
    for (int c = 0; c < CG_NCTRL; c++) {
        if (m->v1[c] == NULL)
            continue;
        cg->mounts[c] = xstrdup(m->v1[c]);
        cg->dirs[c] = xasprintf("%s/%s", m->v1[c], path);
        any = true;
        found = found || is_dir(cg->dirs[c]);
    }
    if (!any)
        return kpod_err_msg(err, "cgroup '%s': no cgroup v1 hierarchy is mounted", path), NULL;
    if (create) {
        if (cg_v1_create(cg, err) < 0)
            return NULL;
    } else if (!found) {
        return kpod_err_notfound(err, "cgroup '%s' not found", path), NULL;
    }
    return TAKE_PTR(cg);
}

static struct kpod_cgroup *
open_v2(const char *root, char *path, bool create, struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_kpod_cgroup_free) struct kpod_cgroup *cg = xzalloc(sizeof(*cg));
    cg->version = KPOD_CGROUP_V2;
    cg->path = path;
    cg->root = xstrdup(root);
    cg->dir = xasprintf("%s/%s", root, path);
    if (create) {
        if (cg_v2_create(cg, err) < 0)
            return NULL;
    } else if (!is_dir(cg->dir)) {
        return kpod_err_notfound(err, "cgroup '%s' not found", path), NULL;
    }
    return TAKE_PTR(cg);
}

struct kpod_cgroup *
kpod_cgroup_open(const char *path, bool create, struct kpod_err **err)
{
    char *norm = cg_normalize_path(path, err);
    if (norm == NULL)
        return NULL;
    const struct cg_mounts *m = cg_host_mounts();
    if (m->version == KPOD_CGROUP_V2)
        return open_v2(m->v2, norm, create, err);
    return cg_open_v1(m, norm, create, err);
}

struct kpod_cgroup *
kpod_cgroup_open_v2_at(const char *v2root, const char *path, bool create, struct kpod_err **err)
{
    char *norm = cg_normalize_path(path, err);
    if (norm == NULL)
        return NULL;
    if (!is_dir(v2root) || !cg_file_exists(v2root, "cgroup.controllers")) {
        free(norm);
        return kpod_err_input(err, "'%s' is not a cgroup2 mount", v2root), NULL;
    }
    return open_v2(v2root, norm, create, err);
}

int
kpod_cgroup_apply(struct kpod_cgroup *cg, const struct kpod_cgroup_limits *l, struct kpod_err **err)
{
    int r = cg->version == KPOD_CGROUP_V2 ? cg_v2_apply(cg, l, err) : cg_v1_apply(cg, l, err);
    if (r < 0)
        return kpod_err_prefix(err, "cgroup '%s': apply limits", cg->path);
    return 0;
}

int
kpod_cgroup_enter(struct kpod_cgroup *cg, pid_t pid, struct kpod_err **err)
{
    int r = cg->version == KPOD_CGROUP_V2 ? cg_v2_enter(cg, pid, err) : cg_v1_enter(cg, pid, err);
    if (r < 0)
        return kpod_err_prefix(err, "cgroup '%s': move pid %d", cg->path, (int)pid);
    return 0;
}

int
kpod_cgroup_freeze(struct kpod_cgroup *cg, bool frozen, struct kpod_err **err)
{
    int r = cg->version == KPOD_CGROUP_V2 ? cg_v2_freeze(cg, frozen, err)
                                          : cg_v1_freeze(cg, frozen, err);
    if (r < 0)
        return kpod_err_prefix(err, "cgroup '%s': %s", cg->path, frozen ? "freeze" : "thaw");
    return 0;
}

int
kpod_cgroup_freezer_state(struct kpod_cgroup *cg, enum kpod_cgroup_freezer *ret,
                          struct kpod_err **err)
{
    int r = cg->version == KPOD_CGROUP_V2 ? cg_v2_freezer_state(cg, ret, err)
                                          : cg_v1_freezer_state(cg, ret, err);
    if (r < 0)
        return kpod_err_prefix(err, "cgroup '%s': freezer state", cg->path);
    return 0;
}

int
kpod_cgroup_read_stats(struct kpod_cgroup *cg, struct kpod_cgroup_stats *ret, struct kpod_err **err)
{
    struct kpod_cgroup_stats st;
    memset(&st, 0, sizeof(st));
    st.memory_limit = UINT64_MAX;
    st.pids_limit = UINT64_MAX;
    int r = cg->version == KPOD_CGROUP_V2 ? cg_v2_stats(cg, &st, err) : cg_v1_stats(cg, &st, err);
    if (r < 0)
        return kpod_err_prefix(err, "cgroup '%s': stats", cg->path);
    *ret = st;
    return 0;
}
