/* Unit tests for lib/network's pure parts: CIDRs, IPAM allocation (on a temp dir), route
 * parsing and ordering, Kata JSON, ports, the setup result, network configs and DNS files. */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/network.h"
#include "tap.h"

static char tmpdir[] = "/tmp/kpod-unit-network.XXXXXX";

static char *
fixture(const char *name)
{
    const char *dir = getenv("KPOD_TEST_FIXTURES");
    return xasprintf("%s/network/%s", dir != NULL ? dir : "test/unit/fixtures", name);
}

static void
test_cidr(void)
{
    struct kpod_net_cidr c, n;
    char buf[64];
    struct kpod_err *e = NULL;
    is_int(kpod_net_cidr_parse("10.88.3.7/16", true, &c, &e), 0, "v4 CIDR parses");
    is_int(c.prefix, 16, "prefix");
    kpod_net_cidr_network(&c, &n);
    is_str(kpod_net_cidr_format(&n, true, buf, sizeof(buf)), "10.88.0.0/16", "network address");
    is_int(kpod_net_cidr_parse("10.88.0.1", false, &c, &e), 0, "plain address");
    is_int(c.prefix, 32, "full prefix by default");
    ok(kpod_net_cidr_contains(&n, &c), "10.88.0.1 in 10.88.0.0/16");
    is_int(kpod_net_cidr_parse("10.88.0.0", true, &c, &e), -1, "prefix required");
    is_str(e->msg, "invalid CIDR '10.88.0.0': missing /prefix", "message");
    kpod_err_free(&e);
    is_int(kpod_net_cidr_parse("10.88.0.300/24", true, &c, &e), -1, "bad octet");
    is_str(e->msg, "invalid CIDR '10.88.0.300/24': not an IP address", "bad octet message");
    is_int(kpod_err_exit_code(e), 125, "input error exits 125");
    kpod_err_free(&e);
    is_int(kpod_net_cidr_parse("10.0.0.0/33", true, &c, &e), -1, "prefix too long");
    kpod_err_free(&e);
    is_int(kpod_net_cidr_parse("fd00::1/64", true, &c, &e), 0, "v6 CIDR");
    is_int(c.family, AF_INET6, "v6 family");
    kpod_net_cidr_network(&c, &n);
    is_str(kpod_net_cidr_format(&n, true, buf, sizeof(buf)), "fd00::/64", "v6 network");
    struct kpod_net_cidr a, b;
    kpod_net_cidr_parse("10.88.0.0/16", true, &a, NULL);
    kpod_net_cidr_parse("10.88.5.0/24", true, &b, NULL);
    ok(kpod_net_cidr_overlaps(&a, &b), "nested subnets overlap");
    kpod_net_cidr_parse("10.89.0.0/24", true, &b, NULL);
    ok(!kpod_net_cidr_overlaps(&a, &b), "disjoint subnets do not");
    kpod_net_cidr_parse("10.88.0.1/23", true, &c, NULL);
    kpod_net_cidr_network(&c, &n);
    is_str(kpod_net_cidr_format(&n, true, buf, sizeof(buf)), "10.88.0.0/23", "odd prefix");
}

