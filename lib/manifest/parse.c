/* Documents and kinds: reading inputs with limits, the event pre-pass that bounds nodes and
 * depth before anything is built, and the dispatch of Pod, Deployment, Job, DaemonSet,
 * ConfigMap, Secret and List. */
#include "manifest/internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

KPOD_DEFINE_CLEANUP(yaml_document_t, yaml_document_delete)

struct parse_state {
    struct kpod_manifest *m;
    char **warnings;
    size_t n_pods_cap, n_keysets_cap, n_workloads_cap;
};

static int
yaml_error(const char *name, yaml_parser_t *p, struct kpod_err **err)
{
    const yaml_mark_t *mark = p->problem ? &p->problem_mark : &p->context_mark;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR)
        return kpod_err_input(err, "%s: out of memory parsing YAML", name);
    if (p->context != NULL)
        return kpod_err_input(err, "%s:%zu:%zu: %s %s", name, mark->line + 1, mark->column + 1,
                              problem, p->context);
    return kpod_err_input(err, "%s:%zu:%zu: %s", name, mark->line + 1, mark->column + 1, problem);
}

/* Anchors of one document and how many nodes each expands to, for the alias budget. */
struct anchors {
    struct anchor {
        char *name;
        size_t size;
    } * slots;
    size_t cap, n;
};

static void
anchors_clear(struct anchors *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i].name);
    free(t->slots);
    *t = (struct anchors){0};
}

static size_t
anchor_hash(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct anchor *
anchor_slot(struct anchors *t, const char *name)
{
    size_t i = anchor_hash(name) & (t->cap - 1);
    while (t->slots[i].name != NULL && strcmp(t->slots[i].name, name) != 0)
        i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

static void
anchor_set(struct anchors *t, const char *name, size_t size)
{
    if (t->n * 2 >= t->cap) {
        struct anchors bigger = {xcalloc(t->cap ? t->cap * 2 : 64, sizeof(struct anchor)),
                                 t->cap ? t->cap * 2 : 64, 0};
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slots[i].name != NULL) {
                *anchor_slot(&bigger, t->slots[i].name) = t->slots[i];
                bigger.n++;
            }
        }
        free(t->slots);
        *t = bigger;
    }
    struct anchor *a = anchor_slot(t, name);
    if (a->name == NULL) {
        a->name = xstrdup(name);
        t->n++;
    }
    a->size = size;
}

static size_t
anchor_get(struct anchors *t, const char *name)
{
    if (t->cap == 0)
        return 0;
    struct anchor *a = anchor_slot(t, name);
    return a->name ? a->size : 0;
}

/* Per-document counters of the pre-pass. */
struct prepass {
    struct anchors anchors;
    size_t nodes, expanded; /* as written; with every alias expanded */
    int depth;
    struct open {
        char *anchor;
        size_t expanded_at_start;
    } stack[KPOD_MANIFEST_MAX_DEPTH + 1];
};

static int
prepass_event(struct prepass *pp, yaml_event_t *ev, const char *name, struct kpod_err **err)
{
    size_t line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
    const char *anchor = NULL;
    switch (ev->type) {
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        anchor =
            (const char *)(ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
                                                                 : ev->data.mapping_start.anchor);
        if (pp->depth >= KPOD_MANIFEST_MAX_DEPTH)
            return kpod_err_input(err, "%s:%zu:%zu: nesting deeper than %d levels", name, line, col,
                                  KPOD_MANIFEST_MAX_DEPTH);
        pp->stack[pp->depth++] = (struct open){anchor ? xstrdup(anchor) : NULL, pp->expanded};
        pp->nodes++, pp->expanded++;
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (pp->depth > 0) {
            struct open *o = &pp->stack[--pp->depth];
            if (o->anchor != NULL)
                anchor_set(&pp->anchors, o->anchor, pp->expanded - o->expanded_at_start);
            free(o->anchor);
            o->anchor = NULL;
        }
        break;
    case YAML_SCALAR_EVENT:
        pp->nodes++, pp->expanded++;
        if (ev->data.scalar.anchor != NULL)
            anchor_set(&pp->anchors, (const char *)ev->data.scalar.anchor, 1);
        break;
    case YAML_ALIAS_EVENT:
        pp->nodes++;
        pp->expanded += anchor_get(&pp->anchors, (const char *)ev->data.alias.anchor);
        if (pp->expanded > KPOD_MANIFEST_MAX_VISITS)
            return kpod_err_input(err,
                                  "%s:%zu:%zu: aliases expand the document to more than %d "
                                  "nodes (a YAML bomb?): refusing",
                                  name, line, col, KPOD_MANIFEST_MAX_VISITS);
        break;
    default:
        break;
    }
    if (pp->nodes > KPOD_MANIFEST_MAX_NODES)
        return kpod_err_input(err, "%s:%zu:%zu: document has more than %d nodes", name, line, col,
                              KPOD_MANIFEST_MAX_NODES);
    return 0;
}

