/* kpod_spec_build: one container of the pod model + its image config → an OCI spec. */
#include "spec/internal.h"

#include <string.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_NOFILE 1048576ULL
#define CPU_PERIOD 100000ULL

static char **
json_strv(const json_t *cfg, const char *key)
{
    const json_t *a = json_object_get(cfg, key);
    char **v = NULL;
    size_t i = 0;
    const json_t *it = NULL;
    if (!json_is_array(a))
        return NULL;
    json_array_foreach(a, i, it) if (json_is_string(it)) kpod_strv_push(&v, json_string_value(it));
    if (v == NULL)
        v = xzalloc(sizeof(char *));
    return v;
}

int
kpod_spec_process_args(char *const *entrypoint, char *const *cmd, char *const *command,
                       char *const *args, char *const *env, char ***ret, struct kpod_err **err)
{
    _cleanup_strv_ char **out = NULL;
    _cleanup_strv_ char **xcommand = NULL, **xargs = NULL;
    bool has_command = command != NULL && command[0] != NULL;
    bool has_args = args != NULL && args[0] != NULL;
    if ((has_command && kpod_manifest_expand_strv(command, env, &xcommand, err) < 0) ||
        (has_args && kpod_manifest_expand_strv(args, env, &xargs, err) < 0))
        return -1;
    /* command replaces ENTRYPOINT and drops CMD; args replace CMD only */
    char *const *first = has_command ? xcommand : entrypoint;
    char *const *second = has_args ? xargs : has_command ? NULL : cmd;
    for (char *const *c = first; c && *c; c++)
        kpod_strv_push(&out, *c);
    for (char *const *c = second; c && *c; c++)
        kpod_strv_push(&out, *c);
    if (out == NULL || out[0] == NULL)
        return kpod_err_input(err, "no command: the image has neither ENTRYPOINT nor CMD and "
                                   "the container sets no command or args");
    *ret = TAKE_PTR(out);
    return 0;
}

static const json_t *
image_cfg(const json_t *j)
{
    const json_t *inner = json_object_get(j, "config");
    if (json_is_object(inner))
        return inner;
    return json_is_object(j) ? j : NULL;
}

/* Kubernetes QoS class of the pod. */
static const char *
qos_class(const struct kpod_pod *pod)
{
    bool any = false, guaranteed = true;
    for (size_t i = 0; i < pod->n_containers; i++) {
        const struct kpod_resources *r = &pod->containers[i].resources;
        if (r->cpu_limit != KPOD_UNSET || r->mem_limit != KPOD_UNSET ||
            r->cpu_request != KPOD_UNSET || r->mem_request != KPOD_UNSET)
            any = true;
        if (r->cpu_limit == KPOD_UNSET || r->mem_limit == KPOD_UNSET ||
            r->cpu_request != r->cpu_limit || r->mem_request != r->mem_limit)
            guaranteed = false;
    }
    return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}

static int
oom_score_adj(const struct kpod_spec_args *a, const char *qos)
{
    if (strcmp(qos, "Guaranteed") == 0)
        return -997;
    if (strcmp(qos, "BestEffort") == 0)
        return 1000;
    long long req = a->ctr->resources.mem_request, cap = a->env_rt.node_mem_bytes;
    if (req == KPOD_UNSET || cap <= 0)
        return 999;
    long long adj = 1000 - (1000 * (req / 1024)) / (cap / 1024 > 0 ? cap / 1024 : 1);
    return adj < 2 ? 2 : adj > 999 ? 999 : (int)adj;
}

static void
set_resources(struct kpod_oci_spec *spec, const struct kpod_container *c, const char *qos)
{
    const struct kpod_resources *r = &c->resources;
    struct kpod_oci_resources *o = kpod_oci_spec_resources(spec);
    if (r->mem_limit != KPOD_UNSET && r->mem_limit > 0) {
        o->memory_limit = r->mem_limit;
        o->memory_swap = r->mem_limit; /* no swap, as the kubelet does */
    }
    if (r->mem_request != KPOD_UNSET && r->mem_request > 0 &&
        (o->memory_limit == KPOD_OCI_UNSET || r->mem_request < o->memory_limit))
        o->memory_reservation = r->mem_request;
    if (r->cpu_limit != KPOD_UNSET && r->cpu_limit > 0) {
        long long quota = r->cpu_limit * (long long)CPU_PERIOD / 1000;
        o->cpu_quota = quota < 1000 ? 1000 : quota;
        o->cpu_period = CPU_PERIOD;
    }
    /* milliCPUToShares: 1 core = 1024 shares, at least 2 */
    long long req = r->cpu_request != KPOD_UNSET ? r->cpu_request : 0;
    long long shares = req * 1024 / 1000;
    o->cpu_shares = (uint64_t)(shares < 2 ? 2 : shares > 262144 ? 262144 : shares);
    (void)qos;
}

