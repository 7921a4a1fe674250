/* `kpod version`: the version, the build, and the libraries kpod runs on. */
#include "cli.h"

#include <archive.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/opensslv.h>
#include <seccomp.h>
#include <string.h>
#include <sys/utsname.h>
#include <yaml.h>

struct version_opts {
    char *format;
};

static const struct kpod_opt version_opts[] = {
    {"format", 'f', KPOD_OPT_STRING, offsetof(struct version_opts, format), "FORMAT",
     "output format: json or table", "=json table", NULL, false},
    KPOD_OPTS_END,
};

static json_t *
version_json(void)
{
    struct utsname u;
    uname(&u);
    const struct scmp_version *sv = seccomp_version();
    char seccomp[32];
    snprintf(seccomp, sizeof(seccomp), "%u.%u.%u", sv->major, sv->minor, sv->micro);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "Version", KPOD_VERSION,
        "GitCommit", KPOD_GIT_COMMIT, "BuiltWith", __VERSION__, "OsArch", "linux/amd64", "Kernel",
        u.release, "Libraries", "libyaml", yaml_get_version_string(), "libcurl",
        curl_version_info(CURLVERSION_NOW)->version, "libarchive", archive_version_details(),
        "jansson", JANSSON_VERSION, "libcrypto", OPENSSL_VERSION_TEXT, "libseccomp", seccomp);
}

static int
run_version(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct version_opts *o = data;
    _cleanup_json_ json_t *j = version_json();
    if (o->format != NULL && strcmp(o->format, "json") == 0) {
        _cleanup_free_ char *s = kpod_json_dumps(j, true);
        printf("%s\n", s);
        return 0;
    }
    if (o->format != NULL && strcmp(o->format, "table") != 0)
        return kpod_err_usage(err, "version: unknown format '%s': want json or table", o->format);
    printf("Version:      %s\n", KPOD_VERSION);
    printf("Git Commit:   %s\n", KPOD_GIT_COMMIT);
    printf("Built With:   gcc-compatible %s\n", __VERSION__);
    printf("OS/Arch:      linux/amd64\n");
    printf("Kernel:       %s\n", kpod_json_str(j, "Kernel"));
    return 0;
}

const struct kpod_cmd kpod_cmd_version = {
    .name = "version",
    .summary = "show the kpod version and what it was built with",
    .opts = version_opts,
    .opts_size = sizeof(struct version_opts),
    .run = run_version,
    .max_args = 0,
};
