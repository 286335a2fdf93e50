/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmnl's functions, dlopen()ed while the network is set up and closed after, so that
 * the supervisor does not keep the library mapped for the machine's life. */
#include <errno.h>

#include "net/mnl.h"
#include "util/dl.h"
#include "util/macro.h"

__typeof__(mnl_socket_open) *sym_mnl_socket_open;
__typeof__(mnl_socket_bind) *sym_mnl_socket_bind;
__typeof__(mnl_socket_close) *sym_mnl_socket_close;
__typeof__(mnl_socket_get_fd) *sym_mnl_socket_get_fd;
__typeof__(mnl_socket_get_portid) *sym_mnl_socket_get_portid;
__typeof__(mnl_socket_sendto) *sym_mnl_socket_sendto;
__typeof__(mnl_socket_recvfrom) *sym_mnl_socket_recvfrom;
__typeof__(mnl_socket_setsockopt) *sym_mnl_socket_setsockopt;
__typeof__(mnl_nlmsg_put_header) *sym_mnl_nlmsg_put_header;
__typeof__(mnl_nlmsg_put_extra_header) *sym_mnl_nlmsg_put_extra_header;
__typeof__(mnl_nlmsg_get_payload) *sym_mnl_nlmsg_get_payload;
__typeof__(mnl_nlmsg_get_payload_len) *sym_mnl_nlmsg_get_payload_len;
__typeof__(mnl_nlmsg_ok) *sym_mnl_nlmsg_ok;
__typeof__(mnl_nlmsg_next) *sym_mnl_nlmsg_next;
__typeof__(mnl_nlmsg_batch_start) *sym_mnl_nlmsg_batch_start;
__typeof__(mnl_nlmsg_batch_next) *sym_mnl_nlmsg_batch_next;
__typeof__(mnl_nlmsg_batch_stop) *sym_mnl_nlmsg_batch_stop;
__typeof__(mnl_nlmsg_batch_size) *sym_mnl_nlmsg_batch_size;
__typeof__(mnl_nlmsg_batch_head) *sym_mnl_nlmsg_batch_head;
__typeof__(mnl_nlmsg_batch_current) *sym_mnl_nlmsg_batch_current;
__typeof__(mnl_attr_put) *sym_mnl_attr_put;
__typeof__(mnl_attr_put_u8) *sym_mnl_attr_put_u8;
__typeof__(mnl_attr_put_u16) *sym_mnl_attr_put_u16;
__typeof__(mnl_attr_put_u32) *sym_mnl_attr_put_u32;
__typeof__(mnl_attr_put_str) *sym_mnl_attr_put_str;
__typeof__(mnl_attr_put_strz) *sym_mnl_attr_put_strz;
__typeof__(mnl_attr_nest_start) *sym_mnl_attr_nest_start;
__typeof__(mnl_attr_nest_end) *sym_mnl_attr_nest_end;
__typeof__(mnl_attr_parse) *sym_mnl_attr_parse;
__typeof__(mnl_attr_parse_nested) *sym_mnl_attr_parse_nested;
__typeof__(mnl_attr_get_type) *sym_mnl_attr_get_type;
__typeof__(mnl_attr_get_payload) *sym_mnl_attr_get_payload;
__typeof__(mnl_attr_get_payload_len) *sym_mnl_attr_get_payload_len;
__typeof__(mnl_attr_get_u8) *sym_mnl_attr_get_u8;
__typeof__(mnl_attr_get_u16) *sym_mnl_attr_get_u16;
__typeof__(mnl_attr_get_u32) *sym_mnl_attr_get_u32;
__typeof__(mnl_attr_get_str) *sym_mnl_attr_get_str;
__typeof__(mnl_attr_type_valid) *sym_mnl_attr_type_valid;
__typeof__(mnl_attr_validate) *sym_mnl_attr_validate;
__typeof__(mnl_cb_run) *sym_mnl_cb_run;