static void
test_pick(void)
{
    struct kpod_err *e = NULL;
    char *ip = NULL;
    is_int(kpod_ipam_pick("10.1.0.0/29", "10.1.0.1", NULL, NULL, &ip, &e), 0, "pick");
    is_str(ip, "10.1.0.2", "skips network and gateway");
    free(ip);
    char *taken[] = {"10.1.0.2", "10.1.0.3", NULL};
    kpod_ipam_pick("10.1.0.0/29", "10.1.0.1", taken, NULL, &ip, &e);
    is_str(ip, "10.1.0.4", "skips taken addresses");
    free(ip);
    kpod_ipam_pick("10.1.0.0/29", "10.1.0.1", NULL, "10.1.0.5", &ip, &e);
    is_str(ip, "10.1.0.6", "continues after the last one");
    free(ip);
    kpod_ipam_pick("10.1.0.0/29", "10.1.0.1", NULL, "10.1.0.6", &ip, &e);
    is_str(ip, "10.1.0.2", "wraps, skipping broadcast, network, gateway");
    free(ip);
    char *full[] = {"10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6", NULL};
    is_int(kpod_ipam_pick("10.1.0.0/29", "10.1.0.1", full, NULL, &ip, &e), -1, "full subnet");
    is_str(e->msg, "subnet '10.1.0.0/29': no free address left", "full message");
    kpod_err_free(&e);
    kpod_ipam_pick("10.1.0.0/29", "10.1.0.6", NULL, "10.1.0.5", &ip, &e);
    is_str(ip, "10.1.0.1", "gateway elsewhere: .1 is free");
    free(ip);
    is_int(kpod_ipam_pick("fd00:1::/64", "fd00:1::1", NULL, NULL, &ip, &e), 0, "v6 pick");
    is_str(ip, "fd00:1::2", "v6: skips the anycast address and the gateway");
    free(ip);
    char *taken6[] = {"fd00:1::2", NULL};
    kpod_ipam_pick("fd00:1::/64", "fd00:1::1", taken6, "fd00:1::ff", &ip, &e);
    is_str(ip, "fd00:1::100", "v6: continues after the last one, carrying into the next byte");
    free(ip);
    kpod_ipam_pick("fd00:1::/126", "fd00:1::1", taken6, "fd00:1::2", &ip, &e);
    is_str(ip, "fd00:1::3", "v6 /126");
    free(ip);
    char *full6[] = {"fd00:1::2", "fd00:1::3", NULL};
    is_int(kpod_ipam_pick("fd00:1::/126", "fd00:1::1", full6, NULL, &ip, &e), -1, "v6 full");
    kpod_err_free(&e);
}

static struct kpod_net_config *
test_net(struct kpod_ctx *ctx)
{
    struct kpod_err *e = NULL;
    struct kpod_net_create_args a = {
        .name = "unit", .subnet = "10.201.0.0/28", .bridge = "kpunit0"};
    struct kpod_net_config *c = kpod_net_config_create(ctx, &a, &e);
    ok(c != NULL, "network created");
    if (c == NULL)
        diag("%s", e->msg);
    kpod_err_free(&e);
    return c;
}

static void
test_ipam(struct kpod_ctx *ctx, const struct kpod_net_config *c)
{
    struct kpod_err *e = NULL;
    char *a = NULL, *b = NULL, *s = NULL;
    is_int(kpod_ipam_allocate(ctx, c, "pod-a", NULL, &a, &e), 0, "allocate a");
    is_int(kpod_ipam_allocate(ctx, c, "pod-b", NULL, &b, &e), 0, "allocate b");
    is_str(a, "10.201.0.2", "first address");
    is_str(b, "10.201.0.3", "second address");
    is_int(kpod_ipam_allocate(ctx, c, "pod-c", "10.201.0.3", &s, &e), -1, "static taken");
    is_str(e->msg, "address '10.201.0.3' is already allocated to pod 'pod-b'", "taken message");
    kpod_err_free(&e);
    is_int(kpod_ipam_allocate(ctx, c, "pod-c", "10.201.0.1", &s, &e), -1, "gateway refused");
    kpod_err_free(&e);
    is_int(kpod_ipam_allocate(ctx, c, "pod-c", "10.201.1.1", &s, &e), -1, "outside refused");
    kpod_err_free(&e);
    is_int(kpod_ipam_allocate(ctx, c, "pod-c", "10.201.0.9", &s, &e), 0, "static free");
    is_int(kpod_ipam_count(ctx, "unit", &e), 3, "three allocated");
    is_int(kpod_ipam_release(ctx, "unit", "pod-a", NULL, &e), 0, "release by owner");
    is_int(kpod_ipam_release(ctx, "unit", "pod-a", NULL, &e), 0, "release twice is fine");
    is_int(kpod_ipam_release(ctx, "unit", "pod-x", "10.201.0.3", &e), 0, "wrong owner");
    is_int(kpod_ipam_count(ctx, "unit", &e), 2, "wrong owner frees nothing");
    free(a);
    free(b);
    free(s);
    kpod_ipam_release(ctx, "unit", NULL, NULL, &e);
    is_int(kpod_ipam_count(ctx, "unit", &e), 0, "all released");
}

