/* OCI runtime spec: builders used by the spec generator and by tests. */
#include "spec/oci.h"

#include <string.h>

struct kpod_oci_process *
kpod_oci_spec_process(struct kpod_oci_spec *spec)
{
    if (spec->process == NULL)
        spec->process = xzalloc(sizeof(*spec->process));
    return spec->process;
}

struct kpod_oci_linux *
kpod_oci_spec_linux(struct kpod_oci_spec *spec)
{
    if (spec->linux_ == NULL)
        spec->linux_ = xzalloc(sizeof(*spec->linux_));
    return spec->linux_;
}

struct kpod_oci_resources *
kpod_oci_spec_resources(struct kpod_oci_spec *spec)
{
    struct kpod_oci_linux *l = kpod_oci_spec_linux(spec);
    if (l->resources == NULL) {
        struct kpod_oci_resources *r = xzalloc(sizeof(*r));
        r->memory_limit = r->memory_reservation = r->memory_swap = KPOD_OCI_UNSET;
        r->cpu_quota = r->pids_limit = KPOD_OCI_UNSET;
        l->resources = r;
    }
    return l->resources;
}

/* Grows an exact-size array by one zeroed element and returns it. */
static void *
grow1(void **array, size_t *n, size_t elem)
{
    char *a = xreallocarray(*array, *n + 1, elem);
    memset(a + *n * elem, 0, elem);
    *array = a;
    return a + (*n)++ * elem;
}

struct kpod_oci_mount *
kpod_oci_spec_add_mount(struct kpod_oci_spec *spec, const char *destination, const char *type,
                        const char *source, char *const *options)
{
    struct kpod_oci_mount *m =
        grow1((void **)&spec->mounts, &spec->n_mounts, sizeof(struct kpod_oci_mount));
    m->destination = xstrdup(destination);
    m->type = type ? xstrdup(type) : NULL;
    m->source = source ? xstrdup(source) : NULL;
    m->options = options ? kpod_strv_dup(options) : NULL;
    return m;
}

struct kpod_oci_mount *
kpod_oci_spec_find_mount(const struct kpod_oci_spec *spec, const char *destination)
{
    for (size_t i = spec->n_mounts; i > 0; i--)
        if (strcmp(spec->mounts[i - 1].destination, destination) == 0)
            return &spec->mounts[i - 1];
    return NULL;
}

void
kpod_oci_spec_set_namespace(struct kpod_oci_spec *spec, const char *type, const char *path)
{
    struct kpod_oci_linux *l = kpod_oci_spec_linux(spec);
    struct kpod_oci_namespace *ns = NULL;
    for (size_t i = 0; i < l->n_namespaces && ns == NULL; i++)
        if (strcmp(l->namespaces[i].type, type) == 0)
            ns = &l->namespaces[i];
    if (ns == NULL) {
        ns = grow1((void **)&l->namespaces, &l->n_namespaces, sizeof(*ns));
        ns->type = xstrdup(type);
    }
    free(ns->path);
    ns->path = path ? xstrdup(path) : NULL;
}

const struct kpod_oci_namespace *
kpod_oci_spec_find_namespace(const struct kpod_oci_spec *spec, const char *type)
{
    if (spec->linux_ == NULL)
        return NULL;
    for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
        if (strcmp(spec->linux_->namespaces[i].type, type) == 0)
            return &spec->linux_->namespaces[i];
    return NULL;
}

static void
kv_set(struct kpod_oci_kv **kv, size_t *n, const char *key, const char *value)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*kv)[i].key, key) == 0) {
            free((*kv)[i].value);
            (*kv)[i].value = xstrdup(value);
            return;
        }
    }
    struct kpod_oci_kv *e = grow1((void **)kv, n, sizeof(**kv));
    e->key = xstrdup(key);
    e->value = xstrdup(value);
}

void
kpod_oci_spec_set_annotation(struct kpod_oci_spec *spec, const char *key, const char *value)
{
    kv_set(&spec->annotations, &spec->n_annotations, key, value);
}

const char *
kpod_oci_spec_get_annotation(const struct kpod_oci_spec *spec, const char *key)
{
    for (size_t i = 0; i < spec->n_annotations; i++)
        if (strcmp(spec->annotations[i].key, key) == 0)
            return spec->annotations[i].value;
    return NULL;
}

void
kpod_oci_spec_set_sysctl(struct kpod_oci_spec *spec, const char *key, const char *value)
{
    struct kpod_oci_linux *l = kpod_oci_spec_linux(spec);
    kv_set(&l->sysctl, &l->n_sysctl, key, value);
}

const char *
kpod_oci_env_get(char *const *env, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
            return env[i] + len + 1;
    return NULL;
}

void
kpod_oci_spec_set_env(struct kpod_oci_spec *spec, const char *name, const char *value)
{
    struct kpod_oci_process *p = kpod_oci_spec_process(spec);
    size_t len = strlen(name);
    char *entry = xasprintf("%s=%s", name, value);
    for (size_t i = 0; p->env != NULL && p->env[i] != NULL; i++) {
        if (strncmp(p->env[i], name, len) == 0 && p->env[i][len] == '=') {
            free(p->env[i]);
            p->env[i] = entry;
            return;
        }
    }
    kpod_strv_push_take(&p->env, entry);
}

void
kpod_oci_spec_set_rlimit(struct kpod_oci_spec *spec, const char *type, uint64_t hard, uint64_t soft)
{
    struct kpod_oci_process *p = kpod_oci_spec_process(spec);
    struct kpod_oci_rlimit *r = NULL;
    for (size_t i = 0; i < p->n_rlimits && r == NULL; i++)
        if (strcmp(p->rlimits[i].type, type) == 0)
            r = &p->rlimits[i];
    if (r == NULL) {
        r = grow1((void **)&p->rlimits, &p->n_rlimits, sizeof(*r));
        r->type = xstrdup(type);
    }
    r->hard = hard;
    r->soft = soft;
}

void
kpod_oci_spec_add_hook(struct kpod_oci_spec *spec, enum kpod_oci_hook_kind kind, const char *path,
                       char *const *args, char *const *env, int timeout)
{
    if (kind >= KPOD_OCI_HOOK_KINDS)
        return;
    if (spec->hooks == NULL)
        spec->hooks = xzalloc(sizeof(*spec->hooks));
    struct kpod_oci_hook *h = grow1((void **)&spec->hooks->list[kind], &spec->hooks->n[kind],
                                    sizeof(struct kpod_oci_hook));
    h->path = xstrdup(path);
    h->args = args ? kpod_strv_dup(args) : NULL;
    h->env = env ? kpod_strv_dup(env) : NULL;
    h->timeout = timeout;
}
