/* Hidden plumbing `kpod __net`: drives lib/network directly, keeping the setup result where the
 * sandbox would keep it in the pod state (runroot/netdebug/<name>.json), so the tests exercise
 * the module on the real kernel before the sandbox pipeline calls it.
 *   __net setup NAME [--network N] [--ip IP] [--mac MAC] [--port [HOSTIP:]HOST:CTR[/PROTO]]...
 *   __net teardown NAME | show NAME | stop NAME | start NAME (pod stop/start: teardown keeping
 *   the result, then kpod_net_restore)
 *   __net iface-add NAME [--name N] [--mac M] [--ip CIDR]... [--mtu N] [--network N|--link DEV]
 *   __net iface-rm NAME --mac M | --name N;  __net iface-ls NAME;  __net route-ls NAME
 *   __net route-update NAME --route SPEC... | --file F|-   */
#include "cli.h"
#include "network/network.h"

#include <string.h>

struct net_opts {
    char *network;
    char **ip;
    char *mac;
    char **port;
    char *name;
    long long mtu;
    char *link;
    char **route;
    char *file;
    bool host_network;
    bool noarp;
};

static const struct kpod_opt net_opts[] = {
    {"network", 0, KPOD_OPT_STRING, offsetof(struct net_opts, network), "NAME", "network", NULL,
     NULL, false},
    {"ip", 0, KPOD_OPT_STRV, offsetof(struct net_opts, ip), "IP", "address (CIDR for iface-add)",
     NULL, NULL, false},
    {"mac", 0, KPOD_OPT_STRING, offsetof(struct net_opts, mac), "MAC", "MAC address", NULL, NULL,
     false},
    {"port", 'p', KPOD_OPT_STRV, offsetof(struct net_opts, port), "PORT",
     "[HOSTIP:]HOSTPORT:PORT[/PROTO]", NULL, NULL, false},
    {"name", 0, KPOD_OPT_STRING, offsetof(struct net_opts, name), "NAME", "interface name", NULL,
     NULL, false},
    {"mtu", 0, KPOD_OPT_INT, offsetof(struct net_opts, mtu), "N", "MTU", NULL, NULL, false},
    {"link", 0, KPOD_OPT_STRING, offsetof(struct net_opts, link), "DEV", "host device to move in",
     NULL, NULL, false},
    {"route", 0, KPOD_OPT_STRV, offsetof(struct net_opts, route), "SPEC",
     "dest=,gw=,dev=,src=,scope=", NULL, NULL, false},
    {"file", 0, KPOD_OPT_STRING, offsetof(struct net_opts, file), "FILE", "Kata JSON or -", "file",
     NULL, false},
    {"host-network", 0, KPOD_OPT_BOOL, offsetof(struct net_opts, host_network), NULL,
     "use the host network", NULL, NULL, false},
    {"noarp", 0, KPOD_OPT_BOOL, offsetof(struct net_opts, noarp), NULL, "iface-add: set NOARP",
     NULL, NULL, false},
    KPOD_OPTS_END,
};

struct net_pod {
    struct kpod_ctx *ctx;
    const char *name;
    char *state; /* runroot/netdebug/<name>.json */
    char id[KPOD_DIGEST_HEX_LEN + 1];
    int lock;
};

static void
print_json(json_t *j)
{
    _cleanup_free_ char *s = kpod_json_dumps(j, true);
    printf("%s\n", s);
    json_decref(j);
}

static struct kpod_net_result *
load_result(struct net_pod *p, bool missing_ok, struct kpod_err **err)
{
    if (!kpod_fs_exists(p->state)) {
        if (!missing_ok)
            kpod_err_notfound(err, "no network set up for pod '%s'", p->name);
        return NULL;
    }
    _cleanup_json_ json_t *j = kpod_json_load_file(p->state, 1 << 20, err);
    return j != NULL ? kpod_net_result_from_json(j, err) : NULL;
}

static int
save_result(struct net_pod *p, const struct kpod_net_result *r, bool print, struct kpod_err **err)
{
    _cleanup_json_ json_t *j = kpod_net_result_to_json(r);
    if (kpod_json_save_file(p->state, j, true, 0600, err) < 0)
        return -1;
    if (print)
        print_json(json_incref(j));
    return 0;
}

