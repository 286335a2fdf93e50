/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The syntax of -p/--port= and Port=; what is forwarded and how is net/nft.c's. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/port.h"

static int parse_port(const char *s, size_t length, uint16_t *ret)
{
        unsigned long v = 0;

        if (length == 0 || length > 5 || strspn(s, "0123456789") < length)
                return -EINVAL;
        for (size_t i = 0; i < length; i++)
                v = v * 10 + (unsigned long)(s[i] - '0');
        if (v < 1 || v > 65535)
                return -ERANGE;
        *ret = (uint16_t)v;
        return 0;
}

int port_forward_parse(const char *value, struct port_forward *ret, char *error, size_t error_size)
{
        struct port_forward p = { .protocol = IPPROTO_TCP };
        const char *s = value, *colon;
        int r;

        if (strncmp(s, "tcp:", 4) == 0)
                s += 4;
        else if (strncmp(s, "udp:", 4) == 0) {
                p.protocol = IPPROTO_UDP;
                s += 4;
        }
        colon = strchr(s, ':');
        r = parse_port(s, colon ? (size_t)(colon - s) : strlen(s), &p.host_port);
        if (r >= 0) {
                p.guest_port = p.host_port;
                if (colon)
                        r = parse_port(colon + 1, strlen(colon + 1), &p.guest_port);
        }
        if (r < 0) {
                snprintf(error, error_size,
                         r == -ERANGE ? "Port out of range in '%s': ports are 1 to 65535"
                                      : "Invalid port forward '%s': use [tcp:|udp:]HOSTPORT[:GUESTPORT], e.g. 8080:80",
                         value);
                return -EINVAL;
        }
        *ret = p;
        return 0;
}
