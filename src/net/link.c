/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink requests through libmnl: veth pairs and bridges made, links up, addresses and
 * default routes added, and the host's prefixes read. Which links a machine gets is
 * net/network.c's; this file only speaks the protocol. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/link.h"
#include "net/mnl.h"
#include "util/macro.h"

/* Big enough for the largest reply of a dump (the kernel sends at most a page or so per
 * datagram; MNL_SOCKET_BUFFER_SIZE is libmnl's advice). */
#define RTNL_BUFFER_SIZE 16384

int rtnl_open(int ns_fd, struct mnl_socket **ret)
{
        return rtnl_open_groups(ns_fd, 0, ret);
}

int rtnl_open_groups(int ns_fd, unsigned groups, struct mnl_socket **ret)
{
        _cleanup_close_ int own = -EBADF;
        struct mnl_socket *nl;
        int r = 0;

        if (ns_fd >= 0) {
                own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                if (own < 0)
                        return negative_errno();
                if (setns(ns_fd, CLONE_NEWNET) < 0)
                        return negative_errno();
        }
        nl = sym_mnl_socket_open(NETLINK_ROUTE);
        if (!nl || sym_mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0)
                r = negative_errno();
        /* A netlink socket belongs to the namespace it was made in, wherever we go after. */
        if (own >= 0 && setns(own, CLONE_NEWNET) < 0)
                abort(); /* we would go on in the guest's network: never */
        if (r < 0) {
                if (nl)
                        sym_mnl_socket_close(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

void rtnl_close(struct mnl_socket *nl)
{
        if (nl)
                (void)sym_mnl_socket_close(nl);
}

static struct nlmsghdr *message_start(char *buffer, uint16_t type, uint16_t flags)
{
        struct nlmsghdr *nlh = sym_mnl_nlmsg_put_header(buffer);

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        nlh->nlmsg_seq = (uint32_t)time(NULL) ^ (uint32_t)getpid();
        return nlh;
}

/* Sends NLH and reads until its ACK (or the dump's end), passing each answer to CB. */
static int transact(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *userdata)
{
        _cleanup_free_ char *buffer = malloc(RTNL_BUFFER_SIZE);
        unsigned portid = sym_mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
        ssize_t n;
        int r;

        if (!buffer)
                return -ENOMEM;
        if (sym_mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return negative_errno();
        do {
                n = sym_mnl_socket_recvfrom(nl, buffer, RTNL_BUFFER_SIZE);
                if (n < 0)
                        return negative_errno();
                r = sym_mnl_cb_run(buffer, (size_t)n, seq, portid, cb, userdata);
        } while (r > 0);
        return r < 0 ? negative_errno() : 0;
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh)
{
        struct ifinfomsg *ifi = sym_mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

        ifi->ifi_family = AF_UNSPEC;
        return ifi;
}

static int add_altname(struct mnl_socket *nl, int ifindex, const char *altname)
{
        char buffer[512];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWLINKPROP, NLM_F_CREATE | NLM_F_EXCL);
        struct nlattr *list;

        put_ifinfo(nlh)->ifi_index = ifindex;
        list = sym_mnl_attr_nest_start(nlh, IFLA_PROP_LIST);
        sym_mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, altname);
        sym_mnl_attr_nest_end(nlh, list);
        return transact(nl, nlh, NULL, NULL);
}

int link_add_veth(struct mnl_socket *nl, const char *host_name, const char *altname, const uint8_t host_mac[6],
                  const char *peer_name, const uint8_t peer_mac[6], pid_t peer_pid)
{
        char buffer[1024];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct nlattr *info, *data, *peer;
        int r, ifindex;

        put_ifinfo(nlh);
        sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
        if (host_mac)
                sym_mnl_attr_put(nlh, IFLA_ADDRESS, 6, host_mac);
        info = sym_mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        sym_mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        data = sym_mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        /* veth(4)'s peer: a whole ifinfomsg of its own, then its attributes. */
        peer = sym_mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        nlh->nlmsg_len += sizeof(struct ifinfomsg);
        memset((char *)peer + sizeof(*peer), 0, sizeof(struct ifinfomsg));
        sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
        if (peer_mac)
                sym_mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
        sym_mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)peer_pid);
        sym_mnl_attr_nest_end(nlh, peer);
        sym_mnl_attr_nest_end(nlh, data);
        sym_mnl_attr_nest_end(nlh, info);
        r = transact(nl, nlh, NULL, NULL);
        if (r < 0 || !altname)
                return r;
        ifindex = link_index(nl, host_name);
        if (ifindex < 0)
                return ifindex;
        r = add_altname(nl, ifindex, altname);
        /* A kernel without alternative names (before 5.5) still has the link. */
        return r == -EOPNOTSUPP || r == -EINVAL ? 0 : r;
}

