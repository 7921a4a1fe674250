/* The pod lifecycle after play: fetch (side-effect free, with what the monitor recorded),
 * start, stop(force), remove (always cleans up, also after kill -9 of kpod or the monitor),
 * pause/unpause (freezer) and kill — each under the pod's lock, each persisted. */
#include "sandbox/internal.h"

#include <dirent.h>
#include <errno.h>
#include <sys/mount.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/container.h"
#include "image/image.h"
#include "monitor/monitor.h"
#include "network/network.h"
#include "spec/oci.h"

static char *
state_dir(struct kpod_store *s, const struct kpod_pod_state *p, const char *ctr)
{
    return xasprintf("%s/pods/%s/ctr/%s", s->runroot, p->id, ctr);
}

/* Folds a container's status.json into its state. */
static void
merge_status(struct kpod_store *s, const struct kpod_pod_state *p, struct kpod_ctr_state *c)
{
    _cleanup_free_ char *dir = state_dir(s, p, c->name);
    struct kpod_ctr_status st;
    struct kpod_err *e = NULL;
    if (kpod_ctr_status_load(dir, &st, &e) < 0) {
        kpod_err_free(&e);
        return;
    }
    c->pid = st.pid;
    c->pid_start = st.starttime;
    c->exit_code = st.exit_code;
    c->oom_killed = st.oom_killed;
    c->restart_count = st.restart_count;
    if (st.started_ns)
        c->started_ns = st.started_ns;
    c->finished_ns = st.finished_ns;
    if (strcmp(st.state, "running") == 0)
        c->state = kpod_proc_alive(st.pid, st.starttime) ? KPOD_STATE_RUNNING : KPOD_STATE_STOPPED;
    else if (strcmp(st.state, "created") == 0)
        c->state = KPOD_STATE_READY;
    else
        c->state = KPOD_STATE_STOPPED;
    if (c->state == KPOD_STATE_RUNNING && p->state == KPOD_STATE_PAUSED)
        c->state = KPOD_STATE_PAUSED;
    if (c->extra == NULL)
        c->extra = json_object();
    json_object_set_new(c->extra, "waiting", json_boolean(strcmp(st.state, "waiting") == 0));
    if (st.error != NULL)
        json_object_set_new(c->extra, "error", json_string(st.error));
    kpod_json_set_int(c->extra, "log_dropped", (long long)st.log_dropped);
    bool up = c->state == KPOD_STATE_RUNNING || c->state == KPOD_STATE_PAUSED;
    json_object_set_new(c->extra, "ready", json_boolean(up && st.ready));
    json_object_set_new(c->extra, "started", json_boolean(up && st.started));
    json_t *probes = kpod_ctr_status_probes_json(&st);
    if (probes != NULL)
        json_object_set_new(c->extra, "probes", probes);
    kpod_ctr_status_fini(&st);
}

struct kpod_pod_state *
kpod_sandbox_fetch(struct kpod_store *s, const char *id, struct kpod_err **err)
{
    struct kpod_pod_state *p = kpod_store_load(s, id, err);
    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < p->nctrs; i++)
        merge_status(s, p, &p->ctrs[i]);
    return p;
}

int kpod_sandbox_monitor_start(struct kpod_store *s, struct kpod_pod_state *p,
                               struct kpod_err **err);

int
kpod_sandbox_monitor_start(struct kpod_store *s, struct kpod_pod_state *p, struct kpod_err **err)
{
    _cleanup_free_ char *dir = kpod_store_pod_dir(s, p->id);
    _cleanup_json_ json_t *req = json_pack("{s:s}", "op", "start");
    _cleanup_json_ json_t *rep = kpod_monitor_call(dir, req, -1, err);
    if (rep == NULL)
        return -1;
    if (!kpod_json_bool(rep, "ok", false)) {
        int code = (int)kpod_json_int(rep, "exit", 125);
        const char *msg = kpod_json_str(rep, "error");
        return kpod_err_set(err,
                            code == 127   ? KPOD_ERR_NOTFOUND
                            : code == 126 ? KPOD_ERR_INVOKE
                                          : KPOD_ERR_INTERNAL,
                            0, "%s", msg ? msg : "start failed");
    }
    for (size_t i = 0; i < p->nctrs; i++)
        merge_status(s, p, &p->ctrs[i]);
    return 0;
}

