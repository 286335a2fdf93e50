/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dlopen() of a library's symbols for as long as they are needed, so that it does not
 * stay resident in the supervisor. */
#include <dlfcn.h>
#include <errno.h>

#include "util/dl.h"
#include "util/log.h"

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

int dl_library_load(struct dl_library *library)
{
        int r;

        if (library->users == 0) {
                library->handle = dl_open(library->soname, library->symbols, library->n_symbols, &r);
                if (!library->handle)
                        return log_error_errno(r, "Cannot load %s, which %s needs: %m (install Debian's %s)",
                                               library->soname, library->purpose, library->package);
        }
        library->users++;
        return 0;
}

void dl_library_unload(struct dl_library *library)
{
        if (library->users == 0 || --library->users > 0)
                return;
        dlclose(library->handle);
        library->handle = NULL;
}
