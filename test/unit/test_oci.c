/* Unit tests of lib/spec/oci: parse, round-trip, unknown fields, errors, builders. */
#include "spec/oci.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static char *
fixture(const char *name)
{
    const char *dir = getenv("KPOD_TEST_FIXTURES");
    return xasprintf("%s/oci/%s", dir ? dir : "test/unit/fixtures", name);
}

static json_t *
load_json(const char *name)
{
    _cleanup_free_ char *path = fixture(name);
    _cleanup_err_ struct kpod_err *err = NULL;
    json_t *j = kpod_json_load_file(path, KPOD_OCI_MAX_FILE, &err);
    if (j == NULL)
        diag("load %s: %s", path, err->msg);
    return j;
}

static struct kpod_oci_spec *
parse_text(const char *text, char **ret_msg)
{
    _cleanup_err_ struct kpod_err *err = NULL;
    _cleanup_json_ json_t *j = kpod_json_loadb(text, strlen(text), "test", &err);
    if (j == NULL) {
        *ret_msg = xstrdup(err->msg);
        return NULL;
    }
    struct kpod_oci_spec *s = kpod_oci_spec_from_json(j, &err);
    if (s == NULL)
        *ret_msg = xstrdup(err->msg);
    return s;
}

static void
test_roundtrip(const char *name)
{
    _cleanup_json_ json_t *j = load_json(name);
    _cleanup_err_ struct kpod_err *err = NULL;
    _cleanup_oci_spec_ struct kpod_oci_spec *s = kpod_oci_spec_from_json(j, &err);
    if (!ok(s != NULL, "%s parses", name)) {
        diag("%s", err->msg);
        return;
    }
    _cleanup_json_ json_t *out = kpod_oci_spec_to_json(s);
    if (!ok(json_equal(j, out), "%s round-trips unchanged", name)) {
        _cleanup_free_ char *a = kpod_json_dumps(out, true);
        diag("%s", a);
    }
}

static void
test_crun_fields(void)
{
    _cleanup_json_ json_t *j = load_json("crun-spec.json");
    _cleanup_err_ struct kpod_err *err = NULL;
    _cleanup_oci_spec_ struct kpod_oci_spec *s = kpod_oci_spec_from_json(j, &err);
    if (!ok(s != NULL, "crun spec parses"))
        return;
    is_str(s->oci_version, "1.0.0", "ociVersion");
    ok(s->process->terminal, "terminal");
    is_str(s->process->args[0], "sh", "args");
    is_int(kpod_strv_len(s->process->env), 2, "env count");
    is_str(kpod_oci_env_get(s->process->env, "TERM"), "xterm", "env lookup");
    ok(s->process->capabilities->inheritable != NULL, "empty inheritable kept as a vector");
    is_int(kpod_strv_len(s->process->capabilities->inheritable), 0, "inheritable empty");
    is_str(s->process->capabilities->bounding[1], "CAP_KILL", "bounding");
    is_int(s->process->n_rlimits, 1, "one rlimit");
    is_int(s->process->rlimits[0].hard, 1024, "rlimit hard");
    ok(s->process->no_new_privileges, "noNewPrivileges");
    ok(!s->process->has_oom_score_adj, "no oomScoreAdj");
    is_str(s->root->path, "rootfs", "root.path");
    ok(s->root->readonly, "root.readonly");
    is_str(s->hostname, "crun", "hostname");
    is_int(s->n_mounts, 7, "mounts");
    is_str(s->mounts[2].destination, "/dev/pts", "mount destination");
    is_str(s->mounts[2].options[2], "newinstance", "mount options");
    ok(s->mounts[0].options == NULL, "absent options are NULL");
    is_int(s->linux_->n_namespaces, 5, "namespaces");
    is_str(s->linux_->namespaces[1].type, "network", "namespace type");
    ok(s->linux_->namespaces[1].path == NULL, "new namespace has no path");
    is_int(s->linux_->resources->n_devices, 1, "device rules");
    ok(!s->linux_->resources->devices[0].allow, "deny all");
    is_int(s->linux_->resources->devices[0].major, KPOD_OCI_UNSET, "any major");
    is_int(s->linux_->resources->memory_limit, KPOD_OCI_UNSET, "memory unset");
    is_int(kpod_strv_len(s->linux_->masked_paths), 10, "masked paths");
    is_str(s->linux_->readonly_paths[3], "/proc/sys", "readonly paths");
    ok(s->unknown == NULL, "no unknown fields in a crun spec");
}

