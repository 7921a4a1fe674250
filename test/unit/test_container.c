/* Unit tests of lib/container's pure parts: mount options, propagation, capabilities, seccomp
 * filter building, signals, exit codes, the plan's validation, the state file. No root. */
#include "container/internal.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static void
test_mount_flags(void)
{
    struct mount_flags f;
    char *const o1[] = {"nosuid", "noexec",   "nodev",    "ro",        "rbind",
                        "rslave", "size=64k", "mode=755", "tmpcopyup", NULL};
    mount_flags_parse(o1, &f);
    is_int(f.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, "flags");
    ok(f.bind && f.recursive, "rbind");
    is_int(f.propagation, MS_SLAVE | MS_REC, "propagation");
    is_str(f.data, "size=64k,mode=755", "data keeps filesystem options");
    ok(f.ignored != NULL && strcmp(f.ignored[0], "tmpcopyup") == 0, "tmpcopyup listed as ignored");
    mount_flags_free(&f);

    char *const o2[] = {"ro", "rw", "suid", "nosuid", "exec", "bind", "private", NULL};
    mount_flags_parse(o2, &f);
    is_int(f.flags, MS_NOSUID, "later options win");
    ok(f.clear & MS_NOEXEC, "exec clears noexec");
    ok(f.bind && !f.recursive, "bind");
    is_int(f.propagation, MS_PRIVATE, "private");
    ok(f.data == NULL, "no data");
    mount_flags_free(&f);

    mount_flags_parse(NULL, &f);
    ok(f.flags == 0 && !f.bind && f.data == NULL, "no options");

    unsigned long p = 0;
    ok(mount_propagation_parse("rshared", &p) == 0 && p == (MS_SHARED | MS_REC), "rshared");
    ok(mount_propagation_parse("sideways", &p) < 0, "unknown propagation");
}

static void
test_caps(void)
{
    is_int(cap_from_name("CAP_SYS_ADMIN"), 21, "CAP_SYS_ADMIN");
    is_int(cap_from_name("net_bind_service"), 10, "without prefix, lower case");
    is_int(cap_from_name("CAP_NOPE"), -1, "unknown");
    is_int(cap_from_name(""), -1, "empty");

    struct kpod_oci_caps c = {0};
    char *b[] = {"CAP_KILL", "CAP_CHOWN", NULL}, *e[] = {"CAP_KILL", NULL}, *none[] = {NULL};
    c.bounding = b;
    c.permitted = b;
    c.effective = e;
    c.inheritable = none;
    c.ambient = e;
    struct caps_plan cp;
    _cleanup_err_ struct kpod_err *err = NULL;
    ok(caps_plan_init(&cp, &c, &err) == 0, "caps plan");
    is_int(cp.bounding, (1u << 5) | (1u << 0), "bounding mask");
    is_int(cp.effective, 1u << 5, "effective mask");
    is_int(cp.ambient, 0, "ambient needs inheritable too");
    char *bad[] = {"CAP_FLY", NULL};
    c.effective = bad;
    ok(caps_plan_init(&cp, &c, &err) < 0 && strstr(err->msg, "effective: unknown capability "
                                                             "'CAP_FLY'") != NULL,
       "unknown capability named");
    ok(caps_plan_init(&cp, NULL, &err) == 0 || !cp.present, "no capabilities: unchanged");
}

