/* A tiny TAP producer for kpod's unit tests: one program per module, run by `make unit`.
 *   int main(void) { ok(1 == 1, "math"); is_str(a, "b", "name"); return tap_done(); }
 * The plan is printed at the end ("1..N"), so tests need not count themselves. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline bool __attribute__((format(printf, 2, 3))) tap_ok(bool cond, const char *fmt, ...)
{
    va_list ap;
    tap_n++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond)
        tap_failed++;
    fflush(stdout);
    return cond;
}

#define ok(cond, ...)                                                                              \
    (tap_ok((cond), __VA_ARGS__) ? true : (printf("#   at %s:%d\n", __FILE__, __LINE__), false))

#define is_int(got, want, ...)                                                                     \
    do {                                                                                           \
        long long _g = (long long)(got), _w = (long long)(want);                                   \
        if (!ok(_g == _w, __VA_ARGS__))                                                            \
            printf("#   got %lld, want %lld\n", _g, _w);                                           \
    } while (0)

#define is_str(got, want, ...)                                                                     \
    do {                                                                                           \
        const char *_g = (got), *_w = (want);                                                      \
        bool _eq = (_g == NULL && _w == NULL) || (_g && _w && strcmp(_g, _w) == 0);                \
        if (!ok(_eq, __VA_ARGS__))                                                                 \
            printf("#   got '%s', want '%s'\n", _g ? _g : "(null)", _w ? _w : "(null)");           \
    } while (0)

static inline void
tap_skip(int n, const char *why)
{
    for (int i = 0; i < n; i++)
        printf("ok %d # skip %s\n", ++tap_n, why);
}

static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
    va_list ap;
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static inline int
tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
