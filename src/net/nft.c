/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A machine's nftables table (masquerade, port forwards, forward accepts), made in one
 * atomic batch over the socket that owns it; the host's forward chains read for a drop
 * policy; host port locks. Not the expressions a rule is built of (nft-rule.c), nor the
 * links, addresses or sysctls: the caller's. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netlink.h>
#include <netinet/ip6.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/mnl.h"
#include "net/nft-rule.h"
#include "net/nft.h"
#include "net/nftnl.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"

#define TABLE_PREFIX "machined-lite-"
#define WHAT_MAX 128

/* The messages of one batch, and what each makes, by sequence number, so that the
 * kernel's refusal of one (its ACK carries the sequence number) names the rule. */
struct batch {
        struct nftnl_batch *nftnl;
        uint32_t first_seq, seq;
        char (*what)[WHAT_MAX]; /* what[seq - first_seq] */
        size_t n_what, allocated;
        struct nlmsghdr *last; /* the last message before the batch's end: it alone asks for an ACK */
        int error;             /* the first failure while building, sticky */
};

static int netfilter_socket(uint32_t *ret_portid)
{
        struct sockaddr_nl address = { .nl_family = AF_NETLINK };
        socklen_t length = sizeof(address);
        int one = 1;
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

        if (fd < 0)
                return negative_errno();
        /* An error quotes only the header of the message it answers, not the whole rule
         * (NETLINK_CAP_ACK): its sequence number is all we read. */
        if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
            getsockname(fd, (struct sockaddr *)&address, &length) < 0)
                return negative_errno();
        *ret_portid = address.nl_pid;
        return TAKE_FD(fd);
}

/* --- The batch: messages, each with what it makes --- */

static int batch_init(struct batch *batch)
{
        long page = sysconf(_SC_PAGESIZE);

        /* nftables' own sizes (src/mnl.c): pages of 32 system pages, room past a page's end
         * for the largest message. */
        *batch = (struct batch){ .first_seq = 2, .seq = 2 }; /* 1: the batch's begin */
        batch->nftnl = sym_nftnl_batch_alloc((uint32_t)page * 32, UINT16_MAX + (uint32_t)page);
        return batch->nftnl ? 0 : -ENOMEM;
}

static void batch_done(struct batch *batch)
{
        if (batch->nftnl)
                sym_nftnl_batch_free(batch->nftnl);
        free(batch->what);
}

_printf_(4, 5) static struct nlmsghdr *batch_put(struct batch *batch, uint16_t type, uint16_t flags, const char *format,
                                                 ...)
{
        char(*what)[WHAT_MAX];
        va_list ap;

        if (batch->error < 0)
                return NULL;
        if (batch->n_what == batch->allocated) {
                size_t allocated = MAX(batch->allocated * 2, (size_t)16);

                what = realloc(batch->what, allocated * sizeof(*what));
                if (!what) {
                        batch->error = -ENOMEM;
                        return NULL;
                }
                batch->what = what;
                batch->allocated = allocated;
        }
        va_start(ap, format);
        vsnprintf(batch->what[batch->n_what++], WHAT_MAX, format, ap);
        va_end(ap);
        batch->last = sym_nftnl_nlmsg_build_hdr(sym_nftnl_batch_buffer(batch->nftnl), type, NFPROTO_INET, flags,
                                                batch->seq++);
        return batch->last;
}

static void batch_next(struct batch *batch)
{
        if (batch->error == 0 && sym_nftnl_batch_update(batch->nftnl) < 0)
                batch->error = -ENOMEM;
}

static const char *batch_what(const struct batch *batch, uint32_t seq)
{
        if (seq == batch->first_seq - 1)
                return "the batch's commit";
        if (seq < batch->first_seq || seq - batch->first_seq >= batch->n_what)
                return "a message we did not send";
        return batch->what[seq - batch->first_seq];
}

static void nftnl_table_freep(struct nftnl_table **table)
{
        if (*table)
                sym_nftnl_table_free(*table);
}

static void nftnl_chain_freep(struct nftnl_chain **chain)
{
        if (*chain)
                sym_nftnl_chain_free(*chain);
}

