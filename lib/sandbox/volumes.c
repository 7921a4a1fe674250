/* Materialises the pod plan from lib/spec on the host: emptyDir directories (a tmpfs mounted
 * once per pod for medium Memory), configMap and secret files with their modes, hostPath type
 * checks, named volumes, the pod's /dev/shm tmpfs, and the hosts/hostname/resolv.conf files.
 * Every mount is recorded in the pod state so that rollback and `rm -f` undo it. */
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/spec.h"

void
kpod_sandbox_track_mount(struct kpod_pod_state *p, const char *path)
{
    kpod_strv_push(&p->mounts, path);
}

int
kpod_sandbox_unmount_all(struct kpod_pod_state *p, struct kpod_err **err)
{
    int rc = 0;
    for (size_t n = kpod_strv_len(p->mounts); n-- > 0;) {
        const char *m = p->mounts[n];
        int r = umount2(m, UMOUNT_NOFOLLOW);
        if (r < 0 && errno == EBUSY)
            r = umount2(m, MNT_DETACH | UMOUNT_NOFOLLOW);
        if (r < 0 && errno != EINVAL && errno != ENOENT && rc == 0)
            rc = kpod_err_sys(err, "unmount '%s'", m);
        free(p->mounts[n]);
        p->mounts[n] = NULL;
    }
    return rc;
}

static int
mount_tmpfs(struct kpod_pod_state *p, const char *path, long long size, int mode,
            unsigned long flags, struct kpod_err **err)
{
    char opts[64];
    if (size > 0)
        snprintf(opts, sizeof(opts), "mode=%04o,size=%lld", mode, size);
    else
        snprintf(opts, sizeof(opts), "mode=%04o", mode);
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | flags, opts) < 0)
        return kpod_err_sys(err, "mount tmpfs on '%s'", path);
    kpod_sandbox_track_mount(p, path);
    return 0;
}

static int
make_dir(const char *path, int mode, long long gid, struct kpod_err **err)
{
    if (kpod_fs_mkdir_p(path, 0755, err) < 0)
        return -1;
    if (gid >= 0 && chown(path, (uid_t)-1, (gid_t)gid) < 0)
        return kpod_err_sys(err, "chown '%s'", path);
    if (chmod(path, (mode_t)mode | (gid >= 0 ? S_ISGID : 0)) < 0)
        return kpod_err_sys(err, "chmod '%s'", path);
    return 0;
}

/* Writes the files of a configMap or secret volume, each resolved inside the volume dir. */
static int
write_files(const struct kpod_spec_volume *v, struct kpod_err **err)
{
    _cleanup_close_ int dfd = open(v->host_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return kpod_err_sys(err, "open '%s'", v->host_path);
    for (size_t i = 0; i < v->n_files; i++) {
        const struct kpod_spec_file *f = &v->files[i];
        _cleanup_free_ char *dir = xstrdup(f->path);
        char *slash = strrchr(dir, '/');
        if (slash != NULL) {
            *slash = '\0';
            _cleanup_close_ int sub = kpod_fs_mkdirat_in_root(dfd, dir, 0755, err);
            if (sub < 0)
                return -1;
        }
        _cleanup_close_ int fd = kpod_fs_openat_in_root(
            dfd, f->path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600, err);
        if (fd < 0)
            return -1;
        if (kpod_fs_write_all(fd, f->data, f->len) < 0 || fchmod(fd, (mode_t)f->mode) < 0 ||
            (v->gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)v->gid) < 0))
            return kpod_err_sys(err, "write '%s/%s'", v->host_path, f->path);
    }
    return 0;
}

