/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A machine's network of its own, as the supervisor runs it: which links, which subnet and
 * addresses, forwarding, the nftables table and the DHCP server, in that order, and their
 * end. The netlink requests are net/link.c's, the subnets net/subnet.c's, the table
 * net/nft.c's, the links besides host0 net/extra-links.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/dhcp-server.h"
#include "net/follow.h"
#include "net/link.h"
#include "net/mnl.h"
#include "net/names.h"
#include "net/network.h"
#include "net/nft.h"
#include "net/nftnl.h"
#include "net/subnet.h"
#include "net/zone.h"
#include "util/libsystemd.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/proctitle.h"

#define MACHINE_PREFIX4 28
/* Whether systemd-networkd runs on the host: it owns org.freedesktop.network1 on the
 * system bus while it does (a host without a bus runs none: sd-bus is not even touched
 * then, some 300 KiB of the supervisor's resident memory). */
static bool networkd_running(void)
{
        sd_bus *bus = NULL;
        sd_bus_message *reply = NULL;
        int has_owner = 0;

        if (!getenv("DBUS_SYSTEM_BUS_ADDRESS") && access("/run/dbus/system_bus_socket", F_OK) < 0)
                return false;
        if (libsystemd_load() < 0)
                return false;
        if (sym_sd_bus_open_system(&bus) >= 0 &&
            sym_sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                   "NameHasOwner", NULL, &reply, "s", "org.freedesktop.network1") >= 0)
                (void)sym_sd_bus_message_read(reply, "b", &has_owner);
        sym_sd_bus_message_unref(reply);
        sym_sd_bus_flush_close_unref(bus);
        libsystemd_unload();
        return has_owner > 0;
}

/* The host's nameservers the guest can reach: those of /etc/resolv.conf not on loopback.
 * When there are only loopback ones (systemd-resolved's 127.0.0.53, a local dnsmasq), the
 * guest asks the host's end of its link, and our table redirects that to the first. */
static void read_host_dns(struct machine_network *n)
{
        struct in_addr loopback = {};

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
                else if (loopback.s_addr == 0)
                        loopback = a;
        }
        fclose(f);
        if (n->n_dns == 0 && loopback.s_addr != 0) {
                n->dns_redirect = loopback;
                n->dns[n->n_dns++] = n->host4;
        }
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

/* The machine's network is its name's for its life and until its teardown is over
 * (network_done()): a new start of it waits for that (a reboot of machine@NAME, say), so
 * as to find the name of its link, its table and its ports free. */
static int lock_network_name(const struct machine *m, struct machine_network *n)
{
        char name[LOCK_NAME_MAX];

        snprintf(name, sizeof(name), "network-%s", m->name);
        /* Tried every millisecond: what is waited for takes a few. */
        for (int try = 0; try < 5000 && (n->name_lock = lock_take(name, 0, 1, true)) == -EBUSY; try++)
                (void)usleep(1000);
        if (n->name_lock == -EBUSY)
                return log_error("The network of machine %s is still being taken down: try again", m->name), EXIT_BUSY;
        if (n->name_lock < 0)
                return log_error_errno(n->name_lock, "Cannot lock the network of machine %s: %m", m->name),
                       EXIT_SETUP_FAILED;
        return 0;
}

/* Which links and who addresses them, from the options alone. */
static int network_plan(const struct machine *m, struct machine_network *n)
{
        bool networkd;
        int r;

        n->veth = m->network_veth || m->network_zone || m->network_bridge;
        n->enabled = n->veth || m->network_veth_extra || m->network_interfaces || m->network_macvlan ||
                     m->network_ipvlan || m->oci_net_devices;
        if (!n->enabled)
                return 0;
        networkd = m->network_configure == NETWORK_CONFIGURE_NO ||
                   (m->network_configure == NETWORK_CONFIGURE_AUTO && networkd_running());
        /* A bridge of the host's own is the host's network: its DHCP server, its routes. */
        n->configured = n->veth && !m->network_bridge && !networkd;
        /* Forwards to an address we do not give follow the one the guest gets. */
        n->follow = n->veth && !n->configured && m->n_ports > 0;
        if (!n->veth)
                return 0;
        r = network_ifname(m->network_veth && !m->network_zone && !m->network_bridge ? "ve-" : "vb-", m->name,
                           n->ifname, &n->ifname_shortened);
        if (r < 0)
                return log_error_errno(r, "Machine name %s makes no link name: %m", m->name), EXIT_USAGE;
        if (m->network_zone) {
                snprintf(n->bridge, sizeof(n->bridge), "vz-%s", m->network_zone);
                n->zone = true;
        } else if (m->network_bridge)
                snprintf(n->bridge, sizeof(n->bridge), "%s", m->network_bridge);
        return 0;
}

