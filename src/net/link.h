/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Links, addresses and routes over rtnetlink (libmnl, net/mnl.h: callers hold mnl_load()
 * around these). Each call acts in the network namespace its socket was opened in. */

struct mnl_socket;

/* A NETLINK_ROUTE socket in the calling thread's network namespace, or in the one of
 * NS_FD (>= 0: a network namespace's fd or a process's pidfd) when given: it stays bound
 * to that namespace after we leave it.
 * Returns 0 or -errno. */
int rtnl_open(int ns_fd, struct mnl_socket **ret);
/* The same, subscribed to the multicast GROUPS (RTMGRP_*). */
int rtnl_open_groups(int ns_fd, unsigned groups, struct mnl_socket **ret);
void rtnl_close(struct mnl_socket *nl);

/* A veth pair: HOST_NAME here, with HOST_MAC (NULL: the kernel's choice) and, when ALTNAME is set, that alternative
 * name; its peer PEER_NAME with PEER_MAC, made directly in the network namespace of
 * process PEER_PID (it never exists in ours). -EEXIST when a link of that name exists. */
int link_add_veth(struct mnl_socket *nl, const char *host_name, const char *altname, const uint8_t host_mac[6],
                  const char *peer_name, const uint8_t peer_mac[6], pid_t peer_pid);

/* A bridge NAME (up, no address), or -EEXIST. */
int link_add_bridge(struct mnl_socket *nl, const char *name);

/* Link IFINDEX up, and, when MASTER_IFINDEX > 0, enslaved to that bridge first. */
int link_set_up(struct mnl_socket *nl, int ifindex, int master_ifindex);

/* Deletes link NAME; 0 when it is already gone. */
int link_delete(struct mnl_socket *nl, const char *name);

/* Link NAME, its alternative name ALTNAME (may be NULL) dropped, brought down and renamed
 * out of the way (by its index), so that both names are free at once: deleting a link
 * waits for the kernel's RCU callbacks (rcu_barrier(), some 25 ms here). Returns its
 * index for link_delete_index(), 0 when it is gone already, or -errno. */
int link_set_aside(struct mnl_socket *nl, const char *name, const char *altname);

/* Deletes link IFINDEX; 0 when it is already gone. */
int link_delete_index(struct mnl_socket *nl, int ifindex);

/* The index of link NAME in the socket's namespace, or -ENODEV. */
int link_index(struct mnl_socket *nl, const char *name);

/* ADDRESS/PREFIX (struct in_addr or in6_addr for FAMILY) on link IFINDEX; IPv6 ones with no
 * duplicate address detection (both ends are ours). */
int address_add(struct mnl_socket *nl, int family, int ifindex, const void *address, uint8_t prefix);

/* A default route through GATEWAY (FAMILY's address) on IFINDEX. */
int route_add_default(struct mnl_socket *nl, int family, int ifindex, const void *gateway);

/* Calls FN for every IPv4 prefix the namespace uses: each address's subnet, and each route's
 * destination but default routes (IFINDEX: the address's link, 0 for a route). Stops
 * calling FN at its first non-zero return, which it returns. */
typedef int (*prefix_fn)(struct in_addr prefix, uint8_t length, int ifindex, void *userdata);
int prefixes4_foreach(struct mnl_socket *nl, prefix_fn fn, void *userdata);
/* The same for the addresses only (PREFIX: the address itself, LENGTH its prefix). */
int addresses4_foreach(struct mnl_socket *nl, prefix_fn fn, void *userdata);

/* A macvlan link (bridge mode) on link PARENT_IFINDEX, with MAC (NULL: the kernel's), made
 * directly in the network namespace of PEER_PID as NAME. */
int link_add_macvlan(struct mnl_socket *nl, int parent_ifindex, const char *name, const uint8_t mac[6], pid_t peer_pid);
/* An ipvlan link (L2) on PARENT_IFINDEX, likewise. */
int link_add_ipvlan(struct mnl_socket *nl, int parent_ifindex, const char *name, pid_t peer_pid);
/* Whether the kernel can make links of KIND ("ipvlan"), asked without making one: 1 or 0. */
int link_kind_supported(struct mnl_socket *nl, const char *kind);

/* Link IFINDEX renamed to NEW_NAME (NULL: kept) and moved to the network namespace of
 * TO_NETNS_FD, or when that is negative, of process TO_PID. */
int link_move(struct mnl_socket *nl, int ifindex, const char *new_name, pid_t to_pid, int to_netns_fd);

/* The links FAMILY's default routes (main table) leave by: up to MAX indexes in IFINDEXES.
 * Returns how many, or -errno. */
int default_route_links(struct mnl_socket *nl, int family, int *ifindexes, size_t max);

/* The first global FAMILY address (struct in_addr or in6_addr, in RET) of link IFINDEX that
 * is not tentative: 1, 0 when it has none, or -errno. */
int link_first_address(struct mnl_socket *nl, int ifindex, int family, void *ret);

/* One address of a link, as the kernel lists it: FAMILY's LOCAL/PREFIX, the PEER's address
 * (IFA_ADDRESS: LOCAL's own but on a point-to-point link), the BROADCAST (IPv4), FLAGS. */
struct link_address {
        int family;
        uint8_t prefix;
        uint32_t flags;
        uint8_t local[16], peer[16], broadcast[4];
        bool has_local, has_peer, has_broadcast;
};

/* The permanent addresses of global scope on link IFINDEX (of either family), up to MAX in
 * RET: how many (more than MAX: -E2BIG), or -errno. */
int link_permanent_addresses(struct mnl_socket *nl, int ifindex, struct link_address *ret, size_t max);
/* One of them given to link IFINDEX (of the socket's namespace) as it was. */
int address_restore(struct mnl_socket *nl, int ifindex, const struct link_address *a);
/* Link IFINDEX renamed NAME (a "%d" in it the kernel's number); the link must be down. */
int link_rename(struct mnl_socket *nl, int ifindex, const char *name);

/* Whether link NAME is a bridge: 1 or 0, or -errno (-ENODEV: no such link). */
int link_is_bridge(struct mnl_socket *nl, const char *name);
