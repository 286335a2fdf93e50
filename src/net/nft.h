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
        struct in_addr subnet4; /* the machine's IPv4 subnet: masqueraded when it leaves (prefix4 0:
                                 * none of ours, its masquerade is systemd-networkd's) */
        uint8_t prefix4;
        struct in_addr guest4; /* where the ports go */
        bool ipv6;
        struct in6_addr subnet6; /* its ULA /64, NAT66 */
        uint8_t prefix6;
        struct in6_addr guest6;
        bool isolate;                 /* a zone's: no traffic to or from other machines' links (ve-*, vz-*) */
        bool guard_only;              /* the table "machined-lite-NAME/guard" with the localnet guard alone */
        struct in_addr dns_host4;     /* the host's end, where the guest asks for names ... */
        struct in_addr dns_redirect4; /* ... redirected to this resolver on loopback; 0: none */
        const struct nft_port *ports;
        size_t n_ports;
};

/* Creates the table in one atomic batch: its chains prerouting and output (the ports'
 * DNAT, to the host's own addresses only, 127.0.0.1 included), postrouting (masquerade
 * of the subnets leaving by other links; of forwards from 127.0.0.0/8 and from the
 * machine's own subnet, which the guest could not answer otherwise) and forward.
 * The caller sets net.ipv4.conf.IFNAME.route_localnet=1 for forwards from 127.0.0.1;
 * [::1]:PORT is not forwarded (IPv6 has no route_localnet): refused at once.
 * Returns the netfilter socket that owns it (close-on-exec; a fork()ed child that keeps
 * it keeps the table), or -errno (logged, one line). */
int nft_machine_table(const struct nft_machine *machine);

/* The machine's guard of the host's loopback, a table of its own that lives as long as the
 * machine, made before route_localnet is set on IFNAME: what comes in by IFNAME to
 * 127.0.0.0/8 is dropped. Returns the socket that owns it, or -errno (logged). */
int nft_guard_table(const char *name, const char *ifname);

/* The machine NAME's table (or its guard's, GUARD), deleted over FD, the socket that owns
 * it, so that its name is free at once for the machine's next start (closing FD frees it
 * only after an RCU grace period, some 10 ms). Returns 0 (also when FD is -1) or -errno. */
int nft_machine_table_drop(int fd, const char *name, bool guard);

/* Whether another firewall's base chain on the forward hook (ip, ip6 or inet; tables
 * other than ours) drops by policy, as Docker's does: 1, 0, or -errno (logged). The
 * caller says so in one line: our forward chain cannot override it, since an accept
 * ends only its own base chain and the packet still traverses the others. Read over FD,
 * a netfilter socket of the caller's (the table's): a socket of our own would have to
 * be closed, and the kernel's closing of one waits for the last tables' removal. */
int nft_forward_drops(int fd);

/* A host port forwarded by a running machine is locked (util/lock.h) for its life:
 * returns the lock's fd, or -EBUSY when another machine forwards it, or -errno (-EINVAL:
 * neither TCP nor UDP). Not logged: the caller knows which option named the port. */
int nft_port_lock(uint8_t protocol, uint16_t host_port);
