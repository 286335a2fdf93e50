/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/event.h"

/* A DHCPv4 server for one machine's link, in the supervisor's event loop: it has one
 * lease to give, the address the supervisor already put on the guest's host0, so that a
 * guest's own client (systemd-networkd, dhclient, udhcpc, NetworkManager) ends up with
 * the same address. No library; small, since it lives as long as the machine. */

struct dhcp_lease {
        struct in_addr server;  /* ours, on the host end: also the router */
        struct in_addr address; /* the guest's */
        uint8_t prefix;         /* the subnet's prefix length */
        struct in_addr dns[3];
        size_t n_dns;
        uint32_t lease_seconds;
        const char *domain; /* NULL: none */
        bool match_client;  /* answer only the client whose hardware address is CLIENT_MAC: on a
                             * bridge that several machines' servers share */
        uint8_t client_mac[6];
};

struct dhcp_server;

/* Serves LEASE on the link IFINDEX (bound to it: SO_BINDTODEVICE, port 67) from EVENT's
 * loop. Returns 0 and the server in *RET, or -errno (logged). */
int dhcp_server_start(struct event *event, int ifindex, const struct dhcp_lease *lease, struct dhcp_server **ret);

/* Stops it and frees it; NULL is fine. */
void dhcp_server_free(struct dhcp_server *server);
