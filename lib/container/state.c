/* The runtime state file: <dir>/state.json, written atomically; callers hold <dir>/lock. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

void
kpod_container_state_free(struct kpod_container_state *s)
{
    if (s == NULL)
        return;
    free(s->id);
    free(s->bundle);
    free(s->rootfs);
    free(s->cgroup_path);
    free(s->created);
    json_decref(s->annotations);
    free(s);
}

/* Replaces path atomically (a temp file renamed over it) without fsync: runtime state lives
 * under the runroot, a tmpfs that does not survive a reboot anyway, and the two fsyncs were a
 * measurable part of a container's start on disk-backed runroots. */
static int
write_replace(const char *path, const json_t *j, struct kpod_err **err)
{
    _cleanup_free_ char *text = kpod_json_dumps(j, true);
    _cleanup_free_ char *tmp = xasprintf("%s.tmp%d", path, (int)getpid());
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return kpod_err_sys(err, "write '%s'", tmp);
    if (kpod_fs_write_all(fd, text, strlen(text)) < 0 || kpod_fs_write_all(fd, "\n", 1) < 0) {
        int e = errno;
        unlink(tmp);
        return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "write '%s'", tmp);
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "rename '%s'", tmp);
    }
    return 0;
}

int
kpod_container_state_save(const char *dir, const struct kpod_container_state *s,
                          struct kpod_err **err)
{
    _cleanup_json_ json_t *j = json_object();
    kpod_json_set_str(j, "ociVersion", KPOD_OCI_VERSION);
    kpod_json_set_str(j, "id", s->id);
    kpod_json_set_str(j, "bundle", s->bundle);
    kpod_json_set_str(j, "rootfs", s->rootfs);
    kpod_json_set_int(j, "pid", s->pid);
    json_object_set_new(j, "starttime", json_integer((json_int_t)s->starttime));
    kpod_json_set_str(j, "cgroupPath", s->cgroup_path);
    kpod_json_set_str(j, "created", s->created);
    json_object_set_new(j, "started", json_boolean(s->started));
    json_object_set(j, "annotations", s->annotations ? s->annotations : json_object());
    _cleanup_free_ char *path = xasprintf("%s/state.json", dir);
    return write_replace(path, j, err);
}

struct kpod_container_state *
kpod_container_state_load(const char *dir, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/state.json", dir);
    _cleanup_json_ json_t *j = kpod_json_load_file(path, 1 << 20, err);
    if (j == NULL)
        return NULL;
    const char *id = kpod_json_str(j, "id");
    if (id == NULL) {
        kpod_err_input(err, "%s: no 'id'", path);
        return NULL;
    }
    struct kpod_container_state *s = xzalloc(sizeof(*s));
    s->id = xstrdup(id);
    const char *v;
    if ((v = kpod_json_str(j, "bundle")) != NULL)
        s->bundle = xstrdup(v);
    if ((v = kpod_json_str(j, "rootfs")) != NULL)
        s->rootfs = xstrdup(v);
    if ((v = kpod_json_str(j, "cgroupPath")) != NULL)
        s->cgroup_path = xstrdup(v);
    if ((v = kpod_json_str(j, "created")) != NULL)
        s->created = xstrdup(v);
    s->pid = (pid_t)kpod_json_int(j, "pid", 0);
    s->starttime = (unsigned long long)kpod_json_int(j, "starttime", 0);
    s->started = kpod_json_bool(j, "started", false);
    json_t *a = json_object_get(j, "annotations");
    s->annotations = json_is_object(a) ? json_incref(a) : json_object();
    return s;
}

const char *
kpod_container_state_status(const char *dir, const struct kpod_container_state *s)
{
    if (!kpod_container_proc_alive(s->pid, s->starttime))
        return "stopped";
    _cleanup_free_ char *fifo = xasprintf("%s/exec.fifo", dir);
    struct stat st;
    if (!s->started && stat(fifo, &st) == 0)
        return "created";
    return "running";
}
