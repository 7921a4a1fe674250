/* `kpod ps`: list containers (running ones, or all with -a). */
#include "common.h"

#include <string.h>

struct ps_opts {
    bool all;
    bool quiet;
    bool no_trunc;
    bool pod;
    char *format;
};

static const struct kpod_opt ps_opts[] = {
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct ps_opts, all), NULL,
     "show every container, not only running ones", NULL, NULL, false},
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct ps_opts, quiet), NULL, "print only the ids", NULL,
     NULL, false},
    {"no-trunc", 0, KPOD_OPT_BOOL, offsetof(struct ps_opts, no_trunc), NULL, "show whole ids", NULL,
     NULL, false},
    {"pod", 'p', KPOD_OPT_BOOL, offsetof(struct ps_opts, pod), NULL,
     "show the pod of each container", NULL, NULL, false},
    {"format", 0, KPOD_OPT_STRING, offsetof(struct ps_opts, format), "FORMAT",
     "output format: json or table", "=json table", NULL, false},
    KPOD_OPTS_END,
};

static void
print_row(const struct kpod_pod_state *p, const struct kpod_ctr_state *c, const struct ps_opts *o)
{
    char status[64], created[48], name[300];
    kpod_cmd_status_text(c, status, sizeof(status));
    kpod_cmd_ago(c->created_ns, created, sizeof(created));
    snprintf(name, sizeof(name), "%s-%s", p->name, c->name);
    const char *image = kpod_json_str(c->extra, "image_name");
    printf("%-12.*s  %-32s  %-16s  %-28s  %-24s", o->no_trunc ? 64 : 12, c->id, image ? image : "",
           created, status, name);
    if (o->pod)
        printf("  %-12.*s  %s", o->no_trunc ? 64 : 12, p->id, p->name);
    printf("\n");
}

static int
run_ps(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct ps_opts *o = data;
    bool json = false;
    if (kpod_cmd_format_json(o->format, "ps", &json, err) < 0)
        return -1;
    size_t n = 0;
    struct kpod_pod_state **pods = kpod_cmd_all_pods(ctx, &n, err);
    if (pods == NULL)
        return -1;
    _cleanup_json_ json_t *out = json_array();
    if (!json && !o->quiet) {
        printf("%-12s  %-32s  %-16s  %-28s  %-24s", "CONTAINER ID", "IMAGE", "CREATED", "STATUS",
               "NAMES");
        printf("%s\n", o->pod ? "  POD ID        PODNAME" : "");
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < pods[i]->nctrs; j++) {
            const struct kpod_ctr_state *c = &pods[i]->ctrs[j];
            if (!o->all && c->state != KPOD_STATE_RUNNING)
                continue;
            if (json)
                json_array_append_new(out, kpod_cmd_ctr_json(pods[i], c));
            else if (o->quiet)
                printf("%.*s\n", o->no_trunc ? 64 : 12, c->id);
            else
                print_row(pods[i], c, o);
        }
    }
    kpod_cmd_free_pods(pods, n);
    if (json) {
        _cleanup_free_ char *s = kpod_json_dumps(out, true);
        printf("%s\n", s);
    }
    return 0;
}

const struct kpod_cmd kpod_cmd_ps = {
    .name = "ps",
    .aliases = "ls",
    .summary = "list containers",
    .opts = ps_opts,
    .opts_size = sizeof(struct ps_opts),
    .run = run_ps,
    .max_args = 0,
};
