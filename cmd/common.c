/* Shared by the pod and container commands: lookups, listings, status text, JSON views. */
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kpod_pod_state *
kpod_cmd_find_pod(struct kpod_ctx *ctx, const char *name_or_id, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return NULL;
    _cleanup_free_ char *id = NULL;
    struct kpod_pod_state *p = NULL;
    if (kpod_store_lookup(&s, name_or_id, &id, err) == 0)
        p = kpod_sandbox_fetch(&s, id, err);
    kpod_store_fini(&s);
    return p;
}

struct kpod_pod_state **
kpod_cmd_all_pods(struct kpod_ctx *ctx, size_t *ret_n, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return NULL;
    _cleanup_strv_ char **ids = NULL;
    if (kpod_store_list(&s, &ids, err) < 0) {
        kpod_store_fini(&s);
        return NULL;
    }
    size_t n = 0;
    struct kpod_pod_state **v = xcalloc(kpod_strv_len(ids) + 1, sizeof(*v));
    for (size_t i = 0; ids[i] != NULL; i++) {
        struct kpod_err *e = NULL;
        struct kpod_pod_state *p = kpod_sandbox_fetch(&s, ids[i], &e);
        if (p != NULL)
            v[n++] = p;
        kpod_err_free(&e); /* a pod being created or removed: skipped, like ListSandbox */
    }
    kpod_store_fini(&s);
    *ret_n = n;
    return v;
}

void
kpod_cmd_free_pods(struct kpod_pod_state **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        kpod_pod_state_free(v[i]);
    free(v);
}

int
kpod_cmd_pod_ids(struct kpod_ctx *ctx, int argc, char **argv, bool all, char ***ret_ids,
                 struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    char **ids = NULL;
    int rc = 0;
    if (all) {
        rc = kpod_store_list(&s, &ids, err);
    } else {
        ids = xcalloc(1, sizeof(char *));
        for (int i = 0; i < argc && rc >= 0; i++) {
            char *id = NULL;
            rc = kpod_store_lookup(&s, argv[i], &id, err);
            if (rc == 0)
                kpod_strv_push_take(&ids, id);
        }
    }
    kpod_store_fini(&s);
    if (rc < 0) {
        kpod_strv_free(ids);
        return -1;
    }
    *ret_ids = ids;
    return 0;
}

int
kpod_cmd_each_pod(struct kpod_ctx *ctx, int argc, char **argv, bool all, kpod_pod_op op, void *data,
                  struct kpod_err **err)
{
    if (!all && argc == 0)
        return kpod_err_usage(err, "name at least one pod, or use --all");
    if (all && argc > 0)
        return kpod_err_usage(err, "--all and pod names cannot be combined");
    _cleanup_strv_ char **ids = NULL;
    if (all) {
        if (kpod_cmd_pod_ids(ctx, 0, NULL, true, &ids, err) < 0)
            return -1;
    }
    int n = all ? (int)kpod_strv_len(ids) : argc;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = all ? ids[i] : argv[i];
        _cleanup_free_ char *id = NULL;
        struct kpod_err *e = NULL;
        struct kpod_store s = {0};
        if (kpod_store_init(&s, ctx, &e) == 0 && kpod_store_lookup(&s, name, &id, &e) == 0 &&
            op(ctx, id, data, &e) == 0) {
            printf("%s\n", id);
        } else {
            if (rc == 0)
                kpod_err_move(err, &e);
            else /* later failures are reported too, one line each */
                fprintf(stderr, "Error: %s\n", e ? e->msg : "failed");
            kpod_err_free(&e);
            rc = -1;
        }
        kpod_store_fini(&s);
    }
    return rc;
}

/* The fast path for "<pod>-<container>": each '-' splits a pod name to look up by the name
 * index, so that only that pod is loaded. */
