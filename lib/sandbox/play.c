/* The play pipeline (seed-semantics §1.4, in the 2021 order with every rollback and without
 * the seed's shadowed-error bug): create the sandbox → network → infra → volumes and hosts
 * files → images → rootfs and bundles → monitor → containers. Each step records what it made
 * in the pod state (saved after every step, so `rm -f` can clean up after a crash) and pushes
 * its undo; a failure runs the undo list in reverse and leaves nothing behind. */
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "image/image.h"
#include "manifest/manifest.h"
#include "monitor/monitor.h"
#include "network/network.h"
#include "spec/spec.h"

struct play {
    struct kpod_ctx *ctx;
    const struct kpod_manifest *m;
    const struct kpod_pod *pod;
    const struct kpod_play_opts *o;
    struct kpod_store store;
    struct kpod_pod_state *p;
    int lock;
    char *run_dir, *data_dir;
    struct kpod_undo undo;
    struct kpod_spec_pod *plan;
    char *pod_ip;
    char **image_ids;  /* per container, manifest order */
    bool from_factory; /* the sandbox is an adopted warm pool entry (factory.c) */
};

char *
kpod_sandbox_run_dir(const struct kpod_ctx *ctx, const char *id)
{
    return xasprintf("%s/pods/%s", ctx->runroot, id);
}

char *
kpod_sandbox_data_dir(const struct kpod_ctx *ctx, const char *id)
{
    return xasprintf("%s/pods/%s", ctx->root, id);
}

char *
kpod_sandbox_kube_path(const struct kpod_ctx *ctx, const char *id)
{
    return xasprintf("%s/pods/%s/" KPOD_SANDBOX_KUBE_FILE, ctx->root, id);
}

static int
save(struct play *pl, struct kpod_err **err)
{
    return kpod_store_save(&pl->store, pl->p, err);
}

static const char *
policy_name(enum kpod_restart_policy rp)
{
    switch (rp) {
    case KPOD_RESTART_NEVER:
        return "Never";
    case KPOD_RESTART_ON_FAILURE:
        return "OnFailure";
    default:
        return "Always";
    }
}

static json_t *
kvlist_json(const struct kpod_kvlist *l)
{
    json_t *o = json_object();
    for (size_t i = 0; i < l->n; i++)
        json_object_set_new(o, l->items[i].key,
                            json_string(l->items[i].value ? l->items[i].value : ""));
    return o;
}

/* ---- 1: the sandbox itself ---- */

static int
undo_state(void *data, struct kpod_err **err)
{
    struct play *pl = data;
    int rc = kpod_fs_rm_rf(pl->data_dir, err);
    if (kpod_store_remove(&pl->store, pl->p->id, pl->p->name, err) < 0)
        rc = -1;
    return rc;
}

/* What the manifest says of the pod itself; the sandbox fields (id, cgroup, network, infra)
 * come from the steps after, or from a pool entry. */
static struct kpod_pod_state *
pod_identity(struct play *pl)
{
    struct kpod_pod_state *p = xzalloc(sizeof(*p));
    p->name = xstrdup(pl->pod->name);
    p->ns = xstrdup(pl->pod->namespace);
    p->state = KPOD_STATE_READY;
    p->created_ns = kpod_clock_real_ns();
    p->restart_policy = xstrdup(policy_name(pl->pod->restart_policy));
    p->labels = kvlist_json(&pl->pod->labels);
    p->annotations = kvlist_json(&pl->pod->annotations);
    p->mounts = xcalloc(1, sizeof(char *));
    p->extra = json_pack("{s:I, s:b, s:b, s:b}", "grace_seconds",
                         (json_int_t)pl->pod->termination_grace_seconds, "host_network",
                         pl->pod->host_network, "host_ipc", pl->pod->host_ipc, "share_pid",
                         pl->pod->share_pid);
    kpod_json_set_str(p->extra, "hostname", pl->pod->hostname ? pl->pod->hostname : p->name);
    return p;
}

static int undo_cgroup(void *data, struct kpod_err **err);
static int undo_network(void *data, struct kpod_err **err);
static int undo_infra(void *data, struct kpod_err **err);
static int undo_mounts(void *data, struct kpod_err **err);
static int undo_monitor(void *data, struct kpod_err **err);

