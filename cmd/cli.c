/* Parsing and dispatch driven by the command and option tables. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KPOD_COMMAND(id) extern const struct kpod_cmd kpod_cmd_##id;
#include "commands.def"
#undef KPOD_COMMAND

static const struct kpod_cmd *const commands[] = {
#define KPOD_COMMAND(id) &kpod_cmd_##id,
#include "commands.def"
#undef KPOD_COMMAND
};

struct global_opts {
    char *root;
    char *runroot;
    char *log_level;
    bool help;
    bool version;
};

static const struct kpod_opt global_opts[] = {
    {"root", 0, KPOD_OPT_STRING, offsetof(struct global_opts, root), "DIR",
     "persistent storage (images, volumes, logs); env KPOD_ROOT", "dir", NULL, false},
    {"runroot", 0, KPOD_OPT_STRING, offsetof(struct global_opts, runroot), "DIR",
     "running state (pod state, locks, sockets); env KPOD_RUNROOT", "dir", NULL, false},
    {"log-level", 0, KPOD_OPT_STRING, offsetof(struct global_opts, log_level), "LEVEL",
     "diagnostics to show: error, warn, info, debug, trace", "=error warn info debug trace", "warn",
     false},
    {"help", 'h', KPOD_OPT_BOOL, offsetof(struct global_opts, help), NULL, "show help", NULL, NULL,
     false},
    {"version", 'v', KPOD_OPT_BOOL, offsetof(struct global_opts, version), NULL,
     "print the version", NULL, NULL, false},
    KPOD_OPTS_END,
};

size_t
kpod_cli_count(void)
{
    return ARRAY_SIZE(commands);
}

const struct kpod_cmd *
kpod_cli_at(size_t i)
{
    return i < ARRAY_SIZE(commands) ? commands[i] : NULL;
}

const struct kpod_opt *
kpod_cli_global_opts(void)
{
    return global_opts;
}

const char *
kpod_cli_path(const struct kpod_cmd *cmd, char *buf, size_t len)
{
    if (cmd->parent != NULL)
        snprintf(buf, len, "%s %s", cmd->parent, cmd->name);
    else
        snprintf(buf, len, "%s", cmd->name);
    return buf;
}

static bool
same_parent(const struct kpod_cmd *cmd, const char *path)
{
    if (path == NULL || *path == '\0')
        return cmd->parent == NULL;
    return cmd->parent != NULL && strcmp(cmd->parent, path) == 0;
}

size_t
kpod_cli_children(const char *path, const struct kpod_cmd **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (!same_parent(commands[i], path))
            continue;
        if (n < max)
            out[n] = commands[i];
        n++;
    }
    return n < max ? n : max;
}

static bool
has_alias(const struct kpod_cmd *cmd, const char *name)
{
    if (cmd->aliases == NULL)
        return false;
    size_t len = strlen(name);
    for (const char *p = cmd->aliases; *p;) {
        size_t l = strcspn(p, " ");
        if (l == len && strncmp(p, name, l) == 0)
            return true;
        p += l;
        while (*p == ' ')
            p++;
    }
    return false;
}

const struct kpod_cmd *
kpod_cli_find(const char *path, const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct kpod_cmd *c = commands[i];
        if (same_parent(c, path) && (strcmp(c->name, name) == 0 || has_alias(c, name)))
            return c;
    }
    return NULL;
}

bool
kpod_cli_is_group(const struct kpod_cmd *cmd)
{
    return cmd->run == NULL;
}

/* "did you mean": the closest visible name at this level within distance 2, or a prefix. */
static const char *
suggest_command(const char *path, const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct kpod_cmd *c = commands[i];
        if (!same_parent(c, path) || (c->flags & KPOD_CMD_HIDDEN))
            continue;
        size_t d = kpod_str_distance(name, c->name);
        if (kpod_str_has_prefix(c->name, name) && strlen(name) >= 2)
            d = d < 1 ? d : 1;
        if (d < best_d) {
            best_d = d;
            best = c->name;
        }
    }
    return best;
}

