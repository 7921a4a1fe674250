/* lib/spec: the pod plan, the OCI spec builder and the emptyDir rewrite pass. */
#include "spec/spec.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

static struct kpod_manifest *
parse(const char *yaml)
{
    struct kpod_err *err = NULL;
    struct kpod_manifest *m = kpod_manifest_parse_buffer("t.yaml", yaml, strlen(yaml), &err);
    if (err != NULL)
        diag("parse: %s", err->msg);
    kpod_err_free(&err);
    return m;
}

/* Builds container ctr of the first pod; *ret_err gets the error message if any. */
struct built {
    struct kpod_manifest *m;
    struct kpod_spec_pod *plan;
    struct kpod_oci_spec *spec;
    json_t *json;
    char *err;
};

static void
built_free(struct built *b)
{
    kpod_oci_spec_free(b->spec);
    kpod_spec_pod_free(b->plan);
    kpod_manifest_free(b->m);
    json_decref(b->json);
    free(b->err);
}

static struct built
build(const char *yaml, size_t ctr, const char *image_json, const char *rootfs)
{
    struct built b = {0};
    struct kpod_err *err = NULL;
    b.m = parse(yaml);
    if (b.m == NULL)
        return b;
    const struct kpod_pod *pod = &b.m->pods[0];
    struct kpod_spec_pod_args pa = {.manifest = b.m,
                                    .pod = pod,
                                    .pod_dir = "/var/lib/kpod/pods/u1",
                                    .run_dir = "/run/kpod/pods/p1",
                                    .volumes_root = "/var/lib/kpod/volumes"};
    b.plan = kpod_spec_pod_plan(&pa, &err);
    json_t *img = image_json ? json_loads(image_json, 0, NULL) : NULL;
    struct kpod_spec_args a = {.manifest = b.m,
                               .pod = pod,
                               .ctr = &pod->containers[ctr],
                               .plan = b.plan,
                               .image_config = img,
                               .image_rootfs = rootfs,
                               .netns_path = "/run/ns/net",
                               .ipcns_path = "/run/ns/ipc",
                               .utsns_path = "/run/ns/uts",
                               .pidns_path = "/run/ns/pid",
                               .nofile_hard = 20000,
                               .has_oom_floor = true,
                               .oom_floor = -500};
    a.env_rt.pod_ip = "10.88.0.7";
    if (b.plan != NULL)
        b.spec = kpod_spec_build(&a, NULL, &err);
    json_decref(img);
    if (err != NULL)
        b.err = xstrdup(err->msg);
    kpod_err_free(&err);
    if (b.spec != NULL)
        b.json = kpod_oci_spec_to_json(b.spec);
    return b;
}

static const char *
jstr(const json_t *j, const char *path)
{
    /* "process.cwd" style, with [i] for arrays */
    _cleanup_strv_ char **parts = kpod_strv_split(path, ".", true);
    const json_t *cur = j;
    for (char **p = parts; cur && p && *p; p++) {
        char *br = strchr(*p, '[');
        if (br != NULL) {
            *br = '\0';
            cur = json_object_get(cur, *p);
            cur = json_array_get(cur, (size_t)atoi(br + 1));
        } else {
            cur = json_object_get(cur, *p);
        }
    }
    static char buf[64];
    if (json_is_integer(cur)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(cur));
        return buf;
    }
    if (json_is_boolean(cur))
        return json_is_true(cur) ? "true" : "false";
    return json_string_value(cur);
}

static char *
args_of(const struct kpod_oci_spec *s)
{
    return s && s->process ? kpod_strv_join(s->process->args, " ") : xstrdup("(none)");
}

#define HEAD                                                                                       \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    "      \
    "image: i\n"