/* A warm pool entry fits a pod that needs nothing of its sandbox beyond the defaults: its
 * network (the pool's), no host namespaces, no fixed address, no hostPorts (they are set up
 * with the network). Anything else is created directly, silently. */
static bool
fits_factory(const struct play *pl)
{
    const struct kpod_pod *pod = pl->pod;
    if (pod->host_network || pod->host_pid || pod->host_ipc || pl->o->ip != NULL)
        return false;
    for (size_t i = 0; i < pod->n_containers; i++)
        for (size_t j = 0; j < pod->containers[i].n_ports; j++)
            if (pod->containers[i].ports[j].host_port > 0)
                return false;
    return true;
}

/* Steps 1-4 at once: the pod becomes an entry of the pool, with every undo of those steps. */
static bool
adopt(struct play *pl, struct kpod_pod_state *p)
{
    struct kpod_factory_want w = {.name = pl->pod->name, .network = pl->o->network};
    if (!fits_factory(pl) || kpod_factory_adopt(pl->ctx, &pl->store, &w, p, &pl->lock) <= 0)
        return false;
    pl->p = p;
    pl->from_factory = true;
    const char *ip = kpod_json_str(p->network, "ip");
    pl->pod_ip = xstrdup(ip ? ip : "");
    kpod_undo_push(&pl->undo, "state", undo_state, pl, NULL);
    kpod_undo_push(&pl->undo, "cgroup", undo_cgroup, p->cgroup, NULL);
    kpod_undo_push(&pl->undo, "network", undo_network, pl, NULL);
    kpod_undo_push(&pl->undo, "infra", undo_infra, p, NULL);
    kpod_undo_push(&pl->undo, "mounts", undo_mounts, p, NULL);
    kpod_undo_push(&pl->undo, "monitor", undo_monitor, p, NULL);
    return true;
}

static int
step_state(struct play *pl, struct kpod_err **err)
{
    struct kpod_pod_state *p = pod_identity(pl);
    if (!adopt(pl, p)) {
        char *id = NULL;
        if (kpod_store_create_pod(&pl->store, pl->pod->name, &id, &pl->lock, err) < 0) {
            kpod_pod_state_free(p);
            return -1;
        }
        pl->p = p;
        p->id = id;
        /* KPOD_CGROUP_PARENT puts pods elsewhere (tests use one each, like podman's
         * --cgroup-parent); the path is kept in the state, so later commands follow it. */
        const char *parent = getenv("KPOD_CGROUP_PARENT");
        p->cgroup = xasprintf("%s/%s", parent && *parent ? parent : "kpod", id);
        kpod_undo_push(&pl->undo, "state", undo_state, pl, NULL);
    }
    pl->run_dir = kpod_store_pod_dir(&pl->store, p->id);
    pl->data_dir = kpod_sandbox_data_dir(pl->ctx, p->id);
    if (kpod_fs_mkdir_p(pl->data_dir, 0700, err) < 0)
        return -1;
    return pl->from_factory ? 0 : save(pl, err); /* adoption saved it */
}

/* ---- 1b: what was played, for `kpod generate kube` ---- */

static int
undo_kube(void *data, struct kpod_err **err)
{
    struct play *pl = data;
    _cleanup_free_ char *path = xasprintf("%s/" KPOD_SANDBOX_KUBE_FILE, pl->data_dir);
    if (unlink(path) < 0 && errno != ENOENT)
        return kpod_err_sys(err, "remove '%s'", path);
    return 0;
}

/* The pod and the ConfigMaps and Secrets it uses, as they are now, re-emitted from the model
 * (0600: it holds the secrets). */
static int
step_kube(struct play *pl, struct kpod_err **err)
{
    struct kpod_emit_item item = {pl->m, pl->pod};
    _cleanup_free_ char *yaml = NULL;
    size_t len = 0;
    if (kpod_manifest_emit(&item, 1, &(struct kpod_emit_opts){0}, &yaml, &len, err) < 0)
        return -1;
    _cleanup_free_ char *path = xasprintf("%s/" KPOD_SANDBOX_KUBE_FILE, pl->data_dir);
    kpod_undo_push(&pl->undo, "kube", undo_kube, pl, NULL);
    return kpod_fs_write_atomic(path, yaml, len, 0600, err);
}

