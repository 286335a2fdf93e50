/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

/* libnftnl, dlopen()ed for as long as a machine's nftables table is being made or the
 * host's chains read (util/dl.h): callers call sym_nftnl_FUNCTION() between nftnl_load()
 * and nftnl_unload(). Its objects own the expressions added to them
 * (nftnl_rule_add_expr): free the rule, not its expressions. */

extern __typeof__(nftnl_table_alloc) *sym_nftnl_table_alloc;
extern __typeof__(nftnl_table_free) *sym_nftnl_table_free;
extern __typeof__(nftnl_table_set_u32) *sym_nftnl_table_set_u32;
extern __typeof__(nftnl_table_set_str) *sym_nftnl_table_set_str;
extern __typeof__(nftnl_table_nlmsg_build_payload) *sym_nftnl_table_nlmsg_build_payload;
extern __typeof__(nftnl_chain_alloc) *sym_nftnl_chain_alloc;
extern __typeof__(nftnl_chain_free) *sym_nftnl_chain_free;
extern __typeof__(nftnl_chain_set_u32) *sym_nftnl_chain_set_u32;
extern __typeof__(nftnl_chain_set_s32) *sym_nftnl_chain_set_s32;
extern __typeof__(nftnl_chain_set_str) *sym_nftnl_chain_set_str;
extern __typeof__(nftnl_chain_get_u32) *sym_nftnl_chain_get_u32;
extern __typeof__(nftnl_chain_get_str) *sym_nftnl_chain_get_str;
extern __typeof__(nftnl_chain_is_set) *sym_nftnl_chain_is_set;
extern __typeof__(nftnl_chain_nlmsg_build_payload) *sym_nftnl_chain_nlmsg_build_payload;
extern __typeof__(nftnl_chain_nlmsg_parse) *sym_nftnl_chain_nlmsg_parse;
extern __typeof__(nftnl_rule_alloc) *sym_nftnl_rule_alloc;
extern __typeof__(nftnl_rule_free) *sym_nftnl_rule_free;
extern __typeof__(nftnl_rule_set_u32) *sym_nftnl_rule_set_u32;
extern __typeof__(nftnl_rule_set_str) *sym_nftnl_rule_set_str;
extern __typeof__(nftnl_rule_add_expr) *sym_nftnl_rule_add_expr;
extern __typeof__(nftnl_rule_nlmsg_build_payload) *sym_nftnl_rule_nlmsg_build_payload;
extern __typeof__(nftnl_expr_alloc) *sym_nftnl_expr_alloc;
extern __typeof__(nftnl_expr_free) *sym_nftnl_expr_free;
extern __typeof__(nftnl_expr_set) *sym_nftnl_expr_set;
extern __typeof__(nftnl_expr_set_u8) *sym_nftnl_expr_set_u8;
extern __typeof__(nftnl_expr_set_u32) *sym_nftnl_expr_set_u32;
extern __typeof__(nftnl_nlmsg_build_hdr) *sym_nftnl_nlmsg_build_hdr;
extern __typeof__(nftnl_batch_begin) *sym_nftnl_batch_begin;
extern __typeof__(nftnl_batch_end) *sym_nftnl_batch_end;
extern __typeof__(nftnl_batch_alloc) *sym_nftnl_batch_alloc;
extern __typeof__(nftnl_batch_update) *sym_nftnl_batch_update;
extern __typeof__(nftnl_batch_free) *sym_nftnl_batch_free;
extern __typeof__(nftnl_batch_buffer) *sym_nftnl_batch_buffer;
extern __typeof__(nftnl_batch_buffer_len) *sym_nftnl_batch_buffer_len;
extern __typeof__(nftnl_batch_iovec_len) *sym_nftnl_batch_iovec_len;
extern __typeof__(nftnl_batch_iovec) *sym_nftnl_batch_iovec;

/* Loads libnftnl once more (nested calls count): 0, or -EOPNOTSUPP (logged: which library
 * is missing and the package that has it). */
int nftnl_load(void);
/* Undoes one nftnl_load(); the last one closes the library. */
void nftnl_unload(void);
