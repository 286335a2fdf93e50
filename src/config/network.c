/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The syntax of the network options (-p/--port=, the link names of --network-*) and their
 * NAME.machine keys; what is made of them is net/'s. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/network.h"

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

static bool link_name_valid(const char *name, size_t length)
{
        if (length == 0 || length >= IFNAMSIZ)
                return false;
        if ((length == 1 && name[0] == '.') || (length == 2 && name[0] == '.' && name[1] == '.'))
                return false;
        for (size_t i = 0; i < length; i++)
                if (name[i] == '/' || name[i] == ':' || (unsigned char)name[i] <= ' ' || name[i] == 0x7f)
                        return false;
        return true;
}

int network_link_name_check(const char *prefix, const char *name, char *error, size_t error_size)
{
        char full[64];
        int k = snprintf(full, sizeof(full), "%s%s", prefix, name);

        if (k > 0 && (size_t)k < sizeof(full) && link_name_valid(full, (size_t)k) && name[0])
                return 0;
        if (strcmp(prefix, "vz-") == 0)
                snprintf(error, error_size,
                         "Invalid zone name '%s': at most %d bytes (its bridge vz-%s is a link name), no '/', ':' or "
                         "white space",
                         name, IFNAMSIZ - 1 - 3, name);
        else
                snprintf(error, error_size, "Invalid link name '%s%s': at most %d bytes, no '/', ':' or white space",
                         prefix, name, IFNAMSIZ - 1);
        return -EINVAL;
}

int network_link_pair_check(const char *value, char *error, size_t error_size)
{
        const char *colon = strchr(value, ':');
        size_t first = colon ? (size_t)(colon - value) : strlen(value);

        if (link_name_valid(value, first) && (!colon || link_name_valid(colon + 1, strlen(colon + 1))))
                return 0;
        snprintf(error, error_size,
                 "Invalid link '%s': use IF or IF:GUESTIF, each at most %d bytes, no '/' or white space", value,
                 IFNAMSIZ - 1);
        return -EINVAL;
}
