/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Libraries the supervisor needs only for a moment (parsing options) or only in the
 * guest child (libcap, libseccomp, libmount) are dlopen()ed there and closed after,
 * so that they and what they pull in do not stay resident in the supervisor for the
 * machine's whole life. */
struct dl_symbol {
        const char *name;
        void **pointer;
};

/* Opens LIBRARY and resolves every symbol into its pointer. Returns the handle, or
 * NULL (and -EOPNOTSUPP in *ret_error) when the library or a symbol is missing. */
void *dl_open(const char *library, const struct dl_symbol *symbols, size_t n, int *ret_error);

/* A library loaded by several users in turn (the network's libmnl and libnftnl): the
 * first dl_library_load() opens it, the last dl_library_unload() closes it. */
struct dl_library {
        const char *soname;  /* "libmnl.so.0" */
        const char *package; /* Debian's package that has it, for the message */
        const char *purpose; /* "a machine's network" */
        const struct dl_symbol *symbols;
        size_t n_symbols;
        void *handle;
        unsigned users;
};

/* 0, or -EOPNOTSUPP (logged: which library is missing and the package that has it). */
int dl_library_load(struct dl_library *library);
void dl_library_unload(struct dl_library *library);
