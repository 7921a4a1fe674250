/* The parent's preparation of a container: every spec field validated and resolved (rootfs,
 * namespaces, mounts, rlimits, capabilities, seccomp) before clone, so errors are early and the
 * child only executes the plan. */
#include "container/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>

struct ns_name {
    const char *name;
    int flag;
};

static const struct ns_name ns_names[] = {
    {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET},
    {"mount", CLONE_NEWNS},  {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},   {"cgroup", CLONE_NEWCGROUP},
    {"user", CLONE_NEWUSER}, {"time", 0x00000080 /* CLONE_NEWTIME */},
};

int
ns_type_flag(const char *type)
{
    for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++)
        if (strcmp(ns_names[i].name, type) == 0)
            return ns_names[i].flag;
    return 0;
}

static int
plan_namespace(struct plan *p, const struct kpod_oci_namespace *ns, struct kpod_err **err)
{
    int flag = ns_type_flag(ns->type);
    if (flag == 0)
        return kpod_err_input(err, "namespace: unknown type '%s'", ns->type);
    if (flag == 0x80)
        return kpod_err_input(err, "namespace '%s': not supported by kpod", ns->type);
    if (flag == CLONE_NEWUSER && ns->path != NULL)
        return kpod_err_input(err, "namespace 'user': joining one by path is not supported");
    if (ns->path == NULL) {
        if (flag == CLONE_NEWCGROUP)
            p->new_cgroupns = true;
        else
            p->clone_flags |= flag;
        return 0;
    }
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "namespace '%s': open '%s'", ns->type, ns->path);
    if (flag == CLONE_NEWPID) {
        p->pidns_fd = fd;
        return 0;
    }
    if (p->n_joins == ARRAY_SIZE(p->joins)) {
        close(fd);
        return kpod_err_input(err, "namespace '%s': too many namespaces", ns->type);
    }
    p->joins[p->n_joins++] = (struct ns_join){fd, flag, ns->path};
    if (flag == CLONE_NEWUTS)
        p->own_utsns = true;
    return 0;
}

static int
plan_namespaces(struct plan *p, const struct kpod_oci_linux *l, struct kpod_err **err)
{
    for (size_t i = 0; l != NULL && i < l->n_namespaces; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(l->namespaces[j].type, l->namespaces[i].type) == 0)
                return kpod_err_input(err, "namespace '%s': listed twice", l->namespaces[i].type);
        if (plan_namespace(p, &l->namespaces[i], err) < 0)
            return -1;
    }
    p->new_mountns = p->clone_flags & CLONE_NEWNS;
    p->new_utsns = p->clone_flags & CLONE_NEWUTS;
    p->new_pidns = p->clone_flags & CLONE_NEWPID;
    p->new_netns = p->clone_flags & CLONE_NEWNET;
    p->new_ipcns = p->clone_flags & CLONE_NEWIPC;
    p->new_userns = p->clone_flags & CLONE_NEWUSER;
    if (p->new_userns) {
        /* Every namespace is then created by clone, owned by the new user namespace. */
        if (p->n_joins > 0 || p->pidns_fd >= 0)
            return kpod_err_input(err, "namespace 'user': a new user namespace cannot be "
                                       "combined with joined namespaces");
        if (l->n_uid_mappings == 0 || l->n_gid_mappings == 0)
            return kpod_err_input(err, "namespace 'user': needs uidMappings and gidMappings");
    } else if (l != NULL && (l->n_uid_mappings > 0 || l->n_gid_mappings > 0)) {
        return kpod_err_input(err, "uidMappings: need a new 'user' namespace");
    }
    if (!p->new_mountns)
        return kpod_err_input(err, "namespace 'mount': kpod needs a new mount namespace");
    if (p->spec->hostname != NULL && *p->spec->hostname && !p->new_utsns && !p->own_utsns)
        return kpod_err_input(err, "hostname '%s': needs a 'uts' namespace", p->spec->hostname);
    return 0;
}

static int
plan_mount(struct mount_plan *mp, const struct kpod_oci_mount *m, const char *bundle,
           struct kpod_err **err)
{
    mp->m = m;
    mount_flags_parse(m->options, &mp->f);
    if (m->destination[0] != '/')
        return kpod_err_input(err, "mount '%s': destination must be absolute", m->destination);
    if (m->type != NULL && strcmp(m->type, "bind") == 0)
        mp->f.bind = true;
    for (size_t i = 0; mp->f.ignored != NULL && mp->f.ignored[i] != NULL; i++)
        kpod_warn("mount '%s': option '%s' is not supported: ignored", m->destination,
                  mp->f.ignored[i]);
    if (mp->f.bind && mp->f.data != NULL)
        kpod_warn("mount '%s': options '%s' have no effect on a bind mount: ignored",
                  m->destination, mp->f.data);
    if (!mp->f.bind) {
        if (m->type == NULL || *m->type == '\0')
            return kpod_err_input(err, "mount '%s': no type", m->destination);
        return 0;
    }
    if (m->source == NULL || *m->source == '\0')
        return kpod_err_input(err, "mount '%s': bind mount without a source", m->destination);
    mp->source = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
    struct stat st;
    if (stat(mp->source, &st) < 0)
        return kpod_err_sys(err, "mount '%s': source '%s'", m->destination, mp->source);
    mp->source_is_dir = S_ISDIR(st.st_mode);
    return 0;
}

