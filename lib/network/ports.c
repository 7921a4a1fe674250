/* hostPort forwarding and outbound NAT with nftables through libnftables.
 *
 * Why nftables and not a userspace forwarder: the kernel forwards without a process per pod
 * (kpod is daemonless; a forwarder would have to live in the monitor and die with it), source
 * addresses are preserved for external clients, and UDP works the same as TCP. Every pod's
 * rules live in a table of their own (`ip kpod-<id>`), so removing the pod is one atomic
 * `delete table` and nothing can be left behind in shared chains. Each network has one table
 * (`ip kpod-net-<bridge>`) for the masquerade of its subnet, removed with the bridge. */
#include "network/internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <string.h>

KPOD_DEFINE_CLEANUP(struct nft_ctx, nft_ctx_free)

/* Runs cmds; with ret_out, returns what nft printed. */
static int
nft_run_out(const char *cmds, char **ret_out, struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_nft_ctx_free) struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (nft == NULL)
        return kpod_err_msg(err, "nftables: cannot create a context");
    nft_ctx_buffer_output(nft);
    nft_ctx_buffer_error(nft);
    if (nft_run_cmd_from_buffer(nft, cmds) != 0) {
        const char *e = nft_ctx_get_error_buffer(nft);
        _cleanup_free_ char *line = xstrdup(e != NULL ? e : "failed");
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        kpod_debug("nft input:\n%s", cmds);
        return kpod_err_msg(err, "nftables: %s", line);
    }
    if (ret_out != NULL) {
        const char *o = nft_ctx_get_output_buffer(nft);
        *ret_out = xstrdup(o != NULL ? o : "");
    }
    return 0;
}

int
kpod_nft_run(const char *cmds, struct kpod_err **err)
{
    return nft_run_out(cmds, NULL, err);
}

char *
kpod_nft_pod_table(const char *pod_id)
{
    char d[KPOD_DIGEST_STR_LEN];
    kpod_sha256_buf(pod_id, strlen(pod_id), d);
    return xasprintf("kpod-%.16s", d + 7);
}

int
kpod_nft_table_delete(const char *table, struct kpod_err **err)
{
    if (table == NULL || *table == '\0')
        return 0;
    /* "add" first makes the delete succeed when the table is already gone */
    _cleanup_free_ char *cmd = xasprintf("add table ip %s\ndelete table ip %s\n", table, table);
    return kpod_nft_run(cmd, err);
}

int
kpod_nft_table6_delete(const char *table, struct kpod_err **err)
{
    _cleanup_free_ char *cmd = xasprintf("add table ip6 %s\ndelete table ip6 %s\n", table, table);
    return kpod_nft_run(cmd, err);
}

