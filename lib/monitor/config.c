/* The monitor's input (monitor.json) and its per-container output (status.json). */
#include "monitor/monitor.h"

#include <stdlib.h>
#include <string.h>

static const char *const probe_names[KPOD_PROBE_KINDS] = {"liveness", "readiness", "startup"};
static const char *const handler_types[] = {NULL, "exec", "httpGet", "tcpSocket"};

const char *
kpod_probe_kind_name(enum kpod_probe_kind k)
{
    return (unsigned)k < KPOD_PROBE_KINDS ? probe_names[k] : "probe";
}

static void
handler_fini(struct kpod_monitor_handler *h)
{
    kpod_strv_free(h->command);
    free(h->host);
    free(h->path);
    kpod_strv_free(h->headers);
}

static json_t *
handler_json(const struct kpod_monitor_handler *h)
{
    json_t *o = json_pack("{s:s}", "type", handler_types[h->type]);
    if (h->type == KPOD_MH_EXEC) {
        json_object_set_new(o, "command", kpod_json_of_strv(h->command));
        return o;
    }
    kpod_json_set_str(o, "host", h->host);
    kpod_json_set_int(o, "port", h->port);
    kpod_json_set_str(o, "path", h->path);
    if (h->headers != NULL)
        json_object_set_new(o, "headers", kpod_json_of_strv(h->headers));
    return o;
}

static void
handler_from_json(const json_t *j, struct kpod_monitor_handler *h)
{
    const char *t = kpod_json_str(j, "type");
    for (size_t i = 1; t != NULL && i < ARRAY_SIZE(handler_types); i++)
        if (strcmp(t, handler_types[i]) == 0)
            h->type = (enum kpod_monitor_handler_type)i;
    if (h->type == KPOD_MH_EXEC)
        h->command = kpod_json_to_strv(json_object_get(j, "command"));
    h->host = xstrdup(kpod_json_str(j, "host"));
    h->port = (int)kpod_json_int(j, "port", 0);
    h->path = xstrdup(kpod_json_str(j, "path"));
    if (json_is_array(json_object_get(j, "headers")))
        h->headers = kpod_json_to_strv(json_object_get(j, "headers"));
}

static void
ctr_to_json(const struct kpod_monitor_ctr *k, json_t *o)
{
    for (int p = 0; p < KPOD_PROBE_KINDS; p++) {
        const struct kpod_monitor_probe *pr = &k->probes[p];
        if (pr->h.type == KPOD_MH_NONE)
            continue;
        json_t *j = handler_json(&pr->h);
        kpod_json_set_int(j, "delay", pr->delay);
        kpod_json_set_int(j, "period", pr->period);
        kpod_json_set_int(j, "timeout", pr->timeout);
        kpod_json_set_int(j, "success", pr->success);
        kpod_json_set_int(j, "failure", pr->failure);
        kpod_json_set_int(j, "grace", pr->grace);
        json_object_set_new(o, probe_names[p], j);
    }
    if (k->post_start.type != KPOD_MH_NONE)
        json_object_set_new(o, "post_start", handler_json(&k->post_start));
    if (k->pre_stop.type != KPOD_MH_NONE)
        json_object_set_new(o, "pre_stop", handler_json(&k->pre_stop));
    kpod_json_set_int(o, "grace_seconds", k->grace_seconds);
}

static void
ctr_from_json(const json_t *v, struct kpod_monitor_ctr *k)
{
    for (int p = 0; p < KPOD_PROBE_KINDS; p++) {
        const json_t *j = json_object_get(v, probe_names[p]);
        struct kpod_monitor_probe *pr = &k->probes[p];
        if (!json_is_object(j))
            continue;
        handler_from_json(j, &pr->h);
        pr->delay = (int)kpod_json_int(j, "delay", 0);
        pr->period = (int)kpod_json_int(j, "period", 10);
        pr->timeout = (int)kpod_json_int(j, "timeout", 1);
        pr->success = (int)kpod_json_int(j, "success", 1);
        pr->failure = (int)kpod_json_int(j, "failure", 3);
        pr->grace = (int)kpod_json_int(j, "grace", -1);
    }
    if (json_is_object(json_object_get(v, "post_start")))
        handler_from_json(json_object_get(v, "post_start"), &k->post_start);
    if (json_is_object(json_object_get(v, "pre_stop")))
        handler_from_json(json_object_get(v, "pre_stop"), &k->pre_stop);
    k->grace_seconds = (int)kpod_json_int(v, "grace_seconds", 30);
}

