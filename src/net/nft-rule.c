/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The expressions and matches a rule of a machine's nftables table is built of, as nft
 * itself builds them. Not the rules, the batch or the socket: nft.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <stddef.h>
#include <string.h>

#include "net/nft-rule.h"
#include "net/nftnl.h"
#include "util/macro.h"

/* --- Expressions: those `nft --debug=netlink add rule ...` shows for each rule --- */

struct rule_builder rule_start(const char *table_name, const char *chain_name)
{
        struct rule_builder builder = { .rule = sym_nftnl_rule_alloc() };

        if (!builder.rule) {
                builder.error = -ENOMEM;
                return builder;
        }
        sym_nftnl_rule_set_u32(builder.rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
        sym_nftnl_rule_set_str(builder.rule, NFTNL_RULE_TABLE, table_name);
        sym_nftnl_rule_set_str(builder.rule, NFTNL_RULE_CHAIN, chain_name);
        return builder;
}

/* A new expression of kind NAME, or NULL when the rule has failed already or now. */
static struct nftnl_expr *rule_expr(struct rule_builder *builder, const char *name)
{
        struct nftnl_expr *expr;

        if (builder->error < 0)
                return NULL;
        expr = sym_nftnl_expr_alloc(name);
        if (!expr)
                builder->error = -ENOMEM;
        return expr;
}

/* The rule's first register (NFT_REG_1, 16 bytes) holds what each match loads. */
static void load_meta(struct rule_builder *builder, uint32_t key)
{
        struct nftnl_expr *expr = rule_expr(builder, "meta");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_META_KEY, key);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_META_DREG, NFT_REG_1);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

void load_payload(struct rule_builder *builder, uint32_t base, uint32_t offset, uint32_t length)
{
        struct nftnl_expr *expr = rule_expr(builder, "payload");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_PAYLOAD_BASE, base);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_PAYLOAD_LEN, length);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

/* fib's address type (RTN_*, host order) of the packet's source or destination (FLAGS). */
static void load_fib_type(struct rule_builder *builder, uint32_t flags)
{
        struct nftnl_expr *expr = rule_expr(builder, "fib");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_FIB_FLAGS, flags);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

static void load_ct(struct rule_builder *builder, uint32_t key)
{
        struct nftnl_expr *expr = rule_expr(builder, "ct");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_CT_KEY, key);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_CT_DREG, NFT_REG_1);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

/* reg1 = reg1 & MASK (LENGTH bytes): a prefix or a flag, before compare(). */
static void and_mask(struct rule_builder *builder, const void *mask, uint32_t length)
{
        static const uint8_t zero[16];
        struct nftnl_expr *expr = rule_expr(builder, "bitwise");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_BITWISE_LEN, length);
        sym_nftnl_expr_set(expr, NFTNL_EXPR_BITWISE_MASK, mask, length);
        sym_nftnl_expr_set(expr, NFTNL_EXPR_BITWISE_XOR, zero, length);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

void compare(struct rule_builder *builder, uint32_t op, const void *value, uint32_t length)
{
        struct nftnl_expr *expr = rule_expr(builder, "cmp");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_CMP_OP, op);
        sym_nftnl_expr_set(expr, NFTNL_EXPR_CMP_DATA, value, length);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

void set_register(struct rule_builder *builder, uint32_t reg, const void *value, uint32_t length)
{
        struct nftnl_expr *expr = rule_expr(builder, "immediate");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_IMM_DREG, reg);
        sym_nftnl_expr_set(expr, NFTNL_EXPR_IMM_DATA, value, length);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

static void verdict(struct rule_builder *builder, uint32_t verdict)
{
        struct nftnl_expr *expr = rule_expr(builder, "immediate");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_IMM_VERDICT, verdict);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

void verdict_accept(struct rule_builder *builder)
{
        verdict(builder, NF_ACCEPT);
}

void verdict_drop(struct rule_builder *builder)
{
        verdict(builder, NF_DROP);
}

/* dnat to the address in reg1 and the port in reg2, as `dnat ip to A:P` does. */
void dnat(struct rule_builder *builder, uint32_t family)
{
        struct nftnl_expr *expr = rule_expr(builder, "nat");

        if (!expr)
                return;
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_NAT_FAMILY, family);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
        sym_nftnl_expr_set_u32(expr, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
        sym_nftnl_rule_add_expr(builder->rule, expr);
}

void masquerade(struct rule_builder *builder)
{
        struct nftnl_expr *expr = rule_expr(builder, "masq");

        if (expr)
                sym_nftnl_rule_add_expr(builder->rule, expr);
}

/* --- Matches: a load into reg1, then a compare --- */

