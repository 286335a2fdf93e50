/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which subnet and address a machine gets: a hash of its name (or its zone's) into
 * systemd-networkd's pools, checked against the host and locked against other machines.
 * Putting them on links is net/network.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "net/link.h"
#include "net/names.h"
#include "net/subnet.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"

/* systemd-networkd's pools for containers' subnets, in its order of preference
 * (systemd.network(5): "Address=0.0.0.0/28" in 80-container-ve.network). */
static const struct {
        const char *base;
        uint8_t prefix;
} pools4[] = {
        { "192.168.0.0", 16 },
        { "172.16.0.0", 12 },
        { "10.0.0.0", 8 },
};

/* How many places in each pool a name hashes to before the next pool is tried. */
#define SUBNET_TRIES 64
/* The key of our hashes of names to subnets: any fixed value, so that a machine gets the
 * same subnet on every boot and every host. */
static const uint8_t subnet_key[16] = "machined-lite-ip";

/* One lock file for every IPv4 subnet, a byte a address: subnets that overlap conflict. */
#define SUBNET_LOCK "subnets4"
/* And one for the machines' addresses in zones. */
#define ZONE_ADDRESS_LOCK "zone-addresses4"

struct overlap_check {
        uint32_t first, last; /* the candidate, host order */
};

static int on_host_prefix(struct in_addr prefix, uint8_t length, int ifindex _unused_, void *userdata)
{
        const struct overlap_check *c = userdata;
        uint32_t mask = length == 0 ? 0 : ~0U << (32 - length);
        uint32_t first = ntohl(prefix.s_addr) & mask, last = first | ~mask;

        return first <= c->last && c->first <= last;
}

int subnet_lock(struct in_addr subnet, uint8_t prefix, bool exclusive)
{
        return lock_take(SUBNET_LOCK, ntohl(subnet.s_addr), (off_t)1 << (32 - prefix), exclusive);
}

/* Candidate TRY of NAME in pool P, or -EAGAIN when it is in use (host or lock). */
static int try_subnet(struct mnl_socket *nl, const char *name, size_t p, unsigned try, uint8_t prefix, bool exclusive,
                      struct in_addr *ret)
{
        char key[128];
        struct in_addr base;
        uint32_t slots = 1U << (prefix - pools4[p].prefix), slot;
        struct overlap_check c;
        int k = snprintf(key, sizeof(key), "%s/%u", name, try), r;

        (void)inet_pton(AF_INET, pools4[p].base, &base);
        slot = (uint32_t)(siphash24(key, (size_t)MAX(k, 0), subnet_key) % slots);
        c.first = ntohl(base.s_addr) + (slot << (32 - prefix));
        c.last = c.first + (1U << (32 - prefix)) - 1;
        r = prefixes4_foreach(nl, on_host_prefix, &c);
        if (r < 0)
                return log_error_errno(r, "Cannot read the host's addresses and routes: %m");
        if (r > 0)
                return -EAGAIN;
        ret->s_addr = htonl(c.first);
        r = subnet_lock(*ret, prefix, exclusive);
        if (r == -EBUSY)
                return -EAGAIN;
        if (r < 0)
                return log_error_errno(r, "Cannot lock a subnet for %s: %m", name);
        return r;
}

int subnet_pick(struct mnl_socket *nl, const char *name, uint8_t prefix, bool exclusive, struct in_addr *ret)
{
        for (size_t p = 0; p < ELEMENTSOF(pools4); p++)
                for (unsigned try = 0; try < SUBNET_TRIES; try++) {
                        int r = try_subnet(nl, name, p, try, prefix, exclusive, ret);

                        if (r != -EAGAIN)
                                return r;
                }
        return log_error_errno(-EADDRNOTAVAIL,
                               "No free subnet for %s: every /%u tried in 192.168.0.0/16, 172.16.0.0/12 and "
                               "10.0.0.0/8 is in use on the host or by a running machine",
                               name, prefix);
}

int subnet_zone_address(struct in_addr subnet, const char *name, struct in_addr *ret)
{
        uint64_t h = siphash24(name, strlen(name), subnet_key);

        /* 253 hosts: .2 to .254 (.1 is the bridge's, .255 the broadcast). */
        for (unsigned i = 0; i < 253; i++) {
                uint32_t address = ntohl(subnet.s_addr) + 2 + (uint32_t)((h + i) % 253);
                int r = lock_take(ZONE_ADDRESS_LOCK, address, 1, true);

                if (r == -EBUSY)
                        continue;
                if (r >= 0)
                        ret->s_addr = htonl(address);
                return r;
        }
        return -EADDRNOTAVAIL;
}

void subnet_ula(const char *name, struct in6_addr *ret)
{
        uint64_t h = siphash24(name, strlen(name), subnet_key);

        memset(ret, 0, sizeof(*ret));
        ret->s6_addr[0] = 0xfd;
        for (int i = 1; i < 8; i++)
                ret->s6_addr[i] = (uint8_t)(h >> (8 * (i - 1)));
}
