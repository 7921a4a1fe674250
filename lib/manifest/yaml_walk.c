/* Walking a loaded libyaml document: positions, field paths, typed scalars, field tables,
 * and the alias-expansion budget that stops YAML bombs. */
#include "manifest/internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

struct kpod_pos
y_pos(struct yctx *y, yaml_node_t *n)
{
    struct kpod_pos p = {y->file, arena_strdup(y->a, y->path), 0, 0};
    if (n != NULL) {
        p.line = (int)n->start_mark.line + 1;
        p.col = (int)n->start_mark.column + 1;
    }
    return p;
}

static char *__attribute__((format(printf, 3, 0)))
format_at(const struct kpod_pos *pos, const char *path, const char *fmt, va_list ap)
{
    if (path == NULL)
        path = pos->path;
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    const char *sep = (path != NULL && *path != '\0') ? ": " : "";
    if (pos->line > 0)
        return xasprintf("%s:%d:%d: %s%s%s", pos->file, pos->line, pos->col, path ? path : "", sep,
                         msg);
    return xasprintf("%s: %s%s%s", pos->file, path ? path : "", sep, msg);
}

/* Appends a warning, up to KPOD_MANIFEST_MAX_WARNINGS and then one line saying so. */
static void
push_warning(char ***warnings, char *w)
{
    size_t n = kpod_strv_len(*warnings);
    if (n < KPOD_MANIFEST_MAX_WARNINGS) {
        kpod_strv_push_take(warnings, w);
        return;
    }
    if (n == KPOD_MANIFEST_MAX_WARNINGS)
        kpod_strv_push_take(warnings, xasprintf("more than %d warnings: the rest are not shown",
                                                KPOD_MANIFEST_MAX_WARNINGS));
    free(w);
}

int
err_at(struct kpod_err **err, const struct kpod_pos *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *s = format_at(pos, NULL, fmt, ap);
    va_end(ap);
    return kpod_err_input(err, "%s", s);
}

void
warn_at(char ***warnings, const struct kpod_pos *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push_warning(warnings, format_at(pos, NULL, fmt, ap));
    va_end(ap);
}

/* The path of a child key; an absurdly long key is cut for display. */
static char *
key_path(struct yctx *y, const char *key)
{
    if (key == NULL)
        return xstrdup(y->path);
    int len = strlen(key) > 64 ? 64 : (int)strlen(key);
    const char *more = strlen(key) > 64 ? "..." : "";
    return y->plen ? xasprintf("%s.%.*s%s", y->path, len, key, more)
                   : xasprintf("%.*s%s", len, key, more);
}

int
y_err(struct yctx *y, yaml_node_t *n, const char *fmt, ...)
{
    struct kpod_pos p = y_pos(y, n);
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *s = format_at(&p, y->path, fmt, ap);
    va_end(ap);
    return kpod_err_input(y->err, "%s", s);
}

int
y_err_key(struct yctx *y, yaml_node_t *n, const char *key, const char *fmt, ...)
{
    struct kpod_pos p = y_pos(y, n);
    _cleanup_free_ char *path = key_path(y, key);
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *s = format_at(&p, path, fmt, ap);
    va_end(ap);
    return kpod_err_input(y->err, "%s", s);
}

void
y_warn(struct yctx *y, yaml_node_t *n, const char *fmt, ...)
{
    struct kpod_pos p = y_pos(y, n);
    va_list ap;
    va_start(ap, fmt);
    push_warning(y->warnings, format_at(&p, y->path, fmt, ap));
    va_end(ap);
}

void
y_warn_key(struct yctx *y, yaml_node_t *n, const char *key, const char *fmt, ...)
{
    struct kpod_pos p = y_pos(y, n);
    _cleanup_free_ char *path = key_path(y, key);
    va_list ap;
    va_start(ap, fmt);
    push_warning(y->warnings, format_at(&p, path, fmt, ap));
    va_end(ap);
}

