/* Pod fields: metadata, spec, volumes, pod securityContext, DNS and host aliases. */
#include "manifest/internal.h"

#include <limits.h>
#include <string.h>

#define OFF(f) offsetof(struct kpod_pod, f)

int
parse_seccomp(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_seccomp_profile *sp = obj;
    struct {
        char *type, *localhost;
    } raw = {0};
    static const struct field fields[] = {
        {"type", F_STR, 0, NULL},
        {"localhostProfile", F_STR, sizeof(char *), NULL},
        {NULL, 0, 0, NULL},
    };
    if (y_is_null(n))
        return 0;
    if (y_walk_map(y, n, fields, &raw) < 0)
        return -1;
    if (raw.type == NULL)
        return y_err_key(y, n, "type", "required");
    if (strcmp(raw.type, "RuntimeDefault") == 0)
        sp->type = KPOD_SECCOMP_RUNTIME_DEFAULT;
    else if (strcmp(raw.type, "Unconfined") == 0)
        sp->type = KPOD_SECCOMP_UNCONFINED;
    else if (strcmp(raw.type, "Localhost") == 0)
        sp->type = KPOD_SECCOMP_LOCALHOST;
    else
        return y_err_key(y, n, "type", "'%s' must be RuntimeDefault, Unconfined or Localhost",
                         raw.type);
    if (sp->type == KPOD_SECCOMP_LOCALHOST) {
        if (raw.localhost == NULL || *raw.localhost == '\0')
            return y_err_key(y, n, "localhostProfile", "required for type Localhost");
        if (raw.localhost[0] == '/' || strstr(raw.localhost, "..") != NULL)
            return y_err_key(y, n, "localhostProfile", "'%s' must be a relative path without '..'",
                             raw.localhost);
    } else if (raw.localhost != NULL) {
        return y_err_key(y, n, "localhostProfile", "only allowed with type Localhost");
    }
    sp->localhost_profile = raw.localhost;
    return 0;
}

/* ---- metadata ---- */

static const struct field meta_fields[] = {
    {"name", F_STR, OFF(name), NULL},
    {"namespace", F_STR, OFF(namespace), NULL},
    {"labels", F_KV, OFF(labels), NULL},
    {"annotations", F_KV, OFF(annotations), NULL},
    {"generateName", F_UNSUPPORTED, 0, NULL},
    {"uid", F_IGNORE, 0, NULL},
    {"resourceVersion", F_IGNORE, 0, NULL},
    {"generation", F_IGNORE, 0, NULL},
    {"creationTimestamp", F_IGNORE, 0, NULL},
    {"deletionTimestamp", F_IGNORE, 0, NULL},
    {"deletionGracePeriodSeconds", F_IGNORE, 0, NULL},
    {"selfLink", F_IGNORE, 0, NULL},
    {"managedFields", F_IGNORE, 0, NULL},
    {"ownerReferences", F_IGNORE, 0, NULL},
    {"finalizers", F_IGNORE, 0, NULL},
    {NULL, 0, 0, NULL},
};

int
parse_object_meta(struct yctx *y, yaml_node_t *n, struct kpod_pod *pod)
{
    return y_is_null(n) ? 0 : y_walk_map(y, n, meta_fields, pod);
}

/* ---- volumes ---- */

struct emptydir_raw {
    char *medium, *size_limit;
};

static int
parse_emptydir(struct yctx *y, yaml_node_t *n, struct kpod_volume *v)
{
    static const struct field fields[] = {
        {"medium", F_STR, offsetof(struct emptydir_raw, medium), NULL},
        {"sizeLimit", F_STR, offsetof(struct emptydir_raw, size_limit), NULL},
        {NULL, 0, 0, NULL},
    };
    struct emptydir_raw raw = {0};
    v->type = KPOD_VOLUME_EMPTYDIR;
    if (!y_is_null(n) && y_walk_map(y, n, fields, &raw) < 0)
        return -1;
    if (raw.medium != NULL && strcmp(raw.medium, "Memory") == 0)
        v->memory = true;
    else if (raw.medium != NULL && *raw.medium != '\0')
        return y_err_key(y, n, "medium", "'%s' must be \"\" or Memory", raw.medium);
    if (raw.size_limit != NULL &&
        (kpod_quantity_parse(raw.size_limit, false, &v->size_limit) < 0 || v->size_limit == 0))
        return y_err_key(y, n, "sizeLimit", "invalid quantity '%s'", raw.size_limit);
    if (raw.size_limit != NULL && !v->memory)
        y_warn_key(y, n, "sizeLimit",
                   "not enforced for a disk-backed emptyDir (only medium: Memory has a size)");
    return 0;
}