static int
find_ctr_by_name(struct kpod_ctx *ctx, const char *name, struct kpod_pod_state **ret_pod,
                 struct kpod_ctr_state **ret_ctr)
{
    struct kpod_store s = {0};
    struct kpod_err *e = NULL;
    if (kpod_store_init(&s, ctx, &e) < 0) {
        kpod_err_free(&e);
        return -1;
    }
    int rc = -1;
    for (const char *dash = strchr(name, '-'); dash != NULL && rc < 0;
         dash = strchr(dash + 1, '-')) {
        _cleanup_free_ char *pod = xstrndup(name, (size_t)(dash - name));
        _cleanup_free_ char *id = NULL;
        _cleanup_free_ char *path = xasprintf("%s/names/%s", s.runroot, pod);
        if (kpod_fs_read_file(path, 128, &id, NULL, &e) < 0) {
            kpod_err_free(&e);
            continue;
        }
        struct kpod_pod_state *p = kpod_sandbox_fetch(&s, id, &e);
        kpod_err_free(&e);
        struct kpod_ctr_state *c = NULL;
        for (size_t i = 0; p != NULL && i < p->nctrs && c == NULL; i++)
            if (strcmp(p->ctrs[i].name, dash + 1) == 0)
                c = &p->ctrs[i];
        if (c != NULL) {
            *ret_pod = p;
            *ret_ctr = c;
            rc = 0;
        } else {
            kpod_pod_state_free(p);
        }
    }
    kpod_store_fini(&s);
    return rc;
}

int
kpod_cmd_find_ctr(struct kpod_ctx *ctx, const char *name, struct kpod_pod_state **ret_pod,
                  struct kpod_ctr_state **ret_ctr, struct kpod_err **err)
{
    if (find_ctr_by_name(ctx, name, ret_pod, ret_ctr) == 0)
        return 0;
    size_t n = 0;
    struct kpod_pod_state **pods = kpod_cmd_all_pods(ctx, &n, err);
    if (pods == NULL)
        return -1;
    size_t len = strlen(name);
    struct kpod_pod_state *fp = NULL;
    struct kpod_ctr_state *fc = NULL;
    int matches = 0;
    for (size_t i = 0; i < n; i++) {
        struct kpod_pod_state *p = pods[i];
        for (size_t j = 0; j < p->nctrs; j++) {
            struct kpod_ctr_state *c = &p->ctrs[j];
            size_t pl = strlen(p->name);
            bool full = strncmp(name, p->name, pl) == 0 && name[pl] == '-' &&
                        strcmp(name + pl + 1, c->name) == 0;
            bool exact = full || strcmp(c->id, name) == 0;
            bool prefix = len >= 3 && strncmp(c->id, name, len) == 0;
            if (exact) {
                fp = p, fc = c, matches = 1;
                goto found;
            }
            if (prefix || strcmp(c->name, name) == 0) {
                fp = p, fc = c;
                matches++;
            }
        }
    }
found:
    if (matches == 0 || matches > 1) {
        kpod_cmd_free_pods(pods, n);
        if (matches == 0)
            return kpod_err_notfound(err, "no such container '%s'", name);
        return kpod_err_usage(err, "container name '%s' is ambiguous: use <pod>-<container>", name);
    }
    for (size_t i = 0; i < n; i++)
        if (pods[i] != fp)
            kpod_pod_state_free(pods[i]);
    free(pods);
    *ret_pod = fp;
    *ret_ctr = fc;
    return 0;
}

void
kpod_cmd_ago(int64_t ns, char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t d = ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - ns) / 1000000000LL;
    if (d < 1)
        snprintf(buf, len, "Less than a second");
    else if (d < 60)
        snprintf(buf, len, "%lld second%s", (long long)d, d == 1 ? "" : "s");
    else if (d < 3600)
        snprintf(buf, len, "%lld minute%s", (long long)(d / 60), d / 60 == 1 ? "" : "s");
    else if (d < 86400)
        snprintf(buf, len, "%lld hour%s", (long long)(d / 3600), d / 3600 == 1 ? "" : "s");
    else
        snprintf(buf, len, "%lld day%s", (long long)(d / 86400), d / 86400 == 1 ? "" : "s");
}

const char *
kpod_cmd_health(const struct kpod_ctr_state *c)
{
    const json_t *probes = json_object_get(c->extra, "probes");
    if (probes == NULL || (c->state != KPOD_STATE_RUNNING && c->state != KPOD_STATE_PAUSED))
        return NULL;
    const json_t *live = json_object_get(probes, "Liveness");
    const json_t *ready = json_object_get(probes, "Readiness");
    /* as podman's health: failures below the threshold do not make it unhealthy yet */
    bool live_failing = live != NULL && kpod_json_int(live, "FailingStreak", 0) >=
                                            kpod_json_int(live, "FailureThreshold", 1);
    if (!kpod_json_bool(c->extra, "started", false))
        return "starting";
    if (ready != NULL && !kpod_json_bool(c->extra, "ready", false))
        return kpod_json_str(ready, "Result") &&
                       strcmp(kpod_json_str(ready, "Result"), "unknown") == 0
                   ? "starting"
                   : "unhealthy";
    return live_failing ? "unhealthy" : "healthy";
}

