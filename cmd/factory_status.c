/* `kpod factory status`: the pool's configuration and entries. */
#include "common.h"

#include <string.h>

struct factory_status_opts {
    char *format;
    bool no_trunc;
};

static const struct kpod_opt factory_status_opts[] = {
    {"format", 0, KPOD_OPT_STRING, offsetof(struct factory_status_opts, format), "FORMAT",
     "output format: table or json", "=table json", NULL, false},
    {"no-trunc", 0, KPOD_OPT_BOOL, offsetof(struct factory_status_opts, no_trunc), NULL,
     "show full ids", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_factory_status(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct factory_status_opts *o = data;
    bool json = false;
    if (kpod_cmd_format_json(o->format, "factory status", &json, err) < 0)
        return -1;
    _cleanup_json_ json_t *j = kpod_factory_status(ctx, err);
    if (j == NULL)
        return kpod_err_prefix(err, "factory status");
    if (json) {
        _cleanup_free_ char *s = kpod_json_dumps(j, true);
        printf("%s\n", s);
        return 0;
    }
    if (!kpod_json_bool(j, "Configured", false))
        printf("Pool:      none (kpod factory init makes one)\n");
    else
        printf("Pool:      %lld ready of %lld on network %s%s\n", kpod_json_int(j, "Ready", 0),
               kpod_json_int(j, "Size", 0), kpod_json_str(j, "Network"),
               kpod_json_bool(j, "Refilling", false) ? ", refilling" : "");
    json_t *entries = json_object_get(j, "Entries");
    if (json_array_size(entries) == 0)
        return 0;
    printf("%-*s  %-10s  %-15s  %-9s  %s\n", o->no_trunc ? 64 : 12, "ID", "STATE", "IP", "PRIVATE",
           "REASON");
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        char mem[32];
        snprintf(mem, sizeof(mem), "%lldkB", kpod_json_int(e, "PrivateKiB", 0));
        const char *reason = kpod_json_str(e, "Reason");
        printf("%-*.*s  %-10s  %-15s  %-9s  %s\n", o->no_trunc ? 64 : 12, o->no_trunc ? 64 : 12,
               kpod_json_str(e, "Id"), kpod_json_str(e, "State"), kpod_json_str(e, "IP"), mem,
               reason ? reason : "");
    }
    return 0;
}

const struct kpod_cmd kpod_cmd_factory_status = {
    .name = "status",
    .parent = "factory",
    .summary = "show the warm pool and its entries",
    .usage = "[options]",
    .opts = factory_status_opts,
    .opts_size = sizeof(struct factory_status_opts),
    .run = run_factory_status,
    .max_args = 0,
};