static int
plan_rootfs(struct plan *p, const char *bundle, struct kpod_err **err)
{
    const struct kpod_oci_root *root = p->spec->root;
    if (root == NULL || root->path == NULL)
        return kpod_err_input(err, "root.path: required");
    _cleanup_free_ char *path =
        root->path[0] == '/' ? xstrdup(root->path) : xasprintf("%s/%s", bundle, root->path);
    char *real = realpath(path, NULL);
    if (real == NULL)
        return kpod_err_sys(err, "rootfs '%s'", path);
    p->rootfs = real;
    struct stat st;
    if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
        return kpod_err_set(err, KPOD_ERR_INPUT, ENOTDIR, "rootfs '%s'", real);
    return 0;
}

int
plan_init(struct plan *p, const struct kpod_oci_spec *spec, const char *bundle, const char *id,
          const char *seccomp_cache, struct kpod_err **err)
{
    memset(p, 0, sizeof(*p));
    p->spec = spec;
    p->process = spec->process;
    p->id = id;
    p->pidns_fd = p->sync_fd = p->fifo_fd = p->fifo_dirfd = p->rootfd = -1;
    p->stdio[0] = p->stdio[1] = p->stdio[2] = -1;
    if (spec->process == NULL || spec->process->args == NULL || spec->process->args[0] == NULL)
        return kpod_err_input(err, "process.args: required");
    if (plan_rootfs(p, bundle, err) < 0 || plan_namespaces(p, spec->linux_, err) < 0)
        return -1;
    const struct kpod_oci_linux *l = spec->linux_;
    if (l != NULL && l->rootfs_propagation != NULL) {
        if (mount_propagation_parse(l->rootfs_propagation, &p->root_propagation) < 0)
            return kpod_err_input(err, "rootfsPropagation: unknown value '%s'",
                                  l->rootfs_propagation);
        p->has_root_propagation = true;
    }
    p->mounts = xcalloc(spec->n_mounts ? spec->n_mounts : 1, sizeof(*p->mounts));
    for (size_t i = 0; i < spec->n_mounts; i++) {
        p->n_mounts = i + 1;
        if (plan_mount(&p->mounts[i], &spec->mounts[i], bundle, err) < 0)
            return -1;
    }
    if (plan_rlimits(p, spec->process, err) < 0 ||
        caps_plan_init(&p->caps, spec->process->capabilities, err) < 0)
        return -1;
    if (l != NULL && l->seccomp != NULL &&
        seccomp_prepare(l->seccomp, seccomp_cache, &p->seccomp, err) < 0)
        return -1;
    return 0;
}

void
plan_release(struct plan *p)
{
    free(p->rootfs);
    p->rootfs = NULL;
    for (size_t i = 0; i < p->n_joins; i++)
        close(p->joins[i].fd);
    p->n_joins = 0;
    if (p->pidns_fd >= 0)
        close(p->pidns_fd);
    p->pidns_fd = -1;
    for (size_t i = 0; i < p->n_mounts; i++) {
        mount_flags_free(&p->mounts[i].f);
        free(p->mounts[i].source);
    }
    free(p->mounts);
    p->mounts = NULL;
    p->n_mounts = 0;
    free(p->rlimits);
    p->rlimits = NULL;
    seccomp_prog_free(&p->seccomp);
}

/* Rlimits. */

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

int
rlimit_resource(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
        if (strcmp(rlimit_names[i].name, name) == 0)
            return rlimit_names[i].resource;
    return -1;
}

int
plan_rlimits(struct plan *p, const struct kpod_oci_process *proc, struct kpod_err **err)
{
    p->rlimits = xcalloc(proc->n_rlimits ? proc->n_rlimits : 1, sizeof(*p->rlimits));
    for (size_t i = 0; i < proc->n_rlimits; i++) {
        const struct kpod_oci_rlimit *r = &proc->rlimits[i];
        int res = rlimit_resource(r->type);
        if (res < 0)
            return kpod_err_input(err, "rlimit: unknown type '%s'", r->type);
        if (r->soft > r->hard)
            return kpod_err_input(err, "rlimit '%s': soft %llu above hard %llu", r->type,
                                  (unsigned long long)r->soft, (unsigned long long)r->hard);
        struct rlimit cur;
        if (getrlimit(res, &cur) < 0)
            return kpod_err_sys(err, "rlimit '%s'", r->type);
        struct rlimit lim = {.rlim_cur = r->soft, .rlim_max = r->hard};
        if (cur.rlim_max != RLIM_INFINITY && lim.rlim_max > cur.rlim_max) {
            kpod_warn("rlimit '%s': hard limit %llu is above the caller's %llu: lowered to %llu",
                      r->type, (unsigned long long)lim.rlim_max, (unsigned long long)cur.rlim_max,
                      (unsigned long long)cur.rlim_max);
            lim.rlim_max = cur.rlim_max;
            if (lim.rlim_cur > lim.rlim_max)
                lim.rlim_cur = lim.rlim_max;
        }
        p->rlimits[p->n_rlimits++] = (struct rlimit_plan){res, lim};
    }
    return 0;
}