/* A macvlan (bridge mode, as systemd-nspawn makes them) or ipvlan (L2) link on PARENT,
 * made directly in PEER_PID's network namespace as NAME. */
static int add_vlan_link(struct mnl_socket *nl, const char *kind, int parent_ifindex, const char *name,
                         const uint8_t *mac, pid_t peer_pid)
{
        char buffer[512];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct nlattr *info, *data;

        put_ifinfo(nlh);
        if (name)
                sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        if (mac)
                sym_mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
        if (parent_ifindex > 0)
                sym_mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)parent_ifindex);
        if (peer_pid > 0)
                sym_mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)peer_pid);
        info = sym_mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        sym_mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
        data = sym_mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        if (strcmp(kind, "macvlan") == 0)
                sym_mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
        else
                sym_mnl_attr_put_u16(nlh, IFLA_IPVLAN_MODE, IPVLAN_MODE_L2);
        sym_mnl_attr_nest_end(nlh, data);
        sym_mnl_attr_nest_end(nlh, info);
        return transact(nl, nlh, NULL, NULL);
}

int link_add_macvlan(struct mnl_socket *nl, int parent_ifindex, const char *name, const uint8_t mac[6], pid_t peer_pid)
{
        return add_vlan_link(nl, "macvlan", parent_ifindex, name, mac, peer_pid);
}

int link_add_ipvlan(struct mnl_socket *nl, int parent_ifindex, const char *name, pid_t peer_pid)
{
        return add_vlan_link(nl, "ipvlan", parent_ifindex, name, NULL, peer_pid);
}

int link_kind_supported(struct mnl_socket *nl, const char *kind)
{
        /* No parent: a kernel that knows the kind refuses the link (EINVAL) without making
         * anything; one that does not answers EOPNOTSUPP ("Unknown device type"). */
        int r = add_vlan_link(nl, kind, 0, NULL, NULL, 0);

        return r == -EOPNOTSUPP ? 0 : 1;
}

int link_move(struct mnl_socket *nl, int ifindex, const char *new_name, pid_t to_pid, int to_netns_fd)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWLINK, 0);

        put_ifinfo(nlh)->ifi_index = ifindex;
        if (new_name)
                sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, new_name);
        if (to_netns_fd >= 0)
                sym_mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)to_netns_fd);
        else
                sym_mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)to_pid);
        return transact(nl, nlh, NULL, NULL);
}

int link_add_bridge(struct mnl_socket *nl, const char *name)
{
        char buffer[512];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct nlattr *info;

        put_ifinfo(nlh);
        sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        info = sym_mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        sym_mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        sym_mnl_attr_nest_end(nlh, info);
        return transact(nl, nlh, NULL, NULL);
}

int link_set_up(struct mnl_socket *nl, int ifindex, int master_ifindex)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWLINK, 0);
        struct ifinfomsg *ifi = put_ifinfo(nlh);

        ifi->ifi_index = ifindex;
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
        if (master_ifindex > 0)
                sym_mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master_ifindex);
        return transact(nl, nlh, NULL, NULL);
}

int link_delete(struct mnl_socket *nl, const char *name)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_DELLINK, 0);
        int r;

        put_ifinfo(nlh);
        sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        r = transact(nl, nlh, NULL, NULL);
        return r == -ENODEV ? 0 : r;
}

