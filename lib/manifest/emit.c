/* The pod model back to Kubernetes YAML, with libyaml's emitter: Pod (or a workload around its
 * template), the ConfigMaps and Secrets it references and optionally a Service. Output goes to
 * a memory buffer; strings that a YAML 1.1 or 1.2 reader would take for something else (yes,
 * on, 0755, 1e3, ~) are quoted. */
#include "manifest/internal.h"

#include <stdio.h>
#include <string.h>

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
emit_pod_doc(struct yemit *em, const struct kpod_pod *pod, const struct target *t,
             long long replicas)
{
    ye_doc_begin(em);
    ye_map_begin(em);
    ye_kv_str(em, "apiVersion", t->api);
    ye_kv_str(em, "kind", t->kind);
    if (!is_workload(t->kind)) {
        ye_emit_meta(em, t->name, pod->namespace, &t->labels, &pod->annotations);
        ye_str(em, "spec");
        ye_emit_pod_spec(em, pod, t->restart);
    } else {
        ye_emit_meta(em, t->name, pod->namespace, &t->labels, NULL);
        ye_key_map(em, "spec");
        bool job = strcmp(t->kind, "Job") == 0;
        if (strcmp(t->kind, "Deployment") == 0 || strcmp(t->kind, "ReplicaSet") == 0 ||
            strcmp(t->kind, "StatefulSet") == 0)
            ye_kv_ll(em, "replicas", replicas);
        if (job && pod->job != NULL) { /* a Job's own spec; a pod made a Job gets the defaults */
            ye_kv_ll(em, "completions", pod->job->completions);
            ye_kv_ll(em, "parallelism", pod->job->parallelism);
            ye_kv_ll(em, "backoffLimit", pod->job->backoff_limit);
            if (pod->job->active_deadline_seconds != KPOD_UNSET)
                ye_kv_ll(em, "activeDeadlineSeconds", pod->job->active_deadline_seconds);
            if (pod->job->ttl_seconds_after_finished != KPOD_UNSET)
                ye_kv_ll(em, "ttlSecondsAfterFinished", pod->job->ttl_seconds_after_finished);
        }
        if (!job && t->labels.n > 0) {
            ye_key_map(em, "selector");
            ye_kv_map(em, "matchLabels", &t->labels);
            ye_map_end(em);
        }
        ye_key_map(em, "template");
        ye_emit_meta(em, NULL, NULL, &t->labels, &pod->annotations);
        ye_str(em, "spec");
        ye_emit_pod_spec(em, pod, t->restart);
        ye_map_end(em);
        ye_map_end(em);
    }
    ye_map_end(em);
    ye_doc_end(em);
}

/* A Secret's values go to data in base64; a ConfigMap's text to data, anything else (not
 * UTF-8, or with NUL bytes) to binaryData in base64. */
static void
emit_data(struct yemit *em, const struct kpod_keyset *ks, bool binary)
{
    bool secret = ks->kind == KPOD_KEYSET_SECRET, opened = false;
    for (size_t i = 0; i < ks->data.n; i++) {
        const struct kpod_kv *kv = &ks->data.items[i];
        bool text = !secret && ye_is_text(kv->value, kv->len);
        if (!secret && text == binary)
            continue;
        if (!opened)
            ye_key_map(em, binary ? "binaryData" : "data");
        opened = true;
        if (text) {
            ye_kv_str(em, kv->key, kv->value);
        } else {
            _cleanup_free_ char *b64 = ye_base64(kv->value, kv->len);
            ye_kv_str(em, kv->key, b64);
        }
    }
    if (opened)
        ye_map_end(em);
}

static void
emit_keyset(struct yemit *em, const struct kpod_keyset *ks)
{
    bool secret = ks->kind == KPOD_KEYSET_SECRET;
    ye_doc_begin(em);
    ye_map_begin(em);
    ye_kv_str(em, "apiVersion", "v1");
    ye_kv_str(em, "kind", secret ? "Secret" : "ConfigMap");
    ye_emit_meta(em, ks->name, ks->namespace, NULL, NULL);
    if (ks->immutable)
        ye_kv_bool(em, "immutable", true);
    emit_data(em, ks, false);
    if (!secret)
        emit_data(em, ks, true);
    ye_map_end(em);
    ye_doc_end(em);
}

