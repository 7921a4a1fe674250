/* A container's environment with Kubernetes precedence and $(VAR) expansion. */
#include "manifest/internal.h"

#include <string.h>

/* An index over a "NAME=VALUE" strv: name → position, so that lookups and in-place updates
 * stay O(1) however large the environment an untrusted manifest builds. */
struct envmap {
    size_t *slots; /* position + 1; 0 empty */
    size_t cap, n;
};

static size_t
name_hash(const char *s, size_t len)
{
    size_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static size_t
name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* The slot of name: the one holding it, or the empty one where it would go. */
static size_t *
envmap_slot(const struct envmap *m, char *const *env, const char *name, size_t len)
{
    size_t i = name_hash(name, len) & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        size_t *slot = &m->slots[i];
        if (*slot == 0)
            return slot;
        const char *e = env[*slot - 1];
        if (name_len(e) == len && memcmp(e, name, len) == 0)
            return slot;
    }
}

static void envmap_put(struct envmap *m, char *const *env, size_t pos);

static void
envmap_grow(struct envmap *m, char *const *env)
{
    struct envmap bigger = {xcalloc(m->cap ? m->cap * 2 : 64, sizeof(size_t)),
                            m->cap ? m->cap * 2 : 64, 0};
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i] != 0)
            envmap_put(&bigger, env, m->slots[i] - 1);
    free(m->slots);
    *m = bigger;
}

static void
envmap_put(struct envmap *m, char *const *env, size_t pos)
{
    if ((m->n + 1) * 2 > m->cap)
        envmap_grow(m, env);
    size_t *slot = envmap_slot(m, env, env[pos], name_len(env[pos]));
    if (*slot == 0)
        m->n++;
    *slot = pos + 1;
}

static const char *
envmap_get(const struct envmap *m, char *const *env, const char *name, size_t len)
{
    if (m->cap == 0)
        return NULL;
    size_t slot = *envmap_slot(m, env, name, len);
    return slot ? env[slot - 1] + len + 1 : NULL;
}

static void
envmap_build(struct envmap *m, char *const *env)
{
    for (size_t i = 0; env && env[i]; i++)
        envmap_put(m, env, i); /* a later entry of a name wins */
}