/* Loads a pod under its exclusive lock. */
static struct kpod_pod_state *
lock_and_load(struct kpod_store *s, const char *id, int *ret_lock, struct kpod_err **err)
{
    int lock = kpod_store_lock_pod(s, id, KPOD_LOCK_EXCLUSIVE, err);
    if (lock < 0)
        return NULL;
    struct kpod_pod_state *p = kpod_sandbox_fetch(s, id, err);
    if (p == NULL) {
        kpod_lock_release(lock);
        return NULL;
    }
    *ret_lock = lock;
    return p;
}

/* A monitor that kpod was killed before recording: found by its command line. */
static void
kill_stray_monitors(const char *pod_dir)
{
    _cleanup_closedir_ DIR *d = opendir("/proc");
    size_t dl = strlen(pod_dir);
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        _cleanup_free_ char *path = xasprintf("/proc/%s/cmdline", de->d_name);
        _cleanup_free_ char *cmd = NULL;
        size_t len = 0;
        struct kpod_err *e = NULL;
        if (kpod_fs_read_file(path, 8192, &cmd, &len, &e) < 0) {
            kpod_err_free(&e);
            continue;
        }
        /* argv: kpod-monitor ... POD_DIR (the last argument) */
        if (strstr(cmd, "kpod-monitor") == NULL && strstr(cmd, "__monitor") == NULL)
            continue;
        if (len > dl && memcmp(cmd + len - dl - 1, pod_dir, dl) == 0)
            kill((pid_t)atoi(de->d_name), SIGKILL);
    }
}

static void
stop_monitor(struct kpod_pod_state *p)
{
    kpod_proc_stop(p->monitor_pid, p->monitor_start, SIGKILL, 1000);
}

/* A frozen pod cannot handle its stop signal: thaw it first. */
static void
thaw_if_paused(const struct kpod_pod_state *p)
{
    if (p->state != KPOD_STATE_PAUSED)
        return;
    struct kpod_cgroup *cg = kpod_cgroup_open(p->cgroup, false, NULL);
    if (cg != NULL)
        kpod_cgroup_freeze(cg, false, NULL);
    kpod_cgroup_free(cg);
}

static int
teardown_network(struct kpod_ctx *ctx, struct kpod_pod_state *p, struct kpod_err **err)
{
    if (p->network == NULL)
        return 0;
    struct kpod_net_result *r = kpod_net_result_from_json(p->network, err);
    if (r == NULL)
        return -1;
    int rc = kpod_net_teardown(ctx, r, err);
    kpod_net_result_free(r);
    return rc;
}

/* Stops every container: through the monitor (which then exits), or — when it is gone — by
 * signalling the processes and killing the rest through their cgroups. */
static int
stop_containers(struct kpod_store *s, struct kpod_pod_state *p, int timeout, struct kpod_err **err)
{
    _cleanup_free_ char *dir = kpod_store_pod_dir(s, p->id);
    if (kpod_proc_alive(p->monitor_pid, p->monitor_start)) {
        _cleanup_json_ json_t *req = json_pack("{s:s, s:i}", "op", "stop", "timeout", timeout);
        struct kpod_err *e = NULL;
        _cleanup_json_ json_t *rep = kpod_monitor_call(dir, req, (timeout + 10) * 1000, &e);
        if (rep != NULL && kpod_json_bool(rep, "ok", false))
            kpod_proc_wait_gone(p->monitor_pid, p->monitor_start, 2000);
        kpod_err_free(&e);
    }
    stop_monitor(p);
    int rc = 0;
    /* the monitor's order: app containers first, then the init ones (sidecars) in reverse; the
     * state holds init containers first */
    size_t ninit = 0;
    while (ninit < p->nctrs && p->ctrs[ninit].init)
        ninit++;
    for (size_t k = 0; k < p->nctrs; k++) {
        struct kpod_ctr_state *c = &p->ctrs[k < p->nctrs - ninit ? ninit + k : p->nctrs - 1 - k];
        merge_status(s, p, c);
        if (kpod_proc_alive(c->pid, c->pid_start) &&
            kpod_container_stop(c->pid, c->pid_start, c->cgroup, SIGTERM, timeout, err) < 0)
            rc = -1;
        c->state = KPOD_STATE_STOPPED;
    }
    return rc;
}