static void
test_seccomp(void)
{
    struct kpod_oci_seccomp_arg args[] = {
        {.index = 0, .value = 1, .op = "SCMP_CMP_EQ"},
        {.index = 0, .value = 2, .op = "SCMP_CMP_EQ"},
    };
    char *names1[] = {"unshare", "keyctl", "no_such_syscall_here", NULL};
    char *names2[] = {"personality", NULL};
    char *names3[] = {"read", NULL};
    struct kpod_oci_seccomp_syscall sc[] = {
        {.names = names1, .action = "SCMP_ACT_ERRNO"},
        {.names = names2,
         .action = "SCMP_ACT_ERRNO",
         .has_errno_ret = true,
         .errno_ret = 22,
         .args = args,
         .n_args = 2},
        {.names = names3, .action = "SCMP_ACT_ALLOW"}, /* equal to the default: skipped */
    };
    char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", NULL};
    struct kpod_oci_seccomp s = {.default_action = "SCMP_ACT_ALLOW",
                                 .architectures = arches,
                                 .syscalls = sc,
                                 .n_syscalls = 3};
    _cleanup_err_ struct kpod_err *err = NULL;
    scmp_filter_ctx ctx = seccomp_build(&s, &err);
    ok(ctx != NULL, "filter builds (unknown syscall skipped, repeated index split)");
    if (ctx == NULL)
        diag("%s", err->msg);
    else
        seccomp_release(ctx);

    s.default_action = "SCMP_ACT_DANCE";
    ok(seccomp_build(&s, &err) == NULL && strstr(err->msg, "'SCMP_ACT_DANCE'") != NULL,
       "unknown default action");
    kpod_err_free(&err);
    s.default_action = "SCMP_ACT_ERRNO";
    args[0].op = "SCMP_CMP_SIDEWAYS";
    ok(seccomp_build(&s, &err) == NULL && strstr(err->msg, "'SCMP_CMP_SIDEWAYS'") != NULL,
       "unknown operator");
    kpod_err_free(&err);
    args[0].op = "SCMP_CMP_EQ";
    char *bad_arch[] = {"SCMP_ARCH_VAX", NULL};
    s.architectures = bad_arch;
    ok(seccomp_build(&s, &err) == NULL && strstr(err->msg, "'SCMP_ARCH_VAX'") != NULL,
       "unknown architecture");
}

static void
test_signals(void)
{
    int sig = 0;
    ok(kpod_container_parse_signal("TERM", &sig) == 0 && sig == SIGTERM, "TERM");
    ok(kpod_container_parse_signal("sigkill", &sig) == 0 && sig == SIGKILL, "sigkill");
    ok(kpod_container_parse_signal("10", &sig) == 0 && sig == 10, "number");
    ok(kpod_container_parse_signal("0", &sig) == 0 && sig == 0, "0 (existence check)");
    ok(kpod_container_parse_signal("RTMIN+2", &sig) == 0 && sig == SIGRTMIN + 2, "RTMIN+2");
    ok(kpod_container_parse_signal("NOPE", &sig) < 0, "unknown");
    ok(kpod_container_parse_signal("999", &sig) < 0, "out of range");
    is_int(kpod_container_exit_code(3 << 8), 3, "exit 3");
    is_int(kpod_container_exit_code(SIGKILL), 137, "killed: 137");
    is_int(kpod_container_exit_code(SIGTERM), 143, "TERM: 143");
}

static void
test_proc(void)
{
    pid_t self = getpid();
    unsigned long long st = kpod_container_proc_starttime(self);
    ok(st > 0, "own start time");
    ok(kpod_container_proc_alive(self, st), "alive with matching start time");
    ok(!kpod_container_proc_alive(self, st + 1), "a different start time is another process");
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    ok(!kpod_container_proc_alive(child, 0), "a reaped child is gone");
}

static struct kpod_oci_spec *
spec_from(const char *text)
{
    _cleanup_err_ struct kpod_err *err = NULL;
    _cleanup_json_ json_t *j = kpod_json_loadb(text, strlen(text), "test", &err);
    return j ? kpod_oci_spec_from_json(j, &err) : NULL;
}

static void
expect_plan_error(const char *text, const char *bundle, const char *want)
{
    _cleanup_oci_spec_ struct kpod_oci_spec *s = spec_from(text);
    struct plan p;
    _cleanup_err_ struct kpod_err *err = NULL;
    int r = s ? plan_init(&p, s, bundle, "t", &err) : -2;
    ok(r == -1 && strstr(err->msg, want) != NULL, "plan error: %s", want);
    if (r == -1 && strstr(err->msg, want) == NULL)
        diag("got '%s'", err->msg);
    if (s != NULL)
        plan_release(&p);
}

