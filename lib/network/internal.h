/* Shared inside lib/network only. */
#pragma once

#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "network/network.h"

KPOD_DEFINE_CLEANUP(struct nl_sock, nl_socket_free)
KPOD_DEFINE_CLEANUP(struct rtnl_link, rtnl_link_put)
KPOD_DEFINE_CLEANUP(struct nl_cache, nl_cache_free)
KPOD_DEFINE_CLEANUP(struct nl_addr, nl_addr_put)
#define _cleanup_nl_sock_ _cleanup_(kpod_cleanup_nl_socket_free)
#define _cleanup_nl_link_ _cleanup_(kpod_cleanup_rtnl_link_put)
#define _cleanup_nl_cache_ _cleanup_(kpod_cleanup_nl_cache_free)
#define _cleanup_nl_addr_ _cleanup_(kpod_cleanup_nl_addr_put)

bool kpod_net_valid_ifname(const char *s);

/* A connected rtnetlink socket bound to the netns at path (NULL: the caller's). */
struct nl_sock *kpod_nl_open(const char *netns, struct kpod_err **err);
/* Sets *err from a libnl error code; returns -1. */
int kpod_nl_err(struct kpod_err **err, int nlerr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Looks a link up by name; 0 and *ret NULL when it does not exist. */
int kpod_nl_link_get(struct nl_sock *s, const char *name, struct rtnl_link **ret,
                     struct kpod_err **err);
/* Sets a link up or down by ifindex. */
int kpod_nl_link_set_up(struct nl_sock *s, int ifindex, bool up, struct kpod_err **err);
/* Adds addr "A/L" to ifindex (EEXIST ignored). */
int kpod_nl_addr_add(struct nl_sock *s, int ifindex, const char *cidr, struct kpod_err **err);
/* Deletes a link by name; a missing one is fine. */
int kpod_nl_link_delete(struct nl_sock *s, const char *name, struct kpod_err **err);
/* Creates a veth pair: host end host_name (in s's netns) on master (0: none), peer named
 * peer_name inside the netns open as nsfd, with mac (NULL: random) and mtu (0: default). */
struct kpod_veth_args {
    const char *host_name;
    const char *peer_name;
    int nsfd;
    int master;
    const char *mac;
    unsigned mtu;
};
int kpod_nl_veth_create(struct nl_sock *s, const struct kpod_veth_args *a, struct kpod_err **err);

/* Bridge of a network: created with the gateway address, up, route_localnet (for hostPort on
 * 127.0.0.1); also the network's outbound NAT rules. Idempotent. */
int kpod_net_network_up(struct kpod_ctx *ctx, const struct kpod_net_config *c,
                        struct kpod_err **err);
/* Deletes the bridge and the NAT rules of a network; missing ones are fine. A bridge that still
 * has ports (pods of another runroot) is kept unless force. */
int kpod_net_network_down(struct kpod_ctx *ctx, const struct kpod_net_config *c, bool force,
                          struct kpod_err **err);

/* nftables through libnftables. */
int kpod_nft_run(const char *cmds, struct kpod_err **err);
/* Refuses ports given twice, published by another kpod pod (any runroot), or in use on the
 * host. */
int kpod_nft_ports_check(const struct kpod_net_port *ports, size_t n, struct kpod_err **err);
/* Table name for a pod's hostPort rules. */
char *kpod_nft_pod_table(const char *pod_id);
int kpod_nft_ports_add(const char *table, const char *pod_ip, const char *bridge,
                       const struct kpod_net_port *ports, size_t n, struct kpod_err **err);
/* Deletes a table; a missing one is fine. */
int kpod_nft_table_delete(const char *table, struct kpod_err **err);
int kpod_nft_table6_delete(const char *table, struct kpod_err **err);
int kpod_nft_nat_add(const char *bridge, const char *subnet, struct kpod_err **err);

/* Lock of a network's run state (serialises setup/teardown of that network). */
int kpod_net_lock(struct kpod_ctx *ctx, const char *net, struct kpod_err **err);

/* Host object names derived from the pod id. */
char *kpod_net_veth_name(const char *pod_id, const char *ifname);

/* Adds one route (validated) in the netns of s; EEXIST is fine. */
int kpod_net_route_add_one(struct nl_sock *s, const struct kpod_net_route *r,
                           struct kpod_err **err);

/* iface.c */
int kpod_net_find_link(struct nl_sock *s, const char *mac, const char *name, struct rtnl_link **ret,
                       struct kpod_err **err);
int kpod_net_iface_apply(struct nl_sock *s, const char *mac,
                         const struct kpod_net_iface_add_args *a, struct kpod_err **err);
