/* Container mounts: the defaults, the pod's /dev/shm and etc files, the volume mounts, and
 * the emptyDir rewrite pass (seed-semantics §7). */
#include "spec/internal.h"

#include <string.h>

bool
kpod_spec_is_emptydir(const char *path)
{
    /* strings.Split(path, "/"): more than one element and the second-to-last is the plugin */
    if (path == NULL)
        return false;
    const char *last = strrchr(path, '/');
    if (last == NULL)
        return false;
    const char *prev = last;
    while (prev > path && prev[-1] != '/')
        prev--;
    size_t len = (size_t)(last - prev);
    return len == strlen(KPOD_SPEC_EMPTYDIR_PLUGIN) &&
           strncmp(prev, KPOD_SPEC_EMPTYDIR_PLUGIN, len) == 0;
}

const char *
kpod_spec_mounts_fstype(const char *proc_mounts, const char *path, char *buf, size_t len)
{
    _cleanup_strv_ char **lines = kpod_strv_split(proc_mounts ? proc_mounts : "", "\n", true);
    for (char **l = lines; l && *l; l++) {
        _cleanup_strv_ char **f = kpod_strv_split(*l, " \t", true);
        if (kpod_strv_len(f) < 2 || strcmp(f[1], path) != 0)
            continue;
        if (kpod_strv_len(f) != 6) /* malformed: counts as not tmpfs */
            return NULL;
        snprintf(buf, len, "%s", f[2]);
        return buf;
    }
    return NULL;
}

int
kpod_spec_rewrite_mounts(struct kpod_oci_spec *spec, kpod_spec_fstype_fn fstype, void *data)
{
    int changed = 0;
    for (size_t i = 0; i < spec->n_mounts; i++) {
        struct kpod_oci_mount *m = &spec->mounts[i];
        if (!kpod_spec_is_emptydir(m->source))
            continue;
        const char *fs = fstype ? fstype(m->source, data) : NULL;
        bool tmpfs = fs != NULL && strcmp(fs, "tmpfs") == 0;
        free(m->type);
        m->type = xstrdup(tmpfs ? KPOD_SPEC_MOUNT_EPHEMERAL : KPOD_SPEC_MOUNT_LOCAL);
        changed++;
    }
    return changed;
}

void
kpod_spec_finalize_mounts(struct kpod_oci_spec *spec)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        struct kpod_oci_mount *m = &spec->mounts[i];
        if (m->type == NULL || (strcmp(m->type, KPOD_SPEC_MOUNT_LOCAL) != 0 &&
                                strcmp(m->type, KPOD_SPEC_MOUNT_EPHEMERAL) != 0))
            continue;
        free(m->type);
        m->type = xstrdup("bind");
        if (!kpod_strv_contains(m->options, "rbind") && !kpod_strv_contains(m->options, "bind"))
            kpod_strv_push(&m->options, "rbind");
    }
}

/* The plan knows which emptyDirs are tmpfs (medium: Memory) before they exist. */
static const char *
plan_fstype(const char *path, void *data)
{
    const struct kpod_spec_pod *plan = data;
    for (size_t i = 0; i < plan->n_volumes; i++)
        if (plan->volumes[i].tmpfs && strcmp(plan->volumes[i].host_path, path) == 0)
            return "tmpfs";
    return NULL;
}

static void
add(struct kpod_oci_spec *spec, const char *dst, const char *type, const char *src,
    const char *opts)
{
    _cleanup_strv_ char **o = kpod_strv_split(opts, ",", true);
    kpod_oci_spec_add_mount(spec, dst, type, src, o);
}

static bool
ctr_mounts_at(const struct kpod_container *c, const char *dst)
{
    for (size_t i = 0; i < c->n_mounts; i++)
        if (strcmp(c->mounts[i].mount_path, dst) == 0)
            return true;
    return false;
}