static void batch_table(struct batch *batch, const char *table_name)
{
        _cleanup_(nftnl_table_freep) struct nftnl_table *table = sym_nftnl_table_alloc();
        struct nlmsghdr *nlh;

        if (!table) {
                batch->error = -ENOMEM;
                return;
        }
        sym_nftnl_table_set_u32(table, NFTNL_TABLE_FAMILY, NFPROTO_INET);
        sym_nftnl_table_set_str(table, NFTNL_TABLE_NAME, table_name);
        /* NFT_TABLE_F_OWNER (Linux 5.12): the table belongs to this netlink socket; the
         * kernel removes it when the socket closes and refuses every other socket's
         * change (nf_tables_api.c: nft_table_lookup() by nlpid; `nft flush ruleset`
         * skips it). NLM_F_EXCL: a table of that name left by someone else is an error. */
        sym_nftnl_table_set_u32(table, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
        nlh = batch_put(batch, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, "table inet %s", table_name);
        if (!nlh)
                return;
        sym_nftnl_table_nlmsg_build_payload(nlh, table);
        batch_next(batch);
}

struct chain_spec {
        const char *name;
        const char *type;
        uint32_t hook;
        int32_t priority;
};

/* The priorities nft names dstnat (-100), srcnat (100), filter (0) and raw (-300); an
 * inet table's chains use the IPv4 numbers for both families. */
static const struct chain_spec chain_specs[] = {
        { "prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST },
        { "output", "nat", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST },
        { "postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC },
        { "forward", "filter", NF_INET_FORWARD, NF_IP_PRI_FILTER },
        { "localnet", "filter", NF_INET_PRE_ROUTING, NF_IP_PRI_RAW },
};

static void batch_chain(struct batch *batch, const char *table_name, const struct chain_spec *spec)
{
        _cleanup_(nftnl_chain_freep) struct nftnl_chain *chain = sym_nftnl_chain_alloc();
        struct nlmsghdr *nlh;

        if (!chain) {
                batch->error = -ENOMEM;
                return;
        }
        sym_nftnl_chain_set_u32(chain, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
        sym_nftnl_chain_set_str(chain, NFTNL_CHAIN_TABLE, table_name);
        sym_nftnl_chain_set_str(chain, NFTNL_CHAIN_NAME, spec->name);
        sym_nftnl_chain_set_str(chain, NFTNL_CHAIN_TYPE, spec->type);
        sym_nftnl_chain_set_u32(chain, NFTNL_CHAIN_HOOKNUM, spec->hook);
        sym_nftnl_chain_set_s32(chain, NFTNL_CHAIN_PRIO, spec->priority);
        sym_nftnl_chain_set_u32(chain, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        nlh = batch_put(batch, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, "chain %s", spec->name);
        if (!nlh)
                return;
        sym_nftnl_chain_nlmsg_build_payload(nlh, chain);
        batch_next(batch);
}

/* --- The machine's rules, built by nft-rule.c's expressions and matches --- */

/* Hands the rule to the batch, which then says what it is if the kernel refuses it. */
_printf_(3, 4) static void batch_rule(struct batch *batch, struct rule_builder *builder, const char *format, ...)
{
        char what[WHAT_MAX];
        struct nlmsghdr *nlh;
        va_list ap;

        if (builder->error < 0 && batch->error == 0)
                batch->error = builder->error;
        if (builder->error == 0) {
                va_start(ap, format);
                vsnprintf(what, sizeof(what), format, ap);
                va_end(ap);
                nlh = batch_put(batch, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "rule %s", what);
                if (nlh) {
                        sym_nftnl_rule_nlmsg_build_payload(nlh, builder->rule);
                        batch_next(batch);
                }
        }
        if (builder->rule)
                sym_nftnl_rule_free(builder->rule);
        builder->rule = NULL;
}

static const char *protocol_name(uint8_t protocol)
{
        return protocol == IPPROTO_TCP ? "tcp" : "udp";
}

/* CHAIN: `fib daddr type local meta l4proto P th dport H meta nfproto F dnat F to GUEST:G` */
static void rule_forward_port(struct batch *batch, const char *table_name, const char *chain,
                              const struct nft_port *port, uint8_t nfproto, const void *guest)
{
        struct rule_builder builder = rule_start(table_name, chain);
        uint16_t guest_port = htons(port->guest_port);
        char address[INET6_ADDRSTRLEN];

        match_local_destination(&builder);
        match_port(&builder, port->protocol, port->host_port);
        /* A dnat in an inet table must say which family it rewrites (the kernel refuses
         * an address of the wrong size otherwise): the family is matched first. */
        match_nfproto(&builder, nfproto);
        /* IPv6 has no route_localnet: the guest's answer to a forward from ::1, de-NATed
         * back to ::1 on arrival by IFNAME, has no route (tested: Ip6InNoRoutes), even
         * with the request masqueraded. Left alone, a connection to [::1]:PORT is
         * refused at once instead of hanging. */
        if (nfproto == NFPROTO_IPV6 && strcmp(chain, "output") == 0) {
                load_payload(&builder, NFT_PAYLOAD_NETWORK_HEADER, offsetof(struct ip6_hdr, ip6_dst),
                             sizeof(struct in6_addr));
                compare(&builder, NFT_CMP_NEQ, &in6addr_loopback, sizeof(struct in6_addr));
        }
        set_register(&builder, NFT_REG_1, guest, address_length(nfproto));
        set_register(&builder, NFT_REG_2, &guest_port, sizeof(guest_port));
        dnat(&builder, nfproto);
        inet_ntop(nfproto == NFPROTO_IPV4 ? AF_INET : AF_INET6, guest, address, sizeof(address));
        batch_rule(batch, &builder, "in %s: %s port %u to %s port %u", chain, protocol_name(port->protocol),
                   port->host_port, address, port->guest_port);
}

/* prerouting: `iifname IFNAME ip daddr HOST meta l4proto P th dport 53 dnat ip to
 * RESOLVER:53`: the guest asks the host's end of its link, the host's resolver on loopback
 * answers (the caller sets route_localnet=1 on IFNAME, without which the kernel drops a
 * packet from a link routed to 127.0.0.0/8). */
static void rule_dns_redirect(struct batch *batch, const char *table_name, const struct nft_machine *machine,
                              uint8_t protocol)
{
        struct rule_builder builder = rule_start(table_name, "prerouting");
        uint16_t port = htons(53);
        char address[INET_ADDRSTRLEN];

        match_ifname(&builder, NFT_META_IIFNAME, NFT_CMP_EQ, machine->ifname);
        match_destination(&builder, NFPROTO_IPV4, &machine->dns_host4, 32);
        match_port(&builder, protocol, 53);
        set_register(&builder, NFT_REG_1, &machine->dns_redirect4, sizeof(struct in_addr));
        set_register(&builder, NFT_REG_2, &port, sizeof(port));
        dnat(&builder, NFPROTO_IPV4);
        inet_ntop(AF_INET, &machine->dns_redirect4, address, sizeof(address));
        batch_rule(batch, &builder, "in prerouting: %s port 53 to the host's resolver %s", protocol_name(protocol),
                   address);
}

/* postrouting: `ip saddr SUBNET oifname != IFNAME masquerade`: the machine's own
 * connections leave with the host's address on whichever link they leave by. */
static void rule_masquerade_egress(struct batch *batch, const char *table_name, const char *ifname, uint8_t nfproto,
                                   const void *subnet, uint8_t prefix)
{
        struct rule_builder builder = rule_start(table_name, "postrouting");
        char address[INET6_ADDRSTRLEN];

        match_source(&builder, nfproto, subnet, prefix);
        match_ifname(&builder, NFT_META_OIFNAME, NFT_CMP_NEQ, ifname);
        masquerade(&builder);
        inet_ntop(nfproto == NFPROTO_IPV4 ? AF_INET : AF_INET6, subnet, address, sizeof(address));
        batch_rule(batch, &builder, "in postrouting: masquerade of %s/%u", address, prefix);
}

/* postrouting: `oifname IFNAME ct status dnat ip saddr SOURCE masquerade`: a forward
 * whose client's address the guest cannot answer gets the host's address on IFNAME. */
static void rule_masquerade_forward(struct batch *batch, const char *table_name, const char *ifname, uint8_t nfproto,
                                    const void *source, uint8_t prefix)
{
        struct rule_builder builder = rule_start(table_name, "postrouting");
        char address[INET6_ADDRSTRLEN];

        match_ifname(&builder, NFT_META_OIFNAME, NFT_CMP_EQ, ifname);
        match_dnat_connection(&builder);
        match_source(&builder, nfproto, source, prefix);
        masquerade(&builder);
        inet_ntop(nfproto == NFPROTO_IPV4 ? AF_INET : AF_INET6, source, address, sizeof(address));
        batch_rule(batch, &builder, "in postrouting: masquerade of forwards from %s/%u", address, prefix);
}

static void rule_accept(struct batch *batch, const char *table_name, uint32_t key, const char *ifname)
{
        struct rule_builder builder = rule_start(table_name, "forward");

        match_ifname(&builder, key, NFT_CMP_EQ, ifname);
        verdict_accept(&builder);
        batch_rule(batch, &builder, "in forward: accept %s %s", key == NFT_META_IIFNAME ? "from" : "to", ifname);
}

/* forward, into the machine's network: `oifname IFNAME ct status dnat accept` (a forwarded
 * port), `oifname IFNAME ct state established,related accept` (answers), `oifname IFNAME
 * iifname != IFNAME drop`: nothing else from outside, even from a LAN that routes the machine's subnet to
 * the host (every port of the guest would else be open to it). */
static void rules_inbound(struct batch *batch, const char *table_name, const char *ifname)
{
        struct rule_builder builder = rule_start(table_name, "forward");

        match_ifname(&builder, NFT_META_OIFNAME, NFT_CMP_EQ, ifname);
        match_dnat_connection(&builder);
        verdict_accept(&builder);
        batch_rule(batch, &builder, "in forward: accept forwarded ports to %s", ifname);
        builder = rule_start(table_name, "forward");
        match_ifname(&builder, NFT_META_OIFNAME, NFT_CMP_EQ, ifname);
        match_established(&builder);
        verdict_accept(&builder);
        batch_rule(batch, &builder, "in forward: accept answers to %s", ifname);
        /* Not what stays on the link: a zone's bridged traffic passes the forward hook too
         * where br_netfilter is loaded, in and out by the bridge. */
        builder = rule_start(table_name, "forward");
        match_ifname(&builder, NFT_META_OIFNAME, NFT_CMP_EQ, ifname);
        match_ifname(&builder, NFT_META_IIFNAME, NFT_CMP_NEQ, ifname);
        verdict_drop(&builder);
        batch_rule(batch, &builder, "in forward: drop the rest to %s", ifname);
}

/* forward, out of it: `iifname IFNAME ip saddr != SUBNET drop`: a guest's packets with a
 * source not its own would leave unmasqueraded, spoofed. */
static void rule_no_spoofing(struct batch *batch, const char *table_name, const char *ifname, uint8_t nfproto,
                             const void *subnet, uint8_t prefix)
{
        struct rule_builder builder = rule_start(table_name, "forward");

        match_ifname(&builder, NFT_META_IIFNAME, NFT_CMP_EQ, ifname);
        match_source_outside(&builder, nfproto, subnet, prefix);
        verdict_drop(&builder);
        batch_rule(batch, &builder, "in forward: drop from %s what is not from its subnet", ifname);
}

/* forward: `iifname IFNAME oifname != IFNAME oifname "PREFIX*" drop`, and the same the other
 * way: a zone's machines reach no other machine's network, nor those theirs. */
static void rule_isolate(struct batch *batch, const char *table_name, const char *ifname, uint32_t key, const char *prefix)
{
        uint32_t other = key == NFT_META_IIFNAME ? NFT_META_OIFNAME : NFT_META_IIFNAME;
        struct rule_builder builder = rule_start(table_name, "forward");

        match_ifname(&builder, key, NFT_CMP_EQ, ifname);
        match_ifname(&builder, other, NFT_CMP_NEQ, ifname);
        match_ifname_prefix(&builder, other, prefix);
        verdict_drop(&builder);
        batch_rule(batch, &builder, "in forward: drop between %s and %s*", ifname, prefix);
}

/* localnet: `iifname IFNAME ip daddr 127.0.0.0/8 drop`, before any NAT. route_localnet on
 * IFNAME (for forwards from the host's 127.0.0.1, and the DNS redirect) would else let the
 * guest reach the host's loopback services by sending to 127.0.0.1 through its router
 * (CVE-2020-8558 in Kubernetes, which drops the same). The redirect's packets are sent to
 * .1, not 127.0.0.0/8, and pass. */
static void rule_localnet_guard(struct batch *batch, const char *table_name, const char *ifname)
{
        const struct in_addr loopback = { htonl(INADDR_LOOPBACK) };
        struct rule_builder builder = rule_start(table_name, "localnet");

        match_ifname(&builder, NFT_META_IIFNAME, NFT_CMP_EQ, ifname);
        match_destination(&builder, NFPROTO_IPV4, &loopback, 8);
        verdict_drop(&builder);
        batch_rule(batch, &builder, "in localnet: drop from %s to 127.0.0.0/8", ifname);
}

/* --- The table, in one batch --- */

static void batch_machine(struct batch *batch, const struct nft_machine *machine, const char *table_name)
{
        const struct in_addr loopback4 = { htonl(INADDR_LOOPBACK) };

        /* nfnetlink runs the messages between begin and end as one transaction
         * (nfnetlink_rcv_batch): the table appears whole or not at all. */
        sym_nftnl_batch_begin(sym_nftnl_batch_buffer(batch->nftnl), batch->first_seq - 1);
        batch_next(batch);
        batch_table(batch, table_name);
        /* The localnet guard is a table of its own (nft_guard_table()), the rest this one. */
        for (size_t i = 0; i < ELEMENTSOF(chain_specs); i++)
                if ((strcmp(chain_specs[i].name, "localnet") == 0) == machine->guard_only)
                        batch_chain(batch, table_name, &chain_specs[i]);
        if (machine->guard_only) {
                rule_localnet_guard(batch, table_name, machine->ifname);
                goto end;
        }

        /* prerouting for connections from elsewhere (the guest's own included), output
         * for those the host makes to its own addresses (nat's output hook). */
        for (size_t i = 0; i < machine->n_ports; i++)
                for (size_t c = 0; c < 2; c++) {
                        const char *chain = chain_specs[c].name;

                        rule_forward_port(batch, table_name, chain, &machine->ports[i], NFPROTO_IPV4, &machine->guest4);
                        if (machine->ipv6)
                                rule_forward_port(batch, table_name, chain, &machine->ports[i], NFPROTO_IPV6,
                                                  &machine->guest6);
                }

        if (machine->dns_redirect4.s_addr != 0) {
                rule_dns_redirect(batch, table_name, machine, IPPROTO_UDP);
                rule_dns_redirect(batch, table_name, machine, IPPROTO_TCP);
        }

        /* A forward from 127.0.0.1 leaves by IFNAME with that source (the caller's
         * route_localnet=1 lets it out), which the guest would answer to itself; one from
         * the guest to a host address:port comes back to the guest with its own source
         * address, which its kernel drops as a martian. Both get the host's address. */
        rule_masquerade_forward(batch, table_name, machine->ifname, NFPROTO_IPV4, &loopback4, 8);
        /* Without a subnet of ours (systemd-networkd's), its masquerade is networkd's. */
        if (machine->prefix4 > 0) {
                rule_masquerade_egress(batch, table_name, machine->ifname, NFPROTO_IPV4, &machine->subnet4,
                                       machine->prefix4);
                rule_masquerade_forward(batch, table_name, machine->ifname, NFPROTO_IPV4, &machine->subnet4,
                                        machine->prefix4);
        }
        if (machine->ipv6 && machine->prefix6 > 0) {
                rule_masquerade_egress(batch, table_name, machine->ifname, NFPROTO_IPV6, &machine->subnet6,
                                       machine->prefix6);
                rule_masquerade_forward(batch, table_name, machine->ifname, NFPROTO_IPV6, &machine->subnet6,
                                        machine->prefix6);
        }

        /* The forward chain: drops first (a zone's isolation, spoofed sources, what comes
         * into the machine's network unasked); then the accepts, which show the machine's
         * traffic in `nft list ruleset` and count for nothing else: an accept ends only
         * its own base chain, and the next base chain on the hook (another firewall's)
         * still sees the packet and may drop it (nf_hook_slow(); nft_forward_drops()). */
        if (machine->isolate)
                for (size_t i = 0; i < 2; i++) {
                        rule_isolate(batch, table_name, machine->ifname, NFT_META_IIFNAME, i ? "vz-" : "ve-");
                        rule_isolate(batch, table_name, machine->ifname, NFT_META_OIFNAME, i ? "vz-" : "ve-");
                }
        if (machine->prefix4 > 0)
                rule_no_spoofing(batch, table_name, machine->ifname, NFPROTO_IPV4, &machine->subnet4, machine->prefix4);
        if (machine->ipv6 && machine->prefix6 > 0)
                rule_no_spoofing(batch, table_name, machine->ifname, NFPROTO_IPV6, &machine->subnet6, machine->prefix6);
        rules_inbound(batch, table_name, machine->ifname);
        rule_accept(batch, table_name, NFT_META_IIFNAME, machine->ifname);

end:
        /* Only the last message asks for an ACK (errors are answered regardless): one ACK
         * per message would be one skb each, and a few hundred overrun the receive buffer. */
        if (batch->error == 0)
                batch->last->nlmsg_flags |= NLM_F_ACK;
        sym_nftnl_batch_end(sym_nftnl_batch_buffer(batch->nftnl), batch->seq);
        batch_next(batch);
}

static int batch_send(int fd, struct batch *batch)
{
        int n = sym_nftnl_batch_iovec_len(batch->nftnl), buffer_size = 0;
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        socklen_t length = sizeof(buffer_size);
        _cleanup_free_ struct iovec *iov = calloc((size_t)n, sizeof(*iov));
        struct msghdr message = { .msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iovlen = (size_t)n };
        size_t total = 0;

        if (!iov)
                return -ENOMEM;
        sym_nftnl_batch_iovec(batch->nftnl, iov, (uint32_t)n);
        message.msg_iov = iov;
        for (int i = 0; i < n; i++)
                total += iov[i].iov_len;
        /* The batch must reach the kernel in one message (nfnetlink handles a batch within
         * one skb), and netlink refuses one larger than the send buffer: EMSGSIZE. */
        if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_size, &length) < 0)
                return negative_errno();
        if (total + 32 > (size_t)buffer_size) {
                buffer_size = (int)MIN(total + 4096, (size_t)INT32_MAX / 2);
                if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer_size, sizeof(buffer_size)) < 0)
                        return negative_errno();
        }
        if (sendmsg(fd, &message, 0) < 0)
                return negative_errno();
        return 0;
}

/* One line: which message the kernel refused, and what to do about it. */
static int log_refusal(const struct batch *batch, const char *table_name, uint32_t seq, int error)
{
        if (seq == batch->first_seq && error == -EEXIST)
                return log_error_errno(error,
                                       "Cannot make nftables table inet %s: it exists, made by something else "
                                       "(remove it: nft delete table inet %s)",
                                       table_name, table_name);
        /* nft_table_lookup(): an owned table answers every other socket with EPERM. */
        if (seq == batch->first_seq && error == -EPERM)
                return log_error_errno(error,
                                       "Cannot make nftables table inet %s: another running process owns it "
                                       "(is a machine of that name running on another manager?)",
                                       table_name);
        if (seq == batch->first_seq && error == -EOPNOTSUPP)
                return log_error_errno(error,
                                       "Cannot make nftables table inet %s: the kernel has no owned tables "
                                       "(NFT_TABLE_F_OWNER needs Linux 5.12 or later)",
                                       table_name);
        return log_error_errno(error,
                               "Cannot make nftables table inet %s: the kernel refused %s: %m (it needs "
                               "nf_tables with nft_nat, nft_masq, nft_fib_inet and nft_ct, as modules or built in)",
                               table_name, batch_what(batch, seq));
}

/* Reads the kernel's answers until the last message's ACK or the first refusal. */
static int batch_answers(int fd, const struct batch *batch, const char *table_name)
{
        uint32_t last_seq = batch->first_seq + (uint32_t)batch->n_what - 1;
        char buffer[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));

        for (;;) {
                ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
                int left = (int)n;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(negative_errno(), "Cannot read the kernel's answer to table inet %s: %m",
                                               table_name);
                for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buffer; sym_mnl_nlmsg_ok(nlh, left);
                     nlh = sym_mnl_nlmsg_next(nlh, &left)) {
                        const struct nlmsgerr *answer = sym_mnl_nlmsg_get_payload(nlh);

                        if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*answer)))
                                continue;
                        if (answer->error < 0)
                                return log_refusal(batch, table_name, nlh->nlmsg_seq, answer->error);
                        if (nlh->nlmsg_seq == last_seq)
                                return 0;
                }
        }
}

