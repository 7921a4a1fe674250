/* Pull policies (Kubernetes imagePullPolicy) for `kpod play`. */
#include "image/image.h"

#include <string.h>

int
kpod_pull_policy_parse(const char *s, enum kpod_image_pull_policy *ret)
{
    static const struct {
        const char *name;
        enum kpod_image_pull_policy policy;
    } map[] = {{"Always", KPOD_PULL_POLICY_ALWAYS},
               {"IfNotPresent", KPOD_PULL_POLICY_IF_NOT_PRESENT},
               {"Never", KPOD_PULL_POLICY_NEVER}};
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (s != NULL && strcmp(s, map[i].name) == 0) {
            *ret = map[i].policy;
            return 0;
        }
    return -1;
}

int
kpod_image_ensure(const char *root, const char *ref, enum kpod_image_pull_policy policy,
                  const struct kpod_pull_opts *opts, char **ret_id, struct kpod_err **err)
{
    if (policy == KPOD_PULL_POLICY_DEFAULT) {
        _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
            kpod_image_ref_parse(ref, err);
        if (r == NULL)
            return kpod_err_prefix(err, "image '%s'", ref);
        policy = r->digest == NULL && strcmp(r->tag, "latest") == 0
                     ? KPOD_PULL_POLICY_ALWAYS
                     : KPOD_PULL_POLICY_IF_NOT_PRESENT;
        /* localhost/ images are never pulled: they can only be present. */
        if (strcmp(r->registry, "localhost") == 0)
            policy = KPOD_PULL_POLICY_IF_NOT_PRESENT;
    }
    if (policy != KPOD_PULL_POLICY_ALWAYS) {
        _cleanup_err_ struct kpod_err *e = NULL;
        _cleanup_json_ json_t *img = kpod_image_lookup(root, ref, &e);
        if (img != NULL) {
            *ret_id = xstrdup(kpod_json_str(img, "id"));
            return 0;
        }
        if (e->kind != KPOD_ERR_NOTFOUND) {
            kpod_err_move(err, &e);
            return -1;
        }
        if (policy == KPOD_PULL_POLICY_NEVER)
            return kpod_err_notfound(err, "image '%s' not known and imagePullPolicy is Never", ref);
    }
    return kpod_image_pull(root, ref, opts, ret_id, err);
}