void match_nfproto(struct rule_builder *builder, uint8_t nfproto)
{
        load_meta(builder, NFT_META_NFPROTO);
        compare(builder, NFT_CMP_EQ, &nfproto, sizeof(nfproto));
}

void match_ifname(struct rule_builder *builder, uint32_t key, uint32_t op, const char *ifname)
{
        char name[IFNAMSIZ] = {};

        /* nft compares all IFNAMSIZ bytes, the NULs after the name too: an exact match,
         * not a prefix ("ve-a" would otherwise match "ve-ab"). */
        strncpy(name, ifname, sizeof(name) - 1);
        load_meta(builder, key);
        compare(builder, op, name, sizeof(name));
}

void match_ifname_prefix(struct rule_builder *builder, uint32_t key, const char *prefix)
{
        /* nft's "ve-*": only the prefix's bytes are compared, without a NUL. */
        load_meta(builder, key);
        compare(builder, NFT_CMP_EQ, prefix, (uint32_t)strlen(prefix));
}

/* `ip saddr ADDRESS/PREFIX` or `ip6 saddr ...`: in an inet table the network header is
 * either, so the family is matched first (nft adds the same `meta nfproto`). */
static void match_address(struct rule_builder *builder, uint8_t nfproto, bool destination, uint32_t op,
                          const void *address, uint8_t prefix)
{
        uint32_t length = address_length(nfproto);
        uint8_t mask[16] = {}, masked[16] = {};

        for (uint32_t i = 0; i < length; i++) {
                unsigned bits = prefix > i * 8 ? MIN(prefix - i * 8, 8u) : 0;

                mask[i] = (uint8_t)(0xff00 >> bits);
                masked[i] = ((const uint8_t *)address)[i] & mask[i];
        }
        match_nfproto(builder, nfproto);
        load_payload(builder, NFT_PAYLOAD_NETWORK_HEADER,
                     nfproto == NFPROTO_IPV4
                             ? (destination ? offsetof(struct iphdr, daddr) : offsetof(struct iphdr, saddr))
                     : destination ? offsetof(struct ip6_hdr, ip6_dst)
                                   : offsetof(struct ip6_hdr, ip6_src),
                     length);
        and_mask(builder, mask, length);
        compare(builder, op, masked, length);
}

void match_source(struct rule_builder *builder, uint8_t nfproto, const void *address, uint8_t prefix)
{
        match_address(builder, nfproto, false, NFT_CMP_EQ, address, prefix);
}

void match_source_outside(struct rule_builder *builder, uint8_t nfproto, const void *address, uint8_t prefix)
{
        match_address(builder, nfproto, false, NFT_CMP_NEQ, address, prefix);
}

void match_destination(struct rule_builder *builder, uint8_t nfproto, const void *address, uint8_t prefix)
{
        match_address(builder, nfproto, true, NFT_CMP_EQ, address, prefix);
}

void match_established(struct rule_builder *builder)
{
        /* NF_CT_STATE_BIT(): established and related */
        uint32_t bits = (1U << (IP_CT_ESTABLISHED + 1)) | (1U << (IP_CT_RELATED + 1)), zero = 0;

        load_ct(builder, NFT_CT_STATE);
        and_mask(builder, &bits, sizeof(bits));
        compare(builder, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* `fib daddr type local`: to any of the host's own addresses, 127.0.0.1 and ::1 too. */
void match_local_destination(struct rule_builder *builder)
{
        uint32_t local = RTN_LOCAL;

        load_fib_type(builder, NFTA_FIB_F_DADDR);
        compare(builder, NFT_CMP_EQ, &local, sizeof(local));
}

/* `meta l4proto P th dport PORT` */
void match_port(struct rule_builder *builder, uint8_t protocol, uint16_t port)
{
        uint16_t port_be = htons(port);

        load_meta(builder, NFT_META_L4PROTO);
        compare(builder, NFT_CMP_EQ, &protocol, sizeof(protocol));
        /* The destination port: bytes 2-3 of the TCP and of the UDP header. */
        load_payload(builder, NFT_PAYLOAD_TRANSPORT_HEADER, 2, sizeof(port_be));
        compare(builder, NFT_CMP_EQ, &port_be, sizeof(port_be));
}

/* `ct status dnat`: the connection is one of our port forwards (or another DNAT). */
void match_dnat_connection(struct rule_builder *builder)
{
        uint32_t flag = IPS_DST_NAT, zero = 0;

        load_ct(builder, NFT_CT_STATUS);
        and_mask(builder, &flag, sizeof(flag));
        compare(builder, NFT_CMP_NEQ, &zero, sizeof(zero));
}
