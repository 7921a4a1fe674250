/* registries.conf (containers-registries.conf(5), version 2), the subset kpod uses:
 * unqualified-search-registries, [[registry]] prefix/location/insecure/blocked and
 * [[registry.mirror]] location. A small line parser for that TOML subset; other keys are
 * noted at debug level. */
#include "image/image.h"

#include <ctype.h>
#include <dirent.h>
#include <string.h>

#include "image/internal.h"

#define CONF_MAX (1u << 20)

void
kpod_registry_conf_free(struct kpod_registry_conf *c)
{
    if (c == NULL)
        return;
    kpod_strv_free(c->search);
    for (size_t i = 0; i < c->n_entries; i++) {
        free(c->entries[i].prefix);
        free(c->entries[i].location);
        kpod_strv_free(c->entries[i].mirrors);
    }
    free(c->entries);
    kpod_strv_free(c->alias_names);
    kpod_strv_free(c->alias_values);
    free(c);
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A quoted string ("..." or '...'); returns a new string or NULL. */
static char *
parse_string(const char *v)
{
    char q = v[0];
    if (q != '"' && q != '\'')
        return NULL;
    const char *end = strchr(v + 1, q);
    if (end == NULL)
        return NULL;
    return xstrndup(v + 1, (size_t)(end - v - 1));
}

static int
parse_array(const char *v, char ***ret)
{
    if (*v != '[')
        return -1;
    _cleanup_strv_ char **out = xcalloc(1, sizeof(char *));
    const char *p = v + 1;
    for (;;) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (*p == ']')
            break;
        char *s = parse_string(p);
        if (s == NULL)
            return -1;
        kpod_strv_push_take(&out, s);
        p = strchr(p + 1, *p) + 1;
    }
    *ret = TAKE_PTR(out);
    return 0;
}

static int
parse_bool_value(const char *v, bool *ret)
{
    if (strcmp(v, "true") == 0)
        *ret = true;
    else if (strcmp(v, "false") == 0)
        *ret = false;
    else
        return -1;
    return 0;
}

static int
set_key(struct kpod_registry_conf *c, int section, const char *key, const char *val,
        struct kpod_err **err)
{
    struct kpod_registry_entry *e = c->n_entries ? &c->entries[c->n_entries - 1] : NULL;
    if (section == 0 && strcmp(key, "unqualified-search-registries") == 0) {
        kpod_strv_free(c->search);
        c->search = NULL;
        return parse_array(val, &c->search) < 0 ? kpod_err_input(err, "want an array of strings")
                                                : 0;
    }
    if (section == 1 && (strcmp(key, "prefix") == 0 || strcmp(key, "location") == 0)) {
        char *s = parse_string(val);
        if (s == NULL)
            return kpod_err_input(err, "'%s' wants a string", key);
        char **dst = key[0] == 'p' ? &e->prefix : &e->location;
        free(*dst);
        *dst = s;
        return 0;
    }
    if (section == 1 && (strcmp(key, "insecure") == 0 || strcmp(key, "blocked") == 0)) {
        if (parse_bool_value(val, key[0] == 'i' ? &e->insecure : &e->blocked) < 0)
            return kpod_err_input(err, "'%s' wants true or false", key);
        return 0;
    }
    if (section == 2 && strcmp(key, "location") == 0) {
        char *s = parse_string(val);
        if (s == NULL)
            return kpod_err_input(err, "'location' wants a string");
        kpod_strv_push_take(&e->mirrors, s);
        return 0;
    }
    if (section == 4) {
        _cleanup_free_ char *name = *key == '"' || *key == '\'' ? parse_string(key) : xstrdup(key);
        char *v = parse_string(val);
        if (name == NULL || v == NULL) {
            free(v);
            return kpod_err_input(err, "aliases want \"name\" = \"registry/repository\"");
        }
        for (size_t i = 0; c->alias_names && c->alias_names[i]; i++)
            if (strcmp(c->alias_names[i], name) == 0) {
                free(c->alias_values[i]);
                c->alias_values[i] = v;
                return 0;
            }
        kpod_strv_push(&c->alias_names, name);
        kpod_strv_push_take(&c->alias_values, v);
        return 0;
    }
    kpod_debug("registries.conf: ignoring '%s'", key);
    return 0;
}