static const char *
suggest_option(const struct kpod_opt *opts, const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (int pass = 0; pass < 2; pass++) {
        const struct kpod_opt *t = pass == 0 ? opts : global_opts;
        for (size_t i = 0; t != NULL && t[i].name != NULL; i++) {
            if (t[i].hidden)
                continue;
            size_t d = kpod_str_distance(name, t[i].name);
            if (d < best_d) {
                best_d = d;
                best = t[i].name;
            }
        }
    }
    return best;
}

/* Parsing state: which table an option came from and where its value is stored. */
struct parse {
    const char *where; /* "kpod ps" for messages */
    const struct kpod_opt *opts;
    void *opts_data;
    struct global_opts *globals;
};

static const struct kpod_opt *
lookup_long(const struct kpod_opt *t, const char *name, size_t len)
{
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++)
        if (strlen(t[i].name) == len && strncmp(t[i].name, name, len) == 0)
            return &t[i];
    return NULL;
}

static const struct kpod_opt *
lookup_short(const struct kpod_opt *t, char c)
{
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++)
        if (t[i].shortname == c)
            return &t[i];
    return NULL;
}

static int
parse_bool(const char *v, bool *ret)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0)
        *ret = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0)
        *ret = false;
    else
        return -1;
    return 0;
}

static int
store(const struct kpod_opt *o, void *base, const char *val, const char *where,
      struct kpod_err **err)
{
    char *field = (char *)base + o->offset;
    switch (o->type) {
    case KPOD_OPT_BOOL: {
        bool b = true;
        if (val != NULL && parse_bool(val, &b) < 0)
            return kpod_err_usage(err, "%s: invalid value '%s' for '--%s': want true or false",
                                  where, val, o->name);
        *(bool *)field = b;
        return 0;
    }
    case KPOD_OPT_STRING:
        free(*(char **)field);
        *(char **)field = xstrdup(val);
        return 0;
    case KPOD_OPT_INT: {
        long long v;
        if (kpod_str_to_ll(val, LLONG_MIN, LLONG_MAX, &v) < 0)
            return kpod_err_usage(err, "%s: invalid value '%s' for '--%s': want an integer", where,
                                  val, o->name);
        *(long long *)field = v;
        return 0;
    }
    case KPOD_OPT_STRV:
        kpod_strv_push((char ***)field, val);
        return 0;
    }
    return 0;
}

static void
apply_defaults(const struct kpod_opt *t, void *base)
{
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++)
        if (t[i].defval != NULL)
            store(&t[i], base, t[i].defval, "", NULL);
}

static void
free_opts(const struct kpod_opt *t, void *base)
{
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++) {
        char *field = (char *)base + t[i].offset;
        if (t[i].type == KPOD_OPT_STRING)
            free(*(char **)field);
        else if (t[i].type == KPOD_OPT_STRV)
            kpod_strv_free(*(char ***)field);
    }
}

/* Finds an option in the command's table, then the global one; sets *ret_base. */
static const struct kpod_opt *
find_opt(struct parse *p, const char *name, size_t len, char shortname, void **ret_base)
{
    const struct kpod_opt *o =
        shortname ? lookup_short(p->opts, shortname) : lookup_long(p->opts, name, len);
    if (o != NULL) {
        *ret_base = p->opts_data;
        return o;
    }
    o = shortname ? lookup_short(global_opts, shortname) : lookup_long(global_opts, name, len);
    *ret_base = p->globals;
    return o;
}

/* Parses one "--long[=v]" at argv[*i]; advances *i past a separate value. */
static int
parse_long(struct parse *p, int argc, char **argv, int *i, struct kpod_err **err)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    void *base = NULL;
    const struct kpod_opt *o = find_opt(p, arg, len, 0, &base);
    if (o == NULL) {
        _cleanup_free_ char *name = xstrndup(arg, len);
        const char *hint = suggest_option(p->opts, name);
        if (hint != NULL)
            return kpod_err_usage(err, "%s: unknown flag '--%s': did you mean '--%s'?", p->where,
                                  name, hint);
        return kpod_err_usage(err, "%s: unknown flag '--%s': see '%s --help'", p->where, name,
                              p->where);
    }
    const char *val = eq ? eq + 1 : NULL;
    if (o->type != KPOD_OPT_BOOL && val == NULL) {
        if (*i + 1 >= argc)
            return kpod_err_usage(err, "%s: flag '--%s' needs an argument", p->where, o->name);
        val = argv[++*i];
    }
    return store(o, base, val, p->where, err);
}

