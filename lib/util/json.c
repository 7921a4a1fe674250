#include "util/json.h"

#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

json_t *
kpod_json_loadb(const char *buf, size_t len, const char *what, struct kpod_err **err)
{
    json_error_t jerr;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        kpod_err_input(err, "%s:%d:%d: %s", what, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    return j;
}

json_t *
kpod_json_load_file(const char *path, size_t max, struct kpod_err **err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (kpod_fs_read_file(path, max, &buf, &len, err) < 0)
        return NULL;
    return kpod_json_loadb(buf, len, path, err);
}

char *
kpod_json_dumps(const json_t *j, bool pretty)
{
    size_t flags = JSON_SORT_KEYS | (pretty ? JSON_INDENT(4) : JSON_COMPACT);
    char *s = json_dumps(j, flags | JSON_ENCODE_ANY);
    if (s == NULL)
        s = xstrdup("null");
    return s;
}

int
kpod_json_save_file(const char *path, const json_t *j, bool pretty, mode_t mode,
                    struct kpod_err **err)
{
    _cleanup_free_ char *s = kpod_json_dumps(j, pretty);
    size_t len = strlen(s);
    s = xrealloc(s, len + 2);
    s[len] = '\n';
    s[len + 1] = '\0';
    return kpod_fs_write_atomic(path, s, len + 1, mode, err);
}

const char *
kpod_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

long long
kpod_json_int(const json_t *obj, const char *key, long long fallback)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : fallback;
}

bool
kpod_json_bool(const json_t *obj, const char *key, bool fallback)
{
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

void
kpod_json_set_str(json_t *obj, const char *key, const char *val)
{
    if (val != NULL)
        json_object_set_new(obj, key, json_string(val));
}

void
kpod_json_set_int(json_t *obj, const char *key, long long val)
{
    json_object_set_new(obj, key, json_integer(val));
}

json_t *
kpod_json_of_strv(char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

char **
kpod_json_to_strv(const json_t *a)
{
    char **v = xcalloc(1, sizeof(char *));
    size_t i;
    const json_t *s;
    json_array_foreach(a, i, s)
        kpod_strv_push(&v, json_string_value(s) ? json_string_value(s) : "");
    return v;
}
