/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a file system type is mounted, from /proc/self/mountinfo as libmount
 * (dlopen()ed) parses it. */
#include <dlfcn.h>
#include <errno.h>
#include <libmount.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/macro.h"
#include "util/mountinfo.h"

/* libmount is opened only for this lookup and closed right after: linked for good, it
 * and what it pulls in (libblkid, libselinux, libpcre2) would stay resident in the
 * supervisor for the machine's whole life, about 0.6 MiB of its memory. */
struct libmount_api {
        void *handle;
        struct libmnt_table *(*new_table)(void);
        void (*unref_table)(struct libmnt_table *);
        struct libmnt_iter *(*new_iter)(int);
        void (*free_iter)(struct libmnt_iter *);
        int (*parse_file)(struct libmnt_table *, const char *);
        int (*next_fs)(struct libmnt_table *, struct libmnt_iter *, struct libmnt_fs **);
        const char *(*get_target)(struct libmnt_fs *);
        const char *(*get_fstype)(struct libmnt_fs *);
};

static int libmount_open(struct libmount_api *api)
{
        api->handle = dlopen("libmount.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!api->handle)
                return -EOPNOTSUPP;
        *(void **)&api->new_table = dlsym(api->handle, "mnt_new_table");
        *(void **)&api->unref_table = dlsym(api->handle, "mnt_unref_table");
        *(void **)&api->new_iter = dlsym(api->handle, "mnt_new_iter");
        *(void **)&api->free_iter = dlsym(api->handle, "mnt_free_iter");
        *(void **)&api->parse_file = dlsym(api->handle, "mnt_table_parse_file");
        *(void **)&api->next_fs = dlsym(api->handle, "mnt_table_next_fs");
        *(void **)&api->get_target = dlsym(api->handle, "mnt_fs_get_target");
        *(void **)&api->get_fstype = dlsym(api->handle, "mnt_fs_get_fstype");
        if (!api->new_table || !api->unref_table || !api->new_iter || !api->free_iter || !api->parse_file ||
            !api->next_fs || !api->get_target || !api->get_fstype) {
                dlclose(api->handle);
                return -EOPNOTSUPP;
        }
        return 0;
}

static bool is_preferred(const char *target, const char *const *preferred, size_t *ret_rank)
{
        for (size_t i = 0; preferred && preferred[i]; i++)
                if (strcmp(target, preferred[i]) == 0) {
                        *ret_rank = i;
                        return true;
                }
        return false;
}

static int find_in_table(const struct libmount_api *api, struct libmnt_table *table, struct libmnt_iter *iter,
                         const char *fstype, const char *const *preferred, char **ret)
{
        const char *best = NULL;
        size_t best_rank = SIZE_MAX, rank;
        struct libmnt_fs *fs;
        int r;

        r = api->parse_file(table, "/proc/self/mountinfo");
        if (r < 0)
                return r;
        while (api->next_fs(table, iter, &fs) == 0) {
                const char *target = api->get_target(fs), *type = api->get_fstype(fs);

                if (!target || !type || strcmp(type, fstype) != 0)
                        continue;
                if (is_preferred(target, preferred, &rank)) {
                        if (rank < best_rank) {
                                best = target;
                                best_rank = rank;
                        }
                } else if (!best)
                        best = target;
        }
        if (!best)
                return -ENOMEDIUM;
        *ret = strdup(best);
        return *ret ? 0 : -ENOMEM;
}

int mountinfo_find(const char *fstype, const char *const *preferred, char **ret)
{
        struct libmount_api api;
        struct libmnt_table *table;
        struct libmnt_iter *iter;
        int r;

        r = libmount_open(&api);
        if (r < 0)
                return r;
        table = api.new_table();
        iter = api.new_iter(MNT_ITER_FORWARD);
        r = table && iter ? find_in_table(&api, table, iter, fstype, preferred, ret) : -ENOMEM;
        if (iter)
                api.free_iter(iter);
        if (table)
                api.unref_table(table);
        dlclose(api.handle);
        return r;
}
