/* Container fields: command, env, ports, mounts, resources, securityContext, lifecycle,
 * probes. */
#include "manifest/internal.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#define OFF(f) offsetof(struct kpod_container, f)

static bool
valid_env_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (const char *p = s; *p; p++)
        if (*p == '=' || *p < 0x20 || *p > 0x7e)
            return false;
    return true;
}

/* configMapKeyRef / secretKeyRef */
struct keyref {
    char *name, *key;
    bool optional;
};

static const struct field keyref_fields[] = {
    {"name", F_STR, offsetof(struct keyref, name), NULL},
    {"key", F_STR, offsetof(struct keyref, key), NULL},
    {"optional", F_BOOL, offsetof(struct keyref, optional), NULL},
    {NULL, 0, 0, NULL},
};

struct fieldref {
    char *field_path, *api_version;
};

static const struct field fieldref_fields[] = {
    {"fieldPath", F_STR, offsetof(struct fieldref, field_path), NULL},
    {"apiVersion", F_STR, offsetof(struct fieldref, api_version), NULL},
    {NULL, 0, 0, NULL},
};

struct resref {
    char *resource, *container, *divisor;
};

static const struct field resref_fields[] = {
    {"resource", F_STR, offsetof(struct resref, resource), NULL},
    {"containerName", F_STR, offsetof(struct resref, container), NULL},
    {"divisor", F_STR, offsetof(struct resref, divisor), NULL},
    {NULL, 0, 0, NULL},
};

static bool
valid_field_path(const char *p)
{
    static const char *const plain[] = {"metadata.name",
                                        "metadata.namespace",
                                        "metadata.uid",
                                        "spec.nodeName",
                                        "spec.serviceAccountName",
                                        "status.hostIP",
                                        "status.hostIPs",
                                        "status.podIP",
                                        "status.podIPs"};
    for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
        if (strcmp(p, plain[i]) == 0)
            return true;
    if (strcmp(p, "metadata.labels") == 0 || strcmp(p, "metadata.annotations") == 0)
        return true;
    const char *rest = NULL;
    if (kpod_str_has_prefix(p, "metadata.labels['"))
        rest = p + strlen("metadata.labels['");
    else if (kpod_str_has_prefix(p, "metadata.annotations['"))
        rest = p + strlen("metadata.annotations['");
    return rest != NULL && strlen(rest) > 2 && kpod_str_has_suffix(rest, "']");
}

static bool
valid_resource(const char *r)
{
    static const char *const ok[] = {
        "limits.cpu",   "limits.memory",   "limits.ephemeral-storage",
        "requests.cpu", "requests.memory", "requests.ephemeral-storage"};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        if (strcmp(r, ok[i]) == 0)
            return true;
    return false;
}

static int
parse_value_from(struct yctx *y, yaml_node_t *n, struct kpod_env_var *e)
{
    struct keyref kr = {0};
    struct fieldref fr = {0};
    struct resref rr = {0};
    int sources = 0;
    if (y_expect_map(y, n) < 0)
        return -1;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = y_node(y, p->key), *v = y_node(y, p->value);
        if (k == NULL || v == NULL)
            return -1;
        const char *key = y_scalar(k);
        if (key == NULL)
            return y_err(y, k, "mapping keys must be strings");
        size_t saved = y_push_key(y, key);
        int r = 0;
        if (strcmp(key, "configMapKeyRef") == 0 || strcmp(key, "secretKeyRef") == 0) {
            e->source = key[0] == 'c' ? KPOD_ENV_CONFIGMAP_KEY : KPOD_ENV_SECRET_KEY;
            r = y_walk_map(y, v, keyref_fields, &kr);
            if (r == 0 && (kr.name == NULL || kr.key == NULL))
                r = y_err_key(y, v, kr.name == NULL ? "name" : "key", "required");
            e->ref_name = kr.name, e->ref_key = kr.key, e->optional = kr.optional;
        } else if (strcmp(key, "fieldRef") == 0) {
            e->source = KPOD_ENV_FIELD;
            r = y_walk_map(y, v, fieldref_fields, &fr);
            if (r == 0 && fr.field_path == NULL)
                r = y_err_key(y, v, "fieldPath", "required");
            else if (r == 0 && !valid_field_path(fr.field_path))
                r = y_err_key(y, v, "fieldPath", "unsupported field path '%s'", fr.field_path);
            e->field_path = fr.field_path;
        } else if (strcmp(key, "resourceFieldRef") == 0) {
            e->source = KPOD_ENV_RESOURCE;
            r = y_walk_map(y, v, resref_fields, &rr);
            if (r == 0 && rr.resource == NULL)
                r = y_err_key(y, v, "resource", "required");
            else if (r == 0 && !valid_resource(rr.resource))
                r = y_err_key(y, v, "resource", "unsupported resource '%s'", rr.resource);
            e->resource = rr.resource;
            e->resource_ctr = rr.container;
            /* the default divisor is 1 unit: one core (1000m) or one byte */
            e->divisor = (rr.resource && strstr(rr.resource, "cpu")) ? 1000 : 1;
            if (r == 0 && rr.divisor != NULL &&
                (kpod_quantity_parse(rr.divisor, strstr(rr.resource, "cpu") != NULL, &e->divisor) <
                     0 ||
                 e->divisor <= 0))
                r = y_err_key(y, v, "divisor", "invalid quantity '%s'", rr.divisor);
        } else {
            y_warn(y, k, "unknown field, ignored");
            y_pop(y, saved);
            continue;
        }
        y_pop(y, saved);
        if (r < 0)
            return -1;
        sources++;
    }
    if (sources != 1)
        return y_err(y, n,
                     "exactly one of configMapKeyRef, secretKeyRef, fieldRef or "
                     "resourceFieldRef is required");
    return 0;
}

