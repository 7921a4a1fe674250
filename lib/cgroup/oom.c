/* OOM events: v1 eventfd registered on memory.oom_control through cgroup.event_control;
 * v2 inotify on memory.events. Both fds are non-blocking and close-on-exec. */
#include "cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

static int
oom_fd_v1(struct kpod_cgroup *cg, struct kpod_err **err)
{
    const char *dir = cg->dirs[CG_MEMORY];
    if (dir == NULL)
        return kpod_err_msg(err, "the memory controller is not mounted");
    _cleanup_free_ char *path = xasprintf("%s/memory.oom_control", dir);
    _cleanup_close_ int cfd = open(path, O_RDONLY | O_CLOEXEC);
    if (cfd < 0)
        return kpod_err_sys(err, "open '%s'", path);
    _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0)
        return kpod_err_sys(err, "eventfd");
    /* The registration lives as long as the eventfd; the control fd may close. The kernel also
     * signals it when the cgroup is removed, so readers re-check the count. */
    if (cg_writef(dir, "cgroup.event_control", err, "%d %d", efd, cfd) < 0)
        return -1;
    return TAKE_FD(efd);
}

static int
oom_fd_v2(struct kpod_cgroup *cg, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/memory.events", cg->dir);
    _cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ifd < 0)
        return kpod_err_sys(err, "inotify_init1");
    if (inotify_add_watch(ifd, path, IN_MODIFY) < 0)
        return kpod_err_sys(err, "watch '%s'", path);
    return TAKE_FD(ifd);
}

int
kpod_cgroup_oom_fd(struct kpod_cgroup *cg, struct kpod_err **err)
{
    int fd = cg->version == KPOD_CGROUP_V2 ? oom_fd_v2(cg, err) : oom_fd_v1(cg, err);
    if (fd < 0)
        return kpod_err_prefix(err, "cgroup '%s': OOM notifications", cg->path);
    return fd;
}

int
kpod_cgroup_oom_count(struct kpod_cgroup *cg, uint64_t *ret, struct kpod_err **err)
{
    const char *dir = cg->version == KPOD_CGROUP_V2 ? cg->dir : cg->dirs[CG_MEMORY];
    const char *file = cg->version == KPOD_CGROUP_V2 ? "memory.events" : "memory.oom_control";
    if (dir == NULL)
        return kpod_err_msg(err, "cgroup '%s': OOM count: the memory controller is not mounted",
                            cg->path);
    char buf[512];
    if (cg_read(dir, file, buf, sizeof(buf), err) < 0)
        return kpod_err_prefix(err, "cgroup '%s': OOM count", cg->path);
    *ret = kpod_cgroup_parse_keyed(buf, "oom_kill", 0);
    return 0;
}

void
kpod_cgroup_oom_drain(int fd)
{
    char buf[4096] __attribute__((aligned(8)));
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}