/* ---- 2: the pod cgroup ---- */

static int
undo_cgroup(void *data, struct kpod_err **err)
{
    return kpod_cgroup_destroy_path(data, err);
}

static int
step_cgroup(struct play *pl, struct kpod_err **err)
{
    if (pl->from_factory)
        return 0;
    struct kpod_cgroup *cg = kpod_cgroup_open(pl->p->cgroup, true, err);
    if (cg == NULL)
        return -1;
    kpod_cgroup_free(cg);
    kpod_undo_push(&pl->undo, "cgroup", undo_cgroup, pl->p->cgroup, NULL);
    return 0;
}

/* ---- 3: the network ---- */

static int
undo_network(void *data, struct kpod_err **err)
{
    struct play *pl = data;
    struct kpod_net_result *r = kpod_net_result_from_json(pl->p->network, err);
    if (r == NULL)
        return -1;
    int rc = kpod_net_teardown(pl->ctx, r, err);
    kpod_net_result_free(r);
    return rc;
}

static int
step_network(struct play *pl, struct kpod_err **err)
{
    if (pl->pod->host_network || pl->from_factory)
        return 0;
    struct kpod_net_port *ports = NULL;
    size_t n = 0;
    for (size_t i = 0; i < pl->pod->n_containers; i++) {
        const struct kpod_container *c = &pl->pod->containers[i];
        for (size_t j = 0; j < c->n_ports; j++) {
            const struct kpod_port *pt = &c->ports[j];
            if (pt->host_port <= 0)
                continue;
            ports = xreallocarray(ports, n + 1, sizeof(*ports));
            ports[n++] = (struct kpod_net_port){
                .host_ip = pt->host_ip,
                .host_port = (unsigned)pt->host_port,
                .container_port = (unsigned)pt->container_port,
            };
            snprintf(ports[n - 1].protocol, sizeof(ports[n - 1].protocol), "%s",
                     pt->protocol && strcasecmp(pt->protocol, "UDP") == 0 ? "udp" : "tcp");
        }
    }
    struct kpod_net_setup_args a = {
        .pod_id = pl->p->id,
        .pod_name = pl->p->name,
        .network = pl->o->network,
        .ip = pl->o->ip,
        .ports = ports,
        .n_ports = n,
    };
    struct kpod_net_result *r = kpod_net_setup(pl->ctx, &a, err);
    free(ports);
    if (r == NULL)
        return -1;
    pl->p->network = kpod_net_result_to_json(r);
    pl->p->netns = xstrdup(r->netns_path);
    pl->pod_ip = xstrdup(r->ip);
    kpod_net_result_free(r);
    kpod_undo_push(&pl->undo, "network", undo_network, pl, NULL);
    return save(pl, err);
}

/* ---- 4: the infra process ---- */

static int
undo_infra(void *data, struct kpod_err **err)
{
    struct kpod_pod_state *p = data;
    kpod_infra_stop(p->infra_pid, p->infra_start);
    return 0;
}

static int
step_infra(struct play *pl, struct kpod_err **err)
{
    if (pl->from_factory) /* the entry's infra holds the uts namespace: name it */
        return kpod_factory_sethostname(pl->p->infra_pid, kpod_json_str(pl->p->extra, "hostname"),
                                        err);
    _cleanup_free_ char *cg = xasprintf("%s/infra", pl->p->cgroup);
    struct kpod_infra_args a = {
        .netns_path = pl->p->netns,
        .host_ipc = pl->pod->host_ipc,
        .host_uts = pl->pod->host_network,
        .share_pid = pl->pod->share_pid && !pl->pod->host_pid,
        .hostname = kpod_json_str(pl->p->extra, "hostname"),
        .cgroup_path = cg,
        .self = pl->ctx->self,
    };
    if (kpod_infra_start(&a, &pl->p->infra_pid, &pl->p->infra_start, err) < 0)
        return -1;
    kpod_undo_push(&pl->undo, "infra", undo_infra, pl->p, NULL);
    return save(pl, err);
}