size_t
y_push_key(struct yctx *y, const char *key)
{
    size_t saved = y->plen;
    int n = snprintf(y->path + y->plen, sizeof(y->path) - y->plen, "%s%s", y->plen ? "." : "", key);
    if (n > 0)
        y->plen = y->plen + (size_t)n < sizeof(y->path) ? y->plen + (size_t)n : sizeof(y->path) - 1;
    return saved;
}

size_t
y_push_index(struct yctx *y, size_t i)
{
    size_t saved = y->plen;
    int n = snprintf(y->path + y->plen, sizeof(y->path) - y->plen, "[%zu]", i);
    if (n > 0)
        y->plen = y->plen + (size_t)n < sizeof(y->path) ? y->plen + (size_t)n : sizeof(y->path) - 1;
    return saved;
}

void
y_pop(struct yctx *y, size_t saved)
{
    y->plen = saved;
    y->path[saved] = '\0';
}

yaml_node_t *
y_node(struct yctx *y, int index)
{
    yaml_node_t *n = yaml_document_get_node(y->doc, index);
    if (n == NULL)
        return NULL;
    if (++y->visits > KPOD_MANIFEST_MAX_VISITS) {
        y_err(y, n,
              "document expands to more than %d nodes through aliases (a YAML bomb?): refusing",
              KPOD_MANIFEST_MAX_VISITS);
        return NULL;
    }
    return n;
}

bool
y_is_null(yaml_node_t *n)
{
    if (n == NULL)
        return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)n->data.scalar.value;
    return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

const char *
y_scalar(yaml_node_t *n)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)n->data.scalar.value;
}

static const char *
node_kind(yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

int
y_str(struct yctx *y, yaml_node_t *n, char **ret)
{
    const char *s = y_scalar(n);
    if (s == NULL)
        return y_err(y, n, "expected a string, got %s", node_kind(n));
    if (strlen(s) != n->data.scalar.length)
        return y_err(y, n, "string contains a NUL byte");
    *ret = arena_strndup(y->a, s, n->data.scalar.length);
    return 0;
}

int
y_bool(struct yctx *y, yaml_node_t *n, bool *ret)
{
    /* YAML 1.1 booleans, as Kubernetes' go-yaml reads them */
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                      "on",   "On",   "ON",   "y",   "Y"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO",
                                     "off",   "Off",   "OFF",   "n",  "N"};
    const char *s = y_scalar(n);
    if (s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
            if (strcmp(s, yes[i]) == 0) {
                *ret = true;
                return 0;
            }
            if (strcmp(s, no[i]) == 0) {
                *ret = false;
                return 0;
            }
        }
    }
    if (s != NULL)
        return y_err(y, n, "expected true or false, got '%s'", s);
    return y_err(y, n, "expected true or false, got %s", node_kind(n));
}

/* YAML 1.1 integers as go-yaml v2 reads them: decimal, 0755 octal, 0o755, 0x1ed, 0b101,
 * with optional sign and '_' separators. */
static int
parse_yaml_int(const char *s, long long *ret)
{
    char buf[80];
    size_t j = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '_')
            continue;
        if (j + 1 >= sizeof(buf))
            return -1;
        buf[j++] = s[i];
    }
    buf[j] = '\0';
    const char *p = buf;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = 16, p += 2;
    else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
        base = 8, p += 2;
    else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
        base = 2, p += 2;
    else if (p[0] == '0' && p[1] != '\0')
        base = 8, p += 1;
    if (*p == '\0' || !isalnum((unsigned char)*p))
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(p, &end, base);
    if (errno != 0 || *end != '\0' || v > (unsigned long long)LLONG_MAX)
        return -1;
    *ret = neg ? -(long long)v : (long long)v;
    return 0;
}

int
y_ll(struct yctx *y, yaml_node_t *n, long long min, long long max, long long *ret)
{
    const char *s = y_scalar(n);
    if (s == NULL)
        return y_err(y, n, "expected an integer, got %s", node_kind(n));
    long long v = 0;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || parse_yaml_int(s, &v) < 0)
        return y_err(y, n, "expected an integer, got '%s'", s);
    if (v < min || v > max)
        return y_err(y, n, "%lld is out of range [%lld, %lld]", v, min, max);
    *ret = v;
    return 0;
}