static bool
namespaced_sysctl(const char *k, bool *net)
{
    static const char *const ipc[] = {"kernel.shm_rmid_forced", "kernel.shmmax", "kernel.shmall",
                                      "kernel.shmmni",          "kernel.msgmax", "kernel.msgmnb",
                                      "kernel.msgmni",          "kernel.sem"};
    *net = kpod_str_has_prefix(k, "net.");
    if (*net || kpod_str_has_prefix(k, "fs.mqueue."))
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
        if (strcmp(k, ipc[i]) == 0)
            return true;
    return false;
}

static int
set_namespaces(struct kpod_oci_spec *spec, const struct kpod_spec_args *a, struct kpod_err **err)
{
    const struct kpod_pod *pod = a->pod;
    if (!pod->host_pid)
        kpod_oci_spec_set_namespace(spec, "pid", pod->share_pid ? a->pidns_path : NULL);
    if (!pod->host_network) {
        kpod_oci_spec_set_namespace(spec, "network", a->netns_path);
        kpod_oci_spec_set_namespace(spec, "uts", a->utsns_path);
    }
    if (!pod->host_ipc)
        kpod_oci_spec_set_namespace(spec, "ipc", a->ipcns_path);
    kpod_oci_spec_set_namespace(spec, "mount", NULL);
    kpod_oci_spec_set_namespace(spec, "cgroup", NULL);
    for (size_t i = 0; i < pod->sysctls.n; i++) {
        const struct kpod_kv *s = &pod->sysctls.items[i];
        bool net = false;
        if (!namespaced_sysctl(s->key, &net))
            return kpod_err_input(err, "sysctl '%s' is not namespaced: it would change the host",
                                  s->key);
        if ((net && pod->host_network) || (!net && pod->host_ipc))
            return kpod_err_input(err, "sysctl '%s' cannot be set with %s", s->key,
                                  net ? "hostNetwork" : "hostIPC");
        kpod_oci_spec_set_sysctl(spec, s->key, s->value);
    }
    return 0;
}

static void
set_annotations(struct kpod_oci_spec *spec, const struct kpod_spec_args *a, const char *qos,
                const json_t *cfg)
{
    const struct kpod_pod *pod = a->pod;
    const struct kpod_container *c = a->ctr;
    for (size_t i = 0; i < pod->annotations.n; i++)
        kpod_oci_spec_set_annotation(spec, pod->annotations.items[i].key,
                                     pod->annotations.items[i].value);
    kpod_oci_spec_set_annotation(spec, "io.kubernetes.pod.name", pod->name);
    kpod_oci_spec_set_annotation(spec, "io.kubernetes.pod.namespace", pod->namespace);
    if (a->env_rt.pod_uid != NULL)
        kpod_oci_spec_set_annotation(spec, "io.kubernetes.pod.uid", a->env_rt.pod_uid);
    kpod_oci_spec_set_annotation(spec, "io.kubernetes.container.name", c->name);
    kpod_oci_spec_set_annotation(spec, "io.kpod.container.type", c->init ? "init" : "app");
    kpod_oci_spec_set_annotation(spec, "io.kpod.qos-class", qos);
    static const char *const policies[] = {"Always", "OnFailure", "Never"};
    kpod_oci_spec_set_annotation(spec, "io.kpod.restart-policy", policies[pod->restart_policy]);
    _cleanup_free_ char *grace = xasprintf("%lld", pod->termination_grace_seconds);
    kpod_oci_spec_set_annotation(spec, "io.kpod.termination-grace-period", grace);
    int sig = c->stop_signal;
    const char *img_sig = kpod_json_str(cfg, "StopSignal");
    if (sig == 0 && img_sig != NULL)
        sig = kpod_signal_parse(img_sig);
    if (sig <= 0)
        sig = 15;
    const char *name = kpod_signal_name(sig);
    kpod_oci_spec_set_annotation(spec, "io.kpod.stop-signal", name ? name : "SIGTERM");
}