/* ---- 5: volumes and pod files ---- */

static int
undo_mounts(void *data, struct kpod_err **err)
{
    return kpod_sandbox_unmount_all(data, err);
}

int kpod_sandbox_volumes_setup(struct kpod_pod_state *p, const struct kpod_pod *pod,
                               const struct kpod_spec_pod *plan, const char *pod_ip,
                               struct kpod_err **err);

static int
step_volumes(struct play *pl, struct kpod_err **err)
{
    _cleanup_free_ char *volroot = xasprintf("%s/volumes", pl->ctx->root);
    struct kpod_spec_pod_args a = {
        .manifest = pl->m,
        .pod = pl->pod,
        .pod_dir = pl->data_dir,
        .run_dir = pl->run_dir,
        .volumes_root = volroot,
    };
    pl->plan = kpod_spec_pod_plan(&a, err);
    if (pl->plan == NULL)
        return -1;
    kpod_undo_push(&pl->undo, "mounts", undo_mounts, pl->p, NULL);
    int rc = kpod_sandbox_volumes_setup(pl->p, pl->pod, pl->plan, pl->pod_ip, err);
    struct kpod_err *ignored = NULL;
    save(pl, rc < 0 ? &ignored : err); /* record the mounts made even on failure */
    kpod_err_free(&ignored);
    return rc;
}

/* ---- 6: images ---- */

static bool
pull_always(const struct kpod_container *c)
{
    if (c->pull_policy != KPOD_PULL_DEFAULT)
        return c->pull_policy == KPOD_PULL_ALWAYS;
    if (strchr(c->image, '@') != NULL)
        return false;
    const char *slash = strrchr(c->image, '/');
    const char *colon = strrchr(slash ? slash : c->image, ':');
    return colon == NULL || strcmp(colon, ":latest") == 0;
}

static int
resolve_image(struct play *pl, const struct kpod_container *c, char **ret_id, struct kpod_err **err)
{
    bool local = kpod_str_has_prefix(c->image, "localhost/");
    if (!local && pull_always(c))
        return kpod_image_pull(pl->ctx->root, c->image, pl->o->pull, ret_id, err);
    struct kpod_err *lookup_err = NULL;
    json_t *e = kpod_image_lookup(pl->ctx->root, c->image, &lookup_err);
    if (e != NULL) {
        *ret_id = xstrdup(kpod_json_str(e, "id"));
        json_decref(e);
        return 0;
    }
    if (local || c->pull_policy == KPOD_PULL_NEVER) {
        kpod_err_move(err, &lookup_err);
        return kpod_err_prefix(err, "image '%s' (imagePullPolicy %s)", c->image,
                               local ? "never pulls localhost/" : "Never");
    }
    kpod_err_free(&lookup_err);
    return kpod_image_pull(pl->ctx->root, c->image, pl->o->pull, ret_id, err);
}

static int
step_images(struct play *pl, struct kpod_err **err)
{
    pl->image_ids = xcalloc(pl->pod->n_containers + 1, sizeof(char *));
    for (size_t i = 0; i < pl->pod->n_containers; i++) {
        const struct kpod_container *c = &pl->pod->containers[i];
        /* the same image twice in a pod is resolved once */
        for (size_t j = 0; j < i && pl->image_ids[i] == NULL; j++)
            if (strcmp(pl->pod->containers[j].image, c->image) == 0)
                pl->image_ids[i] = xstrdup(pl->image_ids[j]);
        if (pl->image_ids[i] == NULL && resolve_image(pl, c, &pl->image_ids[i], err) < 0)
            return kpod_err_prefix(err, "container '%s'", c->name);
    }
    return 0;
}

/* ---- 7: rootfs and bundles ---- */

static const char *
fstype_of(const char *path, void *data)
{
    static char buf[64];
    return kpod_spec_mounts_fstype(data, path, buf, sizeof(buf));
}

static int
undo_holds(void *data, struct kpod_err **err)
{
    struct play *pl = data;
    for (size_t i = 0; i < pl->p->nctrs; i++) {
        struct kpod_err *e = NULL;
        if (pl->p->ctrs[i].image != NULL)
            kpod_image_release(pl->ctx->root, pl->p->ctrs[i].image, pl->p->ctrs[i].id, &e);
        kpod_err_free(&e);
    }
    return 0;
}

