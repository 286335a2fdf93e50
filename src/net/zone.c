/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --network-zone=: the zone's bridge vz-ZONE, made by its first machine and removed by its
 * last, its /24 and each machine's address in it; and a bridge's setting up for
 * --network-bridge= too. The machine's own links are net/network.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/link.h"
#include "net/subnet.h"
#include "net/zone.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"

#define ZONE_PREFIX4 24

/* /run/machined-lite/zones/ZONE: there while the zone's bridge is one we made. A link of
 * that name that we did not make (someone's own, an nspawn zone's) is never removed. */
#define ZONES_DIR "/run/machined-lite/zones"

static void zone_marker(const struct machine_network *n, char path[static PATH_MAX])
{
        snprintf(path, PATH_MAX, ZONES_DIR "/%s", n->bridge + strlen("vz-"));
}

static bool zone_bridge_ours(const struct machine_network *n)
{
        char path[PATH_MAX];

        zone_marker(n, path);
        return access(path, F_OK) == 0;
}

static void zone_bridge_made(const struct machine_network *n)
{
        char path[PATH_MAX];
        int fd;

        zone_marker(n, path);
        (void)mkdir("/run/machined-lite", 0755);
        (void)mkdir(ZONES_DIR, 0700);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
                close(fd);
}

struct bridge_address {
        int ifindex;
        struct in_addr address;
        uint8_t prefix;
        bool found;
};

static int on_bridge_address(struct in_addr address, uint8_t length, int ifindex, void *userdata)
{
        struct bridge_address *b = userdata;

        if (ifindex != b->ifindex || b->found)
                return 0;
        b->address = address;
        b->prefix = length;
        b->found = true;
        return 0;
}

/* A zone: its members hold its lock shared, the bridge's subnet is the zone's (its own
 * when the bridge is there already, else one chosen from the zone's name), and the guest
 * gets an address of it that no other member has. */
int zone_prepare(struct mnl_socket *nl, const struct machine *m, struct machine_network *n)
{
        struct bridge_address b = { .ifindex = link_index(nl, n->bridge) };
        char lock_name[LOCK_NAME_MAX], zone_key[64];
        int r;

        snprintf(lock_name, sizeof(lock_name), "zone-%s", m->network_zone);
        /* Exclusive only for a moment, while the zone's last machine removes the bridge. */
        for (int try = 0; try < 500 && (n->zone_lock = lock_take(lock_name, 0, 1, false)) == -EBUSY; try++)
                (void)usleep(10000);
        if (n->zone_lock < 0)
                return log_error_errno(n->zone_lock, "Cannot lock zone %s: %m", m->network_zone), EXIT_SETUP_FAILED;
        n->bridge_exists = b.ifindex > 0;
        if (n->bridge_exists && !zone_bridge_ours(n) && n->configured) {
                /* Someone else's bridge of that name: joined only when it has a /24 to
                 * give addresses from, and never addressed or removed by us. Or a member
                 * of the zone started with us made it a moment ago, and marks it ours
                 * next (bridge_set_up()): waited for, 2 s at most. */
                for (int try = 0; try < 200; try++) {
                        r = addresses4_foreach(nl, on_bridge_address, &b);
                        if (zone_bridge_ours(n) || (r >= 0 && b.found && b.prefix == ZONE_PREFIX4))
                                break;
                        (void)usleep(10000);
                }
                if (!zone_bridge_ours(n) && (r < 0 || !b.found || b.prefix != ZONE_PREFIX4)) {
                        log_error("--network-zone=%s: the host has a bridge %s that machined-lite did not make, without "
                                  "a /24 of its own (remove it, or join it with --network-bridge=%s)",
                                  m->network_zone, n->bridge, n->bridge);
                        return EXIT_BUSY;
                }
        }
        if (!n->configured)
                return 0;
        if (n->bridge_exists && (r = addresses4_foreach(nl, on_bridge_address, &b)) < 0)
                return log_error_errno(r, "Cannot read the addresses of %s: %m", n->bridge), EXIT_SETUP_FAILED;
        if (b.found && b.prefix == ZONE_PREFIX4) {
                n->subnet4.s_addr = b.address.s_addr & htonl(~0U << (32 - ZONE_PREFIX4));
                r = subnet_lock(n->subnet4, ZONE_PREFIX4, false);
        } else {
                snprintf(zone_key, sizeof(zone_key), "zone/%s", m->network_zone);
                r = subnet_pick(nl, zone_key, ZONE_PREFIX4, false, &n->subnet4);
        }
        if (r < 0)
                return r == -EBUSY
                       ? log_error("The subnet of zone %s's bridge %s is another machine's", m->network_zone, n->bridge),
                       EXIT_BUSY : EXIT_SETUP_FAILED;
        n->subnet_lock = r;
        n->prefix4 = ZONE_PREFIX4;
        n->host4.s_addr = htonl(ntohl(n->subnet4.s_addr) + 1);
        r = subnet_zone_address(n->subnet4, m->name, &n->guest4);
        if (r < 0)
                return log_error_errno(r, "No address left in zone %s for machine %s: %m", m->network_zone, m->name),
                       EXIT_BUSY;
        n->address_lock = r;
        return 0;
}