static int prepare_veth(struct mnl_socket *nl, const struct machine *m, struct machine_network *n)
{
        int r;

        if (link_index(nl, n->ifname) >= 0) {
                log_error("A link named %s exists on the host already: machine %s's would have that name "
                          "(remove it, or give the machine another name with -M)",
                          n->ifname, m->name);
                return EXIT_BUSY;
        }
        r = n->bridge[0] ? link_is_bridge(nl, n->bridge) : 1;
        if (m->network_bridge && r == -ENODEV) {
                log_error("--network-bridge=%s: the host has no such bridge (ip link add %s type bridge makes one)",
                          n->bridge, n->bridge);
                return EXIT_USAGE;
        }
        if (r == 0) {
                if (m->network_zone)
                        log_error("--network-zone=%s: the host has a link %s that is no bridge (remove it, or choose "
                                  "another zone)",
                                  m->network_zone, n->bridge);
                else
                        log_error("--network-bridge=%s: that link is no bridge", n->bridge);
                return m->network_zone ? EXIT_BUSY : EXIT_USAGE;
        }
        if (n->zone)
                return zone_prepare(nl, m, n);
        if (!n->configured)
                return 0;
        r = subnet_pick(nl, m->name, MACHINE_PREFIX4, true, &n->subnet4);
        if (r < 0)
                return EXIT_SETUP_FAILED;
        n->subnet_lock = r;
        n->prefix4 = MACHINE_PREFIX4;
        n->host4.s_addr = htonl(ntohl(n->subnet4.s_addr) + 1);
        n->guest4.s_addr = htonl(ntohl(n->subnet4.s_addr) + 2);
        return 0;
}

/* IPv6: a stable ULA /64, the machine's (or its zone's); the host end ::1, the guest the
 * same host number as in IPv4. */
static void prepare_ipv6(const struct machine *m, struct machine_network *n)
{
        char key[64];

        n->ipv6 = n->configured && access("/proc/sys/net/ipv6", F_OK) == 0;
        if (!n->ipv6)
                return;
        snprintf(key, sizeof(key), "%s%s", n->zone ? "zone/" : "", n->zone ? m->network_zone : m->name);
        subnet_ula(key, &n->subnet6);
        n->host6 = n->guest6 = n->subnet6;
        n->host6.s6_addr[15] = 1;
        n->guest6.s6_addr[15] = (uint8_t)ntohl(n->guest4.s_addr);
}

