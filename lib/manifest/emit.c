/* The pod model back to Kubernetes YAML, with libyaml's emitter: Pod (or a workload around its
 * template), the ConfigMaps and Secrets it references and optionally a Service. Output goes to
 * a memory buffer; strings that a YAML 1.1 or 1.2 reader would take for something else (yes,
 * on, 0755, 1e3, ~) are quoted. */
#include "manifest/internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct buf {
    char *p;
    size_t len, cap;
};

struct em {
    yaml_emitter_t e;
    struct buf out;
    bool failed;
};

static int
write_out(void *data, unsigned char *chunk, size_t size)
{
    struct buf *b = data;
    if (b->len + size + 1 > b->cap) {
        b->cap = (b->len + size + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, chunk, size);
    b->len += size;
    b->p[b->len] = '\0';
    return 1;
}

static void
emit(struct em *em, yaml_event_t *ev)
{
    if (em->failed)
        yaml_event_delete(ev);
    else if (!yaml_emitter_emit(&em->e, ev))
        em->failed = true;
}

/* ---- scalars ---- */

/* Would a YAML 1.1 or 1.2 resolver read s as something other than a string? Errs on the side
 * of quoting: a quoted string is always a string. */
static bool
ambiguous(const char *s)
{
    static const char *const words[] = {"~",    "null",  "true",  "false", "yes", "no",
                                        "on",   "off",   "y",     "n",     "<<",  "=",
                                        ".inf", "-.inf", "+.inf", ".nan"};
    if (*s == '\0')
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    const char *p = s + (*s == '-' || *s == '+');
    if (!((*p >= '0' && *p <= '9') || *p == '.'))
        return false;
    /* numbers in any base, floats, sexagesimal and dates use only these characters, and at most
     * one '.' (so addresses such as 10.0.0.1 stay plain) */
    const char *dot = strchr(p, '.');
    if (dot != NULL && strchr(dot + 1, '.') != NULL)
        return false;
    return strspn(p, "0123456789_.:-+eExXoObBaAcCdDfF") == strlen(p);
}

static void
scalar(struct em *em, const char *s, yaml_scalar_style_t style, bool implicit)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), implicit,
                                      true, style)) {
        em->failed = true;
        return;
    }
    emit(em, &ev);
}

/* A string: plain when unambiguous, literal block when it has lines, else double-quoted. */
static void
str(struct em *em, const char *s)
{
    if (ambiguous(s))
        scalar(em, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE, false);
    else if (strchr(s, '\n') != NULL)
        scalar(em, s, YAML_LITERAL_SCALAR_STYLE, false);
    else
        scalar(em, s, YAML_ANY_SCALAR_STYLE, true);
}

/* A number or boolean: plain. */
static void
plain(struct em *em, const char *s)
{
    scalar(em, s, YAML_PLAIN_SCALAR_STYLE, true);
}

static void
map_begin(struct em *em)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    emit(em, &ev);
}

static void
map_end(struct em *em)
{
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    emit(em, &ev);
}

static void
seq_begin(struct em *em)
{
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    emit(em, &ev);
}

static void
seq_end(struct em *em)
{
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    emit(em, &ev);
}

/* key: then a mapping or sequence follows */
static void
key_map(struct em *em, const char *k)
{
    str(em, k);
    map_begin(em);
}

static void
key_seq(struct em *em, const char *k)
{
    str(em, k);
    seq_begin(em);
}

static void
kv_str(struct em *em, const char *k, const char *v)
{
    if (v == NULL)
        return;
    str(em, k);
    str(em, v);
}

static void
kv_ll(struct em *em, const char *k, long long v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", v);
    str(em, k);
    plain(em, b);
}

static void
kv_bool(struct em *em, const char *k, bool v)
{
    str(em, k);
    plain(em, v ? "true" : "false");
}

/* A tristate when set. */
static void
kv_tri(struct em *em, const char *k, kpod_tristate v)
{
    if (v >= 0)
        kv_bool(em, k, v == 1);
}

static void
kv_strv(struct em *em, const char *k, char *const *v)
{
    if (v == NULL)
        return;
    key_seq(em, k);
    for (; *v; v++)
        str(em, *v);
    seq_end(em);
}

static void
kv_map(struct em *em, const char *k, const struct kpod_kvlist *l)
{
    if (l->n == 0)
        return;
    key_map(em, k);
    for (size_t i = 0; i < l->n; i++)
        kv_str(em, l->items[i].key, l->items[i].value ? l->items[i].value : "");
    map_end(em);
}

/* ---- values ---- */

