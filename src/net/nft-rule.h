/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/netfilter.h>
#include <netinet/in.h>
#include <stdint.h>

/* The parts a rule of a machine's nftables table is built of (nft-rule.c), for nft.c,
 * which puts the rules together and hands them to its batch. Called between nftnl_load()
 * and nftnl_unload() (net/nftnl.h). Each part adds its expressions to the rule in the
 * order nft adds them for the same words of `nft add rule`. */

struct nftnl_rule;

/* One rule being built: the first failed allocation sticks in ERROR (-ENOMEM), and every
 * later part does nothing; the caller checks it once, when it takes the rule, and frees
 * RULE (sym_nftnl_rule_free(), which frees its expressions) either way. */
struct rule_builder {
        struct nftnl_rule *rule;
        int error;
};

/* A rule of the inet table TABLE_NAME's chain CHAIN_NAME, without expressions yet. */
struct rule_builder rule_start(const char *table_name, const char *chain_name);

/* The bytes of an address of family NFPROTO (NFPROTO_IPV4 or NFPROTO_IPV6). */
static inline uint32_t address_length(uint8_t nfproto)
{
        return nfproto == NFPROTO_IPV4 ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

/* Expressions. Every load and compare uses register 1 (NFT_REG_1). */

/* reg1 = LENGTH bytes at OFFSET of the packet's header BASE (NFT_PAYLOAD_*). */
void load_payload(struct rule_builder *builder, uint32_t base, uint32_t offset, uint32_t length);
/* reg1 OP (NFT_CMP_*) the LENGTH bytes of VALUE, or the rule ends for this packet. */
void compare(struct rule_builder *builder, uint32_t op, const void *value, uint32_t length);
/* Register REG = the LENGTH bytes of VALUE (network order where they are an address or port). */
void set_register(struct rule_builder *builder, uint32_t reg, const void *value, uint32_t length);
void verdict_accept(struct rule_builder *builder);
void verdict_drop(struct rule_builder *builder);
/* dnat of family FAMILY (NFPROTO_*) to the address in reg1 and the port in reg2. */
void dnat(struct rule_builder *builder, uint32_t family);
void masquerade(struct rule_builder *builder);

/* Matches: a load into reg1 and a compare, as the nft words quoted. */

/* `meta nfproto ipv4` or `ipv6` */
void match_nfproto(struct rule_builder *builder, uint8_t nfproto);
/* `iifname` or `oifname` (KEY: NFT_META_IIFNAME, NFT_META_OIFNAME) `==` or `!=` (OP) IFNAME,
 * the whole name. */
void match_ifname(struct rule_builder *builder, uint32_t key, uint32_t op, const char *ifname);
/* `iifname "PREFIX*"` (KEY NFT_META_IIFNAME) or `oifname "PREFIX*"`. */
void match_ifname_prefix(struct rule_builder *builder, uint32_t key, const char *prefix);
/* `ip saddr ADDRESS/PREFIX` or `ip6 saddr ADDRESS/PREFIX` (NFPROTO), its family matched first. */
void match_source(struct rule_builder *builder, uint8_t nfproto, const void *address, uint8_t prefix);
/* `ip saddr != ADDRESS/PREFIX` or `ip6 saddr != ...`: a source outside that prefix. */
void match_source_outside(struct rule_builder *builder, uint8_t nfproto, const void *address, uint8_t prefix);
/* `ct state established,related` */
void match_established(struct rule_builder *builder);
/* `ip daddr ADDRESS/PREFIX` or `ip6 daddr ...`, likewise. */
void match_destination(struct rule_builder *builder, uint8_t nfproto, const void *address, uint8_t prefix);
/* `fib daddr type local` */
void match_local_destination(struct rule_builder *builder);
/* `meta l4proto PROTOCOL th dport PORT` (TCP or UDP; PORT in host order) */
void match_port(struct rule_builder *builder, uint8_t protocol, uint16_t port);
/* `ct status dnat` */
void match_dnat_connection(struct rule_builder *builder);
