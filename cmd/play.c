/* `kpod play FILE…|-`: run the pods of Kubernetes YAML. This build implements --dry-run:
 * validate, build every container's OCI spec, print it or write one bundle per container. */
#include "cli.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest/manifest.h"
#include "image/image.h"
#include "spec/spec.h"
#include "common.h"

struct play_opts {
    bool dry_run;
    char *format;
    char *output;
    bool quiet;
    bool start;
    bool replace;
    char *network;
    char *ip;
    bool tls_verify;
    char *authfile;
    char *creds;
    char **log_opts;
    char **hooks_dirs;
};

static const struct kpod_opt play_opts[] = {
    {"dry-run", 0, KPOD_OPT_BOOL, offsetof(struct play_opts, dry_run), NULL,
     "validate and print the OCI specs without running anything", NULL, NULL, false},
    {"format", 0, KPOD_OPT_STRING, offsetof(struct play_opts, format), "FORMAT",
     "output format of --dry-run: json or table", "=json table", NULL, false},
    {"output", 'o', KPOD_OPT_STRING, offsetof(struct play_opts, output), "DIR",
     "with --dry-run, write one OCI bundle per container under DIR", "dir", NULL, false},
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct play_opts, quiet), NULL,
     "print only the pod ids, and no pull progress", NULL, NULL, false},
    {"start", 0, KPOD_OPT_BOOL, offsetof(struct play_opts, start), NULL,
     "start the pods (--start=false only creates them)", NULL, "true", false},
    {"replace", 0, KPOD_OPT_BOOL, offsetof(struct play_opts, replace), NULL,
     "remove existing pods of the same names first", NULL, NULL, false},
    {"network", 0, KPOD_OPT_STRING, offsetof(struct play_opts, network), "NAME",
     "the network the pods join (default kpod)", "networks", NULL, false},
    {"ip", 0, KPOD_OPT_STRING, offsetof(struct play_opts, ip), "ADDRESS",
     "a static address for the pod (one pod only)", NULL, NULL, false},
    {"tls-verify", 0, KPOD_OPT_BOOL, offsetof(struct play_opts, tls_verify), NULL,
     "verify registries' TLS certificates (false also allows plain HTTP)", NULL, "true", false},
    {"authfile", 0, KPOD_OPT_STRING, offsetof(struct play_opts, authfile), "FILE",
     "registry credentials (containers-auth.json)", "file", NULL, false},
    {"creds", 0, KPOD_OPT_STRING, offsetof(struct play_opts, creds), "USER[:PASS]",
     "registry credentials", NULL, NULL, false},
    {"log-opt", 0, KPOD_OPT_STRV, offsetof(struct play_opts, log_opts), "OPT",
     "log options: max-size=SIZE, max-file=N", NULL, NULL, false},
    {"hooks-dir", 0, KPOD_OPT_STRV, offsetof(struct play_opts, hooks_dirs), "DIR",
     "OCI hooks directory (JSON 1.0.0); default /usr/share/containers/oci/hooks.d and "
     "/etc/containers/oci/hooks.d",
     "dir", NULL, false},
    KPOD_OPTS_END,
};

/* The paths a dry run shows, or the self-contained tree a bundle output uses. */
struct play_layout {
    char *pod_dir, *run_dir, *volumes_root;
    bool standalone; /* bundles: new namespaces, executor's mount types */
};

static void
layout_clear(struct play_layout *l)
{
    free(l->pod_dir);
    free(l->run_dir);
    free(l->volumes_root);
}

static struct play_layout
layout_for(const struct kpod_ctx *ctx, const struct play_opts *o, const struct kpod_pod *pod)
{
    if (o->output != NULL)
        return (struct play_layout){xasprintf("%s/%s/pod", o->output, pod->name),
                                    xasprintf("%s/%s/run", o->output, pod->name),
                                    xasprintf("%s/%s/volumes", o->output, pod->name), true};
    return (struct play_layout){xasprintf("%s/pods/%s", ctx->root, pod->name),
                                xasprintf("%s/pods/%s", ctx->runroot, pod->name),
                                xasprintf("%s/volumes", ctx->root), false};
}

