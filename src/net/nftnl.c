/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnftnl's functions, dlopen()ed while a machine's nftables table is made and closed
 * after, so that the supervisor does not keep the library mapped for the machine's life. */
#include <errno.h>

#include "net/nftnl.h"
#include "util/dl.h"
#include "util/macro.h"

__typeof__(nftnl_table_alloc) *sym_nftnl_table_alloc;
__typeof__(nftnl_table_free) *sym_nftnl_table_free;
__typeof__(nftnl_table_set_u32) *sym_nftnl_table_set_u32;
__typeof__(nftnl_table_set_str) *sym_nftnl_table_set_str;
__typeof__(nftnl_table_nlmsg_build_payload) *sym_nftnl_table_nlmsg_build_payload;
__typeof__(nftnl_chain_alloc) *sym_nftnl_chain_alloc;
__typeof__(nftnl_chain_free) *sym_nftnl_chain_free;
__typeof__(nftnl_chain_set_u32) *sym_nftnl_chain_set_u32;
__typeof__(nftnl_chain_set_s32) *sym_nftnl_chain_set_s32;
__typeof__(nftnl_chain_set_str) *sym_nftnl_chain_set_str;
__typeof__(nftnl_chain_get_u32) *sym_nftnl_chain_get_u32;
__typeof__(nftnl_chain_get_str) *sym_nftnl_chain_get_str;
__typeof__(nftnl_chain_is_set) *sym_nftnl_chain_is_set;
__typeof__(nftnl_chain_nlmsg_build_payload) *sym_nftnl_chain_nlmsg_build_payload;
__typeof__(nftnl_chain_nlmsg_parse) *sym_nftnl_chain_nlmsg_parse;
__typeof__(nftnl_rule_alloc) *sym_nftnl_rule_alloc;
__typeof__(nftnl_rule_free) *sym_nftnl_rule_free;
__typeof__(nftnl_rule_set_u32) *sym_nftnl_rule_set_u32;
__typeof__(nftnl_rule_set_str) *sym_nftnl_rule_set_str;
__typeof__(nftnl_rule_add_expr) *sym_nftnl_rule_add_expr;
__typeof__(nftnl_rule_nlmsg_build_payload) *sym_nftnl_rule_nlmsg_build_payload;
__typeof__(nftnl_expr_alloc) *sym_nftnl_expr_alloc;
__typeof__(nftnl_expr_free) *sym_nftnl_expr_free;
__typeof__(nftnl_expr_set) *sym_nftnl_expr_set;
__typeof__(nftnl_expr_set_u8) *sym_nftnl_expr_set_u8;
__typeof__(nftnl_expr_set_u32) *sym_nftnl_expr_set_u32;
__typeof__(nftnl_nlmsg_build_hdr) *sym_nftnl_nlmsg_build_hdr;
__typeof__(nftnl_batch_begin) *sym_nftnl_batch_begin;
__typeof__(nftnl_batch_end) *sym_nftnl_batch_end;
__typeof__(nftnl_batch_alloc) *sym_nftnl_batch_alloc;
__typeof__(nftnl_batch_update) *sym_nftnl_batch_update;
__typeof__(nftnl_batch_free) *sym_nftnl_batch_free;
__typeof__(nftnl_batch_buffer) *sym_nftnl_batch_buffer;
__typeof__(nftnl_batch_buffer_len) *sym_nftnl_batch_buffer_len;
__typeof__(nftnl_batch_iovec_len) *sym_nftnl_batch_iovec_len;
__typeof__(nftnl_batch_iovec) *sym_nftnl_batch_iovec;

static const struct dl_symbol symbols[] = {
        { "nftnl_table_alloc", (void **)&sym_nftnl_table_alloc },
        { "nftnl_table_free", (void **)&sym_nftnl_table_free },
        { "nftnl_table_set_u32", (void **)&sym_nftnl_table_set_u32 },
        { "nftnl_table_set_str", (void **)&sym_nftnl_table_set_str },
        { "nftnl_table_nlmsg_build_payload", (void **)&sym_nftnl_table_nlmsg_build_payload },
        { "nftnl_chain_alloc", (void **)&sym_nftnl_chain_alloc },
        { "nftnl_chain_free", (void **)&sym_nftnl_chain_free },
        { "nftnl_chain_set_u32", (void **)&sym_nftnl_chain_set_u32 },
        { "nftnl_chain_set_s32", (void **)&sym_nftnl_chain_set_s32 },
        { "nftnl_chain_set_str", (void **)&sym_nftnl_chain_set_str },
        { "nftnl_chain_get_u32", (void **)&sym_nftnl_chain_get_u32 },
        { "nftnl_chain_get_str", (void **)&sym_nftnl_chain_get_str },
        { "nftnl_chain_is_set", (void **)&sym_nftnl_chain_is_set },
        { "nftnl_chain_nlmsg_build_payload", (void **)&sym_nftnl_chain_nlmsg_build_payload },
        { "nftnl_chain_nlmsg_parse", (void **)&sym_nftnl_chain_nlmsg_parse },
        { "nftnl_rule_alloc", (void **)&sym_nftnl_rule_alloc },
        { "nftnl_rule_free", (void **)&sym_nftnl_rule_free },
        { "nftnl_rule_set_u32", (void **)&sym_nftnl_rule_set_u32 },
        { "nftnl_rule_set_str", (void **)&sym_nftnl_rule_set_str },
        { "nftnl_rule_add_expr", (void **)&sym_nftnl_rule_add_expr },
        { "nftnl_rule_nlmsg_build_payload", (void **)&sym_nftnl_rule_nlmsg_build_payload },
        { "nftnl_expr_alloc", (void **)&sym_nftnl_expr_alloc },
        { "nftnl_expr_free", (void **)&sym_nftnl_expr_free },
        { "nftnl_expr_set", (void **)&sym_nftnl_expr_set },
        { "nftnl_expr_set_u8", (void **)&sym_nftnl_expr_set_u8 },
        { "nftnl_expr_set_u32", (void **)&sym_nftnl_expr_set_u32 },
        { "nftnl_nlmsg_build_hdr", (void **)&sym_nftnl_nlmsg_build_hdr },
        { "nftnl_batch_begin", (void **)&sym_nftnl_batch_begin },
        { "nftnl_batch_end", (void **)&sym_nftnl_batch_end },
        { "nftnl_batch_alloc", (void **)&sym_nftnl_batch_alloc },
        { "nftnl_batch_update", (void **)&sym_nftnl_batch_update },
        { "nftnl_batch_free", (void **)&sym_nftnl_batch_free },
        { "nftnl_batch_buffer", (void **)&sym_nftnl_batch_buffer },
        { "nftnl_batch_buffer_len", (void **)&sym_nftnl_batch_buffer_len },
        { "nftnl_batch_iovec_len", (void **)&sym_nftnl_batch_iovec_len },
        { "nftnl_batch_iovec", (void **)&sym_nftnl_batch_iovec },
};

static struct dl_library library = {
        .soname = "libnftnl.so.11",
        .package = "libnftnl11",
        .purpose = "a machine's network",
        .symbols = symbols,
        .n_symbols = ELEMENTSOF(symbols),
};

int nftnl_load(void)
{
        return dl_library_load(&library);
}

void nftnl_unload(void)
{
        dl_library_unload(&library);
}
