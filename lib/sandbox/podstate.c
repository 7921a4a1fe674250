/* The persisted pod state: struct <-> JSON, user-facing status, process identity. */
#include "sandbox/sandbox.h"

#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
ctr_free(struct kpod_ctr_state *c)
{
    free(c->id);
    free(c->name);
    free(c->image);
    free(c->cgroup);
    free(c->bundle);
    json_decref(c->extra);
}

void
kpod_pod_state_free(struct kpod_pod_state *p)
{
    if (p == NULL)
        return;
    free(p->id);
    free(p->name);
    free(p->ns);
    free(p->restart_policy);
    free(p->cgroup);
    free(p->netns);
    json_decref(p->labels);
    json_decref(p->annotations);
    json_decref(p->network);
    json_decref(p->extra);
    kpod_strv_free(p->mounts);
    for (size_t i = 0; i < p->nctrs; i++)
        ctr_free(&p->ctrs[i]);
    free(p->ctrs);
    free(p);
}

struct kpod_ctr_state *
kpod_pod_state_add_ctr(struct kpod_pod_state *p, const char *name)
{
    p->ctrs = xreallocarray(p->ctrs, p->nctrs + 1, sizeof(*p->ctrs));
    struct kpod_ctr_state *c = &p->ctrs[p->nctrs++];
    memset(c, 0, sizeof(*c));
    c->name = xstrdup(name);
    c->exit_code = -1;
    char id[65];
    kpod_random_hex(id, 32);
    c->id = xstrdup(id);
    return c;
}

struct kpod_ctr_state *
kpod_pod_state_find_ctr(struct kpod_pod_state *p, const char *name_or_id)
{
    size_t len = strlen(name_or_id);
    size_t plen = strlen(p->name);
    for (size_t i = 0; i < p->nctrs; i++) {
        struct kpod_ctr_state *c = &p->ctrs[i];
        if (strcmp(c->name, name_or_id) == 0 || strcmp(c->id, name_or_id) == 0)
            return c;
        /* podman's container name: <pod>-<container> */
        if (len > plen + 1 && strncmp(name_or_id, p->name, plen) == 0 && name_or_id[plen] == '-' &&
            strcmp(name_or_id + plen + 1, c->name) == 0)
            return c;
    }
    return NULL;
}

const char *
kpod_pod_status(const struct kpod_pod_state *p)
{
    switch (p->state) {
    case KPOD_STATE_READY:
        return "Created";
    case KPOD_STATE_PAUSED:
        return "Paused";
    case KPOD_STATE_STOPPED:
        return "Stopped";
    case KPOD_STATE_RUNNING:
        break;
    }
    /* app containers, and sidecars which run next to them; a pod whose app containers have all
     * ended is Exited whatever its sidecars do (they are being stopped then) */
    size_t running = 0, apps = 0, apps_running = 0, sidecars = 0;
    for (size_t i = 0; i < p->nctrs; i++) {
        const struct kpod_ctr_state *c = &p->ctrs[i];
        if (c->init && !c->sidecar)
            continue;
        bool up = c->state == KPOD_STATE_RUNNING;
        running += up;
        if (c->sidecar) {
            sidecars++;
            continue;
        }
        apps++;
        apps_running += up;
    }
    if (apps == 0 || running == apps + sidecars)
        return "Running";
    return apps_running == 0 ? "Exited" : "Degraded";
}

const char *
kpod_pod_phase(const struct kpod_pod_state *p)
{
    if (p->state == KPOD_STATE_READY)
        return "Pending";
    size_t apps = 0, done = 0, failed = 0;
    for (size_t i = 0; i < p->nctrs; i++) {
        const struct kpod_ctr_state *c = &p->ctrs[i];
        if (c->init)
            continue;
        apps++;
        if (c->state != KPOD_STATE_STOPPED || kpod_json_bool(c->extra, "waiting", false))
            continue;
        done++;
        failed += c->exit_code != 0;
    }
    bool restarts = p->restart_policy == NULL || strcmp(p->restart_policy, "Always") == 0;
    if (apps == 0 || done < apps || (restarts && p->state != KPOD_STATE_STOPPED))
        return p->state == KPOD_STATE_STOPPED ? "Failed" : "Running";
    return failed ? "Failed" : "Succeeded";
}

