/* The warm pool (seed-semantics §8, Kata's VM factory/cache done with namespaces): sandboxes
 * made ahead of time up to, but not including, their containers — state dir and lock, pod
 * cgroup, network namespace with its veth and address, the infra (uts/ipc/pid holder), the
 * pod's /dev/shm and an idle monitor — that `kpod play` adopts for a pod that fits.
 *
 * Layout: <runroot>/factory/config.json ({size, network, cgroup_parent}: the pool exists when
 * it does), pool.lock (taken by adoption and destroy), refill.lock (the one refiller), and the
 * entries as a pod store of their own: <runroot>/factory/pods/<id>/{pod.json,lock,shm,...}.
 * An entry's pod.json says "factory": "creating" | "idle" in its extra; its lock is held by
 * whoever works on it (the refiller making it, a play adopting it, a sweep or destroy).
 *
 * Adoption (under pool.lock and the entry's lock): the pod's state is written into the entry's
 * directory, which is then renamed into the pod store (under the store's global lock, with
 * the name): from then on it is an ordinary pod that `pod rm` and `system reset` clean. Refill
 * is a detached `kpod factory refill` that play starts and never waits for; refill.lock keeps
 * it single. Entries whose infra or monitor died, whose netns vanished or that a crashed
 * adoption left behind are discarded by the refiller (never by play: it only skips them). */
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "monitor/monitor.h"
#include "network/network.h"
#include "spec/spec.h"

#define NSFS_MAGIC_ 0x6e736673
#define DEFAULT_NETWORK "kpod"

struct fcfg {
    long long size;
    char *network;
    char *cgroup_parent;
};

static void
fcfg_fini(struct fcfg *c)
{
    free(c->network);
    free(c->cgroup_parent);
    c->network = c->cgroup_parent = NULL;
}

static char *
fpath(const struct kpod_ctx *ctx, const char *leaf)
{
    return xasprintf("%s/factory/%s", ctx->runroot, leaf);
}

static const char *
env_cgroup_parent(void)
{
    const char *parent = getenv("KPOD_CGROUP_PARENT");
    return parent && *parent ? parent : "kpod";
}

/* 1: loaded; 0: no pool; -1: a broken one. */
static int
fcfg_load(const struct kpod_ctx *ctx, struct fcfg *c, struct kpod_err **err)
{
    _cleanup_free_ char *path = fpath(ctx, "config.json");
    if (access(path, F_OK) < 0 && errno == ENOENT)
        return 0;
    _cleanup_json_ json_t *j = kpod_json_load_file(path, 1 << 16, err);
    if (j == NULL)
        return -1;
    c->size = kpod_json_int(j, "size", -1);
    const char *net = kpod_json_str(j, "network");
    const char *parent = kpod_json_str(j, "cgroup_parent");
    if (c->size < 0 || c->size > KPOD_FACTORY_MAX || net == NULL || parent == NULL)
        return kpod_err_input(err, "'%s': not a pool configuration", path);
    c->network = xstrdup(net);
    c->cgroup_parent = xstrdup(parent);
    return 1;
}

/* The entries: a pod store rooted at <runroot>/factory. */
static int
fstore_init(const struct kpod_ctx *ctx, struct kpod_store *fs, struct kpod_err **err)
{
    struct kpod_ctx f = {.root = xasprintf("%s/factory", ctx->root),
                         .runroot = xasprintf("%s/factory", ctx->runroot),
                         .self = ctx->self};
    int rc = kpod_store_init(fs, &f, err);
    free(f.root);
    free(f.runroot);
    return rc;
}

static int
lock_entry(struct kpod_store *fs, const char *id, bool nonblock)
{
    _cleanup_free_ char *path = xasprintf("%s/pods/%s/lock", fs->runroot, id);
    struct kpod_err *e = NULL;
    int fd = kpod_lock_acquire(path, KPOD_LOCK_EXCLUSIVE, nonblock, &e);
    kpod_err_free(&e);
    return fd;
}