int link_delete_index(struct mnl_socket *nl, int ifindex)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_DELLINK, 0);
        int r;

        put_ifinfo(nlh)->ifi_index = ifindex;
        r = transact(nl, nlh, NULL, NULL);
        return r == -ENODEV ? 0 : r;
}

int link_set_aside(struct mnl_socket *nl, const char *name, const char *altname)
{
        char buffer[512], new_name[IFNAMSIZ];
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        struct nlattr *list;
        int ifindex, r;

        ifindex = link_index(nl, name);
        if (ifindex < 0)
                return ifindex == -ENODEV ? 0 : ifindex;
        if (altname) {
                nlh = message_start(buffer, RTM_DELLINKPROP, 0);
                put_ifinfo(nlh)->ifi_index = ifindex;
                list = sym_mnl_attr_nest_start(nlh, IFLA_PROP_LIST);
                sym_mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, altname);
                sym_mnl_attr_nest_end(nlh, list);
                r = transact(nl, nlh, NULL, NULL);
                if (r < 0)
                        return r == -ENODEV ? 0 : r;
        }
        /* Down first: the kernel renames no link that is up (dev_change_name()). */
        nlh = message_start(buffer, RTM_NEWLINK, 0);
        ifi = put_ifinfo(nlh);
        ifi->ifi_index = ifindex;
        ifi->ifi_change = IFF_UP;
        r = transact(nl, nlh, NULL, NULL);
        if (r >= 0) {
                nlh = message_start(buffer, RTM_NEWLINK, 0);
                put_ifinfo(nlh)->ifi_index = ifindex;
                snprintf(new_name, sizeof(new_name), "ml-gone%x", (unsigned)ifindex);
                sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, new_name);
                r = transact(nl, nlh, NULL, NULL);
        }
        if (r < 0)
                return r == -ENODEV ? 0 : r;
        return ifindex;
}

static int on_link(const struct nlmsghdr *nlh, void *userdata)
{
        const struct ifinfomsg *ifi = sym_mnl_nlmsg_get_payload(nlh);

        if (nlh->nlmsg_type == RTM_NEWLINK && sym_mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ifi))
                *(int *)userdata = ifi->ifi_index;
        return MNL_CB_OK;
}

int link_index(struct mnl_socket *nl, const char *name)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_GETLINK, 0);
        int ifindex = -ENODEV, r;

        /* With NLM_F_ACK: the ACK after the answer is what ends transact()'s reading. */
        put_ifinfo(nlh);
        sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        r = transact(nl, nlh, on_link, &ifindex);
        return r < 0 ? r : ifindex;
}

int address_add(struct mnl_socket *nl, int family, int ifindex, const void *address, uint8_t prefix)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        struct ifaddrmsg *ifa = sym_mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        size_t size = family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);

        ifa->ifa_family = (uint8_t)family;
        ifa->ifa_prefixlen = prefix;
        ifa->ifa_index = (uint32_t)ifindex;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        /* Both ends of the link are ours: waiting for DAD would only delay the guest. */
        if (family == AF_INET6)
                ifa->ifa_flags = IFA_F_NODAD;
        sym_mnl_attr_put(nlh, IFA_LOCAL, size, address);
        sym_mnl_attr_put(nlh, IFA_ADDRESS, size, address);
        return transact(nl, nlh, NULL, NULL);
}

int route_add_default(struct mnl_socket *nl, int family, int ifindex, const void *gateway)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
        struct rtmsg *rtm = sym_mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

        rtm->rtm_family = (uint8_t)family;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_STATIC;
        rtm->rtm_scope = RT_SCOPE_UNIVERSE;
        rtm->rtm_type = RTN_UNICAST;
        sym_mnl_attr_put(nlh, RTA_GATEWAY, family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr), gateway);
        sym_mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
        return transact(nl, nlh, NULL, NULL);
}

struct prefix_walk {
        prefix_fn fn;
        void *userdata;
        int result;
        uint16_t wanted; /* IFA_ADDRESS or RTA_DST */
        int ifindex;     /* an address's link; 0 for a route */
        const struct nlattr *found;
};

