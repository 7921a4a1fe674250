/* JSON helpers over jansson: bounded loading with positions, atomic saving, typed getters. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/cleanup.h"
#include "util/err.h"

/* jansson's own json_decrefp releases a json_t at scope exit. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Parses text (at most max bytes); errors name what and line:column. */
json_t *kpod_json_loadb(const char *buf, size_t len, const char *what, struct kpod_err **err);
json_t *kpod_json_load_file(const char *path, size_t max, struct kpod_err **err);
/* Serialises (sorted keys, compact unless pretty) and writes atomically with mode. */
int kpod_json_save_file(const char *path, const json_t *j, bool pretty, mode_t mode,
                        struct kpod_err **err);
/* Returns a new string with the serialisation. */
char *kpod_json_dumps(const json_t *j, bool pretty);

/* Getters: NULL / fallback when the key is missing or of another type. */
const char *kpod_json_str(const json_t *obj, const char *key);
long long kpod_json_int(const json_t *obj, const char *key, long long fallback);
bool kpod_json_bool(const json_t *obj, const char *key, bool fallback);
/* Setters that take no reference from the caller and skip NULL strings. */
void kpod_json_set_str(json_t *obj, const char *key, const char *val);
void kpod_json_set_int(json_t *obj, const char *key, long long val);
/* A string vector as a JSON array (NULL: an empty array), and back: non-string items become
 * "" so positions keep their meaning; a missing or non-array value gives an empty vector. */
json_t *kpod_json_of_strv(char *const *v);
char **kpod_json_to_strv(const json_t *a);
