/* `kpod image`: the group of image commands, and the printing helpers they share (sizes,
 * ages, IDs, Go-template-like field access). */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "image/image.h"
#include "image_cmd.h"

const struct kpod_cmd kpod_cmd_image = {
    .name = "image",
    .summary = "manage images",
    .description = "Commands to pull, list, inspect, tag, remove, load and save images.",
};

void
image_fmt_size(long long bytes, char *buf, size_t len)
{
    static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%lld B", bytes);
    else
        snprintf(buf, len, "%.3g %s", v, units[u]);
}

long long
image_created_epoch(const char *created)
{
    if (created == NULL)
        return 0;
    struct tm tm = {0};
    if (strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return 0;
    return (long long)timegm(&tm);
}

void
image_fmt_age(long long epoch, char *buf, size_t len)
{
    long long d = (long long)time(NULL) - epoch;
    if (epoch == 0)
        snprintf(buf, len, "unknown");
    else if (d < 60)
        snprintf(buf, len, "%s", d < 2 ? "Less than a second ago" : "Less than a minute ago");
    else if (d < 3600)
        snprintf(buf, len, "%lld minute%s ago", d / 60, d / 60 == 1 ? "" : "s");
    else if (d < 86400 * 2)
        snprintf(buf, len, "%lld hour%s ago", d / 3600, d / 3600 == 1 ? "" : "s");
    else if (d < 86400 * 30)
        snprintf(buf, len, "%lld days ago", d / 86400);
    else if (d < 86400 * 365 * 2)
        snprintf(buf, len, "%lld months ago", d / (86400 * 30));
    else
        snprintf(buf, len, "%lld years ago", d / (86400 * 365));
}

/* Renders a template where each "{{.A.B}}" is replaced by that field of j (strings as they
 * are, other values as compact JSON); "\n" and "\t" escapes are honoured. */
int
image_fmt_template(const char *tmpl, json_t *j, FILE *out, struct kpod_err **err)
{
    const char *p = tmpl;
    while (*p) {
        if (p[0] == '\\' && (p[1] == 'n' || p[1] == 't')) {
            fputc(p[1] == 'n' ? '\n' : '\t', out);
            p += 2;
            continue;
        }
        if (strncmp(p, "{{", 2) != 0) {
            fputc(*p++, out);
            continue;
        }
        const char *end = strstr(p, "}}");
        if (end == NULL)
            return kpod_err_usage(err, "format '%s': unterminated '{{'", tmpl);
        _cleanup_free_ char *expr = xstrndup(p + 2, (size_t)(end - p - 2));
        char *e = expr;
        while (*e == ' ')
            e++;
        size_t n = strlen(e);
        while (n > 0 && e[n - 1] == ' ')
            e[--n] = '\0';
        if (*e != '.')
            return kpod_err_usage(err, "format '%s': unsupported expression '%s'", tmpl, e);
        json_t *v = j;
        _cleanup_strv_ char **parts = kpod_strv_split(e + 1, ".", true);
        for (size_t i = 0; parts[i] != NULL && v != NULL; i++)
            v = json_object_get(v, parts[i]);
        if (v == NULL && strcmp(e, ".") != 0)
            return kpod_err_usage(err, "format '%s': no field '%s'", tmpl, e);
        if (v == NULL)
            v = j;
        if (json_is_string(v)) {
            fputs(json_string_value(v), out);
        } else {
            _cleanup_free_ char *s = kpod_json_dumps(v, false);
            fputs(s, out);
        }
        p = end + 2;
    }
    fputc('\n', out);
    return 0;
}

/* `kpod __complete images PREFIX`: image names and short ids. */
void
image_complete(struct kpod_ctx *ctx, const char *prefix)
{
    _cleanup_err_ struct kpod_err *err = NULL;
    _cleanup_json_ json_t *list = kpod_image_list(ctx->root, &err);
    size_t i, k;
    json_t *img, *n;
    json_array_foreach(list, i, img)
    {
        json_array_foreach(json_object_get(img, "names"), k,
                           n) if (kpod_str_has_prefix(json_string_value(n), prefix))
            printf("%s\n", json_string_value(n));
        char id[13];
        snprintf(id, sizeof(id), "%.12s", kpod_json_str(img, "id"));
        if (*prefix != '\0' && kpod_str_has_prefix(id, prefix))
            printf("%s\n", id);
    }
}
