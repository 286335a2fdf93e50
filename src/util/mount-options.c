/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A mount option string (--tmpfs=PATH:OPTIONS) split as mount(8) splits it: the flags
 * mount(2) takes (ro, nosuid, noexec, relatime...) apart from the file system's own data
 * (size=, mode=...), by libmount (dlopen()ed for the moment it takes). */
#include <dlfcn.h>
#include <errno.h>
#include <libmount.h>
#include <stdlib.h>
#include <string.h>

#include "util/dl.h"
#include "util/macro.h"
#include "util/mount-options.h"
#include "util/strv.h"

int mount_options_split(const char *options, unsigned long *flags, char **ret_data)
{
        int (*split)(const char *, char **, char **, char **, int, int) = NULL;
        int (*get_flags)(const char *, unsigned long *, const struct libmnt_optmap *) = NULL;
        const struct libmnt_optmap *(*builtin_map)(int) = NULL;
        const struct dl_symbol symbols[] = {
                { "mnt_split_optstr", (void **)&split },
                { "mnt_optstr_get_flags", (void **)&get_flags },
                { "mnt_get_builtin_optmap", (void **)&builtin_map },
        };
        char *user = NULL, *vfs = NULL, *fs = NULL;
        unsigned long f = *flags;
        void *handle;
        int r;

        handle = dl_open("libmount.so.1", symbols, ELEMENTSOF(symbols), &r);
        if (!handle)
                return r;
        r = split(options, &user, &vfs, &fs, 0, 0);
        if (r == 0 && vfs)
                r = get_flags(vfs, &f, builtin_map(MNT_LINUX_MAP));
        /* User options (user, noauto, x-*) mean nothing to mount(2): they go with the data,
         * and the file system says what it makes of them. */
        if (r == 0 && user) {
                size_t n = (fs ? strlen(fs) + 1 : 0) + strlen(user) + 1;
                char *joined = malloc(n);

                if (!joined)
                        r = -ENOMEM;
                else {
                        strcpy(joined, fs ? fs : "");
                        if (fs && fs[0])
                                strcat(joined, ",");
                        strcat(joined, user);
                        free(fs);
                        fs = joined;
                }
        }
        free(user);
        free(vfs);
        dlclose(handle);
        if (r != 0) {
                free(fs);
                return r < 0 ? r : -EINVAL;
        }
        *flags = f;
        *ret_data = fs;
        return 0;
}

int mount_options_known(char ***ret)
{
        const struct libmnt_optmap *(*builtin_map)(int) = NULL;
        const struct dl_symbol symbols[] = { { "mnt_get_builtin_optmap", (void **)&builtin_map } };
        const struct libmnt_optmap *map;
        char **names = NULL;
        void *handle;
        int r;

        handle = dl_open("libmount.so.1", symbols, ELEMENTSOF(symbols), &r);
        if (!handle)
                return r;
        map = builtin_map(MNT_LINUX_MAP);
        for (; map && map->name && r >= 0; map++)
                /* Plain names only: not "name=" forms nor the (no)user ones. */
                if (!strpbrk(map->name, "=%[") && !(map->mask & (MNT_NOMTAB | MNT_NOHLPS)))
                        r = strv_extend(&names, map->name);
        dlclose(handle);
        if (r < 0) {
                strv_free(names);
                return r;
        }
        *ret = names;
        return 0;
}
