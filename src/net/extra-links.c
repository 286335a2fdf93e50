/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A machine's links other than host0: --network-veth-extra=, --network-interface=,
 * --network-macvlan=, --network-ipvlan=, made as systemd-nspawn makes them. host0 and its
 * addresses are net/network.c's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "net/extra-links.h"
#include "net/link.h"
#include "net/mnl.h"
#include "net/names.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/strv.h"

/* IF[:GUESTIF] (checked by the options): the two names, the guest's defaulting to
 * PREFIX followed by IF (shortened as nspawn does), or to IF without a prefix. */
static int split_pair(const char *value, const char *prefix, char first[IFNAMSIZ], char second[IFNAMSIZ])
{
        const char *colon = strchr(value, ':');
        size_t n = colon ? (size_t)(colon - value) : strlen(value);

        if (n >= IFNAMSIZ)
                return -EINVAL;
        memcpy(first, value, n);
        first[n] = '\0';
        if (colon) {
                snprintf(second, IFNAMSIZ, "%s", colon + 1);
                return 0;
        }
        return network_ifname(prefix, first, second, NULL);
}

static int need_link(struct mnl_socket *nl, const char *option, const char *name)
{
        if (link_index(nl, name) >= 0)
                return 0;
        log_error("%s=%s: the host has no link %s (ip link shows those it has)", option, name, name);
        return EXIT_USAGE;
}

int extra_links_check(struct mnl_socket *nl, const struct machine *m)
{
        static const struct {
                size_t offset;
                const char *option;
        } parented[] = {
                { offsetof(struct machine, network_interfaces), "--network-interface" },
                { offsetof(struct machine, oci_net_devices), "linux.netDevices" },
                { offsetof(struct machine, network_macvlan), "--network-macvlan" },
                { offsetof(struct machine, network_ipvlan), "--network-ipvlan" },
        };
        char host[IFNAMSIZ], guest[IFNAMSIZ];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(parented); i++)
                for (char **s = *(char ***)((char *)m + parented[i].offset); s && *s; s++) {
                        if (split_pair(*s, "", host, guest) < 0)
                                return log_error("%s=%s: not a link name", parented[i].option, *s), EXIT_USAGE;
                        r = need_link(nl, parented[i].option, host);
                        if (r != 0)
                                return r;
                }
        if (m->network_ipvlan && !link_kind_supported(nl, "ipvlan")) {
                log_error("--network-ipvlan=%s: this kernel has no ipvlan links (CONFIG_IPVLAN): use --network-macvlan= "
                          "or a veth",
                          m->network_ipvlan[0]);
                return EXIT_USAGE;
        }
        for (char **s = m->network_veth_extra; s && *s; s++) {
                if (split_pair(*s, "", host, guest) < 0)
                        return log_error("--network-veth-extra=%s: not a link name", *s), EXIT_USAGE;
                if (link_index(nl, host) >= 0) {
                        log_error("--network-veth-extra=%s: the host has a link %s already (remove it, or choose "
                                  "another name)",
                                  *s, host);
                        return EXIT_BUSY;
                }
        }
        return 0;
}

static int add_veth_extra(struct mnl_socket *nl, const struct machine *m, pid_t guest_pid)
{
        uint64_t idx = 0;

        for (char **s = m->network_veth_extra; s && *s; s++, idx++) {
                char host[IFNAMSIZ], guest[IFNAMSIZ];
                uint8_t host_mac[6], guest_mac[6];
                bool macs;
                int r;

                (void)split_pair(*s, "", host, guest);
                macs = network_mac(NETWORK_MAC_VETH_EXTRA_HOST, m->name, idx, host_mac) >= 0 &&
                       network_mac(NETWORK_MAC_VETH_EXTRA_CONTAINER, m->name, idx, guest_mac) >= 0;
                r = link_add_veth(nl, host, NULL, macs ? host_mac : NULL, guest, macs ? guest_mac : NULL, guest_pid);
                if (r < 0)
                        return log_error_errno(r, "Cannot make the veth pair %s/%s: %m", host, guest);
        }
        return 0;
}