int
y_seq_len(struct yctx *y, yaml_node_t *n, size_t *ret)
{
    if (y_is_null(n)) {
        *ret = 0;
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return y_err(y, n, "expected a sequence, got %s", node_kind(n));
    *ret = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    return 0;
}

yaml_node_t *
y_seq_item(struct yctx *y, yaml_node_t *seq, size_t i, size_t *saved)
{
    *saved = y_push_index(y, i);
    yaml_node_t *it = y_node(y, seq->data.sequence.items.start[i]);
    if (it == NULL)
        y_pop(y, *saved);
    return it;
}

int
y_strv(struct yctx *y, yaml_node_t *n, char ***ret)
{
    size_t len = 0;
    if (y_seq_len(y, n, &len) < 0)
        return -1;
    if (len == 0) {
        *ret = NULL;
        return 0;
    }
    char **v = arena_array(y->a, len + 1, sizeof(char *));
    for (size_t i = 0; i < len; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        if (it == NULL || y_str(y, it, &v[i]) < 0)
            return -1;
        y_pop(y, saved);
    }
    *ret = v;
    return 0;
}

int
y_expect_map(struct yctx *y, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return y_err(y, n, "expected a mapping, got %s", node_kind(n));
    return 0;
}

int
y_kv(struct yctx *y, yaml_node_t *n, struct kpod_kvlist *ret)
{
    if (y_is_null(n)) {
        *ret = (struct kpod_kvlist){0};
        return 0;
    }
    if (y_expect_map(y, n) < 0)
        return -1;
    size_t len = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    struct kpod_kvlist l = {arena_array(y->a, len ? len : 1, sizeof(struct kpod_kv)), 0};
    for (size_t i = 0; i < len; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = y_node(y, p->key), *v = y_node(y, p->value);
        if (k == NULL || v == NULL)
            return -1;
        char *key = NULL;
        if (y_str(y, k, &key) < 0)
            return -1;
        for (size_t j = 0; j < l.n; j++)
            if (strcmp(l.items[j].key, key) == 0)
                return y_err_key(y, k, key, "duplicate key");
        size_t saved = y_push_key(y, key);
        char *val = NULL;
        if (!y_is_null(v) && y_str(y, v, &val) < 0)
            return -1;
        y_pop(y, saved);
        l.items[l.n++] =
            (struct kpod_kv){key, val ? val : arena_strdup(y->a, ""), val ? strlen(val) : 0};
    }
    *ret = l;
    return 0;
}

yaml_node_t *
y_map_get(struct yctx *y, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = y_scalar(yaml_document_get_node(y->doc, p->key));
        if (k != NULL && strcmp(k, key) == 0)
            return y_node(y, p->value);
    }
    return NULL;
}

static int
store_field(struct yctx *y, const struct field *f, yaml_node_t *v, void *obj)
{
    char *base = obj;
    long long ll = 0;
    bool b = false;
    if (f->type == F_FN)
        return f->fn(y, v, obj);
    if (y_is_null(v))
        return 0;
    switch (f->type) {
    case F_STR:
        return y_str(y, v, (char **)(base + f->off));
    case F_BOOL:
        return y_bool(y, v, (bool *)(base + f->off));
    case F_TRI:
        if (y_bool(y, v, &b) < 0)
            return -1;
        *(kpod_tristate *)(base + f->off) = b;
        return 0;
    case F_INT:
        if (y_ll(y, v, 0, INT_MAX, &ll) < 0)
            return -1;
        *(int *)(base + f->off) = (int)ll;
        return 0;
    case F_LL:
        if (y_ll(y, v, 0, LLONG_MAX, &ll) < 0)
            return -1;
        *(long long *)(base + f->off) = ll;
        return 0;
    case F_STRV:
        return y_strv(y, v, (char ***)(base + f->off));
    case F_KV:
        return y_kv(y, v, (struct kpod_kvlist *)(base + f->off));
    default:
        return 0;
    }
}

