/* `kpod logout`: forget the credentials of a registry. */
#include "cli.h"

#include "image/image.h"

struct logout_opts {
    char *authfile;
    bool all;
};

static const struct kpod_opt logout_opts[] = {
    {"authfile", 0, KPOD_OPT_STRING, offsetof(struct logout_opts, authfile), "FILE",
     "path of the authentication file", "file", NULL, false},
    {"all", 'a', KPOD_OPT_BOOL, offsetof(struct logout_opts, all), NULL,
     "remove the credentials of every registry", NULL, NULL, false},
    KPOD_OPTS_END,
};

static int
run_logout(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct logout_opts *o = data;
    if (o->all == (argc == 1))
        return kpod_err_usage(err, "logout: give either a registry or --all");
    int r = kpod_auth_remove(o->authfile, o->all ? NULL : argv[0], err);
    if (r < 0)
        return kpod_err_prefix(err, "logout");
    if (o->all) {
        printf("Removed login credentials for all registries\n");
        return 0;
    }
    if (r == 0)
        return kpod_err_input(err, "logout: not logged into '%s'", argv[0]);
    printf("Removed login credentials for %s\n", argv[0]);
    return 0;
}

const struct kpod_cmd kpod_cmd_logout = {
    .name = "logout",
    .summary = "log out of a registry",
    .usage = "[options] REGISTRY | --all",
    .description = "Removes the credentials of REGISTRY (or of all registries) from the auth "
                   "file.",
    .opts = logout_opts,
    .opts_size = sizeof(struct logout_opts),
    .run = run_logout,
    .max_args = 1,
};
