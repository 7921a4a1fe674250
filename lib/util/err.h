/* kpod's one error type: errno + kind + a message that grows context on the way up. */
#pragma once

#include <stdarg.h>

enum kpod_err_kind {
    KPOD_ERR_INTERNAL = 0, /* kpod's own error: exit 125 */
    KPOD_ERR_INVOKE,       /* cannot invoke, wrong state: exit 126 */
    KPOD_ERR_NOTFOUND,     /* command or object not found: exit 127 */
    KPOD_ERR_USAGE,        /* bad arguments: exit 125 */
    KPOD_ERR_INPUT,        /* bad user input (YAML, JSON, references): exit 125 */
};

struct kpod_err {
    int errnum;              /* errno at the failing call, 0 if none */
    enum kpod_err_kind kind; /* maps to an exit code */
    char *msg;               /* "context: context: cause" */
};

/* Sets *err (when err is not NULL and *err is NULL) and returns -1, so callers may write
 * `return kpod_err_set(err, ...)`. With a non-zero errnum, ": strerror" is appended. */
int kpod_err_set(struct kpod_err **err, enum kpod_err_kind kind, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int kpod_err_setv(struct kpod_err **err, enum kpod_err_kind kind, int errnum, const char *fmt,
                  va_list ap) __attribute__((format(printf, 4, 0)));

/* Shorthands. kpod_err_sys captures errno itself: call it right after the failing call. */
#define kpod_err_sys(err, ...) kpod_err_set((err), KPOD_ERR_INTERNAL, errno, __VA_ARGS__)
#define kpod_err_msg(err, ...) kpod_err_set((err), KPOD_ERR_INTERNAL, 0, __VA_ARGS__)
#define kpod_err_input(err, ...) kpod_err_set((err), KPOD_ERR_INPUT, 0, __VA_ARGS__)
#define kpod_err_usage(err, ...) kpod_err_set((err), KPOD_ERR_USAGE, 0, __VA_ARGS__)
#define kpod_err_notfound(err, ...) kpod_err_set((err), KPOD_ERR_NOTFOUND, 0, __VA_ARGS__)
#define kpod_err_invoke(err, ...) kpod_err_set((err), KPOD_ERR_INVOKE, 0, __VA_ARGS__)

/* Prepends "context: " to an existing error's message; returns -1. Does nothing if no error. */
int kpod_err_prefix(struct kpod_err **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit code for an error: 125, 126 or 127. */
int kpod_err_exit_code(const struct kpod_err *err);

/* Frees the error and sets *err to NULL. Accepts NULL and *err == NULL. */
void kpod_err_free(struct kpod_err **err);

/* Moves an error from src to dst (dst must be empty). */
void kpod_err_move(struct kpod_err **dst, struct kpod_err **src);