static int on_attribute(const struct nlattr *attr, void *userdata)
{
        struct prefix_walk *w = userdata;

        if (sym_mnl_attr_get_type(attr) == w->wanted && sym_mnl_attr_get_payload_len(attr) == sizeof(struct in_addr))
                w->found = attr;
        return MNL_CB_OK;
}

/* One address or route of the dump: its prefix to the caller's function. */
static int on_prefix(const struct nlmsghdr *nlh, void *userdata)
{
        struct prefix_walk *w = userdata;
        struct in_addr prefix;
        size_t header;
        uint8_t length;

        if (nlh->nlmsg_type == RTM_NEWADDR) {
                const struct ifaddrmsg *ifa = sym_mnl_nlmsg_get_payload(nlh);

                header = sizeof(*ifa);
                length = ifa->ifa_prefixlen;
                w->ifindex = (int)ifa->ifa_index;
        } else if (nlh->nlmsg_type == RTM_NEWROUTE) {
                const struct rtmsg *rtm = sym_mnl_nlmsg_get_payload(nlh);

                header = sizeof(*rtm);
                length = rtm->rtm_dst_len;
                w->ifindex = 0;
                if (length == 0) /* a default route overlaps all: not a prefix in use */
                        return MNL_CB_OK;
        } else
                return MNL_CB_OK;
        if (sym_mnl_nlmsg_get_payload_len(nlh) < header || length > 32)
                return MNL_CB_OK;
        w->found = NULL;
        if (sym_mnl_attr_parse(nlh, (unsigned)header, on_attribute, w) < 0 || !w->found)
                return MNL_CB_OK;
        memcpy(&prefix, sym_mnl_attr_get_payload(w->found), sizeof(prefix));
        /* Not MNL_CB_STOP once FN has its answer: the rest of the dump is read all the
         * same, or it would be the answer to the socket's next request. */
        if (w->result == 0)
                w->result = w->fn(prefix, length, w->ifindex, w->userdata);
        return MNL_CB_OK;
}

static int dump_prefixes(struct mnl_socket *nl, uint16_t type, struct prefix_walk *w)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, type, NLM_F_DUMP);
        struct rtgenmsg *g = sym_mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg));

        nlh->nlmsg_flags &= ~NLM_F_ACK;
        g->rtgen_family = AF_INET;
        return transact(nl, nlh, on_prefix, w);
}

int addresses4_foreach(struct mnl_socket *nl, prefix_fn fn, void *userdata)
{
        struct prefix_walk w = { .fn = fn, .userdata = userdata, .wanted = IFA_ADDRESS };
        int r;

        r = dump_prefixes(nl, RTM_GETADDR, &w);
        return r < 0 ? r : w.result;
}

int prefixes4_foreach(struct mnl_socket *nl, prefix_fn fn, void *userdata)
{
        struct prefix_walk w = { .fn = fn, .userdata = userdata, .wanted = IFA_ADDRESS };
        int r;

        r = addresses4_foreach(nl, fn, userdata);
        if (r != 0)
                return r;
        w.wanted = RTA_DST;
        r = dump_prefixes(nl, RTM_GETROUTE, &w);
        return r < 0 ? r : w.result;
}

struct default_walk {
        int *ifindexes;
        size_t n, max;
};

static int on_oif(const struct nlattr *attr, void *userdata)
{
        int *oif = userdata;

        if (sym_mnl_attr_get_type(attr) == RTA_OIF && sym_mnl_attr_get_payload_len(attr) == sizeof(uint32_t))
                *oif = (int)sym_mnl_attr_get_u32(attr);
        return MNL_CB_OK;
}

