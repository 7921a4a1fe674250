/* The overlayfs root: mounted by the container's first process in its own mount namespace, so
 * it goes away with the container and never leaks on the host. The new mount API appends
 * lower layers one by one ("lowerdir+", no page-size limit on the option string); the classic
 * mount(2) option string is the fallback. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>

/* Escapes the characters overlayfs treats specially in its option string. */
static void
append_escaped(char **buf, size_t *len, size_t *cap, const char *s)
{
    for (; *s; s++) {
        if (*len + 3 > *cap)
            xgrow((void **)buf, cap, *len + 3, 1);
        if (*s == ':' || *s == ',' || *s == '\\')
            (*buf)[(*len)++] = '\\';
        (*buf)[(*len)++] = *s;
    }
    (*buf)[*len] = '\0';
}

char *
kpod_container_overlay_data(const struct kpod_container_overlay *o)
{
    size_t len = 0, cap = 256;
    char *buf = xmalloc(cap);
    buf[0] = '\0';
    static const char lowerdir[] = "lowerdir=";
    for (size_t i = 0; o->lowers != NULL && o->lowers[i] != NULL; i++) {
        const char *prefix = i == 0 ? lowerdir : ":";
        xgrow((void **)&buf, &cap, len + strlen(prefix) + 1, 1);
        strcpy(buf + len, prefix);
        len += strlen(prefix);
        append_escaped(&buf, &len, &cap, o->lowers[i]);
    }
    const char *keys[] = {",upperdir=", ",workdir="};
    const char *vals[] = {o->upper, o->work};
    for (size_t i = 0; i < 2; i++) {
        if (vals[i] == NULL)
            continue;
        xgrow((void **)&buf, &cap, len + strlen(keys[i]) + 1, 1);
        strcpy(buf + len, keys[i]);
        len += strlen(keys[i]);
        append_escaped(&buf, &len, &cap, vals[i]);
    }
    return buf;
}

static int
overlay_new_api(const struct kpod_container_overlay *o, const char *target)
{
    _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    for (size_t i = 0; o->lowers[i] != NULL; i++)
        if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", o->lowers[i], 0) < 0)
            return -1;
    if ((o->upper != NULL && fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", o->upper, 0) < 0) ||
        (o->work != NULL && fsconfig(fs, FSCONFIG_SET_STRING, "workdir", o->work, 0) < 0) ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
    _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
    if (mnt < 0 || move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return -1;
    return 0;
}

int
rootfs_mount_overlay(const struct kpod_container_overlay *o, const char *target,
                     struct kpod_err **err)
{
    if (o->lowers == NULL || o->lowers[0] == NULL)
        return kpod_err_input(err, "overlay: no lower layers");
    if ((o->upper == NULL) != (o->work == NULL))
        return kpod_err_input(err, "overlay: upper and work directories go together");
    if (overlay_new_api(o, target) == 0)
        return 0;
    int e = errno;
    if (e != ENOSYS && e != EINVAL)
        return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "mount overlay on '%s'", target);
    /* Older kernels: no fsopen, or no "lowerdir+". */
    _cleanup_free_ char *data = kpod_container_overlay_data(o);
    if (strlen(data) >= 4096)
        return kpod_err_input(err, "overlay on '%s': too many layers for this kernel", target);
    if (mount("overlay", target, "overlay", 0, data) < 0)
        return kpod_err_sys(err, "mount overlay on '%s'", target);
    return 0;
}
