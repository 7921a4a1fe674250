/* OCI runtime spec: serialising struct kpod_oci_spec to config.json, and freeing it. */
#include "spec/oci.h"

#include "spec/oci_field.h"

static json_t *
user_to_json(const struct kpod_oci_user *u)
{
    json_t *o = oci_obj_from_extra(u->extra);
    kpod_json_set_int(o, "uid", u->uid);
    kpod_json_set_int(o, "gid", u->gid);
    if (u->has_umask)
        kpod_json_set_int(o, "umask", u->umask);
    if (u->additional_gids != NULL) {
        json_t *a = json_array();
        for (size_t i = 0; i < u->n_additional_gids; i++)
            json_array_append_new(a, json_integer(u->additional_gids[i]));
        json_object_set_new(o, "additionalGids", a);
    }
    return o;
}

static json_t *
caps_to_json(const struct kpod_oci_caps *c)
{
    json_t *o = oci_obj_from_extra(c->extra);
    oci_set_strv(o, "bounding", c->bounding);
    oci_set_strv(o, "effective", c->effective);
    oci_set_strv(o, "inheritable", c->inheritable);
    oci_set_strv(o, "permitted", c->permitted);
    oci_set_strv(o, "ambient", c->ambient);
    return o;
}

static json_t *
process_to_json(const struct kpod_oci_process *p)
{
    json_t *o = oci_obj_from_extra(p->extra);
    json_object_set_new(o, "terminal", json_boolean(p->terminal));
    if (p->has_console_size)
        json_object_set_new(o, "consoleSize",
                            json_pack("{s:I, s:I}", "height", (json_int_t)p->console_height,
                                      "width", (json_int_t)p->console_width));
    json_object_set_new(o, "user", user_to_json(&p->user));
    oci_set_strv(o, "args", p->args);
    oci_set_strv(o, "env", p->env);
    kpod_json_set_str(o, "cwd", p->cwd);
    if (p->capabilities != NULL)
        json_object_set_new(o, "capabilities", caps_to_json(p->capabilities));
    if (p->rlimits != NULL) {
        json_t *a = json_array();
        for (size_t i = 0; i < p->n_rlimits; i++) {
            const struct kpod_oci_rlimit *r = &p->rlimits[i];
            json_t *rj = oci_obj_from_extra(r->extra);
            kpod_json_set_str(rj, "type", r->type);
            oci_set_u64(rj, "hard", r->hard);
            oci_set_u64(rj, "soft", r->soft);
            json_array_append_new(a, rj);
        }
        json_object_set_new(o, "rlimits", a);
    }
    if (p->no_new_privileges)
        json_object_set_new(o, "noNewPrivileges", json_true());
    if (p->has_oom_score_adj)
        kpod_json_set_int(o, "oomScoreAdj", p->oom_score_adj);
    return o;
}

static json_t *
hooks_to_json(const struct kpod_oci_hooks *h)
{
    json_t *o = oci_obj_from_extra(h->extra);
    for (int k = 0; k < KPOD_OCI_HOOK_KINDS; k++) {
        if (h->list[k] == NULL)
            continue;
        json_t *a = json_array();
        for (size_t i = 0; i < h->n[k]; i++) {
            const struct kpod_oci_hook *hk = &h->list[k][i];
            json_t *hj = oci_obj_from_extra(hk->extra);
            kpod_json_set_str(hj, "path", hk->path);
            oci_set_strv(hj, "args", hk->args);
            oci_set_strv(hj, "env", hk->env);
            if (hk->timeout > 0)
                kpod_json_set_int(hj, "timeout", hk->timeout);
            json_array_append_new(a, hj);
        }
        json_object_set_new(o, kpod_oci_hook_kind_name(k), a);
    }
    return o;
}

