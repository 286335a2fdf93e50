/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A machine's network of its own, as the supervisor runs it: which links, which subnet and
 * addresses, forwarding, the nftables table and the DHCP server, in that order, and their
 * end. The netlink requests are net/link.c's, the table net/nft.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/dhcp-server.h"
#include "net/link.h"
#include "net/mnl.h"
#include "net/names.h"
#include "net/network.h"
#include "net/nft.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"

/* systemd-networkd's pools for containers' subnets, in its order of preference
 * (systemd.network(5), "Address=0.0.0.0/28" in 80-container-ve.network). */
static const struct {
        const char *base;
        uint8_t prefix;
} pools4[] = {
        { "192.168.0.0", 16 },
        { "172.16.0.0", 12 },
        { "10.0.0.0", 8 },
};

#define MACHINE_PREFIX4 28
/* How many places in each pool a name hashes to before the next pool is tried. */
#define SUBNET_TRIES 64
/* The key of our hashes of names to subnets: any fixed value, so that a machine gets the
 * same subnet on every boot and every host. */
static const uint8_t subnet_key[16] = "machined-lite-ip";

struct overlap_check {
        uint32_t first, last; /* the candidate, host order */
};

static int on_host_prefix(struct in_addr prefix, uint8_t length, void *userdata)
{
        const struct overlap_check *c = userdata;
        uint32_t mask = length == 0 ? 0 : ~0U << (32 - length);
        uint32_t first = ntohl(prefix.s_addr) & mask, last = first | ~mask;

        return first <= c->last && c->first <= last;
}

/* A subnet of the pools that no address or route of the host's overlaps and no running
 * machine holds (its lock), from a hash of NAME: the same one every boot, when free. */
static int pick_subnet(struct mnl_socket *nl, const char *name, struct machine_network *n)
{
        char key[128];

        for (size_t p = 0; p < ELEMENTSOF(pools4); p++) {
                struct in_addr base;
                uint32_t slots = 1U << (MACHINE_PREFIX4 - pools4[p].prefix);

                (void)inet_pton(AF_INET, pools4[p].base, &base);
                for (unsigned try = 0; try < SUBNET_TRIES; try++) {
                        int k = snprintf(key, sizeof(key), "%s/%u", name, try);
                        uint32_t slot = (uint32_t)(siphash24(key, (size_t)k, subnet_key) % slots);
                        struct overlap_check c = { .first = ntohl(base.s_addr) + (slot << (32 - MACHINE_PREFIX4)) };
                        int r;

                        c.last = c.first + (1U << (32 - MACHINE_PREFIX4)) - 1;
                        r = prefixes4_foreach(nl, on_host_prefix, &c);
                        if (r < 0)
                                return log_error_errno(r, "Cannot read the host's addresses and routes: %m");
                        if (r > 0)
                                continue;
                        r = lock_take("subnets4", c.first, c.last - c.first + 1, true);
                        if (r == -EBUSY)
                                continue;
                        if (r < 0)
                                return log_error_errno(r, "Cannot lock a subnet for machine %s: %m", name);
                        n->subnet_lock = r;
                        n->prefix4 = MACHINE_PREFIX4;
                        n->subnet4.s_addr = htonl(c.first);
                        n->host4.s_addr = htonl(c.first + 1);
                        n->guest4.s_addr = htonl(c.first + 2);
                        return 0;
                }
        }
        return log_error_errno(-EADDRNOTAVAIL,
                               "No free subnet for machine %s: every /28 tried in 192.168.0.0/16, 172.16.0.0/12 and "
                               "10.0.0.0/8 is in use on the host or by a running machine",
                               name);
}

/* A stable unique local /64 (RFC 4193) from the name: host ::1, guest ::2. */
static void pick_subnet6(const char *name, struct machine_network *n)
{
        uint64_t h = siphash24(name, strlen(name), subnet_key);

        memset(&n->subnet6, 0, sizeof(n->subnet6));
        n->subnet6.s6_addr[0] = 0xfd;
        for (int i = 1; i < 8; i++)
                n->subnet6.s6_addr[i] = (uint8_t)(h >> (8 * (i - 1)));
        n->host6 = n->guest6 = n->subnet6;
        n->host6.s6_addr[15] = 1;
        n->guest6.s6_addr[15] = 2;
        n->ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
}