static int
parse_env_item(struct yctx *y, yaml_node_t *n, struct kpod_env_var *e)
{
    static const struct field fields[] = {
        {"name", F_STR, offsetof(struct kpod_env_var, name), NULL},
        {"value", F_STR, offsetof(struct kpod_env_var, value), NULL},
        {"valueFrom", F_IGNORE, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    e->pos = y_pos(y, n);
    if (y_walk_map(y, n, fields, e) < 0)
        return -1;
    if (e->name == NULL)
        return y_err_key(y, n, "name", "required");
    if (!valid_env_name(e->name))
        return y_err_key(y, n, "name", "invalid environment variable name '%s'", e->name);
    yaml_node_t *vf = y_map_get(y, n, "valueFrom");
    if (vf != NULL && !y_is_null(vf)) {
        if (e->value != NULL && *e->value != '\0')
            return y_err_key(y, n, "valueFrom", "may not be set together with value");
        size_t saved = y_push_key(y, "valueFrom");
        if (parse_value_from(y, vf, e) < 0)
            return -1;
        y_pop(y, saved);
    } else if (e->value == NULL) {
        e->value = arena_strdup(y->a, "");
    }
    return 0;
}

static int
parse_env(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_container *c = obj;
    if (y_seq_len(y, n, &c->n_env) < 0)
        return -1;
    c->env = arena_array(y->a, c->n_env ? c->n_env : 1, sizeof(*c->env));
    for (size_t i = 0; i < c->n_env; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || parse_env_item(y, it, &c->env[i]) < 0)
            return -1;
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_env_from_item(struct yctx *y, yaml_node_t *n, struct kpod_env_from *e)
{
    struct keyref cm = {0}, sec = {0};
    static const struct field ref_fields[] = {
        {"name", F_STR, offsetof(struct keyref, name), NULL},
        {"optional", F_BOOL, offsetof(struct keyref, optional), NULL},
        {NULL, 0, 0, NULL},
    };
    e->pos = y_pos(y, n);
    if (y_expect_map(y, n) < 0)
        return -1;
    int sources = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = y_node(y, p->key), *v = y_node(y, p->value);
        if (k == NULL || v == NULL)
            return -1;
        const char *key = y_scalar(k);
        if (key == NULL)
            return y_err(y, k, "mapping keys must be strings");
        size_t saved = y_push_key(y, key);
        int r = 0;
        if (strcmp(key, "prefix") == 0) {
            r = y_is_null(v) ? 0 : y_str(y, v, &e->prefix);
        } else if (strcmp(key, "configMapRef") == 0 || strcmp(key, "secretRef") == 0) {
            struct keyref *kr = key[0] == 'c' ? &cm : &sec;
            e->kind = key[0] == 'c' ? KPOD_KEYSET_CONFIGMAP : KPOD_KEYSET_SECRET;
            r = y_walk_map(y, v, ref_fields, kr);
            if (r == 0 && kr->name == NULL)
                r = y_err_key(y, v, "name", "required");
            e->name = kr->name;
            e->optional = kr->optional;
            sources++;
        } else {
            y_warn(y, k, "unknown field, ignored");
        }
        y_pop(y, saved);
        if (r < 0)
            return -1;
    }
    if (sources != 1)
        return y_err(y, n, "exactly one of configMapRef or secretRef is required");
    return 0;
}

static int
parse_env_from(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_container *c = obj;
    if (y_seq_len(y, n, &c->n_env_from) < 0)
        return -1;
    c->env_from = arena_array(y->a, c->n_env_from ? c->n_env_from : 1, sizeof(*c->env_from));
    for (size_t i = 0; i < c->n_env_from; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || parse_env_from_item(y, it, &c->env_from[i]) < 0)
            return -1;
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_port_item(struct yctx *y, yaml_node_t *n, struct kpod_port *p)
{
    static const struct field fields[] = {
        {"name", F_STR, offsetof(struct kpod_port, name), NULL},
        {"containerPort", F_IGNORE, 0, NULL},
        {"hostPort", F_IGNORE, 0, NULL},
        {"hostIP", F_STR, offsetof(struct kpod_port, host_ip), NULL},
        {"protocol", F_STR, offsetof(struct kpod_port, protocol), NULL},
        {NULL, 0, 0, NULL},
    };
    p->pos = y_pos(y, n);
    if (y_walk_map(y, n, fields, p) < 0)
        return -1;
    const char *names[] = {"containerPort", "hostPort"};
    int *dst[] = {&p->container_port, &p->host_port};
    for (size_t i = 0; i < 2; i++) {
        yaml_node_t *v = y_map_get(y, n, names[i]);
        if (v == NULL || y_is_null(v))
            continue;
        size_t saved = y_push_key(y, names[i]);
        long long ll = 0;
        if (y_ll(y, v, LLONG_MIN, LLONG_MAX, &ll) < 0)
            return -1;
        if (ll < (i == 0 ? 1 : 0) || ll > 65535)
            return y_err(y, v, "port %lld must be between %d and 65535", ll, i == 0 ? 1 : 0);
        *dst[i] = (int)ll;
        y_pop(y, saved);
    }
    if (p->container_port == 0)
        return y_err_key(y, n, "containerPort", "required");
    if (p->protocol == NULL)
        p->protocol = arena_strdup(y->a, "TCP");
    if (strcmp(p->protocol, "TCP") != 0 && strcmp(p->protocol, "UDP") != 0 &&
        strcmp(p->protocol, "SCTP") != 0)
        return y_err_key(y, n, "protocol", "unsupported protocol '%s': want TCP, UDP or SCTP",
                         p->protocol);
    if (p->name != NULL && (strlen(p->name) > 15 || !kpod_is_dns1123_label(p->name)))
        return y_err_key(y, n, "name", "invalid port name '%s'", p->name);
    return 0;
}

static int
parse_ports(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_container *c = obj;
    if (y_seq_len(y, n, &c->n_ports) < 0)
        return -1;
    c->ports = arena_array(y->a, c->n_ports ? c->n_ports : 1, sizeof(*c->ports));
    for (size_t i = 0; i < c->n_ports; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || parse_port_item(y, it, &c->ports[i]) < 0)
            return -1;
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_mount_item(struct yctx *y, yaml_node_t *n, struct kpod_volume_mount *m)
{
    static const struct field fields[] = {
        {"name", F_STR, offsetof(struct kpod_volume_mount, name), NULL},
        {"mountPath", F_STR, offsetof(struct kpod_volume_mount, mount_path), NULL},
        {"subPath", F_STR, offsetof(struct kpod_volume_mount, sub_path), NULL},
        {"readOnly", F_BOOL, offsetof(struct kpod_volume_mount, read_only), NULL},
        {"mountPropagation", F_STR, offsetof(struct kpod_volume_mount, mount_propagation), NULL},
        {"subPathExpr", F_UNSUPPORTED, 0, NULL},
        {"recursiveReadOnly", F_UNSUPPORTED, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    m->pos = y_pos(y, n);
    if (y_walk_map(y, n, fields, m) < 0)
        return -1;
    if (m->name == NULL)
        return y_err_key(y, n, "name", "required");
    if (m->mount_path == NULL || *m->mount_path == '\0')
        return y_err_key(y, n, "mountPath", "required");
    if (m->mount_path[0] != '/')
        return y_err_key(y, n, "mountPath", "'%s' must be an absolute path", m->mount_path);
    if (strchr(m->mount_path, ':') != NULL)
        return y_err_key(y, n, "mountPath", "'%s' must not contain ':'", m->mount_path);
    if (m->sub_path != NULL && *m->sub_path != '\0') {
        if (m->sub_path[0] == '/')
            return y_err_key(y, n, "subPath", "'%s' must be a relative path", m->sub_path);
        _cleanup_strv_ char **parts = kpod_strv_split(m->sub_path, "/", true);
        for (char **p = parts; p && *p; p++)
            if (strcmp(*p, "..") == 0)
                return y_err_key(y, n, "subPath", "'%s' must not contain '..'", m->sub_path);
    } else {
        m->sub_path = NULL;
    }
    if (m->mount_propagation != NULL && strcmp(m->mount_propagation, "None") != 0 &&
        strcmp(m->mount_propagation, "HostToContainer") != 0 &&
        strcmp(m->mount_propagation, "Bidirectional") != 0)
        return y_err_key(y, n, "mountPropagation",
                         "'%s' must be None, HostToContainer or Bidirectional",
                         m->mount_propagation);
    return 0;
}

static int
parse_mounts(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_container *c = obj;
    if (y_seq_len(y, n, &c->n_mounts) < 0)
        return -1;
    c->mounts = arena_array(y->a, c->n_mounts ? c->n_mounts : 1, sizeof(*c->mounts));
    for (size_t i = 0; i < c->n_mounts; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || parse_mount_item(y, it, &c->mounts[i]) < 0)
            return -1;
        y_pop(y, saved);
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->mounts[j].mount_path, c->mounts[i].mount_path) == 0)
                return err_at(y->err, &c->mounts[i].pos,
                              "%s.volumeMounts[%zu].mountPath: "
                              "'%s' is mounted twice",
                              y->path, i, c->mounts[i].mount_path);
    }
    return 0;
}

/* limits / requests: mapping of resource name to quantity */
static int
parse_resource_list(struct yctx *y, yaml_node_t *n, long long *cpu, long long *mem, long long *eph,
                    long long *huge)
{
    struct kpod_kvlist l = {0};
    if (y_kv(y, n, &l) < 0)
        return -1;
    for (size_t i = 0; i < l.n; i++) {
        const char *k = l.items[i].key;
        long long *dst = NULL;
        bool milli = false;
        if (strcmp(k, "cpu") == 0)
            dst = cpu, milli = true;
        else if (strcmp(k, "memory") == 0)
            dst = mem;
        else if (strcmp(k, "ephemeral-storage") == 0)
            dst = eph;
        else if (strcmp(k, "hugepages-2Mi") == 0 && huge != NULL)
            dst = huge;
        if (dst == NULL) {
            y_warn_key(y, n, k, "unsupported resource, ignored");
            continue;
        }
        if (kpod_quantity_parse(l.items[i].value, milli, dst) < 0)
            return y_err_key(y, n, k, "invalid quantity '%s'", l.items[i].value);
    }
    return 0;
}

static int
parse_limits(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_resources *r = obj;
    return parse_resource_list(y, n, &r->cpu_limit, &r->mem_limit, &r->eph_limit,
                               &r->hugepages_2mi_limit);
}

static int
parse_requests(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_resources *r = obj;
    long long huge = KPOD_UNSET;
    return parse_resource_list(y, n, &r->cpu_request, &r->mem_request, &r->eph_request, &huge);
}

static int
parse_resources(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"limits", F_FN, 0, parse_limits},
        {"requests", F_FN, 0, parse_requests},
        {"claims", F_UNSUPPORTED, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    struct kpod_resources *r = &((struct kpod_container *)obj)->resources;
    if (y_is_null(n))
        return 0;
    if (y_walk_map(y, n, fields, r) < 0)
        return -1;
    /* Kubernetes: a request defaults to the limit, and may not exceed it */
    if (r->eph_limit != KPOD_UNSET)
        y_warn_key(y, n, "limits.ephemeral-storage", "not enforced by kpod");
    if (r->cpu_request == KPOD_UNSET)
        r->cpu_request = r->cpu_limit;
    if (r->mem_request == KPOD_UNSET)
        r->mem_request = r->mem_limit;
    if (r->cpu_limit != KPOD_UNSET && r->cpu_request > r->cpu_limit)
        return y_err_key(y, n, "requests.cpu", "must be less than or equal to the cpu limit");
    if (r->mem_limit != KPOD_UNSET && r->mem_request > r->mem_limit)
        return y_err_key(y, n, "requests.memory", "must be less than or equal to the memory limit");
    return 0;
}

/* Capability names: "NET_ADMIN", "CAP_NET_ADMIN", "net_admin" → "CAP_NET_ADMIN". */
static int
parse_caps(struct yctx *y, yaml_node_t *n, char ***ret)
{
    char **v = NULL;
    if (y_strv(y, n, &v) < 0)
        return -1;
    for (size_t i = 0; v && v[i]; i++) {
        const char *s = v[i];
        if (strcasecmp(s, "ALL") == 0) {
            v[i] = arena_strdup(y->a, "ALL");
            continue;
        }
        if (strncasecmp(s, "CAP_", 4) == 0)
            s += 4;
        char *up = arena_printf(y->a, "CAP_%s", s);
        for (char *p = up; *p; p++) {
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
            else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
                return y_err(y, n, "invalid capability name '%s'", v[i]);
        }
        if (*s == '\0')
            return y_err(y, n, "invalid capability name '%s'", v[i]);
        v[i] = up;
    }
    *ret = v;
    return 0;
}

static int
parse_cap_add(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_caps(y, n, &((struct kpod_security_context *)obj)->cap_add);
}

static int
parse_cap_drop(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_caps(y, n, &((struct kpod_security_context *)obj)->cap_drop);
}

static int
parse_capabilities(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"add", F_FN, 0, parse_cap_add},
        {"drop", F_FN, 0, parse_cap_drop},
        {NULL, 0, 0, NULL},
    };
    return y_is_null(n) ? 0 : y_walk_map(y, n, fields, obj);
}

static int
parse_ctr_seccomp(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_seccomp(y, n, &((struct kpod_security_context *)obj)->seccomp);
}

static int
parse_security_context(struct yctx *y, yaml_node_t *n, void *obj)
{
#define S(f) offsetof(struct kpod_security_context, f)
    static const struct field fields[] = {
        {"privileged", F_TRI, S(privileged), NULL},
        {"readOnlyRootFilesystem", F_TRI, S(read_only_root_fs), NULL},
        {"allowPrivilegeEscalation", F_TRI, S(allow_privilege_escalation), NULL},
        {"runAsNonRoot", F_TRI, S(run_as_non_root), NULL},
        {"runAsUser", F_LL, S(run_as_user), NULL},
        {"runAsGroup", F_LL, S(run_as_group), NULL},
        {"capabilities", F_FN, 0, parse_capabilities},
        {"procMount", F_STR, S(proc_mount), NULL},
        {"seccompProfile", F_FN, 0, parse_ctr_seccomp},
        {"seLinuxOptions", F_UNSUPPORTED, 0, NULL},
        {"appArmorProfile", F_UNSUPPORTED, 0, NULL},
        {"windowsOptions", F_UNSUPPORTED, 0, NULL},
        {NULL, 0, 0, NULL},
    };
#undef S
    struct kpod_security_context *s = &((struct kpod_container *)obj)->sec;
    if (y_is_null(n))
        return 0;
    if (y_walk_map(y, n, fields, s) < 0)
        return -1;
    if (s->proc_mount != NULL && strcmp(s->proc_mount, "Default") != 0 &&
        strcmp(s->proc_mount, "Unmasked") != 0)
        return y_err_key(y, n, "procMount", "'%s' must be Default or Unmasked", s->proc_mount);
    if (s->privileged == 1 && s->allow_privilege_escalation == 0)
        return y_err_key(y, n, "allowPrivilegeEscalation",
                         "cannot be false when privileged is true");
    return 0;
}

static int
parse_exec_action(struct yctx *y, yaml_node_t *n, char ***ret)
{
    static const struct field fields[] = {
        {"command", F_STRV, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    if (y_walk_map(y, n, fields, ret) < 0)
        return -1;
    if (*ret == NULL)
        return y_err_key(y, n, "command", "required");
    return 0;
}

/* A lifecycle handler or probe: exec is supported, the network kinds are warned about. */
static int
parse_handler_map(struct yctx *y, yaml_node_t *n, char ***exec, const struct field *extra,
                  void *extra_obj)
{
    if (y_expect_map(y, n) < 0)
        return -1;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = y_node(y, p->key), *v = y_node(y, p->value);
        if (k == NULL || v == NULL)
            return -1;
        const char *key = y_scalar(k);
        if (key == NULL)
            return y_err(y, k, "mapping keys must be strings");
        if (strcmp(key, "exec") == 0) {
            size_t saved = y_push_key(y, key);
            if (parse_exec_action(y, v, exec) < 0)
                return -1;
            y_pop(y, saved);
        } else if (strcmp(key, "httpGet") == 0 || strcmp(key, "tcpSocket") == 0 ||
                   strcmp(key, "grpc") == 0 || strcmp(key, "sleep") == 0) {
            y_warn_key(y, k, key, "only exec handlers are supported, ignored");
        } else if (extra == NULL) {
            y_warn_key(y, k, key, "unknown field, ignored");
        }
    }
    if (extra == NULL)
        return 0;
    /* the remaining scalar fields (probe timings) */
    return y_walk_map(y, n, extra, extra_obj);
}

static int
parse_hook(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_exec_action *a = obj;
    return y_is_null(n) ? 0 : parse_handler_map(y, n, &a->command, NULL, NULL);
}

static int
parse_post_start(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_hook(y, n, &((struct kpod_container *)obj)->post_start);
}

static int
parse_pre_stop(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_hook(y, n, &((struct kpod_container *)obj)->pre_stop);
}

static int
parse_stop_signal(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_container *c = obj;
    char *s = NULL;
    if (y_is_null(n))
        return 0;
    if (y_str(y, n, &s) < 0)
        return -1;
    c->stop_signal = kpod_signal_parse(s);
    if (c->stop_signal <= 0)
        return y_err(y, n, "invalid signal name '%s'", s);
    return 0;
}

static int
parse_lifecycle(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"postStart", F_FN, 0, parse_post_start},
        {"preStop", F_FN, 0, parse_pre_stop},
        {"stopSignal", F_FN, 0, parse_stop_signal},
        {NULL, 0, 0, NULL},
    };
    return y_is_null(n) ? 0 : y_walk_map(y, n, fields, obj);
}

