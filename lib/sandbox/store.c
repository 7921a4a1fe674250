/* The pod store under --runroot: one directory per pod with pod.json and its lock, a name
 * index, and a global lock that only name allocation takes. */
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POD_STATE_MAX (16u << 20)

int
kpod_store_init(struct kpod_store *s, const struct kpod_ctx *ctx, struct kpod_err **err)
{
    s->runroot = xstrdup(ctx->runroot);
    s->root = xstrdup(ctx->root);
    _cleanup_free_ char *pods = xasprintf("%s/pods", s->runroot);
    _cleanup_free_ char *names = xasprintf("%s/names", s->runroot);
    if (kpod_fs_mkdir_p(pods, 0700, err) < 0 || kpod_fs_mkdir_p(names, 0700, err) < 0)
        return -1;
    return 0;
}

void
kpod_store_fini(struct kpod_store *s)
{
    free(s->runroot);
    free(s->root);
    s->runroot = s->root = NULL;
}

char *
kpod_store_pod_dir(const struct kpod_store *s, const char *id)
{
    return xasprintf("%s/pods/%s", s->runroot, id);
}

static char *
name_path(const struct kpod_store *s, const char *name)
{
    return xasprintf("%s/names/%s", s->runroot, name);
}

static int
global_lock(struct kpod_store *s, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/kpod.lock", s->runroot);
    return kpod_lock_acquire(path, KPOD_LOCK_EXCLUSIVE, false, err);
}

int
kpod_store_lock_pod(struct kpod_store *s, const char *id, enum kpod_lock_mode mode,
                    struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/pods/%s/lock", s->runroot, id);
    if (access(path, F_OK) < 0)
        return kpod_err_notfound(err, "no such pod '%s'", id);
    return kpod_lock_acquire(path, mode, false, err);
}

int
kpod_store_create_pod(struct kpod_store *s, const char *name, char **ret_id, int *ret_lock,
                      struct kpod_err **err)
{
    _cleanup_lock_ int glock = global_lock(s, err);
    if (glock < 0)
        return -1;
    _cleanup_free_ char *npath = name_path(s, name);
    if (access(npath, F_OK) == 0)
        return kpod_err_msg(err, "pod '%s' already exists", name);
    char id[65];
    kpod_random_hex(id, 32);
    _cleanup_free_ char *dir = kpod_store_pod_dir(s, id);
    if (mkdir(dir, 0700) < 0)
        return kpod_err_sys(err, "create pod directory '%s'", dir);
    _cleanup_free_ char *lockpath = xasprintf("%s/lock", dir);
    int lock = kpod_lock_acquire(lockpath, KPOD_LOCK_EXCLUSIVE, false, err);
    if (lock < 0 || kpod_fs_write_atomic(npath, id, strlen(id), 0600, err) < 0) {
        kpod_lock_release(lock);
        struct kpod_err *ignored = NULL;
        kpod_fs_rm_rf(dir, &ignored);
        kpod_err_free(&ignored);
        return -1;
    }
    *ret_id = xstrdup(id);
    *ret_lock = lock;
    return 0;
}

int
kpod_store_adopt_pod(struct kpod_store *s, const char *src_dir, const struct kpod_pod_state *p,
                     struct kpod_err **err)
{
    _cleanup_lock_ int glock = global_lock(s, err);
    if (glock < 0)
        return -1;
    _cleanup_free_ char *npath = name_path(s, p->name);
    if (access(npath, F_OK) == 0)
        return kpod_err_msg(err, "pod '%s' already exists", p->name);
    /* the state first: whatever survives a crash describes itself */
    _cleanup_free_ char *state = xasprintf("%s/pod.json", src_dir);
    _cleanup_json_ json_t *j = kpod_pod_state_to_json(p);
    if (kpod_json_save_file(state, j, false, 0600, err) < 0)
        return -1;
    _cleanup_free_ char *dir = kpod_store_pod_dir(s, p->id);
    if (rename(src_dir, dir) < 0)
        return kpod_err_sys(err, "move '%s' to '%s'", src_dir, dir);
    if (kpod_fs_write_atomic(npath, p->id, strlen(p->id), 0600, err) < 0) {
        if (rename(dir, src_dir) < 0) /* a pod without its name: `pod rm` by id finds it */
            kpod_log(KPOD_LOG_ERROR, "move '%s' back: %m", dir);
        return -1;
    }
    return 0;
}

