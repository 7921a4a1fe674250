/* Interface and route operations on a running pod: the seed's AddInterface, RemoveInterface,
 * ListInterfaces, UpdateRoutes and ListRoutes, each under the pod's lock, on running pods only,
 * persisted in the pod state. */
#include "sandbox/internal.h"

#include "network/network.h"

int
kpod_sandbox_with_network(struct kpod_ctx *ctx, const char *id, bool change, kpod_sandbox_net_fn fn,
                          void *data, struct kpod_err **err)
{
    struct kpod_store s = {0};
    if (kpod_store_init(&s, ctx, err) < 0)
        return -1;
    _cleanup_lock_ int lock =
        kpod_store_lock_pod(&s, id, change ? KPOD_LOCK_EXCLUSIVE : KPOD_LOCK_SHARED, err);
    struct kpod_pod_state *p = lock < 0 ? NULL : kpod_store_load(&s, id, err);
    struct kpod_net_result *r = NULL;
    int rc = -1;
    if (p == NULL)
        goto done;
    if (p->state != KPOD_STATE_RUNNING) {
        kpod_err_invoke(err, "pod '%s' is %s, not running", p->name, kpod_state_name(p->state));
        goto done;
    }
    if (p->network == NULL) {
        kpod_err_invoke(err, "pod '%s' uses the host network", p->name);
        goto done;
    }
    r = kpod_net_result_from_json(p->network, err);
    if (r == NULL || fn(ctx, r, data, err) < 0)
        goto done;
    rc = 0;
    if (change) {
        json_decref(p->network);
        p->network = kpod_net_result_to_json(r);
        rc = kpod_store_save(&s, p, err);
    }
done:
    kpod_net_result_free(r);
    kpod_pod_state_free(p);
    kpod_store_fini(&s);
    return rc;
}