static void
add_defaults(struct kpod_oci_spec *spec, const struct kpod_spec_args *a)
{
    const struct kpod_container *c = a->ctr;
    const struct kpod_pod *pod = a->pod;
    bool priv = c->sec.privileged == 1;
    add(spec, "/proc", "proc", "proc", "nosuid,noexec,nodev");
    add(spec, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
    add(spec, "/dev/pts", "devpts", "devpts",
        "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5");
    add(spec, "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev");
    add(spec, "/sys", "sysfs", "sysfs", priv ? "nosuid,noexec,nodev" : "nosuid,noexec,nodev,ro");
    add(spec, "/sys/fs/cgroup", "cgroup", "cgroup",
        priv ? "nosuid,noexec,nodev,relatime,rw" : "nosuid,noexec,nodev,relatime,ro");
    if (!ctr_mounts_at(c, "/dev/shm")) {
        if (pod->host_ipc)
            add(spec, "/dev/shm", "bind", "/dev/shm", "rbind,nosuid,noexec,nodev");
        else
            add(spec, "/dev/shm", "bind", a->plan->shm_path, "rbind,nosuid,noexec,nodev");
    }
    const char *etc[][2] = {{"/etc/hosts", a->plan->hosts_path},
                            {"/etc/hostname", a->plan->hostname_path},
                            {"/etc/resolv.conf", a->plan->resolv_path}};
    for (size_t i = 0; i < ARRAY_SIZE(etc); i++)
        if (!ctr_mounts_at(c, etc[i][0]) && !(pod->host_network && i == 1)) /* host's name */
            add(spec, etc[i][0], "bind", etc[i][1], "rbind,rprivate");
}

static const char *
propagation(const struct kpod_volume_mount *vm)
{
    if (vm->mount_propagation == NULL || strcmp(vm->mount_propagation, "None") == 0)
        return "rprivate";
    if (strcmp(vm->mount_propagation, "HostToContainer") == 0)
        return "rslave";
    return "rshared";
}

static int
add_volume_mount(struct kpod_oci_spec *spec, const struct kpod_spec_args *a,
                 const struct kpod_volume_mount *vm, struct kpod_err **err)
{
    const struct kpod_spec_volume *sv = kpod_spec_pod_volume(a->plan, vm->name);
    if (sv == NULL)
        return kpod_err_input(err, "container '%s': volume '%s' is not in the pod plan",
                              a->ctr->name, vm->name);
    if (vm->mount_propagation != NULL && strcmp(vm->mount_propagation, "Bidirectional") == 0 &&
        a->ctr->sec.privileged != 1)
        return kpod_err_input(err,
                              "container '%s': mountPropagation Bidirectional needs a "
                              "privileged container",
                              a->ctr->name);
    _cleanup_free_ char *src =
        vm->sub_path ? xasprintf("%s/%s", sv->host_path, vm->sub_path) : xstrdup(sv->host_path);
    bool ro = vm->read_only || sv->read_only || sv->type == KPOD_VOLUME_CONFIGMAP ||
              sv->type == KPOD_VOLUME_SECRET;
    _cleanup_free_ char *opts = xasprintf("rbind,%s%s", propagation(vm), ro ? ",ro" : "");
    if (sv->type == KPOD_VOLUME_EMPTYDIR || sv->type == KPOD_VOLUME_CONFIGMAP ||
        sv->type == KPOD_VOLUME_SECRET) {
        char *tmp = xasprintf("%s,nosuid,nodev", opts);
        free(opts);
        opts = tmp;
    }
    add(spec, vm->mount_path, "bind", src, opts);
    return 0;
}

int
spec_add_mounts(struct kpod_oci_spec *spec, const struct kpod_spec_args *a, struct kpod_err **err)
{
    add_defaults(spec, a);
    for (size_t i = 0; i < a->ctr->n_mounts; i++)
        if (add_volume_mount(spec, a, &a->ctr->mounts[i], err) < 0)
            return -1;
    kpod_spec_rewrite_mounts(spec, plan_fstype, (void *)a->plan);
    /* propagation into or out of the container needs a matching root mount */
    const char *rootprop = NULL;
    for (size_t i = 0; i < a->ctr->n_mounts; i++) {
        const char *mp = a->ctr->mounts[i].mount_propagation;
        if (mp != NULL && strcmp(mp, "Bidirectional") == 0)
            rootprop = "rshared";
        else if (mp != NULL && strcmp(mp, "HostToContainer") == 0 && rootprop == NULL)
            rootprop = "rslave";
    }
    if (rootprop != NULL)
        kpod_oci_spec_linux(spec)->rootfs_propagation = xstrdup(rootprop);
    return 0;
}