static void
set_env(struct kpod_oci_spec *spec, const json_t *cfg, char *const *pod_env,
        const struct spec_user *u, const char *hostname, bool tty)
{
    struct kpod_oci_process *p = kpod_oci_spec_process(spec);
    p->env = json_strv(cfg, "Env");
    if (p->env == NULL)
        p->env = xzalloc(sizeof(char *));
    if (kpod_oci_env_get(p->env, "PATH") == NULL)
        kpod_oci_spec_set_env(spec, "PATH", DEFAULT_PATH);
    if (hostname != NULL)
        kpod_oci_spec_set_env(spec, "HOSTNAME", hostname);
    if (tty && kpod_oci_env_get(p->env, "TERM") == NULL)
        kpod_oci_spec_set_env(spec, "TERM", "xterm");
    for (char *const *e = pod_env; e && *e; e++) {
        _cleanup_free_ char *name = xstrdup(*e);
        char *eq = strchr(name, '=');
        *eq = '\0';
        kpod_oci_spec_set_env(spec, name, eq + 1);
    }
    if (kpod_oci_env_get(p->env, "HOME") == NULL)
        kpod_oci_spec_set_env(spec, "HOME", u->home && *u->home ? u->home : "/");
}

static int
set_process(struct kpod_oci_spec *spec, const struct kpod_spec_args *a, const json_t *cfg,
            char **pod_env, struct spec_user *u, struct kpod_err **err)
{
    const struct kpod_container *c = a->ctr;
    struct kpod_oci_process *p = kpod_oci_spec_process(spec);
    _cleanup_strv_ char **ep = json_strv(cfg, "Entrypoint");
    _cleanup_strv_ char **cmd = json_strv(cfg, "Cmd");
    if (kpod_spec_process_args(ep, cmd, c->command, c->args, pod_env, &p->args, err) < 0)
        return kpod_err_prefix(err, "container '%s'", c->name);
    if (spec_resolve_user(a, kpod_json_str(cfg, "User"), u, err) < 0)
        return -1;
    p->user.uid = u->uid;
    p->user.gid = u->gid;
    if (u->n_gids > 0) {
        p->user.additional_gids = xmemdup(u->gids, u->n_gids * sizeof(uint32_t));
        p->user.n_additional_gids = u->n_gids;
    }
    const char *wd = c->working_dir ? c->working_dir : kpod_json_str(cfg, "WorkingDir");
    p->cwd = xstrdup(wd && *wd ? wd : "/");
    if (p->cwd[0] != '/')
        return kpod_err_input(err, "container '%s': workingDir '%s' must be absolute", c->name,
                              p->cwd);
    p->terminal = c->tty;
    uint64_t nofile = DEFAULT_NOFILE;
    if (a->nofile_hard > 0 && a->nofile_hard < nofile)
        nofile = a->nofile_hard;
    kpod_oci_spec_set_rlimit(spec, "RLIMIT_NOFILE", nofile, nofile);
    const char *hostname = a->pod->host_network ? NULL : a->plan->hostname;
    set_env(spec, cfg, pod_env, u, hostname, c->tty);
    return 0;
}

struct kpod_oci_spec *
kpod_spec_build(const struct kpod_spec_args *a, char ***warnings, struct kpod_err **err)
{
    const struct kpod_container *c = a->ctr;
    const json_t *cfg = image_cfg(a->image_config);
    _cleanup_oci_spec_ struct kpod_oci_spec *spec = kpod_oci_spec_new();
    _cleanup_strv_ char **pod_env = NULL;
    struct spec_user u = {0};
    const char *qos = qos_class(a->pod);
    if (kpod_manifest_container_env(a->manifest, a->pod, c, &a->env_rt, &pod_env, err) < 0)
        return NULL;
    int r = set_process(spec, a, cfg, pod_env, &u, err);
    uint32_t uid = u.uid;
    spec_user_clear(&u);
    if (r < 0)
        return NULL;
    struct kpod_oci_process *p = kpod_oci_spec_process(spec);
    p->has_oom_score_adj = true;
    p->oom_score_adj = oom_score_adj(a, qos);
    if (a->has_oom_floor && p->oom_score_adj < a->oom_floor)
        p->oom_score_adj = a->oom_floor;
    spec->root = xzalloc(sizeof(*spec->root));
    spec->root->path = xstrdup(a->rootfs ? a->rootfs : "rootfs");
    spec->root->readonly = c->sec.read_only_root_fs == 1;
    if (!a->pod->host_network)
        spec->hostname = xstrdup(a->plan->hostname);
    if (set_namespaces(spec, a, err) < 0 || spec_add_mounts(spec, a, err) < 0 ||
        spec_add_security(spec, a, uid, warnings, err) < 0)
        return NULL;
    set_resources(spec, c, qos);
    if (a->pids_limit >= 0)
        kpod_oci_spec_resources(spec)->pids_limit =
            a->pids_limit > 0 ? a->pids_limit : KPOD_SPEC_DEFAULT_PIDS_LIMIT;
    if (a->cgroups_path != NULL)
        kpod_oci_spec_linux(spec)->cgroups_path = xstrdup(a->cgroups_path);
    set_annotations(spec, a, qos, cfg);
    return TAKE_PTR(spec);
}
