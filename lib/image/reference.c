/* Image references: "[registry/]repo[:tag][@digest]" with podman's short-name normalisation. */
#include "image/image.h"

#include <ctype.h>
#include <string.h>

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

static bool
is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool
component_valid(const char *s, size_t n)
{
    if (n == 0 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (is_alnum_lower(s[i]))
            continue;
        if (s[i] == '.' || s[i] == '-') {
            if (s[i] == '.' && !is_alnum_lower(s[i + 1]))
                return false;
            continue;
        }
        if (s[i] == '_') {
            if (s[i + 1] == '_')
                i++;
            if (!is_alnum_lower(s[i + 1]))
                return false;
            continue;
        }
        return false;
    }
    return true;
}

static bool
tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > TAG_MAX_LEN || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
            return false;
    return true;
}

static bool
registry_valid(const char *r)
{
    if (*r == '\0' || strlen(r) > NAME_MAX_LEN)
        return false;
    for (const char *p = r; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':' || *p == '[' ||
              *p == ']'))
            return false;
    return r[0] != '-' && r[0] != '.';
}

static int
check_repo(const char *input, const char *repo, struct kpod_err **err)
{
    for (const char *p = repo; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return kpod_err_input(err, "invalid reference '%s': repository name must be lowercase",
                                  input);
    const char *s = repo;
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        if (!component_valid(s, n))
            return kpod_err_input(err, "invalid reference '%s': invalid repository name '%s'",
                                  input, repo);
        if (slash == NULL)
            break;
        s = slash + 1;
    }
    return 0;
}

/* Splits off "@digest" and ":tag" (a colon after the last slash) in place. */
static int
split_tag_digest(const char *input, char *name, struct kpod_image_ref *r, struct kpod_err **err)
{
    char *at = strchr(name, '@');
    if (at != NULL) {
        *at = '\0';
        const char *d = at + 1;
        if (strncmp(d, "sha256:", 7) != 0 && strchr(d, ':') != NULL)
            return kpod_err_input(err, "invalid reference '%s': unsupported digest algorithm",
                                  input);
        if (!kpod_digest_valid(d))
            return kpod_err_input(err,
                                  "invalid reference '%s': invalid digest: want sha256: and "
                                  "64 lowercase hex digits",
                                  input);
        r->digest = xstrdup(d);
    }
    char *slash = strrchr(name, '/');
    char *colon = strrchr(slash ? slash : name, ':');
    if (colon != NULL) {
        *colon = '\0';
        if (!tag_valid(colon + 1))
            return kpod_err_input(err, "invalid reference '%s': invalid tag '%s'", input,
                                  colon + 1);
        r->tag = xstrdup(colon + 1);
    }
    return 0;
}

/* Like docker: the first component is a registry when it has a dot or a port, is
 * "localhost", is an IPv6 literal, or has upper case letters. */
static bool
first_is_host(const char *name, const char *slash)
{
    size_t n = (size_t)(slash - name);
    if (n == 9 && strncmp(name, "localhost", 9) == 0)
        return true;
    for (const char *p = name; p < slash; p++)
        if (*p == '.' || *p == ':' || *p == '[' || (*p >= 'A' && *p <= 'Z'))
            return true;
    return false;
}

struct kpod_image_ref *
kpod_image_ref_parse(const char *input, struct kpod_err **err)
{
    if (input == NULL || *input == '\0')
        return kpod_err_input(err, "invalid reference '': empty"), NULL;
    if (strlen(input) > NAME_MAX_LEN + TAG_MAX_LEN + KPOD_DIGEST_STR_LEN + 2)
        return kpod_err_input(err, "invalid reference '%.40s...': too long", input), NULL;
    for (const char *p = input; *p; p++)
        if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
            return kpod_err_input(err,
                                  "invalid reference '%s': contains a space or a control "
                                  "character",
                                  input),
                   NULL;
    _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r = xzalloc(sizeof(*r));
    _cleanup_free_ char *name = xstrdup(input);
    if (split_tag_digest(input, name, r, err) < 0)
        return NULL;
    char *slash = strchr(name, '/');
    if (slash != NULL && first_is_host(name, slash)) {
        *slash = '\0';
        r->registry = xstrdup(name);
        r->repo = xstrdup(slash + 1);
        if (!registry_valid(r->registry))
            return kpod_err_input(err, "invalid reference '%s': invalid registry '%s'", input,
                                  r->registry),
                   NULL;
    } else {
        /* A first component that is not a host: docker.io, library/ for one component. */
        r->registry = xstrdup("docker.io");
        r->repo = slash ? xstrdup(name) : xasprintf("library/%s", name);
        r->short_name = true;
    }
    if (strcmp(r->registry, "index.docker.io") == 0 ||
        strcmp(r->registry, "registry-1.docker.io") == 0) {
        free(r->registry);
        r->registry = xstrdup("docker.io");
    }
    if (strcmp(r->registry, "docker.io") == 0 && strchr(r->repo, '/') == NULL) {
        char *lib = xasprintf("library/%s", r->repo);
        free(r->repo);
        r->repo = lib;
    }
    if (*r->repo == '\0')
        return kpod_err_input(err, "invalid reference '%s': no repository name", input), NULL;
    if (check_repo(input, r->repo, err) < 0)
        return NULL;
    if (strlen(r->registry) + 1 + strlen(r->repo) > NAME_MAX_LEN)
        return kpod_err_input(err, "invalid reference '%s': name longer than %d characters", input,
                              NAME_MAX_LEN),
               NULL;
    if (r->tag == NULL && r->digest == NULL)
        r->tag = xstrdup("latest");
    return TAKE_PTR(r);
}

void
kpod_image_ref_free(struct kpod_image_ref *r)
{
    if (r == NULL)
        return;
    free(r->registry);
    free(r->repo);
    free(r->tag);
    free(r->digest);
    free(r);
}

char *
kpod_image_ref_name(const struct kpod_image_ref *r)
{
    return xasprintf("%s/%s", r->registry, r->repo);
}

char *
kpod_image_ref_string(const struct kpod_image_ref *r)
{
    return xasprintf("%s/%s%s%s%s%s", r->registry, r->repo, r->tag ? ":" : "", r->tag ? r->tag : "",
                     r->digest ? "@" : "", r->digest ? r->digest : "");
}
