/* libkpod's network module: a pod's network namespace, bridge + veth, address allocation,
 * hostPort forwarding (nftables), interface and route operations (Kata's AddInterface,
 * RemoveInterface, ListInterfaces, UpdateRoutes, ListRoutes), and the DNS files.
 *
 * The sandbox calls kpod_net_setup() as a pipeline step, persists the result
 * (kpod_net_result_to_json) in the pod state, and hands it back to kpod_net_teardown(), which is
 * idempotent and works from the persisted result alone (after a crash or kill -9 too). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define KPOD_NET_DEFAULT "kpod"
#define KPOD_NET_DEFAULT_BRIDGE "kpod0"
#define KPOD_NET_DEFAULT_SUBNET "10.88.0.0/16"

/* ---- addresses (cidr.c) ---- */
struct kpod_net_cidr {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network byte order; v4 uses the first 4 bytes */
    unsigned prefix;  /* 0..32 or 0..128 */
};

/* Parses "A", "A/L" (want_prefix false: L optional, defaults to the full length) or requires
 * "A/L" when want_prefix. Errors name the input. */
int kpod_net_cidr_parse(const char *s, bool want_prefix, struct kpod_net_cidr *ret,
                        struct kpod_err **err);
/* "A/L" (with_prefix) or "A"; buf of at least 64 bytes. */
const char *kpod_net_cidr_format(const struct kpod_net_cidr *c, bool with_prefix, char *buf,
                                 size_t len);
/* The network address (host bits cleared). */
void kpod_net_cidr_network(const struct kpod_net_cidr *c, struct kpod_net_cidr *ret);
bool kpod_net_cidr_contains(const struct kpod_net_cidr *net, const struct kpod_net_cidr *addr);
bool kpod_net_cidr_overlaps(const struct kpod_net_cidr *a, const struct kpod_net_cidr *b);

/* ---- network configurations (config.c) ---- */
struct kpod_net_config {
    char *name;     /* "kpod" or a name from `kpod network create` */
    char *driver;   /* "bridge" */
    char *bridge;   /* host bridge, e.g. kpod0 */
    char *subnet;   /* CIDR, network address */
    char *gateway;  /* the bridge address */
    char *created;  /* RFC 3339 */
    char *id;       /* 64 hex */
    char *subnet6;  /* optional IPv6 subnet (dual stack), NULL if none */
    char *gateway6; /* its gateway on the bridge */
};

void kpod_net_config_free(struct kpod_net_config *c);
KPOD_DEFINE_CLEANUP(struct kpod_net_config, kpod_net_config_free)
#define _cleanup_net_config_ _cleanup_(kpod_cleanup_kpod_net_config_free)

struct kpod_net_create_args {
    const char *name;
    const char *subnet;   /* NULL: the first free 10.89.N.0/24 */
    const char *gateway;  /* NULL: first host address */
    const char *bridge;   /* NULL: the first free kpodN */
    const char *subnet6;  /* IPv6 subnet (prefix 64-120), or NULL */
    const char *gateway6; /* NULL: first host address of subnet6 */
    bool ipv6;            /* dual stack: subnet6 NULL picks a ULA fdXX:XXXX:XXXX::/64 */
};
/* Validates and stores root/networks/<name>.json; refuses duplicates and overlapping
 * subnets. */
struct kpod_net_config *kpod_net_config_create(struct kpod_ctx *ctx,
                                               const struct kpod_net_create_args *args,
                                               struct kpod_err **err);
/* The built-in default network or a stored one; NOTFOUND for an unknown name. */
struct kpod_net_config *kpod_net_config_load(struct kpod_ctx *ctx, const char *name,
                                             struct kpod_err **err);
/* All networks, the default first; *ret_n set. */
struct kpod_net_config **kpod_net_config_list(struct kpod_ctx *ctx, size_t *ret_n,
                                              struct kpod_err **err);
void kpod_net_config_list_free(struct kpod_net_config **v, size_t n);
/* Removes a stored network (not the default); refused while pods use it unless force. */
int kpod_net_config_remove(struct kpod_ctx *ctx, const char *name, bool force,
                           struct kpod_err **err);