static bool
is_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

int
kpod_store_lookup(struct kpod_store *s, const char *name_or_id, char **ret_id,
                  struct kpod_err **err)
{
    if (*name_or_id == '\0' || strchr(name_or_id, '/') != NULL || name_or_id[0] == '.')
        return kpod_err_notfound(err, "no such pod '%s'", name_or_id);
    _cleanup_free_ char *npath = name_path(s, name_or_id);
    _cleanup_free_ char *id = NULL;
    struct kpod_err *ignored = NULL;
    if (kpod_fs_read_file(npath, 128, &id, NULL, &ignored) == 0) {
        *ret_id = TAKE_PTR(id);
        return 0;
    }
    kpod_err_free(&ignored);
    size_t len = strlen(name_or_id);
    if (len < 3 || len > 64 || !is_hex(name_or_id))
        return kpod_err_notfound(err, "no such pod '%s'", name_or_id);
    _cleanup_strv_ char **ids = NULL;
    if (kpod_store_list(s, &ids, err) < 0)
        return -1;
    const char *found = NULL;
    for (size_t i = 0; ids[i] != NULL; i++) {
        if (strncmp(ids[i], name_or_id, len) != 0)
            continue;
        if (found != NULL)
            return kpod_err_usage(err, "pod id prefix '%s' is ambiguous", name_or_id);
        found = ids[i];
    }
    if (found == NULL)
        return kpod_err_notfound(err, "no such pod '%s'", name_or_id);
    *ret_id = xstrdup(found);
    return 0;
}

struct kpod_pod_state *
kpod_store_load(struct kpod_store *s, const char *id, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/pods/%s/pod.json", s->runroot, id);
    _cleanup_json_ json_t *j = kpod_json_load_file(path, POD_STATE_MAX, err);
    if (j == NULL)
        return NULL;
    return kpod_pod_state_from_json(j, err);
}

int
kpod_store_save(struct kpod_store *s, const struct kpod_pod_state *p, struct kpod_err **err)
{
    _cleanup_free_ char *path = xasprintf("%s/pods/%s/pod.json", s->runroot, p->id);
    _cleanup_json_ json_t *j = kpod_pod_state_to_json(p);
    return kpod_json_save_file(path, j, false, 0600, err);
}

/* Without the pod's state its name is unknown: drop every name that points to id. */
static void
drop_names_of(struct kpod_store *s, const char *id)
{
    _cleanup_free_ char *dir = xasprintf("%s/names", s->runroot);
    _cleanup_closedir_ DIR *d = opendir(dir);
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
        _cleanup_free_ char *owner = NULL;
        struct kpod_err *e = NULL;
        if (kpod_fs_read_file(path, 128, &owner, NULL, &e) == 0 && strcmp(owner, id) == 0)
            unlink(path);
        kpod_err_free(&e);
    }
}

int
kpod_store_remove(struct kpod_store *s, const char *id, const char *name, struct kpod_err **err)
{
    _cleanup_lock_ int glock = global_lock(s, err);
    if (glock < 0)
        return -1;
    if (name == NULL)
        drop_names_of(s, id);
    if (name != NULL) {
        _cleanup_free_ char *npath = name_path(s, name);
        _cleanup_free_ char *owner = NULL;
        struct kpod_err *ignored = NULL;
        /* Only drop the name if it still names this pod. */
        if (kpod_fs_read_file(npath, 128, &owner, NULL, &ignored) == 0 && strcmp(owner, id) == 0 &&
            unlink(npath) < 0 && errno != ENOENT)
            return kpod_err_sys(err, "remove name '%s'", name);
        kpod_err_free(&ignored);
    }
    _cleanup_free_ char *dir = kpod_store_pod_dir(s, id);
    return kpod_fs_rm_rf(dir, err);
}

int
kpod_store_list(struct kpod_store *s, char ***ret_ids, struct kpod_err **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/pods", s->runroot);
    _cleanup_strv_ char **ids = xcalloc(1, sizeof(char *));
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno != ENOENT)
            return kpod_err_sys(err, "list pods in '%s'", dir);
        *ret_ids = TAKE_PTR(ids);
        return 0;
    }
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (strlen(de->d_name) == 64 && is_hex(de->d_name))
            kpod_strv_push(&ids, de->d_name);
    }
    size_t n = kpod_strv_len(ids);
    *ret_ids = TAKE_PTR(ids);
    return (int)n;
}
