/* Credential checks for `kpod login`. */
#include "image/image.h"

#include <string.h>

#include "image/registry.h"

int registry_check_auth(struct registry *r, struct kpod_err **err);

int
kpod_registry_login(const char *registry, const char *user, const char *pass,
                    const struct kpod_pull_opts *opts, struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_kpod_registry_conf_free) struct kpod_registry_conf *conf = NULL;
    if (kpod_registry_conf_load(&conf, err) < 0)
        return -1;
    const struct kpod_registry_entry *e = kpod_registry_conf_find(conf, registry);
    bool tls = opts->tls_verify >= 0 ? opts->tls_verify != 0 : !(e != NULL && e->insecure);
    _cleanup_(kpod_cleanup_registry_free) struct registry *r =
        registry_new(registry, registry, "", tls, opts->cert_dir);
    r->user = xstrdup(user);
    r->pass = xstrdup(pass);
    r->retries = 0;
    if (registry_ping(r, err) < 0)
        return -1;
    return registry_check_auth(r, err);
}
