/* Checks across documents once everything is parsed: names, references to volumes,
 * ConfigMaps and Secrets (which may come after the pod), ports. */
#include "manifest/internal.h"

#include <string.h>

const struct kpod_keyset *
kpod_manifest_find_keyset(const struct kpod_manifest *m, enum kpod_keyset_kind kind,
                          const char *name)
{
    for (size_t i = 0; i < m->n_keysets; i++)
        if (m->keysets[i].kind == kind && strcmp(m->keysets[i].name, name) == 0)
            return &m->keysets[i];
    return NULL;
}

const struct kpod_volume *
kpod_pod_find_volume(const struct kpod_pod *pod, const char *name)
{
    for (size_t i = 0; i < pod->n_volumes; i++)
        if (strcmp(pod->volumes[i].name, name) == 0)
            return &pod->volumes[i];
    return NULL;
}

const struct kpod_container *
kpod_pod_find_container(const struct kpod_pod *pod, const char *name)
{
    for (size_t i = 0; i < pod->n_containers; i++)
        if (strcmp(pod->containers[i].name, name) == 0)
            return &pod->containers[i];
    return NULL;
}

static const char *
kind_name(enum kpod_keyset_kind k)
{
    return k == KPOD_KEYSET_SECRET ? "Secret" : "ConfigMap";
}

static bool
keyset_has(const struct kpod_keyset *ks, const char *key)
{
    for (size_t i = 0; i < ks->data.n; i++)
        if (strcmp(ks->data.items[i].key, key) == 0)
            return true;
    return false;
}

static int
check_env(const struct kpod_manifest *m, const struct kpod_pod *pod, const struct kpod_container *c,
          struct kpod_err **err)
{
    for (size_t i = 0; i < c->n_env; i++) {
        const struct kpod_env_var *e = &c->env[i];
        if (e->source == KPOD_ENV_RESOURCE && e->resource_ctr != NULL && *e->resource_ctr != '\0' &&
            kpod_pod_find_container(pod, e->resource_ctr) == NULL)
            return err_at(err, &e->pos, "env '%s': resourceFieldRef names unknown container '%s'",
                          e->name, e->resource_ctr);
        if (e->source != KPOD_ENV_CONFIGMAP_KEY && e->source != KPOD_ENV_SECRET_KEY)
            continue;
        enum kpod_keyset_kind k =
            e->source == KPOD_ENV_SECRET_KEY ? KPOD_KEYSET_SECRET : KPOD_KEYSET_CONFIGMAP;
        const struct kpod_keyset *ks = kpod_manifest_find_keyset(m, k, e->ref_name);
        if (e->optional)
            continue;
        if (ks == NULL)
            return err_at(err, &e->pos, "env '%s': %s '%s' not found in the input", e->name,
                          kind_name(k), e->ref_name);
        if (!keyset_has(ks, e->ref_key))
            return err_at(err, &e->pos, "env '%s': key '%s' not found in %s '%s'", e->name,
                          e->ref_key, kind_name(k), e->ref_name);
    }
    for (size_t i = 0; i < c->n_env_from; i++) {
        const struct kpod_env_from *f = &c->env_from[i];
        if (!f->optional && kpod_manifest_find_keyset(m, f->kind, f->name) == NULL)
            return err_at(err, &f->pos, "envFrom: %s '%s' not found in the input",
                          kind_name(f->kind), f->name);
    }
    return 0;
}

static int
check_container(const struct kpod_manifest *m, const struct kpod_pod *pod,
                const struct kpod_container *c, struct kpod_err **err)
{
    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct kpod_volume_mount *vm = &c->mounts[i];
        const struct kpod_volume *v = kpod_pod_find_volume(pod, vm->name);
        if (v == NULL)
            return err_at(err, &vm->pos, "volumeMount '%s': no volume named '%s' in the pod",
                          vm->mount_path, vm->name);
        if (!vm->read_only && (v->type == KPOD_VOLUME_CONFIGMAP || v->type == KPOD_VOLUME_SECRET))
            continue; /* always mounted read-only, as the kubelet does */
    }
    if (c->init && !c->sidecar &&
        (c->liveness.set || c->readiness.set || c->startup.set || c->post_start.command ||
         c->pre_stop.command))
        return err_at(err, &c->pos,
                      "init container '%s': probes and lifecycle hooks are not "
                      "allowed in init containers (only in sidecars: restartPolicy: Always)",
                      c->name);
    long long uid = c->sec.run_as_user != KPOD_UNSET ? c->sec.run_as_user : pod->run_as_user;
    kpod_tristate nonroot =
        c->sec.run_as_non_root >= 0 ? c->sec.run_as_non_root : pod->run_as_non_root;
    if (nonroot == 1 && uid == 0)
        return err_at(err, &c->pos, "container '%s': runAsNonRoot is true but runAsUser is 0",
                      c->name);
    return check_env(m, pod, c, err);
}