/* Millicores as Kubernetes writes them: "2", "250m". */
static void
kv_cpu(struct em *em, const char *k, long long milli)
{
    char b[32];
    if (milli % 1000 == 0)
        snprintf(b, sizeof(b), "%lld", milli / 1000);
    else
        snprintf(b, sizeof(b), "%lldm", milli);
    kv_str(em, k, b);
}

/* Bytes in the largest binary suffix that divides them exactly: "64Mi", "1Gi", "1000". */
static void
kv_bytes(struct em *em, const char *k, long long v)
{
    static const char *const suffix[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
    char b[32];
    snprintf(b, sizeof(b), "%lld", v);
    for (size_t i = 0; v > 0 && i < ARRAY_SIZE(suffix); i++) {
        long long unit = 1LL << (10 * (6 - i));
        if (v % unit == 0) {
            snprintf(b, sizeof(b), "%lld%s", v / unit, suffix[i]);
            break;
        }
    }
    kv_str(em, k, b);
}

static char *
base64(const char *in, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        *o++ = tbl[v >> 18 & 63];
        *o++ = tbl[v >> 12 & 63];
        *o++ = i + 1 < len ? tbl[v >> 6 & 63] : '=';
        *o++ = i + 2 < len ? tbl[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Text a YAML document can carry as a string: UTF-8 without NUL. */
static bool
is_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t n = *p < 0x80         ? 1
                   : (*p >> 5) == 6  ? 2
                   : (*p >> 4) == 14 ? 3
                   : (*p >> 3) == 30 ? 4
                                     : 0;
        if (*p == 0 || n == 0 || (size_t)(end - p) < n)
            return false;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

static const char *
restart_policy_name(enum kpod_restart_policy rp)
{
    return rp == KPOD_RESTART_NEVER        ? "Never"
           : rp == KPOD_RESTART_ON_FAILURE ? "OnFailure"
                                           : "Always";
}

/* ---- containers ---- */

static void
emit_seccomp(struct em *em, const struct kpod_seccomp_profile *sp)
{
    static const char *const types[] = {NULL, "RuntimeDefault", "Unconfined", "Localhost"};
    if (sp->type == KPOD_SECCOMP_UNSET)
        return;
    key_map(em, "seccompProfile");
    kv_str(em, "type", types[sp->type]);
    kv_str(em, "localhostProfile", sp->localhost_profile);
    map_end(em);
}

static void
emit_env_var(struct em *em, const struct kpod_env_var *e)
{
    map_begin(em);
    kv_str(em, "name", e->name);
    if (e->source == KPOD_ENV_VALUE) {
        if (e->value != NULL && *e->value != '\0')
            kv_str(em, "value", e->value);
        map_end(em);
        return;
    }
    key_map(em, "valueFrom");
    switch (e->source) {
    case KPOD_ENV_CONFIGMAP_KEY:
    case KPOD_ENV_SECRET_KEY:
        key_map(em, e->source == KPOD_ENV_CONFIGMAP_KEY ? "configMapKeyRef" : "secretKeyRef");
        kv_str(em, "name", e->ref_name);
        kv_str(em, "key", e->ref_key);
        if (e->optional)
            kv_bool(em, "optional", true);
        map_end(em);
        break;
    case KPOD_ENV_FIELD:
        key_map(em, "fieldRef");
        kv_str(em, "fieldPath", e->field_path);
        map_end(em);
        break;
    case KPOD_ENV_RESOURCE: {
        bool cpu = strstr(e->resource, "cpu") != NULL;
        key_map(em, "resourceFieldRef");
        kv_str(em, "containerName", e->resource_ctr);
        kv_str(em, "resource", e->resource);
        if (cpu && e->divisor != 1000)
            kv_cpu(em, "divisor", e->divisor);
        else if (!cpu && e->divisor != 1)
            kv_bytes(em, "divisor", e->divisor);
        map_end(em);
        break;
    }
    case KPOD_ENV_VALUE:
        break;
    }
    map_end(em);
    map_end(em);
}

static void
emit_env(struct em *em, const struct kpod_container *c)
{
    if (c->n_env > 0) {
        key_seq(em, "env");
        for (size_t i = 0; i < c->n_env; i++)
            emit_env_var(em, &c->env[i]);
        seq_end(em);
    }
    if (c->n_env_from == 0)
        return;
    key_seq(em, "envFrom");
    for (size_t i = 0; i < c->n_env_from; i++) {
        const struct kpod_env_from *f = &c->env_from[i];
        map_begin(em);
        key_map(em, f->kind == KPOD_KEYSET_CONFIGMAP ? "configMapRef" : "secretRef");
        kv_str(em, "name", f->name);
        if (f->optional)
            kv_bool(em, "optional", true);
        map_end(em);
        kv_str(em, "prefix", f->prefix);
        map_end(em);
    }
    seq_end(em);
}

static void
emit_ports(struct em *em, const struct kpod_container *c)
{
    if (c->n_ports == 0)
        return;
    key_seq(em, "ports");
    for (size_t i = 0; i < c->n_ports; i++) {
        const struct kpod_port *p = &c->ports[i];
        map_begin(em);
        kv_str(em, "name", p->name);
        kv_ll(em, "containerPort", p->container_port);
        if (p->host_port != 0)
            kv_ll(em, "hostPort", p->host_port);
        kv_str(em, "hostIP", p->host_ip);
        kv_str(em, "protocol", p->protocol);
        map_end(em);
    }
    seq_end(em);
}

static void
emit_mounts(struct em *em, const struct kpod_container *c)
{
    if (c->n_mounts == 0)
        return;
    key_seq(em, "volumeMounts");
    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct kpod_volume_mount *vm = &c->mounts[i];
        map_begin(em);
        kv_str(em, "name", vm->name);
        kv_str(em, "mountPath", vm->mount_path);
        kv_str(em, "subPath", vm->sub_path);
        if (vm->read_only)
            kv_bool(em, "readOnly", true);
        kv_str(em, "mountPropagation", vm->mount_propagation);
        map_end(em);
    }
    seq_end(em);
}

static void
emit_resource_list(struct em *em, const char *k, long long cpu, long long mem, long long eph,
                   long long huge)
{
    if (cpu == KPOD_UNSET && mem == KPOD_UNSET && eph == KPOD_UNSET && huge == KPOD_UNSET)
        return;
    key_map(em, k);
    if (cpu != KPOD_UNSET)
        kv_cpu(em, "cpu", cpu);
    if (mem != KPOD_UNSET)
        kv_bytes(em, "memory", mem);
    if (eph != KPOD_UNSET)
        kv_bytes(em, "ephemeral-storage", eph);
    if (huge != KPOD_UNSET)
        kv_bytes(em, "hugepages-2Mi", huge);
    map_end(em);
}

static void
emit_resources(struct em *em, const struct kpod_resources *r)
{
    /* a request equal to its limit is what Kubernetes defaults it to: left out */
    long long cpu_req = r->cpu_request == r->cpu_limit ? KPOD_UNSET : r->cpu_request;
    long long mem_req = r->mem_request == r->mem_limit ? KPOD_UNSET : r->mem_request;
    if (r->cpu_limit == KPOD_UNSET && r->mem_limit == KPOD_UNSET && r->eph_limit == KPOD_UNSET &&
        r->hugepages_2mi_limit == KPOD_UNSET && cpu_req == KPOD_UNSET && mem_req == KPOD_UNSET &&
        r->eph_request == KPOD_UNSET)
        return;
    key_map(em, "resources");
    emit_resource_list(em, "limits", r->cpu_limit, r->mem_limit, r->eph_limit,
                       r->hugepages_2mi_limit);
    emit_resource_list(em, "requests", cpu_req, mem_req, r->eph_request, KPOD_UNSET);
    map_end(em);
}

/* Capabilities as Kubernetes writes them: without the CAP_ prefix. */
static void
emit_caps(struct em *em, const char *k, char *const *caps)
{
    if (caps == NULL)
        return;
    key_seq(em, k);
    for (; *caps; caps++)
        str(em, kpod_str_has_prefix(*caps, "CAP_") ? *caps + 4 : *caps);
    seq_end(em);
}

static void
emit_ctr_security(struct em *em, const struct kpod_security_context *s)
{
    if (s->privileged < 0 && s->read_only_root_fs < 0 && s->allow_privilege_escalation < 0 &&
        s->run_as_non_root < 0 && s->run_as_user == KPOD_UNSET && s->run_as_group == KPOD_UNSET &&
        s->cap_add == NULL && s->cap_drop == NULL && s->proc_mount == NULL &&
        s->seccomp.type == KPOD_SECCOMP_UNSET)
        return;
    key_map(em, "securityContext");
    kv_tri(em, "privileged", s->privileged);
    kv_tri(em, "readOnlyRootFilesystem", s->read_only_root_fs);
    kv_tri(em, "allowPrivilegeEscalation", s->allow_privilege_escalation);
    kv_tri(em, "runAsNonRoot", s->run_as_non_root);
    if (s->run_as_user != KPOD_UNSET)
        kv_ll(em, "runAsUser", s->run_as_user);
    if (s->run_as_group != KPOD_UNSET)
        kv_ll(em, "runAsGroup", s->run_as_group);
    if (s->cap_add != NULL || s->cap_drop != NULL) {
        key_map(em, "capabilities");
        emit_caps(em, "add", s->cap_add);
        emit_caps(em, "drop", s->cap_drop);
        map_end(em);
    }
    kv_str(em, "procMount", s->proc_mount);
    emit_seccomp(em, &s->seccomp);
    map_end(em);
}

static void
emit_exec(struct em *em, char *const *command)
{
    key_map(em, "exec");
    kv_strv(em, "command", command);
    map_end(em);
}

static void
emit_lifecycle(struct em *em, const struct kpod_container *c)
{
    if (c->post_start.command == NULL && c->pre_stop.command == NULL && c->stop_signal == 0)
        return;
    key_map(em, "lifecycle");
    if (c->post_start.command != NULL) {
        key_map(em, "postStart");
        emit_exec(em, c->post_start.command);
        map_end(em);
    }
    if (c->pre_stop.command != NULL) {
        key_map(em, "preStop");
        emit_exec(em, c->pre_stop.command);
        map_end(em);
    }
    if (c->stop_signal != 0)
        kv_str(em, "stopSignal", kpod_signal_name(c->stop_signal));
    map_end(em);
}

static void
emit_probe(struct em *em, const char *k, const struct kpod_probe *pr)
{
    if (!pr->set)
        return;
    key_map(em, k);
    if (pr->exec != NULL)
        emit_exec(em, pr->exec);
    kv_ll(em, "initialDelaySeconds", pr->initial_delay_seconds);
    kv_ll(em, "periodSeconds", pr->period_seconds);
    kv_ll(em, "timeoutSeconds", pr->timeout_seconds);
    kv_ll(em, "successThreshold", pr->success_threshold);
    kv_ll(em, "failureThreshold", pr->failure_threshold);
    map_end(em);
}

static void
emit_container(struct em *em, const struct kpod_container *c)
{
    static const char *const pull[] = {NULL, "Always", "IfNotPresent", "Never"};
    map_begin(em);
    kv_str(em, "name", c->name);
    kv_str(em, "image", c->image);
    kv_str(em, "imagePullPolicy", pull[c->pull_policy]);
    kv_strv(em, "command", c->command);
    kv_strv(em, "args", c->args);
    kv_str(em, "workingDir", c->working_dir);
    emit_env(em, c);
    emit_ports(em, c);
    emit_mounts(em, c);
    emit_resources(em, &c->resources);
    emit_ctr_security(em, &c->sec);
    if (c->tty)
        kv_bool(em, "tty", true);
    if (c->stdin_open)
        kv_bool(em, "stdin", true);
    if (c->stdin_once)
        kv_bool(em, "stdinOnce", true);
    emit_lifecycle(em, c);
    emit_probe(em, "livenessProbe", &c->liveness);
    emit_probe(em, "readinessProbe", &c->readiness);
    emit_probe(em, "startupProbe", &c->startup);
    kv_str(em, "terminationMessagePath", c->termination_message_path);
    map_end(em);
}

/* ---- the pod ---- */

static void
emit_key_to_paths(struct em *em, const struct kpod_volume *v)
{
    if (v->n_items == 0)
        return;
    key_seq(em, "items");
    for (size_t i = 0; i < v->n_items; i++) {
        map_begin(em);
        kv_str(em, "key", v->items[i].key);
        kv_str(em, "path", v->items[i].path);
        if (v->items[i].mode >= 0)
            kv_ll(em, "mode", v->items[i].mode);
        map_end(em);
    }
    seq_end(em);
}

static void
emit_volume(struct em *em, const struct kpod_volume *v)
{
    static const char *const hp_types[] = {
        NULL,     "DirectoryOrCreate", "Directory",  "FileOrCreate", "File",
        "Socket", "CharDevice",        "BlockDevice"};
    map_begin(em);
    kv_str(em, "name", v->name);
    switch (v->type) {
    case KPOD_VOLUME_EMPTYDIR:
        key_map(em, "emptyDir");
        if (v->memory)
            kv_str(em, "medium", "Memory");
        if (v->size_limit != KPOD_UNSET)
            kv_bytes(em, "sizeLimit", v->size_limit);
        map_end(em);
        break;
    case KPOD_VOLUME_HOSTPATH:
        key_map(em, "hostPath");
        kv_str(em, "path", v->path);
        kv_str(em, "type", hp_types[v->hostpath_type]);
        map_end(em);
        break;
    case KPOD_VOLUME_CONFIGMAP:
    case KPOD_VOLUME_SECRET:
        key_map(em, v->type == KPOD_VOLUME_CONFIGMAP ? "configMap" : "secret");
        kv_str(em, v->type == KPOD_VOLUME_CONFIGMAP ? "name" : "secretName", v->source);
        emit_key_to_paths(em, v);
        if (v->default_mode != 0644)
            kv_ll(em, "defaultMode", v->default_mode);
        if (v->optional)
            kv_bool(em, "optional", true);
        map_end(em);
        break;
    case KPOD_VOLUME_PVC:
        key_map(em, "persistentVolumeClaim");
        kv_str(em, "claimName", v->claim);
        if (v->read_only)
            kv_bool(em, "readOnly", true);
        map_end(em);
        break;
    }
    map_end(em);
}

static void
emit_dns(struct em *em, const struct kpod_pod *pod)
{
    kv_str(em, "dnsPolicy", pod->dns_policy);
    if (pod->dns_nameservers == NULL && pod->dns_searches == NULL && pod->dns_options.n == 0)
        return;
    key_map(em, "dnsConfig");
    kv_strv(em, "nameservers", pod->dns_nameservers);
    kv_strv(em, "searches", pod->dns_searches);
    if (pod->dns_options.n > 0) {
        key_seq(em, "options");
        for (size_t i = 0; i < pod->dns_options.n; i++) {
            map_begin(em);
            kv_str(em, "name", pod->dns_options.items[i].key);
            kv_str(em, "value", pod->dns_options.items[i].value);
            map_end(em);
        }
        seq_end(em);
    }
    map_end(em);
}

static void
emit_host_aliases(struct em *em, const struct kpod_pod *pod)
{
    if (pod->n_host_aliases == 0)
        return;
    key_seq(em, "hostAliases");
    for (size_t i = 0; i < pod->n_host_aliases; i++) {
        map_begin(em);
        kv_str(em, "ip", pod->host_aliases[i].ip);
        kv_strv(em, "hostnames", pod->host_aliases[i].hostnames);
        map_end(em);
    }
    seq_end(em);
}

static void
emit_pod_security(struct em *em, const struct kpod_pod *pod)
{
    if (pod->run_as_user == KPOD_UNSET && pod->run_as_group == KPOD_UNSET &&
        pod->fs_group == KPOD_UNSET && pod->run_as_non_root < 0 &&
        pod->n_supplemental_groups == 0 && pod->sysctls.n == 0 &&
        pod->seccomp.type == KPOD_SECCOMP_UNSET)
        return;
    key_map(em, "securityContext");
    if (pod->run_as_user != KPOD_UNSET)
        kv_ll(em, "runAsUser", pod->run_as_user);
    if (pod->run_as_group != KPOD_UNSET)
        kv_ll(em, "runAsGroup", pod->run_as_group);
    kv_tri(em, "runAsNonRoot", pod->run_as_non_root);
    if (pod->fs_group != KPOD_UNSET)
        kv_ll(em, "fsGroup", pod->fs_group);
    if (pod->n_supplemental_groups > 0) {
        key_seq(em, "supplementalGroups");
        for (size_t i = 0; i < pod->n_supplemental_groups; i++) {
            char b[32];
            snprintf(b, sizeof(b), "%lld", pod->supplemental_groups[i]);
            plain(em, b);
        }
        seq_end(em);
    }
    if (pod->sysctls.n > 0) {
        key_seq(em, "sysctls");
        for (size_t i = 0; i < pod->sysctls.n; i++) {
            map_begin(em);
            kv_str(em, "name", pod->sysctls.items[i].key);
            kv_str(em, "value", pod->sysctls.items[i].value);
            map_end(em);
        }
        seq_end(em);
    }
    emit_seccomp(em, &pod->seccomp);
    map_end(em);
}

static void
emit_pod_spec(struct em *em, const struct kpod_pod *pod, enum kpod_restart_policy restart)
{
    map_begin(em);
    if (pod->n_init > 0) {
        key_seq(em, "initContainers");
        for (size_t i = 0; i < pod->n_init; i++)
            emit_container(em, &pod->containers[i]);
        seq_end(em);
    }
    key_seq(em, "containers");
    for (size_t i = pod->n_init; i < pod->n_containers; i++)
        emit_container(em, &pod->containers[i]);
    seq_end(em);
    if (pod->n_volumes > 0) {
        key_seq(em, "volumes");
        for (size_t i = 0; i < pod->n_volumes; i++)
            emit_volume(em, &pod->volumes[i]);
        seq_end(em);
    }
    kv_str(em, "restartPolicy", restart_policy_name(restart));
    kv_str(em, "hostname", pod->hostname);
    kv_str(em, "subdomain", pod->subdomain);
    if (pod->host_network)
        kv_bool(em, "hostNetwork", true);
    if (pod->host_pid)
        kv_bool(em, "hostPID", true);
    if (pod->host_ipc)
        kv_bool(em, "hostIPC", true);
    if (pod->share_pid)
        kv_bool(em, "shareProcessNamespace", true);
    emit_dns(em, pod);
    emit_host_aliases(em, pod);
    emit_pod_security(em, pod);
    if (pod->termination_grace_seconds != 30)
        kv_ll(em, "terminationGracePeriodSeconds", pod->termination_grace_seconds);
    if (pod->active_deadline_seconds != KPOD_UNSET)
        kv_ll(em, "activeDeadlineSeconds", pod->active_deadline_seconds);
    map_end(em);
}

static void
emit_meta(struct em *em, const char *name, const char *ns, const struct kpod_kvlist *labels,
          const struct kpod_kvlist *annotations)
{
    if (name == NULL && (labels == NULL || labels->n == 0) &&
        (annotations == NULL || annotations->n == 0))
        return;
    key_map(em, "metadata");
    kv_str(em, "name", name);
    if (ns != NULL && strcmp(ns, "default") != 0)
        kv_str(em, "namespace", ns);
    if (labels != NULL)
        kv_map(em, "labels", labels);
    if (annotations != NULL)
        kv_map(em, "annotations", annotations);
    map_end(em);
}

static void
doc_begin(struct em *em)
{
    yaml_event_t ev;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
    emit(em, &ev);
}

static void
doc_end(struct em *em)
{
    yaml_event_t ev;
    yaml_document_end_event_initialize(&ev, 1);
    emit(em, &ev);
}

/* ---- documents ---- */

/* What one pod becomes. */
struct target {
    const char *kind, *api, *name;
    struct kpod_kvlist labels; /* the pod's, or app: NAME where a selector needs some */
    enum kpod_restart_policy restart;
};

static bool
is_workload(const char *kind)
{
    return strcmp(kind, "Pod") != 0;
}

static void
emit_pod_doc(struct em *em, const struct kpod_pod *pod, const struct target *t, long long replicas)
{
    doc_begin(em);
    map_begin(em);
    kv_str(em, "apiVersion", t->api);
    kv_str(em, "kind", t->kind);
    if (!is_workload(t->kind)) {
        emit_meta(em, t->name, pod->namespace, &t->labels, &pod->annotations);
        str(em, "spec");
        emit_pod_spec(em, pod, t->restart);
    } else {
        emit_meta(em, t->name, pod->namespace, &t->labels, NULL);
        key_map(em, "spec");
        bool job = strcmp(t->kind, "Job") == 0;
        if (strcmp(t->kind, "Deployment") == 0 || strcmp(t->kind, "ReplicaSet") == 0 ||
            strcmp(t->kind, "StatefulSet") == 0)
            kv_ll(em, "replicas", replicas);
        if (!job && t->labels.n > 0) {
            key_map(em, "selector");
            kv_map(em, "matchLabels", &t->labels);
            map_end(em);
        }
        key_map(em, "template");
        emit_meta(em, NULL, NULL, &t->labels, &pod->annotations);
        str(em, "spec");
        emit_pod_spec(em, pod, t->restart);
        map_end(em);
        map_end(em);
    }
    map_end(em);
    doc_end(em);
}

/* A Secret's values go to data in base64; a ConfigMap's text to data, anything else (not
 * UTF-8, or with NUL bytes) to binaryData in base64. */
static void
emit_data(struct em *em, const struct kpod_keyset *ks, bool binary)
{
    bool secret = ks->kind == KPOD_KEYSET_SECRET, opened = false;
    for (size_t i = 0; i < ks->data.n; i++) {
        const struct kpod_kv *kv = &ks->data.items[i];
        bool text = !secret && is_text(kv->value, kv->len);
        if (!secret && text == binary)
            continue;
        if (!opened)
            key_map(em, binary ? "binaryData" : "data");
        opened = true;
        if (text) {
            kv_str(em, kv->key, kv->value);
        } else {
            _cleanup_free_ char *b64 = base64(kv->value, kv->len);
            kv_str(em, kv->key, b64);
        }
    }
    if (opened)
        map_end(em);
}

static void
emit_keyset(struct em *em, const struct kpod_keyset *ks)
{
    bool secret = ks->kind == KPOD_KEYSET_SECRET;
    doc_begin(em);
    map_begin(em);
    kv_str(em, "apiVersion", "v1");
    kv_str(em, "kind", secret ? "Secret" : "ConfigMap");
    emit_meta(em, ks->name, ks->namespace, NULL, NULL);
    if (ks->immutable)
        kv_bool(em, "immutable", true);
    emit_data(em, ks, false);
    if (!secret)
        emit_data(em, ks, true);
    map_end(em);
    doc_end(em);
}

/* A Service selecting the pod by its labels, with its ports: NodePort when a port is published
 * on the host (the host port as the node port where Kubernetes allows it), else ClusterIP. */
static void
emit_service(struct em *em, const struct kpod_pod *pod, const struct target *t)
{
    bool node_port = false;
    for (size_t i = pod->n_init; i < pod->n_containers; i++)
        for (size_t j = 0; j < pod->containers[i].n_ports; j++)
            node_port = node_port || pod->containers[i].ports[j].host_port != 0;
    doc_begin(em);
    map_begin(em);
    kv_str(em, "apiVersion", "v1");
    kv_str(em, "kind", "Service");
    emit_meta(em, t->name, pod->namespace, &t->labels, NULL);
    key_map(em, "spec");
    kv_str(em, "type", node_port ? "NodePort" : "ClusterIP");
    kv_map(em, "selector", &t->labels);
    bool any = false;
    for (size_t i = pod->n_init; i < pod->n_containers; i++) {
        const struct kpod_container *c = &pod->containers[i];
        for (size_t j = 0; j < c->n_ports; j++) {
            const struct kpod_port *p = &c->ports[j];
            char name[32];
            snprintf(name, sizeof(name), "%d-%s", p->container_port, p->protocol);
            for (char *s = name; *s; s++)
                *s = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
            if (!any)
                key_seq(em, "ports");
            any = true;
            map_begin(em);
            kv_str(em, "name", name);
            kv_str(em, "protocol", p->protocol);
            kv_ll(em, "port", p->container_port);
            kv_ll(em, "targetPort", p->container_port);
            if (p->host_port >= 30000 && p->host_port <= 32767)
                kv_ll(em, "nodePort", p->host_port);
            map_end(em);
        }
    }
    if (any)
        seq_end(em);
    else
        kv_str(em, "clusterIP", "None"); /* headless: a Service needs ports otherwise */
    map_end(em);
    map_end(em);
    doc_end(em);
}

/* ---- the whole ---- */

static int
target_for(const struct kpod_pod *pod, const struct kpod_emit_opts *o, struct target *t,
           char **ret_name, struct kpod_kv *app, struct kpod_err **err)
{
    static const char *const kinds[] = {
        [KPOD_EMIT_POD] = "Pod", [KPOD_EMIT_DEPLOYMENT] = "Deployment", [KPOD_EMIT_JOB] = "Job"};
    const char *kind = o->kind == KPOD_EMIT_OWN ? pod->kind : kinds[o->kind];
    *t = (struct target){.kind = kind, .labels = pod->labels, .restart = pod->restart_policy};
    t->api = strcmp(kind, "Pod") == 0 ? "v1" : strcmp(kind, "Job") == 0 ? "batch/v1" : "apps/v1";
    /* a workload keeps the name it was played with; a pod becomes "<pod>-deployment" or
     * "<pod>-job", as podman names them */
    if (!is_workload(kind))
        t->name = pod->name;
    else if (strcmp(kind, pod->kind) == 0 && pod->owner_name != NULL)
        t->name = pod->owner_name;
    else
        t->name = *ret_name =
            xasprintf("%s-%s", pod->name, strcmp(kind, "Job") == 0 ? "job" : "deployment");
    if (o->kind == KPOD_EMIT_DEPLOYMENT && pod->restart_policy != KPOD_RESTART_ALWAYS)
        return kpod_err_input(err,
                              "pod '%s': restartPolicy is %s, a Deployment needs Always: use "
                              "-t pod or -t job",
                              pod->name, restart_policy_name(pod->restart_policy));
    if (strcmp(kind, "Job") == 0 && t->restart == KPOD_RESTART_ALWAYS)
        t->restart = KPOD_RESTART_ON_FAILURE; /* a Job's pods run to completion */
    /* a selector needs labels: app=NAME when the pod has none (the stored form keeps the
     * pod as it was) */
    bool selects = o->service || (o->kind == KPOD_EMIT_DEPLOYMENT);
    if (t->labels.n == 0 && selects) {
        *app = (struct kpod_kv){"app", (char *)t->name, strlen(t->name)};
        t->labels = (struct kpod_kvlist){app, 1};
    }
    return 0;
}

/* The ConfigMaps and Secrets the pod uses, in first-use order, each once. */
static void
collect_keysets(const struct kpod_manifest *m, const struct kpod_pod *pod,
                const struct kpod_keyset ***list, size_t *n)
{
    for (size_t i = 0; i < pod->n_containers + pod->n_volumes; i++) {
        const struct kpod_container *c = i < pod->n_containers ? &pod->containers[i] : NULL;
        size_t refs = c ? c->n_env + c->n_env_from : 1;
        for (size_t j = 0; j < refs; j++) {
            enum kpod_keyset_kind kind;
            const char *name = NULL;
            if (c == NULL) {
                const struct kpod_volume *v = &pod->volumes[i - pod->n_containers];
                kind = v->type == KPOD_VOLUME_SECRET ? KPOD_KEYSET_SECRET : KPOD_KEYSET_CONFIGMAP;
                if (v->type == KPOD_VOLUME_SECRET || v->type == KPOD_VOLUME_CONFIGMAP)
                    name = v->source;
            } else if (j < c->n_env) {
                kind = c->env[j].source == KPOD_ENV_SECRET_KEY ? KPOD_KEYSET_SECRET
                                                               : KPOD_KEYSET_CONFIGMAP;
                if (c->env[j].source == KPOD_ENV_SECRET_KEY ||
                    c->env[j].source == KPOD_ENV_CONFIGMAP_KEY)
                    name = c->env[j].ref_name;
            } else {
                kind = c->env_from[j - c->n_env].kind;
                name = c->env_from[j - c->n_env].name;
            }
            const struct kpod_keyset *ks = name ? kpod_manifest_find_keyset(m, kind, name) : NULL;
            bool seen = ks == NULL;
            for (size_t k = 0; k < *n && !seen; k++)
                seen = (*list)[k]->kind == ks->kind && strcmp((*list)[k]->name, ks->name) == 0;
            if (seen)
                continue;
            *list = xrealloc(*list, (*n + 1) * sizeof(**list));
            (*list)[(*n)++] = ks;
        }
    }
}

static bool
keyset_equal(const struct kpod_keyset *a, const struct kpod_keyset *b)
{
    if (a->data.n != b->data.n || a->immutable != b->immutable)
        return false;
    for (size_t i = 0; i < a->data.n; i++) {
        const struct kpod_kv *x = &a->data.items[i], *y = &b->data.items[i];
        if (strcmp(x->key, y->key) != 0 || x->len != y->len || memcmp(x->value, y->value, x->len))
            return false;
    }
    return true;
}

static int
emit_items(struct em *em, const struct kpod_emit_item *items, size_t n,
           const struct kpod_emit_opts *o, struct kpod_err **err)
{
    _cleanup_free_ const struct kpod_keyset **keysets = NULL;
    size_t n_keysets = 0;
    for (size_t i = 0; i < n; i++) {
        const struct kpod_pod *pod = items[i].pod;
        struct kpod_kv app = {0};
        struct target t;
        _cleanup_free_ char *name = NULL;
        if (target_for(pod, o, &t, &name, &app, err) < 0)
            return -1;
        size_t before = n_keysets;
        collect_keysets(items[i].m, pod, &keysets, &n_keysets);
        for (size_t k = before; k < n_keysets; k++) {
            for (size_t j = 0; j < before; j++) {
                if (keysets[j]->kind != keysets[k]->kind ||
                    strcmp(keysets[j]->name, keysets[k]->name) != 0)
                    continue;
                if (!keyset_equal(keysets[j], keysets[k]))
                    return kpod_err_input(err, "%s '%s' differs between the pods",
                                          keysets[k]->kind == KPOD_KEYSET_SECRET ? "Secret"
                                                                                 : "ConfigMap",
                                          keysets[k]->name);
                memmove(&keysets[k], &keysets[k + 1], (n_keysets - k - 1) * sizeof(*keysets));
                n_keysets--, k--;
                break;
            }
        }
        emit_pod_doc(em, pod, &t, o->replicas > 0 ? o->replicas : 1);
        if (o->service)
            emit_service(em, pod, &t);
    }
    for (size_t k = 0; k < n_keysets; k++)
        emit_keyset(em, keysets[k]);
    return 0;
}

int
kpod_manifest_emit(const struct kpod_emit_item *items, size_t n, const struct kpod_emit_opts *o,
                   char **ret, size_t *ret_len, struct kpod_err **err)
{
    struct em em = {0};
    if (!yaml_emitter_initialize(&em.e))
        return kpod_err_msg(err, "cannot initialise the YAML emitter");
    yaml_emitter_set_output(&em.e, write_out, &em.out);
    yaml_emitter_set_unicode(&em.e, 1);
    yaml_emitter_set_width(&em.e, -1);
    yaml_emitter_set_indent(&em.e, 2);
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    emit(&em, &ev);
    int r = emit_items(&em, items, n, o, err);
    yaml_stream_end_event_initialize(&ev);
    emit(&em, &ev);
    if (r == 0 && em.failed)
        r = kpod_err_msg(err, "emit YAML: %s", em.e.problem ? em.e.problem : "emitter error");
    yaml_emitter_delete(&em.e);
    if (r < 0) {
        free(em.out.p);
        return -1;
    }
    *ret = em.out.p ? em.out.p : xstrdup("");
    *ret_len = em.out.len;
    return 0;
}
