/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config/machine.h"

/* A machine's network of its own (-n, --network-zone=, -p): its links, their addresses, its
 * nftables table and its DHCP server, from start to end. */

struct dhcp_server;

struct machine_network {
        bool enabled;
        char ifname[IFNAMSIZ];      /* the host end: ve-NAME, or vb-NAME on a zone */
        bool ifname_shortened;      /* then the full name is its alternative name */
        char zone_ifname[IFNAMSIZ]; /* the zone's bridge vz-ZONE, "" without a zone */
        struct in_addr subnet4, host4, guest4;
        uint8_t prefix4;
        bool ipv6;
        struct in6_addr subnet6, host6, guest6;
        struct in_addr dns[3];
        size_t n_dns;
        int subnet_lock; /* the subnet is ours (or, on a zone, our address in it) */
        int zone_lock;   /* a zone's members hold it shared: the last one removes the bridge */
        int *port_locks; /* one a forwarded port */
        size_t n_port_locks;
        int nft_fd;     /* owns the table: the kernel removes it when this closes */
        bool link_made; /* ve-NAME is ours to delete */
        struct dhcp_server *dhcp;
};

#define MACHINE_NETWORK_INIT                                     \
        {                                                        \
                .subnet_lock = -1, .zone_lock = -1, .nft_fd = -1 \
        }

/* Before anything is made: the links' names checked free, the forwarded ports and a subnet
 * chosen and locked. Logs one line and returns an exit code (EXIT_*), 0 when all is well. */
int network_prepare(const struct machine *m, struct machine_network *n);

/* Once the guest exists (PID and pidfd) and before its init runs: the veth pair (the
 * guest's end made in its namespace), both ends addressed and up, the guest's default
 * route, forwarding on, the nftables table. Logs one line and returns -errno. */
int network_setup(const struct machine *m, struct machine_network *n, pid_t guest_pid, int guest_pidfd);

/* The DHCP server for the guest's end, in EVENT's loop. */
int network_start_dhcp(struct machine_network *n, sd_event *event);

/* Everything undone that the kernel does not undo by itself; safe on a half-made one. */
void network_done(struct machine_network *n);

/* "192.168.4.2/28" style text of the guest's addresses for list and status. */
int network_guest_addresses(const struct machine_network *n, char *buffer, size_t size);
