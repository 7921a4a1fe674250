#include "util/strv.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

size_t
kpod_strv_len(char *const *v)
{
    size_t n = 0;
    while (v != NULL && v[n] != NULL)
        n++;
    return n;
}

void
kpod_strv_push_take(char ***v, char *s)
{
    size_t n = kpod_strv_len(*v);
    *v = xreallocarray(*v, n + 2, sizeof(char *));
    (*v)[n] = s;
    (*v)[n + 1] = NULL;
}

void
kpod_strv_push(char ***v, const char *s)
{
    kpod_strv_push_take(v, xstrdup(s));
}

char **
kpod_strv_dup(char *const *v)
{
    size_t n = kpod_strv_len(v);
    char **r = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        r[i] = xstrdup(v[i]);
    return r;
}

bool
kpod_strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

char *
kpod_strv_join(char *const *v, const char *sep)
{
    size_t n = kpod_strv_len(v), seplen = strlen(sep), total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + (i ? seplen : 0);
    char *r = xmalloc(total), *p = r;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            memcpy(p, sep, seplen);
            p += seplen;
        }
        size_t l = strlen(v[i]);
        memcpy(p, v[i], l);
        p += l;
    }
    *p = '\0';
    return r;
}

char **
kpod_strv_split(const char *s, const char *sep, bool skip_empty)
{
    char **r = xcalloc(1, sizeof(char *));
    if (s == NULL)
        return r;
    for (;;) {
        size_t l = strcspn(s, sep);
        if (l > 0 || !skip_empty)
            kpod_strv_push_take(&r, xstrndup(s, l));
        if (s[l] == '\0')
            break;
        s += l + 1;
    }
    return r;
}

void
kpod_strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

bool
kpod_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
kpod_str_has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

size_t
kpod_str_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

int
kpod_str_to_ll(const char *s, long long min, long long max, long long *ret)
{
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
        errno = EINVAL;
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0)
        return -1;
    if (*end != '\0') {
        errno = EINVAL;
        return -1;
    }
    if (v < min || v > max) {
        errno = ERANGE;
        return -1;
    }
    *ret = v;
    return 0;
}

int
kpod_str_to_size(const char *s, unsigned long long *ret)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {
        {"", 0},     {"b", 0},  {"k", 10},  {"kb", 10},  {"kib", 10}, {"m", 20},  {"mb", 20},
        {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40},   {"tb", 40}, {"tib", 40},
    };
    if (s == NULL || !isdigit((unsigned char)*s)) {
        errno = EINVAL;
        return -1;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(end, units[i].suffix) != 0)
            continue;
        if (units[i].shift && v > (ULLONG_MAX >> units[i].shift)) {
            errno = ERANGE;
            return -1;
        }
        *ret = v << units[i].shift;
        return 0;
    }
    errno = EINVAL;
    return -1;
}
