/* `kpod help [COMMAND...]`, and the help text of every command, from the tables. */
#include "cli.h"

#include <string.h>

static void
print_opts(FILE *out, const char *title, const struct kpod_opt *t)
{
    if (t == NULL || t[0].name == NULL)
        return;
    fprintf(out, "\n%s:\n", title);
    for (size_t i = 0; t[i].name != NULL; i++) {
        if (t[i].hidden)
            continue;
        char left[64];
        const char *arg = t[i].argname ? t[i].argname : (t[i].type == KPOD_OPT_BOOL ? "" : "VALUE");
        if (t[i].shortname)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", t[i].shortname, t[i].name,
                     *arg ? " " : "", arg);
        else
            snprintf(left, sizeof(left), "    --%s%s%s", t[i].name, *arg ? " " : "", arg);
        fprintf(out, "  %-28s %s", left, t[i].help);
        if (t[i].defval != NULL && t[i].type != KPOD_OPT_BOOL)
            fprintf(out, " (default \"%s\")", t[i].defval);
        if (t[i].type == KPOD_OPT_STRV)
            fprintf(out, " (repeatable)");
        fputc('\n', out);
    }
}

static void
print_children(FILE *out, const char *path)
{
    const struct kpod_cmd *kids[128];
    size_t n = kpod_cli_children(path, kids, ARRAY_SIZE(kids));
    fprintf(out, "\nAvailable Commands:\n");
    for (size_t i = 0; i < n; i++) {
        if (kids[i]->flags & KPOD_CMD_HIDDEN)
            continue;
        fprintf(out, "  %-14s %s\n", kids[i]->name, kids[i]->summary);
    }
}

void
kpod_cli_print_help(FILE *out, const struct kpod_cmd *cmd)
{
    if (cmd == NULL) {
        fprintf(out, "Run Kubernetes Pod manifests on one Linux machine, without a daemon\n\n"
                     "Usage:\n  kpod [options] COMMAND [options] [ARG...]\n");
        print_children(out, NULL);
        print_opts(out, "Options", kpod_cli_global_opts());
        fprintf(out, "\nRun 'kpod COMMAND --help' for more about a command.\n");
        return;
    }
    char path[256];
    kpod_cli_path(cmd, path, sizeof(path));
    fprintf(out, "%c%s\n\n", cmd->summary[0] & ~0x20, cmd->summary + 1);
    if (cmd->description != NULL)
        fprintf(out, "%s\n\n", cmd->description);
    fprintf(out, "Usage:\n  kpod %s %s\n", path,
            cmd->usage ? cmd->usage : (kpod_cli_is_group(cmd) ? "COMMAND" : "[options]"));
    if (cmd->aliases != NULL)
        fprintf(out, "\nAliases:\n  %s, %s\n", cmd->name, cmd->aliases);
    if (kpod_cli_is_group(cmd))
        print_children(out, path);
    print_opts(out, "Options", cmd->opts);
    fprintf(out, "\nGlobal options: --root, --runroot, --log-level (see 'kpod --help').\n");
}

struct help_opts {
    char unused;
};

static int
run_help(struct kpod_ctx *ctx, void *opts, int argc, char **argv, struct kpod_err **err)
{
    const struct kpod_cmd *cmd = NULL;
    char path[256] = "";
    for (int i = 0; i < argc; i++) {
        const struct kpod_cmd *next = kpod_cli_find(path, argv[i]);
        if (next == NULL)
            return kpod_err_usage(err, "help: unknown command '%s%s%s'", path, *path ? " " : "",
                                  argv[i]);
        cmd = next;
        kpod_cli_path(cmd, path, sizeof(path));
    }
    kpod_cli_print_help(stdout, cmd);
    return 0;
}

const struct kpod_cmd kpod_cmd_help = {
    .name = "help",
    .summary = "show help for kpod or one of its commands",
    .usage = "[COMMAND...]",
    .run = run_help,
    .min_args = 0,
    .max_args = -1,
    .args_complete = "commands",
};
