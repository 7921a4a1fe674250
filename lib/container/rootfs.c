/* The child's root filesystem: propagation, the rootfs bind, the spec's mounts in order (every
 * destination resolved inside the rootfs, never through a symlink out of it, and mounted
 * through /proc/self/fd so no path is looked up twice), /dev with its default nodes, and
 * pivot_root. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

static void
fd_path(char *buf, size_t len, int fd)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* The destination as a file to bind onto: created (empty) when missing. A symlink in the last
 * component is followed by hand, inside the rootfs, so its target is made there. */
static int
open_file_dest(int rootfd, const char *dest, struct kpod_err **err)
{
    _cleanup_free_ char *cur = xstrdup(dest);
    for (int hops = 0; hops < 40; hops++) {
        char *slash = strrchr(cur, '/');
        _cleanup_free_ char *dir = slash ? xstrndup(cur, (size_t)(slash - cur)) : xstrdup("");
        const char *base = slash ? slash + 1 : cur;
        if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
            return kpod_err_input(err, "'%s' is not a file name", dest);
        _cleanup_close_ int pfd = kpod_fs_mkdirat_in_root(rootfd, *dir ? dir : "/", 0755, err);
        if (pfd < 0)
            return -1;
        struct stat st;
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT)
                return kpod_err_sys(err, "stat '%s'", cur);
            int fd = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (fd < 0 && errno != EEXIST)
                return kpod_err_sys(err, "create '%s'", cur);
            if (fd >= 0)
                close(fd);
            continue; /* look again */
        }
        if (!S_ISLNK(st.st_mode)) {
            int fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0)
                return kpod_err_sys(err, "open '%s'", cur);
            return fd;
        }
        char target[4096];
        ssize_t n = readlinkat(pfd, base, target, sizeof(target) - 1);
        if (n < 0)
            return kpod_err_sys(err, "read link '%s'", cur);
        target[n] = '\0';
        char *next = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
        free(cur);
        cur = next;
    }
    return kpod_err_set(err, KPOD_ERR_INPUT, ELOOP, "'%s'", dest);
}

/* Applies flags (a bind's ro/nosuid/...) or propagation to the mount now at dest. */
static int
mount_again(int rootfd, const char *dest, unsigned long flags, struct kpod_err **err)
{
    _cleanup_close_ int fd = kpod_fs_openat_in_root(rootfd, dest, O_PATH, 0, err);
    if (fd < 0)
        return -1;
    char target[64];
    fd_path(target, sizeof(target), fd);
    if (mount(NULL, target, NULL, flags, NULL) < 0)
        return kpod_err_sys(err, "mount '%s': remount", dest);
    return 0;
}

/* cgroup v1 inside the container: a tmpfs with a read-only bind of the container's own cgroup
 * of each hierarchy (as runc and crun do); v2: cgroup2 with a cgroup namespace, else a bind. */
static int
mount_cgroup(int rootfd, int tfd, const struct mount_plan *mp, const struct plan *p,
             struct kpod_err **err)
{
    const char *dest = mp->m->destination;
    char target[64];
    fd_path(target, sizeof(target), tfd);
    unsigned long flags = mp->f.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
    struct stat st;
    bool v2 = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
    if (v2 && p->new_cgroupns) {
        if (mount("cgroup2", target, "cgroup2", mp->f.flags, NULL) < 0)
            return kpod_err_sys(err, "mount '%s': cgroup2", dest);
        return 0;
    }
    if (v2) {
        _cleanup_free_ char *src = xasprintf("/sys/fs/cgroup/%s", p->cgroup_self_v2);
        if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
            return kpod_err_sys(err, "mount '%s': bind '%s'", dest, src);
        return mount_again(rootfd, dest, MS_BIND | MS_REMOUNT | mp->f.flags, err);
    }
    if (mount("tmpfs", target, "tmpfs", flags, "mode=755") < 0)
        return kpod_err_sys(err, "mount '%s': tmpfs", dest);
    for (size_t i = 0; p->cgroup_v1 != NULL && p->cgroup_v1[i] != NULL; i += 2) {
        const char *name = p->cgroup_v1[i], *path = p->cgroup_v1[i + 1];
        _cleanup_free_ char *src = xasprintf("/sys/fs/cgroup/%s%s", name, path);
        _cleanup_free_ char *sub = xasprintf("%s/%s", dest, name);
        if (stat(src, &st) < 0)
            continue;
        _cleanup_close_ int sfd = kpod_fs_mkdirat_in_root(rootfd, sub, 0755, err);
        if (sfd < 0)
            return -1;
        char starget[64];
        fd_path(starget, sizeof(starget), sfd);
        if (mount(src, starget, NULL, MS_BIND, NULL) < 0)
            return kpod_err_sys(err, "mount '%s': bind '%s'", sub, src);
        if (mount_again(rootfd, sub, MS_BIND | MS_REMOUNT | flags | MS_RDONLY, err) < 0)
            return -1;
    }
    if (mp->f.flags & MS_RDONLY)
        return mount_again(rootfd, dest, MS_REMOUNT | flags | MS_RDONLY, err);
    return 0;
}

