/* Helpers shared by the manifest unit tests: parse a YAML string, expect an error, find a
 * warning. Include after tap.h. */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"

static __attribute__((unused)) struct kpod_manifest *
parse(const char *yaml, char **ret_err)
{
    struct kpod_err *err = NULL;
    struct kpod_manifest *m = kpod_manifest_parse_buffer("t.yaml", yaml, strlen(yaml), &err);
    if (ret_err != NULL)
        *ret_err = err ? xstrdup(err->msg) : NULL;
    else if (err != NULL)
        diag("unexpected error: %s", err->msg);
    kpod_err_free(&err);
    return m;
}

/* Expects a parse error containing want. */
static __attribute__((unused)) void
expect_err(const char *yaml, const char *want, const char *what)
{
    char *msg = NULL;
    struct kpod_manifest *m = parse(yaml, &msg);
    bool good = m == NULL && msg != NULL && strstr(msg, want) != NULL;
    if (!ok(good, "error: %s", what))
        diag("got '%s', want it to contain '%s'", msg ? msg : "(no error)", want);
    kpod_manifest_free(m);
    free(msg);
}

static __attribute__((unused)) bool
has_warning(const struct kpod_manifest *m, const char *want)
{
    for (char **w = m->warnings; w && *w; w++)
        if (strstr(*w, want) != NULL)
            return true;
    return false;
}