static void append(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
append(char **buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *s = xvasprintf(fmt, ap);
    va_end(ap);
    char *n = xasprintf("%s%s", *buf != NULL ? *buf : "", s);
    free(*buf);
    *buf = n;
}

int
kpod_nft_ports_add(const char *table, const char *pod_ip, const char *bridge,
                   const struct kpod_net_port *ports, size_t n, struct kpod_err **err)
{
    _cleanup_free_ char *c = NULL;
    append(&c, "add table ip %s\nflush table ip %s\n", table, table);
    append(&c, "add chain ip %s prerouting { type nat hook prerouting priority dstnat; }\n", table);
    append(&c, "add chain ip %s output { type nat hook output priority -100; }\n", table);
    append(&c, "add chain ip %s postrouting { type nat hook postrouting priority srcnat; }\n",
           table);
    for (size_t i = 0; i < n; i++) {
        const struct kpod_net_port *p = &ports[i];
        _cleanup_free_ char *match = p->host_ip != NULL && *p->host_ip != '\0'
                                         ? xasprintf("ip daddr %s", p->host_ip)
                                         : xstrdup("fib daddr type local");
        const char *chains[] = {"prerouting", "output"};
        for (size_t k = 0; k < 2; k++)
            append(&c, "add rule ip %s %s %s %s dport %u dnat to %s:%u\n", table, chains[k], match,
                   p->protocol, p->host_port, pod_ip, p->container_port);
    }
    /* replies to 127.0.0.1 clients and hairpin clients must come back through the host */
    append(&c,
           "add rule ip %s postrouting oifname \"%s\" ip saddr 127.0.0.0/8 ip daddr %s "
           "masquerade\n",
           table, bridge, pod_ip);
    append(&c, "add rule ip %s postrouting oifname \"%s\" ip saddr %s ip daddr %s masquerade\n",
           table, bridge, pod_ip, pod_ip);
    return kpod_nft_run(c, err);
}

int
kpod_nft_nat_add(const char *bridge, const char *subnet, struct kpod_err **err)
{
    bool v6 = strchr(subnet, ':') != NULL;
    const char *fam = v6 ? "ip6" : "ip";
    _cleanup_free_ char *c = NULL;
    _cleanup_free_ char *t = xasprintf("kpod-net-%s", bridge);
    append(&c, "add table %s %s\nflush table %s %s\n", fam, t, fam, t);
    append(&c, "add chain %s %s postrouting { type nat hook postrouting priority srcnat; }\n", fam,
           t);
    append(&c, "add rule %s %s postrouting %s saddr %s %s daddr != %s masquerade\n", fam, t, fam,
           subnet, fam, subnet);
    return kpod_nft_run(c, err);
}

/* Is the port taken on the host? A listening socket makes bind fail with EADDRINUSE, an
 * address the host does not have with EADDRNOTAVAIL. Returns that errno or 0. */
static int
port_busy_on_host(const struct kpod_net_port *p)
{
    bool udp = strcmp(p->protocol, "udp") == 0;
    _cleanup_close_ int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->host_port)};
    if (p->host_ip != NULL && *p->host_ip != '\0')
        inet_pton(AF_INET, p->host_ip, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
        (errno == EADDRINUSE || errno == EADDRNOTAVAIL))
        return errno;
    return 0;
}

/* The hostPort rules of every kpod pod on the host, whatever its runroot. */
static char *
kpod_rules(void)
{
    char *tables = NULL;
    if (nft_run_out("list tables ip", &tables, NULL) < 0)
        return xstrdup("");
    _cleanup_strv_ char **lines = kpod_strv_split(tables, "\n", true);
    free(tables);
    char *all = xstrdup("");
    for (size_t i = 0; lines != NULL && lines[i] != NULL; i++) {
        const char *t = strstr(lines[i], "table ip kpod-");
        if (t == NULL || strncmp(t + 9, "kpod-net-", 9) == 0)
            continue;
        _cleanup_free_ char *cmd = xasprintf("list table ip %s", t + 9);
        _cleanup_free_ char *out = NULL;
        if (nft_run_out(cmd, &out, NULL) == 0) {
            char *n = xasprintf("%s%s", all, out);
            free(all);
            all = n;
        }
    }
    return all;
}

int
kpod_nft_ports_check(const struct kpod_net_port *ports, size_t n, struct kpod_err **err)
{
    _cleanup_free_ char *rules = n > 0 ? kpod_rules() : NULL;
    for (size_t i = 0; i < n; i++) {
        const struct kpod_net_port *p = &ports[i];
        for (size_t k = 0; k < i; k++)
            if (ports[k].host_port == p->host_port && !strcmp(ports[k].protocol, p->protocol))
                return kpod_err_input(err, "hostPort %u/%s given twice", p->host_port, p->protocol);
        _cleanup_free_ char *needle = xasprintf(" %s dport %u dnat", p->protocol, p->host_port);
        if (strstr(rules, needle) != NULL)
            return kpod_err_input(err, "hostPort %u/%s is already published by another pod",
                                  p->host_port, p->protocol);
        int busy = port_busy_on_host(p);
        if (busy == EADDRNOTAVAIL)
            return kpod_err_input(err, "hostIP '%s' is not an address of this host", p->host_ip);
        if (busy != 0)
            return kpod_err_input(err, "hostPort %u/%s is in use on the host", p->host_port,
                                  p->protocol);
    }
    return 0;
}
