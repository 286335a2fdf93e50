/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The syntax of the network options and their NAME.machine keys. */

/* -p/--port= and Port=: a host port forwarded to the guest's. */
struct port_forward {
        uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t host_port;
        uint16_t guest_port;
};

/* [tcp:|udp:]HOSTPORT[:GUESTPORT] as systemd-nspawn(1) takes it (the guest's port defaults
 * to the host's). Returns 0, or -EINVAL with what is wrong in ERROR. */
int port_forward_parse(const char *value, struct port_forward *ret, char *error, size_t error_size);

/* PREFIX followed by NAME must be a link name the kernel takes (1-15 bytes, no '/', ':'
 * or white space, not "." or ".."), as systemd-nspawn requires of --network-zone= (vz-)
 * and --network-bridge=. Returns 0, or -EINVAL with what is wrong in ERROR. */
int network_link_name_check(const char *prefix, const char *name, char *error, size_t error_size);

/* IF[:GUESTIF] of --network-interface=, --network-macvlan=, --network-ipvlan= and
 * --network-veth-extra=: each a link name. As network_link_name_check(). */
int network_link_pair_check(const char *value, char *error, size_t error_size);