/* The image config of an image in the store, or NULL (a dry run never pulls). */
static json_t *
stored_config(const char *root, const char *image)
{
    struct kpod_err *e = NULL;
    json_t *entry = kpod_image_lookup(root, image, &e);
    json_t *cfg = entry ? kpod_image_config(root, kpod_json_str(entry, "id"), &e) : NULL;
    json_decref(entry);
    kpod_err_free(&e);
    return cfg;
}

/* Images a dry run cannot read (not pulled yet): said once, with their names. */
static void
warn_images(const struct kpod_ctx *ctx, const struct kpod_manifest *m)
{
    _cleanup_strv_ char **seen = NULL;
    for (size_t i = 0; i < m->n_pods; i++) {
        for (size_t j = 0; j < m->pods[i].n_containers; j++) {
            const char *img = m->pods[i].containers[j].image;
            if (kpod_strv_contains(seen, img))
                continue;
            _cleanup_json_ json_t *cfg = stored_config(ctx->root, img);
            if (cfg == NULL)
                kpod_strv_push(&seen, img);
        }
    }
    if (seen == NULL)
        return;
    _cleanup_free_ char *list = kpod_strv_join(seen, "', '");
    kpod_warn("dry run: not in the image store (a dry run never pulls), so their image configs "
              "are empty: '%s'",
              list);
}

/* What the host lets kpod grant, read once per run. */
struct host_facts {
    uint64_t nofile_hard;
    bool has_oom_floor, has_caps;
    int oom_floor;
    uint64_t caps; /* CapBnd */
};

/* One `kpod play` run. */
struct play {
    const struct kpod_ctx *ctx;
    const struct play_opts *o;
    const struct kpod_manifest *m;
    struct host_facts host;
    bool quiet; /* the writing pass: its warnings were already shown */
};

/* A small host file, or NULL when it cannot be read (the caller has a default). */
static char *
read_small(const char *path)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    struct kpod_err *ignored = NULL;
    int r = kpod_fs_read_file(path, 1 << 20, &buf, &len, &ignored);
    kpod_err_free(&ignored);
    return r < 0 ? NULL : TAKE_PTR(buf);
}

/* The CapBnd line of /proc/self/status. */
static bool
parse_cap_bounding(const char *status, uint64_t *ret)
{
    const char *line = strstr(status, "\nCapBnd:");
    return line != NULL && sscanf(line + strlen("\nCapBnd:"), "%" SCNx64, ret) == 1;
}

static void
read_host_facts(struct host_facts *h)
{
    struct rlimit rl;
    long long v = 0;
    h->nofile_hard = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_max : 0;
    _cleanup_free_ char *oom = read_small("/proc/self/oom_score_adj");
    if (oom != NULL) {
        oom[strcspn(oom, "\n")] = '\0';
        if (kpod_str_to_ll(oom, -1000, 1000, &v) == 0)
            h->has_oom_floor = true, h->oom_floor = (int)v;
    }
    _cleanup_free_ char *status = read_small("/proc/self/status");
    h->has_caps = status != NULL && parse_cap_bounding(status, &h->caps);
}

static struct kpod_oci_spec *
build_one(const struct play *pl, const struct kpod_pod *pod, const struct kpod_container *c,
          const struct kpod_spec_pod *plan, const struct play_layout *l, struct kpod_err **err)
{
    _cleanup_free_ char *net = NULL, *ipc = NULL, *uts = NULL, *pid = NULL;
    if (!l->standalone) {
        net = xasprintf("%s/ns/net", l->run_dir);
        ipc = xasprintf("%s/ns/ipc", l->run_dir);
        uts = xasprintf("%s/ns/uts", l->run_dir);
        pid = xasprintf("%s/ns/pid", l->run_dir);
    }
    _cleanup_json_ json_t *image_config = stored_config(pl->ctx->root, c->image);
    struct kpod_spec_args a = {
        .manifest = pl->m,
        .pod = pod,
        .ctr = c,
        .plan = plan,
        .image_config = image_config,
        .rootfs = "rootfs",
        .netns_path = net,
        .ipcns_path = ipc,
        .utsns_path = uts,
        .pidns_path = pid,
        .nofile_hard = pl->host.nofile_hard,
        .has_oom_floor = pl->host.has_oom_floor,
        .oom_floor = pl->host.oom_floor,
        .has_host_caps = pl->host.has_caps,
        .host_caps = pl->host.caps,
    };
    _cleanup_strv_ char **warnings = NULL;
    struct kpod_oci_spec *spec = kpod_spec_build(&a, &warnings, err);
    for (char **w = warnings; !pl->quiet && w && *w; w++)
        kpod_warn("pod '%s': %s", pod->name, *w);
    if (spec == NULL)
        return kpod_err_prefix(err, "pod '%s'", pod->name), NULL;
    if (l->standalone)
        kpod_spec_finalize_mounts(spec);
    return spec;
}

