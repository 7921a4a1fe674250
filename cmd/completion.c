/* `kpod completion bash|zsh|fish`: shell completion scripts generated from the command and
 * option tables. Positional arguments and option values of dynamic kinds (pods, containers,
 * images) are completed at TAB time by `kpod __complete KIND PREFIX`. */
#include "cli.h"

#include <string.h>

struct completion_opts {
    char unused;
};

/* Calls fn for the top level (cmd NULL) and every visible command. */
static void
each_path(void (*fn)(FILE *, const struct kpod_cmd *), FILE *out)
{
    fn(out, NULL);
    for (size_t i = 0; i < kpod_cli_count(); i++) {
        const struct kpod_cmd *c = kpod_cli_at(i);
        if (!(c->flags & KPOD_CMD_HIDDEN))
            fn(out, c);
    }
}

/* The case pattern of a command: its path and its aliases' paths, quoted. */
static void
print_pattern(FILE *out, const struct kpod_cmd *c, const char *sep)
{
    if (c == NULL) {
        fprintf(out, "''");
        return;
    }
    const char *pre = c->parent ? c->parent : "";
    const char *sp = c->parent ? " " : "";
    fprintf(out, "'%s%s%s'", pre, sp, c->name);
    _cleanup_strv_ char **al = kpod_strv_split(c->aliases, " ", true);
    for (size_t i = 0; al[i] != NULL; i++)
        fprintf(out, "%s'%s%s%s'", sep, pre, sp, al[i]);
}

static void
print_subs(FILE *out, const struct kpod_cmd *c)
{
    char path[256] = "";
    if (c != NULL)
        kpod_cli_path(c, path, sizeof(path));
    const struct kpod_cmd *kids[128];
    size_t n = kpod_cli_children(path, kids, ARRAY_SIZE(kids));
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        if (kids[i]->flags & KPOD_CMD_HIDDEN)
            continue;
        fprintf(out, "%s%s", sep, kids[i]->name);
        if (kids[i]->aliases)
            fprintf(out, " %s", kids[i]->aliases);
        sep = " ";
    }
}

static void
print_opt_names(FILE *out, const struct kpod_opt *t, bool only_valued, const char **sep)
{
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++) {
        if (t[i].hidden || (only_valued && t[i].type == KPOD_OPT_BOOL))
            continue;
        fprintf(out, "%s--%s", *sep, t[i].name);
        *sep = " ";
        if (t[i].shortname)
            fprintf(out, " -%c", t[i].shortname);
    }
}

/* One case arm: subs, opts (with the globals), vals (options taking a value), args kind. */
static void
sh_info_arm(FILE *out, const struct kpod_cmd *c)
{
    const struct kpod_opt *g = kpod_cli_global_opts();
    const struct kpod_opt *t = c ? c->opts : NULL;
    const char *sep = "";
    fprintf(out, "    ");
    print_pattern(out, c, "|");
    fprintf(out, ")\n        subs='");
    print_subs(out, c);
    fprintf(out, "'\n        opts='");
    print_opt_names(out, t, false, &sep);
    print_opt_names(out, g, false, &sep);
    sep = "";
    fprintf(out, "'\n        vals='");
    print_opt_names(out, t, true, &sep);
    print_opt_names(out, g, true, &sep);
    fprintf(out, "'\n        args='%s'\n        ;;\n",
            c && c->args_complete ? c->args_complete : "");
}

/* Arms of `case "$path|$option"` giving the completion kind of an option's value. */
static void
sh_val_arms(FILE *out, const struct kpod_cmd *c)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct kpod_opt *t = pass == 0 ? (c ? c->opts : NULL) : kpod_cli_global_opts();
        for (size_t i = 0; t != NULL && t[i].name != NULL; i++) {
            if (t[i].hidden || t[i].complete == NULL || t[i].type == KPOD_OPT_BOOL)
                continue;
            const char *pre = c ? c->parent ? c->parent : "" : "";
            const char *sp = c && c->parent ? " " : "";
            const char *nm = c ? c->name : "";
            fprintf(out, "    '%s%s%s|--%s'", pre, sp, nm, t[i].name);
            if (t[i].shortname)
                fprintf(out, "|'%s%s%s|-%c'", pre, sp, nm, t[i].shortname);
            fprintf(out, ") kind='%s' ;;\n", t[i].complete);
        }
    }
}

static void
sh_common(FILE *out)
{
    fprintf(out, "_kpod_info() {\n    case \"$1\" in\n");
    each_path(sh_info_arm, out);
    fprintf(out, "    *) subs='' opts='' vals='' args='' ;;\n    esac\n}\n\n");
    fprintf(out, "_kpod_valkind() {\n    kind=''\n    case \"$1|$2\" in\n");
    each_path(sh_val_arms, out);
    fprintf(out, "    esac\n}\n\n");
}

