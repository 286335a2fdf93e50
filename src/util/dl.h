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