static int machine_table(const struct nft_machine *machine, const char *table_name)
{
        _cleanup_close_ int fd = -EBADF;
        struct batch batch;
        uint32_t portid;
        int r;

        fd = netfilter_socket(&portid);
        if (fd < 0)
                return log_error_errno(fd, "Cannot open a netfilter socket for table inet %s: %m", table_name);
        r = batch_init(&batch);
        if (r == 0) {
                batch_machine(&batch, machine, table_name);
                r = batch.error;
        }
        if (r < 0) {
                batch_done(&batch);
                return log_error_errno(r, "Cannot make nftables table inet %s: %m", table_name);
        }
        r = batch_send(fd, &batch);
        if (r < 0)
                log_error_errno(r, "Cannot send nftables table inet %s to the kernel: %m", table_name);
        else
                r = batch_answers(fd, &batch, table_name);
        batch_done(&batch);
        return r < 0 ? r : TAKE_FD(fd);
}

static int machine_check(const struct nft_machine *machine, char table_name[static NFT_TABLE_MAXNAMELEN])
{
        if (!machine->name || machine->name[0] == '\0')
                return log_error_errno(-EINVAL, "Cannot make an nftables table for a machine without a name");
        if (!machine->ifname || machine->ifname[0] == '\0' || strlen(machine->ifname) >= IFNAMSIZ)
                return log_error_errno(-EINVAL, "Cannot make the nftables table of machine %s: bad link name '%s'",
                                       machine->name, machine->ifname ? machine->ifname : "");
        if (machine->prefix4 > 32 || (machine->ipv6 && machine->prefix6 > 128))
                return log_error_errno(-EINVAL, "Cannot make the nftables table of machine %s: bad prefix length",
                                       machine->name);
        for (size_t i = 0; i < machine->n_ports; i++)
                if (machine->ports[i].protocol != IPPROTO_TCP && machine->ports[i].protocol != IPPROTO_UDP)
                        return log_error_errno(-EINVAL,
                                               "Cannot forward port %u of machine %s: protocol %u is neither TCP nor UDP",
                                               machine->ports[i].host_port, machine->name, machine->ports[i].protocol);
        /* The guard's name has a '/', which no machine name has: no machine's table has it. */
        if ((size_t)snprintf(table_name, NFT_TABLE_MAXNAMELEN, TABLE_PREFIX "%s%s", machine->name,
                             machine->guard_only ? "/guard" : "") >= NFT_TABLE_MAXNAMELEN)
                return log_error_errno(-ENAMETOOLONG, "Cannot make the nftables table of machine %s: name too long",
                                       machine->name);
        return 0;
}

