/* `kpod login`: check credentials with a registry and store them in the auth file. */
#include "cli.h"

#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "image/image.h"

struct login_opts {
    char *username;
    char *password;
    bool password_stdin;
    char *authfile;
    bool tls_verify;
    char *cert_dir;
};

static const struct kpod_opt login_opts[] = {
    {"username", 'u', KPOD_OPT_STRING, offsetof(struct login_opts, username), "USER", "user name",
     NULL, NULL, false},
    {"password", 'p', KPOD_OPT_STRING, offsetof(struct login_opts, password), "PASSWORD",
     "password (visible to other users: prefer --password-stdin)", NULL, NULL, false},
    {"password-stdin", 0, KPOD_OPT_BOOL, offsetof(struct login_opts, password_stdin), NULL,
     "read the password from standard input", NULL, NULL, false},
    {"authfile", 0, KPOD_OPT_STRING, offsetof(struct login_opts, authfile), "FILE",
     "path of the authentication file", "file", NULL, false},
    {"tls-verify", 0, KPOD_OPT_BOOL, offsetof(struct login_opts, tls_verify), NULL,
     "require HTTPS and verify certificates (false also allows plain HTTP)", NULL, "true", false},
    {"cert-dir", 0, KPOD_OPT_STRING, offsetof(struct login_opts, cert_dir), "DIR",
     "directory of CA certificates (*.crt) for the registry", "dir", NULL, false},
    KPOD_OPTS_END,
};

static char *
read_line(FILE *in, bool echo)
{
    struct termios old, quiet;
    bool tty = !echo && isatty(fileno(in)) && tcgetattr(fileno(in), &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(in), TCSAFLUSH, &quiet);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, in);
    if (tty) {
        tcsetattr(fileno(in), TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

static int
get_credentials(struct login_opts *o, struct kpod_err **err)
{
    if (o->password_stdin && o->password != NULL)
        return kpod_err_usage(err, "login: --password and --password-stdin cannot be combined");
    if (o->password_stdin && o->username == NULL)
        return kpod_err_usage(err, "login: --password-stdin needs --username");
    if (o->username == NULL) {
        if (!isatty(STDIN_FILENO))
            return kpod_err_usage(err, "login: --username is needed when not on a terminal");
        fprintf(stderr, "Username: ");
        o->username = read_line(stdin, true);
    }
    if (o->password == NULL) {
        if (!o->password_stdin && !isatty(STDIN_FILENO))
            return kpod_err_usage(err, "login: --password or --password-stdin is needed");
        if (!o->password_stdin)
            fprintf(stderr, "Password: ");
        o->password = read_line(stdin, false);
    }
    if (o->username == NULL || *o->username == '\0')
        return kpod_err_usage(err, "login: empty user name");
    if (o->password == NULL || *o->password == '\0')
        return kpod_err_usage(err, "login: empty password");
    return 0;
}

static int
run_login(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct login_opts *o = data;
    const char *reg = argv[0];
    for (const char *p = reg; *p; p++)
        if (*p == '/' || *p == ' ')
            return kpod_err_usage(err, "login: '%s' is not a registry host[:port]", reg);
    if (get_credentials(o, err) < 0)
        return -1;
    struct kpod_pull_opts po = {.tls_verify = o->tls_verify ? -1 : 0, .cert_dir = o->cert_dir};
    if (kpod_registry_login(reg, o->username, o->password, &po, err) < 0)
        return kpod_err_prefix(err, "login to '%s'", reg);
    if (kpod_auth_store(o->authfile, reg, o->username, o->password, err) < 0)
        return kpod_err_prefix(err, "login to '%s'", reg);
    printf("Login Succeeded!\n");
    return 0;
}

const struct kpod_cmd kpod_cmd_login = {
    .name = "login",
    .summary = "log in to a registry",
    .usage = "[options] REGISTRY",
    .description = "Checks the credentials with REGISTRY and stores them in the auth file "
                   "(--authfile, $REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/"
                   "auth.json), where pull finds them.",
    .opts = login_opts,
    .opts_size = sizeof(struct login_opts),
    .run = run_login,
    .min_args = 1,
    .max_args = 1,
};
