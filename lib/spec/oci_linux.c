/* OCI runtime spec: the "linux" section (namespaces, id mappings, sysctl, resources, seccomp,
 * masked and readonly paths, devices): parse, serialise, free. */
#include "spec/oci_field.h"

#include <string.h>

#include "spec/oci.h"

static int
parse_namespace(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    static const char *const known[] = {"type", "path", NULL};
    struct kpod_oci_namespace *ns = item;
    if (oci_get_str(o, path, "type", &ns->type, p->err) < 0 ||
        oci_get_str(o, path, "path", &ns->path, p->err) < 0)
        return -1;
    if (ns->type == NULL)
        return kpod_err_input(p->err, "'%s.type': required", path);
    ns->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_idmap(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    struct kpod_oci_id_mapping *m = item;
    if (oci_get_u32(o, path, "containerID", &m->container_id, NULL, p->err) < 0 ||
        oci_get_u32(o, path, "hostID", &m->host_id, NULL, p->err) < 0 ||
        oci_get_u32(o, path, "size", &m->size, NULL, p->err) < 0)
        return -1;
    return 0;
}

static int
parse_device_rule(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    static const char *const known[] = {"allow", "type", "major", "minor", "access", NULL};
    struct kpod_oci_device_rule *d = item;
    d->major = d->minor = KPOD_OCI_UNSET;
    if (oci_get_bool(o, path, "allow", &d->allow, p->err) < 0 ||
        oci_get_str(o, path, "type", &d->type, p->err) < 0 ||
        oci_get_int(o, path, "major", (struct oci_range){-1, INT64_MAX}, &d->major, p->err) < 0 ||
        oci_get_int(o, path, "minor", (struct oci_range){-1, INT64_MAX}, &d->minor, p->err) < 0 ||
        oci_get_str(o, path, "access", &d->access, p->err) < 0)
        return -1;
    d->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_resources(const json_t *o, const char *path, struct kpod_oci_resources *r,
                struct oci_parser *p)
{
    static const char *const known[] = {"memory", "cpu", "pids", "devices", NULL};
    static const char *const mem_known[] = {"limit", "reservation", "swap", NULL};
    static const char *const cpu_known[] = {"shares", "quota", "period", "cpus", "mems", NULL};
    static const char *const pids_known[] = {"limit", NULL};
    json_t *m = NULL, *c = NULL, *pi = NULL;
    _cleanup_free_ char *mp = oci_path(path, "memory");
    _cleanup_free_ char *cp = oci_path(path, "cpu");
    _cleanup_free_ char *pp = oci_path(path, "pids");
    r->memory_limit = r->memory_reservation = r->memory_swap = KPOD_OCI_UNSET;
    r->cpu_quota = r->pids_limit = KPOD_OCI_UNSET;
    if (oci_get_obj(o, path, "memory", &m, p->err) < 0 ||
        oci_get_obj(o, path, "cpu", &c, p->err) < 0 ||
        oci_get_obj(o, path, "pids", &pi, p->err) < 0)
        return -1;
    if (m != NULL) {
        if (oci_get_int(m, mp, "limit", (struct oci_range){-1, INT64_MAX}, &r->memory_limit,
                        p->err) < 0 ||
            oci_get_int(m, mp, "reservation", (struct oci_range){-1, INT64_MAX},
                        &r->memory_reservation, p->err) < 0 ||
            oci_get_int(m, mp, "swap", (struct oci_range){-1, INT64_MAX}, &r->memory_swap, p->err) <
                0)
            return -1;
        r->memory_extra = oci_take_extra(m, mp, mem_known, p->unknown);
    }
    if (c != NULL) {
        if (oci_get_u64(c, cp, "shares", &r->cpu_shares, p->err) < 0 ||
            oci_get_int(c, cp, "quota", (struct oci_range){-1, INT64_MAX}, &r->cpu_quota, p->err) <
                0 ||
            oci_get_u64(c, cp, "period", &r->cpu_period, p->err) < 0 ||
            oci_get_str(c, cp, "cpus", &r->cpu_cpus, p->err) < 0 ||
            oci_get_str(c, cp, "mems", &r->cpu_mems, p->err) < 0)
            return -1;
        r->cpu_extra = oci_take_extra(c, cp, cpu_known, p->unknown);
    }
    if (pi != NULL) {
        if (oci_get_int(pi, pp, "limit", (struct oci_range){INT64_MIN + 1, INT64_MAX},
                        &r->pids_limit, p->err) < 0)
            return -1;
        r->pids_extra = oci_take_extra(pi, pp, pids_known, p->unknown);
    }
    if (oci_parse_array(o, path, "devices",
                        &(struct oci_array){sizeof(struct kpod_oci_device_rule), parse_device_rule,
                                            (void **)&r->devices, &r->n_devices},
                        p) < 0)
        return -1;
    r->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_seccomp_arg(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    static const char *const known[] = {"index", "value", "valueTwo", "op", NULL};
    struct kpod_oci_seccomp_arg *a = item;
    if (oci_get_u32(o, path, "index", &a->index, NULL, p->err) < 0 ||
        oci_get_u64(o, path, "value", &a->value, p->err) < 0 ||
        oci_get_u64(o, path, "valueTwo", &a->value_two, p->err) < 0 ||
        oci_get_str(o, path, "op", &a->op, p->err) < 0)
        return -1;
    if (a->op == NULL)
        return kpod_err_input(p->err, "'%s.op': required", path);
    if (a->index > 5)
        return kpod_err_input(p->err, "'%s.index': %u out of range [0, 5]", path, a->index);
    a->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_syscall(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    static const char *const known[] = {"names", "action", "errnoRet", "args", NULL};
    struct kpod_oci_seccomp_syscall *s = item;
    if (oci_get_strv(o, path, "names", &s->names, p->err) < 0 ||
        oci_get_str(o, path, "action", &s->action, p->err) < 0 ||
        oci_get_u32(o, path, "errnoRet", &s->errno_ret, &s->has_errno_ret, p->err) < 0)
        return -1;
    if (s->names == NULL || s->action == NULL)
        return kpod_err_input(p->err, "'%s': 'names' and 'action' are required", path);
    if (oci_parse_array(o, path, "args",
                        &(struct oci_array){sizeof(struct kpod_oci_seccomp_arg), parse_seccomp_arg,
                                            (void **)&s->args, &s->n_args},
                        p) < 0)
        return -1;
    s->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_seccomp(const json_t *o, const char *path, struct kpod_oci_seccomp *s, struct oci_parser *p)
{
    static const char *const known[] = {"defaultAction", "defaultErrnoRet", "architectures",
                                        "flags",         "syscalls",        NULL};
    if (oci_get_str(o, path, "defaultAction", &s->default_action, p->err) < 0 ||
        oci_get_u32(o, path, "defaultErrnoRet", &s->default_errno_ret, &s->has_default_errno_ret,
                    p->err) < 0 ||
        oci_get_strv(o, path, "architectures", &s->architectures, p->err) < 0 ||
        oci_get_strv(o, path, "flags", &s->flags, p->err) < 0)
        return -1;
    if (s->default_action == NULL)
        return kpod_err_input(p->err, "'%s.defaultAction': required", path);
    if (oci_parse_array(o, path, "syscalls",
                        &(struct oci_array){sizeof(struct kpod_oci_seccomp_syscall), parse_syscall,
                                            (void **)&s->syscalls, &s->n_syscalls},
                        p) < 0)
        return -1;
    s->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_device(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    static const char *const known[] = {"path",     "type", "major", "minor",
                                        "fileMode", "uid",  "gid",   NULL};
    struct kpod_oci_device *d = item;
    if (oci_get_str(o, path, "path", &d->path, p->err) < 0 ||
        oci_get_str(o, path, "type", &d->type, p->err) < 0 ||
        oci_get_int(o, path, "major", (struct oci_range){0, INT64_MAX}, &d->major, p->err) < 0 ||
        oci_get_int(o, path, "minor", (struct oci_range){0, INT64_MAX}, &d->minor, p->err) < 0 ||
        oci_get_u32(o, path, "fileMode", &d->file_mode, &d->has_file_mode, p->err) < 0 ||
        oci_get_u32(o, path, "uid", &d->uid, &d->has_uid, p->err) < 0 ||
        oci_get_u32(o, path, "gid", &d->gid, &d->has_gid, p->err) < 0)
        return -1;
    if (d->path == NULL || d->type == NULL)
        return kpod_err_input(p->err, "'%s': 'path' and 'type' are required", path);
    d->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_sections(const json_t *o, const char *path, struct kpod_oci_linux *l, struct oci_parser *p)
{
    json_t *sub = NULL;
    if (oci_get_obj(o, path, "resources", &sub, p->err) < 0)
        return -1;
    if (sub != NULL) {
        _cleanup_free_ char *rp = oci_path(path, "resources");
        l->resources = xzalloc(sizeof(*l->resources));
        if (parse_resources(sub, rp, l->resources, p) < 0)
            return -1;
    }
    if (oci_get_obj(o, path, "seccomp", &sub, p->err) < 0)
        return -1;
    if (sub != NULL) {
        _cleanup_free_ char *sp = oci_path(path, "seccomp");
        l->seccomp = xzalloc(sizeof(*l->seccomp));
        if (parse_seccomp(sub, sp, l->seccomp, p) < 0)
            return -1;
    }
    return 0;
}

int
oci_parse_linux(const json_t *o, const char *path, struct kpod_oci_linux *l, struct oci_parser *p)
{
    static const char *const known[] = {
        "namespaces",    "uidMappings",       "gidMappings", "sysctl",
        "resources",     "cgroupsPath",       "seccomp",     "maskedPaths",
        "readonlyPaths", "rootfsPropagation", "devices",     NULL};
    if (oci_parse_array(o, path, "namespaces",
                        &(struct oci_array){sizeof(struct kpod_oci_namespace), parse_namespace,
                                            (void **)&l->namespaces, &l->n_namespaces},
                        p) < 0 ||
        oci_parse_array(o, path, "uidMappings",
                        &(struct oci_array){sizeof(struct kpod_oci_id_mapping), parse_idmap,
                                            (void **)&l->uid_mappings, &l->n_uid_mappings},
                        p) < 0 ||
        oci_parse_array(o, path, "gidMappings",
                        &(struct oci_array){sizeof(struct kpod_oci_id_mapping), parse_idmap,
                                            (void **)&l->gid_mappings, &l->n_gid_mappings},
                        p) < 0 ||
        oci_parse_kv(o, path, "sysctl", &l->sysctl, &l->n_sysctl, p) < 0 ||
        parse_sections(o, path, l, p) < 0 ||
        oci_get_str(o, path, "cgroupsPath", &l->cgroups_path, p->err) < 0 ||
        oci_get_strv(o, path, "maskedPaths", &l->masked_paths, p->err) < 0 ||
        oci_get_strv(o, path, "readonlyPaths", &l->readonly_paths, p->err) < 0 ||
        oci_get_str(o, path, "rootfsPropagation", &l->rootfs_propagation, p->err) < 0 ||
        oci_parse_array(o, path, "devices",
                        &(struct oci_array){sizeof(struct kpod_oci_device), parse_device,
                                            (void **)&l->devices, &l->n_devices},
                        p) < 0)
        return -1;
    l->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

/* Serialising. */

static json_t *
idmaps_to_json(const struct kpod_oci_id_mapping *m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t)m[i].container_id, "hostID",
                         (json_int_t)m[i].host_id, "size", (json_int_t)m[i].size));
    return a;
}

static void
set_i64(json_t *o, const char *key, int64_t v)
{
    if (v != KPOD_OCI_UNSET)
        json_object_set_new(o, key, json_integer(v));
}

static json_t *
resources_to_json(const struct kpod_oci_resources *r)
{
    json_t *o = oci_obj_from_extra(r->extra);
    json_t *m = oci_obj_from_extra(r->memory_extra);
    set_i64(m, "limit", r->memory_limit);
    set_i64(m, "reservation", r->memory_reservation);
    set_i64(m, "swap", r->memory_swap);
    json_t *c = oci_obj_from_extra(r->cpu_extra);
    if (r->cpu_shares)
        oci_set_u64(c, "shares", r->cpu_shares);
    set_i64(c, "quota", r->cpu_quota);
    if (r->cpu_period)
        oci_set_u64(c, "period", r->cpu_period);
    kpod_json_set_str(c, "cpus", r->cpu_cpus);
    kpod_json_set_str(c, "mems", r->cpu_mems);
    json_t *pi = oci_obj_from_extra(r->pids_extra);
    set_i64(pi, "limit", r->pids_limit);
    json_t *subs[] = {m, c, pi};
    const char *names[] = {"memory", "cpu", "pids"};
    for (size_t i = 0; i < 3; i++) {
        if (json_object_size(subs[i]) > 0)
            json_object_set_new(o, names[i], subs[i]);
        else
            json_decref(subs[i]);
    }
    if (r->devices != NULL) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->n_devices; i++) {
            const struct kpod_oci_device_rule *d = &r->devices[i];
            json_t *dj = oci_obj_from_extra(d->extra);
            json_object_set_new(dj, "allow", json_boolean(d->allow));
            kpod_json_set_str(dj, "type", d->type);
            set_i64(dj, "major", d->major);
            set_i64(dj, "minor", d->minor);
            kpod_json_set_str(dj, "access", d->access);
            json_array_append_new(a, dj);
        }
        json_object_set_new(o, "devices", a);
    }
    return o;
}

static json_t *
syscall_to_json(const struct kpod_oci_seccomp_syscall *s)
{
    json_t *o = oci_obj_from_extra(s->extra);
    oci_set_strv(o, "names", s->names);
    kpod_json_set_str(o, "action", s->action);
    if (s->has_errno_ret)
        kpod_json_set_int(o, "errnoRet", s->errno_ret);
    if (s->args != NULL) {
        json_t *a = json_array();
        for (size_t i = 0; i < s->n_args; i++) {
            const struct kpod_oci_seccomp_arg *ar = &s->args[i];
            json_t *aj = oci_obj_from_extra(ar->extra);
            kpod_json_set_int(aj, "index", ar->index);
            oci_set_u64(aj, "value", ar->value);
            if (ar->value_two)
                oci_set_u64(aj, "valueTwo", ar->value_two);
            kpod_json_set_str(aj, "op", ar->op);
            json_array_append_new(a, aj);
        }
        json_object_set_new(o, "args", a);
    }
    return o;
}

static json_t *
seccomp_to_json(const struct kpod_oci_seccomp *s)
{
    json_t *o = oci_obj_from_extra(s->extra);
    kpod_json_set_str(o, "defaultAction", s->default_action);
    if (s->has_default_errno_ret)
        kpod_json_set_int(o, "defaultErrnoRet", s->default_errno_ret);
    oci_set_strv(o, "architectures", s->architectures);
    oci_set_strv(o, "flags", s->flags);
    if (s->syscalls != NULL) {
        json_t *a = json_array();
        for (size_t i = 0; i < s->n_syscalls; i++)
            json_array_append_new(a, syscall_to_json(&s->syscalls[i]));
        json_object_set_new(o, "syscalls", a);
    }
    return o;
}

static json_t *
device_to_json(const struct kpod_oci_device *d)
{
    json_t *o = oci_obj_from_extra(d->extra);
    kpod_json_set_str(o, "path", d->path);
    kpod_json_set_str(o, "type", d->type);
    kpod_json_set_int(o, "major", d->major);
    kpod_json_set_int(o, "minor", d->minor);
    if (d->has_file_mode)
        kpod_json_set_int(o, "fileMode", d->file_mode);
    if (d->has_uid)
        kpod_json_set_int(o, "uid", d->uid);
    if (d->has_gid)
        kpod_json_set_int(o, "gid", d->gid);
    return o;
}

json_t *
oci_linux_to_json(const struct kpod_oci_linux *l)
{
    json_t *o = oci_obj_from_extra(l->extra);
    if (l->namespaces != NULL) {
        json_t *a = json_array();
        for (size_t i = 0; i < l->n_namespaces; i++) {
            json_t *n = oci_obj_from_extra(l->namespaces[i].extra);
            kpod_json_set_str(n, "type", l->namespaces[i].type);
            kpod_json_set_str(n, "path", l->namespaces[i].path);
            json_array_append_new(a, n);
        }
        json_object_set_new(o, "namespaces", a);
    }
    if (l->uid_mappings != NULL)
        json_object_set_new(o, "uidMappings", idmaps_to_json(l->uid_mappings, l->n_uid_mappings));
    if (l->gid_mappings != NULL)
        json_object_set_new(o, "gidMappings", idmaps_to_json(l->gid_mappings, l->n_gid_mappings));
    if (l->sysctl != NULL)
        json_object_set_new(o, "sysctl", oci_kv_to_json(l->sysctl, l->n_sysctl));
    if (l->resources != NULL)
        json_object_set_new(o, "resources", resources_to_json(l->resources));
    kpod_json_set_str(o, "cgroupsPath", l->cgroups_path);
    if (l->seccomp != NULL)
        json_object_set_new(o, "seccomp", seccomp_to_json(l->seccomp));
    oci_set_strv(o, "maskedPaths", l->masked_paths);
    oci_set_strv(o, "readonlyPaths", l->readonly_paths);
    kpod_json_set_str(o, "rootfsPropagation", l->rootfs_propagation);
    if (l->devices != NULL) {
        json_t *a = json_array();
        for (size_t i = 0; i < l->n_devices; i++)
            json_array_append_new(a, device_to_json(&l->devices[i]));
        json_object_set_new(o, "devices", a);
    }
    return o;
}

/* Freeing. */

static void
resources_free(struct kpod_oci_resources *r)
{
    if (r == NULL)
        return;
    free(r->cpu_cpus);
    free(r->cpu_mems);
    for (size_t i = 0; i < r->n_devices; i++) {
        free(r->devices[i].type);
        free(r->devices[i].access);
        json_decref(r->devices[i].extra);
    }
    free(r->devices);
    json_decref(r->extra);
    json_decref(r->memory_extra);
    json_decref(r->cpu_extra);
    json_decref(r->pids_extra);
    free(r);
}

static void
seccomp_free(struct kpod_oci_seccomp *s)
{
    if (s == NULL)
        return;
    free(s->default_action);
    kpod_strv_free(s->architectures);
    kpod_strv_free(s->flags);
    for (size_t i = 0; i < s->n_syscalls; i++) {
        struct kpod_oci_seccomp_syscall *sc = &s->syscalls[i];
        kpod_strv_free(sc->names);
        free(sc->action);
        for (size_t j = 0; j < sc->n_args; j++) {
            free(sc->args[j].op);
            json_decref(sc->args[j].extra);
        }
        free(sc->args);
        json_decref(sc->extra);
    }
    free(s->syscalls);
    json_decref(s->extra);
    free(s);
}

void
oci_linux_free(struct kpod_oci_linux *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n_namespaces; i++) {
        free(l->namespaces[i].type);
        free(l->namespaces[i].path);
        json_decref(l->namespaces[i].extra);
    }
    free(l->namespaces);
    free(l->uid_mappings);
    free(l->gid_mappings);
    oci_kv_free(l->sysctl, l->n_sysctl);
    resources_free(l->resources);
    free(l->cgroups_path);
    seccomp_free(l->seccomp);
    kpod_strv_free(l->masked_paths);
    kpod_strv_free(l->readonly_paths);
    free(l->rootfs_propagation);
    for (size_t i = 0; i < l->n_devices; i++) {
        free(l->devices[i].path);
        free(l->devices[i].type);
        json_decref(l->devices[i].extra);
    }
    free(l->devices);
    json_decref(l->extra);
    free(l);
}