/* A zone's bridge, made by its first machine (or by two at once: the second finds it),
 * addressed .1 and up; the host's own bridge as it is. Returns its index. */
int bridge_set_up(struct mnl_socket *nl, struct machine_network *n)
{
        int ifindex, r;

        if (n->zone && !n->bridge_exists) {
                r = link_add_bridge(nl, n->bridge);
                if (r < 0 && r != -EEXIST)
                        return log_error_errno(r, "Cannot make the zone's bridge %s: %m", n->bridge);
                if (r >= 0)
                        zone_bridge_made(n);
        }
        ifindex = link_index(nl, n->bridge);
        if (ifindex < 0)
                return log_error_errno(ifindex, "Bridge %s is gone: %m", n->bridge);
        /* Its first machine addresses it; the others find the addresses there (EEXIST). */
        if (n->zone && n->configured) {
                r = address_add(nl, AF_INET, ifindex, &n->host4, n->prefix4);
                if ((r >= 0 || r == -EEXIST) && n->ipv6)
                        r = address_add(nl, AF_INET6, ifindex, &n->host6, 64);
                if (r < 0 && r != -EEXIST)
                        return log_error_errno(r, "Cannot address the zone's bridge %s: %m", n->bridge);
        }
        r = n->zone ? link_set_up(nl, ifindex, 0) : 0;
        return r < 0 ? log_error_errno(r, "Cannot bring %s up: %m", n->bridge) : ifindex;
}

/* When no machine holds the zone's lock, its bridge goes, if ours. */
static void remove_if_last(struct mnl_socket *nl, const struct machine_network *n)
{
        char path[PATH_MAX];
        char lock_name[LOCK_NAME_MAX];
        int last;

        snprintf(lock_name, sizeof(lock_name), "zone-%s", n->bridge + strlen("vz-"));
        last = lock_take(lock_name, 0, 1, true);
        if (last < 0)
                return;
        if (nl && zone_bridge_ours(n) && link_delete(nl, n->bridge) >= 0) {
                zone_marker(n, path);
                (void)unlink(path);
        }
        close(last);
}

/* After a zone's machine: when no other holds the zone, its bridge goes too. */
void zone_leave(struct mnl_socket *nl, struct machine_network *n)
{
        if (n->zone_lock < 0)
                return;
        close(n->zone_lock);
        n->zone_lock = -1;
        remove_if_last(nl, n);
}

void zone_sweep(struct mnl_socket *nl, const struct machine_network *n)
{
        if (n->zone)
                remove_if_last(nl, n);
}
