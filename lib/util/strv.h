/* NULL-terminated string vectors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

size_t kpod_strv_len(char *const *v);
/* Appends a copy of s; *v may be NULL. */
void kpod_strv_push(char ***v, const char *s);
/* Appends s, taking ownership. */
void kpod_strv_push_take(char ***v, char *s);
char **kpod_strv_dup(char *const *v);
bool kpod_strv_contains(char *const *v, const char *s);
/* Joins with sep; returns a new string ("" for an empty or NULL vector). */
char *kpod_strv_join(char *const *v, const char *sep);
/* Splits s at every sep character; empty fields kept unless skip_empty. */
char **kpod_strv_split(const char *s, const char *sep, bool skip_empty);
void kpod_strv_free(char **v);

/* String helpers. */
bool kpod_str_has_prefix(const char *s, const char *prefix);
bool kpod_str_has_suffix(const char *s, const char *suffix);
/* Levenshtein distance, for "did you mean". */
size_t kpod_str_distance(const char *a, const char *b);
/* Parses a whole decimal integer in [min, max]; returns 0 or -1 (errno EINVAL/ERANGE). */
int kpod_str_to_ll(const char *s, long long min, long long max, long long *ret);
/* Parses a human size: 512, 10k, 10KiB, 64m, 1g (binary units); returns 0 or -1. */
int kpod_str_to_size(const char *s, unsigned long long *ret);