/* The host's nameservers the guest can reach: those of /etc/resolv.conf not on loopback. */
static void read_host_dns(struct machine_network *n)
{
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        FILE *f = fopen("/etc/resolv.conf", "re");

        if (!f)
                return;
        while (getline(&line, &size, f) > 0 && n->n_dns < ELEMENTSOF(n->dns)) {
                char address[64];
                struct in_addr a;

                if (sscanf(line, " nameserver %63s", address) != 1 || inet_pton(AF_INET, address, &a) != 1)
                        continue;
                if ((ntohl(a.s_addr) >> 24) != 127)
                        n->dns[n->n_dns++] = a;
        }
        fclose(f);
}

static int lock_ports(const struct machine *m, struct machine_network *n)
{
        n->port_locks = malloc(MAX(m->n_ports, (size_t)1) * sizeof(int));
        if (!n->port_locks)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_SETUP_FAILED;
        n->n_port_locks = m->n_ports;
        for (size_t i = 0; i < m->n_ports; i++)
                n->port_locks[i] = -1;
        for (size_t i = 0; i < m->n_ports; i++) {
                const struct port_forward *p = &m->ports[i];
                int r = nft_port_lock(p->protocol, p->host_port);

                if (r == -EBUSY) {
                        log_error("Port %s:%u is already forwarded by another running machine "
                                  "(machined-lite list shows them; choose another host port with -p)",
                                  p->protocol == IPPROTO_UDP ? "udp" : "tcp", p->host_port);
                        return EXIT_BUSY;
                }
                if (r < 0)
                        return log_error_errno(r, "Cannot lock port %u: %m", p->host_port), EXIT_SETUP_FAILED;
                n->port_locks[i] = r;
        }
        return 0;
}

int network_prepare(const struct machine *m, struct machine_network *n)
{
        struct mnl_socket *nl = NULL;
        int r;

        if (!m->network_veth)
                return 0;
        n->enabled = true;
        r = network_ifname("ve-", m->name, n->ifname, &n->ifname_shortened);
        if (r < 0)
                return log_error_errno(r, "Machine name %s makes no link name: %m", m->name), EXIT_USAGE;
        r = lock_ports(m, n);
        if (r != 0)
                return r;
        if (mnl_load() < 0)
                return EXIT_SETUP_FAILED;
        r = rtnl_open(-1, &nl);
        if (r < 0) {
                mnl_unload();
                return log_error_errno(r, "Cannot open a netlink socket: %m"), EXIT_SETUP_FAILED;
        }
        if (link_index(nl, n->ifname) >= 0) {
                log_error("A link named %s exists on the host already: machine %s's would have that name "
                          "(remove it, or give the machine another name with -M)",
                          n->ifname, m->name);
                r = EXIT_BUSY;
        } else
                r = pick_subnet(nl, m->name, n) < 0 ? EXIT_SETUP_FAILED : 0;
        rtnl_close(nl);
        mnl_unload();
        if (r != 0)
                return r;
        pick_subnet6(m->name, n);
        read_host_dns(n);
        return 0;
}

/* A sysctl of ours under /proc/sys/net (the supervisor's network namespace): 0 or -errno;
 * *OLD (may be NULL) gets what it was. */
static int sysctl_write(const char *path, const char *value, char *old, size_t old_size)
{
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
        ssize_t k;

        if (fd < 0)
                return negative_errno();
        if (old) {
                k = read(fd, old, old_size - 1);
                old[k > 0 ? k : 0] = '\0';
                if (k > 0 && old[k - 1] == '\n')
                        old[k - 1] = '\0';
                if (strcmp(old, value) == 0)
                        return 0;
        }
        if (pwrite(fd, value, strlen(value), 0) < 0)
                return negative_errno();
        return 0;
}

/* Forwarding for the machine's traffic: IPv4's is one switch for the whole namespace
 * (networkd, LXC and Docker turn it on the same way, and say so); IPv6's global one is
 * never touched (a host that forwards drops its own IPv6 default route learned from router
 * advertisements: systemd issue 27639), only the machine's link's force_forwarding. */