int network_prepare(const struct machine *m, struct machine_network *n)
{
        struct mnl_socket *nl = NULL;
        int r;

        r = network_plan(m, n);
        if (r != 0 || !n->enabled)
                return r;
        n->name = m->name;
        r = lock_network_name(m, n);
        if (r != 0)
                return r;
        r = lock_ports(m, n);
        if (r != 0)
                return r;
        /* No machine id: the links get random MACs (link.c), as nspawn's then do. */
        (void)network_machine_id_read();
        if (mnl_load() < 0)
                return EXIT_SETUP_FAILED;
        r = rtnl_open(-1, &nl);
        if (r < 0) {
                mnl_unload();
                return log_error_errno(r, "Cannot open a netlink socket: %m"), EXIT_SETUP_FAILED;
        }
        r = n->veth ? prepare_veth(nl, m, n) : 0;
        if (r == 0)
                r = extra_links_check(nl, m);
        rtnl_close(nl);
        if (r != 0) {
                mnl_unload();
                return r;
        }
        /* Kept for network_setup(), a few milliseconds later: loaded once, not twice. */
        n->mnl_held = true;
        prepare_ipv6(m, n);
        if (n->configured)
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

/* The link the machine's traffic leaves the host side by: its bridge, or ve-NAME. */
static const char *outer_link(const struct machine_network *n)
{
        return n->bridge[0] ? n->bridge : n->ifname;
}

/* IPv6 forwards only packets that arrive on a link with forwarding on, and turning it on
 * for all (net.ipv6.conf.all.forwarding) makes the host a router that drops the default
 * route it learned from router advertisements (systemd issue 27639): instead, each link
 * the machine's packets come in by gets force_forwarding (Linux 6.17), which changes
 * nothing else: the machine's own, and the host's uplinks (the links of its IPv6 default
 * routes), by which the answers to its NAT66 egress and the forwarded ports come in. */
static int enable_forwarding6(struct mnl_socket *nl, const struct machine_network *n)
{
        char path[128], old[16], ifname[IF_NAMESIZE];
        int uplinks[8], k, r;

        snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/force_forwarding", outer_link(n));
        r = sysctl_write(path, "1", NULL, 0);
        if (r == -ENOENT) {
                log_info("This kernel has no per-link IPv6 forwarding (force_forwarding, Linux 6.17): "
                         "the machine's IPv6 reaches the host only");
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Cannot set %s: %m", path);
        k = default_route_links(nl, AF_INET6, uplinks, ELEMENTSOF(uplinks));
        if (k < 0)
                return log_error_errno(k, "Cannot read the host's IPv6 default routes: %m");
        for (int i = 0; i < k; i++) {
                if (!if_indextoname((unsigned)uplinks[i], ifname))
                        continue;
                snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/force_forwarding", ifname);
                r = sysctl_write(path, "1", old, sizeof(old));
                if (r < 0)
                        return log_error_errno(r, "Cannot set %s: %m", path);
                if (strcmp(old, "1") != 0)
                        log_info("Turned on IPv6 forwarding on the uplink %s only "
                                 "(net.ipv6.conf.%s.force_forwarding=1) for the machine's traffic; it stays on",
                                 ifname, ifname);
        }
        return 0;
}

/* Forwarding for the machine's traffic: IPv4's is one switch for the whole namespace
 * (networkd, LXC and Docker turn it on the same way, and say so); IPv6's global one is
 * never touched: enable_forwarding6(). */
static int enable_forwarding(struct mnl_socket *nl, const struct machine_network *n, bool route_local)
{
        char old[16], path[128];
        int r;

        r = sysctl_write("/proc/sys/net/ipv4/ip_forward", "1", old, sizeof(old));
        if (r < 0)
                return log_error_errno(r, "Cannot turn on IPv4 forwarding (net.ipv4.ip_forward): %m");
        if (strcmp(old, "1") != 0)
                log_info("Turned on IPv4 forwarding (net.ipv4.ip_forward=1) for the machine's traffic; it stays on");
        /* Forwards reached from 127.0.0.1, and the guest's DNS to a resolver on loopback:
         * the kernel routes to and from 127.0.0.0/8 over this link only with route_localnet
         * (on this link only). */
        if (route_local) {
                snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", outer_link(n));
                r = sysctl_write(path, "1", NULL, 0);
                if (r < 0)
                        return log_error_errno(r, "Cannot set %s: %m", path);
        }
        return n->ipv6 ? enable_forwarding6(nl, n) : 0;
}

static int address_link(struct mnl_socket *nl, const struct machine_network *n, int ifindex, bool guest_end)
{
        int r;

        r = address_add(nl, AF_INET, ifindex, guest_end ? &n->guest4 : &n->host4, n->prefix4);
        if (r >= 0 && n->ipv6)
                r = address_add(nl, AF_INET6, ifindex, guest_end ? &n->guest6 : &n->host6, 64);
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
                r = link_set_up(nl, ifindex, 0);
        if (r >= 0)
                r = route_add_default(nl, AF_INET, ifindex, &n->host4);
        if (r >= 0 && n->ipv6)
                r = route_add_default(nl, AF_INET6, ifindex, &n->host6);
        rtnl_close(nl);
        if (r < 0)
                return log_error_errno(r, "Cannot set up host0 in the guest: %m");
        return 0;
}

static int set_up_host_end(struct mnl_socket *nl, const struct machine *m, struct machine_network *n, pid_t guest_pid)
{
        _cleanup_free_ char *full_name = NULL;
        uint8_t host_mac[6];
        bool macs;
        int ifindex, bridge = 0, r;

        macs = network_mac(NETWORK_MAC_VETH_HOST, m->name, 0, host_mac) >= 0 &&
               network_mac(NETWORK_MAC_VETH_CONTAINER, m->name, 0, n->guest_mac) >= 0;
        n->guest_mac_known = macs;
        if (n->ifname_shortened && asprintf(&full_name, "%s%s", n->bridge[0] ? "vb-" : "ve-", m->name) < 0)
                return -ENOMEM;
        if (n->bridge[0] && (bridge = bridge_set_up(nl, n)) < 0)
                return bridge;
        r = link_add_veth(nl, n->ifname, full_name, macs ? host_mac : NULL, "host0", macs ? n->guest_mac : NULL,
                          guest_pid);
        if (r == -EEXIST)
                return log_error_errno(r,
                                       "A link named %s appeared on the host while machine %s started (remove it, "
                                       "or use -M)",
                                       n->ifname, m->name);
        if (r < 0)
                return log_error_errno(r, "Cannot make the veth pair %s/host0 of machine %s: %m", n->ifname, m->name);
        n->link_made = true;
        n->ifindex = ifindex = r = link_index(nl, n->ifname);
        if (r >= 0 && n->configured && !n->bridge[0])
                r = address_link(nl, n, ifindex, false);
        if (r >= 0)
                r = link_set_up(nl, ifindex, bridge);
        if (r < 0)
                return log_error_errno(r, "Cannot set up %s: %m", n->ifname);
        return 0;
}

static int make_table(const struct machine *m, struct machine_network *n)
{
        _cleanup_free_ struct nft_port *ports = calloc(MAX(m->n_ports, (size_t)1), sizeof(*ports));
        struct nft_machine table = {
                .name = m->name,
                .ifname = outer_link(n),
                .subnet4 = n->subnet4,
                .prefix4 = n->prefix4,
                .guest4 = n->guest4,
                .ipv6 = n->ipv6,
                .subnet6 = n->subnet6,
                .prefix6 = 64,
                .guest6 = n->guest6,
                .isolate = n->zone,
                .dns_host4 = n->host4,
                .dns_redirect4 = n->dns_redirect,
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
        if (nft_forward_drops(fd) > 0)
                log_info("Another firewall's forward chain drops by policy (Docker's does): machine %s's traffic "
                         "to and from the world passes only where that firewall lets it",
                         m->name);
        return 0;
}

static int set_up_links(struct mnl_socket *nl, const struct machine *m, struct machine_network *n, pid_t guest_pid,
                        int guest_pidfd)
{
        int r;

        r = n->veth ? set_up_host_end(nl, m, n, guest_pid) : 0;
        if (r >= 0)
                r = extra_links_add(nl, m, guest_pid, &n->extra);
        if (r >= 0 && n->configured)
                r = set_up_guest_end(n, guest_pidfd);
        return r;
}

int network_setup(const struct machine *m, struct machine_network *n, pid_t guest_pid, int guest_pidfd)
{
        struct mnl_socket *nl = NULL;
        int r;

        if (!n->enabled)
                return 0;
        r = n->mnl_held ? 0 : mnl_load();
        n->mnl_held = false;
        if (r < 0)
                return r;
        /* Once for both tables. */
        r = nftnl_load();
        if (r < 0) {
                mnl_unload();
                return r;
        }
        r = rtnl_open(-1, &nl);
        if (r < 0)
                log_error_errno(r, "Cannot open a netlink socket: %m");
        else
                r = set_up_links(nl, m, n, guest_pid, guest_pidfd);
        /* The guard before route_localnet, for every machine on a veth: on a zone's
         * bridge, another member's ports may have set it. */
        if (r >= 0 && n->veth) {
                n->guard_fd = r = nft_guard_table(m->name, outer_link(n));
                if (r >= 0)
                        r = 0;
        }
        if (r >= 0 && (n->configured || n->follow))
                r = enable_forwarding(nl, n, m->n_ports > 0 || n->dns_redirect.s_addr != 0);
        if (r >= 0 && n->configured)
                r = make_table(m, n);
        rtnl_close(nl);
        nftnl_unload();
        mnl_unload();
        /* What the libraries and the tables' batches took from the heap, given back. */
        (void)malloc_trim(0);
        return r;
}

static int start_dhcp(struct machine_network *n, struct event *event)
{
        struct dhcp_lease lease = {
                .server = n->host4,
                .address = n->guest4,
                .prefix = n->prefix4,
                .n_dns = n->n_dns,
                .lease_seconds = 3600,
                /* On a zone's bridge every member's server hears every client: each
                 * answers its own guest only. */
                .match_client = n->guest_mac_known,
        };
        int ifindex;

        memcpy(lease.dns, n->dns, sizeof(lease.dns));
        memcpy(lease.client_mac, n->guest_mac, sizeof(lease.client_mac));
        ifindex = (int)if_nametoindex(outer_link(n));
        if (ifindex <= 0)
                return log_error_errno(-ENODEV, "Link %s is gone: %m", outer_link(n));
        return dhcp_server_start(event, ifindex, &lease, &n->dhcp);
}

int network_start(const struct machine *m, struct machine_network *n, struct event *event, int guest_pidfd)
{
        if (n->configured)
                return start_dhcp(n, event);
        if (n->follow)
                return port_follower_start(m, outer_link(n), guest_pidfd, event, &n->follower);
        return 0;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void close_locks(struct machine_network *n)
{
        for (size_t i = 0; i < n->n_port_locks; i++)
                if (n->port_locks[i] >= 0)
                        close(n->port_locks[i]);
        free(n->port_locks);
        n->port_locks = NULL;
        n->n_port_locks = 0;
        close_fd(&n->address_lock);
        close_fd(&n->subnet_lock);
}

static void tear_down(struct machine_network *n)
{
        struct mnl_socket *nl = NULL;
        char altname[IFNAMSIZ + 64];
        int aside = 0;
        bool loaded;

        extra_links_done(&n->extra);
        loaded = (n->link_made || n->zone_lock >= 0) && mnl_load() >= 0;
        if (loaded && rtnl_open(-1, &nl) < 0)
                nl = NULL;
        /* Gone already when the kernel has taken the guest's namespace down, and its peer
         * with it; else set aside now and deleted last, after the next start's wait. */
        if (n->link_made && nl) {
                snprintf(altname, sizeof(altname), "%s%s", n->bridge[0] ? "vb-" : "ve-", n->name);
                aside = link_set_aside(nl, n->ifname, n->ifname_shortened ? altname : NULL);
                if (aside < 0)
                        (void)link_delete(nl, n->ifname);
        }
        n->link_made = false;
        /* The tables' names free at once; their sockets' closing would wait for the
         * kernel's RCU grace period first, some 10 ms each. */
        if ((n->nft_fd >= 0 || n->guard_fd >= 0) && nftnl_load() >= 0) {
                (void)nft_machine_table_drop(n->nft_fd, n->name, false);
                (void)nft_machine_table_drop(n->guard_fd, n->name, true);
                nftnl_unload();
        }
        close_locks(n);
        zone_leave(nl, n);
        /* All is free for the machine's next start now. */
        lock_release(n->name_lock);
        n->name_lock = -1;
        if (aside > 0)
                (void)link_delete_index(nl, aside);
        rtnl_close(nl);
        if (loaded)
                mnl_unload();
        close_fd(&n->nft_fd);
        close_fd(&n->guard_fd);
}

static int compare_fds(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/* In ml-netdown: every fd closed but the network's and KEEP, a few calls of close_range(). */
static void close_all_but_ours(const struct machine_network *n, int keep)
{
        int fds[8 + n->n_port_locks], n_fds = 0, next = 0;
        const int singles[] = { keep,         n->nft_fd,    n->guard_fd,         n->subnet_lock, n->address_lock,
                                n->zone_lock, n->name_lock, n->extra.guest_netns };

        for (size_t i = 0; i < ELEMENTSOF(singles); i++)
                if (singles[i] >= 0)
                        fds[n_fds++] = singles[i];
        for (size_t i = 0; i < n->n_port_locks; i++)
                if (n->port_locks[i] >= 0)
                        fds[n_fds++] = n->port_locks[i];
        qsort(fds, (size_t)n_fds, sizeof(int), compare_fds);
        for (int i = 0; i < n_fds; i++) {
                if (fds[i] > next)
                        (void)close_range((unsigned)next, (unsigned)fds[i] - 1, 0);
                next = fds[i] + 1;
        }
        (void)close_range((unsigned)next, ~0U, 0);
}

/* Deleting links and the table waits for RCU grace periods in the kernel (some 30 ms
 * here, more than the rest of a `run`): a child of ours does it while we report the
 * guest's end. It holds the network lock of the name until done, so that the machine's
 * next start waits for it (network_prepare()), and nothing else of ours: no terminal, no
 * pipe a caller waits on. Without a child (fork failed) we do it ourselves. */
void network_done(struct machine_network *n)
{
        int handover[2];
        char byte;
        pid_t pid;

        dhcp_server_free(n->dhcp);
        n->dhcp = NULL;
        if (n->mnl_held)
                mnl_unload(); /* set up never */
        n->mnl_held = false;
        if (n->follower) {
                /* Its table's socket goes with the rest, in ml-netdown. */
                port_follower_free(n->follower, &n->nft_fd);
                n->follower = NULL;
        }
        if (!n->enabled)
                return;
        /* The child lets go of every fd but the network's before we go on: a lock of ours
         * that it held a moment longer (the tree's) would refuse the next machine. */
        if (pipe2(handover, O_CLOEXEC) < 0)
                handover[0] = handover[1] = -1;
        pid = handover[0] >= 0 ? fork() : -1;
        if (pid == 0) {
                close_all_but_ours(n, handover[1]);
                close(handover[1]); /* EOF: the parent goes on */
                /* 0, 1 and 2 /dev/null: what we log is lost, and no socket of ours gets it. */
                if (open("/dev/null", O_RDWR | O_CLOEXEC) == 0) {
                        (void)dup2(0, 1);
                        (void)dup2(0, 2);
                }
                proctitle_set("ml-netdown");
                tear_down(n);
                _exit(0);
        }
        if (handover[1] >= 0)
                close(handover[1]);
        if (pid > 0)
                while (read(handover[0], &byte, 1) < 0 && errno == EINTR)
                        ;
        if (handover[0] >= 0)
                close(handover[0]);
        if (pid < 0) {
                tear_down(n);
                return;
        }
        /* Our copies only: the child's keep the table, the links' fate and the locks. */
        n->link_made = false;
        if (n->extra.guest_netns >= 0)
                close(n->extra.guest_netns);
        free(n->extra.moved);
        n->extra = (struct extra_links)EXTRA_LINKS_INIT;
        close_fd(&n->nft_fd);
        close_fd(&n->guard_fd);
        close_locks(n);
        close_fd(&n->zone_lock);
        close_fd(&n->name_lock);
}

/* The sweeper's, after a supervisor killed with SIGKILL: the links, tables and locks went
 * with it and its guest; a zone's bridge is all that may be left. N is the sweeper's copy,
 * made before the guest ran: none of its fds is open there. */
void network_sweep(const struct machine_network *n)
{
        struct mnl_socket *nl = NULL;

        if (!n->zone || mnl_load() < 0)
                return;
        if (rtnl_open(-1, &nl) >= 0) {
                zone_sweep(nl, n);
                rtnl_close(nl);
        }
        mnl_unload();
}

int network_guest_addresses(const struct machine_network *n, char *buffer, size_t size)
{
        char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

        if (!n->configured)
                return 0;
        inet_ntop(AF_INET, &n->guest4, a4, sizeof(a4));
        inet_ntop(AF_INET6, &n->guest6, a6, sizeof(a6));
        if (n->ipv6)
                snprintf(buffer, size, "%s/%u %s/64", a4, n->prefix4, a6);
        else
                snprintf(buffer, size, "%s/%u", a4, n->prefix4);
        return 1;
}

const char *network_guest_nameserver(const struct machine_network *n, char *buffer, size_t size)
{
        if (!n->configured || n->dns_redirect.s_addr == 0)
                return NULL;
        return inet_ntop(AF_INET, &n->host4, buffer, (socklen_t)size);
}