static int
mount_rootfs(struct play *pl, const char *image_id, const char *ctr_dir, char **ret_rootfs,
             struct kpod_err **err)
{
    struct kpod_image_rootfs r = {0};
    if (kpod_image_rootfs_prepare(pl->ctx->root, image_id, ctr_dir, &r, err) < 0)
        return -1;
    _cleanup_free_ char *opts =
        xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", r.lowerdir, r.upperdir, r.workdir);
    int rc = 0;
    if (mount("overlay", r.mountpoint, "overlay", 0, opts) < 0) {
        rc = kpod_err_sys(err, "mount the container rootfs on '%s'", r.mountpoint);
    } else {
        kpod_sandbox_track_mount(pl->p, r.mountpoint);
        *ret_rootfs = xstrdup(r.mountpoint);
    }
    kpod_image_rootfs_free(&r);
    return rc;
}

static struct kpod_oci_spec *
build_spec(struct play *pl, const struct kpod_container *c, const char *image_id,
           const char *rootfs, const char *cgroup, const char *mounts, struct kpod_err **err)
{
    _cleanup_json_ json_t *config = kpod_image_config(pl->ctx->root, image_id, err);
    if (config == NULL)
        return NULL;
    char ipc[64], uts[64], pid[64];
    snprintf(ipc, sizeof(ipc), "/proc/%d/ns/ipc", (int)pl->p->infra_pid);
    snprintf(uts, sizeof(uts), "/proc/%d/ns/uts", (int)pl->p->infra_pid);
    snprintf(pid, sizeof(pid), "/proc/%d/ns/pid", (int)pl->p->infra_pid);
    struct rlimit nofile = {0};
    getrlimit(RLIMIT_NOFILE, &nofile);
    /* what kpod itself may grant: its bounding set and oom_score_adj floor */
    uint64_t caps = 0;
    int oom = 0;
    bool has_caps = false, has_oom = false;
    _cleanup_free_ char *status = NULL, *oomtxt = NULL;
    struct kpod_err *ignored = NULL;
    if (kpod_fs_read_file("/proc/self/status", 1 << 16, &status, NULL, &ignored) == 0) {
        const char *cb = strstr(status, "\nCapBnd:");
        has_caps = cb != NULL;
        if (cb != NULL)
            caps = strtoull(cb + 8, NULL, 16);
    }
    kpod_err_free(&ignored);
    if (kpod_fs_read_file("/proc/self/oom_score_adj", 64, &oomtxt, NULL, &ignored) == 0) {
        has_oom = true;
        oom = atoi(oomtxt);
    }
    kpod_err_free(&ignored);
    struct kpod_spec_args a = {
        .manifest = pl->m,
        .pod = pl->pod,
        .ctr = c,
        .plan = pl->plan,
        .image_config = config,
        .image_rootfs = rootfs,
        .rootfs = rootfs,
        .netns_path = pl->p->netns,
        .ipcns_path = pl->pod->host_ipc ? NULL : ipc,
        .utsns_path = pl->pod->host_network ? NULL : uts,
        .pidns_path = pl->pod->share_pid && !pl->pod->host_pid ? pid : NULL,
        .cgroups_path = cgroup,
        .env_rt = {.pod_uid = pl->p->id,
                   .pod_ip = pl->pod_ip,
                   .host_ip = "127.0.0.1",
                   .node_name = kpod_json_str(pl->p->extra, "hostname")},
        .nofile_hard = (uint64_t)nofile.rlim_max,
        .has_oom_floor = has_oom,
        .oom_floor = oom,
        .has_host_caps = has_caps,
        .host_caps = caps,
    };
    _cleanup_strv_ char **warnings = NULL;
    struct kpod_oci_spec *spec = kpod_spec_build(&a, &warnings, err);
    for (size_t i = 0; warnings != NULL && warnings[i] != NULL; i++)
        kpod_warn("%s", warnings[i]);
    if (spec == NULL)
        return NULL;
    kpod_spec_rewrite_mounts(spec, fstype_of, (void *)mounts);
    kpod_spec_finalize_mounts(spec);
    return spec;
}