static int
check_volumes(const struct kpod_manifest *m, const struct kpod_pod *pod, struct kpod_err **err)
{
    for (size_t i = 0; i < pod->n_volumes; i++) {
        const struct kpod_volume *v = &pod->volumes[i];
        if (v->type != KPOD_VOLUME_CONFIGMAP && v->type != KPOD_VOLUME_SECRET)
            continue;
        enum kpod_keyset_kind k =
            v->type == KPOD_VOLUME_SECRET ? KPOD_KEYSET_SECRET : KPOD_KEYSET_CONFIGMAP;
        const struct kpod_keyset *ks = kpod_manifest_find_keyset(m, k, v->source);
        if (ks == NULL && !v->optional)
            return err_at(err, &v->pos, "volume '%s': %s '%s' not found in the input", v->name,
                          kind_name(k), v->source);
        for (size_t j = 0; ks != NULL && j < v->n_items; j++)
            if (!keyset_has(ks, v->items[j].key) && !v->optional)
                return err_at(err, &v->pos, "volume '%s': key '%s' not found in %s '%s'", v->name,
                              v->items[j].key, kind_name(k), v->source);
    }
    return 0;
}

enum kpod_pull_policy
kpod_container_pull_policy(const struct kpod_container *c)
{
    if (c->pull_policy != KPOD_PULL_DEFAULT)
        return c->pull_policy;
    const char *img = c->image;
    if (strchr(img, '@') != NULL)
        return KPOD_PULL_IF_NOT_PRESENT;
    const char *slash = strrchr(img, '/');
    const char *colon = strrchr(slash ? slash : img, ':');
    if (colon == NULL || strcmp(colon, ":latest") == 0)
        return KPOD_PULL_ALWAYS;
    return KPOD_PULL_IF_NOT_PRESENT;
}

static int
check_ports(const struct kpod_pod *pod, struct kpod_err **err)
{
    for (size_t i = 0; i < pod->n_containers; i++) {
        const struct kpod_container *c = &pod->containers[i];
        for (size_t j = 0; j < c->n_ports; j++) {
            struct kpod_port *p = &c->ports[j];
            if (pod->host_network && p->host_port == 0)
                p->host_port = p->container_port; /* Kubernetes defaults it so */
            if (pod->host_network && p->host_port != p->container_port)
                return err_at(err, &p->pos,
                              "hostPort %d must equal containerPort %d with hostNetwork",
                              p->host_port, p->container_port);
            if (p->host_port == 0)
                continue;
            for (size_t k = 0; k <= i; k++) {
                const struct kpod_container *o = &pod->containers[k];
                for (size_t l = 0; l < (k == i ? j : o->n_ports); l++) {
                    const struct kpod_port *q = &o->ports[l];
                    const char *ip1 = p->host_ip ? p->host_ip : "",
                               *ip2 = q->host_ip ? q->host_ip : "";
                    if (q->host_port == p->host_port && strcmp(q->protocol, p->protocol) == 0 &&
                        strcmp(ip1, ip2) == 0)
                        return err_at(err, &p->pos, "hostPort %d/%s is used twice in pod '%s'",
                                      p->host_port, p->protocol, pod->name);
                }
            }
        }
    }
    return 0;
}

static int
check_pod(const struct kpod_manifest *m, const struct kpod_pod *pod, struct kpod_err **err)
{
    for (size_t i = 0; i < pod->n_containers; i++) {
        const struct kpod_container *c = &pod->containers[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(pod->containers[j].name, c->name) == 0)
                return err_at(err, &c->pos, "duplicate container name '%s' in pod '%s'", c->name,
                              pod->name);
        if (check_container(m, pod, c, err) < 0)
            return -1;
    }
    if (check_volumes(m, pod, err) < 0 || check_ports(pod, err) < 0)
        return -1;
    return 0;
}

int
manifest_validate(struct kpod_manifest *m, struct kpod_err **err)
{
    for (size_t i = 0; i < m->n_pods; i++) {
        const struct kpod_pod *pod = &m->pods[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->pods[j].name, pod->name) == 0)
                return err_at(err, &pod->pos, "duplicate pod name '%s' (first at %s:%d:%d)",
                              pod->name, m->pods[j].pos.file, m->pods[j].pos.line,
                              m->pods[j].pos.col);
        if (check_pod(m, pod, err) < 0)
            return -1;
    }
    return 0;
}
