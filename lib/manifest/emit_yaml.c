/* The YAML writer of the emitter: libyaml events into a memory buffer, and scalars quoted
 * where a YAML 1.1 or 1.2 reader would take them for something else (yes, on, 0755, 1e3, ~). */
#include "manifest/internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int
ye_write_out(void *data, unsigned char *chunk, size_t size)
{
    struct ye_buf *b = data;
    if (b->len + size + 1 > b->cap) {
        b->cap = (b->len + size + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, chunk, size);
    b->len += size;
    b->p[b->len] = '\0';
    return 1;
}

void
ye_emit(struct yemit *em, yaml_event_t *ev)
{
    if (em->failed)
        yaml_event_delete(ev);
    else if (!yaml_emitter_emit(&em->e, ev))
        em->failed = true;
}

/* ---- scalars ---- */

/* Would a YAML 1.1 or 1.2 resolver read s as something other than a string? Errs on the side
 * of quoting: a quoted string is always a string. */
static bool
ambiguous(const char *s)
{
    static const char *const words[] = {"~",    "null",  "true",  "false", "yes", "no",
                                        "on",   "off",   "y",     "n",     "<<",  "=",
                                        ".inf", "-.inf", "+.inf", ".nan"};
    if (*s == '\0')
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    const char *p = s + (*s == '-' || *s == '+');
    if (!((*p >= '0' && *p <= '9') || *p == '.'))
        return false;
    /* numbers in any base, floats, sexagesimal and dates use only these characters, and at most
     * one '.' (so addresses such as 10.0.0.1 stay plain) */
    const char *dot = strchr(p, '.');
    if (dot != NULL && strchr(dot + 1, '.') != NULL)
        return false;
    return strspn(p, "0123456789_.:-+eExXoObBaAcCdDfF") == strlen(p);
}

static void
scalar(struct yemit *em, const char *s, yaml_scalar_style_t style, bool implicit)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), implicit,
                                      true, style)) {
        em->failed = true;
        return;
    }
    ye_emit(em, &ev);
}

/* A string: plain when unambiguous, literal block when it has lines, else double-quoted. */
void
ye_str(struct yemit *em, const char *s)
{
    if (ambiguous(s))
        scalar(em, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE, false);
    else if (strchr(s, '\n') != NULL)
        scalar(em, s, YAML_LITERAL_SCALAR_STYLE, false);
    else
        scalar(em, s, YAML_ANY_SCALAR_STYLE, true);
}

/* A number or boolean: plain. */
void
ye_plain(struct yemit *em, const char *s)
{
    scalar(em, s, YAML_PLAIN_SCALAR_STYLE, true);
}

void
ye_map_begin(struct yemit *em)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    ye_emit(em, &ev);
}

void
ye_map_end(struct yemit *em)
{
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    ye_emit(em, &ev);
}

void
ye_seq_begin(struct yemit *em)
{
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    ye_emit(em, &ev);
}

void
ye_seq_end(struct yemit *em)
{
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    ye_emit(em, &ev);
}

/* key: then a mapping or sequence follows */
void
ye_key_map(struct yemit *em, const char *k)
{
    ye_str(em, k);
    ye_map_begin(em);
}

void
ye_key_seq(struct yemit *em, const char *k)
{
    ye_str(em, k);
    ye_seq_begin(em);
}

void
ye_kv_str(struct yemit *em, const char *k, const char *v)
{
    if (v == NULL)
        return;
    ye_str(em, k);
    ye_str(em, v);
}

void
ye_kv_ll(struct yemit *em, const char *k, long long v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", v);
    ye_str(em, k);
    ye_plain(em, b);
}

void
ye_kv_bool(struct yemit *em, const char *k, bool v)
{
    ye_str(em, k);
    ye_plain(em, v ? "true" : "false");
}

/* A tristate when set. */
void
ye_kv_tri(struct yemit *em, const char *k, kpod_tristate v)
{
    if (v >= 0)
        ye_kv_bool(em, k, v == 1);
}

void
ye_kv_strv(struct yemit *em, const char *k, char *const *v)
{
    if (v == NULL)
        return;
    ye_key_seq(em, k);
    for (; *v; v++)
        ye_str(em, *v);
    ye_seq_end(em);
}

void
ye_kv_map(struct yemit *em, const char *k, const struct kpod_kvlist *l)
{
    if (l->n == 0)
        return;
    ye_key_map(em, k);
    for (size_t i = 0; i < l->n; i++)
        ye_kv_str(em, l->items[i].key, l->items[i].value ? l->items[i].value : "");
    ye_map_end(em);
}

/* ---- values ---- */

/* Millicores as Kubernetes writes them: "2", "250m". */
void
ye_kv_cpu(struct yemit *em, const char *k, long long milli)
{
    char b[32];
    if (milli % 1000 == 0)
        snprintf(b, sizeof(b), "%lld", milli / 1000);
    else
        snprintf(b, sizeof(b), "%lldm", milli);
    ye_kv_str(em, k, b);
}

/* Bytes in the largest binary suffix that divides them exactly: "64Mi", "1Gi", "1000". */
void
ye_kv_bytes(struct yemit *em, const char *k, long long v)
{
    static const char *const suffix[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
    char b[32];
    snprintf(b, sizeof(b), "%lld", v);
    for (size_t i = 0; v > 0 && i < ARRAY_SIZE(suffix); i++) {
        long long unit = 1LL << (10 * (6 - i));
        if (v % unit == 0) {
            snprintf(b, sizeof(b), "%lld%s", v / unit, suffix[i]);
            break;
        }
    }
    ye_kv_str(em, k, b);
}

char *
ye_base64(const char *in, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        *o++ = tbl[v >> 18 & 63];
        *o++ = tbl[v >> 12 & 63];
        *o++ = i + 1 < len ? tbl[v >> 6 & 63] : '=';
        *o++ = i + 2 < len ? tbl[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Text a YAML document can carry as a string: UTF-8 without NUL. */
bool
ye_is_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t n = *p < 0x80         ? 1
                   : (*p >> 5) == 6  ? 2
                   : (*p >> 4) == 14 ? 3
                   : (*p >> 3) == 30 ? 4
                                     : 0;
        if (*p == 0 || n == 0 || (size_t)(end - p) < n)
            return false;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

const char *
ye_restart_policy_name(enum kpod_restart_policy rp)
{
    return rp == KPOD_RESTART_NEVER        ? "Never"
           : rp == KPOD_RESTART_ON_FAILURE ? "OnFailure"
                                           : "Always";
}

void
ye_doc_begin(struct yemit *em)
{
    yaml_event_t ev;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
    ye_emit(em, &ev);
}

void
ye_doc_end(struct yemit *em)
{
    yaml_event_t ev;
    yaml_document_end_event_initialize(&ev, 1);
    ye_emit(em, &ev);
}
