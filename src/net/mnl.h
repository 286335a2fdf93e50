/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libmnl/libmnl.h>

/* libmnl, dlopen()ed for as long as the network is being set up (util/dl.h): callers
 * call sym_mnl_FUNCTION() between mnl_load() and mnl_unload(). libmnl's iteration macros
 * (mnl_attr_for_each...) call the library directly: use mnl_attr_parse() instead. */

extern __typeof__(mnl_socket_open) *sym_mnl_socket_open;
extern __typeof__(mnl_socket_bind) *sym_mnl_socket_bind;
extern __typeof__(mnl_socket_close) *sym_mnl_socket_close;
extern __typeof__(mnl_socket_get_fd) *sym_mnl_socket_get_fd;
extern __typeof__(mnl_socket_get_portid) *sym_mnl_socket_get_portid;
extern __typeof__(mnl_socket_sendto) *sym_mnl_socket_sendto;
extern __typeof__(mnl_socket_recvfrom) *sym_mnl_socket_recvfrom;
extern __typeof__(mnl_socket_setsockopt) *sym_mnl_socket_setsockopt;
extern __typeof__(mnl_nlmsg_put_header) *sym_mnl_nlmsg_put_header;
extern __typeof__(mnl_nlmsg_put_extra_header) *sym_mnl_nlmsg_put_extra_header;
extern __typeof__(mnl_nlmsg_get_payload) *sym_mnl_nlmsg_get_payload;
extern __typeof__(mnl_nlmsg_get_payload_len) *sym_mnl_nlmsg_get_payload_len;
extern __typeof__(mnl_nlmsg_ok) *sym_mnl_nlmsg_ok;
extern __typeof__(mnl_nlmsg_next) *sym_mnl_nlmsg_next;
extern __typeof__(mnl_nlmsg_batch_start) *sym_mnl_nlmsg_batch_start;
extern __typeof__(mnl_nlmsg_batch_next) *sym_mnl_nlmsg_batch_next;
extern __typeof__(mnl_nlmsg_batch_stop) *sym_mnl_nlmsg_batch_stop;
extern __typeof__(mnl_nlmsg_batch_size) *sym_mnl_nlmsg_batch_size;
extern __typeof__(mnl_nlmsg_batch_head) *sym_mnl_nlmsg_batch_head;
extern __typeof__(mnl_nlmsg_batch_current) *sym_mnl_nlmsg_batch_current;
extern __typeof__(mnl_attr_put) *sym_mnl_attr_put;
extern __typeof__(mnl_attr_put_u8) *sym_mnl_attr_put_u8;
extern __typeof__(mnl_attr_put_u16) *sym_mnl_attr_put_u16;
extern __typeof__(mnl_attr_put_u32) *sym_mnl_attr_put_u32;
extern __typeof__(mnl_attr_put_str) *sym_mnl_attr_put_str;
extern __typeof__(mnl_attr_put_strz) *sym_mnl_attr_put_strz;
extern __typeof__(mnl_attr_nest_start) *sym_mnl_attr_nest_start;
extern __typeof__(mnl_attr_nest_end) *sym_mnl_attr_nest_end;
extern __typeof__(mnl_attr_parse) *sym_mnl_attr_parse;
extern __typeof__(mnl_attr_parse_nested) *sym_mnl_attr_parse_nested;
extern __typeof__(mnl_attr_get_type) *sym_mnl_attr_get_type;
extern __typeof__(mnl_attr_get_payload) *sym_mnl_attr_get_payload;
extern __typeof__(mnl_attr_get_payload_len) *sym_mnl_attr_get_payload_len;
extern __typeof__(mnl_attr_get_u8) *sym_mnl_attr_get_u8;
extern __typeof__(mnl_attr_get_u16) *sym_mnl_attr_get_u16;
extern __typeof__(mnl_attr_get_u32) *sym_mnl_attr_get_u32;
extern __typeof__(mnl_attr_get_str) *sym_mnl_attr_get_str;
extern __typeof__(mnl_attr_type_valid) *sym_mnl_attr_type_valid;
extern __typeof__(mnl_attr_validate) *sym_mnl_attr_validate;
extern __typeof__(mnl_cb_run) *sym_mnl_cb_run;

/* Loads libmnl once more (nested calls count): 0, or -EOPNOTSUPP (logged: which library is
 * missing and the package that has it). */
int mnl_load(void);
/* Undoes one mnl_load(); the last one closes the library. */
void mnl_unload(void);
