/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct mnl_socket;

/* The subnets machines get: one of systemd-networkd's pools for containers, chosen from a
 * hash of a name so that it is the same every boot, checked free on the host and locked
 * against the other machines (util/lock.h, LOCK_DIR: no guest reaches it). */

/* A /PREFIX (28 for a machine, 24 for a zone) from a hash of NAME that overlaps no address
 * or route of NL's namespace and no subnet a running machine holds. EXCLUSIVE: a machine's
 * own; shared: a zone's, which its machines all hold. Returns the lock's fd and the subnet
 * in *RET, or -EADDRNOTAVAIL (logged: none free) or -errno (logged). */
int subnet_pick(struct mnl_socket *nl, const char *name, uint8_t prefix, bool exclusive, struct in_addr *ret);

/* Locks the subnet SUBNET/PREFIX (a zone's, found on its bridge) as subnet_pick() would. */
int subnet_lock(struct in_addr subnet, uint8_t prefix, bool exclusive);

/* A machine's host number in a zone's /24 (2 to 254), from a hash of NAME, locked for the
 * machine's life: returns the lock's fd and the guest's address in *RET, or -EADDRNOTAVAIL
 * (every address of the zone taken) or -errno. */
int subnet_zone_address(struct in_addr subnet, const char *name, struct in_addr *ret);

/* A stable unique local /64 (RFC 4193) from a hash of NAME, in *RET. */
void subnet_ula(const char *name, struct in6_addr *ret);