static void
test_full_fields(void)
{
    _cleanup_json_ json_t *j = load_json("full.json");
    _cleanup_err_ struct kpod_err *err = NULL;
    _cleanup_oci_spec_ struct kpod_oci_spec *s = kpod_oci_spec_from_json(j, &err);
    if (!ok(s != NULL, "full spec parses"))
        return;
    struct kpod_oci_process *p = s->process;
    ok(p->has_console_size && p->console_height == 40 && p->console_width == 120, "consoleSize");
    ok(p->user.uid == 1000 && p->user.gid == 1000, "uid/gid");
    ok(p->user.has_umask && p->user.umask == 18, "umask");
    ok(p->user.n_additional_gids == 2 && p->user.additional_gids[1] == 20, "additionalGids");
    is_str(p->cwd, "/work", "cwd");
    ok(p->has_oom_score_adj && p->oom_score_adj == -500, "oomScoreAdj");
    is_int(s->hooks->n[KPOD_OCI_HOOK_PRESTART], 1, "prestart");
    is_int(s->hooks->list[KPOD_OCI_HOOK_PRESTART][0].timeout, 5, "hook timeout");
    is_str(s->hooks->list[KPOD_OCI_HOOK_PRESTART][0].env[0], "A=1", "hook env");
    is_int(s->hooks->n[KPOD_OCI_HOOK_POSTSTART], 2, "poststart");
    for (int k = 0; k < KPOD_OCI_HOOK_KINDS; k++)
        ok(s->hooks->n[k] >= 1, "hook kind %s parsed", kpod_oci_hook_kind_name(k));
    is_str(kpod_oci_spec_get_annotation(s, "io.kpod.pod"), "p1", "annotation");
    struct kpod_oci_linux *l = s->linux_;
    is_str(kpod_oci_spec_find_namespace(s, "network")->path, "/run/netns/p1", "join by path");
    ok(l->n_uid_mappings == 1 && l->uid_mappings[0].host_id == 100000, "uidMappings");
    is_int(l->n_sysctl, 2, "sysctl");
    struct kpod_oci_resources *r = l->resources;
    is_int(r->memory_limit, 67108864, "memory limit");
    is_int(r->memory_swap, -1, "memory swap unlimited");
    is_int(r->cpu_shares, 512, "cpu shares");
    is_int(r->cpu_quota, 50000, "cpu quota");
    is_str(r->cpu_cpus, "0-1", "cpus");
    is_int(r->pids_limit, 64, "pids limit");
    is_int(r->devices[2].minor, KPOD_OCI_UNSET, "device rule any minor");
    is_str(l->cgroups_path, "kpod/p1/web", "cgroupsPath");
    struct kpod_oci_seccomp *sc = l->seccomp;
    is_str(sc->default_action, "SCMP_ACT_ERRNO", "seccomp default");
    ok(sc->has_default_errno_ret && sc->default_errno_ret == 1, "defaultErrnoRet");
    is_int(kpod_strv_len(sc->architectures), 3, "architectures");
    is_int(sc->n_syscalls, 3, "syscall rules");
    is_int(sc->syscalls[1].n_args, 2, "syscall args");
    is_int(sc->syscalls[1].args[1].value_two, 4, "valueTwo");
    is_str(sc->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ", "op");
    ok(sc->syscalls[2].has_errno_ret && sc->syscalls[2].errno_ret == 38, "errnoRet");
    is_str(l->rootfs_propagation, "rslave", "rootfsPropagation");
    ok(l->n_devices == 1 && l->devices[0].major == 10 && l->devices[0].file_mode == 438, "devices");
    char *const want[] = {"process.user.username", "process.apparmorProfile",
                          "mounts[1].uidMappings", "linux.resources.hugepageLimits",
                          "linux.intelRdt",        "domainname"};
    is_int(kpod_strv_len(s->unknown), ARRAY_SIZE(want), "unknown field count");
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        ok(kpod_strv_contains(s->unknown, want[i]), "unknown field '%s' listed", want[i]);
}

static void
test_errors(void)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"[]", "expected a JSON object"},
        {"{\"process\": {\"user\": {\"uid\": \"0\"}}}", "'process.user.uid': expected an integer"},
        {"{\"process\": {\"args\": [\"a\", 3]}}", "'process.args[1]': expected a string"},
        {"{\"process\": {\"oomScoreAdj\": 5000}}", "'process.oomScoreAdj': 5000 out of range"},
        {"{\"mounts\": [{\"type\": \"proc\"}]}", "'mounts[0].destination': required"},
        {"{\"mounts\": [3]}", "'mounts[0]': expected an object"},
        {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
         "[{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 9, "
         "\"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
         "'linux.seccomp.syscalls[0].args[0].index': 9 out of range"},
        {"{\"hooks\": {\"poststop\": [{\"args\": []}]}}", "'hooks.poststop[0].path': required"},
        {"{\"annotations\": {\"a\": 1}}", "'annotations.a': expected a string"},
        {"{\"linux\": {\"resources\": {\"memory\": {\"limit\": -7}}}}",
         "'linux.resources.memory.limit': -7 out of range"},
        {"{\"root\": {\"readonly\": \"yes\"}}", "'root.readonly': expected a boolean"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *msg = NULL;
        _cleanup_oci_spec_ struct kpod_oci_spec *s = parse_text(cases[i].json, &msg);
        ok(s == NULL && msg != NULL && strstr(msg, cases[i].want) != NULL, "error: %s",
           cases[i].want);
        if (msg != NULL && strstr(msg, cases[i].want) == NULL)
            diag("got '%s'", msg);
    }
}