static json_t *
plan_json(const struct kpod_spec_pod *plan)
{
    json_t *vols = json_array();
    for (size_t i = 0; i < plan->n_volumes; i++) {
        const struct kpod_spec_volume *v = &plan->volumes[i];
        static const char *const types[] = {"emptyDir", "hostPath", "configMap", "secret",
                                            "persistentVolumeClaim"};
        json_t *files = json_array();
        for (size_t j = 0; j < v->n_files; j++)
            json_array_append_new(files,
                                  json_pack("{s:s, s:I, s:i}", "path", v->files[j].path, "size",
                                            (json_int_t)v->files[j].len, "mode", v->files[j].mode));
        json_array_append_new(vols,
                              json_pack("{s:s, s:s, s:s, s:b, s:I, s:o}", "name", v->name, "type",
                                        types[v->type], "hostPath", v->host_path, "tmpfs", v->tmpfs,
                                        "size", (json_int_t)v->size, "files", files));
    }
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:o}", "podDir", plan->pod_dir, "runDir",
                     plan->run_dir, "shm", plan->shm_path, "shmSize", (json_int_t)plan->shm_size,
                     "hostname", plan->hostname, "volumes", vols);
}

static int
write_file(const char *path, const char *data, size_t len, mode_t mode, struct kpod_err **err)
{
    _cleanup_free_ char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    if (kpod_fs_mkdir_p(dir, 0755, err) < 0)
        return -1;
    if (kpod_fs_write_atomic(path, data, len, mode, err) < 0)
        return -1;
    if (chmod(path, mode) < 0)
        return kpod_err_sys(err, "chmod '%s'", path);
    return 0;
}

/* Lays the pod plan out under the output directory so the bundles run as they are. */
static int
materialise(const struct kpod_pod *pod, const struct kpod_spec_pod *plan, struct kpod_err **err)
{
    for (size_t i = 0; i < plan->n_volumes; i++) {
        const struct kpod_spec_volume *v = &plan->volumes[i];
        if (v->type == KPOD_VOLUME_HOSTPATH)
            continue;
        if (kpod_fs_mkdir_p(v->host_path, 0755, err) < 0 || chmod(v->host_path, v->dir_mode) < 0)
            return *err ? -1 : kpod_err_sys(err, "chmod '%s'", v->host_path);
        for (size_t j = 0; j < v->n_files; j++) {
            _cleanup_free_ char *p = kpod_fs_join_in_root(v->host_path, v->files[j].path);
            if (write_file(p, v->files[j].data, v->files[j].len, (mode_t)v->files[j].mode, err) < 0)
                return -1;
        }
    }
    _cleanup_free_ char *host_resolv = read_small("/etc/resolv.conf");
    _cleanup_free_ char *host_hosts = pod->host_network ? read_small("/etc/hosts") : NULL;
    _cleanup_free_ char *hosts = kpod_spec_hosts_content(pod, plan->hostname, NULL, host_hosts);
    _cleanup_free_ char *resolv = kpod_spec_resolv_content(pod, host_resolv);
    _cleanup_free_ char *hostname = xasprintf("%s\n", plan->hostname);
    if (write_file(plan->hosts_path, hosts, strlen(hosts), 0644, err) < 0 ||
        write_file(plan->resolv_path, resolv, strlen(resolv), 0644, err) < 0 ||
        write_file(plan->hostname_path, hostname, strlen(hostname), 0644, err) < 0)
        return -1;
    return kpod_fs_mkdir_p(plan->shm_path, 01777, err);
}

