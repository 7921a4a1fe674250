/* Pure parsers of cgroup files and of mountinfo: no system calls, unit-tested on fixtures. */
#include "cgroup/cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"

static const char *const ctrl_names[CG_NCTRL] = {
    [CG_CPU] = "cpu",         [CG_CPUACCT] = "cpuacct", [CG_CPUSET] = "cpuset",
    [CG_MEMORY] = "memory",   [CG_PIDS] = "pids",       [CG_BLKIO] = "blkio",
    [CG_DEVICES] = "devices", [CG_FREEZER] = "freezer", [CG_SYSTEMD] = "name=systemd",
};

const char *
cg_ctrl_name(enum cg_ctrl c)
{
    return c < CG_NCTRL ? ctrl_names[c] : "?";
}

/* Parses an unsigned decimal at *p (advancing it); false if there is none. */
static bool
parse_u64(const char **p, uint64_t *ret)
{
    const char *s = *p;
    if (!isdigit((unsigned char)*s))
        return false;
    uint64_t v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            v = UINT64_MAX; /* saturate: counters never get there */
        else
            v = v * 10 + d;
    }
    *p = s;
    *ret = v;
    return true;
}

uint64_t
kpod_cgroup_parse_keyed(const char *text, const char *key, uint64_t fallback)
{
    if (text == NULL || key == NULL)
        return fallback;
    size_t klen = strlen(key);
    for (const char *line = text; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            const char *p = line + klen;
            while (*p == ' ')
                p++;
            uint64_t v;
            if (strncmp(p, "max", 3) == 0)
                return UINT64_MAX;
            return parse_u64(&p, &v) ? v : fallback;
        }
        if (nl == NULL)
            break;
        line = nl + 1;
    }
    return fallback;
}

int
kpod_cgroup_parse_value(const char *text, uint64_t *ret)
{
    if (text == NULL)
        return -1;
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    uint64_t v;
    if (strncmp(p, "max", 3) == 0) {
        v = UINT64_MAX;
        p += 3;
    } else if (*p == '-' && p[1] == '1') {
        v = UINT64_MAX; /* v1 files report "unlimited" as -1 in a few places */
        p += 2;
    } else if (!parse_u64(&p, &v)) {
        return -1;
    }
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p != '\0')
        return -1;
    *ret = v;
    return 0;
}

/* One "MAJ:MIN Op value" line of blkio (v1). */
static void
blkio_v1_line(const char *line, const char *end, uint64_t *rd, uint64_t *wr)
{
    const char *sp = memchr(line, ' ', (size_t)(end - line));
    if (sp == NULL || memchr(line, ':', (size_t)(sp - line)) == NULL)
        return; /* the trailing "Total N" line */
    const char *op = sp + 1;
    const char *sp2 = memchr(op, ' ', (size_t)(end - op));
    if (sp2 == NULL)
        return;
    const char *p = sp2 + 1;
    uint64_t v;
    if (!parse_u64(&p, &v))
        return;
    size_t oplen = (size_t)(sp2 - op);
    if (oplen == 4 && strncmp(op, "Read", 4) == 0)
        *rd += v;
    else if (oplen == 5 && strncmp(op, "Write", 5) == 0)
        *wr += v;
}

/* One "MAJ:MIN rbytes=N wbytes=N rios=N ..." line of io.stat (v2). */
static void
io_v2_line(const char *line, const char *end, uint64_t *rd, uint64_t *wr)
{
    for (const char *p = line; p < end;) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *fend = sp != NULL ? sp : end;
        const char *q;
        uint64_t v;
        if (strncmp(p, "rbytes=", 7) == 0 && (q = p + 7, parse_u64(&q, &v)))
            *rd += v;
        else if (strncmp(p, "wbytes=", 7) == 0 && (q = p + 7, parse_u64(&q, &v)))
            *wr += v;
        p = fend + 1;
    }
}

