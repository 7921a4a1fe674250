/* OCI hooks from hooks directories, as podman applies them (the hooks JSON schema 1.0.0):
 *   {"version": "1.0.0",
 *    "hook": {"path": "/abs", "args": [...], "env": [...], "timeout": N},
 *    "when": {"always": true, "annotations": {"KEY-RE": "VALUE-RE"}, "commands": ["RE"],
 *             "hasBindMounts": true},
 *    "stages": ["prestart", "createRuntime", "createContainer", "startContainer",
 *               "poststart", "poststop"]}
 * A hook applies when any "when" condition holds (POSIX extended regular expressions, matched
 * whole). Files are taken in name order; a file in a later directory replaces one of the same
 * name in an earlier one. */
#include "sandbox/internal.h"

#include <dirent.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "spec/oci.h"

#define HOOK_FILE_MAX (1u << 20)

static const char *const stage_names[KPOD_OCI_HOOK_KINDS] = {
    [KPOD_OCI_HOOK_PRESTART] = "prestart",
    [KPOD_OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
    [KPOD_OCI_HOOK_CREATE_CONTAINER] = "createContainer",
    [KPOD_OCI_HOOK_START_CONTAINER] = "startContainer",
    [KPOD_OCI_HOOK_POSTSTART] = "poststart",
    [KPOD_OCI_HOOK_POSTSTOP] = "poststop",
};

/* Whole-string match of an ERE; -1 for a bad expression. */
static int
full_match(const char *re, const char *s, const char *file, struct kpod_err **err)
{
    _cleanup_free_ char *anchored = xasprintf("^(%s)$", re);
    regex_t r;
    if (regcomp(&r, anchored, REG_EXTENDED | REG_NOSUB) != 0)
        return kpod_err_input(err, "hook '%s': invalid regular expression '%s'", file, re);
    int m = regexec(&r, s ? s : "", 0, NULL, 0) == 0;
    regfree(&r);
    return m;
}

static bool
has_bind_mounts(const struct kpod_oci_spec *spec)
{
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct kpod_oci_mount *m = &spec->mounts[i];
        if (m->type != NULL && strcmp(m->type, "bind") == 0)
            return true;
        if (kpod_strv_contains(m->options, "bind") || kpod_strv_contains(m->options, "rbind"))
            return true;
    }
    return false;
}

static int
annotations_match(const json_t *when, const struct kpod_oci_spec *spec, const char *file,
                  struct kpod_err **err)
{
    const char *kre;
    json_t *vre;
    json_object_foreach((json_t *)json_object_get(when, "annotations"), kre, vre)
    {
        for (size_t i = 0; i < spec->n_annotations; i++) {
            const char *key = spec->annotations[i].key, *val = spec->annotations[i].value;
            int k = full_match(kre, key, file, err);
            int v = k > 0 ? full_match(json_string_value(vre), val, file, err) : 0;
            if (k < 0 || v < 0)
                return -1;
            if (k && v)
                return 1;
        }
    }
    return 0;
}

static int
applies(const json_t *when, const struct kpod_oci_spec *spec, const char *file,
        struct kpod_err **err)
{
    if (!json_is_object(when))
        return kpod_err_input(err, "hook '%s': 'when' is required", file);
    if (kpod_json_bool(when, "always", false))
        return 1;
    if (kpod_json_bool(when, "hasBindMounts", false) && has_bind_mounts(spec))
        return 1;
    int r = annotations_match(when, spec, file, err);
    if (r != 0)
        return r;
    const char *cmd = spec->process && spec->process->args ? spec->process->args[0] : NULL;
    size_t i;
    json_t *re;
    json_array_foreach(json_object_get(when, "commands"), i, re)
    {
        int m = full_match(json_string_value(re), cmd, file, err);
        if (m != 0)
            return m;
    }
    return 0;
}

static int
apply_file(struct kpod_oci_spec *spec, const char *path, struct kpod_err **err)
{
    _cleanup_json_ json_t *j = kpod_json_load_file(path, HOOK_FILE_MAX, err);
    if (j == NULL)
        return -1;
    const char *version = kpod_json_str(j, "version");
    if (version == NULL || strcmp(version, "1.0.0") != 0)
        return kpod_err_input(err, "hook '%s': unsupported version '%s' (want 1.0.0)", path,
                              version ? version : "");
    json_t *hook = json_object_get(j, "hook");
    const char *exe = kpod_json_str(hook, "path");
    if (exe == NULL || exe[0] != '/')
        return kpod_err_input(err, "hook '%s': hook.path must be an absolute path", path);
    json_t *stages = json_object_get(j, "stages");
    if (json_array_size(stages) == 0)
        return kpod_err_input(err, "hook '%s': 'stages' must name at least one stage", path);
    int r = applies(json_object_get(j, "when"), spec, path, err);
    if (r <= 0)
        return r;
    _cleanup_strv_ char **args = kpod_json_to_strv(json_object_get(hook, "args"));
    _cleanup_strv_ char **env = kpod_json_to_strv(json_object_get(hook, "env"));
    int timeout = (int)kpod_json_int(hook, "timeout", 0);
    size_t i;
    json_t *st;
    json_array_foreach(stages, i, st)
    {
        int kind = -1;
        for (int k = 0; k < KPOD_OCI_HOOK_KINDS; k++)
            if (json_string_value(st) && strcmp(json_string_value(st), stage_names[k]) == 0)
                kind = k;
        if (kind < 0)
            return kpod_err_input(err, "hook '%s': unknown stage '%s'", path,
                                  json_string_value(st) ? json_string_value(st) : "");
        kpod_oci_spec_add_hook(spec, (enum kpod_oci_hook_kind)kind, exe,
                               kpod_strv_len(args) ? args : NULL, kpod_strv_len(env) ? env : NULL,
                               timeout);
    }
    return 1;
}

static int
cmp_base(const void *a, const void *b)
{
    const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');
    return strcmp(x, y);
}

int
kpod_sandbox_hooks_apply(struct kpod_oci_spec *spec, char *const *dirs, struct kpod_err **err)
{
    _cleanup_strv_ char **files = xcalloc(1, sizeof(char *));
    for (size_t d = 0; dirs != NULL && dirs[d] != NULL; d++) {
        _cleanup_closedir_ DIR *dir = opendir(dirs[d]);
        for (struct dirent *de; dir != NULL && (de = readdir(dir)) != NULL;) {
            if (!kpod_str_has_suffix(de->d_name, ".json") || de->d_name[0] == '.')
                continue;
            /* a later directory replaces a file of the same name */
            for (size_t i = 0; files[i] != NULL; i++) {
                if (strcmp(strrchr(files[i], '/') + 1, de->d_name) == 0) {
                    free(files[i]);
                    files[i] = xstrdup("");
                }
            }
            kpod_strv_push_take(&files, xasprintf("%s/%s", dirs[d], de->d_name));
        }
    }
    size_t n = 0;
    for (size_t i = 0; files[i] != NULL; i++)
        if (*files[i])
            files[n++] = files[i];
        else
            free(files[i]);
    files[n] = NULL;
    qsort(files, n, sizeof(char *), cmp_base);
    for (size_t i = 0; i < n; i++)
        if (apply_file(spec, files[i], err) < 0)
            return -1;
    return 0;
}
