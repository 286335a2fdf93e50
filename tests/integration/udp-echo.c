/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest's UDP service for the network tests: answers every datagram to PORT, IPv4 or
 * IPv6, with "udp-pong". Built static by the tests, so that it runs in a busybox tree,
 * whose nc has no UDP.
 *   udp-echo PORT */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char *argv[])
{
        struct sockaddr_in6 address = { .sin6_family = AF_INET6 };
        int fd = socket(AF_INET6, SOCK_DGRAM, 0), no = 0;

        if (argc != 2 || fd < 0) {
                fprintf(stderr, "usage: udp-echo PORT\n");
                return 2;
        }
        address.sin6_port = htons((uint16_t)atoi(argv[1]));
        /* Dual-stack: IPv4 senders arrive as ::ffff:a.b.c.d. */
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof(no));
        if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
                perror("bind");
                return 1;
        }
        for (;;) {
                struct sockaddr_in6 peer;
                socklen_t length = sizeof(peer);
                char buffer[512];

                if (recvfrom(fd, buffer, sizeof(buffer), 0, (struct sockaddr *)&peer, &length) < 0)
                        continue;
                (void)sendto(fd, "udp-pong\n", 9, 0, (struct sockaddr *)&peer, length);
        }
}