/* Parses a cluster of short options "-abc" or "-fVALUE" / "-f VALUE". */
static int
parse_short(struct parse *p, int argc, char **argv, int *i, struct kpod_err **err)
{
    const char *arg = argv[*i] + 1;
    for (size_t k = 0; arg[k] != '\0'; k++) {
        void *base = NULL;
        const struct kpod_opt *o = find_opt(p, NULL, 0, arg[k], &base);
        if (o == NULL)
            return kpod_err_usage(err, "%s: unknown shorthand flag '%c' in '-%s': see '%s --help'",
                                  p->where, arg[k], arg, p->where);
        if (o->type == KPOD_OPT_BOOL) {
            if (arg[k + 1] == '=')
                return store(o, base, arg + k + 2, p->where, err);
            if (store(o, base, NULL, p->where, err) < 0)
                return -1;
            continue;
        }
        const char *val = arg + k + 1;
        if (*val == '=')
            val++;
        if (*val == '\0') {
            if (*i + 1 >= argc)
                return kpod_err_usage(err, "%s: flag '-%c' needs an argument", p->where, arg[k]);
            val = argv[++*i];
        }
        return store(o, base, val, p->where, err);
    }
    return 0;
}

/* Parses options and collects positionals into *ret_args (argv order kept). */
static int
parse_args(struct parse *p, unsigned flags, int argc, char **argv, char ***ret_args,
           struct kpod_err **err)
{
    char **args = xcalloc((size_t)argc + 1, sizeof(char *));
    size_t n = 0;
    bool opts_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int r = 0;
        if (opts_done || a[0] != '-' || a[1] == '\0') {
            args[n++] = argv[i];
            if (flags & KPOD_CMD_STOP_AT_ARG)
                opts_done = true;
            continue;
        }
        if (strcmp(a, "--") == 0)
            opts_done = true;
        else if (a[1] == '-')
            r = parse_long(p, argc, argv, &i, err);
        else
            r = parse_short(p, argc, argv, &i, err);
        if (r < 0) {
            free(args);
            return -1;
        }
    }
    *ret_args = args;
    return (int)n;
}

static int
setup_ctx(struct kpod_ctx *ctx, struct global_opts *g, struct kpod_err **err)
{
    const char *env;
    ctx->root = xstrdup(g->root                               ? g->root
                        : (env = getenv("KPOD_ROOT")) && *env ? env
                                                              : "/var/lib/kpod");
    ctx->runroot = xstrdup(g->runroot                               ? g->runroot
                           : (env = getenv("KPOD_RUNROOT")) && *env ? env
                                                                    : "/run/kpod");
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    ctx->self = n > 0 ? xstrndup(self, (size_t)n) : xstrdup("kpod");
    enum kpod_log_level level;
    if (g->log_level != NULL) {
        if (kpod_log_parse_level(g->log_level, &level) < 0)
            return kpod_err_usage(err,
                                  "invalid log level '%s': want error, warn, info, debug "
                                  "or trace",
                                  g->log_level);
        kpod_log_set_level(level);
    }
    return 0;
}

static void
free_ctx(struct kpod_ctx *ctx)
{
    free(ctx->root);
    free(ctx->runroot);
    free(ctx->self);
}

static int
report(struct kpod_err *e)
{
    fprintf(stderr, "Error: %s\n", e->msg);
    return kpod_err_exit_code(e);
}

/* Walks the command words at argv[*i...] down the tree, skipping global options before the
 * command. Returns the command found (NULL: kpod itself). */