static int
write_bundle(const char *out, const struct kpod_pod *pod, const struct kpod_container *c,
             const struct kpod_oci_spec *spec, struct kpod_err **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/%s/%s", out, pod->name, c->name);
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
    _cleanup_free_ char *cfg = xasprintf("%s/config.json", dir);
    if (kpod_fs_mkdir_p(rootfs, 0755, err) < 0)
        return -1;
    return kpod_oci_spec_save_file(spec, cfg, err);
}

/* A Job's spec as the controller will run it (its template is the pod "<job>-0"). */
static json_t *
job_json(const struct kpod_job *j)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "completions", (json_int_t)j->completions,
                     "parallelism", (json_int_t)j->parallelism, "backoffLimit",
                     (json_int_t)j->backoff_limit, "activeDeadlineSeconds",
                     (json_int_t)j->active_deadline_seconds);
}

/* Builds a pod's plan and specs; appends its JSON to pods, or with write, writes its bundles
 * and files under o->output. */
static int
dry_run_pod(const struct play *pl, const struct kpod_pod *pod, bool write, json_t *pods,
            struct kpod_err **err)
{
    struct play_layout l = layout_for(pl->ctx, pl->o, pod);
    struct kpod_spec_pod_args pa = {.manifest = pl->m,
                                    .pod = pod,
                                    .pod_dir = l.pod_dir,
                                    .run_dir = l.run_dir,
                                    .volumes_root = l.volumes_root};
    _cleanup_spec_pod_ struct kpod_spec_pod *plan = kpod_spec_pod_plan(&pa, err);
    int r = plan ? 0 : -1;
    json_t *ctrs = json_array();
    for (size_t i = 0; r == 0 && i < pod->n_containers; i++) {
        const struct kpod_container *c = &pod->containers[i];
        _cleanup_oci_spec_ struct kpod_oci_spec *spec = build_one(pl, pod, c, plan, &l, err);
        if (spec == NULL) {
            r = -1;
            break;
        }
        if (write && write_bundle(pl->o->output, pod, c, spec, err) < 0)
            r = -1;
        json_array_append_new(ctrs, json_pack("{s:s, s:s, s:b, s:b, s:o}", "name", c->name, "image",
                                              c->image, "init", c->init, "sidecar", c->sidecar,
                                              "spec", kpod_oci_spec_to_json(spec)));
    }
    if (r == 0 && write && materialise(pod, plan, err) < 0)
        r = -1;
    if (r == 0 && pods != NULL) {
        json_t *pj =
            json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", pod->name, "namespace", pod->namespace,
                      "kind", pod->kind, "plan", plan_json(plan), "containers", ctrs);
        if (pod->job != NULL)
            json_object_set_new(pj, "job", job_json(pod->job));
        json_array_append_new(pods, pj);
    } else
        json_decref(ctrs);
    layout_clear(&l);
    return r;
}

/* Writes every pod under o->output, all or nothing: an existing pod directory is refused, and
 * a failure removes what this run wrote. */
static int
write_output(struct play *pl, struct kpod_err **err)
{
    const struct play_opts *o = pl->o;
    const struct kpod_manifest *m = pl->m;
    pl->quiet = true;
    for (size_t i = 0; i < m->n_pods; i++) {
        _cleanup_free_ char *dir = xasprintf("%s/%s", o->output, m->pods[i].name);
        if (kpod_fs_exists(dir))
            return kpod_err_usage(err, "output '%s' exists: remove it or choose another -o", dir);
    }
    for (size_t i = 0; i < m->n_pods; i++) {
        if (dry_run_pod(pl, &m->pods[i], true, NULL, err) == 0)
            continue;
        for (size_t j = 0; j <= i; j++) {
            _cleanup_free_ char *dir = xasprintf("%s/%s", o->output, m->pods[j].name);
            struct kpod_err *ignored = NULL;
            if (kpod_fs_rm_rf(dir, &ignored) < 0)
                kpod_warn("cleanup: %s", ignored->msg);
            kpod_err_free(&ignored);
        }
        return -1;
    }
    return 0;
}

