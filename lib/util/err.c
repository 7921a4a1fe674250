#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

int
kpod_err_setv(struct kpod_err **err, enum kpod_err_kind kind, int errnum, const char *fmt,
              va_list ap)
{
    if (err == NULL || *err != NULL)
        return -1;
    char *base = xvasprintf(fmt, ap);
    struct kpod_err *e = xzalloc(sizeof(*e));
    e->kind = kind;
    e->errnum = errnum;
    if (errnum != 0) {
        e->msg = xasprintf("%s: %s", base, strerror(errnum));
        free(base);
        /* ENOENT from a lookup is "not found" only when the caller says so; keep the kind. */
    } else {
        e->msg = base;
    }
    *err = e;
    return -1;
}

int
kpod_err_set(struct kpod_err **err, enum kpod_err_kind kind, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kpod_err_setv(err, kind, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int
kpod_err_prefix(struct kpod_err **err, const char *fmt, ...)
{
    if (err == NULL || *err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *ctx = xvasprintf(fmt, ap);
    va_end(ap);
    char *msg = xasprintf("%s: %s", ctx, (*err)->msg);
    free(ctx);
    free((*err)->msg);
    (*err)->msg = msg;
    return -1;
}

int
kpod_err_exit_code(const struct kpod_err *err)
{
    if (err == NULL)
        return 0;
    switch (err->kind) {
    case KPOD_ERR_INVOKE:
        return 126;
    case KPOD_ERR_NOTFOUND:
        return 127;
    default:
        return 125;
    }
}

void
kpod_err_free(struct kpod_err **err)
{
    if (err == NULL || *err == NULL)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}

void
kpod_err_move(struct kpod_err **dst, struct kpod_err **src)
{
    if (dst == NULL) {
        kpod_err_free(src);
        return;
    }
    if (*dst != NULL) {
        kpod_err_free(src);
        return;
    }
    *dst = *src;
    *src = NULL;
}
