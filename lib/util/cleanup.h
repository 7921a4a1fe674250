/* Scope-bound cleanup: every resource variable is initialised (NULL / -1) where declared and
 * released when it leaves scope, unless ownership is moved out with TAKE_PTR / TAKE_FD. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/err.h"

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Defines `static inline void kpod_cleanup_<fn>(type **p)` calling fn(*p) when *p is not NULL,
 * for library handles: KPOD_DEFINE_CLEANUP(CURL, curl_easy_cleanup) then
 * `_cleanup_(kpod_cleanup_curl_easy_cleanup) CURL *c = NULL;`. */
#define KPOD_DEFINE_CLEANUP(type, fn)                                                              \
    static inline void kpod_cleanup_##fn(type **p)                                                 \
    {                                                                                              \
        if (*p != NULL)                                                                            \
            fn(*p);                                                                                \
    }

static inline void
kpod_freep(void *p)
{
    free(*(void **)p);
}

static inline void
kpod_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void
kpod_fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
}

static inline void
kpod_closedirp(DIR **d)
{
    if (*d != NULL)
        closedir(*d);
}

static inline void
kpod_errp(struct kpod_err **e)
{
    kpod_err_free(e);
}

void kpod_strv_free(char **v);
static inline void
kpod_strvp(char ***v)
{
    kpod_strv_free(*v);
}

#define _cleanup_free_ _cleanup_(kpod_freep)
#define _cleanup_close_ _cleanup_(kpod_closep)
#define _cleanup_fclose_ _cleanup_(kpod_fclosep)
#define _cleanup_closedir_ _cleanup_(kpod_closedirp)
#define _cleanup_strv_ _cleanup_(kpod_strvp)
#define _cleanup_err_ _cleanup_(kpod_errp)

/* Moves ownership out of a cleanup variable. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tp = (p);                                                                   \
        (p) = NULL;                                                                                \
        _tp;                                                                                       \
    })
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _tf = (fd);                                                                            \
        (fd) = -1;                                                                                 \
        _tf;                                                                                       \
    })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