static int
mount_one(int rootfd, const struct mount_plan *mp, const struct plan *p, struct kpod_err **err)
{
    const struct kpod_oci_mount *m = mp->m;
    const char *dest = m->destination;
    _cleanup_close_ int tfd = -1;
    if (mp->f.bind && !mp->source_is_dir)
        tfd = open_file_dest(rootfd, dest, err);
    else
        tfd = kpod_fs_mkdirat_in_root(rootfd, dest, 0755, err);
    if (tfd < 0)
        return kpod_err_prefix(err, "mount '%s'", dest);
    char target[64];
    fd_path(target, sizeof(target), tfd);
    if (mp->f.bind) {
        unsigned long bflags = MS_BIND | (mp->f.recursive ? MS_REC : 0);
        if (mount(mp->source, target, NULL, bflags, NULL) < 0)
            return kpod_err_sys(err, "mount '%s': bind '%s'", dest, mp->source);
        unsigned long extra = mp->f.flags & ~(MS_REMOUNT);
        if (extra != 0 && mount_again(rootfd, dest, MS_BIND | MS_REMOUNT | extra, err) < 0)
            return -1;
    } else if (strcmp(m->type, "cgroup") == 0) {
        if (mount_cgroup(rootfd, tfd, mp, p, err) < 0)
            return -1;
    } else {
        const char *src = m->source ? m->source : m->type;
        if (mount(src, target, m->type, mp->f.flags, mp->f.data) < 0) {
            int e = errno;
            /* Without a new network namespace the kernel refuses a new sysfs: bind the
             * host's, as other runtimes do. */
            if (strcmp(m->type, "sysfs") != 0 || (e != EPERM && e != EBUSY))
                return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "mount '%s' (%s)", dest, m->type);
            if (mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                mount_again(rootfd, dest, MS_BIND | MS_REMOUNT | mp->f.flags, err) < 0)
                return kpod_err_sys(err, "mount '%s': bind /sys", dest);
        }
    }
    if (mp->f.propagation != 0 && mount_again(rootfd, dest, mp->f.propagation, err) < 0)
        return -1;
    return 0;
}

struct dev_node {
    const char *name;
    unsigned major, minor;
};

static const struct dev_node default_nodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const char *const default_links[][2] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},
};

