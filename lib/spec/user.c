/* The container user: runAsUser/runAsGroup over the image's USER, names resolved from the
 * image's /etc/passwd and /etc/group, supplementary groups. */
#include "spec/internal.h"

#include <string.h>

#define PASSWD_MAX (4u << 20)

static char *
read_image_file(const char *rootfs, const char *rel)
{
    if (rootfs == NULL)
        return NULL;
    _cleanup_free_ char *path = kpod_fs_join_in_root(rootfs, rel);
    char *buf = NULL;
    size_t len = 0;
    struct kpod_err *err = NULL;
    if (kpod_fs_read_file(path, PASSWD_MAX, &buf, &len, &err) < 0) {
        kpod_err_free(&err);
        return NULL;
    }
    return buf;
}

static bool
parse_id(const char *s, uint32_t *ret)
{
    long long v = 0;
    if (kpod_str_to_ll(s, 0, UINT32_MAX - 1, &v) < 0)
        return false;
    *ret = (uint32_t)v;
    return true;
}

/* Finds a line of passwd/group text whose field 0 (by name) or field 2 (by id) matches. */
static char **
find_entry(const char *text, const char *name, long long id, size_t min_fields)
{
    _cleanup_strv_ char **lines = kpod_strv_split(text ? text : "", "\n", true);
    for (char **l = lines; l && *l; l++) {
        if (**l == '#')
            continue;
        char **f = kpod_strv_split(*l, ":", false);
        uint32_t fid = 0;
        if (kpod_strv_len(f) >= min_fields &&
            ((name && strcmp(f[0], name) == 0) ||
             (!name && parse_id(f[2], &fid) && fid == (uint32_t)id)))
            return f;
        kpod_strv_free(f);
    }
    return NULL;
}

static void
add_gid(struct spec_user *u, uint32_t gid)
{
    for (size_t i = 0; i < u->n_gids; i++)
        if (u->gids[i] == gid)
            return;
    u->gids = xreallocarray(u->gids, u->n_gids + 1, sizeof(uint32_t));
    u->gids[u->n_gids++] = gid;
}

static int
resolve_image_user(const char *user, const char *passwd, const char *group, struct spec_user *u,
                   struct kpod_err **err)
{
    _cleanup_free_ char *name = xstrdup(user);
    char *grp = strchr(name, ':');
    if (grp != NULL)
        *grp++ = '\0';
    if (!parse_id(name, &u->uid)) {
        _cleanup_strv_ char **pw = find_entry(passwd, name, 0, 7);
        if (pw == NULL || !parse_id(pw[2], &u->uid) || !parse_id(pw[3], &u->gid))
            return kpod_err_input(err, "image user '%s' not found in the image's /etc/passwd",
                                  name);
        u->name = xstrdup(pw[0]);
        u->home = xstrdup(pw[5]);
    } else {
        _cleanup_strv_ char **pw = find_entry(passwd, NULL, u->uid, 7);
        if (pw != NULL) {
            parse_id(pw[3], &u->gid);
            u->name = xstrdup(pw[0]);
            u->home = xstrdup(pw[5]);
        }
    }
    if (grp != NULL && *grp != '\0' && !parse_id(grp, &u->gid)) {
        _cleanup_strv_ char **gr = find_entry(group, grp, 0, 3);
        if (gr == NULL || !parse_id(gr[2], &u->gid))
            return kpod_err_input(err, "image group '%s' not found in the image's /etc/group", grp);
    }
    return 0;
}

int
spec_resolve_user(const struct kpod_spec_args *a, const char *image_user, struct spec_user *u,
                  struct kpod_err **err)
{
    const struct kpod_pod *pod = a->pod;
    const struct kpod_container *c = a->ctr;
    _cleanup_free_ char *passwd = read_image_file(a->image_rootfs, "/etc/passwd");
    _cleanup_free_ char *group = read_image_file(a->image_rootfs, "/etc/group");
    memset(u, 0, sizeof(*u));
    long long run_uid = c->sec.run_as_user != KPOD_UNSET ? c->sec.run_as_user : pod->run_as_user;
    long long run_gid = c->sec.run_as_group != KPOD_UNSET ? c->sec.run_as_group : pod->run_as_group;
    if (run_uid != KPOD_UNSET) {
        u->uid = (uint32_t)run_uid;
        _cleanup_strv_ char **pw = find_entry(passwd, NULL, run_uid, 7);
        if (pw != NULL) {
            parse_id(pw[3], &u->gid);
            u->name = xstrdup(pw[0]);
            u->home = xstrdup(pw[5]);
        }
    } else if (image_user != NULL && *image_user != '\0') {
        if (resolve_image_user(image_user, passwd, group, u, err) < 0)
            return kpod_err_prefix(err, "container '%s'", c->name);
    } else {
        u->name = xstrdup("root");
        u->home = xstrdup("/root");
    }
    if (run_gid != KPOD_UNSET)
        u->gid = (uint32_t)run_gid;
    kpod_tristate nonroot =
        c->sec.run_as_non_root >= 0 ? c->sec.run_as_non_root : pod->run_as_non_root;
    if (nonroot == 1 && u->uid == 0)
        return kpod_err_input(err,
                              "container '%s': runAsNonRoot is set but the image runs as "
                              "root: set runAsUser",
                              c->name);
    /* the user's groups from the image's /etc/group, then the pod's */
    _cleanup_strv_ char **lines = kpod_strv_split(group ? group : "", "\n", true);
    for (char **l = lines; u->name && l && *l; l++) {
        _cleanup_strv_ char **f = kpod_strv_split(*l, ":", false);
        uint32_t gid = 0;
        if (kpod_strv_len(f) < 4 || !parse_id(f[2], &gid))
            continue;
        _cleanup_strv_ char **members = kpod_strv_split(f[3], ",", true);
        if (kpod_strv_contains(members, u->name) && gid != u->gid)
            add_gid(u, gid);
    }
    for (size_t i = 0; i < pod->n_supplemental_groups; i++)
        add_gid(u, (uint32_t)pod->supplemental_groups[i]);
    if (pod->fs_group != KPOD_UNSET)
        add_gid(u, (uint32_t)pod->fs_group);
    return 0;
}

void
spec_user_clear(struct spec_user *u)
{
    free(u->name);
    free(u->home);
    free(u->gids);
    memset(u, 0, sizeof(*u));
}