static int on_default_route(const struct nlmsghdr *nlh, void *userdata)
{
        const struct rtmsg *rtm = sym_mnl_nlmsg_get_payload(nlh);
        struct default_walk *w = userdata;
        int oif = 0;

        if (nlh->nlmsg_type != RTM_NEWROUTE || sym_mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
            rtm->rtm_dst_len != 0 || rtm->rtm_table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
                return MNL_CB_OK;
        if (sym_mnl_attr_parse(nlh, sizeof(*rtm), on_oif, &oif) < 0 || oif <= 0)
                return MNL_CB_OK;
        for (size_t i = 0; i < w->n; i++)
                if (w->ifindexes[i] == oif)
                        return MNL_CB_OK;
        if (w->n < w->max)
                w->ifindexes[w->n++] = oif;
        return MNL_CB_OK;
}

int default_route_links(struct mnl_socket *nl, int family, int *ifindexes, size_t max)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_GETROUTE, NLM_F_DUMP);
        struct rtmsg *rtm = sym_mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
        struct default_walk w = { .ifindexes = ifindexes, .max = max };
        int r;

        nlh->nlmsg_flags &= ~NLM_F_ACK;
        rtm->rtm_family = (uint8_t)family;
        r = transact(nl, nlh, on_default_route, &w);
        return r < 0 ? r : (int)w.n;
}

struct first_address {
        int ifindex, family;
        void *address;
        bool found;
};

static int on_local_attribute(const struct nlattr *attr, void *userdata)
{
        struct first_address *f = userdata;
        size_t size = f->family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);

        if (sym_mnl_attr_get_type(attr) == IFA_ADDRESS && sym_mnl_attr_get_payload_len(attr) == size && !f->found) {
                memcpy(f->address, sym_mnl_attr_get_payload(attr), size);
                f->found = true;
        }
        return MNL_CB_OK;
}

static int on_first_address(const struct nlmsghdr *nlh, void *userdata)
{
        const struct ifaddrmsg *ifa = sym_mnl_nlmsg_get_payload(nlh);
        struct first_address *f = userdata;

        if (nlh->nlmsg_type == RTM_NEWADDR && sym_mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ifa) &&
            (int)ifa->ifa_index == f->ifindex && ifa->ifa_family == f->family && ifa->ifa_scope == RT_SCOPE_UNIVERSE &&
            !(ifa->ifa_flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
                (void)sym_mnl_attr_parse(nlh, sizeof(*ifa), on_local_attribute, f);
        return MNL_CB_OK;
}

int link_first_address(struct mnl_socket *nl, int ifindex, int family, void *ret)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_GETADDR, NLM_F_DUMP);
        struct ifaddrmsg *ifa = sym_mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        struct first_address f = { .ifindex = ifindex, .family = family, .address = ret };
        int r;

        nlh->nlmsg_flags &= ~NLM_F_ACK;
        ifa->ifa_family = (uint8_t)family;
        r = transact(nl, nlh, on_first_address, &f);
        return r < 0 ? r : f.found;
}

struct permanent_walk {
        int ifindex;
        struct link_address *addresses, *current;
        size_t n, max;
        bool too_many;
};

static int on_permanent_attribute(const struct nlattr *attr, void *userdata)
{
        struct link_address *a = ((struct permanent_walk *)userdata)->current;
        uint16_t type = sym_mnl_attr_get_type(attr);
        size_t size = a->family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr),
               length = sym_mnl_attr_get_payload_len(attr);

        if (type == IFA_LOCAL && length == size) {
                memcpy(a->local, sym_mnl_attr_get_payload(attr), size);
                a->has_local = true;
        } else if (type == IFA_ADDRESS && length == size) {
                memcpy(a->peer, sym_mnl_attr_get_payload(attr), size);
                a->has_peer = true;
        } else if (type == IFA_BROADCAST && length == 4) {
                memcpy(a->broadcast, sym_mnl_attr_get_payload(attr), 4);
                a->has_broadcast = true;
        } else if (type == IFA_FLAGS && length == sizeof(uint32_t))
                a->flags = sym_mnl_attr_get_u32(attr);
        return MNL_CB_OK;
}