static void
test_plan(void)
{
    char dir[] = "/tmp/kpod-test-container-XXXXXX";
    if (!ok(mkdtemp(dir) != NULL, "tmpdir"))
        return;
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
    mkdir(rootfs, 0755);
#define base                                                                                       \
    "{\"process\": {\"args\": [\"sh\"]}, \"root\": {\"path\": \"rootfs\"}, "                       \
    "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}%s]}%s}"
    _cleanup_free_ char *ok1 = xasprintf(base, ", {\"type\": \"pid\"}, {\"type\": \"cgroup\"}",
                                         ", \"mounts\": [{\"destination\": \"/proc\", \"type\": "
                                         "\"proc\"}]");
    _cleanup_oci_spec_ struct kpod_oci_spec *s = spec_from(ok1);
    struct plan p;
    _cleanup_err_ struct kpod_err *err = NULL;
    ok(s && plan_init(&p, s, dir, "t", &err) == 0, "a good plan");
    if (s != NULL) {
        is_int(p.clone_flags, CLONE_NEWNS | CLONE_NEWPID, "clone flags");
        ok(p.new_cgroupns, "cgroup namespace unshared later");
        ok(kpod_str_has_suffix(p.rootfs, "/rootfs"), "rootfs resolved against the bundle");
        plan_release(&p);
    }
    _cleanup_free_ char *e1 = xasprintf(base, ", {\"type\": \"pid\"}, {\"type\": \"pid\"}", "");
    expect_plan_error(e1, dir, "namespace 'pid': listed twice");
    _cleanup_free_ char *e2 = xasprintf(base, ", {\"type\": \"galaxy\"}", "");
    expect_plan_error(e2, dir, "namespace: unknown type 'galaxy'");
    _cleanup_free_ char *e3 = xasprintf(base, ", {\"type\": \"user\"}", "");
    expect_plan_error(e3, dir, "namespace 'user': needs uidMappings and gidMappings");
    _cleanup_free_ char *e7 = xasprintf(base,
                                        ", {\"type\": \"user\"}, {\"type\": \"net\", "
                                        "\"path\": \"/proc/self/ns/net\"}",
                                        "");
    expect_plan_error(e7, dir, "namespace: unknown type 'net'");
    _cleanup_free_ char *e8 = xasprintf(base,
                                        ", {\"type\": \"user\"}, {\"type\": \"network\", "
                                        "\"path\": \"/proc/self/ns/net\"}",
                                        "");
    expect_plan_error(e8, dir, "cannot be combined with joined namespaces");
    _cleanup_free_ char *e9 = xasprintf(base, "", ", \"linux\": {\"uidMappings\": []}");
    _cleanup_free_ char *e10 =
        xasprintf("{\"process\": {\"args\": [\"sh\"]}, \"root\": {\"path\": \"rootfs\"}, "
                  "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"uidMappings\": "
                  "[{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}");
    expect_plan_error(e10, dir, "uidMappings: need a new 'user' namespace");
    (void)e9;
    _cleanup_free_ char *e4 = xasprintf(base, "", ", \"hostname\": \"h\"");
    expect_plan_error(e4, dir, "hostname 'h': needs a 'uts' namespace");
    expect_plan_error("{\"process\": {\"args\": [\"sh\"]}, \"root\": {\"path\": \"nope\"}}", dir,
                      "rootfs");
    expect_plan_error("{\"process\": {}, \"root\": {\"path\": \"rootfs\"}}", dir,
                      "process.args: required");
    _cleanup_free_ char *e5 = xasprintf(base, "",
                                        ", \"mounts\": [{\"destination\": \"rel\", "
                                        "\"type\": \"tmpfs\"}]");
    expect_plan_error(e5, dir, "mount 'rel': destination must be absolute");
    _cleanup_free_ char *e6 =
        xasprintf(base, "", ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\"}]");
    expect_plan_error(e6, dir, "mount '/x': bind mount without a source");
    rmdir(rootfs);
    rmdir(dir);
#undef base
}