static int
parse_probe(struct yctx *y, yaml_node_t *n, struct kpod_probe *pr)
{
#define P(f) offsetof(struct kpod_probe, f)
    static const struct field fields[] = {
        {"exec", F_IGNORE, 0, NULL},
        {"httpGet", F_IGNORE, 0, NULL},
        {"tcpSocket", F_IGNORE, 0, NULL},
        {"grpc", F_IGNORE, 0, NULL},
        {"initialDelaySeconds", F_INT, P(initial_delay_seconds), NULL},
        {"periodSeconds", F_INT, P(period_seconds), NULL},
        {"timeoutSeconds", F_INT, P(timeout_seconds), NULL},
        {"successThreshold", F_INT, P(success_threshold), NULL},
        {"failureThreshold", F_INT, P(failure_threshold), NULL},
        {"terminationGracePeriodSeconds", F_UNSUPPORTED, 0, NULL},
        {NULL, 0, 0, NULL},
    };
#undef P
    if (y_is_null(n))
        return 0;
    *pr = (struct kpod_probe){
        .period_seconds = 10, .timeout_seconds = 1, .success_threshold = 1, .failure_threshold = 3};
    if (parse_handler_map(y, n, &pr->exec, fields, pr) < 0)
        return -1;
    pr->set = pr->exec != NULL;
    if (pr->period_seconds < 1 || pr->timeout_seconds < 1 || pr->success_threshold < 1 ||
        pr->failure_threshold < 1)
        return y_err(y, n, "periodSeconds, timeoutSeconds and the thresholds must be at least 1");
    return 0;
}