static int on_permanent_address(const struct nlmsghdr *nlh, void *userdata)
{
        const struct ifaddrmsg *ifa = sym_mnl_nlmsg_get_payload(nlh);
        struct permanent_walk *w = userdata;

        if (nlh->nlmsg_type != RTM_NEWADDR || sym_mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
            (int)ifa->ifa_index != w->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
            !(ifa->ifa_flags & IFA_F_PERMANENT) || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
                return MNL_CB_OK;
        if (w->n >= w->max) {
                w->too_many = true;
                return MNL_CB_OK;
        }
        w->current = &w->addresses[w->n];
        *w->current = (struct link_address){ .family = ifa->ifa_family,
                                             .prefix = ifa->ifa_prefixlen,
                                             .flags = ifa->ifa_flags };
        (void)sym_mnl_attr_parse(nlh, sizeof(*ifa), on_permanent_attribute, w);
        /* IFA_LOCAL is the address, IFA_ADDRESS the peer's, when both are there (IPv6
         * gives IFA_ADDRESS alone: the address). */
        if (!w->current->has_local && w->current->has_peer) {
                memcpy(w->current->local, w->current->peer, sizeof(w->current->local));
                w->current->has_local = true;
                w->current->has_peer = false;
        }
        if (w->current->has_local)
                w->n++;
        return MNL_CB_OK;
}

int link_permanent_addresses(struct mnl_socket *nl, int ifindex, struct link_address *ret, size_t max)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_GETADDR, NLM_F_DUMP);
        struct ifaddrmsg *ifa = sym_mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        struct permanent_walk w = { .ifindex = ifindex, .addresses = ret, .max = max };
        int r;

        nlh->nlmsg_flags &= ~NLM_F_ACK;
        ifa->ifa_family = AF_UNSPEC;
        r = transact(nl, nlh, on_permanent_address, &w);
        return r < 0 ? r : w.too_many ? -E2BIG : (int)w.n;
}

int address_restore(struct mnl_socket *nl, int ifindex, const struct link_address *a)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        struct ifaddrmsg *ifa = sym_mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        size_t size = a->family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);

        ifa->ifa_family = (uint8_t)a->family;
        ifa->ifa_prefixlen = a->prefix;
        ifa->ifa_index = (uint32_t)ifindex;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_flags = (uint8_t)a->flags;
        sym_mnl_attr_put(nlh, IFA_LOCAL, size, a->local);
        sym_mnl_attr_put(nlh, IFA_ADDRESS, size, a->has_peer ? a->peer : a->local);
        if (a->has_broadcast)
                sym_mnl_attr_put(nlh, IFA_BROADCAST, 4, a->broadcast);
        /* What the kernel takes back of its flags (not those it sets itself). */
        sym_mnl_attr_put_u32(nlh, IFA_FLAGS,
                             a->flags & (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE |
                                         IFA_F_MCAUTOJOIN));
        return transact(nl, nlh, NULL, NULL);
}

int link_rename(struct mnl_socket *nl, int ifindex, const char *name)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_NEWLINK, 0);

        put_ifinfo(nlh)->ifi_index = ifindex;
        sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        return transact(nl, nlh, NULL, NULL);
}

struct link_kind {
        const struct nlattr *info;
        char kind[32];
};

static int on_info_attribute(const struct nlattr *attr, void *userdata)
{
        struct link_kind *k = userdata;

        if (sym_mnl_attr_get_type(attr) == IFLA_INFO_KIND)
                snprintf(k->kind, sizeof(k->kind), "%.*s", (int)sym_mnl_attr_get_payload_len(attr),
                         (const char *)sym_mnl_attr_get_payload(attr));
        return MNL_CB_OK;
}

static int on_link_attribute(const struct nlattr *attr, void *userdata)
{
        if (sym_mnl_attr_get_type(attr) == IFLA_LINKINFO)
                (void)sym_mnl_attr_parse_nested(attr, on_info_attribute, userdata);
        return MNL_CB_OK;
}

static int on_link_kind(const struct nlmsghdr *nlh, void *userdata)
{
        if (nlh->nlmsg_type == RTM_NEWLINK && sym_mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct ifinfomsg))
                (void)sym_mnl_attr_parse(nlh, sizeof(struct ifinfomsg), on_link_attribute, userdata);
        return MNL_CB_OK;
}

int link_is_bridge(struct mnl_socket *nl, const char *name)
{
        char buffer[256];
        struct nlmsghdr *nlh = message_start(buffer, RTM_GETLINK, 0);
        struct link_kind k = {};
        int r;

        put_ifinfo(nlh);
        sym_mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        r = transact(nl, nlh, on_link_kind, &k);
        return r < 0 ? r : strcmp(k.kind, "bridge") == 0;
}
