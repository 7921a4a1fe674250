/* The monitor's input (monitor.json) and its per-container output (status.json). */
#include "monitor/monitor.h"

#include <stdlib.h>
#include <string.h>

static void
ctr_fini(struct kpod_monitor_ctr *c)
{
    free(c->name);
    free(c->id);
    free(c->bundle);
    free(c->state_dir);
    free(c->cgroup);
    free(c->log_path);
    kpod_strv_free(c->liveness);
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
        if (k->liveness != NULL) {
            json_t *cmd = json_array();
            for (size_t a = 0; k->liveness[a] != NULL; a++)
                json_array_append_new(cmd, json_string(k->liveness[a]));
            json_object_set_new(o, "liveness",
                                json_pack("{s:o, s:i, s:i, s:i, s:i}", "exec", cmd, "delay",
                                          k->live_delay, "period", k->live_period, "timeout",
                                          k->live_timeout, "failures", k->live_failures));
        }
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
        json_t *live = json_object_get(v, "liveness");
        if (json_is_object(live)) {
            size_t a;
            json_t *arg;
            k->liveness = xcalloc(1, sizeof(char *));
            json_array_foreach(json_object_get(live, "exec"), a, arg)
                kpod_strv_push(&k->liveness, json_string_value(arg) ? json_string_value(arg) : "");
            k->live_delay = (int)kpod_json_int(live, "delay", 0);
            k->live_period = (int)kpod_json_int(live, "period", 10);
            k->live_timeout = (int)kpod_json_int(live, "timeout", 1);
            k->live_failures = (int)kpod_json_int(live, "failures", 3);
        }
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
    *ret = s;
    return 0;
}

void
kpod_ctr_status_fini(struct kpod_ctr_status *s)
{
    free(s->error);
    s->error = NULL;
}