static const char *
entry_phase(const struct kpod_pod_state *e)
{
    const char *f = kpod_json_str(e->extra, "factory");
    return f ? f : "";
}

/* NULL when the entry can serve a pod; else why not. */
static const char *
entry_broken(const struct kpod_pod_state *e)
{
    if (strcmp(entry_phase(e), "idle") != 0)
        return "left behind by an interrupted creation or adoption";
    if (!kpod_proc_alive(e->infra_pid, e->infra_start))
        return "its infra process died";
    if (!kpod_proc_alive(e->monitor_pid, e->monitor_start))
        return "its monitor died";
    struct statfs sf;
    if (e->netns == NULL || statfs(e->netns, &sf) < 0 || sf.f_type != NSFS_MAGIC_)
        return "its network namespace vanished";
    return NULL;
}

/* ---- making an entry ---- */

static int
entry_build(struct kpod_ctx *ctx, struct kpod_store *fs, const struct fcfg *c,
            struct kpod_pod_state *p, const char *dir, struct kpod_err **err)
{
    struct kpod_cgroup *cg = kpod_cgroup_open(p->cgroup, true, err);
    if (cg == NULL)
        return -1;
    kpod_cgroup_free(cg);
    struct kpod_net_setup_args na = {.pod_id = p->id, .pod_name = p->name, .network = c->network};
    struct kpod_net_result *r = kpod_net_setup(ctx, &na, err);
    if (r == NULL)
        return -1;
    p->network = kpod_net_result_to_json(r);
    p->netns = xstrdup(r->netns_path);
    kpod_net_result_free(r);
    if (kpod_store_save(fs, p, err) < 0)
        return -1;
    /* a pid namespace always: a pod that shares it uses it, one that does not ignores it */
    _cleanup_free_ char *icg = xasprintf("%s/infra", p->cgroup);
    struct kpod_infra_args ia = {
        .netns_path = p->netns,
        .share_pid = true,
        .hostname = p->name,
        .cgroup_path = icg,
        .self = ctx->self,
    };
    if (kpod_infra_start(&ia, &p->infra_pid, &p->infra_start, err) < 0 ||
        kpod_store_save(fs, p, err) < 0)
        return -1;
    _cleanup_free_ char *shm = xasprintf("%s/shm", dir);
    char opts[64];
    snprintf(opts, sizeof(opts), "mode=1777,size=%lld", (long long)KPOD_SPEC_DEFAULT_SHM_SIZE);
    if (mkdir(shm, 0755) < 0 && errno != EEXIST)
        return kpod_err_sys(err, "create '%s'", shm);
    if (mount("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
        return kpod_err_sys(err, "mount tmpfs on '%s'", shm);
    kpod_sandbox_track_mount(p, shm);
    if (kpod_store_save(fs, p, err) < 0)
        return -1;
    /* the idle monitor: no container until play hands it the pod's config ("configure") */
    struct kpod_monitor_config mc = {
        .pod_id = p->id,
        .pod_name = p->name,
        .pod_dir = (char *)dir,
        .restart_policy = "Always",
        .backoff_ms = 10000,
    };
    _cleanup_json_ json_t *j = kpod_monitor_config_to_json(&mc);
    _cleanup_free_ char *mpath = xasprintf("%s/monitor.json", dir);
    if (kpod_json_save_file(mpath, j, true, 0600, err) < 0)
        return -1;
    unsigned long long start = 0;
    if (kpod_monitor_spawn(ctx->self, dir, "info", &p->monitor_pid, &start, err) < 0)
        return -1;
    p->monitor_start = start;
    kpod_json_set_str(p->extra, "factory", "idle");
    return kpod_store_save(fs, p, err);
}

static int
entry_create(struct kpod_ctx *ctx, struct kpod_store *fs, const struct fcfg *c,
             struct kpod_err **err)
{
    char id[65];
    kpod_random_hex(id, 32);
    _cleanup_free_ char *dir = kpod_store_pod_dir(fs, id);
    if (mkdir(dir, 0700) < 0)
        return kpod_err_sys(err, "create pool entry '%s'", dir);
    _cleanup_free_ char *lockpath = xasprintf("%s/lock", dir);
    _cleanup_lock_ int lock = kpod_lock_acquire(lockpath, KPOD_LOCK_EXCLUSIVE, false, err);
    if (lock < 0) {
        rmdir(dir);
        return -1;
    }
    struct kpod_pod_state *p = xzalloc(sizeof(*p));
    p->id = xstrdup(id);
    p->name = xasprintf("kpod-factory-%.12s", id); /* entry_destroy knows it too */
    p->ns = xstrdup("default");
    p->state = KPOD_STATE_READY;
    p->created_ns = kpod_clock_real_ns();
    p->restart_policy = xstrdup("Always");
    p->cgroup = xasprintf("%s/%s", c->cgroup_parent, id);
    p->labels = json_object();
    p->annotations = json_object();
    p->mounts = xcalloc(1, sizeof(char *));
    p->extra = json_pack("{s:s}", "factory", "creating");
    int rc = kpod_store_save(fs, p, err);
    if (rc == 0)
        rc = entry_build(ctx, fs, c, p, dir, err);
    if (rc == 0)
        rc = kpod_fault("factory-entry", err);
    if (rc < 0) {
        struct kpod_err *ignored = NULL;
        kpod_sandbox_destroy(ctx, fs, p, &ignored);
        kpod_err_free(&ignored);
    }
    kpod_pod_state_free(p);
    return rc < 0 ? kpod_err_prefix(err, "factory: make a pool entry") : 0;
}

/* Removes an entry whose lock the caller holds. */
static int
entry_destroy(struct kpod_ctx *ctx, struct kpod_store *fs, const char *id, struct kpod_err **err)
{
    struct kpod_err *e = NULL;
    struct kpod_pod_state *p = kpod_store_load(fs, id, &e);
    int rc;
    if (p == NULL) {
        /* no state (killed before its first save, or lost): what it may hold, by its names;
         * its infra is in its cgroup from birth, so destroying that kills it */
        kpod_err_free(&e);
        _cleanup_free_ char *name = xasprintf("kpod-factory-%.12s", id);
        if (kpod_net_cleanup(ctx, id, name, &e) < 0)
            kpod_warn("factory: entry %.12s: %s", id, e->msg);
        kpod_err_free(&e);
        rc = kpod_sandbox_destroy_bare(ctx, fs, id, err);
    } else {
        rc = kpod_sandbox_destroy(ctx, fs, p, err);
    }
    kpod_pod_state_free(p);
    return rc;
}

/* ---- adoption ---- */

static bool warned;

static void
warn_once(const char *msg)
{
    if (!warned)
        kpod_warn("factory: %s; creating pods directly", msg);
    warned = true;
}

static char *
rebase(const char *path, const char *from, const char *to)
{
    size_t n = strlen(from);
    if (strncmp(path, from, n) == 0 && (path[n] == '/' || path[n] == '\0'))
        return xasprintf("%s%s", to, path + n);
    return xstrdup(path);
}

static void
pause_at(const char *point)
{
    const char *want = getenv("KPOD_FACTORY_PAUSE");
    if (want != NULL && strcmp(want, point) == 0)
        sleep(60); /* for crash tests: kill -9 here */
}

/* The first ready entry that nobody holds, locked; the caller holds the pool lock. */
static struct kpod_pod_state *
pick_entry(struct kpod_store *fs, int *ret_lock)
{
    _cleanup_strv_ char **ids = NULL;
    _cleanup_err_ struct kpod_err *e = NULL;
    if (kpod_store_list(fs, &ids, &e) < 0) {
        warn_once(e->msg);
        return NULL;
    }
    for (size_t i = 0; ids[i] != NULL; i++) {
        _cleanup_lock_ int lock = lock_entry(fs, ids[i], true);
        if (lock < 0)
            continue; /* being made, or destroyed */
        struct kpod_err *le = NULL;
        struct kpod_pod_state *entry = kpod_store_load(fs, ids[i], &le);
        kpod_err_free(&le);
        if (entry != NULL && entry_broken(entry) == NULL) {
            *ret_lock = TAKE_FD(lock);
            return entry;
        }
        kpod_pod_state_free(entry); /* the refiller discards it */
    }
    return NULL;
}

/* p (the pod's identity) takes the entry's sandbox, its paths moved from one dir to the other. */
static void
take_sandbox(struct kpod_pod_state *p, const struct kpod_pod_state *entry, const char *from,
             const char *to)
{
    p->id = xstrdup(entry->id);
    free(p->cgroup);
    p->cgroup = xstrdup(entry->cgroup);
    p->netns = xstrdup(entry->netns);
    p->infra_pid = entry->infra_pid;
    p->infra_start = entry->infra_start;
    p->monitor_pid = entry->monitor_pid;
    p->monitor_start = entry->monitor_start;
    p->network = json_incref(entry->network);
    for (size_t i = 0; entry->mounts != NULL && entry->mounts[i] != NULL; i++)
        kpod_strv_push_take(&p->mounts, rebase(entry->mounts[i], from, to));
    json_object_set_new(p->extra, "from_factory", json_true());
    kpod_json_set_str(p->extra, "factory_entry", entry->name);
}

static void
untake_sandbox(struct kpod_pod_state *p)
{
    free(p->id);
    free(p->netns);
    p->id = p->netns = NULL;
    json_decref(p->network);
    p->network = NULL;
    kpod_strv_free(p->mounts);
    p->mounts = xcalloc(1, sizeof(char *));
    json_object_del(p->extra, "from_factory");
    json_object_del(p->extra, "factory_entry");
}

/* Makes the locked entry the pod p and moves it into the pod store s. Returns 0, or -1 when
 * it stays the pool's (a taken name, say: play then creates directly and reports it). */
static int
move_entry(struct kpod_store *s, struct kpod_store *fs, struct kpod_pod_state *entry,
           struct kpod_pod_state *p)
{
    _cleanup_free_ char *from = kpod_store_pod_dir(fs, entry->id);
    _cleanup_free_ char *to = kpod_store_pod_dir(s, entry->id);
    _cleanup_err_ struct kpod_err *e = NULL;
    /* the entry's lock marks the claim: a crash before the rename leaves it idle, ready */
    pause_at("claim");
    take_sandbox(p, entry, from, to);
    if (kpod_store_adopt_pod(s, from, p, &e) < 0) {
        /* its pod.json may be the pod's already: put the entry's back */
        struct kpod_err *ignored = NULL;
        kpod_store_save(fs, entry, &ignored);
        kpod_err_free(&ignored);
        untake_sandbox(p);
        return -1;
    }
    return 0;
}

static int
adopt_locked(struct kpod_ctx *ctx, struct kpod_store *s, struct kpod_pod_state *p, int *ret_lock)
{
    _cleanup_err_ struct kpod_err *e = NULL;
    struct kpod_store fs = {0};
    if (fstore_init(ctx, &fs, &e) < 0) {
        warn_once(e->msg);
        kpod_store_fini(&fs);
        return 0;
    }
    _cleanup_free_ char *plockpath = fpath(ctx, "pool.lock");
    _cleanup_lock_ int plock = kpod_lock_acquire(plockpath, KPOD_LOCK_EXCLUSIVE, false, &e);
    if (plock < 0)
        warn_once(e->msg);
    int elock = -1;
    struct kpod_pod_state *entry = plock < 0 ? NULL : pick_entry(&fs, &elock);
    bool moved = entry != NULL && move_entry(s, &fs, entry, p) == 0;
    kpod_lock_release(TAKE_FD(plock));
    if (moved) {
        pause_at("adopted");
        *ret_lock = TAKE_FD(elock);
    }
    kpod_lock_release(elock);
    kpod_pod_state_free(entry);
    kpod_store_fini(&fs);
    return moved ? 1 : 0;
}

int
kpod_factory_adopt(struct kpod_ctx *ctx, struct kpod_store *s, const struct kpod_factory_want *w,
                   struct kpod_pod_state *p, int *ret_lock)
{
    _cleanup_err_ struct kpod_err *e = NULL;
    struct fcfg c = {0};
    int r = fcfg_load(ctx, &c, &e);
    if (r < 0)
        warn_once(e->msg);
    bool fits = r > 0 && c.size > 0 &&
                strcmp(w->network ? w->network : DEFAULT_NETWORK, c.network) == 0 &&
                strcmp(env_cgroup_parent(), c.cgroup_parent) == 0;
    fcfg_fini(&c);
    if (!fits)
        return 0;
    int adopted = adopt_locked(ctx, s, p, ret_lock);
    if (!adopted) /* short of entries; after an adoption play starts one when it is done */
        kpod_factory_kick(ctx);
    return adopted;
}

int
kpod_factory_sethostname(pid_t infra, const char *hostname, struct kpod_err **err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)infra);
    _cleanup_close_ int self = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
    if (self < 0 || target < 0)
        return kpod_err_sys(err, "open the pod's uts namespace");
    if (setns(target, CLONE_NEWUTS) < 0)
        return kpod_err_sys(err, "enter the pod's uts namespace");
    int rc = 0;
    if (sethostname(hostname, strlen(hostname)) < 0)
        rc = kpod_err_sys(err, "set the hostname '%s'", hostname);
    if (setns(self, CLONE_NEWUTS) < 0) {
        /* cannot happen short of a kernel bug; never go on in the pod's namespace */
        kpod_log(KPOD_LOG_ERROR, "leave the pod's uts namespace: %m");
        abort();
    }
    return rc;
}