int nft_guard_table(const char *name, const char *ifname)
{
        const struct nft_machine guard = { .name = name, .ifname = ifname, .guard_only = true };

        return nft_machine_table(&guard);
}

/* Deleted by its owner: the name is free the moment the kernel has the batch, while
 * closing the socket frees it only after an RCU grace period (nft_rcv_nl_event()). */
static int drop_table(int fd, const char *table_name)
{
        _cleanup_(nftnl_table_freep) struct nftnl_table *table = NULL;
        struct nlmsghdr *nlh;
        struct batch batch;
        int r;

        r = batch_init(&batch);
        if (r < 0)
                return r;
        table = sym_nftnl_table_alloc();
        if (!table)
                batch.error = -ENOMEM;
        sym_nftnl_batch_begin(sym_nftnl_batch_buffer(batch.nftnl), batch.first_seq - 1);
        batch_next(&batch);
        nlh = batch_put(&batch, NFT_MSG_DELTABLE, NLM_F_ACK, "delete table inet %s", table_name);
        if (nlh) {
                sym_nftnl_table_set_u32(table, NFTNL_TABLE_FAMILY, NFPROTO_INET);
                sym_nftnl_table_set_str(table, NFTNL_TABLE_NAME, table_name);
                sym_nftnl_table_nlmsg_build_payload(nlh, table);
                batch_next(&batch);
        }
        sym_nftnl_batch_end(sym_nftnl_batch_buffer(batch.nftnl), batch.seq);
        batch_next(&batch);
        r = batch.error;
        if (r == 0)
                r = batch_send(fd, &batch);
        if (r == 0)
                r = batch_answers(fd, &batch, table_name);
        batch_done(&batch);
        return r;
}

