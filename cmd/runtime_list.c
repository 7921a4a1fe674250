/* `kpod runtime list`: the containers of `kpod runtime`, as a table or JSON. */
#include "runtime.h"

#include <dirent.h>

struct list_opts {
    char *format;
    bool quiet;
};

static const struct kpod_opt list_opts[] = {
    {"format", 'f', KPOD_OPT_STRING, offsetof(struct list_opts, format), "FORMAT",
     "output format: table or json", "=table json", "table", false},
    {"quiet", 'q', KPOD_OPT_BOOL, offsetof(struct list_opts, quiet), NULL, "print the ids only",
     NULL, NULL, false},
    KPOD_OPTS_END,
};

/* Reads one container's state under a shared lock; NULL when it vanished meanwhile. */
static json_t *
entry(const char *dir)
{
    _cleanup_free_ char *lock = xasprintf("%s/lock", dir);
    _cleanup_err_ struct kpod_err *e = NULL;
    _cleanup_lock_ int fd = kpod_lock_acquire(lock, KPOD_LOCK_SHARED, false, &e);
    if (fd < 0)
        return NULL;
    _cleanup_container_state_ struct kpod_container_state *st = kpod_container_state_load(dir, &e);
    if (st == NULL)
        return NULL;
    const char *status = kpod_container_state_status(dir, st);
    json_t *j = json_object();
    kpod_json_set_str(j, "id", st->id);
    kpod_json_set_int(j, "pid", strcmp(status, "stopped") == 0 ? 0 : st->pid);
    kpod_json_set_str(j, "status", status);
    kpod_json_set_str(j, "bundle", st->bundle);
    kpod_json_set_str(j, "created", st->created);
    return j;
}

static int
collect(const struct kpod_ctx *ctx, json_t *out, struct kpod_err **err)
{
    _cleanup_free_ char *base = xasprintf("%s/runtime", ctx->runroot);
    _cleanup_closedir_ DIR *d = opendir(base);
    if (d == NULL)
        return errno == ENOENT ? 0 : kpod_err_sys(err, "open '%s'", base);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *dir = xasprintf("%s/%s", base, de->d_name);
        json_t *j = entry(dir);
        if (j != NULL)
            json_array_append_new(out, j);
    }
    return 0;
}

static int
by_id(const void *a, const void *b)
{
    return strcmp(kpod_json_str(*(json_t *const *)a, "id"),
                  kpod_json_str(*(json_t *const *)b, "id"));
}

static int
run_list(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct list_opts *o = data;
    bool json = o->format != NULL && strcmp(o->format, "json") == 0;
    if (!json && o->format != NULL && strcmp(o->format, "table") != 0)
        return kpod_err_usage(err, "unknown format '%s': want table or json", o->format);
    _cleanup_json_ json_t *all = json_array();
    if (collect(ctx, all, err) < 0)
        return -1;
    size_t n = json_array_size(all);
    json_t **v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(all, i);
    qsort(v, n, sizeof(*v), by_id);
    _cleanup_json_ json_t *sorted = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(sorted, v[i]);
    free(v);
    if (json) {
        _cleanup_free_ char *s = kpod_json_dumps(sorted, true);
        printf("%s\n", s);
        return 0;
    }
    if (!o->quiet)
        printf("%-20s %-8s %-8s %-31s %s\n", "ID", "PID", "STATUS", "CREATED", "BUNDLE");
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_array_get(sorted, i);
        if (o->quiet) {
            printf("%s\n", kpod_json_str(j, "id"));
            continue;
        }
        printf("%-20s %-8lld %-8s %-31s %s\n", kpod_json_str(j, "id"), kpod_json_int(j, "pid", 0),
               kpod_json_str(j, "status"), kpod_json_str(j, "created"), kpod_json_str(j, "bundle"));
    }
    return 0;
}

const struct kpod_cmd kpod_cmd_runtime_list = {
    .name = "list",
    .parent = "runtime",
    .aliases = "ls",
    .summary = "list the containers of kpod runtime",
    .usage = "[options]",
    .opts = list_opts,
    .opts_size = sizeof(struct list_opts),
    .run = run_list,
    .max_args = 0,
};
