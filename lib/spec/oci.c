/* OCI runtime spec: parsing config.json into struct kpod_oci_spec, loading and freeing. */
#include "spec/oci.h"

#include <string.h>

#include "spec/oci_field.h"

static const char *const hook_names[KPOD_OCI_HOOK_KINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

const char *
kpod_oci_hook_kind_name(enum kpod_oci_hook_kind kind)
{
    return kind < KPOD_OCI_HOOK_KINDS ? hook_names[kind] : "unknown";
}

static int
parse_user(const json_t *o, const char *path, struct kpod_oci_user *u, struct oci_parser *p)
{
    static const char *const known[] = {"uid", "gid", "umask", "additionalGids", NULL};
    json_t *gids = NULL;
    if (oci_get_u32(o, path, "uid", &u->uid, NULL, p->err) < 0 ||
        oci_get_u32(o, path, "gid", &u->gid, NULL, p->err) < 0 ||
        oci_get_u32(o, path, "umask", &u->umask, &u->has_umask, p->err) < 0 ||
        oci_get_arr(o, path, "additionalGids", &gids, p->err) < 0)
        return -1;
    size_t n = json_array_size(gids);
    if (gids != NULL)
        u->additional_gids = xcalloc(n ? n : 1, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        json_t *g = json_array_get(gids, i);
        if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > UINT32_MAX)
            return kpod_err_input(p->err, "'%s.additionalGids[%zu]': expected a group id", path, i);
        u->additional_gids[u->n_additional_gids++] = (uint32_t)json_integer_value(g);
    }
    u->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_caps(const json_t *o, const char *path, struct kpod_oci_caps *c, struct oci_parser *p)
{
    static const char *const known[] = {"bounding",  "effective", "inheritable",
                                        "permitted", "ambient",   NULL};
    if (oci_get_strv(o, path, "bounding", &c->bounding, p->err) < 0 ||
        oci_get_strv(o, path, "effective", &c->effective, p->err) < 0 ||
        oci_get_strv(o, path, "inheritable", &c->inheritable, p->err) < 0 ||
        oci_get_strv(o, path, "permitted", &c->permitted, p->err) < 0 ||
        oci_get_strv(o, path, "ambient", &c->ambient, p->err) < 0)
        return -1;
    c->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_rlimit(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    static const char *const known[] = {"type", "hard", "soft", NULL};
    struct kpod_oci_rlimit *r = item;
    if (oci_get_str(o, path, "type", &r->type, p->err) < 0 ||
        oci_get_u64(o, path, "hard", &r->hard, p->err) < 0 ||
        oci_get_u64(o, path, "soft", &r->soft, p->err) < 0)
        return -1;
    if (r->type == NULL)
        return kpod_err_input(p->err, "'%s.type': required", path);
    r->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_console_size(const json_t *o, const char *path, struct kpod_oci_process *pr,
                   struct oci_parser *p)
{
    json_t *cs = NULL;
    if (oci_get_obj(o, path, "consoleSize", &cs, p->err) <= 0)
        return cs == NULL && *p->err == NULL ? 0 : -1;
    _cleanup_free_ char *cp = oci_path(path, "consoleSize");
    if (oci_get_u32(cs, cp, "height", &pr->console_height, NULL, p->err) < 0 ||
        oci_get_u32(cs, cp, "width", &pr->console_width, NULL, p->err) < 0)
        return -1;
    pr->has_console_size = true;
    return 0;
}

static int
parse_process(const json_t *o, const char *path, struct kpod_oci_process *pr, struct oci_parser *p)
{
    static const char *const known[] = {
        "terminal",     "consoleSize",     "user",        "args", "env", "cwd", "rlimits",
        "capabilities", "noNewPrivileges", "oomScoreAdj", NULL};
    json_t *sub = NULL;
    int64_t oom = 0;
    int r;
    if (oci_get_bool(o, path, "terminal", &pr->terminal, p->err) < 0 ||
        parse_console_size(o, path, pr, p) < 0 ||
        oci_get_strv(o, path, "args", &pr->args, p->err) < 0 ||
        oci_get_strv(o, path, "env", &pr->env, p->err) < 0 ||
        oci_get_str(o, path, "cwd", &pr->cwd, p->err) < 0 ||
        oci_get_bool(o, path, "noNewPrivileges", &pr->no_new_privileges, p->err) < 0)
        return -1;
    if ((r = oci_get_int(o, path, "oomScoreAdj", (struct oci_range){-1000, 1000}, &oom, p->err)) <
        0)
        return -1;
    pr->has_oom_score_adj = r > 0;
    pr->oom_score_adj = (int)oom;
    if (oci_get_obj(o, path, "user", &sub, p->err) < 0)
        return -1;
    _cleanup_free_ char *up = oci_path(path, "user");
    if (sub != NULL && parse_user(sub, up, &pr->user, p) < 0)
        return -1;
    if (oci_get_obj(o, path, "capabilities", &sub, p->err) < 0)
        return -1;
    if (sub != NULL) {
        _cleanup_free_ char *cp = oci_path(path, "capabilities");
        pr->capabilities = xzalloc(sizeof(*pr->capabilities));
        if (parse_caps(sub, cp, pr->capabilities, p) < 0)
            return -1;
    }
    if (oci_parse_array(o, path, "rlimits",
                        &(struct oci_array){sizeof(struct kpod_oci_rlimit), parse_rlimit,
                                            (void **)&pr->rlimits, &pr->n_rlimits},
                        p) < 0)
        return -1;
    pr->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_mount(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    static const char *const known[] = {"destination", "type", "source", "options", NULL};
    struct kpod_oci_mount *m = item;
    if (oci_get_str(o, path, "destination", &m->destination, p->err) < 0 ||
        oci_get_str(o, path, "type", &m->type, p->err) < 0 ||
        oci_get_str(o, path, "source", &m->source, p->err) < 0 ||
        oci_get_strv(o, path, "options", &m->options, p->err) < 0)
        return -1;
    if (m->destination == NULL)
        return kpod_err_input(p->err, "'%s.destination': required", path);
    m->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_hook(const json_t *o, const char *path, void *item, struct oci_parser *p)
{
    static const char *const known[] = {"path", "args", "env", "timeout", NULL};
    struct kpod_oci_hook *h = item;
    int64_t timeout = 0;
    if (oci_get_str(o, path, "path", &h->path, p->err) < 0 ||
        oci_get_strv(o, path, "args", &h->args, p->err) < 0 ||
        oci_get_strv(o, path, "env", &h->env, p->err) < 0 ||
        oci_get_int(o, path, "timeout", (struct oci_range){1, INT32_MAX}, &timeout, p->err) < 0)
        return -1;
    if (h->path == NULL)
        return kpod_err_input(p->err, "'%s.path': required", path);
    h->timeout = (int)timeout;
    h->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_hooks(const json_t *o, const char *path, struct kpod_oci_hooks *h, struct oci_parser *p)
{
    for (int k = 0; k < KPOD_OCI_HOOK_KINDS; k++)
        if (oci_parse_array(o, path, hook_names[k],
                            &(struct oci_array){sizeof(struct kpod_oci_hook), parse_hook,
                                                (void **)&h->list[k], &h->n[k]},
                            p) < 0)
            return -1;
    static const char *const known[] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        NULL};
    h->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_root(const json_t *o, const char *path, struct kpod_oci_root *r, struct oci_parser *p)
{
    static const char *const known[] = {"path", "readonly", NULL};
    if (oci_get_str(o, path, "path", &r->path, p->err) < 0 ||
        oci_get_bool(o, path, "readonly", &r->readonly, p->err) < 0)
        return -1;
    r->extra = oci_take_extra(o, path, known, p->unknown);
    return 0;
}

static int
parse_spec(const json_t *j, struct kpod_oci_spec *s, struct oci_parser *p)
{
    static const char *const known[] = {"ociVersion", "process",     "root",  "hostname", "mounts",
                                        "hooks",      "annotations", "linux", NULL};
    json_t *sub = NULL;
    if (!json_is_object(j))
        return kpod_err_input(p->err, "expected a JSON object");
    if (oci_get_str(j, "", "ociVersion", &s->oci_version, p->err) < 0 ||
        oci_get_str(j, "", "hostname", &s->hostname, p->err) < 0)
        return -1;
    if (oci_get_obj(j, "", "process", &sub, p->err) < 0)
        return -1;
    if (sub != NULL) {
        s->process = xzalloc(sizeof(*s->process));
        if (parse_process(sub, "process", s->process, p) < 0)
            return -1;
    }
    if (oci_get_obj(j, "", "root", &sub, p->err) < 0)
        return -1;
    if (sub != NULL) {
        s->root = xzalloc(sizeof(*s->root));
        if (parse_root(sub, "root", s->root, p) < 0)
            return -1;
    }
    if (oci_parse_array(j, "", "mounts",
                        &(struct oci_array){sizeof(struct kpod_oci_mount), parse_mount,
                                            (void **)&s->mounts, &s->n_mounts},
                        p) < 0)
        return -1;
    if (oci_get_obj(j, "", "hooks", &sub, p->err) < 0)
        return -1;
    if (sub != NULL) {
        s->hooks = xzalloc(sizeof(*s->hooks));
        if (parse_hooks(sub, "hooks", s->hooks, p) < 0)
            return -1;
    }
    if (oci_parse_kv(j, "", "annotations", &s->annotations, &s->n_annotations, p) < 0)
        return -1;
    if (oci_get_obj(j, "", "linux", &sub, p->err) < 0)
        return -1;
    if (sub != NULL) {
        s->linux_ = xzalloc(sizeof(*s->linux_));
        if (oci_parse_linux(sub, "linux", s->linux_, p) < 0)
            return -1;
    }
    s->extra = oci_take_extra(j, "", known, p->unknown);
    return 0;
}

struct kpod_oci_spec *
kpod_oci_spec_from_json(const json_t *j, struct kpod_err **err)
{
    _cleanup_oci_spec_ struct kpod_oci_spec *s = xzalloc(sizeof(*s));
    _cleanup_err_ struct kpod_err *local = NULL;
    struct oci_parser p = {.unknown = &s->unknown, .err = err ? err : &local};
    if (parse_spec(j, s, &p) < 0) {
        if (*p.err == NULL)
            kpod_err_input(p.err, "invalid OCI spec");
        return NULL;
    }
    return TAKE_PTR(s);
}

struct kpod_oci_spec *
kpod_oci_spec_load_file(const char *path, struct kpod_err **err)
{
    _cleanup_json_ json_t *j = kpod_json_load_file(path, KPOD_OCI_MAX_FILE, err);
    if (j == NULL)
        return NULL;
    struct kpod_oci_spec *s = kpod_oci_spec_from_json(j, err);
    if (s == NULL)
        kpod_err_prefix(err, "%s", path);
    return s;
}

int
kpod_oci_spec_save_file(const struct kpod_oci_spec *spec, const char *path, struct kpod_err **err)
{
    _cleanup_json_ json_t *j = kpod_oci_spec_to_json(spec);
    return kpod_json_save_file(path, j, true, 0644, err);
}

struct kpod_oci_spec *
kpod_oci_spec_new(void)
{
    struct kpod_oci_spec *s = xzalloc(sizeof(*s));
    s->oci_version = xstrdup(KPOD_OCI_VERSION);
    return s;
}