static int add_vlans(struct mnl_socket *nl, const struct machine *m, pid_t guest_pid, bool ipvlan)
{
        uint64_t idx = 0;

        for (char **s = ipvlan ? m->network_ipvlan : m->network_macvlan; s && *s; s++, idx++) {
                char parent[IFNAMSIZ], guest[IFNAMSIZ];
                uint8_t mac[6];
                int ifindex, r;

                (void)split_pair(*s, ipvlan ? "iv-" : "mv-", parent, guest);
                ifindex = link_index(nl, parent);
                if (ifindex < 0)
                        return log_error_errno(ifindex, "Link %s is gone: %m", parent);
                if (ipvlan)
                        r = link_add_ipvlan(nl, ifindex, guest, guest_pid);
                else
                        r = link_add_macvlan(nl, ifindex, guest,
                                             network_mac(NETWORK_MAC_MACVLAN, m->name, idx, mac) >= 0 ? mac : NULL,
                                             guest_pid);
                if (r < 0)
                        return log_error_errno(r, "Cannot make the %s link %s on %s: %m", ipvlan ? "ipvlan" : "macvlan",
                                               guest, parent);
        }
        return 0;
}

/* The guest's network namespace is held from the first move on, so that its links can
 * be taken back after its last process is gone (a physical link would else go to the
 * initial namespace, a virtual one be deleted with it). */
static int move_interfaces(struct mnl_socket *nl, const struct machine *m, pid_t guest_pid, struct extra_links *x)
{
        size_t n = strv_length(m->network_interfaces);
        struct mnl_socket *guest = NULL;
        char path[64];
        int r = 0;

        if (n == 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)guest_pid);
        x->guest_netns = open(path, O_RDONLY | O_CLOEXEC);
        x->moved = calloc(n, sizeof(*x->moved));
        if (x->guest_netns < 0 || !x->moved)
                return log_error_errno(x->moved ? -errno : -ENOMEM, "Cannot hold the guest's network namespace: %m");
        r = rtnl_open(x->guest_netns, &guest);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct moved_link *l = &x->moved[x->n_moved];
                int ifindex;

                (void)split_pair(m->network_interfaces[i], "", l->host_name, l->guest_name);
                ifindex = link_index(nl, l->host_name);
                r = ifindex < 0 ? ifindex : link_move(nl, ifindex, l->guest_name, guest_pid, -1);
                if (r < 0)
                        break;
                l->guest_ifindex = link_index(guest, l->guest_name);
                x->n_moved++;
        }
        rtnl_close(guest);
        if (r < 0)
                return log_error_errno(r, "Cannot move a link into the guest (%s): %m",
                                       m->network_interfaces[x->n_moved]);
        return 0;
}

/* One of OCI's linux.netDevices as it was on the host: taken back there if a later one
 * fails. */
struct net_device_move {
        char host[IFNAMSIZ];
        int guest_ifindex;
        struct link_address addresses[64];
        int n_addresses;
};

/* Link IFINDEX of the container's namespace (GUEST) back in ours (NL's) as HOST, with its
 * addresses: create failed after it went. */
static void move_back(struct mnl_socket *nl, struct mnl_socket *guest, const struct net_device_move *d)
{
        _cleanup_close_ int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int k;

        if (own < 0 || link_move(guest, d->guest_ifindex, d->host, 0, own) < 0 || (k = link_index(nl, d->host)) < 0) {
                log_error("linux.netDevices: cannot move link %s back to the host: it goes where the kernel puts it "
                          "when the container's namespace ends",
                          d->host);
                return;
        }
        for (int i = 0; i < d->n_addresses; i++)
                (void)address_restore(nl, k, &d->addresses[i]);
}

/* OCI's linux.netDevices (config-linux.md): each moved in under a name of ours (random:
 * nobody there can have made it first), found by it, renamed as asked (a "%d" in the name
 * the kernel's to fill), its permanent global addresses restored (a move drops them), up;
 * never taken back once the container runs (the specification's rule: the namespace's end
 * gives a physical one back to the host). Every name is checked before any link goes; if
 * one fails on the way, those moved already go back. */