static void
prepass_reset(struct prepass *pp)
{
    anchors_clear(&pp->anchors);
    for (int i = 0; i < pp->depth; i++)
        free(pp->stack[i].anchor);
    pp->depth = 0;
    pp->nodes = pp->expanded = 0;
}

/* Counts nodes, depth and alias expansion per document with the event parser, so that a
 * deep, huge or exploding document is refused before libyaml's loader builds it. */
static int
prepass(const char *name, const char *buf, size_t len, struct kpod_err **err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    if (!yaml_parser_initialize(&p))
        return kpod_err_msg(err, "%s: cannot initialise the YAML parser", name);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    struct prepass pp = {0};
    int docs = 0, r = 0;
    for (bool done = false; !done && r == 0;) {
        if (!yaml_parser_parse(&p, &ev)) {
            r = yaml_error(name, &p, err);
            break;
        }
        if (ev.type == YAML_STREAM_END_EVENT)
            done = true;
        else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > KPOD_MANIFEST_MAX_DOCUMENTS)
            r = kpod_err_input(err, "%s:%zu:%zu: more than %d documents", name,
                               ev.start_mark.line + 1, ev.start_mark.column + 1,
                               KPOD_MANIFEST_MAX_DOCUMENTS);
        else if (ev.type == YAML_DOCUMENT_END_EVENT)
            prepass_reset(&pp);
        else
            r = prepass_event(&pp, &ev, name, err);
        yaml_event_delete(&ev);
    }
    prepass_reset(&pp);
    yaml_parser_delete(&p);
    return r;
}

static struct kpod_pod *
new_pod(struct parse_state *st)
{
    struct kpod_manifest *m = st->m;
    if (m->n_pods == st->n_pods_cap) {
        st->n_pods_cap = st->n_pods_cap ? st->n_pods_cap * 2 : 4;
        struct kpod_pod *np = arena_array(m->arena, st->n_pods_cap, sizeof(*np));
        if (m->n_pods)
            memcpy(np, m->pods, m->n_pods * sizeof(*np));
        m->pods = np;
    }
    return &m->pods[m->n_pods++];
}

static struct kpod_keyset *
new_keyset(struct parse_state *st)
{
    struct kpod_manifest *m = st->m;
    if (m->n_keysets == st->n_keysets_cap) {
        st->n_keysets_cap = st->n_keysets_cap ? st->n_keysets_cap * 2 : 4;
        struct kpod_keyset *nk = arena_array(m->arena, st->n_keysets_cap, sizeof(*nk));
        if (m->n_keysets)
            memcpy(nk, m->keysets, m->n_keysets * sizeof(*nk));
        m->keysets = nk;
    }
    return &m->keysets[m->n_keysets++];
}

static struct kpod_workload *
new_workload(struct parse_state *st)
{
    struct kpod_manifest *m = st->m;
    if (m->n_workloads == st->n_workloads_cap) {
        st->n_workloads_cap = st->n_workloads_cap ? st->n_workloads_cap * 2 : 4;
        struct kpod_workload *nw = arena_array(m->arena, st->n_workloads_cap, sizeof(*nw));
        if (m->n_workloads)
            memcpy(nw, m->workloads, m->n_workloads * sizeof(*nw));
        m->workloads = nw;
    }
    return &m->workloads[m->n_workloads++];
}

/* The pod of a Pod document, or of a workload's spec.template. */
static int
parse_pod_object(struct yctx *y, yaml_node_t *obj, struct kpod_pod *pod)
{
    yaml_node_t *meta = y_map_get(y, obj, "metadata");
    yaml_node_t *spec = y_map_get(y, obj, "spec");
    size_t saved = 0;
    if (meta != NULL) {
        saved = y_push_key(y, "metadata");
        if (parse_object_meta(y, meta, pod) < 0)
            return -1;
        y_pop(y, saved);
    }
    if (spec == NULL || y_is_null(spec))
        return y_err_key(y, obj, "spec", "required");
    saved = y_push_key(y, "spec");
    if (parse_pod_spec(y, spec, pod) < 0)
        return -1;
    y_pop(y, saved);
    return 0;
}

