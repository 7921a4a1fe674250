/* Typed field readers and writers shared by the OCI spec parser and serialiser (private to
 * lib/spec). Every reader treats a missing key or JSON null as absent, fails with the JSON path
 * on a wrong type, and leaves *ret untouched when absent. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

/* "parent.key" (or "key" at the top); a new string. */
char *oci_path(const char *parent, const char *key);
char *oci_path_index(const char *parent, const char *key, size_t i);

int oci_get_str(const json_t *o, const char *path, const char *key, char **ret,
                struct kpod_err **err);
int oci_get_bool(const json_t *o, const char *path, const char *key, bool *ret,
                 struct kpod_err **err);
/* Returns 1 when present, 0 when absent. */
struct oci_range {
    int64_t min, max;
};
int oci_get_int(const json_t *o, const char *path, const char *key, struct oci_range range,
                int64_t *ret, struct kpod_err **err);
int oci_get_u32(const json_t *o, const char *path, const char *key, uint32_t *ret, bool *ret_has,
                struct kpod_err **err);
int oci_get_u64(const json_t *o, const char *path, const char *key, uint64_t *ret,
                struct kpod_err **err);
/* An array of strings; an empty array gives an empty (non-NULL) vector. */
int oci_get_strv(const json_t *o, const char *path, const char *key, char ***ret,
                 struct kpod_err **err);
/* The object / array at key, or NULL when absent (returns 0) or of another type (-1). */
int oci_get_obj(const json_t *o, const char *path, const char *key, json_t **ret,
                struct kpod_err **err);
int oci_get_arr(const json_t *o, const char *path, const char *key, json_t **ret,
                struct kpod_err **err);
/* A copy of o without the known keys (NULL when nothing is left); each unknown key's path is
 * pushed to *unknown. known is NULL-terminated. */
json_t *oci_take_extra(const json_t *o, const char *path, const char *const *known,
                       char ***unknown);

/* Parser state: where unknown fields are listed, where errors go. */
struct oci_parser {
    char ***unknown;
    struct kpod_err **err;
};

/* Parses every element (each must be an object) of the array at key with fn into a new array
 * *ret_items of elements of size elem; *ret_n counts the elements touched (so a free after a
 * failure releases them). Absent: *ret_items stays NULL. */
typedef int (*oci_elem_fn)(const json_t *o, const char *path, void *item, struct oci_parser *p);
struct oci_array {
    size_t elem;
    oci_elem_fn fn;
    void **ret_items;
    size_t *ret_n;
};
int oci_parse_array(const json_t *parent, const char *path, const char *key,
                    const struct oci_array *a, struct oci_parser *p);
/* A JSON object of string values → key/value list. */
struct kpod_oci_kv;
int oci_parse_kv(const json_t *parent, const char *path, const char *key, struct kpod_oci_kv **ret,
                 size_t *ret_n, struct oci_parser *p);
void oci_kv_free(struct kpod_oci_kv *kv, size_t n);
json_t *oci_kv_to_json(const struct kpod_oci_kv *kv, size_t n);

/* The linux section (oci_linux.c). */
struct kpod_oci_linux;
int oci_parse_linux(const json_t *o, const char *path, struct kpod_oci_linux *l,
                    struct oci_parser *p);
json_t *oci_linux_to_json(const struct kpod_oci_linux *l);
void oci_linux_free(struct kpod_oci_linux *l);

/* Writers: start from a copy of extra (or an empty object). */
json_t *oci_obj_from_extra(const json_t *extra);
void oci_set_strv(json_t *o, const char *key, char *const *v);
void oci_set_u64(json_t *o, const char *key, uint64_t v);
