/* /etc/hosts, /etc/hostname and /etc/resolv.conf content for a pod. Pure. */
#include "network/network.h"

#include <stdarg.h>
#include <string.h>

static void cat(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cat(char **buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *s = xvasprintf(fmt, ap);
    va_end(ap);
    char *n = xasprintf("%s%s", *buf != NULL ? *buf : "", s);
    free(*buf);
    *buf = n;
}

char *
kpod_dns_hosts(const struct kpod_dns_hosts_args *a)
{
    char *s = xstrdup("# Kubernetes-managed hosts file (kpod).\n"
                      "127.0.0.1\tlocalhost\n"
                      "::1\tlocalhost ip6-localhost ip6-loopback\n"
                      "fe00::0\tip6-localnet\n"
                      "fe00::0\tip6-mcastprefix\n"
                      "fe00::1\tip6-allnodes\n"
                      "fe00::2\tip6-allrouters\n");
    const char *ip = a->ip != NULL && *a->ip != '\0' ? a->ip : "127.0.1.1";
    if (a->hostname != NULL && *a->hostname != '\0') {
        if (a->domain != NULL && *a->domain != '\0')
            cat(&s, "%s\t%s.%s\t%s\n", ip, a->hostname, a->domain, a->hostname);
        else
            cat(&s, "%s\t%s\n", ip, a->hostname);
    }
    if (a->n_aliases > 0)
        cat(&s, "\n# Entries added by HostAliases.\n");
    for (size_t i = 0; i < a->n_aliases; i++) {
        _cleanup_free_ char *names = kpod_strv_join(a->aliases[i].hostnames, "\t");
        cat(&s, "%s\t%s\n", a->aliases[i].ip, names);
    }
    return s;
}

char *
kpod_dns_hostname(const char *hostname)
{
    return xasprintf("%s\n", hostname != NULL ? hostname : "");
}

static bool
loopback(const char *ns)
{
    struct kpod_net_cidr c, lo4, lo6;
    if (kpod_net_cidr_parse(ns, false, &c, NULL) < 0)
        return false;
    kpod_net_cidr_parse("127.0.0.0/8", true, &lo4, NULL);
    kpod_net_cidr_parse("::1/128", true, &lo6, NULL);
    return kpod_net_cidr_contains(&lo4, &c) || kpod_net_cidr_contains(&lo6, &c);
}

struct resolv {
    char **ns, **search, **opts;
};

static void
resolv_free(struct resolv *r)
{
    kpod_strv_free(r->ns);
    kpod_strv_free(r->search);
    kpod_strv_free(r->opts);
}

static void
push_unique(char ***v, const char *s)
{
    if (!kpod_strv_contains(*v, s))
        kpod_strv_push(v, s);
}

/* An option replaces one of the same name ("ndots:5" replaces "ndots:1"). */
static void
push_option(char ***v, const char *opt)
{
    size_t klen = strcspn(opt, ":");
    for (size_t i = 0; *v != NULL && (*v)[i] != NULL; i++)
        if (strncmp((*v)[i], opt, klen) == 0 && strcspn((*v)[i], ":") == klen) {
            free((*v)[i]);
            (*v)[i] = xstrdup(opt);
            return;
        }
    kpod_strv_push(v, opt);
}

static void
parse_host(const char *host, bool keep_loopback, struct resolv *r)
{
    _cleanup_strv_ char **lines = kpod_strv_split(host != NULL ? host : "", "\n", true);
    char **domain = NULL;
    for (size_t i = 0; lines != NULL && lines[i] != NULL; i++) {
        _cleanup_strv_ char **f = kpod_strv_split(lines[i], " \t", true);
        if (f == NULL || f[0] == NULL || f[0][0] == '#' || f[0][0] == ';')
            continue;
        if (strcmp(f[0], "nameserver") == 0 && f[1] != NULL) {
            if (keep_loopback || !loopback(f[1]))
                push_unique(&r->ns, f[1]);
        } else if (strcmp(f[0], "search") == 0) {
            kpod_strv_free(r->search); /* the last search line wins, as in resolv.conf(5) */
            r->search = kpod_strv_dup(f + 1);
        } else if (strcmp(f[0], "domain") == 0 && f[1] != NULL) {
            kpod_strv_free(domain);
            domain = kpod_strv_dup(f + 1);
        } else if (strcmp(f[0], "options") == 0) {
            for (size_t k = 1; f[k] != NULL; k++)
                push_option(&r->opts, f[k]);
        }
    }
    if (r->search == NULL)
        r->search = domain;
    else
        kpod_strv_free(domain);
}

int
kpod_dns_resolv_conf(const char *host, const struct kpod_dns_config *c, char **ret,
                     struct kpod_err **err)
{
    const char *policy = c->policy != NULL ? c->policy : "ClusterFirst";
    bool none = strcmp(policy, "None") == 0;
    if (!none && strcmp(policy, "ClusterFirst") != 0 && strcmp(policy, "Default") != 0 &&
        strcmp(policy, "ClusterFirstWithHostNet") != 0)
        return kpod_err_input(err, "dnsPolicy: unknown value '%s'", policy);
    if (none && kpod_strv_len(c->nameservers) == 0)
        return kpod_err_input(err, "dnsPolicy 'None' needs dnsConfig.nameservers");
    struct resolv r = {0};
    if (!none)
        parse_host(host, c->host_network, &r);
    for (size_t i = 0; c->nameservers != NULL && c->nameservers[i] != NULL; i++)
        push_unique(&r.ns, c->nameservers[i]);
    for (size_t i = 0; c->searches != NULL && c->searches[i] != NULL; i++)
        push_unique(&r.search, c->searches[i]);
    for (size_t i = 0; c->options != NULL && c->options[i] != NULL; i++)
        push_option(&r.opts, c->options[i]);
    if (r.ns == NULL) {
        /* like podman when the host only has loopback resolvers */
        kpod_strv_push(&r.ns, "8.8.8.8");
        kpod_strv_push(&r.ns, "8.8.4.4");
    }
    char *s = xstrdup("");
    size_t nsearch = kpod_strv_len(r.search);
    if (nsearch > 0) {
        cat(&s, "search");
        size_t len = 6;
        for (size_t i = 0; i < nsearch && i < 32 && len + strlen(r.search[i]) < 2048; i++) {
            cat(&s, " %s", r.search[i]);
            len += 1 + strlen(r.search[i]);
        }
        cat(&s, "\n");
    }
    for (size_t i = 0; r.ns[i] != NULL && i < 3; i++)
        cat(&s, "nameserver %s\n", r.ns[i]);
    if (r.opts != NULL) {
        _cleanup_free_ char *o = kpod_strv_join(r.opts, " ");
        cat(&s, "options %s\n", o);
    }
    resolv_free(&r);
    *ret = s;
    return 0;
}