json_t *kpod_net_config_to_json(const struct kpod_net_config *c);
/* Parses a stored configuration (validating it). */
struct kpod_net_config *kpod_net_config_from_json(const json_t *j, struct kpod_err **err);

/* ---- address allocation (ipam.c): runroot/networks/<net>/ipam.json under flock ---- */
/* Allocates an address of the network for owner (the pod id); a static one when want_ip is
 * set. Returns the address without prefix in *ret_ip (caller frees). */
int kpod_ipam_allocate(struct kpod_ctx *ctx, const struct kpod_net_config *net, const char *owner,
                       const char *want_ip, char **ret_ip, struct kpod_err **err);
/* The same in the network's IPv6 subnet. */
int kpod_ipam_allocate6(struct kpod_ctx *ctx, const struct kpod_net_config *net, const char *owner,
                        const char *want_ip, char **ret_ip, struct kpod_err **err);
/* Releases ip (or, with ip NULL, every address of owner). A missing entry is fine. */
int kpod_ipam_release(struct kpod_ctx *ctx, const char *net, const char *owner, const char *ip,
                      struct kpod_err **err);
/* Number of addresses allocated in the network (0 if none). */
int kpod_ipam_count(struct kpod_ctx *ctx, const char *net, struct kpod_err **err);
/* Pure: the next free address after last (NULL: from the start) of subnet, skipping the
 * network, broadcast and gateway addresses and those in taken (NULL-terminated). IPv6 subnets
 * (prefix 64-120) are searched in their first 2^24 addresses. */
int kpod_ipam_pick(const char *subnet, const char *gateway, char *const *taken, const char *last,
                   char **ret_ip, struct kpod_err **err);

/* ---- interfaces and routes (Kata shapes) ---- */
struct kpod_net_addr {
    int family;       /* AF_INET or AF_INET6 */
    char address[64]; /* without prefix */
    unsigned prefix;
};

struct kpod_net_iface {
    char *name;
    char *hwaddr;
    unsigned mtu;
    char *type;  /* netlink kind (veth, bridge, macvlan ...), "" for lo/physical */
    char *state; /* "up" or "down" (ls only) */
    bool noarp;
    struct kpod_net_addr *addrs;
    size_t n_addrs;
    /* kpod bookkeeping for interfaces kpod created */
    char *network;   /* network whose bridge the host end joins */
    char *host_veth; /* host end */
    char *gateway;   /* the network's gateway (primary interface) */
    char *link;      /* host device moved in (--link) */
};

struct kpod_net_route {
    char *dest;    /* CIDR; "" for the default route */
    char *gateway; /* "" if none */
    char *device;
    char *source; /* prefsrc "A" or src prefix "A/L" */
    int scope;    /* RT_SCOPE_* */
    int family;   /* AF_INET or AF_INET6 */
};

struct kpod_net_port {
    char *host_ip; /* NULL or "" for every host address (incl. 127.0.0.1) */
    unsigned host_port;
    unsigned container_port;
    char protocol[4]; /* "tcp" or "udp" */
};

/* Parses "[HOSTIP:]HOST:CTR[/tcp|/udp]". */
int kpod_net_port_parse(const char *s, struct kpod_net_port *ret, struct kpod_err **err);

void kpod_net_iface_clear(struct kpod_net_iface *i);
void kpod_net_route_clear(struct kpod_net_route *r);
void kpod_net_ifaces_free(struct kpod_net_iface *v, size_t n);
void kpod_net_routes_free(struct kpod_net_route *v, size_t n);

/* Kata JSON: Interface {device, name, IPAddresses[{family, address, mask}], mtu, hwAddr,
 * linkType, raw_flags}; Route {dest, gateway, device, source, scope, family}. Families are
 * written as the agent protocol does (0 = v4, 1 = v6); 2/10 and the address decide on input. */
json_t *kpod_net_iface_to_json(const struct kpod_net_iface *i);
int kpod_net_iface_from_json(const json_t *j, struct kpod_net_iface *ret, struct kpod_err **err);
json_t *kpod_net_route_to_json(const struct kpod_net_route *r);
int kpod_net_route_from_json(const json_t *j, struct kpod_net_route *ret, struct kpod_err **err);
/* A JSON array (or a single object) of routes, as accepted by `--file`. */
int kpod_net_routes_from_json(const json_t *j, struct kpod_net_route **ret, size_t *ret_n,
                              struct kpod_err **err);