static json_t *
ref_or_object(json_t *j)
{
    return j != NULL ? json_incref(j) : json_object();
}

static json_t *
ctr_to_json(const struct kpod_ctr_state *c)
{
    json_t *j = json_pack(
        "{s:s, s:s, s:b, s:s, s:I, s:I, s:i, s:b, s:i, s:I, s:I, s:I}", "id", c->id, "name",
        c->name, "init", c->init, "state", kpod_state_name(c->state), "pid", (json_int_t)c->pid,
        "pid_start", (json_int_t)c->pid_start, "exit_code", c->exit_code, "oom_killed",
        c->oom_killed, "restart_count", c->restart_count, "created_ns", (json_int_t)c->created_ns,
        "started_ns", (json_int_t)c->started_ns, "finished_ns", (json_int_t)c->finished_ns);
    if (c->sidecar)
        json_object_set_new(j, "sidecar", json_true());
    kpod_json_set_str(j, "image", c->image);
    kpod_json_set_str(j, "cgroup", c->cgroup);
    kpod_json_set_str(j, "bundle", c->bundle);
    json_object_set_new(j, "extra", ref_or_object(c->extra));
    return j;
}

json_t *
kpod_pod_state_to_json(const struct kpod_pod_state *p)
{
    json_t *j = json_pack(
        "{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "version", 1, "id", p->id, "name", p->name,
        "state", kpod_state_name(p->state), "created_ns", (json_int_t)p->created_ns, "infra_pid",
        (json_int_t)p->infra_pid, "infra_start", (json_int_t)p->infra_start, "monitor_pid",
        (json_int_t)p->monitor_pid, "monitor_start", (json_int_t)p->monitor_start);
    kpod_json_set_str(j, "namespace", p->ns);
    kpod_json_set_str(j, "restart_policy", p->restart_policy);
    kpod_json_set_str(j, "cgroup", p->cgroup);
    kpod_json_set_str(j, "netns", p->netns);
    json_object_set_new(j, "labels", ref_or_object(p->labels));
    json_object_set_new(j, "annotations", ref_or_object(p->annotations));
    json_object_set_new(j, "network", p->network ? json_incref(p->network) : json_null());
    json_object_set_new(j, "mounts", kpod_json_of_strv(p->mounts));
    json_t *ctrs = json_array();
    for (size_t i = 0; i < p->nctrs; i++)
        json_array_append_new(ctrs, ctr_to_json(&p->ctrs[i]));
    json_object_set_new(j, "containers", ctrs);
    json_object_set_new(j, "extra", ref_or_object(p->extra));
    return j;
}

static char *
dup_str(const json_t *j, const char *key)
{
    return xstrdup(kpod_json_str(j, key));
}

static json_t *
take_object(const json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_object(v) ? json_incref(v) : json_object();
}

static int
ctr_from_json(const json_t *j, struct kpod_ctr_state *c, struct kpod_err **err)
{
    const char *state = kpod_json_str(j, "state");
    if (kpod_json_str(j, "id") == NULL || kpod_json_str(j, "name") == NULL ||
        kpod_state_parse(state, &c->state) < 0)
        return kpod_err_input(err, "container entry: missing id, name or a valid state");
    c->id = dup_str(j, "id");
    c->name = dup_str(j, "name");
    c->image = dup_str(j, "image");
    c->cgroup = dup_str(j, "cgroup");
    c->bundle = dup_str(j, "bundle");
    c->init = kpod_json_bool(j, "init", false);
    c->sidecar = kpod_json_bool(j, "sidecar", false);
    c->pid = (pid_t)kpod_json_int(j, "pid", 0);
    c->pid_start = (uint64_t)kpod_json_int(j, "pid_start", 0);
    c->exit_code = (int)kpod_json_int(j, "exit_code", -1);
    c->oom_killed = kpod_json_bool(j, "oom_killed", false);
    c->restart_count = (int)kpod_json_int(j, "restart_count", 0);
    c->created_ns = kpod_json_int(j, "created_ns", 0);
    c->started_ns = kpod_json_int(j, "started_ns", 0);
    c->finished_ns = kpod_json_int(j, "finished_ns", 0);
    c->extra = take_object(j, "extra");
    return 0;
}

