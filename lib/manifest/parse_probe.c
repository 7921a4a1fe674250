/* Probes (livenessProbe, readinessProbe, startupProbe) and lifecycle hooks (postStart,
 * preStop, stopSignal): handlers exec, httpGet and tcpSocket, exactly one per probe or hook,
 * ports by number or by container port name, Kubernetes' defaults and rules. */
#include "manifest/internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <string.h>

/* What one handler map is parsed into; probes also get their timings. */
struct hwalk {
    struct kpod_handler h;
    int handlers; /* handler kinds given */
    bool hook;    /* a lifecycle hook, not a probe */
    struct kpod_probe p;
};

#define HW(f) offsetof(struct hwalk, f)

static bool
is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool
valid_port_name(const char *s)
{
    /* IANA_SVC_NAME: at most 15 lower case letters, digits and '-', at least one letter */
    bool letter = false;
    size_t n = strlen(s);
    if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--") != NULL)
        return false;
    for (const char *p = s; *p; p++) {
        if (islower((unsigned char)*p))
            letter = true;
        else if (!isdigit((unsigned char)*p) && *p != '-')
            return false;
    }
    return letter;
}

static int
parse_port(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_handler *h = &((struct hwalk *)obj)->h;
    const char *s = y_scalar(n);
    h->pos = y_pos(y, n);
    if (s == NULL || *s == '\0')
        return y_err(y, n, "must be a port number or a container port name");
    if (isdigit((unsigned char)s[0])) {
        long long ll = 0;
        if (y_ll(y, n, 0, LLONG_MAX, &ll) < 0)
            return -1;
        if (ll < 1 || ll > 65535)
            return y_err(y, n, "port %lld must be between 1 and 65535", ll);
        h->port = (int)ll;
        return 0;
    }
    if (!valid_port_name(s))
        return y_err(y, n,
                     "invalid port name '%s': at most 15 lower case letters, digits and '-', "
                     "with at least one letter",
                     s);
    h->port_name = arena_strdup(y->a, s);
    return 0;
}

static int
parse_host(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_handler *h = &((struct hwalk *)obj)->h;
    char *s = NULL;
    if (y_is_null(n))
        return 0;
    if (y_str(y, n, &s) < 0)
        return -1;
    if (*s == '\0')
        return 0; /* "" is the default: the pod's address */
    if (strcmp(s, "localhost") == 0)
        s = arena_strdup(y->a, "127.0.0.1");
    else if (!is_ip(s))
        return y_err(y, n,
                     "'%s' is not an IP address (kpod does not resolve host names for probes "
                     "and hooks)",
                     s);
    h->host = s;
    return 0;
}

static int
parse_headers(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"name", F_STR, offsetof(struct kpod_kv, key), NULL},
        {"value", F_STR, offsetof(struct kpod_kv, value), NULL},
        {NULL, 0, 0, NULL},
    };
    struct kpod_kvlist *l = &((struct hwalk *)obj)->h.headers;
    if (y_seq_len(y, n, &l->n) < 0)
        return -1;
    l->items = arena_array(y->a, l->n ? l->n : 1, sizeof(*l->items));
    for (size_t i = 0; i < l->n; i++) {
        size_t saved = 0;
        yaml_node_t *it = y_seq_item(y, n, i, &saved);
        struct kpod_kv *kv = &l->items[i];
        if (it == NULL || y_walk_map(y, it, fields, kv) < 0)
            return -1;
        if (kv->key == NULL || *kv->key == '\0')
            return y_err_key(y, it, "name", "required");
        for (const char *p = kv->key; *p; p++)
            if (*p <= ' ' || *p == ':' || *p >= 0x7f)
                return y_err_key(y, it, "name", "invalid header name '%s'", kv->key);
        if (kv->value == NULL)
            kv->value = arena_strdup(y->a, "");
        if (strpbrk(kv->value, "\r\n") != NULL)
            return y_err_key(y, it, "value", "header values must not contain line breaks");
        kv->len = strlen(kv->value);
        y_pop(y, saved);
    }
    return 0;
}

static int
parse_scheme(struct yctx *y, yaml_node_t *n, void *obj)
{
    const char *s = y_scalar(n);
    if (y_is_null(n) || (s != NULL && strcmp(s, "HTTP") == 0))
        return 0;
    if (s != NULL && strcmp(s, "HTTPS") == 0)
        return y_err(y, n,
                     "HTTPS is not supported: the monitor that runs probes has no TLS; use HTTP, "
                     "or an exec probe");
    return y_err(y, n, "'%s' must be HTTP or HTTPS", s ? s : "");
}

