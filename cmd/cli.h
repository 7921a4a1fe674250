/* The command-line frame: one command table (commands.def), one static option table per
 * command. The same tables drive parsing, --help, `kpod __complete`, the generated
 * bash/zsh/fish completions and the man-page check. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/util.h"

enum kpod_opt_type {
    KPOD_OPT_BOOL,   /* --flag, --flag=true|false */
    KPOD_OPT_STRING, /* --name VALUE, --name=VALUE, -n VALUE, -nVALUE */
    KPOD_OPT_INT,    /* a decimal integer (long long) */
    KPOD_OPT_STRV,   /* repeatable string (char **, NULL-terminated) */
};

struct kpod_opt {
    const char *name; /* long name without "--"; NULL ends a table */
    char shortname;   /* 0 if none */
    enum kpod_opt_type type;
    size_t offset;       /* of the field in the command's option struct */
    const char *argname; /* value placeholder in help, e.g. "FORMAT" */
    const char *help;
    /* What completes the value: NULL (nothing), "file", "dir", a dynamic kind ("pods",
     * "containers", "images", "commands"), or "=word word" for a fixed list. */
    const char *complete;
    const char *defval; /* applied before parsing, shown in help */
    bool hidden;
};

enum {
    KPOD_CMD_HIDDEN = 1 << 0,      /* not listed in help or completions */
    KPOD_CMD_STOP_AT_ARG = 1 << 1, /* options end at the first positional argument */
};

struct kpod_cmd;
typedef int (*kpod_cmd_fn)(struct kpod_ctx *ctx, void *opts, int argc, char **argv,
                           struct kpod_err **err);

struct kpod_cmd {
    const char *name;    /* "ls" */
    const char *parent;  /* full path of the group ("pod"), NULL at top level */
    const char *aliases; /* space separated, e.g. "ps list" */
    const char *summary; /* one line, lower case start */
    const char *usage;   /* after the command path: "[options] POD..." */
    const char *description;
    const struct kpod_opt *opts; /* may be NULL */
    size_t opts_size;            /* sizeof the option struct */
    kpod_cmd_fn run;             /* NULL for a group */
    int min_args, max_args;      /* max -1: unlimited */
    const char *args_complete;   /* completion kind of positional arguments */
    unsigned flags;
};

/* The table built from commands.def. */
size_t kpod_cli_count(void);
const struct kpod_cmd *kpod_cli_at(size_t i);
/* Full path ("pod ls") into buf. */
const char *kpod_cli_path(const struct kpod_cmd *cmd, char *buf, size_t len);
/* Children of a group path (NULL or "" for the top level); returns how many were written. */
size_t kpod_cli_children(const char *path, const struct kpod_cmd **out, size_t max);
/* Finds a child by name or alias. */
const struct kpod_cmd *kpod_cli_find(const char *path, const char *name);
bool kpod_cli_is_group(const struct kpod_cmd *cmd);
/* The global options table (--root, --runroot, --log-level, --help, --version). */
const struct kpod_opt *kpod_cli_global_opts(void);

/* Prints the help of a command (NULL: kpod itself). */
void kpod_cli_print_help(FILE *out, const struct kpod_cmd *cmd);

/* Runs kpod with argv; returns the process exit code. */
int kpod_cli_main(int argc, char **argv);

/* Dynamic completion: prints candidates of kind (pods, containers, images, ...) one a line. */
void kpod_cli_complete_kind(struct kpod_ctx *ctx, const char *kind, const char *prefix);

#define KPOD_OPTS_END                                                                              \
    {                                                                                              \
        NULL, 0, 0, 0, NULL, NULL, NULL, NULL, false                                               \
    }
