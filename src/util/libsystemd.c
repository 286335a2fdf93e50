/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libsystemd's functions, dlopen()ed while they are used (util/libsystemd.h). */
#include <stdbool.h>
#include <stdlib.h>

#include "util/dl.h"
#include "util/libsystemd.h"
#include "util/macro.h"

__typeof__(sd_bus_call) *sym_sd_bus_call;
__typeof__(sd_bus_call_method) *sym_sd_bus_call_method;
__typeof__(sd_bus_error_free) *sym_sd_bus_error_free;
__typeof__(sd_bus_error_has_name) *sym_sd_bus_error_has_name;
__typeof__(sd_bus_error_has_names_sentinel) *sym_sd_bus_error_has_names_sentinel;
__typeof__(sd_bus_flush_close_unref) *sym_sd_bus_flush_close_unref;
__typeof__(sd_bus_match_signal) *sym_sd_bus_match_signal;
__typeof__(sd_bus_message_append) *sym_sd_bus_message_append;
__typeof__(sd_bus_message_append_array) *sym_sd_bus_message_append_array;
__typeof__(sd_bus_message_close_container) *sym_sd_bus_message_close_container;
__typeof__(sd_bus_message_new_method_call) *sym_sd_bus_message_new_method_call;
__typeof__(sd_bus_message_open_container) *sym_sd_bus_message_open_container;
__typeof__(sd_bus_message_read) *sym_sd_bus_message_read;
__typeof__(sd_bus_message_unref) *sym_sd_bus_message_unref;
__typeof__(sd_bus_open_system) *sym_sd_bus_open_system;
__typeof__(sd_bus_process) *sym_sd_bus_process;
__typeof__(sd_bus_slot_unref) *sym_sd_bus_slot_unref;
__typeof__(sd_bus_wait) *sym_sd_bus_wait;
__typeof__(sd_id128_from_string) *sym_sd_id128_from_string;
__typeof__(sd_id128_get_machine) *sym_sd_id128_get_machine;
__typeof__(sd_id128_randomize) *sym_sd_id128_randomize;
__typeof__(sd_notify) *sym_sd_notify;
__typeof__(sd_pid_get_unit) *sym_sd_pid_get_unit;

static const struct dl_symbol symbols[] = {
        { "sd_bus_call", (void **)&sym_sd_bus_call },
        { "sd_bus_call_method", (void **)&sym_sd_bus_call_method },
        { "sd_bus_error_free", (void **)&sym_sd_bus_error_free },
        { "sd_bus_error_has_name", (void **)&sym_sd_bus_error_has_name },
        { "sd_bus_error_has_names_sentinel", (void **)&sym_sd_bus_error_has_names_sentinel },
        { "sd_bus_flush_close_unref", (void **)&sym_sd_bus_flush_close_unref },
        { "sd_bus_match_signal", (void **)&sym_sd_bus_match_signal },
        { "sd_bus_message_append", (void **)&sym_sd_bus_message_append },
        { "sd_bus_message_append_array", (void **)&sym_sd_bus_message_append_array },
        { "sd_bus_message_close_container", (void **)&sym_sd_bus_message_close_container },
        { "sd_bus_message_new_method_call", (void **)&sym_sd_bus_message_new_method_call },
        { "sd_bus_message_open_container", (void **)&sym_sd_bus_message_open_container },
        { "sd_bus_message_read", (void **)&sym_sd_bus_message_read },
        { "sd_bus_message_unref", (void **)&sym_sd_bus_message_unref },
        { "sd_bus_open_system", (void **)&sym_sd_bus_open_system },
        { "sd_bus_process", (void **)&sym_sd_bus_process },
        { "sd_bus_slot_unref", (void **)&sym_sd_bus_slot_unref },
        { "sd_bus_wait", (void **)&sym_sd_bus_wait },
        { "sd_id128_from_string", (void **)&sym_sd_id128_from_string },
        { "sd_id128_get_machine", (void **)&sym_sd_id128_get_machine },
        { "sd_id128_randomize", (void **)&sym_sd_id128_randomize },
        { "sd_notify", (void **)&sym_sd_notify },
        { "sd_pid_get_unit", (void **)&sym_sd_pid_get_unit },
};

static struct dl_library library = {
        .soname = "libsystemd.so.0",
        .package = "libsystemd0",
        .purpose = "talking to systemd",
        .symbols = symbols,
        .n_symbols = ELEMENTSOF(symbols),
};

int libsystemd_load(void)
{
        return dl_library_load(&library);
}

void libsystemd_unload(void)
{
        dl_library_unload(&library);
}

void libsystemd_notify(const char *state)
{
        if (!getenv("NOTIFY_SOCKET") || libsystemd_load() < 0)
                return;
        (void)sym_sd_notify(false, state);
        libsystemd_unload();
}
