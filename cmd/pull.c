/* `kpod pull`: fetch an image from a registry into the store. */
#include "cli.h"

#include <string.h>
#include <unistd.h>

#include "image/image.h"
#include "image_cmd.h"

struct pull_opts {
    bool quiet;
    bool tls_verify;
    char *authfile;
    char *creds;
    char *cert_dir;
    char *platform;
    char *arch;
    char *os;
    char *variant;
    long long retry;
    char *retry_delay;
};

static const struct kpod_opt pull_opts[] = {
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct pull_opts, quiet), NULL,
     "print only the image id, no progress", NULL, NULL, false},
    {"tls-verify", 0, KPOD_OPT_BOOL, offsetof(struct pull_opts, tls_verify), NULL,
     "require HTTPS and verify certificates (false also allows plain HTTP)", NULL, "true", false},
    {"authfile", 0, KPOD_OPT_STRING, offsetof(struct pull_opts, authfile), "FILE",
     "path of the authentication file", "file", NULL, false},
    {"creds", 0, KPOD_OPT_STRING, offsetof(struct pull_opts, creds), "USER[:PASS]",
     "credentials for the registry", NULL, NULL, false},
    {"cert-dir", 0, KPOD_OPT_STRING, offsetof(struct pull_opts, cert_dir), "DIR",
     "directory of CA certificates (*.crt) for the registry", "dir", NULL, false},
    {"platform", 0, KPOD_OPT_STRING, offsetof(struct pull_opts, platform), "OS/ARCH[/VARIANT]",
     "platform to pull from a multi-platform image", NULL, NULL, false},
    {"arch", 0, KPOD_OPT_STRING, offsetof(struct pull_opts, arch), "ARCH",
     "architecture to pull instead of the host's", NULL, NULL, false},
    {"os", 0, KPOD_OPT_STRING, offsetof(struct pull_opts, os), "OS",
     "operating system to pull instead of linux", NULL, NULL, false},
    {"variant", 0, KPOD_OPT_STRING, offsetof(struct pull_opts, variant), "VARIANT",
     "architecture variant to pull (e.g. v7)", NULL, NULL, false},
    {"retry", 0, KPOD_OPT_INT, offsetof(struct pull_opts, retry), "N",
     "retries on server errors and broken transfers", NULL, "3", false},
    {"retry-delay", 0, KPOD_OPT_STRING, offsetof(struct pull_opts, retry_delay), "DURATION",
     "first delay between retries (doubles each time), e.g. 500ms or 2s", NULL, "1s", false},
    KPOD_OPTS_END,
};

/* Progress like podman: a line per blob; redrawn bars on a terminal. */
struct progress {
    bool tty;
    char **blobs; /* digests in line order */
};

static size_t
blob_line(struct progress *p, const char *digest)
{
    size_t n = kpod_strv_len(p->blobs);
    for (size_t i = 0; i < n; i++)
        if (strcmp(p->blobs[i], digest) == 0)
            return i;
    kpod_strv_push(&p->blobs, digest);
    if (p->tty)
        fprintf(stderr, "\n");
    return n;
}

static void
draw(struct progress *p, const char *digest, int64_t done, int64_t total, const char *state)
{
    size_t line = blob_line(p, digest);
    size_t n = kpod_strv_len(p->blobs);
    char d[32], t[32];
    image_fmt_size(done, d, sizeof(d));
    image_fmt_size(total, t, sizeof(t));
    if (!p->tty) {
        if (state != NULL)
            fprintf(stderr, "Copying blob %.12s %s\n", digest + 7, state);
        return;
    }
    char bar[31];
    int fill = total > 0 ? (int)(done * 30 / total) : 30;
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[30] = '\0';
    fprintf(stderr, "\033[%zuA\r\033[2KCopying blob %.12s [%s] %s / %s%s%s\033[%zuB\r", n - line,
            digest + 7, bar, d, t, state ? " " : "", state ? state : "", n - line);
    fflush(stderr);
}