static int
prepare_container(struct play *pl, size_t i, const char *mounts, struct kpod_err **err)
{
    const struct kpod_container *c = &pl->pod->containers[i];
    struct kpod_ctr_state *cs = kpod_pod_state_add_ctr(pl->p, c->name);
    cs->init = c->init;
    cs->sidecar = c->sidecar;
    cs->image = xstrdup(pl->image_ids[i]);
    cs->state = KPOD_STATE_READY;
    cs->created_ns = kpod_clock_real_ns();
    cs->cgroup = xasprintf("%s/%s", pl->p->cgroup, c->name);
    cs->bundle = xasprintf("%s/ctr/%s/bundle", pl->run_dir, c->name);
    cs->extra = json_pack("{s:s, s:b}", "image_name", c->image, "tty", c->tty);
    if (kpod_image_hold(pl->ctx->root, cs->image, cs->id, err) < 0)
        return -1;
    _cleanup_free_ char *ctr_dir = xasprintf("%s/ctr/%s", pl->data_dir, c->name);
    _cleanup_free_ char *rootfs = NULL;
    if (mount_rootfs(pl, cs->image, ctr_dir, &rootfs, err) < 0)
        return -1;
    struct kpod_oci_spec *spec = build_spec(pl, c, cs->image, rootfs, cs->cgroup, mounts, err);
    if (spec == NULL)
        return -1;
    _cleanup_free_ char *cfg = xasprintf("%s/config.json", cs->bundle);
    static char *const default_hooks[] = {"/usr/share/containers/oci/hooks.d",
                                          "/etc/containers/oci/hooks.d", NULL};
    if (kpod_sandbox_hooks_apply(spec, pl->o->hooks_dirs ? pl->o->hooks_dirs : default_hooks, err) <
        0) {
        kpod_oci_spec_free(spec);
        return -1;
    }
    kpod_json_set_int(cs->extra, "hooks_poststart",
                      spec->hooks ? (json_int_t)spec->hooks->n[KPOD_OCI_HOOK_POSTSTART] : 0);
    kpod_json_set_int(cs->extra, "hooks_poststop",
                      spec->hooks ? (json_int_t)spec->hooks->n[KPOD_OCI_HOOK_POSTSTOP] : 0);
    int sig = 0;
    const char *stopsig = kpod_oci_spec_get_annotation(spec, "io.kpod.stop-signal");
    if (stopsig != NULL && (sig = kpod_signal_parse(stopsig)) > 0)
        kpod_json_set_int(cs->extra, "stop_signal", sig);
    int rc = kpod_fs_mkdir_p(cs->bundle, 0700, err);
    if (rc == 0)
        rc = kpod_oci_spec_save_file(spec, cfg, err);
    kpod_oci_spec_free(spec);
    return rc;
}

static int
step_containers(struct play *pl, struct kpod_err **err)
{
    _cleanup_free_ char *mounts = NULL;
    if (kpod_fs_read_file("/proc/self/mounts", 64u << 20, &mounts, NULL, err) < 0)
        return -1;
    kpod_undo_push(&pl->undo, "image holds", undo_holds, pl, NULL);
    for (size_t i = 0; i < pl->pod->n_containers; i++) {
        int rc = prepare_container(pl, i, mounts, err);
        struct kpod_err *ignored = NULL;
        save(pl, rc < 0 ? &ignored : err);
        kpod_err_free(&ignored);
        if (rc < 0)
            return kpod_err_prefix(err, "container '%s'", pl->pod->containers[i].name);
    }
    return 0;
}

/* ---- 8: the monitor ---- */

static int
undo_monitor(void *data, struct kpod_err **err)
{
    struct kpod_pod_state *p = data;
    if (kpod_proc_alive(p->monitor_pid, p->monitor_start))
        kill(p->monitor_pid, SIGKILL);
    /* its containers die with the pod cgroup (the cgroup undo) */
    return 0;
}