/* "dest=A/L,gw=A,dev=NAME,src=A,scope=N|link|host|universe". */
int kpod_net_route_parse(const char *s, struct kpod_net_route *ret, struct kpod_err **err);
/* Pure: the order UpdateRoutes adds routes in: gateway-less routes first, stable. */
void kpod_net_routes_sort_for_add(struct kpod_net_route *v, size_t n);

/* ---- the pod network ---- */
struct kpod_net_setup_args {
    const char *pod_id;   /* unique (64 hex); names host objects */
    const char *pod_name; /* for messages and IPAM bookkeeping */
    const char *network;  /* NULL: "kpod"; "none": loopback only; "host": host netns */
    const char *ip;       /* static address or NULL */
    const char *mac;      /* static MAC or NULL */
    const struct kpod_net_port *ports;
    size_t n_ports;
    bool host_network;
    const char *ip6; /* static IPv6 address on a dual-stack network, or NULL */
};

struct kpod_net_result {
    char *pod_id;
    char *pod_name;
    char *netns_path; /* "" with hostNetwork */
    char *network;
    bool host_network;
    char *ip;                      /* primary address, "" if none */
    char *nft_table;               /* "" if no ports */
    struct kpod_net_iface *ifaces; /* interfaces kpod created in the netns (eth0 first) */
    size_t n_ifaces;
    struct kpod_net_route *routes; /* the route table as last set */
    size_t n_routes;
    struct kpod_net_port *ports;
    size_t n_ports;
    char *ip6; /* primary IPv6 address on a dual-stack network, "" if none */
};

void kpod_net_result_free(struct kpod_net_result *r);
KPOD_DEFINE_CLEANUP(struct kpod_net_result, kpod_net_result_free)
#define _cleanup_net_result_ _cleanup_(kpod_cleanup_kpod_net_result_free)
json_t *kpod_net_result_to_json(const struct kpod_net_result *r);
struct kpod_net_result *kpod_net_result_from_json(const json_t *j, struct kpod_err **err);

/* Creates the netns (runroot/netns/<pod_name>), lo up, the veth on the network's bridge (created
 * on first use), the address, the default route, outbound NAT and the hostPort rules. Every step
 * is undone on failure. */
struct kpod_net_result *kpod_net_setup(struct kpod_ctx *ctx, const struct kpod_net_setup_args *a,
                                       struct kpod_err **err);
/* Removes everything setup (and iface add) made; idempotent. */
int kpod_net_teardown(struct kpod_ctx *ctx, const struct kpod_net_result *r, struct kpod_err **err);

/* Sets the network up again after a teardown (pod stop + start) from the previous result: the
 * same address, MAC and ports, the interfaces added since, and the route table as it was. */
struct kpod_net_result *kpod_net_restore(struct kpod_ctx *ctx, const struct kpod_net_result *old,
                                         struct kpod_err **err);

/* Best effort without a persisted result (kpod killed during setup): removes the netns pin,
 * the hostPort table, the primary veth and every address the pod holds in any network. */
int kpod_net_cleanup(struct kpod_ctx *ctx, const char *pod_id, const char *pod_name,
                     struct kpod_err **err);

/* ---- netns (netns.c) ---- */
/* Creates a network namespace pinned by a bind mount at path (which must not exist). */
int kpod_netns_create(const char *path, struct kpod_err **err);
/* Unmounts and removes the pin; a missing path is fine. */
int kpod_netns_delete(const char *path, struct kpod_err **err);
/* Switches the calling thread into the netns at path; *ret_old is an fd of the previous one. */
int kpod_netns_enter(const char *path, int *ret_old, struct kpod_err **err);
/* Returns to the netns of old (from kpod_netns_enter) and closes it. */
int kpod_netns_leave(int old, struct kpod_err **err);