static void
ctr_fini(struct kpod_monitor_ctr *c)
{
    free(c->name);
    free(c->id);
    free(c->bundle);
    free(c->state_dir);
    free(c->cgroup);
    free(c->log_path);
    for (int p = 0; p < KPOD_PROBE_KINDS; p++)
        handler_fini(&c->probes[p].h);
    handler_fini(&c->post_start);
    handler_fini(&c->pre_stop);
}

void
kpod_monitor_config_free(struct kpod_monitor_config *c)
{
    if (c == NULL)
        return;
    free(c->pod_id);
    free(c->pod_name);
    free(c->pod_dir);
    free(c->restart_policy);
    for (size_t i = 0; i < c->nctrs; i++)
        ctr_fini(&c->ctrs[i]);
    free(c->ctrs);
    free(c);
}

json_t *
kpod_monitor_config_to_json(const struct kpod_monitor_config *c)
{
    json_t *ctrs = json_array();
    for (size_t i = 0; i < c->nctrs; i++) {
        const struct kpod_monitor_ctr *k = &c->ctrs[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "name", k->name, "id", k->id,
                              "bundle", k->bundle, "state_dir", k->state_dir, "log_path",
                              k->log_path, "init", k->init, "stdin", k->stdin_open);
        kpod_json_set_str(o, "cgroup", k->cgroup);
        kpod_json_set_int(o, "stop_signal", k->stop_signal);
        json_object_set_new(o, "sidecar", json_boolean(k->sidecar));
        json_object_set_new(o, "poststart", json_boolean(k->poststart));
        json_object_set_new(o, "poststop", json_boolean(k->poststop));
        ctr_to_json(k, o);
        json_array_append_new(ctrs, o);
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:o}", "pod_id", c->pod_id,
                          "pod_name", c->pod_name, "pod_dir", c->pod_dir, "restart_policy",
                          c->restart_policy, "backoff_ms", (json_int_t)c->backoff_ms,
                          "log_max_size", (json_int_t)c->log_max_size, "log_max_files",
                          (int)c->log_max_files, "containers", ctrs);
    kpod_json_set_int(j, "grace_s", (long long)c->grace_s);
    return j;
}

static char *
req_str(const json_t *j, const char *key, bool *bad)
{
    const char *v = kpod_json_str(j, key);
    if (v == NULL)
        *bad = true;
    return xstrdup(v);
}

struct kpod_monitor_config *
kpod_monitor_config_from_json(const json_t *j, struct kpod_err **err)
{
    struct kpod_monitor_config *c = xzalloc(sizeof(*c));
    bool bad = false;
    c->pod_id = req_str(j, "pod_id", &bad);
    c->pod_name = req_str(j, "pod_name", &bad);
    c->pod_dir = req_str(j, "pod_dir", &bad);
    c->restart_policy = req_str(j, "restart_policy", &bad);
    c->backoff_ms = kpod_json_int(j, "backoff_ms", 10000);
    c->log_max_size = (uint64_t)kpod_json_int(j, "log_max_size", 0);
    c->log_max_files = (unsigned)kpod_json_int(j, "log_max_files", 0);
    c->grace_s = kpod_json_int(j, "grace_s", 30);
    json_t *ctrs = json_object_get(j, "containers");
    c->ctrs = xcalloc(json_array_size(ctrs) + 1, sizeof(*c->ctrs));
    size_t i;
    json_t *v;
    json_array_foreach(ctrs, i, v)
    {
        struct kpod_monitor_ctr *k = &c->ctrs[c->nctrs++];
        k->name = req_str(v, "name", &bad);
        k->id = req_str(v, "id", &bad);
        k->bundle = req_str(v, "bundle", &bad);
        k->state_dir = req_str(v, "state_dir", &bad);
        k->log_path = req_str(v, "log_path", &bad);
        k->cgroup = xstrdup(kpod_json_str(v, "cgroup"));
        k->init = kpod_json_bool(v, "init", false);
        k->sidecar = k->init && kpod_json_bool(v, "sidecar", false);
        k->stdin_open = kpod_json_bool(v, "stdin", false);
        k->stop_signal = (int)kpod_json_int(v, "stop_signal", 0);
        k->poststart = kpod_json_bool(v, "poststart", false);
        k->poststop = kpod_json_bool(v, "poststop", false);
        ctr_from_json(v, k);
    }
    if (bad) {
        kpod_monitor_config_free(c);
        kpod_err_input(err, "monitor config: a required field is missing");
        return NULL;
    }
    return c;
}