static const char bash_main[] =
    "_kpod_words() {\n"
    "    case \"$1\" in\n"
    "    '') ;;\n"
    "    =*) compgen -W \"${1#=}\" -- \"$2\" ;;\n"
    "    file) compgen -f -- \"$2\" ;;\n"
    "    dir) compgen -d -- \"$2\" ;;\n"
    "    *) \"${COMP_WORDS[0]}\" __complete \"$1\" \"$2\" 2>/dev/null ;;\n"
    "    esac\n"
    "}\n\n"
    "_kpod() {\n"
    "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
    "    local kp='' w i subs opts vals args kind\n"
    "    _kpod_info ''\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        w=\"${COMP_WORDS[i]}\"\n"
    "        case \"$w\" in\n"
    "        --*=*) ;;\n"
    "        -*) [[ \" $vals \" == *\" $w \"* ]] && ((i++)) ;;\n"
    "        *) if [[ \" $subs \" == *\" $w \"* ]]; then kp=\"${kp:+$kp }$w\"; _kpod_info "
    "\"$kp\"; fi ;;\n"
    "        esac\n"
    "    done\n"
    "    if [[ \"$prev\" == -* && \" $vals \" == *\" $prev \"* ]]; then\n"
    "        _kpod_valkind \"$kp\" \"$prev\"\n"
    "        mapfile -t COMPREPLY < <(_kpod_words \"$kind\" \"$cur\")\n"
    "        return\n"
    "    fi\n"
    "    if [[ \"$cur\" == -* ]]; then\n"
    "        mapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")\n"
    "    elif [[ -n \"$subs\" ]]; then\n"
    "        mapfile -t COMPREPLY < <(compgen -W \"$subs\" -- \"$cur\")\n"
    "    else\n"
    "        mapfile -t COMPREPLY < <(_kpod_words \"$args\" \"$cur\")\n"
    "    fi\n"
    "}\n\n"
    "complete -o default -F _kpod kpod\n";

static void
gen_bash(FILE *out)
{
    fprintf(out,
            "# bash completion for kpod; generated by 'kpod completion bash', do not edit\n\n");
    sh_common(out);
    fputs(bash_main, out);
}

static const char zsh_main[] =
    "_kpod_words() {\n"
    "    case \"$1\" in\n"
    "    '') ;;\n"
    "    =*) compadd -- ${=${1#=}} ;;\n"
    "    file) _files ;;\n"
    "    dir) _files -/ ;;\n"
    "    *) compadd -- ${(f)\"$(${words[1]} __complete \"$1\" \"$2\" 2>/dev/null)\"} ;;\n"
    "    esac\n"
    "}\n\n"
    "_kpod() {\n"
    "    local cur=\"${words[CURRENT]}\" prev=\"${words[CURRENT-1]}\"\n"
    "    local kp='' w i subs opts vals args kind\n"
    "    _kpod_info ''\n"
    "    for ((i = 2; i < CURRENT; i++)); do\n"
    "        w=\"${words[i]}\"\n"
    "        case \"$w\" in\n"
    "        --*=*) ;;\n"
    "        -*) [[ \" $vals \" == *\" $w \"* ]] && ((i++)) ;;\n"
    "        *) if [[ \" $subs \" == *\" $w \"* ]]; then kp=\"${kp:+$kp }$w\"; _kpod_info "
    "\"$kp\"; fi ;;\n"
    "        esac\n"
    "    done\n"
    "    if [[ \"$prev\" == -* && \" $vals \" == *\" $prev \"* ]]; then\n"
    "        _kpod_valkind \"$kp\" \"$prev\"\n"
    "        _kpod_words \"$kind\" \"$cur\"\n"
    "        return\n"
    "    fi\n"
    "    if [[ \"$cur\" == -* ]]; then\n"
    "        compadd -- ${=opts}\n"
    "    elif [[ -n \"$subs\" ]]; then\n"
    "        compadd -- ${=subs}\n"
    "    else\n"
    "        _kpod_words \"$args\" \"$cur\"\n"
    "    fi\n"
    "}\n\n"
    "compdef _kpod kpod\n";

static void
gen_zsh(FILE *out)
{
    fprintf(out, "#compdef kpod\n# zsh completion for kpod; generated by 'kpod completion zsh', "
                 "do not edit\n\n");
    sh_common(out);
    fputs(zsh_main, out);
}

static void
fish_quote(FILE *out, const char *s)
{
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('\'', out);
}

static void
fish_subs_arm(FILE *out, const struct kpod_cmd *c)
{
    fprintf(out, "        case ");
    print_pattern(out, c, " ");
    fprintf(out, "\n            echo '");
    print_subs(out, c);
    fprintf(out, "'\n");
}

static void
fish_vals_arm(FILE *out, const struct kpod_cmd *c)
{
    const char *sep = "";
    fprintf(out, "        case ");
    print_pattern(out, c, " ");
    fprintf(out, "\n            echo '");
    print_opt_names(out, c ? c->opts : NULL, true, &sep);
    print_opt_names(out, kpod_cli_global_opts(), true, &sep);
    fprintf(out, "'\n");
}