static void
test_state(void)
{
    char dir[] = "/tmp/kpod-test-cstate-XXXXXX";
    if (!ok(mkdtemp(dir) != NULL, "tmpdir"))
        return;
    struct kpod_container_state st = {.id = "c1",
                                      .bundle = "/b",
                                      .rootfs = "/b/rootfs",
                                      .pid = getpid(),
                                      .created = "2026-01-01T00:00:00Z"};
    st.starttime = kpod_container_proc_starttime(st.pid);
    st.annotations = json_pack("{s:s}", "a", "b");
    _cleanup_err_ struct kpod_err *err = NULL;
    ok(kpod_container_state_save(dir, &st, &err) == 0, "save state");
    _cleanup_container_state_ struct kpod_container_state *l = kpod_container_state_load(dir, &err);
    ok(l != NULL && strcmp(l->id, "c1") == 0 && l->pid == st.pid && l->starttime == st.starttime,
       "load state");
    is_str(l ? kpod_json_str(l->annotations, "a") : NULL, "b", "annotations");
    is_str(kpod_container_state_status(dir, l), "running", "a live process without fifo");
    _cleanup_free_ char *fifo = xasprintf("%s/exec.fifo", dir);
    mkfifo(fifo, 0600);
    is_str(kpod_container_state_status(dir, l), "created", "with the exec fifo");
    l->pid = 0;
    is_str(kpod_container_state_status(dir, l), "stopped", "no process");
    unlink(fifo);
    _cleanup_free_ char *sf = xasprintf("%s/state.json", dir);
    unlink(sf);
    rmdir(dir);
    json_decref(st.annotations);
    _cleanup_json_ json_t *sj = kpod_container_state_json("c1", "running", 42, "/b", NULL);
    is_str(kpod_json_str(sj, "status"), "running", "state json status");
    is_int(kpod_json_int(sj, "pid", 0), 42, "state json pid");
}

static pid_t
child_with_term(bool ignore)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGTERM, ignore ? SIG_IGN : SIG_DFL);
        for (;;)
            pause();
    }
    usleep(50 * 1000);
    return pid;
}

static void
test_stop(void)
{
    _cleanup_err_ struct kpod_err *err = NULL;
    pid_t a = child_with_term(false);
    is_int(kpod_container_stop(a, 0, NULL, SIGTERM, 5, &err), 0, "stop: TERM is enough");
    ok(!kpod_container_proc_alive(a, 0), "stopped and reaped");
    pid_t b = child_with_term(true);
    is_int(kpod_container_stop(b, 0, NULL, SIGTERM, 1, &err), 1,
           "stop: SIGKILL after the grace period");
    ok(!kpod_container_proc_alive(b, 0), "killed and reaped");
    pid_t c = child_with_term(true);
    unsigned long long st = kpod_container_proc_starttime(c);
    ok(kpod_container_kill(c, st + 7, NULL, SIGKILL, false, &err) < 0 &&
           err->kind == KPOD_ERR_INVOKE,
       "kill refuses a pid whose start time differs (reuse)");
    kpod_err_free(&err);
    ok(kpod_container_kill(c, st, NULL, SIGKILL, false, &err) == 0, "kill with the right one");
    waitpid(c, NULL, 0);
}

