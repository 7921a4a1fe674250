/* `kpod pod ps`: list pods. */
#include "common.h"

#include <string.h>

struct pod_ps_opts {
    bool all;
    bool quiet;
    bool no_trunc;
    bool ctr_names;
    bool ctr_status;
    char *format;
    char **filters;
};

static const struct kpod_opt pod_ps_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct pod_ps_opts, all), NULL,
     "show every pod (the default: kpod lists all pods, like podman)", NULL, NULL, false},
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct pod_ps_opts, quiet), NULL, "print only the ids",
     NULL, NULL, false},
    {"no-trunc", 0, KPOD_OPT_BOOL, offsetof(struct pod_ps_opts, no_trunc), NULL, "show whole ids",
     NULL, NULL, false},
    {"ctr-names", 0, KPOD_OPT_BOOL, offsetof(struct pod_ps_opts, ctr_names), NULL,
     "show the names of the containers", NULL, NULL, false},
    {"ctr-status", 0, KPOD_OPT_BOOL, offsetof(struct pod_ps_opts, ctr_status), NULL,
     "show the status of the containers", NULL, NULL, false},
    {"format", 0, KPOD_OPT_STRING, offsetof(struct pod_ps_opts, format), "FORMAT",
     "output format: json or table", "=json table", NULL, false},
    {"filter", 'f', KPOD_OPT_STRV, offsetof(struct pod_ps_opts, filters), "KEY=VALUE",
     "only pods matching: name=, label=KEY[=VALUE], status= (or phase), id=", NULL, NULL, false},
    KPOD_OPTS_END,
};

static bool
label_matches(const json_t *labels, const char *want)
{
    const char *eq = strchr(want, '=');
    _cleanup_free_ char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
    const char *v = kpod_json_str(labels, key);
    return v != NULL && (eq == NULL || strcmp(v, eq + 1) == 0);
}

/* Filters were checked before: every key here is known. */
static bool
matches(const struct kpod_pod_state *p, char **filters)
{
    bool ok = true;
    for (size_t i = 0; filters != NULL && filters[i] != NULL; i++) {
        const char *f = filters[i];
        if (kpod_str_has_prefix(f, "name="))
            ok = ok && strstr(p->name, f + 5) != NULL;
        else if (kpod_str_has_prefix(f, "id="))
            ok = ok && kpod_str_has_prefix(p->id, f + 3);
        else if (kpod_str_has_prefix(f, "label="))
            ok = ok && label_matches(p->labels, f + 6);
        else
            ok = ok && (strcasecmp(kpod_pod_status(p), f + 7) == 0 ||
                        strcasecmp(kpod_pod_phase(p), f + 7) == 0);
    }
    return ok;
}

/* podman's status, with the Kubernetes phase of a pod that ran to completion:
 * "Exited (Succeeded)", "Exited (Failed)". */
static void
status_text(const struct kpod_pod_state *p, char *buf, size_t len)
{
    const char *status = kpod_pod_status(p), *phase = kpod_pod_phase(p);
    if (strcmp(status, "Exited") == 0 &&
        (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
        snprintf(buf, len, "%s (%s)", status, phase);
    else
        snprintf(buf, len, "%s", status);
}

static void
print_row(const struct kpod_pod_state *p, const struct pod_ps_opts *o)
{
    char created[48], status[64];
    kpod_cmd_ago(p->created_ns, created, sizeof(created));
    status_text(p, status, sizeof(status));
    size_t ready = 0, total = 0;
    kpod_cmd_pod_ready(p, &ready, &total);
    char rtext[48];
    snprintf(rtext, sizeof(rtext), "%zu/%zu", ready, total);
    printf("%-12.*s  %-20s  %-10s  %-5s  %-20s  %-9zu", o->no_trunc ? 64 : 12, p->id, p->name,
           status, rtext, created, p->nctrs);
    if (o->ctr_names || o->ctr_status) {
        printf("  ");
        for (size_t i = 0; i < p->nctrs; i++) {
            char st[64] = "";
            if (o->ctr_status)
                kpod_cmd_status_text(&p->ctrs[i], st, sizeof(st));
            printf("%s%s%s%s", i ? "," : "", o->ctr_names ? p->ctrs[i].name : "",
                   o->ctr_names && o->ctr_status ? "=" : "", st);
        }
    }
    printf("\n");
}

static int
run_pod_ps(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pod_ps_opts *o = data;
    bool json = false;
    if (kpod_cmd_format_json(o->format, "pod ps", &json, err) < 0)
        return -1;
    for (size_t i = 0; o->filters != NULL && o->filters[i] != NULL; i++) {
        static const char *const keys[] = {"name=", "id=", "label=", "status="};
        bool known = false;
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
            known = known || kpod_str_has_prefix(o->filters[i], keys[k]);
        if (!known)
            return kpod_err_usage(err,
                                  "pod ps: invalid filter '%s': want name=, id=, label= or "
                                  "status=",
                                  o->filters[i]);
    }
    size_t n = 0;
    struct kpod_pod_state **pods = kpod_cmd_all_pods(ctx, &n, err);
    if (pods == NULL)
        return -1;
    _cleanup_json_ json_t *out = json_array();
    if (!json && !o->quiet) {
        printf("%-12s  %-20s  %-10s  %-5s  %-20s  %-9s", "POD ID", "NAME", "STATUS", "READY",
               "CREATED", "# OF CONTAINERS");
        printf("%s\n", o->ctr_names ? "  NAMES" : o->ctr_status ? "  STATUS" : "");
    }
    for (size_t i = 0; i < n; i++) {
        if (!matches(pods[i], o->filters))
            continue;
        if (json)
            json_array_append_new(out, kpod_cmd_pod_json(pods[i]));
        else if (o->quiet)
            printf("%.*s\n", o->no_trunc ? 64 : 12, pods[i]->id);
        else
            print_row(pods[i], o);
    }
    kpod_cmd_free_pods(pods, n);
    if (json) {
        _cleanup_free_ char *s = kpod_json_dumps(out, true);
        printf("%s\n", s);
    }
    return 0;
}

const struct kpod_cmd kpod_cmd_pod_ps = {
    .name = "ps",
    .parent = "pod",
    .aliases = "ls list",
    .summary = "list pods",
    .opts = pod_ps_opts,
    .opts_size = sizeof(struct pod_ps_opts),
    .run = run_pod_ps,
    .max_args = 0,
};
