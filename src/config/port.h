/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* -p/--port= and Port=: a host port forwarded to the guest's. */
struct port_forward {
        uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t host_port;
        uint16_t guest_port;
};

/* [tcp:|udp:]HOSTPORT[:GUESTPORT] as systemd-nspawn(1) takes it (the guest's port defaults
 * to the host's). Returns 0, or -EINVAL with what is wrong in ERROR. */
int port_forward_parse(const char *value, struct port_forward *ret, char *error, size_t error_size);