void
kpod_cmd_pod_ready(const struct kpod_pod_state *p, size_t *ret_ready, size_t *ret_total)
{
    size_t ready = 0, total = 0;
    for (size_t i = 0; i < p->nctrs; i++) {
        if (p->ctrs[i].init && !p->ctrs[i].sidecar) /* sidecars count, as in kubectl */
            continue;
        total++;
        ready += kpod_json_bool(p->ctrs[i].extra, "ready", false);
    }
    *ret_ready = ready;
    *ret_total = total;
}

void
kpod_cmd_status_text(const struct kpod_ctr_state *c, char *buf, size_t len)
{
    char ago[48];
    switch (c->state) {
    case KPOD_STATE_READY:
        snprintf(buf, len, "Created");
        return;
    case KPOD_STATE_RUNNING:
        kpod_cmd_ago(c->started_ns, ago, sizeof(ago));
        snprintf(buf, len, "Up %s%s%s%s", ago, kpod_cmd_health(c) ? " (" : "",
                 kpod_cmd_health(c) ? kpod_cmd_health(c) : "", kpod_cmd_health(c) ? ")" : "");
        return;
    case KPOD_STATE_PAUSED:
        snprintf(buf, len, "Paused");
        return;
    case KPOD_STATE_STOPPED:
        break;
    }
    if (kpod_json_bool(c->extra, "waiting", false)) {
        snprintf(buf, len, "Restarting (%d)", c->exit_code);
        return;
    }
    kpod_cmd_ago(c->finished_ns, ago, sizeof(ago));
    snprintf(buf, len, "Exited (%d) %s ago%s", c->exit_code, ago,
             c->oom_killed ? " (OOMKilled)" : "");
}

int
kpod_cmd_format_json(const char *format, const char *where, bool *ret_json, struct kpod_err **err)
{
    if (format == NULL || strcmp(format, "table") == 0) {
        *ret_json = false;
        return 0;
    }
    if (strcmp(format, "json") == 0) {
        *ret_json = true;
        return 0;
    }
    return kpod_err_usage(err, "%s: unknown format '%s': want json or table", where, format);
}

static const char *
ctr_status(const struct kpod_ctr_state *c)
{
    switch (c->state) {
    case KPOD_STATE_READY:
        return "created";
    case KPOD_STATE_RUNNING:
        return "running";
    case KPOD_STATE_PAUSED:
        return "paused";
    default:
        return "exited";
    }
}

json_t *
kpod_cmd_ctr_json(const struct kpod_pod_state *p, const struct kpod_ctr_state *c)
{
    char full[512];
    snprintf(full, sizeof(full), "%s-%s", p->name, c->name);
    json_t *state = json_pack(
        "{s:s, s:b, s:b, s:b, s:I, s:i, s:b, s:I, s:I}", "Status", ctr_status(c), "Running",
        c->state == KPOD_STATE_RUNNING, "Paused", c->state == KPOD_STATE_PAUSED, "Restarting",
        kpod_json_bool(c->extra, "waiting", false), "Pid",
        (json_int_t)(c->state == KPOD_STATE_RUNNING || c->state == KPOD_STATE_PAUSED ? c->pid : 0),
        "ExitCode", c->exit_code < 0 ? 0 : c->exit_code, "OOMKilled", c->oom_killed, "StartedAt",
        (json_int_t)c->started_ns, "FinishedAt", (json_int_t)c->finished_ns);
    if (kpod_json_str(c->extra, "error"))
        kpod_json_set_str(state, "Error", kpod_json_str(c->extra, "error"));
    kpod_json_set_int(state, "LogDroppedBytes", kpod_json_int(c->extra, "log_dropped", 0));
    json_object_set_new(state, "Ready", json_boolean(kpod_json_bool(c->extra, "ready", false)));
    json_object_set_new(state, "Started", json_boolean(kpod_json_bool(c->extra, "started", false)));
    const json_t *probes = json_object_get(c->extra, "probes");
    if (probes != NULL) {
        const char *h = kpod_cmd_health(c);
        json_object_set_new(state, "Health",
                            json_pack("{s:s, s:O}", "Status", h ? h : "stopped", "Probes", probes));
    }
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:i, s:o, s:I, s:s}", "Id", c->id, "Name", full,
        "ContainerName", c->name, "Pod", p->id, "PodName", p->name, "ImageID",
        c->image ? c->image : "", "InitContainer", c->init, "IsSidecar", c->sidecar, "RestartCount",
        c->restart_count, "State", state, "Created", (json_int_t)c->created_ns, "Image",
        kpod_json_str(c->extra, "image_name") ? kpod_json_str(c->extra, "image_name") : "");
    /* Kubernetes' two kinds of init containers: run to completion, or a sidecar (restartPolicy
     * Always) that runs next to the app containers */
    if (c->init)
        kpod_json_set_str(j, "InitContainerType", c->sidecar ? "sidecar" : "regular");
    return j;
}