json_t *
kpod_oci_spec_to_json(const struct kpod_oci_spec *s)
{
    json_t *o = oci_obj_from_extra(s->extra);
    kpod_json_set_str(o, "ociVersion", s->oci_version ? s->oci_version : KPOD_OCI_VERSION);
    if (s->process != NULL)
        json_object_set_new(o, "process", process_to_json(s->process));
    if (s->root != NULL) {
        json_t *r = oci_obj_from_extra(s->root->extra);
        kpod_json_set_str(r, "path", s->root->path);
        if (s->root->readonly)
            json_object_set_new(r, "readonly", json_true());
        json_object_set_new(o, "root", r);
    }
    kpod_json_set_str(o, "hostname", s->hostname);
    if (s->mounts != NULL) {
        json_t *a = json_array();
        for (size_t i = 0; i < s->n_mounts; i++) {
            const struct kpod_oci_mount *m = &s->mounts[i];
            json_t *mj = oci_obj_from_extra(m->extra);
            kpod_json_set_str(mj, "destination", m->destination);
            kpod_json_set_str(mj, "type", m->type);
            kpod_json_set_str(mj, "source", m->source);
            oci_set_strv(mj, "options", m->options);
            json_array_append_new(a, mj);
        }
        json_object_set_new(o, "mounts", a);
    }
    if (s->hooks != NULL)
        json_object_set_new(o, "hooks", hooks_to_json(s->hooks));
    if (s->annotations != NULL)
        json_object_set_new(o, "annotations", oci_kv_to_json(s->annotations, s->n_annotations));
    if (s->linux_ != NULL)
        json_object_set_new(o, "linux", oci_linux_to_json(s->linux_));
    return o;
}

/* Freeing. */

static void
process_free(struct kpod_oci_process *p)
{
    if (p == NULL)
        return;
    free(p->user.additional_gids);
    json_decref(p->user.extra);
    kpod_strv_free(p->args);
    kpod_strv_free(p->env);
    free(p->cwd);
    if (p->capabilities != NULL) {
        kpod_strv_free(p->capabilities->bounding);
        kpod_strv_free(p->capabilities->effective);
        kpod_strv_free(p->capabilities->inheritable);
        kpod_strv_free(p->capabilities->permitted);
        kpod_strv_free(p->capabilities->ambient);
        json_decref(p->capabilities->extra);
        free(p->capabilities);
    }
    for (size_t i = 0; i < p->n_rlimits; i++) {
        free(p->rlimits[i].type);
        json_decref(p->rlimits[i].extra);
    }
    free(p->rlimits);
    json_decref(p->extra);
    free(p);
}

static void
hooks_free(struct kpod_oci_hooks *h)
{
    if (h == NULL)
        return;
    for (int k = 0; k < KPOD_OCI_HOOK_KINDS; k++) {
        for (size_t i = 0; i < h->n[k]; i++) {
            free(h->list[k][i].path);
            kpod_strv_free(h->list[k][i].args);
            kpod_strv_free(h->list[k][i].env);
            json_decref(h->list[k][i].extra);
        }
        free(h->list[k]);
    }
    json_decref(h->extra);
    free(h);
}

void
kpod_oci_spec_free(struct kpod_oci_spec *s)
{
    if (s == NULL)
        return;
    free(s->oci_version);
    process_free(s->process);
    if (s->root != NULL) {
        free(s->root->path);
        json_decref(s->root->extra);
        free(s->root);
    }
    free(s->hostname);
    for (size_t i = 0; i < s->n_mounts; i++) {
        free(s->mounts[i].destination);
        free(s->mounts[i].type);
        free(s->mounts[i].source);
        kpod_strv_free(s->mounts[i].options);
        json_decref(s->mounts[i].extra);
    }
    free(s->mounts);
    hooks_free(s->hooks);
    oci_kv_free(s->annotations, s->n_annotations);
    oci_linux_free(s->linux_);
    json_decref(s->extra);
    kpod_strv_free(s->unknown);
    free(s);
}