static const struct field *
find_field(const struct field *fields, const char *key)
{
    for (const struct field *f = fields; f->key != NULL; f++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

static const char *
closest_field(const struct field *fields, const char *key)
{
    const char *best = NULL;
    if (strlen(key) > 64) /* no field name is that long: spare the distance computation */
        return NULL;
    size_t best_d = 3;
    for (const struct field *f = fields; f->key != NULL; f++) {
        size_t d = kpod_str_distance(f->key, key);
        if (d < best_d || (d == best_d && best == NULL && strcasecmp(f->key, key) == 0))
            best = f->key, best_d = d;
    }
    return best;
}

static int
walk_pair(struct yctx *y, const struct field *fields, yaml_node_t *k, yaml_node_t *v, void *obj)
{
    const char *key = y_scalar(k);
    const struct field *f = find_field(fields, key);
    if (f == NULL) {
        const char *hint = closest_field(fields, key);
        if (hint != NULL)
            y_warn_key(y, k, key, "unknown field, ignored (did you mean '%s'?)", hint);
        else
            y_warn_key(y, k, key, "unknown field, ignored");
        return 0;
    }
    if (f->type == F_IGNORE)
        return 0;
    if (f->type == F_UNSUPPORTED) {
        if (!y_is_null(v))
            y_warn_key(y, k, key, "not supported by kpod, ignored");
        return 0;
    }
    size_t saved = y_push_key(y, key);
    int r = store_field(y, f, v, obj);
    y_pop(y, saved);
    return r;
}

/* Is key set explicitly in map (merge keys do not override explicit keys)? */
static bool
has_explicit_key(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = y_scalar(yaml_document_get_node(doc, p->key));
        if (k != NULL && strcmp(k, key) == 0)
            return true;
    }
    return false;
}

static int walk_map_depth(struct yctx *y, yaml_node_t *n, const struct field *fields, void *obj,
                          yaml_node_t *outer);

static int
walk_merge(struct yctx *y, yaml_node_t *src, const struct field *fields, void *obj,
           yaml_node_t *outer)
{
    if (src->type == YAML_MAPPING_NODE)
        return walk_map_depth(y, src, fields, obj, outer);
    if (src->type != YAML_SEQUENCE_NODE)
        return y_err(y, src, "merge key '<<' needs a mapping or a sequence of mappings");
    for (yaml_node_item_t *it = src->data.sequence.items.start; it < src->data.sequence.items.top;
         it++) {
        yaml_node_t *m = y_node(y, *it);
        if (m == NULL)
            return -1;
        if (m->type != YAML_MAPPING_NODE)
            return y_err(y, m, "merge key '<<' needs a mapping or a sequence of mappings");
        if (walk_map_depth(y, m, fields, obj, outer) < 0)
            return -1;
    }
    return 0;
}

/* outer: the mapping whose explicit keys win over merged ones (NULL at the top). */
static int
walk_map_depth(struct yctx *y, yaml_node_t *n, const struct field *fields, void *obj,
               yaml_node_t *outer)
{
    if (y->depth >= KPOD_MANIFEST_MAX_DEPTH)
        return y_err(y, n, "nesting deeper than %d levels", KPOD_MANIFEST_MAX_DEPTH);
    y->depth++;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = y_node(y, p->key), *v = y_node(y, p->value);
        if (k == NULL || v == NULL)
            return -1;
        const char *key = y_scalar(k);
        if (key == NULL)
            return y_err(y, k, "mapping keys must be strings");
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
            const char *other = y_scalar(yaml_document_get_node(y->doc, q->key));
            if (other != NULL && strcmp(other, key) == 0)
                return y_err_key(y, k, key, "duplicate key");
        }
        if (strcmp(key, "<<") == 0 && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            if (walk_merge(y, v, fields, obj, outer ? outer : n) < 0)
                return -1;
            continue;
        }
        if (outer != NULL && has_explicit_key(y->doc, outer, key))
            continue;
        if (walk_pair(y, fields, k, v, obj) < 0)
            return -1;
    }
    y->depth--;
    return 0;
}

int
y_walk_map(struct yctx *y, yaml_node_t *n, const struct field *fields, void *obj)
{
    if (y_expect_map(y, n) < 0)
        return -1;
    return walk_map_depth(y, n, fields, obj, NULL);
}