static int enable_forwarding(const struct machine_network *n, bool local_ports)
{
        char old[16], path[128];
        int r;

        r = sysctl_write("/proc/sys/net/ipv4/ip_forward", "1", old, sizeof(old));
        if (r < 0)
                return log_error_errno(r, "Cannot turn on IPv4 forwarding (net.ipv4.ip_forward): %m");
        if (strcmp(old, "1") != 0)
                log_info("Turned on IPv4 forwarding (net.ipv4.ip_forward=1) for the machine's traffic; it stays on");
        /* Forwards reached from 127.0.0.1: the kernel routes loopback sources out of this
         * link only with route_localnet (on this link only). */
        if (local_ports) {
                snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", n->ifname);
                r = sysctl_write(path, "1", NULL, 0);
                if (r < 0)
                        return log_error_errno(r, "Cannot set %s: %m", path);
        }
        if (n->ipv6) {
                snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/force_forwarding", n->ifname);
                r = sysctl_write(path, "1", NULL, 0);
                if (r == -ENOENT)
                        log_info("This kernel has no per-link IPv6 forwarding (force_forwarding, Linux 6.17): "
                                 "the machine's IPv6 reaches the host only");
                else if (r < 0)
                        return log_error_errno(r, "Cannot set %s: %m", path);
        }
        return 0;
}

static int address_link(struct mnl_socket *nl, const struct machine_network *n, int ifindex, bool guest_end)
{
        int r;

        r = address_add(nl, AF_INET, ifindex, guest_end ? &n->guest4 : &n->host4, n->prefix4);
        if (r >= 0 && n->ipv6)
                r = address_add(nl, AF_INET6, ifindex, guest_end ? &n->guest6 : &n->host6, 64);
        if (r >= 0)
                r = link_set_up(nl, ifindex, 0);
        return r;
}

/* In the guest's namespace, through a socket opened there: host0 addressed and up, and
 * the default routes through the host's end. */
static int set_up_guest_end(const struct machine_network *n, int guest_pidfd)
{
        struct mnl_socket *nl = NULL;
        int ifindex, r;

        r = rtnl_open(guest_pidfd, &nl);
        if (r < 0)
                return log_error_errno(r, "Cannot open a netlink socket in the guest's network namespace: %m");
        ifindex = r = link_index(nl, "host0");
        if (r >= 0)
                r = address_link(nl, n, ifindex, true);
        if (r >= 0)
                r = route_add_default(nl, AF_INET, ifindex, &n->host4);
        if (r >= 0 && n->ipv6)
                r = route_add_default(nl, AF_INET6, ifindex, &n->host6);
        rtnl_close(nl);
        if (r < 0)
                return log_error_errno(r, "Cannot set up host0 in the guest: %m");
        return 0;
}

static int set_up_links(const struct machine *m, struct machine_network *n, pid_t guest_pid, int guest_pidfd)
{
        _cleanup_free_ char *full_name = NULL;
        uint8_t host_mac[6], guest_mac[6];
        bool macs;
        struct mnl_socket *nl = NULL;
        int ifindex, r;

        macs = network_mac(NETWORK_MAC_VETH_HOST, m->name, 0, host_mac) >= 0 &&
               network_mac(NETWORK_MAC_VETH_CONTAINER, m->name, 0, guest_mac) >= 0;
        if (n->ifname_shortened && asprintf(&full_name, "ve-%s", m->name) < 0)
                return -ENOMEM;
        r = rtnl_open(-1, &nl);
        if (r < 0)
                return log_error_errno(r, "Cannot open a netlink socket: %m");
        r = link_add_veth(nl, n->ifname, full_name, macs ? host_mac : NULL, "host0", macs ? guest_mac : NULL, guest_pid);
        if (r == -EEXIST)
                log_error("A link named %s appeared on the host while machine %s started (remove it, or use -M)",
                          n->ifname, m->name);
        else if (r < 0)
                log_error_errno(r, "Cannot make the veth pair %s/host0 of machine %s: %m", n->ifname, m->name);
        else {
                n->link_made = true;
                ifindex = r = link_index(nl, n->ifname);
                if (r >= 0)
                        r = address_link(nl, n, ifindex, false);
                if (r < 0)
                        log_error_errno(r, "Cannot address %s: %m", n->ifname);
        }
        rtnl_close(nl);
        if (r < 0)
                return r;
        return set_up_guest_end(n, guest_pidfd);
}