static int
parse_liveness(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_probe(y, n, &((struct kpod_container *)obj)->liveness);
}

static int
parse_readiness(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_probe(y, n, &((struct kpod_container *)obj)->readiness);
}

static int
parse_startup(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_probe(y, n, &((struct kpod_container *)obj)->startup);
}

static int
parse_pull_policy(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_container *c = obj;
    const char *s = y_scalar(n);
    if (y_is_null(n))
        return 0;
    if (s != NULL && strcmp(s, "Always") == 0)
        c->pull_policy = KPOD_PULL_ALWAYS;
    else if (s != NULL && strcmp(s, "IfNotPresent") == 0)
        c->pull_policy = KPOD_PULL_IF_NOT_PRESENT;
    else if (s != NULL && strcmp(s, "Never") == 0)
        c->pull_policy = KPOD_PULL_NEVER;
    else
        return y_err(y, n, "'%s' must be Always, IfNotPresent or Never", s ? s : "");
    return 0;
}

/* Kubernetes 1.29 native sidecars: only an init container may set it, and only to Always. The
 * caller sets c->init before the walk. */
static int
parse_ctr_restart_policy(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_container *c = obj;
    const char *s = y_scalar(n);
    if (y_is_null(n))
        return 0;
    if (!c->init)
        return y_err(y, n,
                     "may not be set for app containers: only initContainers may set it "
                     "(to Always, for a sidecar)");
    if (s == NULL || strcmp(s, "Always") != 0)
        return y_err(y, n,
                     "'%s' is not supported: an init container's restartPolicy must be Always",
                     s ? s : "");
    c->sidecar = true;
    return 0;
}

