/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"
#include "util/event.h"

/* -p where systemd-networkd (or a host bridge's network) addresses the guest: the machine's
 * table follows the addresses the guest's host0 gets. */

struct port_follower;

/* Watches host0 in the network namespace of GUEST_PIDFD's process from EVENT's loop, and
 * makes M's table (its -p) for IFNAME, the host's end, whenever host0's first global
 * address changes. Returns 0 or -errno (logged). */
int port_follower_start(const struct machine *m, const char *ifname, int guest_pidfd, struct event *event,
                        struct port_follower **ret);

/* Stops it; its table's socket, if any, goes to *RET_NFT_FD (NULL: closed). */
void port_follower_free(struct port_follower *f, int *ret_nft_fd);
