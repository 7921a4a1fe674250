/* After pivot_root: sysctls, hostname, masked and read-only paths, the read-only root and the
 * root's propagation. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/* Only namespaced sysctls, and only in a namespace of the container's own: never the host's. */
static int
sysctl_allowed(const struct plan *p, const char *key, struct kpod_err **err)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
    bool own_net = p->new_netns;
    bool own_ipc = p->new_ipcns;
    for (size_t i = 0; i < p->n_joins; i++) {
        own_net = own_net || p->joins[i].nstype == CLONE_NEWNET;
        own_ipc = own_ipc || p->joins[i].nstype == CLONE_NEWIPC;
    }
    if (kpod_str_has_prefix(key, "net."))
        return own_net ? 0 : kpod_err_input(err, "sysctl '%s': needs a network namespace", key);
    if (kpod_str_has_prefix(key, "fs.mqueue."))
        return own_ipc ? 0 : kpod_err_input(err, "sysctl '%s': needs an ipc namespace", key);
    for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
        if (strcmp(key, ipc[i]) == 0)
            return own_ipc ? 0 : kpod_err_input(err, "sysctl '%s': needs an ipc namespace", key);
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
        return p->new_utsns || p->own_utsns
                   ? 0
                   : kpod_err_input(err, "sysctl '%s': needs a uts namespace", key);
    return kpod_err_input(err, "sysctl '%s': not namespaced: refusing to change the host", key);
}

static int
apply_sysctls(const struct plan *p, struct kpod_err **err)
{
    const struct kpod_oci_linux *l = p->spec->linux_;
    for (size_t i = 0; l != NULL && i < l->n_sysctl; i++) {
        const char *key = l->sysctl[i].key;
        if (sysctl_allowed(p, key, err) < 0)
            return -1;
        if (strstr(key, "..") != NULL || strchr(key, '/') != NULL)
            return kpod_err_input(err, "sysctl '%s': invalid name", key);
        _cleanup_free_ char *path = xasprintf("/proc/sys/%s", key);
        for (char *c = path + strlen("/proc/sys/"); *c; c++)
            if (*c == '.')
                *c = '/';
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            return kpod_err_sys(err, "sysctl '%s'", key);
        const char *v = l->sysctl[i].value;
        if (kpod_fs_write_all(fd, v, strlen(v)) < 0)
            return kpod_err_sys(err, "sysctl '%s' = '%s'", key, v);
    }
    return 0;
}

/* Masks paths before pivot_root (the host's /dev/null is still at hand), each resolved inside
 * the rootfs: an empty read-only tmpfs over directories, /dev/null over anything else. */
int
rootfs_mask(struct plan *p, struct kpod_err **err)
{
    const struct kpod_oci_linux *l = p->spec->linux_;
    for (size_t i = 0; l != NULL && l->masked_paths != NULL && l->masked_paths[i] != NULL; i++) {
        const char *path = l->masked_paths[i];
        _cleanup_err_ struct kpod_err *e = NULL;
        _cleanup_close_ int fd =
            kpod_fs_openat_in_root(p->rootfd, path, O_PATH | O_NOFOLLOW, 0, &e);
        if (fd < 0) {
            if (e->errnum == ENOENT)
                continue;
            kpod_err_move(err, &e);
            return kpod_err_prefix(err, "masked path");
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
            return kpod_err_sys(err, "masked path '%s'", path);
        char target[64];
        snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
        int r;
        if (S_ISDIR(st.st_mode))
            r = mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k");
        else
            r = mount("/dev/null", target, NULL, MS_BIND, NULL);
        if (r < 0)
            return kpod_err_sys(err, "mask '%s'", path);
    }
    return 0;
}

/* Flags of the mount at path, to keep nosuid/nodev/noexec when remounting read-only. */
static unsigned long
mount_flags_of(const char *path)
{
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) < 0)
        return 0;
    if (sv.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME)
        f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        f |= MS_RELATIME;
    return f;
}

static int
readonly_paths(char *const *paths, struct kpod_err **err)
{
    for (size_t i = 0; paths != NULL && paths[i] != NULL; i++) {
        if (mount(paths[i], paths[i], NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT)
                continue;
            return kpod_err_sys(err, "read-only path '%s'", paths[i]);
        }
        unsigned long f = mount_flags_of(paths[i]);
        if (mount(NULL, paths[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | f, NULL) < 0)
            return kpod_err_sys(err, "read-only path '%s': remount", paths[i]);
    }
    return 0;
}

int
rootfs_finish(struct plan *p, struct kpod_err **err)
{
    const struct kpod_oci_linux *l = p->spec->linux_;
    if (apply_sysctls(p, err) < 0)
        return -1;
    const char *hn = p->spec->hostname;
    if (hn != NULL && *hn != '\0' && sethostname(hn, strlen(hn)) < 0)
        return kpod_err_sys(err, "hostname '%s'", hn);
    if (l != NULL && readonly_paths(l->readonly_paths, err) < 0)
        return -1;
    if (p->spec->root->readonly &&
        mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags_of("/"), NULL) < 0)
        return kpod_err_sys(err, "make the root read-only");
    if (p->has_root_propagation && mount(NULL, "/", NULL, p->root_propagation, NULL) < 0)
        return kpod_err_sys(err, "rootfsPropagation '%s'", l->rootfs_propagation);
    return 0;
}