/* Cuts a line at a '#' that is not inside a string. */
static void
strip_comment(char *l)
{
    char quote = 0;
    for (char *p = l; *p; p++) {
        if (quote != 0) {
            if (*p == '\\' && quote == '"' && p[1] != '\0')
                p++;
            else if (*p == quote)
                quote = 0;
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (*p == '#') {
            *p = '\0';
            return;
        }
    }
}

static int
parse_into(struct kpod_registry_conf *c, const char *text, const char *path, struct kpod_err **err)
{
    size_t first_entry = c->n_entries;
    _cleanup_strv_ char **lines = kpod_strv_split(text, "\n", false);
    int section = 0; /* 0 top, 1 [[registry]], 2 [[registry.mirror]], 3 other, 4 [aliases] */
    _cleanup_free_ char *pending = NULL;
    for (size_t i = 0; lines[i] != NULL; i++) {
        _cleanup_free_ char *joined_line = NULL;
        strip_comment(lines[i]);
        char *l = trim(lines[i]);
        if (pending != NULL) { /* a multi-line array */
            char *joined = xasprintf("%s %s", pending, l);
            free(pending);
            pending = joined;
            if (strchr(l, ']') == NULL)
                continue;
            joined_line = TAKE_PTR(pending);
            l = joined_line;
        }
        if (*l == '\0')
            continue;
        if (strcmp(l, "[[registry]]") == 0) {
            c->entries = xreallocarray(c->entries, c->n_entries + 1, sizeof(*c->entries));
            c->entries[c->n_entries++] = (struct kpod_registry_entry){0};
            section = 1;
            continue;
        }
        if (strcmp(l, "[[registry.mirror]]") == 0) {
            if (c->n_entries == 0)
                return kpod_err_input(err, "%s:%zu: [[registry.mirror]] outside [[registry]]", path,
                                      i + 1);
            section = 2;
            continue;
        }
        if (strcmp(l, "[aliases]") == 0) {
            section = 4;
            continue;
        }
        if (*l == '[') {
            section = 3;
            kpod_debug("registries.conf: ignoring table %s", l);
            continue;
        }
        char *eq = strchr(l, '=');
        if (eq == NULL)
            return kpod_err_input(err, "%s:%zu: expected 'key = value'", path, i + 1);
        *eq = '\0';
        char *val = trim(eq + 1);
        if (*val == '[' && strchr(val, ']') == NULL) {
            pending = xasprintf("%s=%s", l, val);
            continue;
        }
        if (section == 3)
            continue;
        if (set_key(c, section, trim(l), val, err) < 0)
            return kpod_err_prefix(err, "%s:%zu", path, i + 1);
    }
    for (size_t i = first_entry; i < c->n_entries; i++) {
        struct kpod_registry_entry *e = &c->entries[i];
        if (e->prefix == NULL && e->location == NULL)
            return kpod_err_input(err, "%s: [[registry]] without prefix or location", path);
        if (e->prefix == NULL)
            e->prefix = xstrdup(e->location);
        if (e->location == NULL)
            e->location = xstrdup(e->prefix);
    }
    return 0;
}

int
kpod_registry_conf_parse(const char *text, const char *path, struct kpod_registry_conf **ret,
                         struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_kpod_registry_conf_free) struct kpod_registry_conf *c =
        xzalloc(sizeof(*c));
    if (parse_into(c, text, path, err) < 0)
        return -1;
    *ret = TAKE_PTR(c);
    return 0;
}

static int
load_into(struct kpod_registry_conf *c, const char *path, struct kpod_err **err)
{
    _cleanup_free_ char *text = NULL;
    if (!kpod_fs_exists(path))
        return 0;
    if (kpod_fs_read_file(path, CONF_MAX, &text, NULL, err) < 0)
        return -1;
    return parse_into(c, text, path, err);
}

static int
conf_file(const struct dirent *d)
{
    return d->d_name[0] != '.' && kpod_str_has_suffix(d->d_name, ".conf");
}

int
kpod_registry_conf_load(struct kpod_registry_conf **ret, struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_kpod_registry_conf_free) struct kpod_registry_conf *c =
        xzalloc(sizeof(*c));
    const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
    if (env != NULL && *env != '\0') {
        if (load_into(c, env, err) < 0)
            return -1;
        *ret = TAKE_PTR(c);
        return 0;
    }
    if (load_into(c, "/etc/containers/registries.conf", err) < 0)
        return -1;
    const char *dropins = "/etc/containers/registries.conf.d";
    struct dirent **list = NULL;
    int n = scandir(dropins, &list, conf_file, alphasort);
    int r = 0;
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dropins, list[i]->d_name);
        if (r == 0)
            r = load_into(c, p, err);
        free(list[i]);
    }
    free(list);
    if (r < 0)
        return -1;
    *ret = TAKE_PTR(c);
    return 0;
}

const char *
kpod_registry_conf_alias(const struct kpod_registry_conf *c, const char *short_name)
{
    for (size_t i = 0; c != NULL && c->alias_names && c->alias_names[i]; i++)
        if (strcmp(c->alias_names[i], short_name) == 0)
            return c->alias_values[i];
    return NULL;
}

const struct kpod_registry_entry *
kpod_registry_conf_find(const struct kpod_registry_conf *c, const char *name)
{
    const struct kpod_registry_entry *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; c != NULL && i < c->n_entries; i++) {
        const char *p = c->entries[i].prefix;
        size_t n = strlen(p);
        if (strncmp(name, p, n) != 0 || (name[n] != '\0' && name[n] != '/' && name[n] != ':'))
            continue;
        if (n > best_len) {
            best = &c->entries[i];
            best_len = n;
        }
    }
    return best;
}