/* ---- interface operations on a pod netns (iface.c) ---- */
struct kpod_net_iface_add_args {
    const char *pod_id;
    const char *name;    /* in the pod; NULL: the first free ethN */
    const char *mac;     /* NULL: random */
    char *const *ips;    /* CIDRs (those in the network's subnet are reserved in its IPAM);
                          * none: one is allocated when network is set */
    unsigned mtu;        /* 0: the default */
    const char *network; /* a veth whose host end joins this network's bridge */
    const char *link;    /* or a host device moved into the netns */
    bool noarp;
};
/* Lists every link of the netns (lo included). */
int kpod_net_iface_list(const char *netns, struct kpod_net_iface **ret, size_t *ret_n,
                        struct kpod_err **err);
/* Adds an interface and applies the agent's updateInterface semantics (found by MAC: down,
 * addresses replaced, MTU, name, NOARP, up); rolled back on failure. *ret gets the interface
 * as configured (with the bookkeeping kpod needs to remove it). */
int kpod_net_iface_add(struct kpod_ctx *ctx, const char *netns,
                       const struct kpod_net_iface_add_args *a, struct kpod_net_iface *ret,
                       struct kpod_err **err);
/* Removes the interface with that MAC or name (an unknown one is an error, and so is lo).
 * known (n_known entries, may be NULL) is the bookkeeping of interfaces kpod added: their
 * addresses go back to the network's IPAM and a moved host device returns to the host. */
struct kpod_net_iface_rm_args {
    const char *pod_id;
    const char *mac;
    const char *name;
    const struct kpod_net_iface *known;
    size_t n_known;
};
int kpod_net_iface_remove(struct kpod_ctx *ctx, const char *netns,
                          const struct kpod_net_iface_rm_args *a, struct kpod_err **err);

/* The same on a setup result, which is updated (the sandbox persists it afterwards): the new
 * interface is appended / the removed one dropped, and the route table re-read. */
int kpod_net_result_iface_add(struct kpod_ctx *ctx, struct kpod_net_result *r,
                              const struct kpod_net_iface_add_args *a, struct kpod_err **err);
int kpod_net_result_iface_remove(struct kpod_ctx *ctx, struct kpod_net_result *r, const char *mac,
                                 const char *name, struct kpod_err **err);
int kpod_net_result_route_update(struct kpod_net_result *r, const struct kpod_net_route *routes,
                                 size_t n, struct kpod_err **err);

/* ---- routes (route.c) ---- */
/* The main table (kernel-made routes included). */
int kpod_net_route_list(const char *netns, struct kpod_net_route **ret, size_t *ret_n,
                        struct kpod_err **err);
/* Replaces the table: every route but kernel ones, those without a device and those on "lo"
 * links is deleted; the new ones are added gateway-less first (proto boot). All input is
 * checked first; on a failure the old table is restored. Returns the new table. */
int kpod_net_route_update(const char *netns, const struct kpod_net_route *routes, size_t n,
                          struct kpod_net_route **ret, size_t *ret_n, struct kpod_err **err);

/* ---- DNS files (dns.c, pure) ---- */
struct kpod_dns_host_alias {
    const char *ip;
    char *const *hostnames;
};

struct kpod_dns_hosts_args {
    const char *hostname; /* pod hostname */
    const char *domain;   /* NULL or "subdomain.namespace.svc.cluster.local" style */
    const char *ip;       /* pod IP or NULL (hostNetwork/none) */
    const struct kpod_dns_host_alias *aliases;
    size_t n_aliases;
};
/* /etc/hosts as the kubelet writes it. Returns a new string. */
char *kpod_dns_hosts(const struct kpod_dns_hosts_args *a);
/* /etc/hostname. */
char *kpod_dns_hostname(const char *hostname);

struct kpod_dns_config {
    const char *policy; /* NULL/"ClusterFirst"/"Default"/"None"/"ClusterFirstWithHostNet" */
    char *const *nameservers;
    char *const *searches;
    char *const *options; /* "ndots:2", "edns0" */
    bool host_network;    /* keep loopback resolvers (the host's netns) */
};
/* /etc/resolv.conf from the host's resolv.conf content and the pod's dnsConfig: loopback
 * resolvers dropped (unless host_network), dnsConfig merged (nameservers max 3, searches max
 * 32, options by name); Google's public resolvers when none is left, as podman does. */
int kpod_dns_resolv_conf(const char *host, const struct kpod_dns_config *c, char **ret,
                         struct kpod_err **err);
