#include "spec/oci_field.h"

#include "spec/oci.h"

#include <string.h>

char *
oci_path(const char *parent, const char *key)
{
    if (parent == NULL || *parent == '\0')
        return xstrdup(key);
    return xasprintf("%s.%s", parent, key);
}

char *
oci_path_index(const char *parent, const char *key, size_t i)
{
    if (parent == NULL || *parent == '\0')
        return xasprintf("%s[%zu]", key, i);
    return xasprintf("%s.%s[%zu]", parent, key, i);
}

static int
type_error(const char *path, const char *key, const char *want, struct kpod_err **err)
{
    _cleanup_free_ char *p = oci_path(path, key);
    return kpod_err_input(err, "'%s': expected %s", p, want);
}

static json_t *
lookup(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_null(v) ? NULL : v;
}

int
oci_get_str(const json_t *o, const char *path, const char *key, char **ret, struct kpod_err **err)
{
    json_t *v = lookup(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return type_error(path, key, "a string", err);
    free(*ret);
    *ret = xstrdup(json_string_value(v));
    return 1;
}

int
oci_get_bool(const json_t *o, const char *path, const char *key, bool *ret, struct kpod_err **err)
{
    json_t *v = lookup(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v))
        return type_error(path, key, "a boolean", err);
    *ret = json_is_true(v);
    return 1;
}

int
oci_get_int(const json_t *o, const char *path, const char *key, struct oci_range range,
            int64_t *ret, struct kpod_err **err)
{
    int64_t min = range.min, max = range.max;
    json_t *v = lookup(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v))
        return type_error(path, key, "an integer", err);
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        _cleanup_free_ char *p = oci_path(path, key);
        return kpod_err_input(err, "'%s': %lld out of range [%lld, %lld]", p, (long long)n,
                              (long long)min, (long long)max);
    }
    *ret = n;
    return 1;
}

int
oci_get_u32(const json_t *o, const char *path, const char *key, uint32_t *ret, bool *ret_has,
            struct kpod_err **err)
{
    int64_t n = 0;
    int r = oci_get_int(o, path, key, (struct oci_range){0, UINT32_MAX}, &n, err);
    if (r > 0) {
        *ret = (uint32_t)n;
        if (ret_has != NULL)
            *ret_has = true;
    }
    return r;
}

int
oci_get_u64(const json_t *o, const char *path, const char *key, uint64_t *ret,
            struct kpod_err **err)
{
    int64_t n = 0;
    int r = oci_get_int(o, path, key, (struct oci_range){0, INT64_MAX}, &n, err);
    if (r > 0)
        *ret = (uint64_t)n;
    return r;
}

int
oci_get_strv(const json_t *o, const char *path, const char *key, char ***ret, struct kpod_err **err)
{
    json_t *v = lookup(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return type_error(path, key, "an array of strings", err);
    size_t n = json_array_size(v);
    char **out = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s)) {
            kpod_strv_free(out);
            _cleanup_free_ char *k = xasprintf("%s[%zu]", key, i);
            return type_error(path, k, "a string", err);
        }
        out[i] = xstrdup(json_string_value(s));
    }
    kpod_strv_free(*ret);
    *ret = out;
    return 1;
}

int
oci_get_obj(const json_t *o, const char *path, const char *key, json_t **ret, struct kpod_err **err)
{
    json_t *v = lookup(o, key);
    *ret = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_object(v))
        return type_error(path, key, "an object", err);
    *ret = v;
    return 1;
}

int
oci_get_arr(const json_t *o, const char *path, const char *key, json_t **ret, struct kpod_err **err)
{
    json_t *v = lookup(o, key);
    *ret = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return type_error(path, key, "an array", err);
    *ret = v;
    return 1;
}

static bool
is_known(const char *key, const char *const *known)
{
    for (size_t i = 0; known != NULL && known[i] != NULL; i++)
        if (strcmp(known[i], key) == 0)
            return true;
    return false;
}

json_t *
oci_take_extra(const json_t *o, const char *path, const char *const *known, char ***unknown)
{
    json_t *extra = NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        if (is_known(key, known))
            continue;
        if (extra == NULL)
            extra = json_object();
        json_object_set_new(extra, key, json_deep_copy(v));
        if (unknown != NULL)
            kpod_strv_push_take(unknown, oci_path(path, key));
    }
    return extra;
}

json_t *
oci_obj_from_extra(const json_t *extra)
{
    return extra != NULL ? json_deep_copy(extra) : json_object();
}

void
oci_set_strv(json_t *o, const char *key, char *const *v)
{
    if (v == NULL)
        return;
    json_object_set_new(o, key, kpod_json_of_strv(v));
}

void
oci_set_u64(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
}

/* Calls fn for every element of the array at key (each must be an object); allocates
 * *ret_items of n elements of size elem. */

int
oci_parse_array(const json_t *parent, const char *path, const char *key,
                const struct oci_array *arr, struct oci_parser *p)
{
    json_t *a = NULL;
    if (oci_get_arr(parent, path, key, &a, p->err) <= 0)
        return a == NULL && *p->err == NULL ? 0 : -1;
    size_t n = json_array_size(a);
    char *items = xcalloc(n ? n : 1, arr->elem);
    *arr->ret_items = items;
    *arr->ret_n = 0;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *ip = oci_path_index(path, key, i);
        json_t *o = json_array_get(a, i);
        if (!json_is_object(o))
            return kpod_err_input(p->err, "'%s': expected an object", ip);
        *arr->ret_n = i + 1;
        if (arr->fn(o, ip, items + i * arr->elem, p) < 0)
            return -1;
    }
    return 0;
}

/* A JSON object of string values → kv list (sorted by key, as jansson iterates in insertion
 * order and a stable order makes specs diffable). */
int
oci_parse_kv(const json_t *parent, const char *path, const char *key, struct kpod_oci_kv **ret,
             size_t *ret_n, struct oci_parser *p)
{
    json_t *o = NULL;
    if (oci_get_obj(parent, path, key, &o, p->err) <= 0)
        return o == NULL && *p->err == NULL ? 0 : -1;
    size_t n = json_object_size(o), i = 0;
    struct kpod_oci_kv *kv = xcalloc(n ? n : 1, sizeof(*kv));
    *ret = kv;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (!json_is_string(v)) {
            _cleanup_free_ char *kp = oci_path(path, key);
            return kpod_err_input(p->err, "'%s.%s': expected a string", kp, k);
        }
        kv[i].key = xstrdup(k);
        kv[i].value = xstrdup(json_string_value(v));
        *ret_n = ++i;
    }
    return 0;
}

void
oci_kv_free(struct kpod_oci_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

json_t *
oci_kv_to_json(const struct kpod_oci_kv *kv, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, kv[i].key, json_string(kv[i].value));
    return o;
}
