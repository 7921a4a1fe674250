/* Kubernetes value syntaxes: quantities, signal names, DNS-1123 names, base64. */
#include "manifest/internal.h"

#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef __int128 i128;
#define I128_LIMIT ((i128)1 << 120)

static int
mul_checked(i128 *v, i128 by)
{
    if (*v != 0 && by > I128_LIMIT / *v)
        return -1;
    *v *= by;
    return 0;
}

static int
parse_suffix(const char *s, int *ret_dexp, int *ret_bexp)
{
    static const struct {
        const char *s;
        int dexp, bexp;
    } suffixes[] = {{"", 0, 0},    {"m", -3, 0},  {"n", -9, 0},  {"u", -6, 0},
                    {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
                    {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
                    {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60}};
    for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
        if (strcmp(s, suffixes[i].s) == 0) {
            *ret_dexp = suffixes[i].dexp;
            *ret_bexp = suffixes[i].bexp;
            return 0;
        }
    }
    if (s[0] != 'e' && s[0] != 'E')
        return -1;
    long long e = 0;
    const char *p = s + 1;
    if (*p == '+')
        p++;
    if (kpod_str_to_ll(p, -40, 40, &e) < 0 || !(isdigit((unsigned char)*p) || *p == '-'))
        return -1;
    *ret_dexp = (int)e;
    *ret_bexp = 0;
    return 0;
}

int
kpod_quantity_parse(const char *s, bool milli, long long *ret)
{
    if (s == NULL)
        return -1;
    const char *p = s;
    if (*p == '+')
        p++;
    else if (*p == '-')
        return -1; /* negative quantities have no meaning for kpod's resources */
    i128 mant = 0;
    int digits = 0, frac = 0, sig = 0;
    bool dot = false;
    for (; isdigit((unsigned char)*p) || (*p == '.' && !dot); p++) {
        if (*p == '.') {
            dot = true;
            continue;
        }
        digits++;
        if (mant == 0 && *p == '0') {
            if (dot)
                frac++;
            continue;
        }
        if (++sig > 36)
            return -1;
        mant = mant * 10 + (*p - '0');
        if (dot)
            frac++;
    }
    if (digits == 0)
        return -1;
    int dexp = 0, bexp = 0;
    if (parse_suffix(p, &dexp, &bexp) < 0)
        return -1;
    dexp += (milli ? 3 : 0) - frac;
    i128 num = mant, den = 1;
    if (mul_checked(&num, (i128)1 << bexp) < 0)
        return -1;
    for (; dexp > 0; dexp--)
        if (mul_checked(&num, 10) < 0)
            return -1;
    for (; dexp < 0; dexp++) {
        if (den > I128_LIMIT / 10) {
            *ret = num > 0 ? 1 : 0; /* tinier than one unit: rounds up to 1 */
            return 0;
        }
        den *= 10;
    }
    i128 v = (num + den - 1) / den; /* Kubernetes rounds up */
    if (v > LLONG_MAX)
        return -1;
    *ret = (long long)v;
    return 0;
}

static const struct {
    const char *name;
    int num;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

/* SIGRTMIN is 34 and SIGRTMAX 64 for containers, whatever the libc reserves. */
#define RTMIN 34
#define RTMAX 64

int
kpod_signal_parse(const char *s)
{
    long long n = 0;
    if (s == NULL || *s == '\0')
        return -1;
    if (isdigit((unsigned char)*s))
        return kpod_str_to_ll(s, 1, RTMAX, &n) == 0 ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
        if (strcasecmp(s, signals[i].name) == 0)
            return signals[i].num;
    if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
        bool max = toupper((unsigned char)s[3]) == 'A';
        const char *off = s + 5;
        if (*off == '\0')
            return max ? RTMAX : RTMIN;
        if ((*off != '+' && *off != '-') || kpod_str_to_ll(off + 1, 1, RTMAX - RTMIN, &n) < 0)
            return -1;
        if ((*off == '+') == max) /* RTMIN-n and RTMAX+n are out of range */
            return -1;
        return max ? RTMAX - (int)n : RTMIN + (int)n;
    }
    return -1;
}

const char *
kpod_signal_name(int sig)
{
    static __thread char buf[16];
    for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
        if (signals[i].num == sig) {
            snprintf(buf, sizeof(buf), "SIG%s", signals[i].name);
            return buf;
        }
    }
    if (sig >= RTMIN && sig <= RTMAX) {
        snprintf(buf, sizeof(buf), "SIGRTMIN+%d", sig - RTMIN);
        return buf;
    }
    return NULL;
}

static bool
label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool
label_ok(const char *s, size_t len)
{
    if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!label_char(s[i]))
            return false;
    return true;
}

bool
kpod_is_dns1123_label(const char *s)
{
    return s != NULL && label_ok(s, strlen(s));
}

bool
kpod_is_dns1123_subdomain(const char *s)
{
    if (s == NULL)
        return false;
    size_t len = strlen(s);
    if (len == 0 || len > 253)
        return false;
    for (const char *p = s;;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (!label_ok(p, l))
            return false;
        if (dot == NULL)
            return true;
        p = dot + 1;
    }
}

static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int
manifest_base64_decode(struct kpod_arena *a, const char *in, char **ret, size_t *ret_len)
{
    size_t n = strlen(in);
    char *out = arena_alloc(a, n / 4 * 3 + 4);
    size_t len = 0, pad = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = in; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isspace(c))
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad > 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (pad > 2 || bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
        return -1;
    out[len] = '\0';
    *ret = out;
    *ret_len = len;
    return 0;
}