static void
on_progress(void *data, enum kpod_pull_event ev, const char *what, int64_t done, int64_t total)
{
    struct progress *p = data;
    switch (ev) {
    case KPOD_PULL_RESOLVED:
        fprintf(stderr, "Trying to pull %s...\nGetting image source signatures\n", what);
        break;
    case KPOD_PULL_BLOB_EXISTS:
        if (p->tty)
            blob_line(p, what);
        fprintf(stderr, "%sCopying blob %.12s skipped: already exists\n", p->tty ? "\033[1A\r" : "",
                what + 7);
        break;
    case KPOD_PULL_BLOB_START:
        if (p->tty)
            draw(p, what, done, total, NULL);
        break;
    case KPOD_PULL_BLOB_PROGRESS:
        if (p->tty)
            draw(p, what, done, total, NULL);
        break;
    case KPOD_PULL_BLOB_DONE:
        draw(p, what, done, total, "done");
        break;
    case KPOD_PULL_MANIFEST:
        fprintf(stderr, "Writing manifest to image destination\n");
        break;
    }
}

static int
parse_delay_ms(const char *s, int *ret)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    double mult = strcmp(end, "ms") == 0                  ? 1
                  : strcmp(end, "s") == 0 || *end == '\0' ? 1000
                  : strcmp(end, "m") == 0                 ? 60000
                                                          : -1;
    if (mult < 0 || v * mult > 3600000)
        return -1;
    *ret = (int)(v * mult);
    return 0;
}

static int
split_platform(struct pull_opts *o, struct kpod_err **err)
{
    if (o->platform == NULL)
        return 0;
    _cleanup_strv_ char **parts = kpod_strv_split(o->platform, "/", false);
    size_t n = kpod_strv_len(parts);
    if (n < 2 || n > 3 || *parts[0] == '\0' || *parts[1] == '\0')
        return kpod_err_usage(err, "invalid platform '%s': want OS/ARCH[/VARIANT]", o->platform);
    free(o->os);
    free(o->arch);
    o->os = xstrdup(parts[0]);
    o->arch = xstrdup(parts[1]);
    if (n == 3) {
        free(o->variant);
        o->variant = xstrdup(parts[2]);
    }
    return 0;
}

static int
run_pull(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct pull_opts *o = data;
    int delay = 1000;
    if (parse_delay_ms(o->retry_delay, &delay) < 0)
        return kpod_err_usage(err, "pull: invalid --retry-delay '%s': want e.g. 500ms or 2s",
                              o->retry_delay);
    if (o->retry < 0 || o->retry > 100)
        return kpod_err_usage(err, "pull: --retry must be within 0..100");
    if (split_platform(o, err) < 0)
        return -1;
    struct progress prog = {.tty = isatty(STDERR_FILENO) == 1};
    struct kpod_pull_opts po = {
        .tls_verify = o->tls_verify ? -1 : 0,
        .authfile = o->authfile,
        .creds = o->creds,
        .cert_dir = o->cert_dir,
        .os = o->os,
        .arch = o->arch,
        .variant = o->variant,
        .retries = (int)o->retry,
        .retry_delay_ms = delay,
        .progress = o->quiet ? NULL : on_progress,
        .progress_data = &prog,
    };
    _cleanup_free_ char *id = NULL;
    int r = kpod_image_pull(ctx->root, argv[0], &po, &id, err);
    kpod_strv_free(prog.blobs);
    if (r < 0)
        return -1;
    printf("%s\n", id);
    return 0;
}

const struct kpod_cmd kpod_cmd_pull = {
    .name = "pull",
    .summary = "pull an image from a registry",
    .usage = "[options] IMAGE",
    .description = "Fetches IMAGE ([registry/]repo[:tag][@digest]) into the local store: the "
                   "manifest (picking the platform from a multi-platform index), the config and "
                   "the layers, in parallel, each verified against its digest before it is "
                   "stored. Short names resolve like podman's. Prints the image id.",
    .opts = pull_opts,
    .opts_size = sizeof(struct pull_opts),
    .run = run_pull,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "images",
};

/* `kpod image pull`: the same command inside the image group, as podman has it. */
const struct kpod_cmd kpod_cmd_image_pull = {
    .name = "pull",
    .parent = "image",
    .summary = "pull an image from a registry",
    .usage = "[options] IMAGE",
    .description = "Fetches IMAGE ([registry/]repo[:tag][@digest]) into the local store: the "
                   "manifest (picking the platform from a multi-platform index), the config and "
                   "the layers, in parallel, each verified against its digest before it is "
                   "stored. Short names resolve like podman's. Prints the image id.",
    .opts = pull_opts,
    .opts_size = sizeof(struct pull_opts),
    .run = run_pull,
    .min_args = 1,
    .max_args = 1,
    .args_complete = "images",
};