static int
do_setup(struct net_pod *p, struct net_opts *o, struct kpod_err **err)
{
    if (kpod_fs_exists(p->state))
        return kpod_err_input(err, "pod '%s' already has a network", p->name);
    size_t n = kpod_strv_len(o->port);
    struct kpod_net_port *ports = n > 0 ? xcalloc(n, sizeof(*ports)) : NULL;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++)
        r = kpod_net_port_parse(o->port[i], &ports[i], err);
    struct kpod_net_setup_args a = {.pod_id = p->id,
                                    .pod_name = p->name,
                                    .network = o->network,
                                    .ip = NULL,
                                    .mac = o->mac,
                                    .ports = ports,
                                    .n_ports = n,
                                    .host_network = o->host_network};
    for (size_t i = 0; o->ip != NULL && o->ip[i] != NULL; i++) /* first v4, first v6 */
        if (strchr(o->ip[i], ':') != NULL ? a.ip6 == NULL : a.ip == NULL)
            *(strchr(o->ip[i], ':') != NULL ? &a.ip6 : &a.ip) = o->ip[i];
    _cleanup_net_result_ struct kpod_net_result *res = NULL;
    if (r == 0 && (res = kpod_net_setup(p->ctx, &a, err)) == NULL)
        r = -1;
    for (size_t i = 0; i < n; i++)
        free(ports[i].host_ip);
    free(ports);
    if (r < 0)
        return -1;
    if (save_result(p, res, true, err) < 0) {
        kpod_net_teardown(p->ctx, res, NULL);
        return -1;
    }
    return 0;
}

static int
do_teardown(struct net_pod *p, struct kpod_err **err)
{
    _cleanup_net_result_ struct kpod_net_result *r = load_result(p, true, err);
    if (r == NULL)
        return *err != NULL ? -1 : kpod_net_cleanup(p->ctx, p->id, p->name, err);
    if (kpod_net_teardown(p->ctx, r, err) < 0)
        return -1;
    if (unlink(p->state) < 0 && errno != ENOENT)
        return kpod_err_sys(err, "remove '%s'", p->state);
    return 0;
}

static int
read_routes(struct net_opts *o, struct kpod_net_route **ret, size_t *ret_n, struct kpod_err **err)
{
    if (o->file != NULL) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        const char *path = strcmp(o->file, "-") == 0 ? "/dev/stdin" : o->file;
        if (kpod_fs_read_file(path, 1 << 20, &buf, &len, err) < 0)
            return -1;
        _cleanup_json_ json_t *j = kpod_json_loadb(buf, len, o->file, err);
        if (j == NULL)
            return -1;
        return kpod_net_routes_from_json(j, ret, ret_n, err);
    }
    size_t n = kpod_strv_len(o->route);
    struct kpod_net_route *v = n > 0 ? xcalloc(n, sizeof(*v)) : NULL;
    for (size_t i = 0; i < n; i++)
        if (kpod_net_route_parse(o->route[i], &v[i], err) < 0) {
            kpod_net_routes_free(v, n);
            return -1;
        }
    *ret = v;
    *ret_n = n;
    return 0;
}

static json_t *
ifaces_json(const struct kpod_net_iface *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, kpod_net_iface_to_json(&v[i]));
    return a;
}

static json_t *
routes_json(const struct kpod_net_route *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, kpod_net_route_to_json(&v[i]));
    return a;
}

static int
do_iface_add(struct net_pod *p, struct kpod_net_result *r, struct net_opts *o,
             struct kpod_err **err)
{
    if (o->mtu < 0 || o->mtu > 65535)
        return kpod_err_input(err, "invalid MTU %lld", o->mtu);
    const char *net = o->network;
    if (net == NULL && o->link == NULL)
        net = strcmp(r->network, "none") == 0 ? KPOD_NET_DEFAULT : r->network;
    struct kpod_net_iface_add_args a = {.name = o->name,
                                        .mac = o->mac,
                                        .ips = o->ip,
                                        .mtu = (unsigned)o->mtu,
                                        .network = net,
                                        .link = o->link,
                                        .noarp = o->noarp};
    if (kpod_net_result_iface_add(p->ctx, r, &a, err) < 0)
        return -1;
    if (save_result(p, r, false, err) < 0)
        return -1;
    print_json(kpod_net_iface_to_json(&r->ifaces[r->n_ifaces - 1]));
    return 0;
}