static int
parse_hostpath(struct yctx *y, yaml_node_t *n, struct kpod_volume *v)
{
    static const char *const types[] = {
        "",       "DirectoryOrCreate", "Directory",  "FileOrCreate", "File",
        "Socket", "CharDevice",        "BlockDevice"};
    struct {
        char *path, *type;
    } raw = {0};
    static const struct field fields[] = {
        {"path", F_STR, 0, NULL},
        {"type", F_STR, sizeof(char *), NULL},
        {NULL, 0, 0, NULL},
    };
    v->type = KPOD_VOLUME_HOSTPATH;
    if (y_walk_map(y, n, fields, &raw) < 0)
        return -1;
    if (raw.path == NULL || raw.path[0] != '/')
        return y_err_key(y, n, "path", raw.path ? "'%s' must be an absolute path" : "required",
                         raw.path);
    v->path = raw.path;
    if (raw.type == NULL)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        if (strcmp(raw.type, types[i]) == 0) {
            v->hostpath_type = (enum kpod_hostpath_type)i;
            return 0;
        }
    }
    return y_err_key(y, n, "type", "unknown hostPath type '%s'", raw.type);
}

static int
parse_mode(struct yctx *y, yaml_node_t *n, int *ret)
{
    long long m = 0;
    if (y_ll(y, n, 0, 0777, &m) < 0)
        return -1;
    *ret = (int)m;
    return 0;
}

static int
parse_items(struct yctx *y, yaml_node_t *n, struct kpod_volume *v)
{
    if (y_seq_len(y, n, &v->n_items) < 0)
        return -1;
    v->items = arena_array(y->a, v->n_items ? v->n_items : 1, sizeof(*v->items));
    for (size_t i = 0; i < v->n_items; i++) {
        size_t saved = 0;
        struct kpod_key_to_path *it = &v->items[i];
        yaml_node_t *in = y_seq_item(y, n, i, &saved);
        static const struct field fields[] = {
            {"key", F_STR, offsetof(struct kpod_key_to_path, key), NULL},
            {"path", F_STR, offsetof(struct kpod_key_to_path, path), NULL},
            {"mode", F_IGNORE, 0, NULL},
            {NULL, 0, 0, NULL},
        };
        it->mode = -1;
        if (in == NULL || y_walk_map(y, in, fields, it) < 0)
            return -1;
        if (it->key == NULL)
            return y_err_key(y, in, "key", "required");
        if (it->path == NULL || *it->path == '\0')
            return y_err_key(y, in, "path", "required");
        if (it->path[0] == '/' || strstr(it->path, "..") != NULL)
            return y_err_key(y, in, "path", "'%s' must be a relative path without '..'", it->path);
        yaml_node_t *mode = y_map_get(y, in, "mode");
        if (mode != NULL && !y_is_null(mode)) {
            size_t s2 = y_push_key(y, "mode");
            if (parse_mode(y, mode, &it->mode) < 0)
                return -1;
            y_pop(y, s2);
        }
        y_pop(y, saved);
    }
    return 0;
}