static int
parse_exec(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"command", F_STRV, 0, NULL},
        {NULL, 0, 0, NULL},
    };
    struct hwalk *w = obj;
    w->handlers++;
    w->h.type = KPOD_HANDLER_EXEC;
    if (y_walk_map(y, n, fields, &w->h.command) < 0)
        return -1;
    if (w->h.command == NULL)
        return y_err_key(y, n, "command", "required");
    return 0;
}

/* httpGet and tcpSocket: a port is required. */
static int
parse_net(struct yctx *y, yaml_node_t *n, struct hwalk *w, const struct field *fields)
{
    w->handlers++;
    if (y_walk_map(y, n, fields, w) < 0)
        return -1;
    if (w->h.port == 0 && w->h.port_name == NULL)
        return y_err_key(y, n, "port", "required");
    return 0;
}

static int
parse_http_get(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"path", F_STR, HW(h.path), NULL},       {"port", F_FN, 0, parse_port},
        {"host", F_FN, 0, parse_host},           {"scheme", F_FN, 0, parse_scheme},
        {"httpHeaders", F_FN, 0, parse_headers}, {NULL, 0, 0, NULL},
    };
    struct hwalk *w = obj;
    w->h.type = KPOD_HANDLER_HTTP_GET;
    if (parse_net(y, n, w, fields) < 0)
        return -1;
    if (w->h.path == NULL || *w->h.path == '\0')
        w->h.path = arena_strdup(y->a, "/");
    if (w->h.path[0] != '/')
        w->h.path = arena_printf(y->a, "/%s", w->h.path);
    for (const char *p = w->h.path; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return y_err_key(y, n, "path", "'%s' must not contain spaces or control characters",
                             w->h.path);
    return 0;
}

static int
parse_tcp_socket(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"port", F_FN, 0, parse_port},
        {"host", F_FN, 0, parse_host},
        {NULL, 0, 0, NULL},
    };
    struct hwalk *w = obj;
    w->h.type = KPOD_HANDLER_TCP_SOCKET;
    if (w->hook)
        y_warn(y, n,
               "tcpSocket in lifecycle hooks is deprecated in Kubernetes; kpod runs it as a TCP "
               "connect");
    return parse_net(y, n, w, fields);
}

static int
parse_unsupported_handler(struct yctx *y, yaml_node_t *n, void *obj)
{
    ((struct hwalk *)obj)->handlers++;
    y_warn(y, n, "this handler is not supported by kpod, ignored");
    return 0;
}

static const struct field hook_fields[] = {
    {"exec", F_FN, 0, parse_exec},
    {"httpGet", F_FN, 0, parse_http_get},
    {"tcpSocket", F_FN, 0, parse_tcp_socket},
    {"sleep", F_FN, 0, parse_unsupported_handler},
    {NULL, 0, 0, NULL},
};

static const struct field probe_fields[] = {
    {"exec", F_FN, 0, parse_exec},
    {"httpGet", F_FN, 0, parse_http_get},
    {"tcpSocket", F_FN, 0, parse_tcp_socket},
    {"grpc", F_FN, 0, parse_unsupported_handler},
    {"initialDelaySeconds", F_INT, HW(p.initial_delay_seconds), NULL},
    {"periodSeconds", F_INT, HW(p.period_seconds), NULL},
    {"timeoutSeconds", F_INT, HW(p.timeout_seconds), NULL},
    {"successThreshold", F_INT, HW(p.success_threshold), NULL},
    {"failureThreshold", F_INT, HW(p.failure_threshold), NULL},
    {"terminationGracePeriodSeconds", F_LL, HW(p.termination_grace_seconds), NULL},
    {NULL, 0, 0, NULL},
};

static int
walk_handler(struct yctx *y, yaml_node_t *n, struct hwalk *w)
{
    if (y_walk_map(y, n, w->hook ? hook_fields : probe_fields, w) < 0)
        return -1;
    if (w->handlers > 1)
        return y_err(y, n, "may not specify more than one handler (exec, httpGet, tcpSocket)");
    if (w->handlers == 0)
        return y_err(y, n, "must specify a handler: exec, httpGet or tcpSocket");
    return 0;
}