static void
test_args_matrix(void)
{
    const char *img =
        "{\"config\": {\"Entrypoint\": [\"/ep\", \"x\"], \"Cmd\": [\"cmd1\", \"cmd2\"]}}";
    static const struct {
        const char *yaml, *want, *what;
    } cases[] = {
        {HEAD, "/ep x cmd1 cmd2", "neither: ENTRYPOINT + CMD"},
        {HEAD "    command: [/bin/run]\n", "/bin/run", "command: replaces ENTRYPOINT, drops CMD"},
        {HEAD "    args: [a1, a2]\n", "/ep x a1 a2", "args: ENTRYPOINT + args"},
        {HEAD "    command: [/bin/run]\n    args: [a1]\n", "/bin/run a1", "command + args"},
        {HEAD "    command: []\n    args: [a1]\n", "/ep x a1", "empty command counts as unset"},
        {HEAD "    env: [{name: V, value: val}]\n    command: [echo, '$(V)', '$$(V)', '$(NO)']\n",
         "echo val $(V) $(NO)", "$(VAR) in command"},
        {HEAD "    env: [{name: V, value: val}]\n    args: ['x$(V)y']\n", "/ep x xvaly",
         "$(VAR) in args"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct built b = build(cases[i].yaml, 0, img, NULL);
        _cleanup_free_ char *got = args_of(b.spec);
        is_str(got, cases[i].want, "%s", cases[i].what);
        built_free(&b);
    }
    struct built b = build(HEAD, 0, "{}", NULL);
    ok(b.spec == NULL && b.err && strstr(b.err, "no command"), "no command at all: %s",
       b.err ? b.err : "");
    built_free(&b);
    b = build(HEAD "    args: [only]\n", 0, "{\"Cmd\": [\"c\"]}", NULL);
    _cleanup_free_ char *got = args_of(b.spec);
    is_str(got, "only", "args without ENTRYPOINT replace CMD (bare config object)");
    built_free(&b);
}

static void
test_env_and_cwd(void)
{
    const char *img = "{\"config\": {\"Env\": [\"PATH=/img/bin\", \"A=img\", \"B=img\"], "
                      "\"Cmd\": [\"sh\"], \"WorkingDir\": \"/srv\"}}";
    struct built b = build(HEAD "    env: [{name: A, value: pod}, {name: C, value: '$(A)'}]\n"
                                "    tty: true\n",
                           0, img, NULL);
    ok(b.spec != NULL, "builds");
    if (b.spec != NULL) {
        _cleanup_free_ char *env = kpod_strv_join(b.spec->process->env, " ");
        is_str(env, "PATH=/img/bin A=pod B=img HOSTNAME=p TERM=xterm C=pod HOME=/root",
               "image env, then pod env wins; HOSTNAME, TERM, HOME");
        is_str(b.spec->process->cwd, "/srv", "image WorkingDir");
        ok(b.spec->process->terminal, "tty → terminal");
    }
    built_free(&b);
    b = build(HEAD "    workingDir: /w\n    command: [x]\n", 0, img, NULL);
    is_str(b.spec ? b.spec->process->cwd : NULL, "/w", "workingDir wins");
    _cleanup_free_ char *env = b.spec ? kpod_strv_join(b.spec->process->env, " ") : NULL;
    ok(env && strstr(env, "PATH=/img/bin"), "image PATH kept");
    built_free(&b);
    b = build(HEAD "    command: [x]\n", 0, NULL, NULL);
    is_str(b.spec ? kpod_oci_env_get(b.spec->process->env, "PATH") : NULL,
           "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "default PATH");
    is_str(b.spec ? b.spec->process->cwd : NULL, "/", "default cwd");
    built_free(&b);
}

static void
test_user(void)
{
    const char *fx = getenv("KPOD_TEST_FIXTURES");
    _cleanup_free_ char *rootfs = xasprintf("%s/spec/rootfs", fx ? fx : "test/unit/fixtures");
    const char *img_www = "{\"config\": {\"User\": \"www\", \"Cmd\": [\"x\"]}}";
    struct built b = build(HEAD, 0, img_www, rootfs);
    ok(b.spec != NULL, "image user by name");
    if (b.spec != NULL) {
        is_int(b.spec->process->user.uid, 33, "uid from /etc/passwd");
        is_int(b.spec->process->user.gid, 33, "gid from /etc/passwd");
        is_int(b.spec->process->user.n_additional_gids, 1, "groups from /etc/group");
        is_str(kpod_oci_env_get(b.spec->process->env, "HOME"), "/var/www", "HOME from passwd");
        ok(b.spec->process->capabilities->effective[0] == NULL,
           "non-root user: no effective capabilities");
        ok(b.spec->process->capabilities->bounding[0] != NULL, "bounding kept");
    }
    built_free(&b);
    b = build("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
              "  securityContext: {runAsUser: 1000, runAsGroup: 50, fsGroup: 2000,\n"
              "                    supplementalGroups: [3000]}\n"
              "  containers:\n  - name: c\n    image: i\n"
              "  - name: d\n    image: i\n    securityContext: {runAsUser: 0, runAsGroup: 0}\n",
              0, img_www, rootfs);
    ok(b.spec != NULL, "pod runAsUser");
    if (b.spec != NULL) {
        const struct kpod_oci_user *u = &b.spec->process->user;
        is_int(u->uid, 1000, "pod runAsUser overrides image USER");
        is_int(u->gid, 50, "runAsGroup");
        _cleanup_free_ char *g =
            xasprintf("%u %u %u %u", u->additional_gids[0], u->additional_gids[1],
                      u->additional_gids[2], u->additional_gids[3]);
        is_int(u->n_additional_gids, 4, "four additional gids");
        is_str(g, "29 44 3000 2000", "image groups of 'app', supplementalGroups, fsGroup");
    }
    built_free(&b);
    b = build("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
              "  securityContext: {runAsUser: 1000}\n"
              "  containers:\n  - name: c\n    image: i\n"
              "  - name: d\n    image: i\n    securityContext: {runAsUser: 0, runAsGroup: 0}\n",
              1, img_www, rootfs);
    is_int(b.spec ? b.spec->process->user.uid : 99, 0, "container runAsUser 0 beats the pod's");
    built_free(&b);
    b = build(HEAD, 0, "{\"config\": {\"User\": \"1000:44\", \"Cmd\": [\"x\"]}}", NULL);
    ok(b.spec && b.spec->process->user.uid == 1000 && b.spec->process->user.gid == 44,
       "numeric uid:gid without a rootfs");
    built_free(&b);
    b = build(HEAD, 0, "{\"config\": {\"User\": \"ghost\", \"Cmd\": [\"x\"]}}", rootfs);
    ok(b.spec == NULL && b.err && strstr(b.err, "image user 'ghost' not found"),
       "unknown user name: %s", b.err ? b.err : "");
    built_free(&b);
    b = build(HEAD "    securityContext: {runAsNonRoot: true}\n", 0, "{\"Cmd\": [\"x\"]}", NULL);
    ok(b.spec == NULL && b.err && strstr(b.err, "runAsNonRoot"), "runAsNonRoot with a root image");
    built_free(&b);
}

static void
test_security(void)
{
    const char *img = "{\"Cmd\": [\"x\"]}";
    struct built b = build(HEAD, 0, img, NULL);
    ok(b.spec != NULL, "default security");
    if (b.spec != NULL) {
        _cleanup_free_ char *caps = kpod_strv_join(b.spec->process->capabilities->effective, ",");
        is_str(caps,
               "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_NET_BIND_SERVICE,"
               "CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT",
               "podman's default capabilities");
        struct kpod_oci_seccomp *s = b.spec->linux_->seccomp;
        ok(s != NULL && strcmp(s->default_action, "SCMP_ACT_ERRNO") == 0 &&
               s->default_errno_ret == 38,
           "seccomp: default ENOSYS");
        ok(s && kpod_strv_contains(s->syscalls[0].names, "read") &&
               !kpod_strv_contains(s->syscalls[0].names, "mount"),
           "seccomp allows read, not mount");
        ok(s && !kpod_strv_contains(s->syscalls[0].names, "clone3") &&
               !kpod_strv_contains(s->syscalls[0].names, "clone"),
           "clone3 not allowed (ENOSYS), clone only by its flag rule");
        bool clone_rule = false;
        for (size_t i = 0; s && i < s->n_syscalls; i++)
            if (kpod_strv_contains(s->syscalls[i].names, "clone") && s->syscalls[i].n_args == 1 &&
                s->syscalls[i].args[0].value_two == 0x7E020000ULL)
                clone_rule = true;
        ok(clone_rule, "clone allowed without namespace flags");
        ok(kpod_strv_contains(b.spec->linux_->masked_paths, "/proc/kcore"), "/proc/kcore masked");
        ok(kpod_strv_contains(b.spec->linux_->readonly_paths, "/proc/sys"), "/proc/sys read-only");
        ok(!b.spec->process->no_new_privileges, "no_new_privs off by default");
        is_int(b.spec->linux_->resources->devices[0].allow, 0, "devices: deny all first");
    }
    built_free(&b);
    b = build(HEAD "    securityContext:\n      capabilities: {drop: [ALL], add: [net_admin, "
                   "CAP_SYS_ADMIN]}\n      allowPrivilegeEscalation: false\n"
                   "      readOnlyRootFilesystem: true\n",
              0, img, NULL);
    if (ok(b.spec != NULL, "drop ALL + add")) {
        _cleanup_free_ char *caps = kpod_strv_join(b.spec->process->capabilities->bounding, ",");
        is_str(caps, "CAP_NET_ADMIN,CAP_SYS_ADMIN", "drop ALL then add");
        ok(b.spec->process->no_new_privileges, "allowPrivilegeEscalation false → no_new_privs");
        ok(b.spec->root->readonly, "readOnlyRootFilesystem");
        ok(kpod_strv_contains(b.spec->linux_->seccomp->syscalls[0].names, "mount"),
           "CAP_SYS_ADMIN unlocks mount in the profile");
    }
    built_free(&b);
    b = build(HEAD "    securityContext: {privileged: true}\n", 0, img, NULL);
    if (ok(b.spec != NULL, "privileged")) {
        ok(kpod_strv_len(b.spec->process->capabilities->effective) >= 40, "all capabilities");
        ok(b.spec->linux_->seccomp == NULL, "no seccomp");
        ok(b.spec->linux_->masked_paths == NULL, "nothing masked");
        is_int(b.spec->linux_->resources->devices[0].allow, 1, "all devices allowed");
    }
    built_free(&b);
    b = build(HEAD "    securityContext: {seccompProfile: {type: Unconfined}}\n", 0, img, NULL);
    ok(b.spec && b.spec->linux_->seccomp == NULL, "Unconfined: no seccomp");
    built_free(&b);
    b = build(HEAD "    securityContext: {capabilities: {add: [BOGUS]}}\n", 0, img, NULL);
    ok(b.spec == NULL && b.err && strstr(b.err, "unknown capability 'CAP_BOGUS'"),
       "unknown capability refused");
    built_free(&b);
}

static void
test_namespaces_resources(void)
{
    const char *img = "{\"Cmd\": [\"x\"]}";
    struct built b = build(HEAD "    resources:\n      limits: {cpu: 250m, memory: 128Mi}\n"
                                "      requests: {cpu: 100m, memory: 64Mi}\n",
                           0, img, NULL);
    if (ok(b.spec != NULL, "resources")) {
        struct kpod_oci_resources *r = b.spec->linux_->resources;
        is_int(r->cpu_quota, 25000, "quota = 250m of 100ms");
        is_int(r->cpu_period, 100000, "period");
        is_int(r->cpu_shares, 102, "shares from the request");
        is_int(r->memory_limit, 128 << 20, "memory limit");
        is_int(r->memory_reservation, 64 << 20, "memory reservation from the request");
        is_int(r->memory_swap, 128 << 20, "no swap");
        is_int(r->pids_limit, 2048, "podman's default pids limit");
        is_str(kpod_oci_spec_get_annotation(b.spec, "io.kpod.qos-class"), "Burstable", "QoS");
        is_int(b.spec->process->oom_score_adj, 999, "Burstable oom score");
        is_str(jstr(b.json, "linux.namespaces[1].path"), "/run/ns/net", "pod network ns");
        ok(kpod_oci_spec_find_namespace(b.spec, "pid")->path == NULL, "own pid ns by default");
        is_str(b.spec->hostname, "p", "hostname is the pod name");
        is_int(b.spec->process->rlimits[0].hard, 20000, "NOFILE clamped to the caller's hard");
    }
    built_free(&b);
    b = build(HEAD "    resources: {limits: {cpu: 1, memory: 1Gi}}\n", 0, img, NULL);
    is_int(b.spec ? b.spec->process->oom_score_adj : 0, -500,
           "Guaranteed -997 clamped to the caller's oom_score_adj");
    built_free(&b);
    b = build("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n"
              "  shareProcessNamespace: true\n  hostname: h1\n"
              "  securityContext: {sysctls: [{name: kernel.shm_rmid_forced, value: '1'}]}\n"
              "  containers: [{name: c, image: i}]\n",
              0, img, NULL);
    if (ok(b.spec != NULL, "hostNetwork")) {
        ok(kpod_oci_spec_find_namespace(b.spec, "network") == NULL, "no network ns");
        ok(kpod_oci_spec_find_namespace(b.spec, "uts") == NULL, "no uts ns");
        is_str(kpod_oci_spec_find_namespace(b.spec, "pid")->path, "/run/ns/pid",
               "shareProcessNamespace joins the pod pid ns");
        ok(b.spec->hostname == NULL, "no hostname with hostNetwork");
        ok(kpod_oci_spec_find_mount(b.spec, "/etc/hostname") == NULL,
           "no /etc/hostname bind with hostNetwork");
        ok(kpod_oci_spec_find_mount(b.spec, "/etc/hosts") != NULL, "/etc/hosts still bound");
        is_str(b.spec->linux_->sysctl[0].key, "kernel.shm_rmid_forced", "sysctl");
    }
    built_free(&b);
    b = build("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n"
              "  securityContext: {sysctls: [{name: net.ipv4.ip_forward, value: '1'}]}\n"
              "  containers: [{name: c, image: i}]\n",
              0, img, NULL);
    ok(b.m == NULL && b.spec == NULL, "net sysctl with hostNetwork refused (by the manifest)");
    built_free(&b);
    b = build(HEAD "  securityContext: {sysctls: [{name: vm.swappiness, value: '1'}]}\n", 0, img,
              NULL);
    ok(b.m == NULL && b.spec == NULL, "host sysctl refused (by the manifest)");
    built_free(&b);
}

static const struct kpod_oci_mount *
mount_at(const struct kpod_oci_spec *s, const char *dst)
{
    return s ? kpod_oci_spec_find_mount(s, dst) : NULL;
}

static void
test_volume_mounts(void)
{
    const char *y =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  securityContext: {fsGroup: 1234}\n"
        "  containers:\n  - name: c\n    image: i\n    command: [x]\n"
        "    volumeMounts:\n"
        "    - {name: cache, mountPath: /cache}\n"
        "    - {name: mem, mountPath: /mem}\n"
        "    - {name: cfg, mountPath: /etc/app}\n"
        "    - {name: cfg, mountPath: /etc/one.conf, subPath: renamed.conf}\n"
        "    - {name: sec, mountPath: /secret}\n"
        "    - {name: host, mountPath: /host, readOnly: true, "
        "mountPropagation: HostToContainer}\n"
        "    - {name: data, mountPath: /data}\n"
        "  volumes:\n"
        "  - {name: cache, emptyDir: {}}\n"
        "  - {name: mem, emptyDir: {medium: Memory, sizeLimit: 32Mi}}\n"
        "  - name: cfg\n    configMap:\n      name: cm\n      defaultMode: 0600\n"
        "      items: [{key: a, path: renamed.conf}, {key: b, path: sub/b, mode: 0755}]\n"
        "  - {name: sec, secret: {secretName: s}}\n"
        "  - {name: host, hostPath: {path: /srv/data, type: DirectoryOrCreate}}\n"
        "  - {name: data, persistentVolumeClaim: {claimName: pgdata}}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
        "data: {a: A, b: B, c: C}\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
        "stringData: {token: t0k3n}\n";
    struct built b = build(y, 0, NULL, NULL);
    if (!ok(b.spec != NULL, "volume mounts build"))
        return built_free(&b);
    const struct kpod_oci_mount *m = mount_at(b.spec, "/cache");
    is_str(m ? m->type : NULL, "local", "emptyDir → local");
    is_str(m ? m->source : NULL, "/var/lib/kpod/pods/u1/volumes/kubernetes.io~empty-dir/cache",
           "kubelet layout source");
    m = mount_at(b.spec, "/mem");
    is_str(m ? m->type : NULL, "ephemeral", "medium Memory → ephemeral");
    m = mount_at(b.spec, "/etc/app");
    is_str(m ? m->type : NULL, "bind", "configMap is a bind");
    ok(m && kpod_strv_contains(m->options, "ro"), "configMap read-only");
    m = mount_at(b.spec, "/etc/one.conf");
    is_str(m ? m->source : NULL,
           "/var/lib/kpod/pods/u1/volumes/kubernetes.io~configmap/cfg/renamed.conf", "subPath");
    m = mount_at(b.spec, "/host");
    is_str(m ? m->source : NULL, "/srv/data", "hostPath source");
    ok(m && kpod_strv_contains(m->options, "rslave") && kpod_strv_contains(m->options, "ro"),
       "HostToContainer → rslave, readOnly");
    is_str(b.spec->linux_->rootfs_propagation, "rslave",
           "root propagation follows HostToContainer");
    m = mount_at(b.spec, "/data");
    is_str(m ? m->source : NULL, "/var/lib/kpod/volumes/pgdata/_data", "PVC named volume");
    m = mount_at(b.spec, "/dev/shm");
    is_str(m ? m->source : NULL, "/run/kpod/pods/p1/shm", "pod /dev/shm");
    m = mount_at(b.spec, "/etc/resolv.conf");
    is_str(m ? m->source : NULL, "/run/kpod/pods/p1/resolv.conf", "resolv.conf bind");
    const struct kpod_spec_volume *v = kpod_spec_pod_volume(b.plan, "cfg");
    ok(v && v->n_files == 2, "configMap items: 2 files");
    if (v && v->n_files == 2) {
        is_str(v->files[0].path, "renamed.conf", "item path");
        is_int(v->files[0].mode, 0600, "defaultMode");
        is_int(v->files[1].mode, 0755, "item mode");
        is_str(v->files[1].data, "B", "item data");
    }
    v = kpod_spec_pod_volume(b.plan, "sec");
    ok(v && v->tmpfs && v->n_files == 1 && v->files[0].mode == 0644, "secret on tmpfs, 0644");
    v = kpod_spec_pod_volume(b.plan, "mem");
    ok(v && v->tmpfs && v->size == 32 << 20, "memory emptyDir: tmpfs of sizeLimit");
    v = kpod_spec_pod_volume(b.plan, "cache");
    ok(v && v->dir_mode == 0777 && v->gid == 1234, "emptyDir 0777 with fsGroup");
    kpod_spec_finalize_mounts(b.spec);
    m = mount_at(b.spec, "/mem");
    ok(m && strcmp(m->type, "bind") == 0 && kpod_strv_contains(m->options, "rbind"),
       "finalize: ephemeral → rbind");
    built_free(&b);
    b = build(HEAD "    command: [x]\n    volumeMounts: [{name: shm, mountPath: /dev/shm}]\n"
                   "  volumes: [{name: shm, emptyDir: {medium: Memory}}]\n",
              0, NULL, NULL);
    m = mount_at(b.spec, "/dev/shm");
    is_str(m ? m->type : NULL, "ephemeral", "a Memory emptyDir at /dev/shm replaces the pod shm");
    size_t n = 0;
    for (size_t i = 0; b.spec && i < b.spec->n_mounts; i++)
        n += strcmp(b.spec->mounts[i].destination, "/dev/shm") == 0;
    is_int(n, 1, "only one /dev/shm mount");
    built_free(&b);
}

static const char *
fake_fstype(const char *path, void *data)
{
    static char buf[64];
    return kpod_spec_mounts_fstype(data, path, buf, sizeof(buf));
}

static void
test_rewrite_pass(void)
{
    const char *proc_mounts =
        "tmpfs /pods/u/volumes/kubernetes.io~empty-dir/mem tmpfs rw,size=1024k 0 0\n"
        "/dev/sda1 /pods/u/volumes/kubernetes.io~empty-dir/disk ext4 rw 0 0\n"
        "broken /pods/u/volumes/kubernetes.io~empty-dir/bad tmpfs\n"
        "tmpfs /pods/u/volumes/kubernetes.io~empty-dir/mem tmpfs rw 0 0\n";
    _cleanup_oci_spec_ struct kpod_oci_spec *s = kpod_oci_spec_new();
    const char *srcs[] = {"/pods/u/volumes/kubernetes.io~empty-dir/mem",
                          "/pods/u/volumes/kubernetes.io~empty-dir/disk",
                          "/pods/u/volumes/kubernetes.io~empty-dir/notmounted",
                          "/pods/u/volumes/kubernetes.io~empty-dir/bad",
                          "/srv/other",
                          "/pods/u/volumes/kubernetes.io~empty-dir/mem/",
                          "kubernetes.io~empty-dir"};
    char *opts[] = {"rbind", "ro", NULL};
    for (size_t i = 0; i < ARRAY_SIZE(srcs); i++)
        kpod_oci_spec_add_mount(s, "/dst", "bind", srcs[i], opts);
    int n = kpod_spec_rewrite_mounts(s, fake_fstype, (void *)proc_mounts);
    is_int(n, 4, "four emptyDir mounts rewritten");
    is_str(s->mounts[0].type, "ephemeral", "emptyDir on tmpfs → ephemeral");
    is_str(s->mounts[1].type, "local", "emptyDir on ext4 → local");
    is_str(s->mounts[2].type, "local", "emptyDir not a mount point → local");
    is_str(s->mounts[3].type, "local", "malformed /proc/mounts line → not tmpfs → local");
    is_str(s->mounts[4].type, "bind", "other path unchanged");
    is_str(s->mounts[5].type, "bind", "trailing slash unchanged");
    is_str(s->mounts[6].type, "bind", "a single element is not an emptyDir");
    is_str(s->mounts[0].source, srcs[0], "source kept");
    ok(kpod_strv_contains(s->mounts[0].options, "ro"), "options kept");
    ok(kpod_spec_is_emptydir("/a/kubernetes.io~empty-dir/x"), "is_emptydir");
    ok(!kpod_spec_is_emptydir("/a/kubernetes.io~empty-dir"), "the plugin dir itself is not");
}

static void
test_etc_files(void)
{
    _cleanup_manifest_ struct kpod_manifest *m =
        parse("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
              "  hostAliases: [{ip: 10.1.2.3, hostnames: [db, db.local]}]\n"
              "  dnsConfig:\n    nameservers: [1.1.1.1]\n    searches: [corp.example]\n"
              "    options: [{name: ndots, value: '2'}, {name: edns0}]\n"
              "  containers: [{name: c, image: i}]\n"
              "---\napiVersion: v1\nkind: Pod\nmetadata: {name: none}\nspec:\n"
              "  dnsPolicy: None\n  dnsConfig: {nameservers: [9.9.9.9]}\n"
              "  containers: [{name: c, image: i}]\n");
    if (!ok(m != NULL, "etc pods parse"))
        return;
    _cleanup_free_ char *hosts = kpod_spec_hosts_content(&m->pods[0], "web", "10.88.0.4", NULL);
    ok(strstr(hosts, "127.0.0.1\tlocalhost\n") != NULL, "hosts: localhost");
    ok(strstr(hosts, "10.88.0.4\tweb\n") != NULL, "hosts: the pod's own name");
    ok(strstr(hosts, "10.1.2.3\tdb\tdb.local\n") != NULL, "hosts: hostAliases");
    m->pods[0].host_network = true;
    _cleanup_free_ char *hh = kpod_spec_hosts_content(&m->pods[0], "web", "10.88.0.4",
                                                      "127.0.0.1 localhost\n10.0.0.5 hostbox");
    ok(strstr(hh, "10.0.0.5 hostbox\n") && strstr(hh, "10.1.2.3\tdb") && !strstr(hh, "10.88.0.4"),
       "hostNetwork: the host's hosts file plus hostAliases");
    m->pods[0].host_network = false;
    const char *host = "# host\nnameserver 127.0.0.53\nnameserver 192.168.1.1\nsearch lan\n"
                       "options ndots:5 rotate\n";
    _cleanup_free_ char *r = kpod_spec_resolv_content(&m->pods[0], host);
    ok(strstr(r, "nameserver 192.168.1.1\nnameserver 1.1.1.1\n") != NULL,
       "resolv: host + pod nameservers");
    ok(strstr(r, "127.0.0.53") == NULL, "resolv: the host's loopback resolver is dropped");
    ok(strstr(r, "search lan corp.example\n") != NULL, "resolv: searches merged");
    ok(strstr(r, "options rotate ndots:2 edns0\n") != NULL, "resolv: pod option replaces host's");
    _cleanup_free_ char *r2 = kpod_spec_resolv_content(&m->pods[1], host);
    ok(strstr(r2, "192.168.1.1") == NULL && strstr(r2, "nameserver 9.9.9.9\n"),
       "dnsPolicy None ignores the host");
}

static void
test_more(void)
{
    /* privileged gets only what the caller can grant */
    _cleanup_manifest_ struct kpod_manifest *m = parse(
        HEAD "    command: [x]\n    securityContext: {privileged: true}\n"
             "  - name: d\n    image: i\n    command: [x]\n"
             "    lifecycle: {stopSignal: SIGUSR1}\n"
             "  - name: e\n    image: i\n    command: [x]\n"
             "    securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}\n"
             "  volumes: [{name: v, secret: {secretName: nope, optional: true}}]\n");
    if (!ok(m != NULL, "more: parses (optional missing secret volume is fine)"))
        return;
    struct kpod_err *err = NULL;
    struct kpod_spec_pod_args pa = {
        .manifest = m, .pod = &m->pods[0], .pod_dir = "/p", .run_dir = "/r", .volumes_root = "/v"};
    _cleanup_spec_pod_ struct kpod_spec_pod *plan = kpod_spec_pod_plan(&pa, &err);
    ok(plan && plan->volumes[0].n_files == 0, "optional missing secret: an empty volume");
    struct kpod_spec_args a = {.manifest = m,
                               .pod = &m->pods[0],
                               .ctr = &m->pods[0].containers[0],
                               .plan = plan,
                               .has_host_caps = true,
                               .host_caps = (1ULL << 0) | (1ULL << 21)};
    _cleanup_oci_spec_ struct kpod_oci_spec *s = kpod_spec_build(&a, NULL, &err);
    _cleanup_free_ char *caps = s ? kpod_strv_join(s->process->capabilities->effective, ",") : NULL;
    is_str(caps, "CAP_CHOWN,CAP_SYS_ADMIN", "privileged: the caller's bounding set only");
    a.ctr = &m->pods[0].containers[1];
    json_t *img = json_pack("{s:s}", "StopSignal", "SIGQUIT");
    a.image_config = img;
    _cleanup_oci_spec_ struct kpod_oci_spec *s2 = kpod_spec_build(&a, NULL, &err);
    is_str(s2 ? kpod_oci_spec_get_annotation(s2, "io.kpod.stop-signal") : NULL, "SIGUSR1",
           "lifecycle.stopSignal beats the image's STOPSIGNAL");
    a.ctr = &m->pods[0].containers[0];
    a.ctr = &m->pods[0].containers[2];
    _cleanup_oci_spec_ struct kpod_oci_spec *s3 = kpod_spec_build(&a, NULL, &err);
    ok(s3 == NULL && err && strstr(err->msg, "no profile directory"),
       "Localhost seccomp without a profile directory: %s", err ? err->msg : "");
    kpod_err_free(&err);
    const char *fx = getenv("KPOD_TEST_FIXTURES");
    _cleanup_free_ char *dir = xasprintf("%s/spec", fx ? fx : "test/unit/fixtures");
    a.seccomp_root = dir;
    _cleanup_oci_spec_ struct kpod_oci_spec *s4 = kpod_spec_build(&a, NULL, &err);
    ok(s4 && s4->linux_->seccomp &&
           strcmp(s4->linux_->seccomp->default_action, "SCMP_ACT_LOG") == 0,
       "Localhost seccomp profile read from the profile directory");
    if (err)
        diag("%s", err->msg);
    kpod_err_free(&err);
    json_decref(img);
    /* an explicit add the caller cannot grant is warned about */
    _cleanup_manifest_ struct kpod_manifest *m2 =
        parse(HEAD "    command: [x]\n    securityContext: {capabilities: {add: [SYS_TIME]}}\n");
    struct kpod_spec_args a2 = {.manifest = m2,
                                .pod = &m2->pods[0],
                                .ctr = &m2->pods[0].containers[0],
                                .plan = plan,
                                .has_host_caps = true,
                                .host_caps = ~(1ULL << 25)};
    _cleanup_strv_ char **warnings = NULL;
    _cleanup_oci_spec_ struct kpod_oci_spec *s5 = kpod_spec_build(&a2, &warnings, &err);
    ok(s5 && warnings && strstr(warnings[0], "CAP_SYS_TIME is not in kpod's own bounding set"),
       "warning for a capability the caller lacks");
    kpod_err_free(&err);
}

static void
test_hostpath(void)
{
    struct kpod_spec_volume v = {.name = "h", .host_path = "/srv/x"};
    struct kpod_err *err = NULL;
    is_int(kpod_spec_hostpath_check(&v, false, 0, &err), KPOD_HOSTPATH_OK, "no type: no checks");
    v.hostpath_type = KPOD_HOSTPATH_DIRECTORY_OR_CREATE;
    is_int(kpod_spec_hostpath_check(&v, false, 0, &err), KPOD_HOSTPATH_MKDIR,
           "DirectoryOrCreate, missing: create it");
    is_int(kpod_spec_hostpath_check(&v, true, S_IFDIR | 0755, &err), KPOD_HOSTPATH_OK,
           "DirectoryOrCreate, a directory");
    v.hostpath_type = KPOD_HOSTPATH_FILE_OR_CREATE;
    is_int(kpod_spec_hostpath_check(&v, false, 0, &err), KPOD_HOSTPATH_CREATE_FILE,
           "FileOrCreate, missing: create it");
    v.hostpath_type = KPOD_HOSTPATH_DIRECTORY;
    ok(kpod_spec_hostpath_check(&v, true, S_IFREG | 0644, &err) < 0 && err &&
           strstr(err->msg, "volume 'h': hostPath '/srv/x' is not a directory"),
       "Directory, a file: error");
    kpod_err_free(&err);
    v.hostpath_type = KPOD_HOSTPATH_SOCKET;
    ok(kpod_spec_hostpath_check(&v, false, 0, &err) < 0 && err &&
           strstr(err->msg, "does not exist"),
       "Socket, missing: error");
    kpod_err_free(&err);
    v.hostpath_type = KPOD_HOSTPATH_CHAR_DEVICE;
    is_int(kpod_spec_hostpath_check(&v, true, S_IFCHR | 0666, &err), KPOD_HOSTPATH_OK,
           "CharDevice");
}

static void
test_json_roundtrip(void)
{
    struct built b = build(HEAD "    command: [x]\n", 0, NULL, NULL);
    if (!ok(b.json != NULL, "to json"))
        return built_free(&b);
    struct kpod_err *err = NULL;
    _cleanup_oci_spec_ struct kpod_oci_spec *back = kpod_oci_spec_from_json(b.json, &err);
    ok(back != NULL && back->unknown == NULL, "the built spec reads back without unknown fields");
    kpod_err_free(&err);
    is_str(jstr(b.json, "ociVersion"), KPOD_OCI_VERSION, "ociVersion");
    is_str(jstr(b.json, "root.path"), "rootfs", "root.path");
    built_free(&b);
}

int
main(void)
{
    test_args_matrix();
    test_env_and_cwd();
    test_user();
    test_security();
    test_namespaces_resources();
    test_volume_mounts();
    test_rewrite_pass();
    test_etc_files();
    test_json_roundtrip();
    test_more();
    test_hostpath();
    return tap_done();
}