/* ---- refill ---- */

void
kpod_factory_kick(struct kpod_ctx *ctx)
{
    _cleanup_free_ char *cfg = fpath(ctx, "config.json");
    const char *no = getenv("KPOD_FACTORY_NOREFILL"); /* tests: a pool that stays drained */
    if (access(cfg, F_OK) < 0 || (no != NULL && strcmp(no, "1") == 0))
        return;
    _cleanup_free_ char *rlock = fpath(ctx, "refill.lock");
    int fd = kpod_lock_acquire(rlock, KPOD_LOCK_EXCLUSIVE, true, NULL);
    if (fd < 0)
        return; /* a refiller runs: it looks again before it leaves */
    kpod_lock_release(fd);
    _cleanup_free_ char *logpath = fpath(ctx, "refill.log");
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) {
        setsid();
        if (fork() != 0)
            _exit(0);
        int null = open("/dev/null", O_RDWR);
        int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        dup2(null, 0);
        dup2(null, 1);
        dup2(log >= 0 ? log : null, 2);
        close_range(3, ~0U, 0);
        execl(ctx->self, "kpod", "--root", ctx->root, "--runroot", ctx->runroot, "factory",
              "refill", (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* Counts ready entries; discards broken ones that nobody holds. */
static int
sweep(struct kpod_ctx *ctx, struct kpod_store *fs, struct kpod_err **err)
{
    _cleanup_strv_ char **ids = NULL;
    if (kpod_store_list(fs, &ids, err) < 0)
        return -1;
    int ready = 0;
    for (size_t i = 0; ids[i] != NULL; i++) {
        _cleanup_lock_ int lock = lock_entry(fs, ids[i], true);
        if (lock < 0)
            continue;
        struct kpod_err *e = NULL;
        struct kpod_pod_state *p = kpod_store_load(fs, ids[i], &e);
        const char *why = p == NULL ? (e ? e->msg : "no state") : entry_broken(p);
        if (why == NULL) {
            ready++;
        } else {
            kpod_info("factory: discard entry %.12s: %s", ids[i], why);
            struct kpod_err *de = NULL;
            if (entry_destroy(ctx, fs, ids[i], &de) < 0)
                kpod_warn("factory: discard entry %.12s: %s", ids[i], de->msg);
            kpod_err_free(&de);
        }
        kpod_err_free(&e);
        kpod_pod_state_free(p);
    }
    return ready;
}

int
kpod_factory_refill(struct kpod_ctx *ctx, bool wait, struct kpod_err **err)
{
    _cleanup_free_ char *rlock = fpath(ctx, "refill.lock");
    int made = 0;
    for (;;) {
        _cleanup_lock_ int lock = kpod_lock_acquire(rlock, KPOD_LOCK_EXCLUSIVE, !wait, NULL);
        if (lock < 0)
            return wait ? kpod_err_msg(err, "factory: lock '%s'", rlock) : 0;
        struct fcfg c = {0};
        struct kpod_store fs = {0};
        int rc = 0, ready = 0;
        for (;;) {
            fcfg_fini(&c);
            int r = fcfg_load(ctx, &c, err);
            if (r <= 0) {
                rc = r; /* destroyed meanwhile: done */
                break;
            }
            setenv("KPOD_CGROUP_PARENT", c.cgroup_parent, 1);
            if (fs.runroot == NULL && (rc = fstore_init(ctx, &fs, err)) < 0)
                break;
            if ((ready = sweep(ctx, &fs, err)) < 0) {
                rc = -1;
                break;
            }
            if (ready >= c.size)
                break;
            /* bounded: plays may take entries as fast as they come */
            if (made++ > 4 * (c.size + 4)) {
                rc = kpod_err_msg(err, "factory: refill gave up after %d entries", made);
                break;
            }
            if ((rc = entry_create(ctx, &fs, &c, err)) < 0)
                break;
        }
        long long size = c.size;
        fcfg_fini(&c);
        kpod_store_fini(&fs);
        kpod_lock_release(TAKE_FD(lock));
        if (rc < 0 || wait)
            return rc < 0 ? -1 : 0;
        /* a play that found the lock held did not start a refiller: look once more */
        struct kpod_store again = {0};
        int now = -1;
        struct kpod_err *ignored = NULL;
        if (fstore_init(ctx, &again, &ignored) == 0) {
            _cleanup_strv_ char **ids = NULL;
            now = kpod_store_list(&again, &ids, &ignored);
        }
        kpod_err_free(&ignored);
        kpod_store_fini(&again);
        if (now < 0 || now >= size)
            return 0;
    }
}

/* ---- init, destroy, status ---- */

int
kpod_factory_init(struct kpod_ctx *ctx, long long size, const char *network, struct kpod_err **err)
{
    if (size < 0 || size > KPOD_FACTORY_MAX)
        return kpod_err_usage(err, "factory: size %lld is not within 0..%d", size,
                              KPOD_FACTORY_MAX);
    const char *net = network ? network : DEFAULT_NETWORK;
    /* the network must exist (and be usable by pods) now, not at the first refill */
    struct kpod_net_config *nc = kpod_net_config_load(ctx, net, err);
    if (nc == NULL)
        return kpod_err_prefix(err, "factory init");
    kpod_net_config_free(nc);
    _cleanup_free_ char *dir = xasprintf("%s/factory", ctx->runroot);
    if (kpod_fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    struct fcfg old = {0};
    struct kpod_err *ignored = NULL;
    int had = fcfg_load(ctx, &old, &ignored);
    kpod_err_free(&ignored);
    bool changed = had > 0 && (strcmp(old.network, net) != 0 ||
                               strcmp(old.cgroup_parent, env_cgroup_parent()) != 0);
    fcfg_fini(&old);
    if (changed && kpod_factory_destroy(ctx, err) < 0) /* entries of another network go */
        return -1;
    if (kpod_fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_json_ json_t *j = json_pack("{s:I, s:s, s:s}", "size", (json_int_t)size, "network",
                                         net, "cgroup_parent", env_cgroup_parent());
    _cleanup_free_ char *path = fpath(ctx, "config.json");
    if (kpod_json_save_file(path, j, true, 0600, err) < 0)
        return -1;
    /* a smaller pool: the extra entries go */
    struct kpod_store fs = {0};
    if (fstore_init(ctx, &fs, err) < 0)
        return -1;
    _cleanup_free_ char *plockpath = fpath(ctx, "pool.lock");
    int plock = kpod_lock_acquire(plockpath, KPOD_LOCK_EXCLUSIVE, false, err);
    _cleanup_strv_ char **ids = NULL;
    int n = plock < 0 ? -1 : kpod_store_list(&fs, &ids, err);
    for (int i = (int)size; i < n; i++) {
        _cleanup_lock_ int l = lock_entry(&fs, ids[i], false);
        (void)l; /* held (when it could be taken) while the entry goes */
        if (entry_destroy(ctx, &fs, ids[i], &ignored) < 0)
            kpod_warn("factory: remove entry %.12s: %s", ids[i], ignored->msg);
        kpod_err_free(&ignored);
    }
    kpod_lock_release(plock);
    kpod_store_fini(&fs);
    if (n < 0)
        return -1;
    return kpod_factory_refill(ctx, true, err);
}

int
kpod_factory_destroy(struct kpod_ctx *ctx, struct kpod_err **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/factory", ctx->runroot);
    if (access(dir, F_OK) < 0)
        return 0;
    struct fcfg c = {0};
    struct kpod_err *ignored = NULL;
    if (fcfg_load(ctx, &c, &ignored) > 0)
        setenv("KPOD_CGROUP_PARENT", c.cgroup_parent, 1);
    kpod_err_free(&ignored);
    fcfg_fini(&c);
    /* the refiller sees the configuration gone and stops after the entry it makes */
    _cleanup_free_ char *cfg = fpath(ctx, "config.json");
    if (unlink(cfg) < 0 && errno != ENOENT)
        return kpod_err_sys(err, "factory: remove '%s'", cfg);
    _cleanup_free_ char *rlockpath = fpath(ctx, "refill.lock");
    _cleanup_free_ char *plockpath = fpath(ctx, "pool.lock");
    _cleanup_lock_ int rlock = kpod_lock_acquire(rlockpath, KPOD_LOCK_EXCLUSIVE, false, err);
    if (rlock < 0)
        return -1;
    _cleanup_lock_ int plock = kpod_lock_acquire(plockpath, KPOD_LOCK_EXCLUSIVE, false, err);
    if (plock < 0)
        return -1;
    struct kpod_store fs = {0};
    if (fstore_init(ctx, &fs, err) < 0)
        return -1;
    _cleanup_strv_ char **ids = NULL;
    int rc = kpod_store_list(&fs, &ids, err) < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && ids[i] != NULL; i++) {
        _cleanup_lock_ int l = lock_entry(&fs, ids[i], false);
        (void)l; /* held (when it could be taken) while the entry goes */
        struct kpod_err *e = NULL;
        if (entry_destroy(ctx, &fs, ids[i], &e) < 0) {
            kpod_err_move(err, &e);
            rc = -1;
        }
    }
    kpod_store_fini(&fs);
    if (rc < 0)
        return kpod_err_prefix(err, "factory destroy");
    _cleanup_free_ char *data = xasprintf("%s/factory", ctx->root);
    if (kpod_fs_rm_rf(data, err) < 0)
        return -1;
    return kpod_fs_rm_rf(dir, err);
}

/* Resident and private memory of a process, in kB (smaps_rollup). */
static void
proc_mem(pid_t pid, long long *rss, long long *priv)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
    _cleanup_free_ char *text = NULL;
    struct kpod_err *e = NULL;
    if (pid <= 0 || kpod_fs_read_file(path, 1 << 16, &text, NULL, &e) < 0) {
        kpod_err_free(&e);
        return;
    }
    const char *keys[] = {"\nRss:", "\nPrivate_Clean:", "\nPrivate_Dirty:"};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        const char *at = strstr(text, keys[i]);
        long long v = at ? strtoll(at + strlen(keys[i]), NULL, 10) : 0;
        if (i == 0)
            *rss += v;
        else
            *priv += v;
    }
}

json_t *
kpod_factory_status(struct kpod_ctx *ctx, struct kpod_err **err)
{
    struct fcfg c = {0};
    int r = fcfg_load(ctx, &c, err);
    if (r < 0)
        return NULL;
    json_t *j = json_pack("{s:b, s:I, s:s}", "Configured", r > 0, "Size",
                          (json_int_t)(r > 0 ? c.size : 0), "Network", r > 0 ? c.network : "");
    fcfg_fini(&c);
    _cleanup_free_ char *rlockpath = fpath(ctx, "refill.lock");
    bool refilling = false;
    if (access(rlockpath, F_OK) == 0) {
        int fd = kpod_lock_acquire(rlockpath, KPOD_LOCK_EXCLUSIVE, true, NULL);
        refilling = fd < 0;
        kpod_lock_release(fd);
    }
    json_object_set_new(j, "Refilling", json_boolean(refilling));
    json_t *entries = json_array();
    int ready = 0;
    _cleanup_free_ char *dir = xasprintf("%s/factory", ctx->runroot);
    if (access(dir, F_OK) == 0) {
        struct kpod_store fs = {0};
        _cleanup_strv_ char **ids = NULL;
        if (fstore_init(ctx, &fs, err) < 0 || kpod_store_list(&fs, &ids, err) < 0) {
            kpod_store_fini(&fs);
            json_decref(entries);
            json_decref(j);
            return NULL;
        }
        for (size_t i = 0; ids[i] != NULL; i++) {
            struct kpod_err *e = NULL;
            struct kpod_pod_state *p = kpod_store_load(&fs, ids[i], &e);
            const char *why = p == NULL ? "no state" : entry_broken(p);
            const char *phase = p ? entry_phase(p) : "";
            /* who holds its lock works on it: the refiller making it, a play adopting it */
            int l = lock_entry(&fs, ids[i], true);
            const char *state = why == NULL ? "ready" : "broken";
            if (l < 0)
                state = strcmp(phase, "creating") == 0 ? "creating" : "adopting";
            kpod_lock_release(l);
            long long rss = 0, priv = 0;
            if (p != NULL) {
                if (kpod_proc_alive(p->infra_pid, p->infra_start))
                    proc_mem(p->infra_pid, &rss, &priv);
                if (kpod_proc_alive(p->monitor_pid, p->monitor_start))
                    proc_mem(p->monitor_pid, &rss, &priv);
            }
            const char *ip = p && p->network ? kpod_json_str(p->network, "ip") : NULL;
            json_t *o =
                json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "Id", ids[i], "State", state,
                          "IP", ip ? ip : "", "Created", (json_int_t)(p ? p->created_ns : 0),
                          "InfraPid", (json_int_t)(p ? p->infra_pid : 0), "MonitorPid",
                          (json_int_t)(p ? p->monitor_pid : 0), "RssKiB", (json_int_t)rss,
                          "PrivateKiB", (json_int_t)priv);
            if (why != NULL && strcmp(state, "broken") == 0)
                kpod_json_set_str(o, "Reason", why);
            json_array_append_new(entries, o);
            ready += strcmp(state, "ready") == 0;
            kpod_pod_state_free(p);
            kpod_err_free(&e);
        }
        kpod_store_fini(&fs);
    }
    json_object_set_new(j, "Ready", json_integer(ready));
    json_object_set_new(j, "Entries", entries);
    return j;
}