static int
parse_hook(struct yctx *y, yaml_node_t *n, struct kpod_handler *h)
{
    struct hwalk w = {.hook = true};
    if (y_is_null(n))
        return 0;
    if (walk_handler(y, n, &w) < 0)
        return -1;
    *h = w.h;
    return 0;
}

static int
parse_post_start(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_hook(y, n, &((struct kpod_container *)obj)->post_start);
}

static int
parse_pre_stop(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_hook(y, n, &((struct kpod_container *)obj)->pre_stop);
}

static int
parse_stop_signal(struct yctx *y, yaml_node_t *n, void *obj)
{
    struct kpod_container *c = obj;
    char *s = NULL;
    if (y_is_null(n))
        return 0;
    if (y_str(y, n, &s) < 0)
        return -1;
    c->stop_signal = kpod_signal_parse(s);
    if (c->stop_signal <= 0)
        return y_err(y, n, "invalid signal name '%s'", s);
    return 0;
}

int
parse_lifecycle(struct yctx *y, yaml_node_t *n, void *obj)
{
    static const struct field fields[] = {
        {"postStart", F_FN, 0, parse_post_start},
        {"preStop", F_FN, 0, parse_pre_stop},
        {"stopSignal", F_FN, 0, parse_stop_signal},
        {NULL, 0, 0, NULL},
    };
    return y_is_null(n) ? 0 : y_walk_map(y, n, fields, obj);
}

static int
parse_probe(struct yctx *y, yaml_node_t *n, struct kpod_probe *pr, bool one_success)
{
    struct hwalk w = {.p = {.period_seconds = 10,
                            .timeout_seconds = 1,
                            .success_threshold = 1,
                            .failure_threshold = 3,
                            .termination_grace_seconds = KPOD_UNSET}};
    if (y_is_null(n))
        return 0;
    if (walk_handler(y, n, &w) < 0)
        return -1;
    *pr = w.p;
    pr->handler = w.h;
    pr->pos = y_pos(y, n);
    pr->set = w.h.type != KPOD_HANDLER_NONE;
    const char *zero = pr->period_seconds < 1      ? "periodSeconds"
                       : pr->timeout_seconds < 1   ? "timeoutSeconds"
                       : pr->success_threshold < 1 ? "successThreshold"
                       : pr->failure_threshold < 1 ? "failureThreshold"
                                                   : NULL;
    if (zero != NULL)
        return y_err_key(y, n, zero, "must be at least 1");
    if (pr->termination_grace_seconds != KPOD_UNSET && !one_success)
        return y_err_key(y, n, "terminationGracePeriodSeconds",
                         "must not be set for readiness probes");
    if (pr->termination_grace_seconds == 0)
        return y_err_key(y, n, "terminationGracePeriodSeconds", "must be at least 1");
    if (one_success && pr->success_threshold != 1)
        return y_err_key(y, n, "successThreshold",
                         "must be 1 for liveness and startup probes (got %d)",
                         pr->success_threshold);
    return 0;
}

int
parse_liveness(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_probe(y, n, &((struct kpod_container *)obj)->liveness, true);
}

int
parse_readiness(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_probe(y, n, &((struct kpod_container *)obj)->readiness, false);
}

int
parse_startup(struct yctx *y, yaml_node_t *n, void *obj)
{
    return parse_probe(y, n, &((struct kpod_container *)obj)->startup, true);
}

static int
resolve_port(struct kpod_handler *h, const struct kpod_container *c, struct kpod_err **err)
{
    if (h->type != KPOD_HANDLER_HTTP_GET && h->type != KPOD_HANDLER_TCP_SOCKET)
        return 0;
    if (h->port_name == NULL)
        return 0;
    for (size_t i = 0; i < c->n_ports; i++) {
        if (c->ports[i].name != NULL && strcmp(c->ports[i].name, h->port_name) == 0) {
            h->port = c->ports[i].container_port;
            return 0;
        }
    }
    return err_at(err, &h->pos, "no port named '%s' in the container's ports", h->port_name);
}

int
resolve_handler_ports(struct kpod_container *c, struct kpod_err **err)
{
    struct kpod_handler *hs[] = {&c->liveness.handler, &c->readiness.handler, &c->startup.handler,
                                 &c->post_start, &c->pre_stop};
    for (size_t i = 0; i < ARRAY_SIZE(hs); i++)
        if (resolve_port(hs[i], c, err) < 0)
            return -1;
    return 0;
}
