/* Processes of a cgroup tree, signalling them, and tearing the tree down: freeze → kill →
 * thaw, wait for empty (bounded), rmdir leaves first. */
#include "cgroup/internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bounds: about two seconds of killing and as much of rmdir retries. */
#define KILL_ROUNDS 150
#define RMDIR_ROUNDS 150

static unsigned
backoff_ms(unsigned round)
{
    return round < 10 ? 1 : round < 50 ? 5 : 20;
}

static void
push_pid(pid_t pid, pid_t **pids, size_t *n, size_t *cap)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*pids)[i] == pid)
            return;
    }
    xgrow((void **)pids, cap, *n + 1, sizeof(pid_t));
    (*pids)[(*n)++] = pid;
}

static int
read_procs(const char *dir, pid_t **pids, size_t *n, size_t *cap, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir);
    _cleanup_free_ char *text = NULL;
    _cleanup_err_ struct kpod_err *e = NULL;
    if (kpod_fs_read_file(path, 64 << 20, &text, NULL, &e) < 0) {
        if (e->errnum == ENOENT || e->errnum == ENODEV)
            return 0; /* removed under us */
        kpod_err_move(err, &e);
        return -1;
    }
    for (char *p = text; *p != '\0';) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        if (v > 0)
            push_pid((pid_t)v, pids, n, cap);
        p = end;
        while (*p == '\n')
            p++;
    }
    return 0;
}

int
cg_collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap, struct kpod_err **err)
{
    if (read_procs(dir, pids, n, cap, err) < 0)
        return -1;
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        return kpod_err_sys(err, "open cgroup '%s'", dir);
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
        if (cg_collect_pids(sub, pids, n, cap, err) < 0)
            return -1;
    }
    return 0;
}

/* Every pid in every hierarchy of cg (v1 processes may sit in some hierarchies only). */
static int
all_pids(struct kpod_cgroup *cg, pid_t **ret, size_t *ret_n, struct kpod_err **err)
{
    pid_t *pids = NULL;
    size_t n = 0, cap = 0;
    if (cg->version == KPOD_CGROUP_V2) {
        if (cg_collect_pids(cg->dir, &pids, &n, &cap, err) < 0)
            return free(pids), -1;
    } else {
        for (int c = 0; c < CG_NCTRL; c++) {
            if (cg_v1_first(cg, c) && cg_collect_pids(cg->dirs[c], &pids, &n, &cap, err) < 0)
                return free(pids), -1;
        }
    }
    *ret = pids;
    *ret_n = n;
    return 0;
}

int
kpod_cgroup_pids(struct kpod_cgroup *cg, pid_t **ret_pids, struct kpod_err **err)
{
    pid_t *pids = NULL;
    size_t n = 0;
    if (all_pids(cg, &pids, &n, err) < 0)
        return kpod_err_prefix(err, "cgroup '%s': list processes", cg->path);
    *ret_pids = pids;
    return (int)n;
}

static int
kill_list(struct kpod_cgroup *cg, int sig, struct kpod_err **err)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (all_pids(cg, &pids, &n, err) < 0)
        return -1;
    int done = 0;
    for (size_t i = 0; i < n; i++) {
        if (kill(pids[i], sig) == 0)
            done++;
        else if (errno != ESRCH)
            return kpod_err_sys(err, "kill pid %d", (int)pids[i]);
    }
    return done;
}

int
kpod_cgroup_signal(struct kpod_cgroup *cg, int sig, struct kpod_err **err)
{
    int r = 0;
    if (cg->version == KPOD_CGROUP_V2 && sig == SIGKILL)
        r = cg_v2_kill(cg, err);
    if (r == 0)
        r = kill_list(cg, sig, err);
    if (r < 0)
        return kpod_err_prefix(err, "cgroup '%s': signal %d", cg->path, sig);
    return r;
}

/* Writes the freezer without waiting: enough to stop forks racing the kill loop. */
static void
freeze_nowait(struct kpod_cgroup *cg, bool frozen)
{
    if (cg->version == KPOD_CGROUP_V2) {
        if (cg_file_exists(cg->dir, "cgroup.freeze"))
            cg_write(cg->dir, "cgroup.freeze", frozen ? "1" : "0", NULL);
    } else if (cg->dirs[CG_FREEZER] != NULL &&
               cg_file_exists(cg->dirs[CG_FREEZER], "freezer.state")) {
        cg_write(cg->dirs[CG_FREEZER], "freezer.state", frozen ? "FROZEN" : "THAWED", NULL);
    }
}

/* Kills until no process is left; returns 0, or -1 naming the survivors. */
static int
kill_all(struct kpod_cgroup *cg, struct kpod_err **err)
{
    bool v2kill = false;
    for (unsigned round = 0; round < KILL_ROUNDS; round++) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (all_pids(cg, &pids, &n, err) < 0)
            return -1;
        if (n == 0)
            return 0;
        if (round == 0 && cg->version == KPOD_CGROUP_V2) {
            int r = cg_v2_kill(cg, err);
            if (r < 0)
                return -1;
            v2kill = r > 0;
        }
        if (!v2kill && round % 10 == 0) {
            freeze_nowait(cg, true);
            if (kill_list(cg, SIGKILL, err) < 0) {
                freeze_nowait(cg, false);
                return -1;
            }
            freeze_nowait(cg, false);
        }
        cg_sleep_ms(backoff_ms(round));
    }
    _cleanup_free_ pid_t *left = NULL;
    size_t n = 0;
    if (all_pids(cg, &left, &n, err) < 0)
        return -1;
    if (n == 0)
        return 0;
    return kpod_err_msg(err, "%zu process%s did not exit after SIGKILL (pid %d%s)", n,
                        n == 1 ? "" : "es", (int)left[0], n > 1 ? ", ..." : "");
}

int
cg_rmdir_tree(const char *dir, struct kpod_err **err)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        return kpod_err_sys(err, "open cgroup '%s'", dir);
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
        if (cg_rmdir_tree(sub, err) < 0)
            return -1;
    }
    for (unsigned round = 0;; round++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY || round >= RMDIR_ROUNDS)
            return kpod_err_sys(err, "remove cgroup '%s'", dir);
        cg_sleep_ms(backoff_ms(round));
    }
}

int
kpod_cgroup_destroy(struct kpod_cgroup *cg, struct kpod_err **err)
{
    cg_close_files(cg);
    if (kill_all(cg, err) < 0)
        return kpod_err_prefix(err, "cgroup '%s': destroy", cg->path);
    if (cg->version == KPOD_CGROUP_V2) {
        if (cg_rmdir_tree(cg->dir, err) < 0)
            return kpod_err_prefix(err, "cgroup '%s': destroy", cg->path);
        return 0;
    }
    for (int c = 0; c < CG_NCTRL; c++) {
        if (cg_v1_first(cg, c) && cg_rmdir_tree(cg->dirs[c], err) < 0)
            return kpod_err_prefix(err, "cgroup '%s': destroy", cg->path);
    }
    return 0;
}

int
kpod_cgroup_destroy_path(const char *path, struct kpod_err **err)
{
    _cleanup_err_ struct kpod_err *e = NULL;
    struct kpod_cgroup *cg = kpod_cgroup_open(path, false, &e);
    if (cg == NULL) {
        if (e->kind == KPOD_ERR_NOTFOUND)
            return 0;
        kpod_err_move(err, &e);
        return -1;
    }
    int r = kpod_cgroup_destroy(cg, err);
    kpod_cgroup_free(cg);
    return r;
}