static const struct dl_symbol symbols[] = {
        { "mnl_socket_open", (void **)&sym_mnl_socket_open },
        { "mnl_socket_bind", (void **)&sym_mnl_socket_bind },
        { "mnl_socket_close", (void **)&sym_mnl_socket_close },
        { "mnl_socket_get_fd", (void **)&sym_mnl_socket_get_fd },
        { "mnl_socket_get_portid", (void **)&sym_mnl_socket_get_portid },
        { "mnl_socket_sendto", (void **)&sym_mnl_socket_sendto },
        { "mnl_socket_recvfrom", (void **)&sym_mnl_socket_recvfrom },
        { "mnl_socket_setsockopt", (void **)&sym_mnl_socket_setsockopt },
        { "mnl_nlmsg_put_header", (void **)&sym_mnl_nlmsg_put_header },
        { "mnl_nlmsg_put_extra_header", (void **)&sym_mnl_nlmsg_put_extra_header },
        { "mnl_nlmsg_get_payload", (void **)&sym_mnl_nlmsg_get_payload },
        { "mnl_nlmsg_get_payload_len", (void **)&sym_mnl_nlmsg_get_payload_len },
        { "mnl_nlmsg_ok", (void **)&sym_mnl_nlmsg_ok },
        { "mnl_nlmsg_next", (void **)&sym_mnl_nlmsg_next },
        { "mnl_nlmsg_batch_start", (void **)&sym_mnl_nlmsg_batch_start },
        { "mnl_nlmsg_batch_next", (void **)&sym_mnl_nlmsg_batch_next },
        { "mnl_nlmsg_batch_stop", (void **)&sym_mnl_nlmsg_batch_stop },
        { "mnl_nlmsg_batch_size", (void **)&sym_mnl_nlmsg_batch_size },
        { "mnl_nlmsg_batch_head", (void **)&sym_mnl_nlmsg_batch_head },
        { "mnl_nlmsg_batch_current", (void **)&sym_mnl_nlmsg_batch_current },
        { "mnl_attr_put", (void **)&sym_mnl_attr_put },
        { "mnl_attr_put_u8", (void **)&sym_mnl_attr_put_u8 },
        { "mnl_attr_put_u16", (void **)&sym_mnl_attr_put_u16 },
        { "mnl_attr_put_u32", (void **)&sym_mnl_attr_put_u32 },
        { "mnl_attr_put_str", (void **)&sym_mnl_attr_put_str },
        { "mnl_attr_put_strz", (void **)&sym_mnl_attr_put_strz },
        { "mnl_attr_nest_start", (void **)&sym_mnl_attr_nest_start },
        { "mnl_attr_nest_end", (void **)&sym_mnl_attr_nest_end },
        { "mnl_attr_parse", (void **)&sym_mnl_attr_parse },
        { "mnl_attr_parse_nested", (void **)&sym_mnl_attr_parse_nested },
        { "mnl_attr_get_type", (void **)&sym_mnl_attr_get_type },
        { "mnl_attr_get_payload", (void **)&sym_mnl_attr_get_payload },
        { "mnl_attr_get_payload_len", (void **)&sym_mnl_attr_get_payload_len },
        { "mnl_attr_get_u8", (void **)&sym_mnl_attr_get_u8 },
        { "mnl_attr_get_u16", (void **)&sym_mnl_attr_get_u16 },
        { "mnl_attr_get_u32", (void **)&sym_mnl_attr_get_u32 },
        { "mnl_attr_get_str", (void **)&sym_mnl_attr_get_str },
        { "mnl_attr_type_valid", (void **)&sym_mnl_attr_type_valid },
        { "mnl_attr_validate", (void **)&sym_mnl_attr_validate },
        { "mnl_cb_run", (void **)&sym_mnl_cb_run },
};

static struct dl_library library = {
        .soname = "libmnl.so.0",
        .package = "libmnl0",
        .purpose = "a machine's network",
        .symbols = symbols,
        .n_symbols = ELEMENTSOF(symbols),
};

int mnl_load(void)
{
        return dl_library_load(&library);
}

void mnl_unload(void)
{
        dl_library_unload(&library);
}