static const struct kpod_cmd *
resolve(struct parse *p, int argc, char **argv, int *i, struct kpod_err **err)
{
    const struct kpod_cmd *cmd = NULL;
    char path[256] = "";
    for (; *i < argc; (*i)++) {
        const char *a = argv[*i];
        if (a[0] == '-' && (cmd == NULL || kpod_cli_is_group(cmd))) {
            int r = a[1] == '-' ? parse_long(p, argc, argv, i, err)
                                : parse_short(p, argc, argv, i, err);
            if (r < 0)
                return NULL;
            continue;
        }
        if (cmd != NULL && !kpod_cli_is_group(cmd))
            break;
        if (a[0] == '-')
            break;
        const struct kpod_cmd *next = kpod_cli_find(path, a);
        if (next == NULL) {
            const char *hint = suggest_command(path, a);
            const char *sp = *path ? " " : "";
            if (hint != NULL)
                kpod_err_usage(err, "unknown command 'kpod%s%s %s': did you mean '%s'?", sp, path,
                               a, hint);
            else
                kpod_err_usage(err, "unknown command 'kpod%s%s %s': see 'kpod%s%s --help'", sp,
                               path, a, sp, path);
            return NULL;
        }
        cmd = next;
        kpod_cli_path(cmd, path, sizeof(path));
    }
    return cmd;
}

static int
run_cmd(struct kpod_ctx *ctx, const struct kpod_cmd *cmd, struct parse *p, int argc, char **argv,
        struct kpod_err **err)
{
    _cleanup_free_ char **args = NULL; /* the strings belong to argv */
    int nargs = parse_args(p, cmd->flags, argc, argv, &args, err);
    if (nargs < 0)
        return -1;
    if (p->globals->help) {
        kpod_cli_print_help(stdout, cmd);
        return 0;
    }
    if (setup_ctx(ctx, p->globals, err) < 0)
        return -1;
    if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
        if (cmd->max_args == 0)
            return kpod_err_usage(err, "%s: takes no arguments, got '%s'", p->where, args[0]);
        if (nargs < cmd->min_args)
            return kpod_err_usage(err, "%s: needs at least %d argument%s: see '%s --help'",
                                  p->where, cmd->min_args, cmd->min_args == 1 ? "" : "s", p->where);
        return kpod_err_usage(err, "%s: takes at most %d argument%s, got %d", p->where,
                              cmd->max_args, cmd->max_args == 1 ? "" : "s", nargs);
    }
    return cmd->run(ctx, p->opts_data, nargs, args, err);
}

int
kpod_cli_main(int argc, char **argv)
{
    _cleanup_err_ struct kpod_err *err = NULL;
    struct global_opts g = {0};
    struct kpod_ctx ctx = {0};
    apply_defaults(global_opts, &g);
    struct parse p = {.where = "kpod", .globals = &g};
    int i = 1;
    const struct kpod_cmd *cmd = resolve(&p, argc, argv, &i, &err);
    int rc;
    if (err != NULL) {
        rc = report(err);
    } else if (cmd == NULL || kpod_cli_is_group(cmd)) {
        if (g.version && cmd == NULL) {
            printf("kpod version %s\n", KPOD_VERSION);
            rc = 0;
        } else if (g.help) {
            kpod_cli_print_help(stdout, cmd);
            rc = 0;
        } else if (cmd == NULL) {
            kpod_cli_print_help(stderr, NULL);
            kpod_err_usage(&err, "missing command 'kpod COMMAND'");
            rc = report(err);
        } else if (i < argc) {
            char path[256];
            kpod_err_usage(&err, "unknown flag '%s' for 'kpod %s'", argv[i],
                           kpod_cli_path(cmd, path, sizeof(path)));
            rc = report(err);
        } else {
            char path[256];
            kpod_err_usage(&err, "missing command: 'kpod %s COMMAND': see 'kpod %s --help'",
                           kpod_cli_path(cmd, path, sizeof(path)),
                           kpod_cli_path(cmd, path, sizeof(path)));
            rc = report(err);
        }
    } else {
        char where[300], path[256];
        snprintf(where, sizeof(where), "kpod %s", kpod_cli_path(cmd, path, sizeof(path)));
        void *data = xzalloc(cmd->opts_size ? cmd->opts_size : 1);
        apply_defaults(cmd->opts, data);
        p.where = where;
        p.opts = cmd->opts;
        p.opts_data = data;
        rc = run_cmd(&ctx, cmd, &p, argc - i, argv + i, &err);
        if (rc < 0)
            rc = err ? report(err) : 125;
        free_opts(cmd->opts, data);
        free(data);
    }
    free_opts(global_opts, &g);
    free_ctx(&ctx);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "Error: write output: %s\n", strerror(errno));
        rc = 125;
    }
    return rc;
}