static void
monitor_handler(const struct kpod_handler *h, struct kpod_monitor_handler *ret)
{
    static const enum kpod_monitor_handler_type types[] = {
        [KPOD_HANDLER_NONE] = KPOD_MH_NONE,
        [KPOD_HANDLER_EXEC] = KPOD_MH_EXEC,
        [KPOD_HANDLER_HTTP_GET] = KPOD_MH_HTTP,
        [KPOD_HANDLER_TCP_SOCKET] = KPOD_MH_TCP,
    };
    ret->type = types[h->type];
    ret->command = h->command ? kpod_strv_dup(h->command) : NULL;
    ret->host = xstrdup(h->host);
    ret->port = h->port;
    ret->path = xstrdup(h->path);
    for (size_t i = 0; i < h->headers.n; i++) {
        _cleanup_free_ char *line =
            xasprintf("%s: %s", h->headers.items[i].key, h->headers.items[i].value);
        kpod_strv_push(&ret->headers, line);
    }
}

/* Probes and lifecycle hooks, run by the monitor (lib/monitor/probe.c). */
static void
monitor_probes(const struct kpod_container *c, struct kpod_monitor_ctr *k)
{
    const struct kpod_probe *ps[KPOD_PROBE_KINDS] = {
        [KPOD_PROBE_LIVENESS] = &c->liveness,
        [KPOD_PROBE_READINESS] = &c->readiness,
        [KPOD_PROBE_STARTUP] = &c->startup,
    };
    for (int p = 0; p < KPOD_PROBE_KINDS; p++) {
        if (!ps[p]->set)
            continue;
        monitor_handler(&ps[p]->handler, &k->probes[p].h);
        k->probes[p].delay = ps[p]->initial_delay_seconds;
        k->probes[p].period = ps[p]->period_seconds;
        k->probes[p].timeout = ps[p]->timeout_seconds;
        k->probes[p].success = ps[p]->success_threshold;
        k->probes[p].failure = ps[p]->failure_threshold;
        k->probes[p].grace = ps[p]->termination_grace_seconds == KPOD_UNSET
                                 ? -1
                                 : (int)ps[p]->termination_grace_seconds;
    }
    monitor_handler(&c->post_start, &k->post_start);
    monitor_handler(&c->pre_stop, &k->pre_stop);
}

static struct kpod_monitor_config *
monitor_config(struct play *pl)
{
    struct kpod_monitor_config *mc = xzalloc(sizeof(*mc));
    mc->pod_id = xstrdup(pl->p->id);
    mc->pod_name = xstrdup(pl->p->name);
    mc->pod_dir = xstrdup(pl->run_dir);
    mc->restart_policy = xstrdup(pl->p->restart_policy);
    const char *env = getenv("KPOD_RESTART_BACKOFF_MS");
    mc->backoff_ms = pl->o->backoff_ms > 0 ? pl->o->backoff_ms : env ? atoll(env) : 10000;
    if (mc->backoff_ms <= 0)
        mc->backoff_ms = 10000;
    mc->log_max_size = pl->o->log_max_size ? pl->o->log_max_size : 10u << 20;
    mc->log_max_files = pl->o->log_max_files ? pl->o->log_max_files : 5;
    mc->grace_s = pl->pod->termination_grace_seconds;
    mc->ctrs = xcalloc(pl->p->nctrs + 1, sizeof(*mc->ctrs));
    for (size_t i = 0; i < pl->p->nctrs; i++) {
        const struct kpod_ctr_state *cs = &pl->p->ctrs[i];
        struct kpod_monitor_ctr *k = &mc->ctrs[mc->nctrs++];
        k->name = xstrdup(cs->name);
        k->id = xstrdup(cs->id);
        k->bundle = xstrdup(cs->bundle);
        k->state_dir = xasprintf("%s/ctr/%s", pl->run_dir, cs->name);
        k->cgroup = xstrdup(cs->cgroup);
        k->log_path = xasprintf("%s/logs/%s.log", pl->data_dir, cs->name);
        k->init = cs->init;
        k->sidecar = cs->sidecar;
        k->stdin_open = pl->pod->containers[i].stdin_open;
        k->stop_signal = (int)kpod_json_int(cs->extra, "stop_signal", 0);
        monitor_probes(&pl->pod->containers[i], k);
        k->grace_seconds = (int)pl->pod->termination_grace_seconds;
        k->poststart = kpod_json_int(cs->extra, "hooks_poststart", 0) > 0;
        k->poststop = kpod_json_int(cs->extra, "hooks_poststop", 0) > 0;
    }
    return mc;
}