static int
check_hostpath(const struct kpod_spec_volume *v, struct kpod_err **err)
{
    struct stat st;
    const char *p = v->host_path;
    switch (v->hostpath_type) {
    case KPOD_HOSTPATH_UNSET:
        return 0;
    case KPOD_HOSTPATH_DIRECTORY_OR_CREATE:
        return kpod_fs_mkdir_p(p, 0755, err);
    case KPOD_HOSTPATH_FILE_OR_CREATE:
        if (access(p, F_OK) < 0) {
            _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd < 0)
                return kpod_err_sys(err, "create hostPath '%s'", p);
        }
        return 0;
    default:
        break;
    }
    if (stat(p, &st) < 0)
        return kpod_err_sys(err, "hostPath '%s'", p);
    static const struct {
        enum kpod_hostpath_type t;
        mode_t fmt;
        const char *what;
    } kinds[] = {
        {KPOD_HOSTPATH_DIRECTORY, S_IFDIR, "a directory"},
        {KPOD_HOSTPATH_FILE, S_IFREG, "a file"},
        {KPOD_HOSTPATH_SOCKET, S_IFSOCK, "a socket"},
        {KPOD_HOSTPATH_CHAR_DEVICE, S_IFCHR, "a character device"},
        {KPOD_HOSTPATH_BLOCK_DEVICE, S_IFBLK, "a block device"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
        if (kinds[i].t == v->hostpath_type && (st.st_mode & S_IFMT) != kinds[i].fmt)
            return kpod_err_input(err, "hostPath '%s' is not %s", p, kinds[i].what);
    return 0;
}

static int
setup_volume(struct kpod_pod_state *p, const struct kpod_spec_volume *v, struct kpod_err **err)
{
    switch (v->type) {
    case KPOD_VOLUME_EMPTYDIR:
        if (make_dir(v->host_path, v->dir_mode, v->gid, err) < 0)
            return -1;
        return v->tmpfs ? mount_tmpfs(p, v->host_path, v->size, v->dir_mode, 0, err) : 0;
    case KPOD_VOLUME_CONFIGMAP:
    case KPOD_VOLUME_SECRET:
        if (kpod_fs_mkdir_p(v->host_path, 0755, err) < 0)
            return -1;
        if (v->tmpfs && mount_tmpfs(p, v->host_path, 0, 0755, MS_NOEXEC, err) < 0)
            return -1;
        if (write_files(v, err) < 0)
            return -1;
        if (chmod(v->host_path, (mode_t)v->dir_mode) < 0)
            return kpod_err_sys(err, "chmod '%s'", v->host_path);
        return 0;
    case KPOD_VOLUME_HOSTPATH:
        return check_hostpath(v, err);
    case KPOD_VOLUME_PVC:
        return kpod_fs_mkdir_p(v->host_path, 0755, err);
    }
    return 0;
}

static int
write_text(const char *path, const char *text, struct kpod_err **err)
{
    return kpod_fs_write_atomic(path, text, strlen(text), 0644, err);
}

int kpod_sandbox_volumes_setup(struct kpod_pod_state *p, const struct kpod_pod *pod,
                               const struct kpod_spec_pod *plan, const char *pod_ip,
                               struct kpod_err **err);

int
kpod_sandbox_volumes_setup(struct kpod_pod_state *p, const struct kpod_pod *pod,
                           const struct kpod_spec_pod *plan, const char *pod_ip,
                           struct kpod_err **err)
{
    for (size_t i = 0; i < plan->n_volumes; i++) {
        if (setup_volume(p, &plan->volumes[i], err) < 0)
            return kpod_err_prefix(err, "volume '%s'", plan->volumes[i].name);
    }
    if (plan->shm_path != NULL && kpod_strv_contains(p->mounts, plan->shm_path)) {
        /* a warm pool entry's, mounted with the default size */
        char opts[64];
        snprintf(opts, sizeof(opts), "mode=1777,size=%lld", (long long)plan->shm_size);
        if (plan->shm_size != KPOD_SPEC_DEFAULT_SHM_SIZE &&
            mount(NULL, plan->shm_path, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) <
                0)
            return kpod_err_sys(err, "pod /dev/shm: resize '%s'", plan->shm_path);
    } else if (plan->shm_path != NULL) {
        if (kpod_fs_mkdir_p(plan->shm_path, 0755, err) < 0 ||
            mount_tmpfs(p, plan->shm_path, plan->shm_size, 01777, MS_NOEXEC, err) < 0)
            return kpod_err_prefix(err, "pod /dev/shm");
    }
    _cleanup_free_ char *host_resolv = NULL;
    struct kpod_err *ignored = NULL;
    if (kpod_fs_read_file("/etc/resolv.conf", 1 << 20, &host_resolv, NULL, &ignored) < 0)
        host_resolv = xstrdup("");
    kpod_err_free(&ignored);
    _cleanup_free_ char *host_hosts = NULL;
    if (kpod_fs_read_file("/etc/hosts", 1 << 20, &host_hosts, NULL, &ignored) < 0)
        host_hosts = xstrdup("");
    kpod_err_free(&ignored);
    _cleanup_free_ char *hosts = kpod_spec_hosts_content(pod, plan->hostname, pod_ip, host_hosts);
    _cleanup_free_ char *resolv = kpod_spec_resolv_content(pod, host_resolv);
    _cleanup_free_ char *hostname = xasprintf("%s\n", plan->hostname);
    if ((plan->hosts_path && write_text(plan->hosts_path, hosts, err) < 0) ||
        (plan->resolv_path && write_text(plan->resolv_path, resolv, err) < 0) ||
        (plan->hostname_path && write_text(plan->hostname_path, hostname, err) < 0))
        return kpod_err_prefix(err, "pod files");
    return 0;
}
