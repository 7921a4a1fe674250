/* lib/manifest internals: the arena that owns the model, the YAML walking context and the
 * field tables. Not for other modules. */
#pragma once

#include <yaml.h>

#include "manifest/manifest.h"

/* Arena: every string and array of a manifest lives here; one free releases them all. */
struct kpod_arena *arena_new(void);
void arena_free(struct kpod_arena *a);
void *arena_alloc(struct kpod_arena *a, size_t n);                  /* zeroed */
void *arena_array(struct kpod_arena *a, size_t nmemb, size_t size); /* zeroed, checked */
char *arena_strdup(struct kpod_arena *a, const char *s);
char *arena_strndup(struct kpod_arena *a, const char *s, size_t n);
char *arena_printf(struct kpod_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Walking one loaded YAML document. */
struct yctx {
    yaml_document_t *doc;
    const char *file; /* arena-owned */
    struct kpod_manifest *m;
    struct kpod_arena *a;
    char path[512]; /* "spec.containers[0].env[2]" */
    size_t plen;
    int depth;
    size_t visits;
    char ***warnings; /* strv of warnings, owned by the caller */
    struct kpod_err **err;
};

enum ftype {
    F_STR,         /* char * */
    F_BOOL,        /* bool */
    F_TRI,         /* kpod_tristate */
    F_INT,         /* int, >= 0 */
    F_LL,          /* long long, >= 0 */
    F_STRV,        /* char ** from a sequence of scalars */
    F_KV,          /* struct kpod_kvlist from a mapping of scalars */
    F_FN,          /* custom parser */
    F_UNSUPPORTED, /* known Kubernetes field kpod does not implement: warning */
    F_IGNORE,      /* known field without meaning here (status, uid, ...): silent */
};

struct yctx;
typedef int (*field_fn)(struct yctx *y, yaml_node_t *n, void *obj);

struct field {
    const char *key;
    enum ftype type;
    size_t off;
    field_fn fn;
};

/* Position and path helpers. */
struct kpod_pos y_pos(struct yctx *y, yaml_node_t *n);
int y_err(struct yctx *y, yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Error naming a child key of the current path (for "required"). */
int y_err_key(struct yctx *y, yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void y_warn(struct yctx *y, yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void y_warn_key(struct yctx *y, yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void warn_at(char ***warnings, const struct kpod_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int err_at(struct kpod_err **err, const struct kpod_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t y_push_key(struct yctx *y, const char *key);
size_t y_push_index(struct yctx *y, size_t i);
void y_pop(struct yctx *y, size_t saved);

/* Node access; every visit counts against the alias-expansion budget. */
yaml_node_t *y_node(struct yctx *y, int index);
bool y_is_null(yaml_node_t *n);
const char *y_scalar(yaml_node_t *n); /* NULL if not a scalar */
/* Typed scalars with errors at the node. */
int y_str(struct yctx *y, yaml_node_t *n, char **ret);
int y_bool(struct yctx *y, yaml_node_t *n, bool *ret);
int y_ll(struct yctx *y, yaml_node_t *n, long long min, long long max, long long *ret);
int y_strv(struct yctx *y, yaml_node_t *n, char ***ret);
int y_kv(struct yctx *y, yaml_node_t *n, struct kpod_kvlist *ret);
/* Length of a sequence (error if n is not one); 0 for null. */
int y_seq_len(struct yctx *y, yaml_node_t *n, size_t *ret);
/* A sequence item by position, with the path pushed; pop with y_pop. */
yaml_node_t *y_seq_item(struct yctx *y, yaml_node_t *seq, size_t i, size_t *saved);
/* Finds key in a mapping (no merge keys), NULL if absent. */
yaml_node_t *y_map_get(struct yctx *y, yaml_node_t *map, const char *key);
/* Walks a mapping with a field table: typed fields stored at offsets in obj, unknown keys
 * warned about, duplicate keys rejected, "<<" merge keys honoured. */
int y_walk_map(struct yctx *y, yaml_node_t *n, const struct field *fields, void *obj);
int y_expect_map(struct yctx *y, yaml_node_t *n);

/* Kinds. */
int parse_pod_spec(struct yctx *y, yaml_node_t *n, struct kpod_pod *pod);
int parse_object_meta(struct yctx *y, yaml_node_t *n, struct kpod_pod *pod);
int parse_seccomp(struct yctx *y, yaml_node_t *n, void *obj);
int parse_container(struct yctx *y, yaml_node_t *n, struct kpod_container *c);

/* Validation across documents after parsing. */
int manifest_validate(struct kpod_manifest *m, struct kpod_err **err);

/* Base64 (standard alphabet, padding optional, whitespace ignored). Returns 0 or -1. */
int manifest_base64_decode(struct kpod_arena *a, const char *in, char **ret, size_t *ret_len);

/* Emitting (emit_yaml.c, emit_pod.c, emit.c): libyaml events to a memory buffer. Every helper
 * is a no-op once the emitter failed; kpod_manifest_emit reports it at the end. */
struct ye_buf {
    char *p;
    size_t len, cap;
};

struct yemit {
    yaml_emitter_t e;
    struct ye_buf out;
    bool failed;
};

int ye_write_out(void *data, unsigned char *chunk, size_t size); /* yaml_write_handler_t */
void ye_emit(struct yemit *em, yaml_event_t *ev);
void ye_doc_begin(struct yemit *em);
void ye_doc_end(struct yemit *em);
/* A string: plain when unambiguous, a literal block when it has lines, else double-quoted. */
void ye_str(struct yemit *em, const char *s);
void ye_plain(struct yemit *em, const char *s); /* numbers and booleans */
void ye_map_begin(struct yemit *em);
void ye_map_end(struct yemit *em);
void ye_seq_begin(struct yemit *em);
void ye_seq_end(struct yemit *em);
void ye_key_map(struct yemit *em, const char *k);               /* "k:" then a mapping */
void ye_key_seq(struct yemit *em, const char *k);               /* "k:" then a sequence */
void ye_kv_str(struct yemit *em, const char *k, const char *v); /* nothing when v is NULL */
void ye_kv_ll(struct yemit *em, const char *k, long long v);
void ye_kv_bool(struct yemit *em, const char *k, bool v);
void ye_kv_tri(struct yemit *em, const char *k, kpod_tristate v);             /* when set */
void ye_kv_strv(struct yemit *em, const char *k, char *const *v);             /* when not NULL */
void ye_kv_map(struct yemit *em, const char *k, const struct kpod_kvlist *l); /* when not empty */
void ye_kv_cpu(struct yemit *em, const char *k, long long milli);             /* "2", "250m" */
void ye_kv_bytes(struct yemit *em, const char *k, long long v);               /* "64Mi", "1000" */
char *ye_base64(const char *in, size_t len);
bool ye_is_text(const char *s, size_t len); /* UTF-8 without NUL */
const char *ye_restart_policy_name(enum kpod_restart_policy rp);
/* The pod's spec mapping, with restart as its restartPolicy. */
void ye_emit_pod_spec(struct yemit *em, const struct kpod_pod *pod,
                      enum kpod_restart_policy restart);
/* "metadata:" with what is set of name, namespace (unless "default"), labels, annotations. */
void ye_emit_meta(struct yemit *em, const char *name, const char *ns,
                  const struct kpod_kvlist *labels, const struct kpod_kvlist *annotations);
