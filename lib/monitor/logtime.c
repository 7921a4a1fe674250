/* Timestamps of the k8s-file log format, and --since/--until values. */
#include "monitor/monitor.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
kpod_log_format_time(int64_t ns, char out[40])
{
    time_t secs = (time_t)(ns / 1000000000);
    long frac = (long)(ns % 1000000000);
    struct tm tm;
    localtime_r(&secs, &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    unsigned oh = (unsigned)(off / 3600) % 100, om = (unsigned)(off % 3600) / 60 % 60;
    unsigned year = (unsigned)(tm.tm_year + 1900) % 10000;
    char buf[64]; /* the compiler cannot see that every field fits: format wide, then copy */
    snprintf(buf, sizeof(buf), "%04u-%02u-%02uT%02u:%02u:%02u.%09lu%c%02u:%02u", year,
             (unsigned)(tm.tm_mon + 1) % 100, (unsigned)tm.tm_mday % 100,
             (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
             (unsigned long)(frac < 0 ? 0 : frac) % 1000000000UL, sign, oh, om);
    memcpy(out, buf, 39);
    out[39] = '\0';
}

static int
digits(const char **p, const char *end, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || !isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    *ret = v;
    return 0;
}

static int
expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return -1;
    (*p)++;
    return 0;
}

int
kpod_log_parse_time(const char *s, size_t len, int64_t *ret_ns)
{
    const char *p = s, *end = s + len;
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (digits(&p, end, 4, &y) < 0 || expect(&p, end, '-') < 0 || digits(&p, end, 2, &mo) < 0 ||
        expect(&p, end, '-') < 0 || digits(&p, end, 2, &d) < 0)
        return -1;
    int64_t frac = 0;
    long off = 0;
    if (p < end && (*p == 'T' || *p == ' ')) {
        p++;
        if (digits(&p, end, 2, &h) < 0 || expect(&p, end, ':') < 0 || digits(&p, end, 2, &mi) < 0 ||
            expect(&p, end, ':') < 0 || digits(&p, end, 2, &se) < 0)
            return -1;
        if (p < end && *p == '.') {
            p++;
            int n = 0;
            for (; p < end && isdigit((unsigned char)*p); p++, n++)
                if (n < 9)
                    frac = frac * 10 + (*p - '0');
            if (n == 0)
                return -1;
            for (; n < 9; n++)
                frac *= 10;
        }
        if (p < end && (*p == 'Z' || *p == 'z')) {
            p++;
        } else if (p < end && (*p == '+' || *p == '-')) {
            int sign = *p == '-' ? -1 : 1, oh, om;
            p++;
            if (digits(&p, end, 2, &oh) < 0 || expect(&p, end, ':') < 0 ||
                digits(&p, end, 2, &om) < 0)
                return -1;
            off = sign * (oh * 3600L + om * 60L);
        } else {
            return -1;
        }
    }
    if (p != end || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    *ret_ns = ((int64_t)t - off) * 1000000000LL + frac;
    return 0;
}

/* "1h30m", "10m", "45s", "500ms", "2h" */
static int
parse_duration(const char *s, int64_t *ret_ns)
{
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {{"ms", 1000000LL},   {"h", 3600000000000LL}, {"m", 60000000000LL},
                 {"s", 1000000000LL}, {"us", 1000LL},         {"ns", 1LL}};
    int64_t total = 0;
    const char *p = s;
    if (*p == '\0')
        return -1;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return -1;
        char *endp;
        double v = strtod(p, &endp);
        size_t i;
        for (i = 0; i < ARRAY_SIZE(units); i++) {
            size_t l = strlen(units[i].unit);
            if (strncmp(endp, units[i].unit, l) == 0 && !(l == 1 && endp[1] == 's' && *endp == 'm'))
                break;
        }
        if (i == ARRAY_SIZE(units))
            return -1;
        total += (int64_t)(v * (double)units[i].ns);
        p = endp + strlen(units[i].unit);
    }
    *ret_ns = total;
    return 0;
}

int
kpod_log_parse_since(const char *s, int64_t now_ns, int64_t *ret_ns, struct kpod_err **err)
{
    int64_t v;
    if (kpod_log_parse_time(s, strlen(s), &v) == 0) {
        *ret_ns = v;
        return 0;
    }
    char *end = NULL;
    double secs = strtod(s, &end);
    if (end != s && *end == '\0' && secs >= 0) {
        *ret_ns = (int64_t)(secs * 1e9);
        return 0;
    }
    if (parse_duration(s, &v) == 0) {
        *ret_ns = now_ns - v;
        return 0;
    }
    return kpod_err_usage(err,
                          "invalid time '%s': want RFC3339, Unix seconds or a duration "
                          "such as 10m",
                          s);
}
