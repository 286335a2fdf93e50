/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -p to a guest whose address is not ours to give (systemd-networkd's DHCP server gives
 * it, or a host bridge's network): the guest's host0 is watched from the supervisor's event
 * loop, and the machine's table made anew whenever its address changes. The table's
 * rules are net/nft.c's; a guest we address ourselves needs none of this. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/follow.h"
#include "net/link.h"
#include "net/mnl.h"
#include "net/nft.h"
#include "util/log.h"
#include "util/macro.h"

struct port_follower {
        const struct machine *machine;
        char ifname[IFNAMSIZ];      /* the host's end, for the table */
        struct mnl_socket *events;  /* the guest's address changes */
        struct mnl_socket *queries; /* and the dumps that follow each */
        struct mnl_socket *host;    /* the host's end's addresses */
        int host_ifindex;
        int ifindex; /* host0, in the guest */
        bool has4;   /* host0 has an address on the link: guest4 */
        struct in_addr guest4;
        int nft_fd;
        struct event_source *source;
        bool loaded;
};

/* The table for the addresses the guest has now: the old one goes (its socket closed),
 * the new one is made; none while the guest has no IPv4 address yet. */
static void remake_table(struct port_follower *f)
{
        _cleanup_free_ struct nft_port *ports = calloc(MAX(f->machine->n_ports, (size_t)1), sizeof(*ports));
        struct nft_machine table = {
                .name = f->machine->name,
                .ifname = f->ifname,
                .guest4 = f->guest4,

                .ports = ports,
                .n_ports = f->machine->n_ports,
        };

        if (f->nft_fd >= 0)
                close(f->nft_fd);
        f->nft_fd = -1;
        if (!f->has4 || !ports)
                return;
        for (size_t i = 0; i < f->machine->n_ports; i++)
                ports[i] = (struct nft_port){ f->machine->ports[i].protocol, f->machine->ports[i].host_port,
                                              f->machine->ports[i].guest_port };
        f->nft_fd = nft_machine_table(&table); /* a failure is logged, and the next change tries again */
}

struct on_link {
        int ifindex;
        struct in_addr address;
        bool inside;
};

static int on_host_end_prefix(struct in_addr prefix, uint8_t length, int ifindex, void *userdata)
{
        struct on_link *o = userdata;
        uint32_t mask = length == 0 ? 0 : ~0U << (32 - length);

        if (ifindex == o->ifindex && length > 0 && length < 31 && prefix.s_addr != o->address.s_addr &&
            (ntohl(prefix.s_addr) & mask) == (ntohl(o->address.s_addr) & mask))
                o->inside = true;
        return 0;
}

/* The guest names its own address: the forward follows it only inside the subnet of the
 * host's end of its link (networkd's, or the bridge's), never to the host's end itself.
 * Else a guest could make the host's port a relay to any address: another machine's
 * guest, a host of the LAN, the world. */
static bool address_on_link(struct port_follower *f, struct in_addr address)
{
        struct on_link o = { .ifindex = f->host_ifindex, .address = address };

        return addresses4_foreach(f->host, on_host_end_prefix, &o) >= 0 && o.inside;
}

/* IPv4 only: IPv6 forwards would need the same check against the prefixes of the host's
 * end, which is not written yet. */
static void look_again(struct port_follower *f)
{
        struct in_addr a4 = {};
        int has4 = link_first_address(f->queries, f->ifindex, AF_INET, &a4);

        if (has4 < 0)
                return;
        if (has4 > 0 && !address_on_link(f, a4))
                has4 = 0;
        if (has4 == f->has4 && (!has4 || a4.s_addr == f->guest4.s_addr))
                return;
        f->has4 = has4;
        f->guest4 = a4;
        remake_table(f);
}

static int on_address_event(struct event_source *source _unused_, int fd, uint32_t revents _unused_, void *userdata)
{
        char buffer[8192];

        /* What changed is read from a dump after: the events only say when. */
        while (recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0)
                ;
        look_again(userdata);
        return 0;
}

void port_follower_free(struct port_follower *f, int *ret_nft_fd)
{
        if (!f)
                return;
        event_source_free(f->source);
        rtnl_close(f->events);
        rtnl_close(f->queries);
        rtnl_close(f->host);
        if (ret_nft_fd)
                *ret_nft_fd = f->nft_fd;
        else if (f->nft_fd >= 0)
                close(f->nft_fd);
        if (f->loaded)
                mnl_unload();
        free(f);
}

int port_follower_start(const struct machine *m, const char *ifname, int guest_pidfd, struct event *event,
                        struct port_follower **ret)
{
        struct port_follower *f = calloc(1, sizeof(*f));
        int r;

        if (!f)
                return log_error_errno(-ENOMEM, "Out of memory");
        f->machine = m;
        f->nft_fd = -1;
        snprintf(f->ifname, sizeof(f->ifname), "%s", ifname);
        /* libmnl stays loaded for the machine's life here, and only here. */
        r = mnl_load();
        f->loaded = r >= 0;
        if (r >= 0)
                r = rtnl_open_groups(guest_pidfd, RTMGRP_IPV4_IFADDR, &f->events);
        if (r >= 0)
                r = rtnl_open(guest_pidfd, &f->queries);
        if (r >= 0)
                r = f->ifindex = link_index(f->queries, "host0");
        if (r >= 0)
                r = rtnl_open(-1, &f->host);
        if (r >= 0)
                r = f->host_ifindex = link_index(f->host, ifname);
        if (r >= 0)
                r = event_add_io(event, &f->source, sym_mnl_socket_get_fd(f->events), EPOLLIN, on_address_event, f);
        if (r < 0) {
                port_follower_free(f, NULL);
                return log_error_errno(r, "Cannot watch the guest's addresses for its port forwards: %m");
        }
        look_again(f); /* it may have one already */
        *ret = f;
        return 0;
}
