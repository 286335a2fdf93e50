/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config/machine.h"
#include "net/extra-links.h"
#include "util/event.h"
#include "util/missing.h"

/* A machine's network of its own (-n, --network-zone=, --network-bridge=, the extra links,
 * -p): its links, their addresses, its nftables table and its DHCP server, from start to
 * end. */

struct dhcp_server;
struct port_follower;

struct machine_network {
        const char *name;      /* the machine's */
        bool enabled;          /* links to make: any network option but --private-network */
        bool mnl_held;         /* libmnl loaded from network_prepare() to network_setup() */
        bool veth;             /* host0 and its peer */
        bool configured;       /* which we address, route, NAT and serve DHCP on */
        bool follow;           /* -p to an address systemd-networkd (or a host bridge) gives */
        char ifname[IFNAMSIZ]; /* host0's peer: ve-NAME, or vb-NAME on a bridge */
        bool ifname_shortened; /* then the full name is its alternative name */
        int ifindex;           /* its index once made: machined is told of it */
        char bridge[IFNAMSIZ]; /* the bridge vb-NAME joins: vz-ZONE or --network-bridge's */
        bool zone;             /* that bridge is a zone's: ours to make and remove */
        bool bridge_exists;    /* found on the host at start */
        struct in_addr subnet4, host4, guest4;
        uint8_t prefix4;
        bool ipv6;
        struct in6_addr subnet6, host6, guest6;
        struct in_addr dns[3]; /* the nameservers the guest is told of */
        size_t n_dns;
        struct in_addr dns_redirect; /* the host's loopback resolver that .1:53 leads to, or 0 */
        uint8_t guest_mac[6];
        bool guest_mac_known;
        int subnet_lock;  /* the machine's subnet, or its zone's (shared) */
        int address_lock; /* in a zone: the guest's address */
        int zone_lock;    /* a zone's members hold it shared: the last one removes the bridge */
        int name_lock;    /* the machine's network, until it is taken down */
        int *port_locks;  /* one a forwarded port */
        size_t n_port_locks;
        int nft_fd;     /* owns the table: the kernel removes it when this closes */
        int guard_fd;   /* owns the table of the loopback guard (nft_guard_table()) */
        bool link_made; /* host0's peer is ours to delete */
        struct extra_links extra;
        struct dhcp_server *dhcp;
        struct port_follower *follower;
};

#define MACHINE_NETWORK_INIT                                                                                           \
        {                                                                                                              \
                .subnet_lock = -1, .address_lock = -1, .zone_lock = -1, .name_lock = -1, .nft_fd = -1, .guard_fd = -1, \
                .extra = EXTRA_LINKS_INIT                                                                              \
        }

/* Before anything is made: the links' names checked free, the links named checked there,
 * the forwarded ports and a subnet chosen and locked. Logs one line and returns an exit
 * code (EXIT_*), 0 when all is well. */
int network_prepare(const struct machine *m, struct machine_network *n);

/* Once the guest exists (PID and pidfd) and before its init runs: the veth pair (the
 * guest's end made in its namespace), both ends addressed and up, the guest's default
 * route, forwarding on, the nftables table, the extra links. Logs one line and returns
 * -errno. */
int network_setup(const struct machine *m, struct machine_network *n, pid_t guest_pid, int guest_pidfd);

/* What runs in EVENT's loop for the machine's life: the DHCP server for the guest's end,
 * or, where we do not address the guest, the watch of its address for -p (net/follow.h). */
int network_start(const struct machine *m, struct machine_network *n, struct event *event, int guest_pidfd);

/* Everything undone that the kernel does not undo by itself, in a child of ours that
 * outlives us by some milliseconds; safe on a half-made one. */
void network_done(struct machine_network *n);

/* "192.168.4.2/28 fd12:3456:789a:bcde::2/64": the guest's addresses, for list and
 * status; 0 (BUFFER untouched) when we gave it none. */
/* After a supervisor killed with SIGKILL, in the sweeper: a zone's bridge removed when no
 * other machine is on the zone. */
void network_sweep(const struct machine_network *n);

int network_guest_addresses(const struct machine_network *n, char *buffer, size_t size);

/* The nameserver a tree without /etc/resolv.conf is given, as text in BUFFER: the host's
 * end of the link when the host's resolver is on loopback (and so redirected), else NULL
 * (the host's file is copied). */
const char *network_guest_nameserver(const struct machine_network *n, char *buffer, size_t size);