static void
test_builders(void)
{
    _cleanup_oci_spec_ struct kpod_oci_spec *s = kpod_oci_spec_new();
    char *const opts[] = {"nosuid", "ro", NULL};
    kpod_oci_spec_add_mount(s, "/proc", "proc", "proc", NULL);
    kpod_oci_spec_add_mount(s, "/etc/hosts", "bind", "/run/x/hosts", opts);
    kpod_oci_spec_set_namespace(s, "pid", NULL);
    kpod_oci_spec_set_namespace(s, "network", "/run/netns/a");
    kpod_oci_spec_set_namespace(s, "network", "/run/netns/b");
    kpod_oci_spec_set_annotation(s, "k", "v1");
    kpod_oci_spec_set_annotation(s, "k", "v2");
    kpod_oci_spec_set_sysctl(s, "net.ipv4.ping_group_range", "0 0");
    kpod_oci_spec_set_env(s, "PATH", "/bin");
    kpod_oci_spec_set_env(s, "HOME", "/root");
    kpod_oci_spec_set_env(s, "PATH", "/usr/bin");
    kpod_oci_spec_set_rlimit(s, "RLIMIT_NOFILE", 1024, 1024);
    kpod_oci_spec_set_rlimit(s, "RLIMIT_NOFILE", 2048, 1024);
    kpod_oci_spec_add_hook(s, KPOD_OCI_HOOK_POSTSTOP, "/bin/true", NULL, NULL, 3);
    kpod_oci_spec_resources(s)->pids_limit = 10;
    is_int(s->n_mounts, 2, "two mounts");
    is_str(kpod_oci_spec_find_mount(s, "/etc/hosts")->options[1], "ro", "find mount");
    ok(kpod_oci_spec_find_mount(s, "/nope") == NULL, "missing mount");
    is_int(s->linux_->n_namespaces, 2, "namespace replaced, not added");
    is_str(kpod_oci_spec_find_namespace(s, "network")->path, "/run/netns/b", "namespace path");
    is_str(kpod_oci_spec_get_annotation(s, "k"), "v2", "annotation replaced");
    is_int(kpod_strv_len(s->process->env), 2, "env replaced");
    is_str(kpod_oci_env_get(s->process->env, "PATH"), "/usr/bin", "env value");
    ok(s->process->n_rlimits == 1 && s->process->rlimits[0].hard == 2048, "rlimit replaced");

    _cleanup_json_ json_t *j = kpod_oci_spec_to_json(s);
    is_str(kpod_json_str(j, "ociVersion"), KPOD_OCI_VERSION, "ociVersion written");
    json_t *res = json_object_get(json_object_get(j, "linux"), "resources");
    is_int(json_object_size(res), 1, "only pids in resources");
    ok(json_object_get(res, "memory") == NULL, "no empty memory object");

    /* save + load through a file */
    char dir[] = "/tmp/kpod-test-oci-XXXXXX";
    if (!ok(mkdtemp(dir) != NULL, "tmpdir"))
        return;
    _cleanup_free_ char *path = xasprintf("%s/config.json", dir);
    _cleanup_err_ struct kpod_err *err = NULL;
    ok(kpod_oci_spec_save_file(s, path, &err) == 0, "save");
    _cleanup_oci_spec_ struct kpod_oci_spec *s2 = kpod_oci_spec_load_file(path, &err);
    ok(s2 != NULL, "load");
    _cleanup_json_ json_t *j2 = s2 ? kpod_oci_spec_to_json(s2) : NULL;
    ok(j2 != NULL && json_equal(j, j2), "saved spec loads back equal");
    unlink(path);
    rmdir(dir);
    _cleanup_oci_spec_ struct kpod_oci_spec *s3 = kpod_oci_spec_load_file(path, &err);
    ok(s3 == NULL && err != NULL && strstr(err->msg, path) != NULL, "missing file names the path");
}

int
main(void)
{
    test_roundtrip("crun-spec.json");
    test_roundtrip("full.json");
    test_crun_fields();
    test_full_fields();
    test_errors();
    test_builders();
    return tap_done();
}