struct buf {
    char *s;
    size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
    xgrow((void **)&b->s, &b->cap, b->len + n + 1, 1);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Kubernetes' expansion (third_party/forked/golang/expansion) over an indexed environment;
 * NULL when the result would exceed KPOD_MANIFEST_MAX_EXPANSION bytes. */
static char *
expand(const char *s, const struct envmap *m, char *const *env)
{
    struct buf b = {0};
    buf_add(&b, "", 0);
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (b.len > KPOD_MANIFEST_MAX_EXPANSION) {
            free(b.s);
            return NULL;
        }
        if (s[i] != '$' || i + 1 >= n) {
            buf_add(&b, s + i, 1);
            continue;
        }
        char next = s[i + 1];
        if (next == '$') { /* $$ is a literal $ */
            buf_add(&b, "$", 1);
            i++;
        } else if (next == '(') {
            const char *close = memchr(s + i + 2, ')', n - i - 2);
            if (close == NULL) { /* incomplete: kept as written */
                buf_add(&b, "$(", 2);
                i++;
                continue;
            }
            const char *name = s + i + 2;
            size_t len = (size_t)(close - name);
            const char *v = envmap_get(m, env, name, len);
            if (v != NULL && strlen(v) > KPOD_MANIFEST_MAX_EXPANSION) {
                free(b.s);
                return NULL;
            }
            if (v != NULL)
                buf_add(&b, v, strlen(v));
            else
                buf_add(&b, s + i, len + 3); /* unknown: kept as written */
            i = (size_t)(close - s);
        } else { /* a lone $ and the next character */
            buf_add(&b, s + i, 2);
            i++;
        }
    }
    if (b.len > KPOD_MANIFEST_MAX_EXPANSION) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

char *
kpod_manifest_expand(const char *s, char *const *env)
{
    struct envmap m = {0};
    envmap_build(&m, env);
    char *r = expand(s, &m, env);
    free(m.slots);
    return r;
}

int
kpod_manifest_expand_strv(char *const *in, char *const *env, char ***ret, struct kpod_err **err)
{
    struct envmap m = {0};
    _cleanup_strv_ char **out = xzalloc(sizeof(char *));
    envmap_build(&m, env);
    for (size_t i = 0; in && in[i]; i++) {
        char *e = expand(in[i], &m, env);
        if (e == NULL) {
            free(m.slots);
            return kpod_err_input(err, "'%.40s%s' expands to more than %d bytes", in[i],
                                  strlen(in[i]) > 40 ? "..." : "", KPOD_MANIFEST_MAX_EXPANSION);
        }
        kpod_strv_push_take(&out, e);
    }
    free(m.slots);
    *ret = TAKE_PTR(out);
    return 0;
}

/* The environment being built: an ordered NAME=VALUE list and its index. */
struct envlist {
    char **env;
    size_t n;
    struct envmap map;
};

static void
envlist_clear(struct envlist *l)
{
    kpod_strv_free(l->env);
    free(l->map.slots);
}

/* Sets name; an existing name is replaced in place. Fails past KPOD_MANIFEST_MAX_ENV. */
static int
env_set(struct envlist *l, const char *name, const char *value, const struct kpod_container *c,
        struct kpod_err **err)
{
    size_t len = strlen(name);
    char *entry = xasprintf("%s=%s", name, value);
    size_t *slot = l->map.cap ? envmap_slot(&l->map, l->env, name, len) : NULL;
    if (slot != NULL && *slot != 0) {
        free(l->env[*slot - 1]);
        l->env[*slot - 1] = entry;
        return 0;
    }
    if (l->n >= KPOD_MANIFEST_MAX_ENV) {
        free(entry);
        return err_at(err, &c->pos, "container '%s': more than %d environment variables", c->name,
                      KPOD_MANIFEST_MAX_ENV);
    }
    kpod_strv_push_take(&l->env, entry);
    envmap_put(&l->map, l->env, l->n++);
    return 0;
}

static const char *
kv_get(const struct kpod_kvlist *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return l->items[i].value;
    return NULL;
}

/* metadata.labels / metadata.annotations as the downward API writes them: key="value" lines */
static char *
kv_format(const struct kpod_kvlist *l)
{
    struct buf b = {0};
    buf_add(&b, "", 0);
    for (size_t i = 0; i < l->n; i++) {
        _cleanup_free_ char *line =
            xasprintf("%s%s=\"%s\"", i ? "\n" : "", l->items[i].key, l->items[i].value);
        buf_add(&b, line, strlen(line));
    }
    return b.s;
}

static char *
field_value(const struct kpod_pod *pod, const char *path, const struct kpod_env_runtime *rt)
{
#define OR_EMPTY(s) xstrdup((s) ? (s) : "")
    if (strcmp(path, "metadata.name") == 0)
        return xstrdup(pod->name);
    if (strcmp(path, "metadata.namespace") == 0)
        return xstrdup(pod->namespace);
    if (strcmp(path, "metadata.uid") == 0)
        return OR_EMPTY(rt->pod_uid);
    if (strcmp(path, "status.podIP") == 0 || strcmp(path, "status.podIPs") == 0)
        return OR_EMPTY(rt->pod_ip);
    if (strcmp(path, "status.hostIP") == 0 || strcmp(path, "status.hostIPs") == 0)
        return OR_EMPTY(rt->host_ip);
    if (strcmp(path, "spec.nodeName") == 0)
        return OR_EMPTY(rt->node_name);
    if (strcmp(path, "spec.serviceAccountName") == 0)
        return xstrdup("default");
    if (strcmp(path, "metadata.labels") == 0)
        return kv_format(&pod->labels);
    if (strcmp(path, "metadata.annotations") == 0)
        return kv_format(&pod->annotations);
    bool labels = kpod_str_has_prefix(path, "metadata.labels['");
    const char *start = strchr(path, '\'');
    _cleanup_free_ char *key = xstrndup(start + 1, strlen(start + 1) - 2);
    const char *v = kv_get(labels ? &pod->labels : &pod->annotations, key);
    return OR_EMPTY(v);
#undef OR_EMPTY
}

static char *
resource_value(const struct kpod_pod *pod, const struct kpod_container *self,
               const struct kpod_env_var *e, const struct kpod_env_runtime *rt)
{
    const struct kpod_container *c = self;
    if (e->resource_ctr != NULL && *e->resource_ctr != '\0')
        c = kpod_pod_find_container(pod, e->resource_ctr);
    const struct kpod_resources *r = &c->resources;
    long long v = 0;
    const char *res = e->resource;
    if (strcmp(res, "limits.cpu") == 0)
        v = r->cpu_limit != KPOD_UNSET ? r->cpu_limit : rt->node_cpu_milli;
    else if (strcmp(res, "requests.cpu") == 0)
        v = r->cpu_request != KPOD_UNSET ? r->cpu_request : 0;
    else if (strcmp(res, "limits.memory") == 0)
        v = r->mem_limit != KPOD_UNSET ? r->mem_limit : rt->node_mem_bytes;
    else if (strcmp(res, "requests.memory") == 0)
        v = r->mem_request != KPOD_UNSET ? r->mem_request : 0;
    else if (strcmp(res, "limits.ephemeral-storage") == 0)
        v = r->eph_limit != KPOD_UNSET ? r->eph_limit : 0;
    else if (strcmp(res, "requests.ephemeral-storage") == 0)
        v = r->eph_request != KPOD_UNSET ? r->eph_request : 0;
    long long d = e->divisor > 0 ? e->divisor : 1;
    long long q = v / d + (v % d != 0);
    return xasprintf("%lld", q);
}

static int
add_env_from(const struct kpod_manifest *m, const struct kpod_container *c, struct envlist *env,
             struct kpod_err **err)
{
    for (size_t i = 0; i < c->n_env_from; i++) {
        const struct kpod_env_from *f = &c->env_from[i];
        const struct kpod_keyset *ks = kpod_manifest_find_keyset(m, f->kind, f->name);
        if (ks == NULL) {
            if (f->optional)
                continue;
            return err_at(err, &f->pos, "envFrom: '%s' not found", f->name);
        }
        for (size_t j = 0; j < ks->data.n; j++) {
            _cleanup_free_ char *name =
                xasprintf("%s%s", f->prefix ? f->prefix : "", ks->data.items[j].key);
            if (strchr(name, '=') != NULL || *name == '\0')
                continue; /* the kubelet skips invalid names */
            if (env_set(env, name, ks->data.items[j].value, c, err) < 0)
                return -1;
        }
    }
    return 0;
}

int
kpod_manifest_container_env(const struct kpod_manifest *m, const struct kpod_pod *pod,
                            const struct kpod_container *c, const struct kpod_env_runtime *rt,
                            char ***ret_env, struct kpod_err **err)
{
    static const struct kpod_env_runtime none = {0};
    _cleanup_(envlist_clear) struct envlist env = {0};
    if (rt == NULL)
        rt = &none;
    if (add_env_from(m, c, &env, err) < 0)
        return -1;
    for (size_t i = 0; i < c->n_env; i++) {
        const struct kpod_env_var *e = &c->env[i];
        _cleanup_free_ char *v = NULL;
        if (e->source == KPOD_ENV_VALUE) {
            v = expand(e->value, &env.map, env.env);
            if (v == NULL)
                return err_at(err, &e->pos, "env '%s' expands to more than %d bytes", e->name,
                              KPOD_MANIFEST_MAX_EXPANSION);
        } else if (e->source == KPOD_ENV_FIELD) {
            v = field_value(pod, e->field_path, rt);
        } else if (e->source == KPOD_ENV_RESOURCE) {
            v = resource_value(pod, c, e, rt);
        } else {
            enum kpod_keyset_kind k =
                e->source == KPOD_ENV_SECRET_KEY ? KPOD_KEYSET_SECRET : KPOD_KEYSET_CONFIGMAP;
            const struct kpod_keyset *ks = kpod_manifest_find_keyset(m, k, e->ref_name);
            const char *val = ks ? kv_get(&ks->data, e->ref_key) : NULL;
            if (val == NULL && e->optional)
                continue; /* optional and missing: the variable is not set */
            if (val == NULL)
                return err_at(err, &e->pos, "env '%s': key '%s' of '%s' not found", e->name,
                              e->ref_key, e->ref_name);
            v = xstrdup(val);
        }
        if (env_set(&env, e->name, v, c, err) < 0)
            return -1;
    }
    if (env.env == NULL)
        env.env = xzalloc(sizeof(char *));
    *ret_env = TAKE_PTR(env.env);
    return 0;
}
