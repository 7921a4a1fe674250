/* Credentials in the containers-auth.json format: {"auths": {"registry": {"auth": base64}}}. */
#include "image/image.h"

#include <errno.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "image/internal.h"

#define AUTHFILE_MAX (1u << 20)

char *
kpod_image_base64(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

char *
kpod_image_unbase64(const char *s)
{
    size_t n = strlen(s);
    if (n % 4 != 0)
        return NULL;
    unsigned char *out = xmalloc(n / 4 * 3 + 1);
    int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (len < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    for (size_t i = n; i > 0 && s[i - 1] == '='; i--)
        len--;
    out[len] = '\0';
    return (char *)out;
}

char *
kpod_auth_default_path(const char *authfile)
{
    if (authfile != NULL && *authfile != '\0')
        return xstrdup(authfile);
    const char *env = getenv("REGISTRY_AUTH_FILE");
    if (env != NULL && *env != '\0')
        return xstrdup(env);
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg != NULL && *xdg != '\0')
        return xasprintf("%s/containers/auth.json", xdg);
    return xasprintf("/run/containers/%u/auth.json", (unsigned)getuid());
}

static json_t *
load_auths(const char *path, struct kpod_err **err)
{
    if (!kpod_fs_exists(path))
        return json_pack("{s:{}}", "auths");
    json_t *j = kpod_json_load_file(path, AUTHFILE_MAX, err);
    if (j == NULL)
        return NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return kpod_err_input(err, "auth file '%s': not a JSON object", path), NULL;
    }
    if (!json_is_object(json_object_get(j, "auths")))
        json_object_set_new(j, "auths", json_object());
    return j;
}

/* Looks registry up in one file: "registry/repo" keys are not needed by kpod's callers. */
static int
lookup_in(const char *path, const char *registry, char **ret_user, char **ret_pass,
          struct kpod_err **err)
{
    if (!kpod_fs_exists(path))
        return 0;
    _cleanup_json_ json_t *j = load_auths(path, err);
    if (j == NULL)
        return -1;
    json_t *auths = json_object_get(j, "auths");
    json_t *e = json_object_get(auths, registry);
    if (e == NULL && strcmp(registry, "docker.io") == 0) {
        e = json_object_get(auths, "https://index.docker.io/v1/");
        if (e == NULL)
            e = json_object_get(auths, "index.docker.io");
    }
    if (e == NULL) {
        _cleanup_free_ char *https = xasprintf("https://%s", registry);
        e = json_object_get(auths, https);
    }
    const char *b64 = kpod_json_str(e, "auth");
    if (b64 == NULL)
        return 0;
    _cleanup_free_ char *plain = kpod_image_unbase64(b64);
    char *colon = plain ? strchr(plain, ':') : NULL;
    if (colon == NULL)
        return kpod_err_input(err, "auth file '%s': invalid \"auth\" for '%s'", path, registry);
    *colon = '\0';
    *ret_user = xstrdup(plain);
    *ret_pass = xstrdup(colon + 1);
    explicit_bzero(colon + 1, strlen(colon + 1));
    return 1;
}

int
kpod_auth_lookup(const char *authfile, const char *registry, char **ret_user, char **ret_pass,
                 struct kpod_err **err)
{
    _cleanup_free_ char *primary = kpod_auth_default_path(authfile);
    int r = lookup_in(primary, registry, ret_user, ret_pass, err);
    if (r != 0 || authfile != NULL)
        return r;
    const char *home = getenv("HOME");
    if (home == NULL)
        return 0;
    _cleanup_free_ char *docker = xasprintf("%s/.docker/config.json", home);
    return lookup_in(docker, registry, ret_user, ret_pass, err);
}

static int
save_auths(const char *path, json_t *j, struct kpod_err **err)
{
    _cleanup_free_ char *copy = xstrdup(path);
    if (kpod_fs_mkdir_p(dirname(copy), 0700, err) < 0)
        return -1;
    return kpod_json_save_file(path, j, true, 0600, err);
}

int
kpod_auth_store(const char *authfile, const char *registry, const char *user, const char *pass,
                struct kpod_err **err)
{
    _cleanup_free_ char *path = kpod_auth_default_path(authfile);
    _cleanup_free_ char *lockp = xasprintf("%s.lock", path);
    _cleanup_free_ char *copy = xstrdup(path);
    if (kpod_fs_mkdir_p(dirname(copy), 0700, err) < 0)
        return -1;
    _cleanup_lock_ int lock = kpod_lock_acquire(lockp, KPOD_LOCK_EXCLUSIVE, false, err);
    if (lock < 0)
        return -1;
    _cleanup_json_ json_t *j = load_auths(path, err);
    if (j == NULL)
        return -1;
    _cleanup_free_ char *up = xasprintf("%s:%s", user, pass);
    _cleanup_free_ char *b64 = kpod_image_base64(up);
    explicit_bzero(up, strlen(up));
    json_object_set_new(json_object_get(j, "auths"), registry, json_pack("{s:s}", "auth", b64));
    return save_auths(path, j, err);
}

int
kpod_auth_remove(const char *authfile, const char *registry, struct kpod_err **err)
{
    _cleanup_free_ char *path = kpod_auth_default_path(authfile);
    if (!kpod_fs_exists(path))
        return 0;
    _cleanup_free_ char *lockp = xasprintf("%s.lock", path);
    _cleanup_lock_ int lock = kpod_lock_acquire(lockp, KPOD_LOCK_EXCLUSIVE, false, err);
    if (lock < 0)
        return -1;
    _cleanup_json_ json_t *j = load_auths(path, err);
    if (j == NULL)
        return -1;
    json_t *auths = json_object_get(j, "auths");
    int removed = 0;
    if (registry == NULL) {
        removed = json_object_size(auths) > 0;
        json_object_clear(auths);
    } else {
        removed = json_object_del(auths, registry) == 0;
    }
    if (!removed)
        return 0;
    if (save_auths(path, j, err) < 0)
        return -1;
    return 1;
}
