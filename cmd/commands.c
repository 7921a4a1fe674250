/* Hidden `kpod __commands`: the command and option tables as TSV, for the tests that hold the
 * man pages and completions to the tables. Lines: "command\tPATH" and
 * "option\tPATH\t--LONG\t-S". */
#include "cli.h"

static void
print_opts(const char *path, const struct kpod_opt *t)
{
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++) {
        if (t[i].hidden)
            continue;
        printf("option\t%s\t--%s", path, t[i].name);
        if (t[i].shortname)
            printf("\t-%c", t[i].shortname);
        printf("\n");
    }
}

static int
run_commands(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    print_opts("", kpod_cli_global_opts());
    for (size_t i = 0; i < kpod_cli_count(); i++) {
        const struct kpod_cmd *c = kpod_cli_at(i);
        if (c->flags & KPOD_CMD_HIDDEN)
            continue;
        char path[256];
        kpod_cli_path(c, path, sizeof(path));
        printf("command\t%s\n", path);
        print_opts(path, c->opts);
    }
    return 0;
}

const struct kpod_cmd kpod_cmd_commands = {
    .name = "__commands",
    .summary = "list commands and options as TSV",
    .run = run_commands,
    .max_args = 0,
    .flags = KPOD_CMD_HIDDEN,
};