/* Eight processes allocate concurrently; every address is distinct. */
static void
test_ipam_concurrent(struct kpod_ctx *ctx, const struct kpod_net_config *c)
{
    int fds[2];
    if (pipe(fds) < 0)
        return;
    for (int i = 0; i < 8; i++) {
        if (fork() == 0) {
            close(fds[0]);
            char owner[16], *ip = NULL;
            snprintf(owner, sizeof(owner), "p%d", i);
            struct kpod_err *e = NULL;
            char line[32] = "fail\n";
            if (kpod_ipam_allocate(ctx, c, owner, NULL, &ip, &e) == 0)
                snprintf(line, sizeof(line), "%-15s\n", ip);
            if (write(fds[1], line, strlen(line)) < 0)
                _exit(1);
            _exit(0);
        }
    }
    close(fds[1]);
    for (int i = 0; i < 8; i++)
        wait(NULL);
    char buf[512] = "";
    ssize_t n = kpod_fs_read_all(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = '\0';
    char **lines = kpod_strv_split(buf, "\n", true);
    is_int((int)kpod_strv_len(lines), 8, "eight allocations");
    int dup = 0;
    for (size_t i = 0; lines != NULL && lines[i]; i++)
        for (size_t k = i + 1; lines[k]; k++)
            dup += strcmp(lines[i], lines[k]) == 0;
    is_int(dup, 0, "no address handed out twice");
    ok(strstr(buf, "fail") == NULL, "no allocation failed");
    struct kpod_err *e = NULL;
    is_int(kpod_ipam_count(ctx, "unit", &e), 8, "eight recorded");
    kpod_strv_free(lines);
}

static void
test_config(struct kpod_ctx *ctx)
{
    struct kpod_err *e = NULL;
    struct kpod_net_create_args dup = {.name = "unit", .subnet = "10.202.0.0/24"};
    ok(kpod_net_config_create(ctx, &dup, &e) == NULL, "duplicate name refused");
    is_str(e->msg, "network name 'unit' already used", "duplicate message");
    kpod_err_free(&e);
    struct kpod_net_create_args ov = {.name = "ov", .subnet = "10.201.0.0/16"};
    ok(kpod_net_config_create(ctx, &ov, &e) == NULL, "overlap refused");
    kpod_err_free(&e);
    struct kpod_net_create_args bad = {
        .name = "bad", .subnet = "10.203.0.0/24", .gateway = "10.203.0.255"};
    ok(kpod_net_config_create(ctx, &bad, &e) == NULL, "broadcast gateway refused");
    kpod_err_free(&e);
    struct kpod_net_create_args v6 = {
        .name = "six", .subnet = "10.204.0.0/24", .subnet6 = "fd00:204::9/64", .bridge = "kpunit6"};
    struct kpod_net_config *c6 = kpod_net_config_create(ctx, &v6, &e);
    ok(c6 != NULL && strcmp(c6->subnet6, "fd00:204::/64") == 0, "v6 subnet canonicalised");
    ok(c6 != NULL && strcmp(c6->gateway6, "fd00:204::1") == 0, "v6 gateway defaults to ::1");
    kpod_net_config_free(c6);
    struct kpod_net_create_args ula = {
        .name = "ula", .subnet = "10.205.0.0/24", .ipv6 = true, .bridge = "kpunit7"};
    c6 = kpod_net_config_create(ctx, &ula, &e);
    ok(c6 != NULL && kpod_str_has_prefix(c6->subnet6, "fd") &&
           kpod_str_has_suffix(c6->subnet6, "::/64"),
       "--ipv6 picks a ULA /64");
    kpod_net_config_free(c6);
    struct kpod_net_create_args bad6 = {
        .name = "bad6", .subnet = "10.206.0.0/24", .subnet6 = "fd00:206::/32"};
    ok(kpod_net_config_create(ctx, &bad6, &e) == NULL, "v6 prefix too short refused");
    kpod_err_free(&e);
    struct kpod_net_create_args def = {.name = "auto"};
    struct kpod_net_config *c = kpod_net_config_create(ctx, &def, &e);
    ok(c != NULL && strcmp(c->subnet, "10.89.0.0/24") == 0, "auto subnet 10.89.0.0/24");
    ok(c != NULL && strcmp(c->gateway, "10.89.0.1") == 0, "auto gateway");
    kpod_net_config_free(c);
    size_t n = 0;
    struct kpod_net_config **v = kpod_net_config_list(ctx, &n, &e);
    is_int((int)n, 5, "default + four");
    is_str(v[0]->name, "kpod", "default first");
    is_str(v[0]->bridge, "kpod0", "default bridge");
    is_str(v[1]->name, "auto", "sorted");
    kpod_net_config_list_free(v, n);
    ok(kpod_net_config_load(ctx, "nope", &e) == NULL, "unknown network");
    is_int(kpod_err_exit_code(e), 127, "unknown exits 127");
    kpod_err_free(&e);
}

static void
test_routes(void)
{
    struct kpod_err *e = NULL;
    struct kpod_net_route r = {0};
    is_int(kpod_net_route_parse("dest=10.5.0.0/16,gw=10.0.0.1,dev=eth0,scope=link", &r, &e), 0,
           "route spec");
    is_str(r.dest, "10.5.0.0/16", "dest");
    is_str(r.gateway, "10.0.0.1", "gw");
    is_int(r.scope, RT_SCOPE_LINK, "scope by name");
    kpod_net_route_clear(&r);
    is_int(kpod_net_route_parse("dest=default,gw=fd00::1", &r, &e), 0, "v6 default");
    ok(r.dest == NULL && r.family == AF_INET6, "default dest, family from gateway");
    kpod_net_route_clear(&r);
    is_int(kpod_net_route_parse("dest=10.5.0.0/16,via=1.2.3.4", &r, &e), -1, "unknown key");
    is_str(e->msg, "invalid route 'dest=10.5.0.0/16,via=1.2.3.4': unknown key 'via'", "msg");
    kpod_err_free(&e);
    is_int(kpod_net_route_parse("dest=10.5.0.0/16,gw=fd00::1", &r, &e), -1, "mixed families");
    kpod_err_free(&e);
    _cleanup_free_ char *path = fixture("routes.json");
    json_t *j = kpod_json_load_file(path, 1 << 16, &e);
    struct kpod_net_route *v = NULL;
    size_t n = 0;
    is_int(kpod_net_routes_from_json(j, &v, &n, &e), 0, "Kata routes file");
    is_int((int)n, 4, "four routes");
    kpod_net_routes_sort_for_add(v, n);
    is_str(v[0].dest, "10.60.0.0/16", "gateway-less first");
    is_str(v[1].dest, "fd00:1::/64", "then the next gateway-less, in input order");
    is_str(v[2].dest, "10.50.0.0/16", "then gateway routes in input order");
    ok(v[3].dest == NULL, "default last");
    is_int(v[1].family, AF_INET6, "v6 from the address");
    json_t *o = kpod_net_route_to_json(&v[1]);
    is_int((int)kpod_json_int(o, "family", -1), 1, "v6 written as 1 (agent protocol)");
    is_str(kpod_json_str(o, "source"), "fd00::5", "source kept");
    json_decref(o);
    kpod_net_routes_free(v, n);
    json_decref(j);
}

static void
test_iface_json(void)
{
    struct kpod_err *e = NULL;
    _cleanup_free_ char *path = fixture("interface.json");
    json_t *j = kpod_json_load_file(path, 1 << 16, &e);
    struct kpod_net_iface i = {0};
    is_int(kpod_net_iface_from_json(j, &i, &e), 0, "Kata interface parses");
    is_str(i.name, "eth1", "name");
    is_str(i.hwaddr, "02:42:ac:11:00:02", "hwAddr");
    is_int((int)i.mtu, 1400, "mtu");
    ok(i.noarp, "raw_flags NOARP");
    is_int((int)i.n_addrs, 2, "two addresses");
    is_int(i.addrs[1].family, AF_INET6, "v6 address");
    is_int((int)i.addrs[1].prefix, 64, "mask as prefix");
    json_t *o = kpod_net_iface_to_json(&i);
    json_t *a = json_array_get(json_object_get(o, "IPAddresses"), 0);
    is_str(kpod_json_str(a, "mask"), "24", "mask written as a string");
    is_str(kpod_json_str(o, "hwAddr"), "02:42:ac:11:00:02", "hwAddr written");
    json_decref(o);
    kpod_net_iface_clear(&i);
    json_decref(j);
    j = json_pack("{s:s, s:[{s:s, s:s}]}", "name", "eth2", "IPAddresses", "address", "10.0.0.x",
                  "mask", "24");
    is_int(kpod_net_iface_from_json(j, &i, &e), -1, "bad address refused");
    is_str(e->msg, "interface 'eth2': invalid address '10.0.0.x/24': not an IP address", "msg");
    kpod_err_free(&e);
    json_decref(j);
}

static void
test_ports_result(void)
{
    struct kpod_err *e = NULL;
    struct kpod_net_port p = {0};
    is_int(kpod_net_port_parse("18080:8080", &p, &e), 0, "port");
    ok(p.host_port == 18080 && p.container_port == 8080 && !strcmp(p.protocol, "tcp"), "tcp");
    is_int(kpod_net_port_parse("127.0.0.1:5353:53/udp", &p, &e), 0, "host ip + udp");
    is_str(p.host_ip, "127.0.0.1", "host ip");
    is_str(p.protocol, "udp", "udp");
    is_int(kpod_net_port_parse("0:80", &p, &e), -1, "port 0 refused");
    kpod_err_free(&e);
    is_int(kpod_net_port_parse("80:80/sctp", &p, &e), -1, "sctp refused");
    kpod_err_free(&e);
    struct kpod_net_result *r = xzalloc(sizeof(*r));
    r->pod_id = xstrdup("abc");
    r->pod_name = xstrdup("web");
    r->netns_path = xstrdup("/run/kpod/netns/web");
    r->network = xstrdup("kpod");
    r->ip = xstrdup("10.88.0.2");
    r->nft_table = xstrdup("kpod-x");
    r->ports = xcalloc(1, sizeof(*r->ports));
    r->ports[0] = p;
    r->n_ports = 1;
    r->ifaces = xcalloc(1, sizeof(*r->ifaces));
    r->ifaces[0].name = xstrdup("eth0");
    r->ifaces[0].host_veth = xstrdup("veth0123456789");
    r->ifaces[0].network = xstrdup("kpod");
    r->n_ifaces = 1;
    json_t *j = kpod_net_result_to_json(r);
    struct kpod_net_result *back = kpod_net_result_from_json(j, &e);
    json_t *j2 = kpod_net_result_to_json(back);
    ok(json_equal(j, j2), "result survives a JSON round trip");
    is_str(back->ifaces[0].host_veth, "veth0123456789", "bookkeeping kept");
    is_str(back->ports[0].host_ip, "127.0.0.1", "port kept");
    json_decref(j);
    json_decref(j2);
    kpod_net_result_free(back);
    kpod_net_result_free(r);
}

static void
test_dns(void)
{
    char *al1[] = {"foo.local", "bar.local", NULL};
    struct kpod_dns_host_alias al[] = {{"10.1.2.3", al1}};
    struct kpod_dns_hosts_args h = {
        .hostname = "web", .ip = "10.88.0.2", .aliases = al, .n_aliases = 1};
    _cleanup_free_ char *hosts = kpod_dns_hosts(&h);
    ok(strstr(hosts, "127.0.0.1\tlocalhost\n") != NULL, "localhost");
    ok(strstr(hosts, "\n10.88.0.2\tweb\n") != NULL, "own name and IP");
    ok(strstr(hosts, "# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n"),
       "hostAliases");
    h.domain = "sub.default.svc.cluster.local";
    h.n_aliases = 0;
    _cleanup_free_ char *hosts2 = kpod_dns_hosts(&h);
    ok(strstr(hosts2, "10.88.0.2\tweb.sub.default.svc.cluster.local\tweb\n") != NULL, "FQDN");
    ok(strstr(hosts2, "HostAliases") == NULL, "no alias section without aliases");
    _cleanup_free_ char *hn = kpod_dns_hostname("web");
    is_str(hn, "web\n", "hostname file");

    struct kpod_err *e = NULL;
    _cleanup_free_ char *path = fixture("resolv.conf");
    _cleanup_free_ char *host = NULL;
    size_t len = 0;
    kpod_fs_read_file(path, 1 << 16, &host, &len, &e);
    struct kpod_dns_config c = {0};
    char *out = NULL;
    is_int(kpod_dns_resolv_conf(host, &c, &out, &e), 0, "from the host");
    is_str(out,
           "search corp.example.org example.org\nnameserver 192.0.2.53\n"
           "nameserver 2001:db8::53\noptions ndots:1 edns0\n",
           "loopback resolvers dropped, rest kept");
    free(out);
    char *ns[] = {"10.0.0.10", NULL}, *se[] = {"svc.local", NULL};
    char *op[] = {"ndots:5", "timeout:2", NULL};
    c.nameservers = ns;
    c.searches = se;
    c.options = op;
    kpod_dns_resolv_conf(host, &c, &out, &e);
    is_str(out,
           "search corp.example.org example.org svc.local\nnameserver 192.0.2.53\n"
           "nameserver 2001:db8::53\nnameserver 10.0.0.10\noptions ndots:5 edns0 timeout:2\n",
           "dnsConfig merged, options by name, three nameservers at most");
    free(out);
    c.policy = "None";
    kpod_dns_resolv_conf(host, &c, &out, &e);
    is_str(out, "search svc.local\nnameserver 10.0.0.10\noptions ndots:5 timeout:2\n",
           "policy None: only dnsConfig");
    free(out);
    struct kpod_dns_config lo = {.host_network = false};
    kpod_dns_resolv_conf("nameserver 127.0.0.53\n", &lo, &out, &e);
    is_str(out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n", "only loopback: public fallback");
    free(out);
    lo.host_network = true;
    kpod_dns_resolv_conf("nameserver 127.0.0.53\n", &lo, &out, &e);
    is_str(out, "nameserver 127.0.0.53\n", "host network keeps loopback");
    free(out);
    struct kpod_dns_config bad = {.policy = "Cluster"};
    is_int(kpod_dns_resolv_conf("", &bad, &out, &e), -1, "unknown policy");
    is_str(e->msg, "dnsPolicy: unknown value 'Cluster'", "policy message");
    kpod_err_free(&e);
    struct kpod_dns_config none = {.policy = "None"};
    is_int(kpod_dns_resolv_conf("", &none, &out, &e), -1, "None without nameservers");
    kpod_err_free(&e);
}

int
main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    char *root = xasprintf("%s/root", tmpdir), *run = xasprintf("%s/run", tmpdir);
    struct kpod_ctx ctx = {.root = root, .runroot = run};
    test_cidr();
    test_pick();
    struct kpod_net_config *c = test_net(&ctx);
    if (c != NULL) {
        test_ipam(&ctx, c);
        test_ipam_concurrent(&ctx, c);
        kpod_net_config_free(c);
    }
    test_config(&ctx);
    test_routes();
    test_iface_json();
    test_ports_result();
    test_dns();
    struct kpod_err *e = NULL;
    kpod_fs_rm_rf(tmpdir, &e);
    free(root);
    free(run);
    return tap_done();
}