static const struct field top_fields[] = {
    {"apiVersion", F_IGNORE, 0, NULL}, {"kind", F_IGNORE, 0, NULL},
    {"metadata", F_IGNORE, 0, NULL},   {"spec", F_IGNORE, 0, NULL},
    {"status", F_IGNORE, 0, NULL},     {NULL, 0, 0, NULL},
};

static int
check_pod_name(struct yctx *y, yaml_node_t *obj, struct kpod_pod *pod)
{
    if (pod->name == NULL || *pod->name == '\0')
        return y_err_key(y, obj, "metadata.name", "required");
    if (!kpod_is_dns1123_subdomain(pod->name))
        return y_err_key(y, obj, "metadata.name",
                         "'%s' is not a valid name: lower case letters, digits, '-' and '.', "
                         "at most 253 characters",
                         pod->name);
    if (pod->namespace == NULL)
        pod->namespace = arena_strdup(y->a, "default");
    else if (!kpod_is_dns1123_label(pod->namespace))
        return y_err_key(y, obj, "metadata.namespace", "'%s' is not a valid namespace",
                         pod->namespace);
    return 0;
}

static int
do_pod(struct yctx *y, struct parse_state *st, yaml_node_t *obj)
{
    struct kpod_pod *pod = new_pod(st);
    pod->pos = y_pos(y, obj);
    pod->kind = arena_strdup(y->a, "Pod");
    if (y_walk_map(y, obj, top_fields, NULL) < 0 || parse_pod_object(y, obj, pod) < 0)
        return -1;
    return check_pod_name(y, obj, pod);
}

/* The workload fields kpod acts on, per kind; the others are warned about. */
static bool
workload_field_handled(const char *kind, const char *key)
{
    static const char *const job[] = {"completions", "parallelism", "backoffLimit",
                                      "activeDeadlineSeconds", "ttlSecondsAfterFinished"};
    if (strcmp(key, "template") == 0 || strcmp(key, "selector") == 0)
        return true;
    if (strcmp(kind, "Job") == 0) {
        for (size_t i = 0; i < ARRAY_SIZE(job); i++)
            if (strcmp(key, job[i]) == 0)
                return true;
        return false;
    }
    return strcmp(key, "replicas") == 0 && strcmp(kind, "DaemonSet") != 0;
}

static int
warn_workload_fields(struct yctx *y, yaml_node_t *spec, const char *kind)
{
    static const char *const known[] = {"template",
                                        "replicas",
                                        "selector",
                                        "strategy",
                                        "minReadySeconds",
                                        "revisionHistoryLimit",
                                        "paused",
                                        "progressDeadlineSeconds",
                                        "completions",
                                        "parallelism",
                                        "backoffLimit",
                                        "activeDeadlineSeconds",
                                        "ttlSecondsAfterFinished",
                                        "completionMode",
                                        "manualSelector",
                                        "suspend",
                                        "podFailurePolicy",
                                        "backoffLimitPerIndex",
                                        "updateStrategy",
                                        "serviceName",
                                        "podManagementPolicy",
                                        "volumeClaimTemplates",
                                        NULL};
    for (yaml_node_pair_t *p = spec->data.mapping.pairs.start; p < spec->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = y_node(y, p->key);
        if (k == NULL)
            return -1;
        const char *key = y_scalar(k);
        bool ok = false;
        for (size_t i = 0; key != NULL && known[i] != NULL; i++)
            ok = ok || strcmp(key, known[i]) == 0;
        if (!ok)
            y_warn_key(y, k, key ? key : "?", "unknown field, ignored");
        else if (!workload_field_handled(kind, key))
            y_warn_key(y, k, key, "not supported by kpod for a %s, ignored", kind);
    }
    return 0;
}

/* An optional integer field of the workload's spec, within [min, max]. */
static int
spec_ll(struct yctx *y, yaml_node_t *spec, const char *key, long long min, long long max,
        long long *ret)
{
    yaml_node_t *n = y_map_get(y, spec, key);
    if (n == NULL || y_is_null(n))
        return 0;
    size_t saved = y_push_key(y, key);
    if (y_ll(y, n, min, max, ret) < 0)
        return -1;
    y_pop(y, saved);
    return 0;
}