static int move_net_devices(struct mnl_socket *nl, const struct machine *m, pid_t guest_pid)
{
        _cleanup_free_ struct net_device_move *moved = NULL;
        size_t n = strv_length(m->oci_net_devices), done = 0;
        struct mnl_socket *guest = NULL;
        char path[64];
        int r = 0;

        if (n == 0)
                return 0;
        moved = calloc(n, sizeof(*moved));
        if (!moved)
                return -ENOMEM;
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)guest_pid);
        {
                _cleanup_close_ int netns = open(path, O_RDONLY | O_CLOEXEC);

                r = netns < 0 ? -errno : rtnl_open(netns, &guest);
        }
        if (r < 0)
                return log_error_errno(r, "linux.netDevices: cannot reach the container's network namespace: %m");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char host[IFNAMSIZ], name[IFNAMSIZ];

                (void)split_pair(m->oci_net_devices[i], "", host, name);
                if (!strchr(name, '%') && link_index(guest, name) >= 0) {
                        log_error("linux.netDevices: the container has a link %s already (give %s another name)", name,
                                  host);
                        r = -EEXIST;
                }
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct net_device_move *d = &moved[i];
                char name[IFNAMSIZ], moving[IFNAMSIZ];
                uint32_t random = 0;
                int ifindex;

                (void)split_pair(m->oci_net_devices[i], "", d->host, name);
                ifindex = link_index(nl, d->host);
                d->n_addresses = ifindex < 0
                                         ? ifindex
                                         : link_permanent_addresses(nl, ifindex, d->addresses, ELEMENTSOF(d->addresses));
                if (d->n_addresses == -E2BIG) {
                        log_error("linux.netDevices: link %s has more than %zu permanent addresses to carry over",
                                  d->host, ELEMENTSOF(d->addresses));
                        r = -E2BIG;
                        break;
                }
                (void)getrandom(&random, sizeof(random), 0);
                snprintf(moving, sizeof(moving), "mlnd%08x", (unsigned)random);
                r = d->n_addresses < 0 ? d->n_addresses : link_move(nl, ifindex, moving, guest_pid, -1);
                if (r < 0) {
                        log_error_errno(r, "linux.netDevices: cannot move link %s into the container: %m", d->host);
                        break;
                }
                d->guest_ifindex = link_index(guest, moving);
                if (d->guest_ifindex < 0) {
                        r = d->guest_ifindex;
                        log_error_errno(r, "linux.netDevices: link %s is gone from the container: %m", d->host);
                        break;
                }
                done++;
                r = link_rename(guest, d->guest_ifindex, name);
                if (r < 0) {
                        log_error_errno(r, "linux.netDevices: cannot name link %s %s in the container: %m", d->host,
                                        name);
                        break;
                }
                for (int a = 0; r >= 0 && a < d->n_addresses; a++) {
                        r = address_restore(guest, d->guest_ifindex, &d->addresses[a]);
                        if (r == -EEXIST)
                                r = 0;
                }
                if (r < 0) {
                        log_error_errno(r, "linux.netDevices: cannot give %s its addresses back: %m", name);
                        break;
                }
                r = link_set_up(guest, d->guest_ifindex, 0);
                if (r < 0)
                        log_error_errno(r, "linux.netDevices: cannot bring %s up in the container: %m", name);
        }
        for (size_t i = 0; r < 0 && i < done; i++)
                move_back(nl, guest, &moved[i]);
        rtnl_close(guest);
        return r < 0 ? r : 0;
}

int extra_links_add(struct mnl_socket *nl, const struct machine *m, pid_t guest_pid, struct extra_links *x)
{
        int r;

        r = add_veth_extra(nl, m, guest_pid);
        if (r >= 0)
                r = add_vlans(nl, m, guest_pid, false);
        if (r >= 0)
                r = add_vlans(nl, m, guest_pid, true);
        if (r >= 0)
                r = move_interfaces(nl, m, guest_pid, x);
        if (r >= 0)
                r = move_net_devices(nl, m, guest_pid);
        return r;
}

void extra_links_done(struct extra_links *x)
{
        _cleanup_close_ int own = -EBADF;
        struct mnl_socket *nl = NULL;

        if (x->n_moved > 0 && mnl_load() >= 0) {
                own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                if (own >= 0 && rtnl_open(x->guest_netns, &nl) >= 0) {
                        for (size_t i = 0; i < x->n_moved; i++) {
                                int ifindex = x->moved[i].guest_ifindex > 0 ? x->moved[i].guest_ifindex
                                                                            : link_index(nl, x->moved[i].guest_name);

                                if (ifindex < 0 || link_move(nl, ifindex, x->moved[i].host_name, 0, own) < 0)
                                        log_error("Cannot move link %s back to the host as %s: it goes where the "
                                                  "kernel puts it when the guest's namespace ends",
                                                  x->moved[i].guest_name, x->moved[i].host_name);
                        }
                        rtnl_close(nl);
                }
                mnl_unload();
        }
        free(x->moved);
        x->moved = NULL;
        x->n_moved = 0;
        if (x->guest_netns >= 0)
                close(x->guest_netns);
        x->guest_netns = -1;
}
