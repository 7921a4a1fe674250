/* `kpod logs CTR...`: the output of containers, from their k8s-file logs. */
#include "common.h"

#include <stdlib.h>
#include <unistd.h>

struct logs_opts {
    struct kpod_logs_cli l;
};

#define LOGS_OPTIONS(T)                                                                            \
    {"follow",      'f',                                                                           \
     KPOD_OPT_BOOL, offsetof(T, l.follow),                                                         \
     NULL,          "keep printing new output until the container stops",                          \
     NULL,          NULL,                                                                          \
     false},                                                                                       \
        {"tail",                                                                                   \
         'n',                                                                                      \
         KPOD_OPT_STRING,                                                                          \
         offsetof(T, l.tail),                                                                      \
         "LINES",                                                                                  \
         "only the last LINES lines (whole lines; all: everything)",                               \
         NULL,                                                                                     \
         NULL,                                                                                     \
         false},                                                                                   \
        {"since",                                                                                  \
         0,                                                                                        \
         KPOD_OPT_STRING,                                                                          \
         offsetof(T, l.since),                                                                     \
         "TIME",                                                                                   \
         "only lines from TIME on: RFC 3339, Unix seconds or a duration like 10m",                 \
         NULL,                                                                                     \
         NULL,                                                                                     \
         false},                                                                                   \
        {"until",                                                                                  \
         0,                                                                                        \
         KPOD_OPT_STRING,                                                                          \
         offsetof(T, l.until),                                                                     \
         "TIME",                                                                                   \
         "only lines up to TIME (same forms as --since)",                                          \
         NULL,                                                                                     \
         NULL,                                                                                     \
         false},                                                                                   \
        {"timestamps",  't',                                                                       \
         KPOD_OPT_BOOL, offsetof(T, l.timestamps),                                                 \
         NULL,          "prefix each line with its RFC 3339 timestamp",                            \
         NULL,          NULL,                                                                      \
         false},                                                                                   \
        {"names",       0,                                                                         \
         KPOD_OPT_BOOL, offsetof(T, l.names),                                                      \
         NULL,          "prefix each line with its container's name",                              \
         NULL,          NULL,                                                                      \
         false},                                                                                   \
    {                                                                                              \
        "color", 0, KPOD_OPT_BOOL, offsetof(T, l.color), NULL, "color the names (with --names)",   \
            NULL, NULL, false                                                                      \
    }

static const struct kpod_opt logs_opts[] = {
    LOGS_OPTIONS(struct logs_opts),
    KPOD_OPTS_END,
};

static int
run_logs(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct logs_opts *o = data;
    struct kpod_pod_state **pods = xcalloc((size_t)argc + 1, sizeof(*pods));
    struct kpod_ctr_state **ctrs = xcalloc((size_t)argc + 1, sizeof(*ctrs));
    int rc = 0, n = 0;
    for (; n < argc && rc == 0; n++)
        rc = kpod_cmd_find_ctr(ctx, argv[n], &pods[n], &ctrs[n], err);
    if (rc < 0)
        n--;
    if (rc == 0) {
        if (argc > 1 && !o->l.names)
            o->l.names = true; /* several containers: say whose line it is */
        rc = kpod_cmd_print_logs(ctx, pods, ctrs, (size_t)n, &o->l, err);
    }
    for (int i = 0; i < n; i++)
        kpod_pod_state_free(pods[i]);
    free(pods);
    free(ctrs);
    return rc;
}

const struct kpod_cmd kpod_cmd_logs = {
    .name = "logs",
    .summary = "show the output of containers",
    .usage = "[options] CONTAINER...",
    .opts = logs_opts,
    .opts_size = sizeof(struct logs_opts),
    .run = run_logs,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "containers",
};