/* In a user namespace mknod is refused: bind the host's node onto an empty file instead. */
static int
bind_node(int dirfd, const char *name, const char *what, struct kpod_err **err)
{
    int fd = openat(dirfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return kpod_err_sys(err, "device '%s'", what);
    close(fd);
    _cleanup_close_ int t = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (t < 0)
        return kpod_err_sys(err, "device '%s'", what);
    char target[64];
    fd_path(target, sizeof(target), t);
    if (mount(what, target, NULL, MS_BIND, NULL) < 0)
        return kpod_err_sys(err, "device '%s': bind from the host", what);
    return 0;
}

/* A device node to make: name in dirfd, what for errors ("/dev/null", the host's path). */
struct node {
    const char *name;
    mode_t type;
    unsigned major, minor;
    mode_t mode;
    const char *what;
};

static int
make_node(int dirfd, const struct node *n, bool userns, struct kpod_err **err)
{
    if (userns)
        return bind_node(dirfd, n->name, n->what, err);
    if (mknodat(dirfd, n->name, n->type | n->mode, makedev(n->major, n->minor)) < 0 &&
        errno != EEXIST)
        return kpod_err_sys(err, "device '%s'", n->what);
    /* No AT_SYMLINK_NOFOLLOW for fchmodat: mknod made no symlink, an existing one errors. */
    if (fchmodat(dirfd, n->name, n->mode, 0) < 0)
        return kpod_err_sys(err, "device '%s': chmod", n->what);
    return 0;
}

static int
make_default_dev(int rootfd, const struct plan *p, struct kpod_err **err)
{
    _cleanup_close_ int devfd =
        kpod_fs_openat_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, err);
    if (devfd < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(default_nodes); i++) {
        const struct dev_node *d = &default_nodes[i];
        _cleanup_free_ char *what = xasprintf("/dev/%s", d->name);
        struct node n = {d->name, S_IFCHR, d->major, d->minor, 0666, what};
        if (make_node(devfd, &n, p->new_userns, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < ARRAY_SIZE(default_links); i++)
        if (symlinkat(default_links[i][1], devfd, default_links[i][0]) < 0 && errno != EEXIST)
            return kpod_err_sys(err, "symlink '/dev/%s'", default_links[i][0]);
    if (kpod_oci_spec_find_mount(p->spec, "/dev/pts") != NULL &&
        symlinkat("pts/ptmx", devfd, "ptmx") < 0 && errno != EEXIST)
        return kpod_err_sys(err, "symlink '/dev/ptmx'");
    if (kpod_oci_spec_find_mount(p->spec, "/dev/shm") == NULL)
        mkdirat(devfd, "shm", 01777);
    return 0;
}

static int
make_spec_devices(int rootfd, const struct kpod_oci_linux *l, bool userns, struct kpod_err **err)
{
    for (size_t i = 0; l != NULL && i < l->n_devices; i++) {
        const struct kpod_oci_device *d = &l->devices[i];
        mode_t type = d->type[0] == 'b' ? S_IFBLK : d->type[0] == 'p' ? S_IFIFO : S_IFCHR;
        _cleanup_free_ char *dir = xstrdup(d->path);
        char *slash = strrchr(dir, '/');
        if (d->path[0] != '/' || slash == NULL || slash[1] == '\0')
            return kpod_err_input(err, "device '%s': path must be absolute", d->path);
        *slash = '\0';
        _cleanup_close_ int dfd = kpod_fs_mkdirat_in_root(rootfd, *dir ? dir : "/", 0755, err);
        if (dfd < 0)
            return kpod_err_prefix(err, "device '%s'", d->path);
        mode_t mode = d->has_file_mode ? (d->file_mode & 07777) : 0666;
        struct node n = {slash + 1, type, (unsigned)d->major, (unsigned)d->minor, mode, d->path};
        if (make_node(dfd, &n, userns, err) < 0)
            return -1;
        if (!userns && fchownat(dfd, slash + 1, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
                                AT_SYMLINK_NOFOLLOW) < 0)
            return kpod_err_sys(err, "device '%s': chown", d->path);
    }
    return 0;
}

int
rootfs_prepare(struct plan *p, struct kpod_err **err)
{
    unsigned long prop = MS_REC | MS_PRIVATE;
    if (p->has_root_propagation && (p->root_propagation & (MS_SLAVE | MS_SHARED)))
        prop = MS_REC | MS_SLAVE;
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
        return kpod_err_sys(err, "make '/' private");
    if (p->overlay != NULL && rootfs_mount_overlay(p->overlay, p->rootfs, err) < 0)
        return -1;
    if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return kpod_err_sys(err, "bind rootfs '%s'", p->rootfs);
    p->rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (p->rootfd < 0)
        return kpod_err_sys(err, "open rootfs '%s'", p->rootfs);
    for (size_t i = 0; i < p->n_mounts; i++)
        if (mount_one(p->rootfd, &p->mounts[i], p, err) < 0)
            return -1;
    const struct kpod_oci_mount *dev = kpod_oci_spec_find_mount(p->spec, "/dev");
    if (dev != NULL && dev->type != NULL && strcmp(dev->type, "tmpfs") == 0 &&
        make_default_dev(p->rootfd, p, err) < 0)
        return -1;
    if (make_spec_devices(p->rootfd, p->spec->linux_, p->new_userns, err) < 0)
        return -1;
    return rootfs_mask(p, err);
}

int
rootfs_pivot(struct plan *p, struct kpod_err **err)
{
    if (fchdir(p->rootfd) < 0)
        return kpod_err_sys(err, "chdir to rootfs");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return kpod_err_sys(err, "pivot_root '%s'", p->rootfs);
    /* The old root is stacked on "."; detach it without propagating to the host. */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return kpod_err_sys(err, "make old root a slave");
    if (umount2(".", MNT_DETACH) < 0)
        return kpod_err_sys(err, "detach old root");
    if (chdir("/") < 0)
        return kpod_err_sys(err, "chdir /");
    return 0;
}
