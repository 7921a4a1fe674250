/* `kpod runtime`: plumbing to run an OCI bundle with kpod's own engine, close to the OCI runtime
 * command line (runc/crun), for tests, debugging and comparison. */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"

const struct kpod_cmd kpod_cmd_runtime = {
    .name = "runtime",
    .summary = "run OCI bundles with kpod's container engine (plumbing)",
    .description = "Low-level commands close to the OCI runtime command line (runc, crun): "
                   "create, start, inspect, signal and delete one container from an OCI bundle "
                   "directory. State lives under --runroot/runtime/ID.",
};

void
rt_release(struct rt *r)
{
    free(r->dir);
    kpod_lock_release(r->lockfd);
    kpod_container_state_free(r->state);
    kpod_oci_spec_free(r->spec);
    memset(r, 0, sizeof(*r));
    r->lockfd = -1;
}

char *
rt_dir(const struct kpod_ctx *ctx, const char *id, struct kpod_err **err)
{
    size_t len = strlen(id);
    bool ok = len > 0 && len <= 128 && id[0] != '.' && id[0] != '-';
    for (size_t i = 0; ok && i < len; i++)
        ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
             (id[i] >= '0' && id[i] <= '9') || strchr("_.-", id[i]) != NULL;
    if (!ok) {
        kpod_err_usage(err, "invalid container id '%s': use letters, digits, '_', '.', '-'", id);
        return NULL;
    }
    return xasprintf("%s/runtime/%s", ctx->runroot, id);
}

int
rt_open(const struct kpod_ctx *ctx, const char *id, struct rt *r, struct kpod_err **err)
{
    memset(r, 0, sizeof(*r));
    r->lockfd = -1;
    if ((r->dir = rt_dir(ctx, id, err)) == NULL)
        return -1;
    _cleanup_free_ char *state = xasprintf("%s/state.json", r->dir);
    if (!kpod_fs_exists(state))
        return kpod_err_notfound(err, "container '%s': no such container", id);
    _cleanup_free_ char *lock = xasprintf("%s/lock", r->dir);
    r->lockfd = kpod_lock_acquire(lock, KPOD_LOCK_EXCLUSIVE, false, err);
    if (r->lockfd < 0)
        return -1;
    /* Deleted while we waited for the lock? */
    if (!kpod_fs_exists(state))
        return kpod_err_notfound(err, "container '%s': no such container", id);
    r->state = kpod_container_state_load(r->dir, err);
    return r->state ? 0 : -1;
}

char *
rt_bundle(const char *bundle, struct kpod_err **err)
{
    char *real = realpath(bundle && *bundle ? bundle : ".", NULL);
    if (real == NULL)
        kpod_err_sys(err, "bundle '%s'", bundle ? bundle : ".");
    return real;
}

struct kpod_oci_spec *
rt_load_spec(const char *bundle, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
    struct kpod_oci_spec *s = kpod_oci_spec_load_file(path, err);
    for (size_t i = 0; s != NULL && s->unknown != NULL && s->unknown[i] != NULL; i++)
        kpod_warn("%s: ignoring unsupported field '%s'", path, s->unknown[i]);
    return s;
}

static int
connect_console(const char *path, struct kpod_err **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return kpod_err_usage(err, "console socket '%s': path too long", path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "console socket '%s'", path);
    }
    return fd;
}