static const struct field container_fields[] = {
    {"name", F_STR, OFF(name), NULL},
    {"image", F_STR, OFF(image), NULL},
    {"imagePullPolicy", F_FN, 0, parse_pull_policy},
    {"command", F_STRV, OFF(command), NULL},
    {"args", F_STRV, OFF(args), NULL},
    {"workingDir", F_STR, OFF(working_dir), NULL},
    {"env", F_FN, 0, parse_env},
    {"envFrom", F_FN, 0, parse_env_from},
    {"ports", F_FN, 0, parse_ports},
    {"volumeMounts", F_FN, 0, parse_mounts},
    {"resources", F_FN, 0, parse_resources},
    {"securityContext", F_FN, 0, parse_security_context},
    {"tty", F_BOOL, OFF(tty), NULL},
    {"stdin", F_BOOL, OFF(stdin_open), NULL},
    {"stdinOnce", F_BOOL, OFF(stdin_once), NULL},
    {"lifecycle", F_FN, 0, parse_lifecycle},
    {"livenessProbe", F_FN, 0, parse_liveness},
    {"readinessProbe", F_FN, 0, parse_readiness},
    {"startupProbe", F_FN, 0, parse_startup},
    {"terminationMessagePath", F_STR, OFF(termination_message_path), NULL},
    {"terminationMessagePolicy", F_IGNORE, 0, NULL},
    {"volumeDevices", F_UNSUPPORTED, 0, NULL},
    {"resizePolicy", F_UNSUPPORTED, 0, NULL},
    {"restartPolicy", F_FN, 0, parse_ctr_restart_policy},
    {NULL, 0, 0, NULL},
};