/* A Job's spec with Kubernetes' defaults and kpod's ceilings. */
static int
parse_job_spec(struct yctx *y, yaml_node_t *spec, struct kpod_job *job)
{
    *job = (struct kpod_job){.completions = 1,
                             .parallelism = 1,
                             .backoff_limit = 6,
                             .active_deadline_seconds = KPOD_UNSET,
                             .ttl_seconds_after_finished = KPOD_UNSET};
    if (spec_ll(y, spec, "completions", 1, KPOD_MANIFEST_MAX_JOB_PODS, &job->completions) < 0 ||
        spec_ll(y, spec, "parallelism", 1, KPOD_MANIFEST_MAX_JOB_PODS, &job->parallelism) < 0 ||
        spec_ll(y, spec, "backoffLimit", 0, KPOD_MANIFEST_MAX_JOB_PODS, &job->backoff_limit) < 0 ||
        spec_ll(y, spec, "activeDeadlineSeconds", 1, 1LL << 31, &job->active_deadline_seconds) <
            0 ||
        spec_ll(y, spec, "ttlSecondsAfterFinished", 0, 1LL << 31,
                &job->ttl_seconds_after_finished) < 0)
        return -1;
    return 0;
}

/* A copy of l with key set to value (replaced when present). */
static struct kpod_kvlist
kv_with(struct kpod_arena *a, const struct kpod_kvlist *l, const char *key, const char *value)
{
    struct kpod_kvlist out = {arena_array(a, l->n + 1, sizeof(struct kpod_kv)), 0};
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].key, key) != 0)
            out.items[out.n++] = l->items[i];
    out.items[out.n++] =
        (struct kpod_kv){arena_strdup(a, key), arena_strdup(a, value), strlen(value)};
    return out;
}

/* The metadata a workload's pods carry: the owner annotation, and a Job's labels. */
static void
mark_owned(struct yctx *y, struct kpod_pod *pod, const char *kind, const char *owner)
{
    char *who = arena_printf(y->a, "%s/%s", kind, owner);
    pod->annotations = kv_with(y->a, &pod->annotations, KPOD_MANIFEST_OWNER_ANNOTATION, who);
    if (strcmp(kind, "Job") == 0) {
        pod->labels = kv_with(y->a, &pod->labels, "job-name", owner);
        pod->labels = kv_with(y->a, &pod->labels, "batch.kubernetes.io/job-name", owner);
    }
}

/* How many pods a workload runs: replicas (Deployment, ReplicaSet, StatefulSet; default 1,
 * at most KPOD_MANIFEST_MAX_REPLICAS); one for a DaemonSet (one node) and a Job's template. */
static int
workload_replicas(struct yctx *y, yaml_node_t *spec, const char *kind, const char *name,
                  long long *ret)
{
    *ret = 1;
    if (!workload_field_handled(kind, "replicas"))
        return 0;
    if (spec_ll(y, spec, "replicas", 0, 1000000, ret) < 0)
        return -1;
    if (*ret > KPOD_MANIFEST_MAX_REPLICAS)
        return y_err_key(y, y_map_get(y, spec, "replicas"), "replicas",
                         "%lld replicas: kpod runs at most %d pods per %s", *ret,
                         KPOD_MANIFEST_MAX_REPLICAS, kind);
    if (*ret == 0)
        y_warn_key(y, y_map_get(y, spec, "replicas"), "replicas",
                   "0 replicas: no pod is run for %s '%s'", kind, name);
    return 0;
}

/* The Job template's restartPolicy: Never or OnFailure (Never when absent). */
static int
check_job_restart(struct yctx *y, yaml_node_t *tmpl, struct kpod_pod *pod)
{
    if (pod->restart_policy != KPOD_RESTART_ALWAYS)
        return 0;
    yaml_node_t *rp = y_map_get(y, y_map_get(y, tmpl, "spec"), "restartPolicy");
    if (rp != NULL)
        return y_err_key(y, rp, "spec.template.spec.restartPolicy",
                         "'Always' is not allowed: a Job needs OnFailure or Never");
    pod->restart_policy = KPOD_RESTART_NEVER;
    return 0;
}

/* Parses spec.template into pod (the path is at the workload's top). */
static int
parse_template(struct yctx *y, yaml_node_t *tmpl, struct kpod_pod *pod)
{
    static const struct field tmpl_fields[] = {
        {"metadata", F_IGNORE, 0, NULL}, {"spec", F_IGNORE, 0, NULL}, {NULL, 0, 0, NULL}};
    size_t saved = y_push_key(y, "spec");
    size_t s2 = y_push_key(y, "template");
    pod->pos = y_pos(y, tmpl);
    if (y_expect_map(y, tmpl) < 0 || parse_pod_object(y, tmpl, pod) < 0 ||
        y_walk_map(y, tmpl, tmpl_fields, NULL) < 0)
        return -1;
    y_pop(y, s2);
    y_pop(y, saved);
    return 0;
}

