/* What `kpod stats` and `kpod pod stats` share (cmd/stats.c): options, sampling rounds,
 * the table, JSON and Prometheus output, streaming. */
#pragma once

#include "common.h"

struct kpod_stats_cli {
    bool all, no_stream, no_reset, no_trunc;
    long long interval;
    char *format;
};

#define KPOD_STATS_OPTS(what)                                                                      \
    {"all",         'a',                                                                           \
     KPOD_OPT_BOOL, offsetof(struct kpod_stats_cli, all),                                          \
     NULL,          "show every " what ", those not running with '--'",                            \
     NULL,          NULL,                                                                          \
     false},                                                                                       \
        {"format",                                                                                 \
         0,                                                                                        \
         KPOD_OPT_STRING,                                                                          \
         offsetof(struct kpod_stats_cli, format),                                                  \
         "FORMAT",                                                                                 \
         "output format: table, json, prometheus or a {{.Field}} template",                        \
         "=table json prometheus",                                                                 \
         NULL,                                                                                     \
         false},                                                                                   \
        {"interval",   'i',                                                                        \
         KPOD_OPT_INT, offsetof(struct kpod_stats_cli, interval),                                  \
         "SECONDS",    "time between two samples when streaming",                                  \
         NULL,         "5",                                                                        \
         false},                                                                                   \
        {"no-reset",    0,                                                                         \
         KPOD_OPT_BOOL, offsetof(struct kpod_stats_cli, no_reset),                                 \
         NULL,          "do not clear the screen between samples",                                 \
         NULL,          NULL,                                                                      \
         false},                                                                                   \
        {"no-stream",   0,                                                                         \
         KPOD_OPT_BOOL, offsetof(struct kpod_stats_cli, no_stream),                                \
         NULL,          "print one sample and exit",                                               \
         NULL,          NULL,                                                                      \
         false},                                                                                   \
        {"no-trunc",    0,                                                                         \
         KPOD_OPT_BOOL, offsetof(struct kpod_stats_cli, no_trunc),                                 \
         NULL,          "show whole ids",                                                          \
         NULL,          NULL,                                                                      \
         false},                                                                                   \
        KPOD_OPTS_END

/* Runs `stats` (pods=false: container rows for the named containers, or every running one) or
 * `pod stats` (pods=true: a row per named pod, or every running pod). */
int kpod_cmd_stats_run(struct kpod_ctx *ctx, const struct kpod_stats_cli *o, bool pods, int argc,
                       char **argv, struct kpod_err **err);
