/* Hidden `kpod __complete KIND [PREFIX]`: dynamic candidates for the completion scripts. */
#include "cli.h"
#include "network/network.h"

#include <string.h>

static void
complete_commands(struct kpod_ctx *ctx, const char *prefix)
{
    for (size_t i = 0; i < kpod_cli_count(); i++) {
        const struct kpod_cmd *c = kpod_cli_at(i);
        if (c->parent == NULL && !(c->flags & KPOD_CMD_HIDDEN) &&
            kpod_str_has_prefix(c->name, prefix))
            printf("%s\n", c->name);
    }
}

static void
complete_networks(struct kpod_ctx *ctx, const char *prefix)
{
    size_t n = 0;
    struct kpod_net_config **v = kpod_net_config_list(ctx, &n, NULL);
    for (size_t i = 0; v != NULL && i < n; i++)
        if (kpod_str_has_prefix(v[i]->name, prefix))
            printf("%s\n", v[i]->name);
    kpod_net_config_list_free(v, n);
}

/* One entry a kind; the modules that own pods, containers and images add theirs here. */
static const struct {
    const char *kind;
    void (*fn)(struct kpod_ctx *ctx, const char *prefix);
} completers[] = {
    {"commands", complete_commands},
    {"networks", complete_networks},
};

void
kpod_cli_complete_kind(struct kpod_ctx *ctx, const char *kind, const char *prefix)
{
    for (size_t i = 0; i < ARRAY_SIZE(completers); i++)
        if (strcmp(completers[i].kind, kind) == 0)
            completers[i].fn(ctx, prefix ? prefix : "");
}

static int
run_complete(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    kpod_cli_complete_kind(ctx, argv[0], argc > 1 ? argv[1] : "");
    return 0;
}

const struct kpod_cmd kpod_cmd_complete = {
    .name = "__complete",
    .summary = "print completion candidates of a kind",
    .usage = "KIND [PREFIX]",
    .run = run_complete,
    .min_args = 1,
    .max_args = 2,
    .flags = KPOD_CMD_HIDDEN | KPOD_CMD_STOP_AT_ARG,
};