int
kpod_sandbox_stop(struct kpod_ctx *ctx, const char *id, int timeout, bool force,
                  struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_lock_ int lock = -1;
    struct kpod_pod_state *p = lock_and_load(&s, id, &lock, err);
    int rc = 0;
    if (p == NULL) {
        rc = -1;
    } else if (p->state != KPOD_STATE_STOPPED) {
        thaw_if_paused(p);
        if (timeout < 0)
            timeout = (int)kpod_json_int(p->extra, "grace_seconds", 30);
        rc = stop_containers(&s, p, timeout, err);
        if (rc < 0 && force)
            kpod_err_free(err), rc = 0;
        kpod_infra_stop(p->infra_pid, p->infra_start);
        struct kpod_err *ne = NULL;
        if (teardown_network(ctx, p, &ne) < 0 && !force && rc == 0)
            kpod_err_move(err, &ne), rc = -1;
        kpod_err_free(&ne);
        p->state = KPOD_STATE_STOPPED;
        if (kpod_store_save(&s, p, rc < 0 ? NULL : err) < 0)
            rc = -1;
    }
    kpod_pod_state_free(p);
    kpod_store_fini(&s);
    return rc < 0 ? kpod_err_prefix(err, "stop pod '%s'", id) : 0;
}

/* After a stop: the network again, as it was (address, MAC, ports, added interfaces, routes). */
static int
setup_network_again(struct kpod_ctx *ctx, struct kpod_pod_state *p, struct kpod_err **err)
{
    if (p->network == NULL)
        return 0;
    struct kpod_net_result *old = kpod_net_result_from_json(p->network, err);
    if (old == NULL)
        return -1;
    struct kpod_net_result *r = kpod_net_restore(ctx, old, err);
    kpod_net_result_free(old);
    if (r == NULL)
        return -1;
    json_decref(p->network);
    p->network = kpod_net_result_to_json(r);
    free(p->netns);
    p->netns = xstrdup(r->netns_path);
    kpod_net_result_free(r);
    return 0;
}