static int
step_monitor(struct play *pl, struct kpod_err **err)
{
    _cleanup_free_ char *logs = xasprintf("%s/logs", pl->data_dir);
    if (kpod_fs_mkdir_p(logs, 0750, err) < 0)
        return -1;
    struct kpod_monitor_config *mc = monitor_config(pl);
    _cleanup_json_ json_t *j = kpod_monitor_config_to_json(mc);
    kpod_monitor_config_free(mc);
    _cleanup_free_ char *path = xasprintf("%s/monitor.json", pl->run_dir);
    if (kpod_json_save_file(path, j, true, 0600, err) < 0)
        return -1;
    if (pl->from_factory) /* the entry's idle monitor reads the pod's config now */
        return kpod_monitor_configure(pl->run_dir, err);
    unsigned long long start = 0;
    if (kpod_monitor_spawn(pl->ctx->self, pl->run_dir, pl->o->log_level ? pl->o->log_level : "info",
                           &pl->p->monitor_pid, &start, err) < 0)
        return -1;
    pl->p->monitor_start = start;
    kpod_undo_push(&pl->undo, "monitor", undo_monitor, pl->p, NULL);
    return save(pl, err);
}

/* ---- 9: start ---- */

int kpod_sandbox_monitor_start(struct kpod_store *s, struct kpod_pod_state *p,
                               struct kpod_err **err);

static int
step_start(struct play *pl, struct kpod_err **err)
{
    if (pl->o->no_start)
        return 0;
    if (kpod_sandbox_monitor_start(&pl->store, pl->p, err) < 0)
        return -1;
    /* the seed's updateResources: the pod cgroup bounds the sum of its containers */
    struct kpod_err *ignored = NULL;
    if (kpod_sandbox_pod_totals(pl->p, &ignored) < 0)
        kpod_warn("pod '%s': pod cgroup totals: %s", pl->p->name, ignored->msg);
    kpod_err_free(&ignored);
    pl->p->state = KPOD_STATE_RUNNING;
    return save(pl, err);
}

/* ---- the whole ---- */

static void
play_fini(struct play *pl)
{
    kpod_undo_clear(&pl->undo);
    kpod_lock_release(pl->lock);
    kpod_spec_pod_free(pl->plan);
    kpod_strv_free(pl->image_ids);
    free(pl->run_dir);
    free(pl->data_dir);
    free(pl->pod_ip);
    kpod_store_fini(&pl->store);
}

int
kpod_sandbox_play(struct kpod_ctx *ctx, const struct kpod_manifest *m, const struct kpod_pod *pod,
                  const struct kpod_play_opts *o, struct kpod_pod_state **ret,
                  struct kpod_err **err)
{
    static const struct {
        const char *name;
        int (*fn)(struct play *pl, struct kpod_err **err);
    } steps[] = {
        {"state", step_state},     {"kube", step_kube},          {"cgroup", step_cgroup},
        {"network", step_network}, {"infra", step_infra},        {"volumes", step_volumes},
        {"images", step_images},   {"bundles", step_containers}, {"monitor", step_monitor},
        {"start", step_start},
    };
    struct play pl = {.ctx = ctx, .m = m, .pod = pod, .o = o, .lock = -1};
    if (kpod_store_init(&pl.store, ctx, err) < 0)
        return kpod_err_prefix(err, "play pod '%s'", pod->name);
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        if (steps[i].fn(&pl, err) < 0 || kpod_fault(steps[i].name, err) < 0) {
            kpod_undo_run(&pl.undo);
            kpod_pod_state_free(pl.p);
            play_fini(&pl);
            if (pl.from_factory)
                kpod_factory_kick(ctx);
            return kpod_err_prefix(err, "play pod '%s'", pod->name);
        }
    }
    *ret = TAKE_PTR(pl.p);
    play_fini(&pl);
    if (pl.from_factory)
        kpod_factory_kick(ctx); /* the pool refills in the background */
    return 0;
}