/* MACHINE's table made (DROP_FD -1: returns its socket) or deleted over DROP_FD. */
static int table_do(const struct nft_machine *machine, int drop_fd)
{
        char table_name[NFT_TABLE_MAXNAMELEN];
        int r;

        r = machine_check(machine, table_name);
        if (r < 0)
                return r;
        r = mnl_load();
        if (r < 0)
                return r;
        r = nftnl_load();
        if (r == 0) {
                r = drop_fd >= 0 ? drop_table(drop_fd, table_name) : machine_table(machine, table_name);
                nftnl_unload();
        }
        mnl_unload();
        return r;
}

int nft_machine_table(const struct nft_machine *machine)
{
        return table_do(machine, -1);
}

int nft_machine_table_drop(int fd, const char *name, bool guard)
{
        const struct nft_machine machine = { .name = name, .ifname = "-", .guard_only = guard };

        return fd < 0 ? 0 : table_do(&machine, fd);
}

/* --- Other firewalls' forward chains --- */

/* Whether BUFFER's N bytes hold the end of a dump (its NLMSG_DONE, or an error). */
static bool dump_ended(const char *buffer, ssize_t n)
{
        int left = (int)n;

        for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buffer; sym_mnl_nlmsg_ok(nlh, left);
             nlh = sym_mnl_nlmsg_next(nlh, &left))
                if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
                        return true;
        return false;
}