/* configMap: {name, items, defaultMode, optional}; secret: {secretName, ...} */
static int
parse_projected_source(struct yctx *y, yaml_node_t *n, struct kpod_volume *v, bool secret)
{
    static const struct field fields[] = {
        {"name", F_STR, offsetof(struct kpod_volume, source), NULL},
        {"secretName", F_STR, offsetof(struct kpod_volume, source), NULL},
        {"optional", F_BOOL, offsetof(struct kpod_volume, optional), NULL},
        {"items", F_IGNORE, 0, NULL},
        {"defaultMode", F_IGNORE, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    v->type = secret ? KPOD_VOLUME_SECRET : KPOD_VOLUME_CONFIGMAP;
    v->default_mode = 0644;
    if (y_walk_map(y, n, fields, v) < 0)
        return -1;
    const char *want = secret ? "secretName" : "name";
    if (y_map_get(y, n, secret ? "name" : "secretName") != NULL)
        return y_err_key(y, n, secret ? "name" : "secretName", "unknown field: use '%s'", want);
    if (v->source == NULL || *v->source == '\0')
        return y_err_key(y, n, want, "required");
    yaml_node_t *dm = y_map_get(y, n, "defaultMode");
    if (dm != NULL && !y_is_null(dm)) {
        size_t saved = y_push_key(y, "defaultMode");
        if (parse_mode(y, dm, &v->default_mode) < 0)
            return -1;
        y_pop(y, saved);
    }
    yaml_node_t *items = y_map_get(y, n, "items");
    if (items != NULL) {
        size_t saved = y_push_key(y, "items");
        if (parse_items(y, items, v) < 0)
            return -1;
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_pvc(struct yctx *y, yaml_node_t *n, struct kpod_volume *v)
{
    static const struct field fields[] = {
        {"claimName", F_STR, offsetof(struct kpod_volume, claim), NULL},
        {"readOnly", F_BOOL, offsetof(struct kpod_volume, read_only), NULL},
        {NULL, 0, 0, NULL},
    };
    v->type = KPOD_VOLUME_PVC;
    if (y_walk_map(y, n, fields, v) < 0)
        return -1;
    if (v->claim == NULL || !kpod_is_dns1123_subdomain(v->claim))
        return y_err_key(y, n, "claimName", v->claim ? "'%s' is not a valid name" : "required",
                         v->claim);
    return 0;
}

static int
parse_volume(struct yctx *y, yaml_node_t *n, struct kpod_volume *v)
{
    v->pos = y_pos(y, n);
    v->size_limit = KPOD_UNSET;
    if (y_expect_map(y, n) < 0)
        return -1;
    int sources = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = y_node(y, p->key), *val = y_node(y, p->value);
        if (k == NULL || val == NULL)
            return -1;
        const char *key = y_scalar(k);
        if (key == NULL)
            return y_err(y, k, "mapping keys must be strings");
        size_t saved = y_push_key(y, key);
        int r = 0;
        if (strcmp(key, "name") == 0) {
            r = y_str(y, val, &v->name);
            sources--;
        } else if (strcmp(key, "emptyDir") == 0) {
            r = parse_emptydir(y, val, v);
        } else if (strcmp(key, "hostPath") == 0) {
            r = parse_hostpath(y, val, v);
        } else if (strcmp(key, "configMap") == 0 || strcmp(key, "secret") == 0) {
            r = parse_projected_source(y, val, v, key[0] == 's');
        } else if (strcmp(key, "persistentVolumeClaim") == 0) {
            r = parse_pvc(y, val, v);
        } else {
            y_pop(y, saved);
            return y_err_key(y, k, key,
                             "volume type not supported by kpod (supported: "
                             "emptyDir, hostPath, configMap, secret, "
                             "persistentVolumeClaim)");
        }
        y_pop(y, saved);
        if (r < 0)
            return -1;
        sources++;
    }
    if (v->name == NULL || *v->name == '\0')
        return y_err_key(y, n, "name", "required");
    if (!kpod_is_dns1123_label(v->name))
        return y_err_key(y, n, "name", "'%s' is not a valid volume name", v->name);
    if (sources != 1) /* "name" counted -1 */
        return y_err(y, n, "volume '%s' needs exactly one volume source", v->name);
    return 0;
}

static int
parse_volumes(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_pod *pod = obj;
    if (y_seq_len(y, n, &pod->n_volumes) < 0)
        return -1;
    pod->volumes = arena_array(y->a, pod->n_volumes ? pod->n_volumes : 1, sizeof(*pod->volumes));
    for (size_t i = 0; i < pod->n_volumes; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || parse_volume(y, it, &pod->volumes[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(pod->volumes[j].name, pod->volumes[i].name) == 0)
                return y_err_key(y, it, "name", "duplicate volume name '%s'", pod->volumes[i].name);
        y_pop(y, saved);
    }
    return 0;
}

/* ---- containers ---- */

static int
parse_container_list(struct yctx *y, yaml_node_t *n, struct kpod_pod *pod, bool init)
{
    size_t len = 0;
    if (y_seq_len(y, n, &len) < 0)
        return -1;
    if (len > 128)
        return y_err(y, n, "more than 128 containers");
    struct kpod_container *all =
        arena_array(y->a, pod->n_containers + len + 1, sizeof(struct kpod_container));
    /* init containers come first */
    size_t before = init ? 0 : pod->n_containers;
    if (pod->n_containers > 0)
        memcpy(init ? all + len : all, pod->containers, pod->n_containers * sizeof(*all));
    for (size_t i = 0; i < len; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        struct kpod_container *c = &all[before + i];
        c->init = init; /* before the walk: restartPolicy depends on it */
        if (it == NULL || parse_container(y, it, c) < 0)
            return -1;
        y_pop(y, saved);
    }
    pod->containers = all;
    pod->n_containers += len;
    if (init)
        pod->n_init += len;
    return 0;
}

static int
parse_containers(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_container_list(y, n, obj, false);
}

static int
parse_init_containers(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_container_list(y, n, obj, true);
}

/* ---- the rest of the spec ---- */

static int
parse_restart_policy(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_pod *pod = obj;
    const char *s = y_scalar(n);
    if (y_is_null(n))
        return 0;
    if (s != NULL && strcmp(s, "Always") == 0)
        pod->restart_policy = KPOD_RESTART_ALWAYS;
    else if (s != NULL && strcmp(s, "OnFailure") == 0)
        pod->restart_policy = KPOD_RESTART_ON_FAILURE;
    else if (s != NULL && strcmp(s, "Never") == 0)
        pod->restart_policy = KPOD_RESTART_NEVER;
    else
        return y_err(y, n, "'%s' must be Always, OnFailure or Never", s ? s : "");
    return 0;
}

static int
parse_dns_option(struct yctx *y, yaml_node_t *n, struct kpod_kv *kv)
{
    static const struct field fields[] = {
        {"name", F_STR, offsetof(struct kpod_kv, key), NULL},
        {"value", F_STR, offsetof(struct kpod_kv, value), NULL},
        {NULL, 0, 0, NULL},
    };
    if (y_walk_map(y, n, fields, kv) < 0)
        return -1;
    if (kv->key == NULL || *kv->key == '\0')
        return y_err_key(y, n, "name", "required");
    return 0;
}

static int
parse_dns_options(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_pod *pod = obj;
    struct kpod_kvlist *l = &pod->dns_options;
    if (y_seq_len(y, n, &l->n) < 0)
        return -1;
    l->items = arena_array(y->a, l->n ? l->n : 1, sizeof(*l->items));
    for (size_t i = 0; i < l->n; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || parse_dns_option(y, it, &l->items[i]) < 0)
            return -1;
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_dns_config(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"nameservers", F_STRV, OFF(dns_nameservers), NULL},
        {"searches", F_STRV, OFF(dns_searches), NULL},
        {"options", F_FN, 0, parse_dns_options},
        {NULL, 0, 0, NULL},
    };
    struct kpod_pod *pod = obj;
    if (y_is_null(n))
        return 0;
    if (y_walk_map(y, n, fields, pod) < 0)
        return -1;
    if (kpod_strv_len(pod->dns_nameservers) > 3)
        return y_err_key(y, n, "nameservers", "at most 3 nameservers");
    if (kpod_strv_len(pod->dns_searches) > 32)
        return y_err_key(y, n, "searches", "at most 32 search domains");
    return 0;
}

static bool
valid_ip(const char *s)
{
    /* pure check: dotted quad or a plausible IPv6 literal */
    int parts = 0, digits = 0, val = 0;
    if (strchr(s, ':') != NULL) {
        for (const char *p = s; *p; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
                  (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
                return false;
        return strlen(s) >= 2 && strlen(s) <= 45;
    }
    for (const char *p = s;; p++) {
        if (*p >= '0' && *p <= '9') {
            val = val * 10 + (*p - '0');
            if (++digits > 3 || val > 255)
                return false;
        } else if (*p == '.' || *p == '\0') {
            if (digits == 0)
                return false;
            parts++, digits = 0, val = 0;
            if (*p == '\0')
                break;
        } else {
            return false;
        }
    }
    return parts == 4;
}

static int
parse_host_aliases(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"ip", F_STR, offsetof(struct kpod_host_alias, ip), NULL},
        {"hostnames", F_STRV, offsetof(struct kpod_host_alias, hostnames), NULL},
        {NULL, 0, 0, NULL},
    };
    struct kpod_pod *pod = obj;
    if (y_seq_len(y, n, &pod->n_host_aliases) < 0)
        return -1;
    pod->host_aliases = arena_array(y->a, pod->n_host_aliases + 1, sizeof(*pod->host_aliases));
    for (size_t i = 0; i < pod->n_host_aliases; i++) {
        size_t saved = 0;
        struct kpod_host_alias *ha = &pod->host_aliases[i];
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || y_walk_map(y, it, fields, ha) < 0)
            return -1;
        if (ha->ip == NULL || !valid_ip(ha->ip))
            return y_err_key(y, it, "ip", ha->ip ? "'%s' is not an IP address" : "required",
                             ha->ip);
        for (char **h = ha->hostnames; h && *h; h++)
            if (!kpod_is_dns1123_subdomain(*h))
                return y_err_key(y, it, "hostnames", "'%s' is not a valid host name", *h);
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_supplemental_groups(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_pod *pod = obj;
    if (y_seq_len(y, n, &pod->n_supplemental_groups) < 0)
        return -1;
    pod->supplemental_groups = arena_array(y->a, pod->n_supplemental_groups + 1, sizeof(long long));
    for (size_t i = 0; i < pod->n_supplemental_groups; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || y_ll(y, it, 0, UINT32_MAX - 1, &pod->supplemental_groups[i]) < 0)
            return -1;
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_sysctls(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_pod *pod = obj;
    struct kpod_kvlist *l = &pod->sysctls;
    if (y_seq_len(y, n, &l->n) < 0)
        return -1;
    l->items = arena_array(y->a, l->n ? l->n : 1, sizeof(*l->items));
    for (size_t i = 0; i < l->n; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || parse_dns_option(y, it, &l->items[i]) < 0)
            return -1;
        if (l->items[i].value == NULL)
            return y_err_key(y, it, "value", "required");
        for (const char *p = l->items[i].key; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
                  *p == '-' || *p == '/'))
                return y_err_key(y, it, "name", "invalid sysctl name '%s'", l->items[i].key);
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_pod_seccomp(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_seccomp(y, n, &((struct kpod_pod *)obj)->seccomp);
}

static int
parse_pod_security_context(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"runAsUser", F_LL, OFF(run_as_user), NULL},
        {"runAsGroup", F_LL, OFF(run_as_group), NULL},
        {"runAsNonRoot", F_TRI, OFF(run_as_non_root), NULL},
        {"fsGroup", F_LL, OFF(fs_group), NULL},
        {"supplementalGroups", F_FN, 0, parse_supplemental_groups},
        {"sysctls", F_FN, 0, parse_sysctls},
        {"seccompProfile", F_FN, 0, parse_pod_seccomp},
        {"fsGroupChangePolicy", F_UNSUPPORTED, 0, NULL},
        {"seLinuxOptions", F_UNSUPPORTED, 0, NULL},
        {"appArmorProfile", F_UNSUPPORTED, 0, NULL},
        {"windowsOptions", F_UNSUPPORTED, 0, NULL},
        {"supplementalGroupsPolicy", F_UNSUPPORTED, 0, NULL},
        {"seLinuxChangePolicy", F_UNSUPPORTED, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    return y_is_null(n) ? 0 : y_walk_map(y, n, fields, obj);
}

static const struct field pod_spec_fields[] = {
    {"containers", F_FN, 0, parse_containers},
    {"initContainers", F_FN, 0, parse_init_containers},
    {"volumes", F_FN, 0, parse_volumes},
    {"restartPolicy", F_FN, 0, parse_restart_policy},
    {"hostname", F_STR, OFF(hostname), NULL},
    {"subdomain", F_STR, OFF(subdomain), NULL},
    {"hostNetwork", F_BOOL, OFF(host_network), NULL},
    {"hostPID", F_BOOL, OFF(host_pid), NULL},
    {"hostIPC", F_BOOL, OFF(host_ipc), NULL},
    {"shareProcessNamespace", F_BOOL, OFF(share_pid), NULL},
    {"dnsPolicy", F_STR, OFF(dns_policy), NULL},
    {"dnsConfig", F_FN, 0, parse_dns_config},
    {"hostAliases", F_FN, 0, parse_host_aliases},
    {"securityContext", F_FN, 0, parse_pod_security_context},
    {"terminationGracePeriodSeconds", F_LL, OFF(termination_grace_seconds), NULL},
    {"activeDeadlineSeconds", F_LL, OFF(active_deadline_seconds), NULL},
    {"nodeName", F_UNSUPPORTED, 0, NULL},
    {"nodeSelector", F_UNSUPPORTED, 0, NULL},
    {"affinity", F_UNSUPPORTED, 0, NULL},
    {"tolerations", F_UNSUPPORTED, 0, NULL},
    {"schedulerName", F_UNSUPPORTED, 0, NULL},
    {"priority", F_UNSUPPORTED, 0, NULL},
    {"priorityClassName", F_UNSUPPORTED, 0, NULL},
    {"serviceAccountName", F_UNSUPPORTED, 0, NULL},
    {"serviceAccount", F_UNSUPPORTED, 0, NULL},
    {"automountServiceAccountToken", F_UNSUPPORTED, 0, NULL},
    {"imagePullSecrets", F_UNSUPPORTED, 0, NULL},
    {"topologySpreadConstraints", F_UNSUPPORTED, 0, NULL},
    {"readinessGates", F_UNSUPPORTED, 0, NULL},
    {"runtimeClassName", F_UNSUPPORTED, 0, NULL},
    {"enableServiceLinks", F_UNSUPPORTED, 0, NULL},
    {"preemptionPolicy", F_UNSUPPORTED, 0, NULL},
    {"overhead", F_UNSUPPORTED, 0, NULL},
    {"ephemeralContainers", F_UNSUPPORTED, 0, NULL},
    {"setHostnameAsFQDN", F_UNSUPPORTED, 0, NULL},
    {"os", F_UNSUPPORTED, 0, NULL},
    {"hostUsers", F_UNSUPPORTED, 0, NULL},
    {"schedulingGates", F_UNSUPPORTED, 0, NULL},
    {"resourceClaims", F_UNSUPPORTED, 0, NULL},
    {"resources", F_UNSUPPORTED, 0, NULL},
    {NULL, 0, 0, NULL},
};

/* Only namespaced sysctls can be set for a pod, and not those of a namespace it shares with
 * the host. */
static int
check_sysctls(struct yctx *y, yaml_node_t *spec, const struct kpod_pod *pod)
{
    static const char *const ipc[] = {"kernel.shm_rmid_forced", "kernel.shmmax", "kernel.shmall",
                                      "kernel.shmmni",          "kernel.msgmax", "kernel.msgmnb",
                                      "kernel.msgmni",          "kernel.sem"};
    yaml_node_t *list = y_map_get(y, y_map_get(y, spec, "securityContext"), "sysctls");
    for (size_t i = 0; i < pod->sysctls.n; i++) {
        const char *k = pod->sysctls.items[i].key;
        bool net = kpod_str_has_prefix(k, "net."), ns = net || kpod_str_has_prefix(k, "fs.mqueue.");
        for (size_t j = 0; j < ARRAY_SIZE(ipc); j++)
            ns = ns || strcmp(k, ipc[j]) == 0;
        const char *why = !ns                        ? "is not namespaced: it would change the host"
                          : net && pod->host_network ? "cannot be set with hostNetwork"
                          : !net && pod->host_ipc    ? "cannot be set with hostIPC"
                                                     : NULL;
        if (why == NULL)
            continue;
        y_push_key(y, "securityContext.sysctls"); /* the error ends the walk: no pop */
        y_push_index(y, i);
        yaml_node_t *item = list ? y_node(y, list->data.sequence.items.start[i]) : spec;
        return y_err(y, item, "sysctl '%s' %s", k, why);
    }
    return 0;
}

int
parse_pod_spec(struct yctx *y, yaml_node_t *n, struct kpod_pod *pod)
{
    pod->run_as_user = pod->run_as_group = pod->fs_group = KPOD_UNSET;
    pod->run_as_non_root = -1;
    pod->termination_grace_seconds = 30;
    pod->active_deadline_seconds = KPOD_UNSET;
    if (y_walk_map(y, n, pod_spec_fields, pod) < 0)
        return -1;
    if (pod->n_containers == pod->n_init)
        return y_err_key(y, n, "containers", "required: at least one container");
    if (pod->hostname != NULL && !kpod_is_dns1123_label(pod->hostname))
        return y_err_key(y, n, "hostname", "'%s' is not a valid host name", pod->hostname);
    if (pod->subdomain != NULL && !kpod_is_dns1123_label(pod->subdomain))
        return y_err_key(y, n, "subdomain", "'%s' is not a valid subdomain", pod->subdomain);
    if (pod->dns_policy != NULL && strcmp(pod->dns_policy, "ClusterFirst") != 0 &&
        strcmp(pod->dns_policy, "ClusterFirstWithHostNet") != 0 &&
        strcmp(pod->dns_policy, "Default") != 0 && strcmp(pod->dns_policy, "None") != 0)
        return y_err_key(y, n, "dnsPolicy",
                         "'%s' must be ClusterFirst, ClusterFirstWithHostNet, Default or None",
                         pod->dns_policy);
    if (pod->dns_policy != NULL && strcmp(pod->dns_policy, "None") == 0 &&
        pod->dns_nameservers == NULL)
        return y_err_key(y, n, "dnsConfig.nameservers", "required when dnsPolicy is None");
    if (pod->share_pid && pod->host_pid)
        return y_err_key(y, n, "shareProcessNamespace", "cannot be set together with hostPID");
    return check_sysctls(y, n, pod);
}
