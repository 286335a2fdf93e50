/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-login.h>

/* libsystemd, dlopen()ed for the moments we use it (util/dl.h): the bus calls that register a
 * machine, the machine id, a notification to the service manager. Linked, it and what it
 * links (libgcrypt, liblz4, libzstd, liblzma, libcap) were 1.1 MiB of the supervisor's
 * resident memory for the machine's whole life. Callers call sym_sd_FUNCTION() between
 * libsystemd_load() and libsystemd_unload(). */

extern __typeof__(sd_bus_call) *sym_sd_bus_call;
extern __typeof__(sd_bus_call_method) *sym_sd_bus_call_method;
extern __typeof__(sd_bus_error_free) *sym_sd_bus_error_free;
extern __typeof__(sd_bus_error_has_name) *sym_sd_bus_error_has_name;
extern __typeof__(sd_bus_error_has_names_sentinel) *sym_sd_bus_error_has_names_sentinel;
extern __typeof__(sd_bus_flush_close_unref) *sym_sd_bus_flush_close_unref;
extern __typeof__(sd_bus_match_signal) *sym_sd_bus_match_signal;
extern __typeof__(sd_bus_message_append) *sym_sd_bus_message_append;
extern __typeof__(sd_bus_message_append_array) *sym_sd_bus_message_append_array;
extern __typeof__(sd_bus_message_close_container) *sym_sd_bus_message_close_container;
extern __typeof__(sd_bus_message_new_method_call) *sym_sd_bus_message_new_method_call;
extern __typeof__(sd_bus_message_open_container) *sym_sd_bus_message_open_container;
extern __typeof__(sd_bus_message_read) *sym_sd_bus_message_read;
extern __typeof__(sd_bus_message_unref) *sym_sd_bus_message_unref;
extern __typeof__(sd_bus_open_system) *sym_sd_bus_open_system;
extern __typeof__(sd_bus_process) *sym_sd_bus_process;
extern __typeof__(sd_bus_slot_unref) *sym_sd_bus_slot_unref;
extern __typeof__(sd_bus_wait) *sym_sd_bus_wait;
extern __typeof__(sd_id128_from_string) *sym_sd_id128_from_string;
extern __typeof__(sd_id128_get_machine) *sym_sd_id128_get_machine;
extern __typeof__(sd_id128_randomize) *sym_sd_id128_randomize;
extern __typeof__(sd_notify) *sym_sd_notify;
extern __typeof__(sd_pid_get_unit) *sym_sd_pid_get_unit;

/* Loads libsystemd once more (nested calls count): 0, or -EOPNOTSUPP (logged: the library is
 * missing, and the package that has it). */
int libsystemd_load(void);
/* Undoes one libsystemd_load(); the last one closes the library. */
void libsystemd_unload(void);

/* For _cleanup_(): sd_bus_error_free() through the loaded library. */
static inline void bus_error_freep(sd_bus_error *error)
{
        sym_sd_bus_error_free(error);
}

/* sd_notify(STATE) to the service manager that runs us, when one does ($NOTIFY_SOCKET): the
 * library is loaded for that moment only. */
void libsystemd_notify(const char *state);