/* A new infra process means new /proc/PID/ns paths in every bundle. */
static int
repoint_bundles(struct kpod_pod_state *p, struct kpod_err **err)
{
    static const char *const kinds[] = {"ipc", "uts", "pid"};
    for (size_t i = 0; i < p->nctrs; i++) {
        _cleanup_free_ char *cfg = xasprintf("%s/config.json", p->ctrs[i].bundle);
        struct kpod_oci_spec *spec = kpod_oci_spec_load_file(cfg, err);
        if (spec == NULL)
            return -1;
        for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
            const struct kpod_oci_namespace *ns = kpod_oci_spec_find_namespace(spec, kinds[k]);
            if (ns == NULL || ns->path == NULL || !kpod_str_has_prefix(ns->path, "/proc/"))
                continue;
            _cleanup_free_ char *path = xasprintf("/proc/%d/ns/%s", (int)p->infra_pid, kinds[k]);
            kpod_oci_spec_set_namespace(spec, kinds[k], path);
        }
        if (p->netns != NULL && kpod_oci_spec_find_namespace(spec, "network") != NULL)
            kpod_oci_spec_set_namespace(spec, "network", p->netns);
        int rc = kpod_oci_spec_save_file(spec, cfg, err);
        kpod_oci_spec_free(spec);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int
restart_sandbox(struct kpod_ctx *ctx, struct kpod_store *s, struct kpod_pod_state *p,
                const char *log_level, struct kpod_err **err)
{
    if (setup_network_again(ctx, p, err) < 0)
        return -1;
    _cleanup_free_ char *cg = xasprintf("%s/infra", p->cgroup);
    struct kpod_infra_args a = {
        .netns_path = p->netns,
        .host_ipc = kpod_json_bool(p->extra, "host_ipc", false),
        .host_uts = kpod_json_bool(p->extra, "host_network", false),
        .share_pid = kpod_json_bool(p->extra, "share_pid", false),
        .hostname = kpod_json_str(p->extra, "hostname"),
        .cgroup_path = cg,
        .self = ctx->self,
    };
    if (kpod_infra_start(&a, &p->infra_pid, &p->infra_start, err) < 0)
        return -1;
    _cleanup_free_ char *dir = kpod_store_pod_dir(s, p->id);
    unsigned long long start = 0;
    if (repoint_bundles(p, err) < 0 ||
        kpod_monitor_spawn(ctx->self, dir, log_level ? log_level : "info", &p->monitor_pid, &start,
                           err) < 0)
        return -1;
    p->monitor_start = start;
    return 0;
}

int
kpod_sandbox_start(struct kpod_ctx *ctx, const char *id, const char *log_level,
                   struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_lock_ int lock = -1;
    struct kpod_pod_state *p = lock_and_load(&s, id, &lock, err);
    int rc = -1;
    if (p == NULL)
        goto done;
    if (p->state == KPOD_STATE_RUNNING) {
        rc = 0; /* podman: starting a running pod is fine */
        goto done;
    }
    if (kpod_state_transition(p->state, p->state, KPOD_STATE_RUNNING, "pod", err) < 0)
        goto done;
    if (p->state == KPOD_STATE_STOPPED && restart_sandbox(ctx, &s, p, log_level, err) < 0) {
        struct kpod_err *ignored = NULL;
        stop_containers(&s, p, 0, &ignored);
        kpod_infra_stop(p->infra_pid, p->infra_start);
        teardown_network(ctx, p, &ignored);
        kpod_err_free(&ignored);
        goto done;
    }
    if (kpod_sandbox_monitor_start(&s, p, err) < 0)
        goto done;
    struct kpod_err *ignored = NULL;
    if (kpod_sandbox_pod_totals(p, &ignored) < 0)
        kpod_warn("pod '%s': pod cgroup totals: %s", p->name, ignored->msg);
    kpod_err_free(&ignored);
    p->state = KPOD_STATE_RUNNING;
    rc = kpod_store_save(&s, p, err);
done:
    kpod_pod_state_free(p);
    kpod_store_fini(&s);
    return rc < 0 ? kpod_err_prefix(err, "start pod '%s'", id) : 0;
}

/* Mounts below dir that the state may not know of (kpod killed between a mount and the save
 * that records it): found in mountinfo, unmounted deepest first. */
static void
unmount_below(const char *dir)
{
    _cleanup_free_ char *info = NULL;
    struct kpod_err *e = NULL;
    if (kpod_fs_read_file("/proc/self/mountinfo", 64u << 20, &info, NULL, &e) < 0) {
        kpod_err_free(&e);
        return;
    }
    _cleanup_strv_ char **found = xcalloc(1, sizeof(char *));
    size_t dl = strlen(dir);
    for (char *line = strtok(info, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        /* field 5 is the mount point, octal-escaped */
        char mp[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
            continue;
        if (strncmp(mp, dir, dl) == 0 && mp[dl] == '/')
            kpod_strv_push(&found, mp);
    }
    for (size_t n = kpod_strv_len(found); n-- > 0;)
        if (umount2(found[n], UMOUNT_NOFOLLOW) < 0)
            umount2(found[n], MNT_DETACH | UMOUNT_NOFOLLOW);
}

/* Removes everything the state records, continuing past failures; the first is returned. */
int
kpod_sandbox_destroy(struct kpod_ctx *ctx, struct kpod_store *s, struct kpod_pod_state *p,
                     struct kpod_err **err)
{
    struct kpod_err *e = NULL;
    stop_monitor(p);
    _cleanup_free_ char *run_dir = kpod_store_pod_dir(s, p->id);
    kill_stray_monitors(run_dir);
    if (p->cgroup != NULL && kpod_cgroup_destroy_path(p->cgroup, &e) < 0)
        kpod_err_move(err, &e);
    kpod_infra_stop(p->infra_pid, p->infra_start);
    if (kpod_sandbox_unmount_all(p, &e) < 0)
        kpod_err_move(err, &e);
    _cleanup_free_ char *data_dir = kpod_sandbox_data_dir(ctx, p->id);
    unmount_below(data_dir);
    unmount_below(run_dir);
    if (teardown_network(ctx, p, &e) < 0)
        kpod_err_move(err, &e);
    /* killed during play before the network was recorded: clean up by the pod's names */
    if (p->network == NULL && !kpod_json_bool(p->extra, "host_network", false) &&
        kpod_net_cleanup(ctx, p->id, p->name, &e) < 0)
        kpod_err_move(err, &e);
    for (size_t i = 0; i < p->nctrs; i++)
        if (p->ctrs[i].image &&
            kpod_image_release(ctx->root, p->ctrs[i].image, p->ctrs[i].id, &e) < 0)
            kpod_err_free(&e);
    if (kpod_fs_rm_rf(data_dir, &e) < 0)
        kpod_err_move(err, &e);
    if (kpod_store_remove(s, p->id, p->name, &e) < 0)
        kpod_err_move(err, &e);
    kpod_err_free(&e);
    return err && *err ? -1 : 0;
}

int
kpod_sandbox_destroy_bare(struct kpod_ctx *ctx, struct kpod_store *s, const char *id,
                          struct kpod_err **err)
{
    _cleanup_free_ char *dir = kpod_store_pod_dir(s, id);
    _cleanup_free_ char *data = kpod_sandbox_data_dir(ctx, id);
    const char *parent = getenv("KPOD_CGROUP_PARENT");
    _cleanup_free_ char *cg = xasprintf("%s/%s", parent && *parent ? parent : "kpod", id);
    kill_stray_monitors(dir);
    struct kpod_err *ignored = NULL;
    kpod_cgroup_destroy_path(cg, &ignored);
    kpod_err_free(&ignored);
    unmount_below(data);
    unmount_below(dir);
    kpod_fs_rm_rf(data, &ignored);
    kpod_err_free(&ignored);
    return kpod_store_remove(s, id, NULL, err);
}

int
kpod_sandbox_remove(struct kpod_ctx *ctx, const char *id, bool force, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_lock_ int lock = -1;
    struct kpod_pod_state *p = lock_and_load(&s, id, &lock, err);
    int rc = -1;
    if (p == NULL) {
        /* kpod was killed before it saved any state: remove what is there */
        _cleanup_lock_ int bare_lock =
            force ? kpod_store_lock_pod(&s, id, KPOD_LOCK_EXCLUSIVE, NULL) : -1;
        if (bare_lock >= 0) {
            kpod_err_free(err);
            rc = kpod_sandbox_destroy_bare(ctx, &s, id, err);
        }
        goto done;
    }
    bool live = p->state == KPOD_STATE_RUNNING || p->state == KPOD_STATE_PAUSED;
    if (live && !force) {
        kpod_err_msg(err, "pod '%s' is %s: stop it first, or use --force", p->name,
                     kpod_state_name(p->state));
        goto done;
    }
    if (live) {
        struct kpod_err *ignored = NULL;
        thaw_if_paused(p);
        stop_containers(&s, p, 0, &ignored);
        kpod_err_free(&ignored);
    }
    rc = kpod_sandbox_destroy(ctx, &s, p, err);
done:
    kpod_pod_state_free(p);
    kpod_store_fini(&s);
    return rc < 0 ? kpod_err_prefix(err, "remove pod '%s'", id) : 0;
}

int
kpod_sandbox_pause(struct kpod_ctx *ctx, const char *id, bool pause, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_lock_ int lock = -1;
    struct kpod_pod_state *p = lock_and_load(&s, id, &lock, err);
    int rc = -1;
    enum kpod_state from = pause ? KPOD_STATE_RUNNING : KPOD_STATE_PAUSED;
    enum kpod_state to = pause ? KPOD_STATE_PAUSED : KPOD_STATE_RUNNING;
    if (p == NULL || kpod_state_transition(p->state, from, to, "pod", err) < 0)
        goto done;
    struct kpod_cgroup *cg = kpod_cgroup_open(p->cgroup, false, err);
    rc = cg == NULL ? -1 : kpod_cgroup_freeze(cg, pause, err);
    kpod_cgroup_free(cg);
    if (rc == 0) {
        p->state = to;
        rc = kpod_store_save(&s, p, err);
    }
done:
    kpod_pod_state_free(p);
    kpod_store_fini(&s);
    return rc < 0 ? kpod_err_prefix(err, "%s pod '%s'", pause ? "pause" : "unpause", id) : 0;
}

int
kpod_sandbox_kill(struct kpod_ctx *ctx, const char *id, int sig, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_lock_ int lock = kpod_store_lock_pod(&s, id, KPOD_LOCK_SHARED, err);
    struct kpod_pod_state *p = lock < 0 ? NULL : kpod_sandbox_fetch(&s, id, err);
    int rc = -1;
    if (p == NULL)
        goto done;
    if (p->state != KPOD_STATE_RUNNING && p->state != KPOD_STATE_READY) {
        kpod_err_invoke(err, "pod '%s' is %s", p->name, kpod_state_name(p->state));
        goto done;
    }
    rc = 0;
    for (size_t i = 0; i < p->nctrs && rc == 0; i++) {
        struct kpod_ctr_state *c = &p->ctrs[i];
        if (c->state == KPOD_STATE_RUNNING)
            rc = kpod_container_kill(c->pid, c->pid_start, c->cgroup, sig, false, err);
    }
done:
    kpod_pod_state_free(p);
    kpod_store_fini(&s);
    return rc < 0 ? kpod_err_prefix(err, "kill pod '%s'", id) : 0;
}