int
kpod_ctr_status_save(const char *state_dir, const struct kpod_ctr_status *s, struct kpod_err **err)
{
    _cleanup_json_ json_t *j = json_pack(
        "{s:s, s:I, s:I, s:i, s:b, s:i, s:I, s:I}", "state", s->state, "pid", (json_int_t)s->pid,
        "starttime", (json_int_t)s->starttime, "exit_code", s->exit_code, "oom_killed",
        s->oom_killed, "restart_count", s->restart_count, "started_ns", (json_int_t)s->started_ns,
        "finished_ns", (json_int_t)s->finished_ns);
    kpod_json_set_str(j, "error", s->error);
    kpod_json_set_int(j, "log_dropped", (long long)s->log_dropped);
    json_object_set_new(j, "ready", json_boolean(s->ready));
    json_object_set_new(j, "started", json_boolean(s->started));
    for (int p = 0; p < KPOD_PROBE_KINDS; p++) {
        const struct kpod_probe_status *ps = &s->probes[p];
        if (!ps->set)
            continue;
        json_t *o = json_pack("{s:i, s:I, s:i, s:I}", "result", ps->result, "last_ns",
                              (json_int_t)ps->last_ns, "failures", ps->failures, "failed_ns",
                              (json_int_t)ps->failed_ns);
        kpod_json_set_str(o, "message", ps->message);
        kpod_json_set_int(o, "threshold", ps->threshold);
        json_object_set_new(j, probe_names[p], o);
    }
    _cleanup_free_ char *path = xasprintf("%s/status.json", state_dir);
    return kpod_json_save_file(path, j, false, 0600, err);
}

int
kpod_ctr_status_load(const char *state_dir, struct kpod_ctr_status *ret, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/status.json", state_dir);
    _cleanup_json_ json_t *j = kpod_json_load_file(path, 65536, err);
    if (j == NULL)
        return -1;
    struct kpod_ctr_status s = {.exit_code = -1};
    snprintf(s.state, sizeof(s.state), "%s",
             kpod_json_str(j, "state") ? kpod_json_str(j, "state") : "created");
    s.pid = (pid_t)kpod_json_int(j, "pid", 0);
    s.starttime = (unsigned long long)kpod_json_int(j, "starttime", 0);
    s.exit_code = (int)kpod_json_int(j, "exit_code", -1);
    s.oom_killed = kpod_json_bool(j, "oom_killed", false);
    s.restart_count = (int)kpod_json_int(j, "restart_count", 0);
    s.started_ns = kpod_json_int(j, "started_ns", 0);
    s.finished_ns = kpod_json_int(j, "finished_ns", 0);
    s.log_dropped = (uint64_t)kpod_json_int(j, "log_dropped", 0);
    s.error = xstrdup(kpod_json_str(j, "error"));
    s.ready = kpod_json_bool(j, "ready", false);
    s.started = kpod_json_bool(j, "started", false);
    for (int p = 0; p < KPOD_PROBE_KINDS; p++) {
        const json_t *o = json_object_get(j, probe_names[p]);
        struct kpod_probe_status *ps = &s.probes[p];
        if (!json_is_object(o))
            continue;
        ps->set = true;
        ps->result = (int)kpod_json_int(o, "result", 0);
        ps->last_ns = kpod_json_int(o, "last_ns", 0);
        ps->failures = (int)kpod_json_int(o, "failures", 0);
        ps->failed_ns = kpod_json_int(o, "failed_ns", 0);
        ps->threshold = (int)kpod_json_int(o, "threshold", 1);
        ps->message = xstrdup(kpod_json_str(o, "message"));
    }
    *ret = s;
    return 0;
}

void
kpod_ctr_status_fini(struct kpod_ctr_status *s)
{
    free(s->error);
    s->error = NULL;
    for (int p = 0; p < KPOD_PROBE_KINDS; p++) {
        free(s->probes[p].message);
        s->probes[p].message = NULL;
    }
}

json_t *
kpod_ctr_status_probes_json(const struct kpod_ctr_status *s)
{
    static const char *const titles[KPOD_PROBE_KINDS] = {"Liveness", "Readiness", "Startup"};
    json_t *j = NULL;
    for (int p = 0; p < KPOD_PROBE_KINDS; p++) {
        const struct kpod_probe_status *ps = &s->probes[p];
        if (!ps->set)
            continue;
        if (j == NULL)
            j = json_object();
        const char *res = ps->result > 0 ? "success" : ps->result < 0 ? "failure" : "unknown";
        json_t *o = json_pack("{s:s, s:I, s:i, s:I}", "Result", res, "LastProbeTime",
                              (json_int_t)ps->last_ns, "FailingStreak", ps->failures,
                              "LastFailureTime", (json_int_t)ps->failed_ns);
        kpod_json_set_int(o, "FailureThreshold", ps->threshold);
        kpod_json_set_str(o, "LastFailureMessage", ps->message);
        json_object_set_new(j, titles[p], o);
    }
    return j;
}
