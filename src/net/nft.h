/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A machine's nftables table, "inet machined-lite-NAME": its masquerade, its port
 * forwards and the forward chain that accepts its traffic. Created with the kernel's
 * owner flag (NFT_TABLE_F_OWNER) over a netfilter socket that the supervisor holds: the
 * kernel removes the table when that socket closes, however the supervisor ends, and no
 * other socket (nft flush ruleset) can remove or change it. libnftnl and libmnl are
 * dlopen()ed for the setup and closed after. */

struct nft_port {
        uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t host_port;
        uint16_t guest_port;
};

struct nft_machine {
        const char *name;       /* the machine's name: the table's */
        const char *ifname;     /* the host end of its link (ve-NAME), or its zone's bridge */
        struct in_addr subnet4; /* the machine's IPv4 subnet: masqueraded when it leaves */
        uint8_t prefix4;
        struct in_addr guest4; /* where the ports go */
        bool ipv6;
        struct in6_addr subnet6; /* its ULA /64, NAT66 */
        uint8_t prefix6;
        struct in6_addr guest6;
        const struct nft_port *ports;
        size_t n_ports;
};

/* Creates the table; returns the netfilter socket that owns it (close-on-exec), or
 * -errno (logged, one line). */
int nft_machine_table(const struct nft_machine *machine);

/* Whether another firewall's forward hook drops by policy (Docker's does): 1, 0, or
 * -errno. The caller says so in one line; our own chain accepts the machine's traffic
 * regardless only when that chain runs first. */
int nft_forward_drops(void);

/* A host port forwarded by a running machine is locked (util/lock.h) for its life:
 * returns the lock's fd, or -EBUSY when another machine forwards it, or -errno. */
int nft_port_lock(uint8_t protocol, uint16_t host_port);