static int
dispatch(struct net_pod *p, const char *verb, struct net_opts *o, struct kpod_err **err)
{
    _cleanup_net_result_ struct kpod_net_result *r = load_result(p, false, err);
    if (r == NULL)
        return -1;
    if (strcmp(verb, "show") == 0) {
        print_json(kpod_net_result_to_json(r));
        return 0;
    }
    if (strcmp(verb, "stop") == 0) /* what `pod stop` does: teardown, the result stays */
        return kpod_net_teardown(p->ctx, r, err);
    if (strcmp(verb, "start") == 0) { /* and `pod start`: everything back from the result */
        _cleanup_net_result_ struct kpod_net_result *n = kpod_net_restore(p->ctx, r, err);
        return n != NULL ? save_result(p, n, true, err) : -1;
    }
    if (strcmp(verb, "iface-add") == 0)
        return do_iface_add(p, r, o, err);
    if (strcmp(verb, "iface-rm") == 0) {
        if (o->mac == NULL && o->name == NULL)
            return kpod_err_usage(err, "iface-rm: --mac or --name required");
        if (kpod_net_result_iface_remove(p->ctx, r, o->mac, o->name, err) < 0)
            return -1;
        return save_result(p, r, false, err);
    }
    if (strcmp(verb, "iface-ls") == 0 || strcmp(verb, "route-ls") == 0) {
        if (r->host_network)
            return kpod_err_invoke(err, "pod '%s' uses the host network", p->name);
        struct kpod_net_iface *iv = NULL;
        struct kpod_net_route *rv = NULL;
        size_t n = 0;
        bool ifc = verb[0] == 'i';
        if ((ifc ? kpod_net_iface_list(r->netns_path, &iv, &n, err)
                 : kpod_net_route_list(r->netns_path, &rv, &n, err)) < 0)
            return -1;
        print_json(ifc ? ifaces_json(iv, n) : routes_json(rv, n));
        kpod_net_ifaces_free(iv, ifc ? n : 0);
        kpod_net_routes_free(rv, ifc ? 0 : n);
        return 0;
    }
    if (strcmp(verb, "route-update") == 0) {
        if (o->file == NULL && o->route == NULL)
            return kpod_err_usage(err, "route-update: --route or --file required");
        struct kpod_net_route *v = NULL;
        size_t n = 0;
        int rc = read_routes(o, &v, &n, err);
        if (rc == 0)
            rc = kpod_net_result_route_update(r, v, n, err);
        kpod_net_routes_free(v, n);
        if (rc < 0 || save_result(p, r, false, err) < 0)
            return -1;
        print_json(routes_json(r->routes, r->n_routes));
        return 0;
    }
    return kpod_err_usage(err, "__net: unknown subcommand '%s'", verb);
}

static int
run_net(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct net_opts *o = data;
    struct net_pod p = {.ctx = ctx, .name = argv[1], .lock = -1};
    _cleanup_free_ char *dir = xasprintf("%s/netdebug", ctx->runroot);
    _cleanup_free_ char *key = xasprintf("%s/%s", ctx->runroot, argv[1]);
    char d[KPOD_DIGEST_STR_LEN];
    kpod_sha256_buf(key, strlen(key), d);
    memcpy(p.id, d + 7, KPOD_DIGEST_HEX_LEN + 1);
    if (strchr(argv[1], '/') != NULL || argv[1][0] == '.')
        return kpod_err_input(err, "invalid pod name '%s'", argv[1]);
    if (kpod_fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_free_ char *state = xasprintf("%s/%s.json", dir, argv[1]);
    _cleanup_free_ char *lockp = xasprintf("%s/%s.lock", dir, argv[1]);
    p.state = state;
    _cleanup_lock_ int lock = kpod_lock_acquire(lockp, KPOD_LOCK_EXCLUSIVE, false, err);
    if (lock < 0)
        return -1;
    int r;
    if (strcmp(argv[0], "setup") == 0)
        r = do_setup(&p, o, err);
    else if (strcmp(argv[0], "teardown") == 0)
        r = do_teardown(&p, err);
    else
        r = dispatch(&p, argv[0], o, err);
    if (r < 0)
        kpod_err_prefix(err, "%s '%s'", argv[0], argv[1]);
    return r;
}

const struct kpod_cmd kpod_cmd_net_debug = {
    .name = "__net",
    .summary = "plumbing: drive the network module (tests)",
    .usage =
        "setup|teardown|show|stop|start|iface-add|iface-rm|iface-ls|route-ls|route-update NAME "
        "[options]",
    .opts = net_opts,
    .opts_size = sizeof(struct net_opts),
    .run = run_net,
    .min_args = 2,
    .max_args = 2,
    .flags = KPOD_CMD_HIDDEN,
};