static void
fish_value(FILE *out, const char *kind)
{
    if (kind == NULL)
        return;
    if (kind[0] == '=')
        fprintf(out, " -x -a '%s'", kind + 1);
    else if (strcmp(kind, "file") == 0)
        fprintf(out, " -r -F");
    else if (strcmp(kind, "dir") == 0)
        fprintf(out, " -x -a '(__fish_complete_directories)'");
    else
        fprintf(out, " -x -a '(kpod __complete %s (commandline -ct) 2>/dev/null)'", kind);
}

static void
fish_cmd(FILE *out, const struct kpod_cmd *c)
{
    char path[256] = "";
    if (c != NULL)
        kpod_cli_path(c, path, sizeof(path));
    const struct kpod_cmd *kids[128];
    size_t n = kpod_cli_children(path, kids, ARRAY_SIZE(kids));
    for (size_t i = 0; i < n; i++) {
        if (kids[i]->flags & KPOD_CMD_HIDDEN)
            continue;
        fprintf(out, "complete -c kpod -n '__kpod_at \"%s\"' -a %s -d ", path, kids[i]->name);
        fish_quote(out, kids[i]->summary);
        fputc('\n', out);
    }
    const struct kpod_opt *t = c ? c->opts : kpod_cli_global_opts();
    for (size_t i = 0; t != NULL && t[i].name != NULL; i++) {
        if (t[i].hidden)
            continue;
        fprintf(out, "complete -c kpod -n '__kpod_at \"%s\"' -l %s", path, t[i].name);
        if (t[i].shortname)
            fprintf(out, " -s %c", t[i].shortname);
        if (t[i].type != KPOD_OPT_BOOL)
            fish_value(out, t[i].complete ? t[i].complete : "");
        fprintf(out, " -d ");
        fish_quote(out, t[i].help);
        fputc('\n', out);
    }
    if (c != NULL && c->args_complete != NULL) {
        fprintf(out, "complete -c kpod -n '__kpod_at \"%s\"'", path);
        fish_value(out, c->args_complete);
        fputc('\n', out);
    }
}

static const char fish_main[] =
    "function __kpod_path\n"
    "    set -l toks (commandline -opc)\n"
    "    set -e toks[1]\n"
    "    set -l kp ''\n"
    "    set -l skip 0\n"
    "    for w in $toks\n"
    "        if test $skip -eq 1\n"
    "            set skip 0\n"
    "            continue\n"
    "        end\n"
    "        switch $w\n"
    "            case '--*=*'\n"
    "            case '-*'\n"
    "                if contains -- $w (string split -- ' ' (__kpod_vals \"$kp\"))\n"
    "                    set skip 1\n"
    "                end\n"
    "            case '*'\n"
    "                if contains -- $w (string split -- ' ' (__kpod_subs \"$kp\"))\n"
    "                    set kp (string trim \"$kp $w\")\n"
    "                end\n"
    "        end\n"
    "    end\n"
    "    echo $kp\n"
    "end\n\n"
    "function __kpod_at\n"
    "    test (__kpod_path) = \"$argv[1]\"\n"
    "end\n\n";

static void
gen_fish(FILE *out)
{
    fprintf(out,
            "# fish completion for kpod; generated by 'kpod completion fish', do not edit\n\n");
    fprintf(out, "function __kpod_subs\n    switch $argv[1]\n");
    each_path(fish_subs_arm, out);
    fprintf(out, "    end\nend\n\nfunction __kpod_vals\n    switch $argv[1]\n");
    each_path(fish_vals_arm, out);
    fprintf(out, "    end\nend\n\n");
    fputs(fish_main, out);
    fprintf(out, "complete -c kpod -f\n");
    each_path(fish_cmd, out);
    /* Global options are accepted after any command too. */
    const struct kpod_opt *g = kpod_cli_global_opts();
    for (size_t i = 0; g[i].name != NULL; i++) {
        fprintf(out, "complete -c kpod -n 'test -n (__kpod_path)' -l %s", g[i].name);
        if (g[i].type != KPOD_OPT_BOOL)
            fish_value(out, g[i].complete ? g[i].complete : "");
        fprintf(out, " -d ");
        fish_quote(out, g[i].help);
        fputc('\n', out);
    }
}

static int
run_completion(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    if (strcmp(argv[0], "bash") == 0)
        gen_bash(stdout);
    else if (strcmp(argv[0], "zsh") == 0)
        gen_zsh(stdout);
    else if (strcmp(argv[0], "fish") == 0)
        gen_fish(stdout);
    else
        return kpod_err_usage(err, "completion: unknown shell '%s': want bash, zsh or fish",
                              argv[0]);
    return 0;
}

const struct kpod_cmd kpod_cmd_completion = {
    .name = "completion",
    .summary = "generate a shell completion script",
    .usage = "bash|zsh|fish",
    .description = "Prints a completion script for the shell. For bash:\n"
                   "  source <(kpod completion bash)",
    .opts_size = sizeof(struct completion_opts),
    .run = run_completion,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "=bash zsh fish",
};