static int make_table(const struct machine *m, struct machine_network *n)
{
        _cleanup_free_ struct nft_port *ports = calloc(MAX(m->n_ports, (size_t)1), sizeof(*ports));
        struct nft_machine table = {
                .name = m->name,
                .ifname = n->ifname,
                .subnet4 = n->subnet4,
                .prefix4 = n->prefix4,
                .guest4 = n->guest4,
                .ipv6 = n->ipv6,
                .subnet6 = n->subnet6,
                .prefix6 = 64,
                .guest6 = n->guest6,
                .ports = ports,
                .n_ports = m->n_ports,
        };
        int fd;

        if (!ports)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_ports; i++)
                ports[i] = (struct nft_port){ m->ports[i].protocol, m->ports[i].host_port, m->ports[i].guest_port };
        fd = nft_machine_table(&table);
        if (fd < 0)
                return fd;
        n->nft_fd = fd;
        if (nft_forward_drops() > 0)
                log_info("Another firewall's forward chain drops by policy (Docker's does): it may drop machine %s's "
                         "traffic to and from the world that ours accepts",
                         m->name);
        return 0;
}

int network_setup(const struct machine *m, struct machine_network *n, pid_t guest_pid, int guest_pidfd)
{
        int r;

        if (!n->enabled)
                return 0;
        r = mnl_load();
        if (r < 0)
                return r;
        r = set_up_links(m, n, guest_pid, guest_pidfd);
        if (r >= 0)
                r = enable_forwarding(n, m->n_ports > 0);
        if (r >= 0)
                r = make_table(m, n);
        mnl_unload();
        return r;
}

int network_start_dhcp(struct machine_network *n, sd_event *event)
{
        struct dhcp_lease lease = {
                .server = n->host4,
                .address = n->guest4,
                .prefix = n->prefix4,
                .n_dns = n->n_dns,
                .lease_seconds = 3600,
        };
        int ifindex;

        if (!n->enabled)
                return 0;
        memcpy(lease.dns, n->dns, sizeof(lease.dns));
        ifindex = (int)if_nametoindex(n->ifname);
        if (ifindex <= 0)
                return log_error_errno(-ENODEV, "Link %s is gone: %m", n->ifname);
        return dhcp_server_start(event, ifindex, &lease, &n->dhcp);
}

void network_done(struct machine_network *n)
{
        dhcp_server_free(n->dhcp);
        n->dhcp = NULL;
        /* Most often gone already, with the guest's namespace and so its peer. */
        if (n->link_made && mnl_load() >= 0) {
                struct mnl_socket *nl = NULL;

                if (rtnl_open(-1, &nl) >= 0) {
                        (void)link_delete(nl, n->ifname);
                        rtnl_close(nl);
                }
                mnl_unload();
                n->link_made = false;
        }
        if (n->nft_fd >= 0)
                close(n->nft_fd);
        n->nft_fd = -1;
        for (size_t i = 0; i < n->n_port_locks; i++)
                if (n->port_locks[i] >= 0)
                        close(n->port_locks[i]);
        free(n->port_locks);
        n->port_locks = NULL;
        n->n_port_locks = 0;
        if (n->subnet_lock >= 0)
                close(n->subnet_lock);
        n->subnet_lock = -1;
}

int network_guest_addresses(const struct machine_network *n, char *buffer, size_t size)
{
        char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

        if (!n->enabled)
                return 0;
        inet_ntop(AF_INET, &n->guest4, a4, sizeof(a4));
        inet_ntop(AF_INET6, &n->guest6, a6, sizeof(a6));
        if (n->ipv6)
                snprintf(buffer, size, "%s/%u %s/64", a4, n->prefix4, a6);
        else
                snprintf(buffer, size, "%s/%u", a4, n->prefix4);
        return 1;
}