static void
test_sync(void)
{
    int sv[2];
    if (!ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair"))
        return;
    struct kpod_err e = {
        .errnum = ENOENT, .kind = KPOD_ERR_NOTFOUND, .msg = "exec '/x': No such file or directory"};
    ok(sync_send_err(sv[0], &e) == 0, "send an error");
    struct sync_msg m;
    int fd = -1;
    ok(sync_recv(sv[1], &m, &fd) == 0 && m.type == SYNC_ERROR && fd == -1, "receive it");
    _cleanup_err_ struct kpod_err *got = NULL;
    sync_to_err(&m, &got);
    ok(got != NULL && got->kind == KPOD_ERR_NOTFOUND && got->errnum == ENOENT, "kind and errno");
    is_str(got ? got->msg : NULL, e.msg, "message");
    int p[2];
    if (pipe(p) == 0) {
        ok(sync_send(sv[0], SYNC_CONSOLE, p[0]) == 0, "send an fd");
        ok(sync_recv(sv[1], &m, &fd) == 0 && m.type == SYNC_CONSOLE && fd >= 0, "fd received");
        if (fd >= 0) {
            ok(write(p[1], "x", 1) == 1, "write to the pipe");
            char c = 0;
            ok(read(fd, &c, 1) == 1 && c == 'x', "read through the passed fd");
            close(fd);
        }
        close(p[0]);
        close(p[1]);
    }
    close(sv[0]);
    ok(sync_recv(sv[1], &m, &fd) < 0, "EOF when the peer is gone");
    close(sv[1]);

    /* The OCI console socket: the fd arrives with the name as payload. */
    int cs[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cs) == 0 && pipe(p) == 0) {
        ok(console_send(cs[0], p[1]) == 0, "console_send");
        char buf[64];
        union {
            char b[CMSG_SPACE(sizeof(int))];
            struct cmsghdr a;
        } u;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
        ssize_t n = recvmsg(cs[1], &msg, 0);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        ok(n > 0 && c != NULL && c->cmsg_type == SCM_RIGHTS, "SCM_RIGHTS on the console socket");
        if (c != NULL) {
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
            close(fd);
        }
        close(p[0]);
        close(p[1]);
        close(cs[0]);
        close(cs[1]);
    }
}

static void
test_overlay_data(void)
{
    char *lowers[] = {"/l/top", "/l/a:b", "/l/c,d", NULL};
    struct kpod_container_overlay o = {.lowers = lowers, .upper = "/u", .work = "/w"};
    _cleanup_free_ char *d = kpod_container_overlay_data(&o);
    is_str(d, "lowerdir=/l/top:/l/a\\:b:/l/c\\,d,upperdir=/u,workdir=/w", "overlay options");
    struct kpod_container_overlay ro = {.lowers = lowers};
    _cleanup_free_ char *d2 = kpod_container_overlay_data(&ro);
    is_str(d2, "lowerdir=/l/top:/l/a\\:b:/l/c\\,d", "read-only overlay");
}

static void
test_devices(void)
{
    _cleanup_oci_spec_ struct kpod_oci_spec *s = spec_from(
        "{\"linux\": {\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
        "{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 200, \"access\": \"rw\"},"
        "{\"allow\": true, \"type\": \"c\", \"major\": 4, \"access\": \"r\"},"
        "{\"allow\": false, \"type\": \"c\", \"major\": 10, \"minor\": 200}]},"
        "\"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": "
        "229}]}}");
    _cleanup_strv_ char **a = s ? devices_allowlist(s) : NULL;
    ok(a != NULL, "an allowlist");
    is_str(a ? a[0] : NULL, "c 4:* r", "allow with any minor; the revoked 10:200 is gone");
    ok(a && kpod_strv_contains(a, "c 1:3 rwm") && kpod_strv_contains(a, "c 136:* rwm"),
       "default devices");
    ok(a && kpod_strv_contains(a, "c 10:229 rwm"), "the spec's own device");
    _cleanup_oci_spec_ struct kpod_oci_spec *none = spec_from("{\"linux\": {}}");
    ok(none && devices_allowlist(none) == NULL, "no rules: the cgroup's default");
}

int
main(void)
{
    test_mount_flags();
    test_caps();
    test_seccomp();
    test_signals();
    test_proc();
    test_plan();
    test_state();
    test_stop();
    test_sync();
    test_overlay_data();
    test_devices();
    return tap_done();
}