json_t *
kpod_cmd_pod_json(const struct kpod_pod_state *p)
{
    json_t *ctrs = json_array();
    for (size_t i = 0; i < p->nctrs; i++)
        json_array_append_new(ctrs, kpod_cmd_ctr_json(p, &p->ctrs[i]));
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:O, s:O, s:o, s:I, s:I}", "Id", p->id, "Name",
        p->name, "Namespace", p->ns ? p->ns : "default", "State", kpod_pod_status(p),
        "RestartPolicy", p->restart_policy ? p->restart_policy : "Always", "Created",
        (json_int_t)p->created_ns, "CgroupPath", p->cgroup ? p->cgroup : "", "Labels", p->labels,
        "Annotations", p->annotations, "Containers", ctrs, "InfraPid", (json_int_t)p->infra_pid,
        "MonitorPid", (json_int_t)p->monitor_pid);
    size_t ready = 0, total = 0;
    kpod_cmd_pod_ready(p, &ready, &total);
    char rtext[48];
    snprintf(rtext, sizeof(rtext), "%zu/%zu", ready, total);
    kpod_json_set_str(j, "Ready", rtext);
    kpod_json_set_int(j, "ReadyContainers", (long long)ready);
    kpod_json_set_int(j, "AppContainers", (long long)total);
    kpod_json_set_str(j, "Phase", kpod_pod_phase(p));
    kpod_json_set_str(j, "NetNS", p->netns);
    json_object_set_new(j, "FromFactory",
                        json_boolean(kpod_json_bool(p->extra, "from_factory", false)));
    const char *ip = p->network ? kpod_json_str(p->network, "ip") : NULL;
    kpod_json_set_str(j, "IP", ip ? ip : "");
    if (p->network)
        json_object_set(j, "Network", p->network);
    return j;
}

static int
print_path(const json_t *j, const char *path, size_t len, struct kpod_err **err)
{
    const json_t *v = j;
    const char *p = path, *end = path + len;
    while (p < end) {
        if (*p != '.')
            return kpod_err_usage(err, "invalid field '%.*s': want {{.Field}}", (int)len, path);
        p++;
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t kl = dot ? (size_t)(dot - p) : (size_t)(end - p);
        _cleanup_free_ char *key = xstrndup(p, kl);
        v = json_object_get(v, key);
        if (v == NULL)
            return kpod_err_usage(err, "no field '%.*s'", (int)len, path);
        p += kl;
    }
    if (json_is_string(v)) {
        fputs(json_string_value(v), stdout);
    } else {
        _cleanup_free_ char *s = kpod_json_dumps(v, false);
        fputs(s, stdout);
    }
    return 0;
}

int
kpod_cmd_print_json_field(const json_t *j, const char *format, struct kpod_err **err)
{
    const char *p = format;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (open == NULL) {
            fputs(p, stdout);
            break;
        }
        fwrite(p, 1, (size_t)(open - p), stdout);
        const char *close = strstr(open, "}}");
        if (close == NULL)
            return kpod_err_usage(err, "invalid format '%s': unclosed '{{'", format);
        const char *s = open + 2, *e = close;
        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        if (print_path(j, s, (size_t)(e - s), err) < 0)
            return -1;
        p = close + 2;
    }
    putchar('\n');
    return 0;
}

bool
kpod_cmd_confirm(const char *what)
{
    fprintf(stderr, "WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ",
            what);
    char buf[16] = "";
    if (fgets(buf, sizeof(buf), stdin) == NULL)
        return false;
    return buf[0] == 'y' || buf[0] == 'Y';
}

int
kpod_cmd_print_inspect(const json_t *all, const char *format, struct kpod_err **err)
{
    if (format != NULL && strcmp(format, "json") != 0) {
        size_t i;
        json_t *v;
        json_array_foreach(all, i, v)
        {
            if (kpod_cmd_print_json_field(v, format, err) < 0)
                return -1;
        }
        return 0;
    }
    _cleanup_free_ char *s = kpod_json_dumps(all, true);
    printf("%s\n", s);
    return 0;
}