/* The first hostPort the pod publishes, 0 when none: replicas on one host cannot share it. */
static int
first_host_port(const struct kpod_pod *pod)
{
    for (size_t i = 0; i < pod->n_containers; i++)
        for (size_t j = 0; j < pod->containers[i].n_ports; j++)
            if (pod->containers[i].ports[j].host_port > 0)
                return pod->containers[i].ports[j].host_port;
    return 0;
}

/* Deployment, ReplicaSet, StatefulSet: `replicas` pods "<name>-0" … "<name>-<N-1>" from
 * spec.template; DaemonSet: "<name>-0"; Job: its template "<name>-0" with the Job's spec (the
 * Job controller makes the pods "<name>-<n>"). */
static int
do_workload(struct yctx *y, struct parse_state *st, yaml_node_t *obj, const char *kind)
{
    struct kpod_pod owner = {0}, tpl = {0};
    yaml_node_t *meta = y_map_get(y, obj, "metadata");
    if (y_walk_map(y, obj, top_fields, NULL) < 0)
        return -1;
    size_t saved = y_push_key(y, "metadata");
    if (meta != NULL && parse_object_meta(y, meta, &owner) < 0)
        return -1;
    y_pop(y, saved);
    if (check_pod_name(y, obj, &owner) < 0)
        return -1;
    yaml_node_t *spec = y_map_get(y, obj, "spec");
    yaml_node_t *tmpl = y_map_get(y, spec, "template");
    if (spec == NULL || y_expect_map(y, spec) < 0)
        return spec ? -1 : y_err_key(y, obj, "spec", "required");
    if (tmpl == NULL || y_is_null(tmpl))
        return y_err_key(y, obj, "spec.template", "required");
    saved = y_push_key(y, "spec");
    long long replicas = 1;
    struct kpod_job *job = NULL;
    if (warn_workload_fields(y, spec, kind) < 0 ||
        workload_replicas(y, spec, kind, owner.name, &replicas) < 0)
        return -1;
    if (strcmp(kind, "Job") == 0) {
        job = arena_alloc(y->a, sizeof(*job));
        if (parse_job_spec(y, spec, job) < 0)
            return -1;
    }
    y_pop(y, saved);
    if (parse_template(y, tmpl, &tpl) < 0)
        return -1;
    tpl.kind = arena_strdup(y->a, kind);
    tpl.owner_name = owner.name;
    tpl.namespace = owner.namespace;
    tpl.job = job;
    if (tpl.labels.n == 0)
        tpl.labels = owner.labels;
    if (job != NULL && check_job_restart(y, tmpl, &tpl) < 0)
        return -1;
    mark_owned(y, &tpl, kind, owner.name);
    /* the longest name the workload makes must be valid */
    long long last = job ? job->completions + job->backoff_limit : replicas - 1;
    char *longest = arena_printf(y->a, "%s-%lld", owner.name, last < 0 ? 0 : last);
    if (!kpod_is_dns1123_subdomain(longest))
        return y_err_key(y, obj, "metadata.name", "'%s' is too long for its pod names", owner.name);
    long long at_once =
        job ? (job->parallelism < job->completions ? job->parallelism : job->completions)
            : replicas;
    int hp = at_once > 1 ? first_host_port(&tpl) : 0;
    if (hp > 0) /* play refuses the second pod; the YAML itself is valid Kubernetes */
        y_warn_key(y, job ? y_map_get(y, spec, "parallelism") : y_map_get(y, spec, "replicas"),
                   job ? "spec.parallelism" : "spec.replicas",
                   "%lld pods of %s '%s' at once cannot share hostPort %d on one host: only the "
                   "first can run",
                   at_once, kind, owner.name, hp);
    if (st->m->n_pods + (size_t)replicas > KPOD_MANIFEST_MAX_PODS)
        return y_err(y, obj, "%s '%s': more than %d pods in the input", kind, owner.name,
                     KPOD_MANIFEST_MAX_PODS);
    *new_workload(st) =
        (struct kpod_workload){tpl.kind, owner.name, owner.namespace, replicas, job};
    for (long long i = 0; i < replicas; i++) {
        struct kpod_pod *pod = new_pod(st);
        *pod = tpl;
        pod->index = (int)i;
        pod->name = arena_printf(y->a, "%s-%lld", owner.name, i);
        if (strcmp(kind, "StatefulSet") == 0) { /* the labels Kubernetes gives each replica */
            pod->labels =
                kv_with(y->a, &pod->labels, "statefulset.kubernetes.io/pod-name", pod->name);
            pod->labels = kv_with(y->a, &pod->labels, "apps.kubernetes.io/pod-index",
                                  arena_printf(y->a, "%lld", i));
        }
    }
    return 0;
}