struct forward_scan {
        int drops; /* 1, 0, or -ENOMEM */
};

static int chain_scan(const struct nlmsghdr *nlh, void *userdata)
{
        struct forward_scan *scan = userdata;
        _cleanup_(nftnl_chain_freep) struct nftnl_chain *chain = sym_nftnl_chain_alloc();
        uint32_t family;

        if (!chain) {
                scan->drops = -ENOMEM;
                return MNL_CB_ERROR;
        }
        if (sym_nftnl_chain_nlmsg_parse(nlh, chain) < 0)
                return MNL_CB_OK;
        family = sym_nftnl_chain_get_u32(chain, NFTNL_CHAIN_FAMILY);
        /* Only base chains carry a hook and a policy; the bridge and netdev families'
         * hooks are others, of the same numbers. */
        if ((family != NFPROTO_IPV4 && family != NFPROTO_IPV6 && family != NFPROTO_INET) ||
            !sym_nftnl_chain_is_set(chain, NFTNL_CHAIN_HOOKNUM) || !sym_nftnl_chain_is_set(chain, NFTNL_CHAIN_POLICY))
                return MNL_CB_OK;
        if (sym_nftnl_chain_get_u32(chain, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD &&
            sym_nftnl_chain_get_u32(chain, NFTNL_CHAIN_POLICY) == NF_DROP &&
            strncmp(sym_nftnl_chain_get_str(chain, NFTNL_CHAIN_TABLE), TABLE_PREFIX, strlen(TABLE_PREFIX)) != 0)
                scan->drops = 1;
        return MNL_CB_OK;
}

static int forward_scan(int fd)
{
        /* 32 KiB, libmnl's MNL_SOCKET_DUMP_SIZE (1.0.5): the largest part of a dump the kernel
         * sends at once; a smaller buffer would cut one off (MSG_TRUNC). */
        char buffer[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        struct forward_scan scan = {};
        socklen_t length = sizeof(kernel);
        const uint32_t seq = 1;
        struct nlmsghdr *nlh;
        uint32_t portid;
        int r;

        if (getsockname(fd, (struct sockaddr *)&kernel, &length) < 0)
                return negative_errno();
        portid = kernel.nl_pid;
        kernel.nl_pid = 0;
        nlh = sym_nftnl_nlmsg_build_hdr(buffer, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
        if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
                return negative_errno();
        do {
                ssize_t n = recv(fd, buffer, sizeof(buffer), 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                errno = 0;
                r = sym_mnl_cb_run(buffer, (size_t)n, seq, portid, chain_scan, &scan);
                if (r == MNL_CB_ERROR && errno == EINTR) {
                        /* Interrupted (NLM_F_DUMP_INTR): the rest of the dump read and
                         * dropped, or the socket's next dump would be refused (EBUSY). */
                        while (!dump_ended(buffer, n))
                                if ((n = recv(fd, buffer, sizeof(buffer), 0)) < 0 && errno != EINTR)
                                        return negative_errno();
                        return -EINTR;
                }
                if (r == MNL_CB_ERROR)
                        return scan.drops < 0 ? scan.drops : negative_errno();
        } while (r > MNL_CB_STOP);
        return scan.drops;
}

int nft_forward_drops(int fd)
{
        int r;

        r = mnl_load();
        if (r < 0)
                return r;
        r = nftnl_load();
        if (r == 0) {
                /* EINTR: the ruleset changed during the dump (NLM_F_DUMP_INTR), as it does
                 * while other machines start or end: read anew. */
                for (int try = 0; try < 20; try++)
                        if ((r = forward_scan(fd)) != -EINTR)
                                break;
                nftnl_unload();
                if (r < 0)
                        log_error_errno(r, "Cannot read the host's nftables chains: %m");
        }
        mnl_unload();
        return r;
}

/* --- Host port locks --- */

int nft_port_lock(uint8_t protocol, uint16_t host_port)
{
        if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)
                return -EINVAL;
        /* One file a protocol, one byte a port: tcp:8080 and udp:8080 are two ports. */
        return lock_take(protocol == IPPROTO_TCP ? "ports-tcp" : "ports-udp", host_port, 1, true);
}