static char *
now_rfc3339(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

static int
write_pid_file(const char *path, pid_t pid, struct kpod_err **err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
    return kpod_fs_write_atomic(path, buf, (size_t)n, 0644, err);
}

static int
create_locked(const struct rt_create_opts *o, struct rt *r, struct kpod_container **ret,
              struct kpod_err **err)
{
    _cleanup_free_ char *bundle = rt_bundle(o->bundle, err);
    if (bundle == NULL || (r->spec = rt_load_spec(bundle, err)) == NULL)
        return -1;
    bool terminal = r->spec->process && r->spec->process->terminal;
    if (terminal && o->console_socket == NULL && !o->want_console)
        return kpod_err_usage(err, "process.terminal is set: use --console-socket");
    _cleanup_close_ int csock = -1;
    if (terminal && o->console_socket != NULL &&
        (csock = connect_console(o->console_socket, err)) < 0)
        return -1;
    struct kpod_container_overlay ov = {
        .lowers = o->overlay_lower, .upper = o->overlay_upper, .work = o->overlay_work};
    if (o->overlay_lower == NULL && (o->overlay_upper || o->overlay_work))
        return kpod_err_usage(err, "--overlay-upper and --overlay-work need --overlay-lower");
    struct kpod_container_opts co = {
        .overlay = o->overlay_lower ? &ov : NULL,
        .id = o->id,
        .bundle = bundle,
        .spec = r->spec,
        .state_dir = r->dir,
        .stdio = {-1, -1, -1},
        .console_socket = csock,
    };
    _cleanup_container_ struct kpod_container *c = NULL;
    if (kpod_container_create(&co, &c, err) < 0)
        return -1;
    struct kpod_container_state *st = xzalloc(sizeof(*st));
    r->state = st;
    st->id = xstrdup(o->id);
    st->bundle = xstrdup(bundle);
    st->rootfs = xstrdup(c->rootfs);
    st->pid = c->pid;
    st->starttime = c->starttime;
    st->cgroup_path = c->cgroup_path ? xstrdup(c->cgroup_path) : NULL;
    st->created = now_rfc3339();
    st->annotations = json_object();
    for (size_t i = 0; i < r->spec->n_annotations; i++)
        json_object_set_new(st->annotations, r->spec->annotations[i].key,
                            json_string(r->spec->annotations[i].value));
    if (kpod_container_state_save(r->dir, st, err) < 0 ||
        (o->pid_file != NULL && write_pid_file(o->pid_file, c->pid, err) < 0)) {
        kpod_container_stop(c->pid, c->starttime, c->cgroup_path, SIGKILL, 0, NULL);
        if (c->cgroup_path != NULL)
            kpod_cgroup_destroy_path(c->cgroup_path, NULL);
        return -1;
    }
    if (ret != NULL)
        *ret = TAKE_PTR(c);
    return 0;
}

int
rt_create(const struct kpod_ctx *ctx, const struct rt_create_opts *o, struct rt *r,
          struct kpod_container **ret, struct kpod_err **err)
{
    memset(r, 0, sizeof(*r));
    r->lockfd = -1;
    if ((r->dir = rt_dir(ctx, o->id, err)) == NULL)
        return -1;
    _cleanup_free_ char *parent = xasprintf("%s/runtime", ctx->runroot);
    if (kpod_fs_mkdir_p(parent, 0700, err) < 0)
        return -1;
    if (mkdir(r->dir, 0700) < 0) {
        if (errno == EEXIST)
            return kpod_err_invoke(err, "container '%s': already exists", o->id);
        return kpod_err_sys(err, "create '%s'", r->dir);
    }
    _cleanup_free_ char *lock = xasprintf("%s/lock", r->dir);
    r->lockfd = kpod_lock_acquire(lock, KPOD_LOCK_EXCLUSIVE, false, err);
    if (r->lockfd < 0 || create_locked(o, r, ret, err) < 0) {
        _cleanup_err_ struct kpod_err *e = NULL;
        kpod_fs_rm_rf(r->dir, &e);
        return -1;
    }
    return 0;
}

int
rt_start(struct rt *r, struct kpod_err **err)
{
    struct kpod_container_state *st = r->state;
    const char *status = kpod_container_state_status(r->dir, st);
    if (strcmp(status, "created") != 0)
        return kpod_err_invoke(err, "container '%s': is %s, not created", st->id, status);
    if (r->spec == NULL && (r->spec = rt_load_spec(st->bundle, err)) == NULL)
        return -1;
    _cleanup_free_ char *fifo = xasprintf("%s/exec.fifo", r->dir);
    if (kpod_container_start(fifo, st->pid, st->starttime, err) < 0)
        return kpod_err_prefix(err, "container '%s'", st->id);
    _cleanup_json_ json_t *sj =
        kpod_container_state_json(st->id, "running", st->pid, st->bundle, r->spec);
    _cleanup_err_ struct kpod_err *e = NULL;
    if (kpod_container_run_hooks(r->spec, KPOD_OCI_HOOK_POSTSTART, sj, &e) < 0)
        kpod_warn("container '%s': %s", st->id, e->msg);
    return 0;
}

int
rt_delete(struct rt *r, struct kpod_err **err)
{
    struct kpod_container_state *st = r->state;
    if (st->cgroup_path != NULL && kpod_cgroup_destroy_path(st->cgroup_path, err) < 0)
        return kpod_err_prefix(err, "container '%s'", st->id);
    if (r->spec == NULL) {
        _cleanup_err_ struct kpod_err *e = NULL;
        r->spec = rt_load_spec(st->bundle, &e);
    }
    if (r->spec != NULL) {
        _cleanup_json_ json_t *sj =
            kpod_container_state_json(st->id, "stopped", 0, st->bundle, r->spec);
        _cleanup_err_ struct kpod_err *e = NULL;
        if (kpod_container_run_hooks(r->spec, KPOD_OCI_HOOK_POSTSTOP, sj, &e) < 0)
            kpod_warn("container '%s': %s", st->id, e->msg);
    }
    return kpod_fs_rm_rf(r->dir, err);
}
