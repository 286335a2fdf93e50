/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dlopen() of a library's symbols for as long as they are needed, so that it does not
 * stay resident in the supervisor. */
#include <dlfcn.h>
#include <errno.h>

#include "util/dl.h"

void *dl_open(const char *library, const struct dl_symbol *symbols, size_t n, int *ret_error)
{
        void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);

        *ret_error = -EOPNOTSUPP;
        if (!handle)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                *symbols[i].pointer = dlsym(handle, symbols[i].name);
                if (!*symbols[i].pointer) {
                        dlclose(handle);
                        return NULL;
                }
        }
        *ret_error = 0;
        return handle;
}