/* A Service selecting the pod by its labels, with its ports: NodePort when a port is published
 * on the host (the host port as the node port where Kubernetes allows it), else ClusterIP. */
static void
emit_service(struct yemit *em, const struct kpod_pod *pod, const struct target *t)
{
    bool node_port = false;
    for (size_t i = pod->n_init; i < pod->n_containers; i++)
        for (size_t j = 0; j < pod->containers[i].n_ports; j++)
            node_port = node_port || pod->containers[i].ports[j].host_port != 0;
    ye_doc_begin(em);
    ye_map_begin(em);
    ye_kv_str(em, "apiVersion", "v1");
    ye_kv_str(em, "kind", "Service");
    ye_emit_meta(em, t->name, pod->namespace, &t->labels, NULL);
    ye_key_map(em, "spec");
    ye_kv_str(em, "type", node_port ? "NodePort" : "ClusterIP");
    ye_kv_map(em, "selector", &t->labels);
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
                ye_key_seq(em, "ports");
            any = true;
            ye_map_begin(em);
            ye_kv_str(em, "name", name);
            ye_kv_str(em, "protocol", p->protocol);
            ye_kv_ll(em, "port", p->container_port);
            ye_kv_ll(em, "targetPort", p->container_port);
            if (p->host_port >= 30000 && p->host_port <= 32767)
                ye_kv_ll(em, "nodePort", p->host_port);
            ye_map_end(em);
        }
    }
    if (any)
        ye_seq_end(em);
    else
        ye_kv_str(em, "clusterIP", "None"); /* headless: a Service needs ports otherwise */
    ye_map_end(em);
    ye_map_end(em);
    ye_doc_end(em);
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
                              pod->name, ye_restart_policy_name(pod->restart_policy));
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

/* Pods of one workload (replicas "<name>-<i>", a Job's pods) become one document: the first
 * names it, the others are counted as its replicas. Returns how many items i stands for, 0
 * when an earlier item already did. */
static long long
workload_share(const struct kpod_emit_item *items, size_t n, size_t i,
               const struct kpod_emit_opts *o)
{
    static const char *const kinds[] = {
        [KPOD_EMIT_DEPLOYMENT] = "Deployment", [KPOD_EMIT_JOB] = "Job"};
    const struct kpod_pod *pod = items[i].pod;
    bool own = o->kind == KPOD_EMIT_OWN || (o->kind < ARRAY_SIZE(kinds) && kinds[o->kind] != NULL &&
                                            strcmp(kinds[o->kind], pod->kind) == 0);
    if (!own || pod->owner_name == NULL || !is_workload(pod->kind))
        return 1;
    long long count = 0;
    for (size_t k = 0; k < n; k++) {
        const struct kpod_pod *q = items[k].pod;
        if (q->owner_name == NULL || strcmp(q->kind, pod->kind) != 0 ||
            strcmp(q->owner_name, pod->owner_name) != 0)
            continue;
        if (k < i)
            return 0;
        count++;
    }
    return count;
}

static int
emit_items(struct yemit *em, const struct kpod_emit_item *items, size_t n,
           const struct kpod_emit_opts *o, struct kpod_err **err)
{
    _cleanup_free_ const struct kpod_keyset **keysets = NULL;
    size_t n_keysets = 0;
    for (size_t i = 0; i < n; i++) {
        const struct kpod_pod *pod = items[i].pod;
        long long share = workload_share(items, n, i, o);
        if (share == 0)
            continue;
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
        emit_pod_doc(em, pod, &t, o->replicas > 0 ? o->replicas : share);
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
    struct yemit em = {0};
    if (!yaml_emitter_initialize(&em.e))
        return kpod_err_msg(err, "cannot initialise the YAML emitter");
    yaml_emitter_set_output(&em.e, ye_write_out, &em.out);
    yaml_emitter_set_unicode(&em.e, 1);
    yaml_emitter_set_width(&em.e, -1);
    yaml_emitter_set_indent(&em.e, 2);
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    ye_emit(&em, &ev);
    int r = emit_items(&em, items, n, o, err);
    yaml_stream_end_event_initialize(&ev);
    ye_emit(&em, &ev);
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
