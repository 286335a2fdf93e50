/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The names and MAC addresses systemd-nspawn gives a machine's links, derived the way it
 * derives them, so that DHCP reservations and neighbour tables carry over between the two. */

/* SipHash-2-4 of IN[0..LEN) under the 16-byte KEY, as systemd's siphash24() returns it. */
uint64_t siphash24(const void *in, size_t len, const uint8_t key[16]);

/* PREFIX followed by NAME ("ve-" "web" -> "ve-web"), shortened as systemd-nspawn (v247 and
 * later naming schemes) shortens it when longer than IFNAMSIZ - 1 bytes: its first 11 bytes
 * and 4 characters of a hash ("ve-webserver-production" -> "ve-webservex-3w").
 * *RET_SHORTENED (may be NULL) tells whether it was, in which case nspawn gives the link the
 * unshortened name as its alternative name (if under ALTIFNAMSIZ). nspawn shortens ve-, vb-
 * and mv- names but refuses a vz- zone or a --network-veth-extra= name that is too long:
 * a caller doing the same checks *RET_SHORTENED. Returns 0, -EINVAL for a name no link can
 * have (the kernel's dev_valid_name(): empty, ".", "..", '/', ':' or white space), or
 * -ENOMEM. */
int network_ifname(const char *prefix, const char *name, char ret[IFNAMSIZ], bool *ret_shortened);

/* Which link a MAC address is for; each has systemd-nspawn's own hash key. */
enum network_mac_kind {
        NETWORK_MAC_VETH_HOST,            /* ve-NAME, vb-NAME */
        NETWORK_MAC_VETH_CONTAINER,       /* host0 */
        NETWORK_MAC_VETH_EXTRA_HOST,      /* --network-veth-extra=, host side */
        NETWORK_MAC_VETH_EXTRA_CONTAINER, /* --network-veth-extra=, guest side */
        NETWORK_MAC_MACVLAN,              /* --network-macvlan= */
};

/* The MAC address systemd-nspawn gives link KIND of machine MACHINE_NAME (IDX: the
 * link's index among those of its kind, 0 for the first), from the host's machine ID
 * (/etc/machine-id, as is: not made app-specific). Returns 0, or -errno: no machine ID,
 * -EINVAL for an unknown KIND, -ENOMEM. */
int network_mac(enum network_mac_kind kind, const char *machine_name, uint64_t idx, uint8_t ret[6]);

/* Reads the host's machine id for network_mac(), once (libsystemd loaded for that moment):
 * called before the netlink libraries are loaded, so that the three are never mapped
 * together. 0 or -errno. */
int network_machine_id_read(void);