int
parse_container(struct yctx *y, yaml_node_t *n, struct kpod_container *c)
{
    c->pos = y_pos(y, n);
    c->resources = (struct kpod_resources){KPOD_UNSET, KPOD_UNSET, KPOD_UNSET, KPOD_UNSET,
                                           KPOD_UNSET, KPOD_UNSET, KPOD_UNSET};
    c->sec = (struct kpod_security_context){.privileged = -1,
                                            .read_only_root_fs = -1,
                                            .allow_privilege_escalation = -1,
                                            .run_as_non_root = -1,
                                            .run_as_user = KPOD_UNSET,
                                            .run_as_group = KPOD_UNSET};
    if (y_walk_map(y, n, container_fields, c) < 0)
        return -1;
    if (c->name == NULL || *c->name == '\0')
        return y_err_key(y, n, "name", "required");
    if (!kpod_is_dns1123_label(c->name))
        return y_err_key(y, n, "name",
                         "'%s' is not a valid name: lower case letters, digits and '-', "
                         "starting and ending with a letter or digit, at most 63 characters",
                         c->name);
    if (c->image == NULL || *c->image == '\0')
        return y_err_key(y, n, "image", "required");
    if (c->stdin_once && !c->stdin_open)
        return y_err_key(y, n, "stdinOnce", "requires stdin: true");
    return 0;
}