/* ConfigMap / Secret */
struct keyset_raw {
    struct kpod_kvlist data, binary, string_data;
    char *type;
    bool immutable;
};

static int
decode_values(struct yctx *y, yaml_node_t *obj, const char *field, struct kpod_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        char *out = NULL;
        size_t len = 0;
        if (manifest_base64_decode(y->a, l->items[i].value, &out, &len) < 0) {
            _cleanup_free_ char *k = xasprintf("%s.%s", field, l->items[i].key);
            return y_err_key(y, y_map_get(y, obj, field), k, "invalid base64 data");
        }
        l->items[i].value = out;
        l->items[i].len = len;
    }
    return 0;
}

static bool
valid_data_key(const char *k)
{
    if (*k == '\0' || strlen(k) > 253 || strcmp(k, ".") == 0 || strcmp(k, "..") == 0 ||
        kpod_str_has_prefix(k, ".."))
        return false;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

static int
do_keyset(struct yctx *y, struct parse_state *st, yaml_node_t *obj, bool secret)
{
#define K(f) offsetof(struct keyset_raw, f)
    static const struct field fields[] = {
        {"apiVersion", F_IGNORE, 0, NULL},
        {"kind", F_IGNORE, 0, NULL},
        {"metadata", F_IGNORE, 0, NULL},
        {"data", F_KV, K(data), NULL},
        {"binaryData", F_KV, K(binary), NULL},
        {"stringData", F_KV, K(string_data), NULL},
        {"type", F_STR, K(type), NULL},
        {"immutable", F_BOOL, K(immutable), NULL},
        {NULL, 0, 0, NULL},
    };
#undef K
    struct keyset_raw raw = {0};
    struct kpod_pod meta = {0};
    if (y_walk_map(y, obj, fields, &raw) < 0)
        return -1;
    yaml_node_t *mn = y_map_get(y, obj, "metadata");
    size_t saved = y_push_key(y, "metadata");
    if (mn != NULL && parse_object_meta(y, mn, &meta) < 0)
        return -1;
    y_pop(y, saved);
    if (check_pod_name(y, obj, &meta) < 0)
        return -1;
    if (!secret && (raw.string_data.n > 0 || raw.type != NULL))
        return y_err_key(y, obj, raw.type ? "type" : "stringData", "not a ConfigMap field");
    if (secret && raw.binary.n > 0)
        return y_err_key(y, obj, "binaryData", "not a Secret field");
    if ((secret && decode_values(y, obj, "data", &raw.data) < 0) ||
        decode_values(y, obj, "binaryData", &raw.binary) < 0)
        return -1;
    struct kpod_keyset *ks = new_keyset(st);
    ks->kind = secret ? KPOD_KEYSET_SECRET : KPOD_KEYSET_CONFIGMAP;
    ks->name = meta.name;
    ks->namespace = meta.namespace;
    ks->immutable = raw.immutable;
    ks->pos = y_pos(y, obj);
    size_t total = raw.data.n + raw.binary.n + raw.string_data.n;
    ks->data.items = arena_array(y->a, total + 1, sizeof(struct kpod_kv));
    struct kpod_kvlist *parts[] = {&raw.data, &raw.binary, &raw.string_data};
    for (size_t p = 0; p < 3; p++) {
        for (size_t i = 0; i < parts[p]->n; i++) {
            struct kpod_kv *kv = &parts[p]->items[i];
            if (!valid_data_key(kv->key))
                return y_err_key(y, obj, "data", "invalid key '%s'", kv->key);
            size_t j = 0;
            while (j < ks->data.n && strcmp(ks->data.items[j].key, kv->key) != 0)
                j++;
            if (j < ks->data.n && p == 1)
                return y_err_key(y, obj, "binaryData", "key '%s' is also in data", kv->key);
            ks->data.items[j] = *kv; /* stringData wins over data */
            if (j == ks->data.n)
                ks->data.n++;
        }
    }
    for (size_t i = 0; i + 1 < st->m->n_keysets; i++) {
        struct kpod_keyset *o = &st->m->keysets[i];
        if (o->kind == ks->kind && strcmp(o->name, ks->name) == 0)
            return y_err_key(y, obj, "metadata.name", "duplicate %s '%s' (first at %s:%d:%d)",
                             secret ? "Secret" : "ConfigMap", ks->name, o->pos.file, o->pos.line,
                             o->pos.col);
    }
    return 0;
}

static int do_object(struct yctx *y, struct parse_state *st, yaml_node_t *obj, int list_depth);

static int
do_list(struct yctx *y, struct parse_state *st, yaml_node_t *obj, int list_depth)
{
    static const struct field fields[] = {
        {"apiVersion", F_IGNORE, 0, NULL},
        {"kind", F_IGNORE, 0, NULL},
        {"metadata", F_IGNORE, 0, NULL},
        {"items", F_IGNORE, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    if (list_depth > 4)
        return y_err(y, obj, "Lists nested too deeply");
    if (y_walk_map(y, obj, fields, NULL) < 0)
        return -1;
    yaml_node_t *items = y_map_get(y, obj, "items");
    size_t len = 0, saved = y_push_key(y, "items");
    if (items == NULL || y_seq_len(y, items, &len) < 0)
        return items ? -1 : y_err(y, obj, "required");
    for (size_t i = 0; i < len; i++) {
        size_t s2 = 0;
        yaml_node_t *it = y_seq_item(y, items, i, &s2);
        if (it == NULL || do_object(y, st, it, list_depth + 1) < 0)
            return -1;
        y_pop(y, s2);
    }
    y_pop(y, saved);
    return 0;
}

static int
do_object(struct yctx *y, struct parse_state *st, yaml_node_t *obj, int list_depth)
{
    if (y_is_null(obj))
        return 0;
    if (y_expect_map(y, obj) < 0)
        return -1;
    yaml_node_t *kn = y_map_get(y, obj, "kind"), *av = y_map_get(y, obj, "apiVersion");
    const char *kind = y_scalar(kn), *api = y_scalar(av);
    if (kind == NULL || *kind == '\0')
        return y_err_key(y, obj, "kind", "required");
    if (api == NULL || *api == '\0')
        return y_err_key(y, obj, "apiVersion", "required");
    struct {
        const char *kind, *api;
    } const workloads[] = {{"Deployment", "apps/v1"},
                           {"DaemonSet", "apps/v1"},
                           {"ReplicaSet", "apps/v1"},
                           {"StatefulSet", "apps/v1"},
                           {"Job", "batch/v1"}};
    if (strcmp(kind, "Pod") == 0 || strcmp(kind, "ConfigMap") == 0 || strcmp(kind, "Secret") == 0 ||
        strcmp(kind, "List") == 0) {
        if (strcmp(api, "v1") != 0)
            return y_err_key(y, obj, "apiVersion", "unsupported apiVersion '%s' for %s: want v1",
                             api, kind);
        if (kind[0] == 'P')
            return do_pod(y, st, obj);
        if (kind[0] == 'L')
            return do_list(y, st, obj, list_depth);
        return do_keyset(y, st, obj, kind[0] == 'S');
    }
    for (size_t i = 0; i < ARRAY_SIZE(workloads); i++) {
        if (strcmp(kind, workloads[i].kind) != 0)
            continue;
        if (strcmp(api, workloads[i].api) != 0)
            return y_err_key(y, obj, "apiVersion", "unsupported apiVersion '%s' for %s: want %s",
                             api, kind, workloads[i].api);
        return do_workload(y, st, obj, kind);
    }
    y_warn(y, obj, "kind '%s' is not supported by kpod, skipped", kind);
    return 0;
}

/* Every input joined into one stream, for the Job controller that plays its pods later. */
static void
keep_source(struct kpod_manifest *m, const char *buf, size_t len)
{
    static const char sep[] = "\n---\n";
    size_t add = len + sizeof(sep);
    m->source = xrealloc(m->source, m->source_len + add);
    if (m->source_len > 0) {
        memcpy(m->source + m->source_len, sep, sizeof(sep) - 1);
        m->source_len += sizeof(sep) - 1;
    }
    memcpy(m->source + m->source_len, buf, len);
    m->source_len += len;
    m->source[m->source_len] = '\0';
}

static int
parse_documents(struct parse_state *st, const char *name, const char *buf, size_t len,
                struct kpod_err **err)
{
    if (len > KPOD_MANIFEST_MAX_SIZE)
        return kpod_err_input(err, "%s: larger than %u bytes", name, KPOD_MANIFEST_MAX_SIZE);
    if (memchr(buf, '\0', len) != NULL)
        return kpod_err_input(err, "%s: contains a NUL byte: not a YAML file", name);
    if (prepass(name, buf, len, err) < 0)
        return -1;
    keep_source(st->m, buf, len);
    const char *file = arena_strdup(st->m->arena, name);
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return kpod_err_msg(err, "%s: cannot initialise the YAML parser", name);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    int r = 0;
    for (;;) {
        _cleanup_(kpod_cleanup_yaml_document_delete) yaml_document_t *docp = NULL;
        yaml_document_t doc;
        if (!yaml_parser_load(&p, &doc)) {
            r = yaml_error(name, &p, err);
            break;
        }
        docp = &doc;
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root == NULL)
            break; /* end of stream */
        struct yctx y = {.doc = &doc,
                         .file = file,
                         .m = st->m,
                         .a = st->m->arena,
                         .warnings = &st->warnings,
                         .err = err};
        y.visits = 1;
        if (do_object(&y, st, root, 0) < 0) {
            r = -1;
            break;
        }
        if (st->m->n_pods > KPOD_MANIFEST_MAX_PODS) {
            r = kpod_err_input(err, "%s: more than %d pods", name, KPOD_MANIFEST_MAX_PODS);
            break;
        }
    }
    yaml_parser_delete(&p);
    return r;
}

/* On failure the warnings found so far go to *ret_warnings (when asked for), so that a typo
 * warned about is shown next to the error it caused. */
static struct kpod_manifest *
fail(struct parse_state *st, char ***ret_warnings)
{
    if (ret_warnings != NULL)
        *ret_warnings = TAKE_PTR(st->warnings);
    kpod_strv_free(st->warnings);
    kpod_manifest_free(st->m);
    return NULL;
}

static struct kpod_manifest *
finish(struct parse_state *st, char ***ret_warnings, struct kpod_err **err)
{
    if (st->m->n_pods == 0 && st->m->n_workloads == 0) {
        kpod_err_input(err, "no Pod, Deployment, Job or DaemonSet found in the input");
        return fail(st, ret_warnings);
    }
    if (manifest_validate(st->m, err) < 0)
        return fail(st, ret_warnings);
    struct kpod_manifest *m = TAKE_PTR(st->m);
    m->warnings = TAKE_PTR(st->warnings);
    return m;
}

static struct parse_state
state_new(void)
{
    struct kpod_manifest *m = xzalloc(sizeof(*m));
    m->arena = arena_new();
    return (struct parse_state){.m = m};
}

struct kpod_manifest *
kpod_manifest_parse_buffer(const char *name, const char *buf, size_t len, struct kpod_err **err)
{
    struct parse_state st = state_new();
    if (parse_documents(&st, name, buf, len, err) < 0)
        return fail(&st, NULL);
    return finish(&st, NULL, err);
}

static int
read_stdin(char **ret, size_t *ret_len, struct kpod_err **err)
{
    size_t cap = 65536, len = 0;
    _cleanup_free_ char *buf = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap > KPOD_MANIFEST_MAX_SIZE)
                return kpod_err_input(err, "stdin: larger than %u bytes", KPOD_MANIFEST_MAX_SIZE);
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kpod_err_sys(err, "read stdin");
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret_len = len;
    *ret = TAKE_PTR(buf);
    return 0;
}

struct kpod_manifest *
kpod_manifest_parse_files(char *const *paths, char ***ret_warnings, struct kpod_err **err)
{
    struct parse_state st = state_new();
    int r = 0;
    for (size_t i = 0; paths && paths[i] && r == 0; i++) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        bool is_stdin = strcmp(paths[i], "-") == 0;
        if (is_stdin)
            r = read_stdin(&buf, &len, err);
        else if ((r = kpod_fs_read_file(paths[i], KPOD_MANIFEST_MAX_SIZE, &buf, &len, err)) < 0 &&
                 *err != NULL)
            (*err)->kind = KPOD_ERR_INPUT; /* a missing input file is a usage error: 125 */
        if (r == 0)
            r = parse_documents(&st, is_stdin ? "stdin" : paths[i], buf, len, err);
    }
    if (r < 0)
        return fail(&st, ret_warnings);
    return finish(&st, ret_warnings, err);
}

void
kpod_manifest_free(struct kpod_manifest *m)
{
    if (m == NULL)
        return;
    kpod_strv_free(m->warnings);
    free(m->source);
    arena_free(m->arena);
    free(m);
}