void
kpod_cgroup_parse_blkio(const char *text, enum kpod_cgroup_version v, uint64_t *ret_read,
                        uint64_t *ret_write)
{
    uint64_t rd = 0, wr = 0;
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        const char *end = nl != NULL ? nl : line + strlen(line);
        if (v == KPOD_CGROUP_V2)
            io_v2_line(line, end, &rd, &wr);
        else
            blkio_v1_line(line, end, &rd, &wr);
        line = nl != NULL ? nl + 1 : NULL;
    }
    *ret_read = rd;
    *ret_write = wr;
}

/* Copies the n-th space-separated field of a mountinfo line, decoding \ooo escapes. */
static char *
mi_field(const char *line, const char *end, int n, const char **ret_next)
{
    const char *p = line;
    for (int i = 0; i < n && p < end; i++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (sp == NULL)
            return NULL;
        p = sp + 1;
    }
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    const char *fend = sp != NULL ? sp : end;
    char *out = xmalloc((size_t)(fend - p) + 1);
    size_t o = 0;
    for (const char *s = p; s < fend; s++) {
        if (*s == '\\' && fend - s >= 4 && s[1] >= '0' && s[1] <= '3' &&
            isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3])) {
            out[o++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
    if (ret_next != NULL)
        *ret_next = sp != NULL ? sp + 1 : end;
    return out;
}

/* Records a v1 mount's controllers from its super options ("rw,cpu,cpuacct"). */
static void
mi_v1(struct cg_mounts *m, const char *mountpoint, const char *superopts)
{
    _cleanup_strv_ char **opts = kpod_strv_split(superopts, ",", true);
    for (size_t i = 0; opts != NULL && opts[i] != NULL; i++) {
        for (int c = 0; c < CG_NCTRL; c++) {
            if (strcmp(opts[i], ctrl_names[c]) == 0 && m->v1[c] == NULL)
                m->v1[c] = xstrdup(mountpoint);
        }
    }
}

/* Parses one mountinfo line: "id parent maj:min root mountpoint opts [optional...] - fstype
 * source superopts". */
static void
mi_line(struct cg_mounts *m, const char *line, const char *end)
{
    _cleanup_free_ char *mountpoint = mi_field(line, end, 4, NULL);
    if (mountpoint == NULL)
        return;
    /* The separator " - " ends the optional fields. */
    const char *sep = NULL;
    for (const char *p = line; p + 3 <= end; p++) {
        if (p[0] == ' ' && p[1] == '-' && p[2] == ' ') {
            sep = p + 3;
            break;
        }
    }
    if (sep == NULL)
        return;
    const char *next = NULL;
    _cleanup_free_ char *fstype = mi_field(sep, end, 0, &next);
    if (fstype == NULL)
        return;
    if (strcmp(fstype, "cgroup2") == 0) {
        /* The mount at /sys/fs/cgroup wins over others (a nested one in a container). */
        if (m->v2 == NULL || strcmp(mountpoint, "/sys/fs/cgroup") == 0) {
            free(m->v2);
            m->v2 = xstrdup(mountpoint);
        }
        if (strcmp(mountpoint, "/sys/fs/cgroup") == 0)
            m->version = KPOD_CGROUP_V2;
    } else if (strcmp(fstype, "cgroup") == 0) {
        _cleanup_free_ char *superopts = mi_field(next, end, 1, NULL);
        if (superopts != NULL)
            mi_v1(m, mountpoint, superopts);
    }
}

void
cg_parse_mounts(const char *mountinfo, struct cg_mounts *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->version = KPOD_CGROUP_V1;
    for (const char *line = mountinfo; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        const char *end = nl != NULL ? nl : line + strlen(line);
        mi_line(ret, line, end);
        line = nl != NULL ? nl + 1 : NULL;
    }
}

void
cg_mounts_free(struct cg_mounts *m)
{
    if (m == NULL)
        return;
    for (int c = 0; c < CG_NCTRL; c++) {
        free(m->v1[c]);
        m->v1[c] = NULL;
    }
    free(m->v2);
    m->v2 = NULL;
}

enum kpod_cgroup_version
kpod_cgroup_parse_mountinfo(const char *mountinfo)
{
    struct cg_mounts m;
    cg_parse_mounts(mountinfo, &m);
    enum kpod_cgroup_version v = m.version;
    cg_mounts_free(&m);
    return v;
}

static const struct {
    const char *name;
    unsigned bit;
} cg2_names[] = {
    {"cpu", CG2_CPU},       {"cpuset", CG2_CPUSET}, {"io", CG2_IO},
    {"memory", CG2_MEMORY}, {"pids", CG2_PIDS},
};

const char *
cg2_ctrl_name(unsigned bit)
{
    for (size_t i = 0; i < ARRAY_SIZE(cg2_names); i++) {
        if (cg2_names[i].bit == bit)
            return cg2_names[i].name;
    }
    return "?";
}

unsigned
cg_parse_controllers(const char *text)
{
    unsigned mask = 0;
    _cleanup_strv_ char **words = kpod_strv_split(text != NULL ? text : "", " \t\n", true);
    for (size_t i = 0; words != NULL && words[i] != NULL; i++) {
        for (size_t j = 0; j < ARRAY_SIZE(cg2_names); j++) {
            if (strcmp(words[i], cg2_names[j].name) == 0)
                mask |= cg2_names[j].bit;
        }
    }
    return mask;
}

char *
cg_normalize_path(const char *path, struct kpod_err **err)
{
    if (path == NULL)
        return kpod_err_input(err, "cgroup path is empty"), NULL;
    if (strlen(path) >= 1024)
        return kpod_err_input(err, "cgroup path '%.40s...' is too long", path), NULL;
    _cleanup_strv_ char **parts = kpod_strv_split(path, "/", true);
    if (parts == NULL || parts[0] == NULL)
        return kpod_err_input(err, "cgroup path '%s' is empty", path), NULL;
    for (size_t i = 0; parts[i] != NULL; i++) {
        if (strcmp(parts[i], ".") == 0 || strcmp(parts[i], "..") == 0)
            return kpod_err_input(err, "cgroup path '%s': '%s' is not allowed", path, parts[i]),
                   NULL;
    }
    return kpod_strv_join(parts, "/");
}

/* log2 and 10^x without libm: enough precision for the shares → weight table, exact where
 * the result is an integer power of ten. */
static double
log2_of(double x)
{
    int k = 0;
    while (x >= 2.0) {
        x /= 2.0;
        k++;
    }
    if (x == 1.0)
        return k;
    /* ln x = 2 atanh((x-1)/(x+1)) for x in (1, 2) */
    double y = (x - 1.0) / (x + 1.0), y2 = y * y, term = y, sum = 0.0;
    for (int n = 1; n < 80; n += 2) {
        sum += term / n;
        term *= y2;
    }
    return k + 2.0 * sum / 0.69314718055994530942;
}

static double
pow10_of(double e)
{
    double r = 1.0;
    while (e >= 1.0) {
        r *= 10.0;
        e -= 1.0;
    }
    if (e == 0.0)
        return r;
    /* 10^f = exp(f ln 10), f in (0, 1): halve until small, Taylor, square back. */
    double x = e * 2.30258509299404568402;
    int k = 0;
    while (x > 0.01) {
        x /= 2.0;
        k++;
    }
    double sum = 1.0, term = 1.0;
    for (int n = 1; n < 20; n++) {
        term *= x / n;
        sum += term;
    }
    while (k-- > 0)
        sum *= sum;
    return r * sum;
}

uint64_t
kpod_cgroup_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    double l = log2_of((double)shares);
    /* (l^2 + 125 l) / 612 - 7/34, written over one denominator so that powers of two land
     * exactly (1024 → 2.0 → 100). */
    double exponent = (l * l + 125.0 * l - 126.0) / 612.0;
    double w = pow10_of(exponent);
    uint64_t iw = (uint64_t)w;
    if ((double)iw < w)
        iw++;
    return iw > 10000 ? 10000 : iw;
}