static void
print_table(const struct kpod_manifest *m)
{
    printf("%-24s %-10s %-16s %-7s %s\n", "POD", "KIND", "CONTAINER", "INIT", "IMAGE");
    for (size_t i = 0; i < m->n_pods; i++) {
        const struct kpod_pod *p = &m->pods[i];
        for (size_t j = 0; j < p->n_containers; j++)
            printf("%-24s %-10s %-16s %-7s %s\n", p->name, p->kind, p->containers[j].name,
                   p->containers[j].sidecar ? "sidecar"
                   : p->containers[j].init  ? "yes"
                                            : "no",
                   p->containers[j].image);
    }
}

static int
run_play(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct play_opts *o = data;
    if (o->format != NULL && strcmp(o->format, "json") != 0 && strcmp(o->format, "table") != 0)
        return kpod_err_usage(err, "play: unknown format '%s': want json or table", o->format);
    if (!o->dry_run)
        return kpod_cmd_play_run(ctx,
                                 &(struct kpod_play_cli){.quiet = o->quiet,
                                                         .no_start = !o->start,
                                                         .replace = o->replace,
                                                         .tls_verify = o->tls_verify,
                                                         .network = o->network,
                                                         .ip = o->ip,
                                                         .authfile = o->authfile,
                                                         .creds = o->creds,
                                                         .log_opts = o->log_opts,
                                                         .hooks_dirs = o->hooks_dirs},
                                 argv, err);
    if (o->output != NULL && (strchr(o->output, '\n') != NULL || *o->output == '\0'))
        return kpod_err_usage(err, "play: invalid output directory '%s'", o->output);
    _cleanup_free_ char *abs_out = NULL;
    if (o->output != NULL && o->output[0] != '/') {
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        if (cwd == NULL)
            return kpod_err_sys(err, "play: getcwd");
        abs_out = xasprintf("%s/%s", cwd, o->output);
        free(o->output);
        o->output = xstrdup(abs_out);
    }
    _cleanup_strv_ char **early = NULL;
    _cleanup_manifest_ struct kpod_manifest *m = kpod_manifest_parse_files(argv, &early, err);
    if (m == NULL) {
        for (char **w = early; w && *w; w++)
            kpod_warn("%s", *w);
        return kpod_err_prefix(err, "play");
    }
    for (char **w = m->warnings; w && *w; w++)
        kpod_warn("%s", *w);
    warn_images(ctx, m);
    struct play pl = {.ctx = ctx, .o = o, .m = m};
    read_host_facts(&pl.host);
    _cleanup_json_ json_t *pods = json_array();
    /* everything is built before anything is written */
    for (size_t i = 0; i < m->n_pods; i++)
        if (dry_run_pod(&pl, &m->pods[i], false, pods, err) < 0)
            return kpod_err_prefix(err, "play");
    if (o->output != NULL && write_output(&pl, err) < 0)
        return kpod_err_prefix(err, "play");
    if (o->format != NULL && strcmp(o->format, "json") == 0) {
        _cleanup_json_ json_t *out = json_pack("{s:O}", "pods", pods);
        _cleanup_free_ char *s = kpod_json_dumps(out, true);
        printf("%s\n", s);
        return 0;
    }
    print_table(m);
    if (o->output != NULL)
        printf("Wrote %zu pod(s) to '%s'\n", m->n_pods, o->output);
    return 0;
}

const struct kpod_cmd kpod_cmd_play = {
    .name = "play",
    .summary = "run the pods of Kubernetes YAML (Pod, Deployment, Job, DaemonSet)",
    .usage = "[options] FILE...|-",
    .description = "Reads Kubernetes YAML (Pod, Deployment, Job, DaemonSet, ConfigMap, Secret, "
                   "List; several documents and files) and builds one OCI runtime spec per "
                   "container. With --dry-run nothing runs: the specs are printed, or written as "
                   "OCI bundles with -o DIR.",
    .opts = play_opts,
    .opts_size = sizeof(struct play_opts),
    .run = run_play,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "file",
};