struct kpod_pod_state *
kpod_pod_state_from_json(const json_t *j, struct kpod_err **err)
{
    if (!json_is_object(j) || kpod_json_int(j, "version", 0) != 1) {
        kpod_err_input(err, "pod state: not a version 1 state object");
        return NULL;
    }
    struct kpod_pod_state *p = xzalloc(sizeof(*p));
    if (kpod_json_str(j, "id") == NULL || kpod_json_str(j, "name") == NULL ||
        kpod_state_parse(kpod_json_str(j, "state"), &p->state) < 0) {
        kpod_pod_state_free(p);
        kpod_err_input(err, "pod state: missing id, name or a valid state");
        return NULL;
    }
    p->id = dup_str(j, "id");
    p->name = dup_str(j, "name");
    p->ns = dup_str(j, "namespace");
    p->restart_policy = dup_str(j, "restart_policy");
    p->cgroup = dup_str(j, "cgroup");
    p->netns = dup_str(j, "netns");
    p->created_ns = kpod_json_int(j, "created_ns", 0);
    p->infra_pid = (pid_t)kpod_json_int(j, "infra_pid", 0);
    p->infra_start = (uint64_t)kpod_json_int(j, "infra_start", 0);
    p->monitor_pid = (pid_t)kpod_json_int(j, "monitor_pid", 0);
    p->monitor_start = (uint64_t)kpod_json_int(j, "monitor_start", 0);
    p->labels = take_object(j, "labels");
    p->annotations = take_object(j, "annotations");
    p->extra = take_object(j, "extra");
    json_t *net = json_object_get(j, "network");
    p->network = json_is_null(net) || net == NULL ? NULL : json_incref(net);
    p->mounts = xcalloc(1, sizeof(char *));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "mounts"), i, v)
    {
        if (json_is_string(v))
            kpod_strv_push(&p->mounts, json_string_value(v));
    }
    json_t *ctrs = json_object_get(j, "containers");
    p->ctrs = xcalloc(json_array_size(ctrs) + 1, sizeof(*p->ctrs));
    json_array_foreach(ctrs, i, v)
    {
        if (ctr_from_json(v, &p->ctrs[p->nctrs], err) < 0) {
            kpod_err_prefix(err, "pod state '%s'", p->id);
            ctr_free(&p->ctrs[p->nctrs]);
            kpod_pod_state_free(p);
            return NULL;
        }
        p->nctrs++;
    }
    return p;
}

/* lib/container owns the reading of /proc/PID/stat (field 22, zombies excluded). */
uint64_t
kpod_proc_start_time(pid_t pid)
{
    return pid > 0 ? kpod_container_proc_starttime(pid) : 0;
}

bool
kpod_proc_alive(pid_t pid, uint64_t start)
{
    return pid > 0 && kpod_container_proc_alive(pid, start);
}

bool
kpod_proc_wait_gone(pid_t pid, uint64_t start, int timeout_ms)
{
    for (int waited = 0; kpod_proc_alive(pid, start); waited += 5) {
        if (waited >= timeout_ms)
            return false;
        kpod_clock_sleep_ms(5);
    }
    return true;
}

void
kpod_proc_stop(pid_t pid, uint64_t start, int sig, int grace_ms)
{
    if (!kpod_proc_alive(pid, start))
        return;
    kill(pid, sig);
    if (kpod_proc_wait_gone(pid, start, grace_ms) || sig == SIGKILL)
        return;
    kill(pid, SIGKILL);
    kpod_proc_wait_gone(pid, start, 2000);
}
