/* The explicit undo list of multi-step operations, and fault injection to test it. */
#include "sandbox/sandbox.h"

#include <stdlib.h>
#include <string.h>

void
kpod_undo_push(struct kpod_undo *u, const char *what, kpod_undo_fn fn, void *data,
               void (*free_data)(void *data))
{
    xgrow((void **)&u->steps, &u->cap, u->n + 1, sizeof(*u->steps));
    u->steps[u->n++] = (struct kpod_undo_step){
        .what = xstrdup(what),
        .fn = fn,
        .data = data,
        .free_data = free_data,
    };
}

static void
free_step(struct kpod_undo_step *s)
{
    if (s->free_data != NULL)
        s->free_data(s->data);
    free(s->what);
}

int
kpod_undo_run(struct kpod_undo *u)
{
    int failed = 0;
    while (u->n > 0) {
        struct kpod_undo_step *s = &u->steps[--u->n];
        _cleanup_err_ struct kpod_err *e = NULL;
        kpod_debug("undo: %s", s->what);
        if (s->fn(s->data, &e) < 0) {
            kpod_warn("undo %s: %s", s->what, e ? e->msg : "failed");
            failed++;
        }
        free_step(s);
    }
    kpod_undo_clear(u);
    return failed;
}

void
kpod_undo_clear(struct kpod_undo *u)
{
    for (size_t i = 0; i < u->n; i++)
        free_step(&u->steps[i]);
    free(u->steps);
    u->steps = NULL;
    u->n = u->cap = 0;
}

int
kpod_fault(const char *step, struct kpod_err **err)
{
    const char *want = getenv("KPOD_FAIL_STEP");
    if (want == NULL || strcmp(want, step) != 0)
        return 0;
    return kpod_err_msg(err, "%s: injected failure (KPOD_FAIL_STEP)", step);
}
