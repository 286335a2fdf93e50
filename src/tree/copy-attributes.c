/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The attributes a template copy keeps of each file (copy-attributes.h): owner, mode,
 * xattrs, times. Not the data nor the walk through the tree (copy.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tree/copy-attributes.h"
#include "util/macro.h"

/* "/proc/self/fd/N/NAME": the xattr calls have no *at() form in our libc. */
#define ENTRY_PATH_MAX (sizeof("/proc/self/fd/") + 12 + NAME_MAX + 1)

/* ERROR, with STEP to say what failed. */
static int step_failed(const char **ret_step, const char *step, int error)
{
        *ret_step = step;
        return error;
}

static const char *entry_path(const struct tree_entry *e, char buf[static ENTRY_PATH_MAX])
{
        snprintf(buf, ENTRY_PATH_MAX, "/proc/self/fd/%d/%s", e->dir_fd, e->name);
        return buf;
}

static ssize_t entry_listxattr(const struct tree_entry *e, char *list, size_t size)
{
        char path[ENTRY_PATH_MAX];

        return e->fd >= 0 ? flistxattr(e->fd, list, size) : llistxattr(entry_path(e, path), list, size);
}

static ssize_t entry_getxattr(const struct tree_entry *e, const char *name, void *value, size_t size)
{
        char path[ENTRY_PATH_MAX];

        return e->fd >= 0 ? fgetxattr(e->fd, name, value, size) : lgetxattr(entry_path(e, path), name, value, size);
}

static int entry_setxattr(const struct tree_entry *e, const char *name, const void *value, size_t size)
{
        char path[ENTRY_PATH_MAX];

        return e->fd >= 0 ? fsetxattr(e->fd, name, value, size, 0) : lsetxattr(entry_path(e, path), name, value, size, 0);
}

/* Every xattr: user.*, trusted.*, security.* (file capabilities among them) and the
 * POSIX ACLs, which the kernel shows as system.posix_acl_access and _default. */
static int copy_xattrs(const struct tree_entry *from, const struct tree_entry *to, const char **ret_step)
{
        char small[1024];
        _cleanup_free_ char *large = NULL;
        char *names = small;
        ssize_t n = entry_listxattr(from, small, sizeof(small));

        while (n < 0 && errno == ERANGE) {
                n = entry_listxattr(from, NULL, 0);
                if (n < 0)
                        break;
                free(large);
                large = malloc((size_t)n + 1);
                if (!large)
                        return step_failed(ret_step, "listing the xattrs of", -ENOMEM);
                names = large;
                n = entry_listxattr(from, large, (size_t)n);
        }
        if (n < 0)
                return errno == EOPNOTSUPP ? 0 : step_failed(ret_step, "listing the xattrs of", -errno);

        for (ssize_t at = 0; at < n; at += (ssize_t)strlen(names + at) + 1) {
                const char *name = names + at;
                _cleanup_free_ char *value = NULL;
                ssize_t size;

                do {
                        size = entry_getxattr(from, name, NULL, 0);
                        if (size < 0)
                                break;
                        free(value);
                        value = malloc((size_t)size + 1);
                        if (!value)
                                return step_failed(ret_step, "reading the xattrs of", -ENOMEM);
                        size = entry_getxattr(from, name, value, (size_t)size);
                } while (size < 0 && errno == ERANGE);
                if (size < 0) {
                        /* Gone since it was listed. */
                        if (errno == ENODATA)
                                continue;
                        return step_failed(ret_step, "reading the xattrs of", -errno);
                }
                if (entry_setxattr(to, name, value, (size_t)size) < 0)
                        return step_failed(ret_step, "setting the xattrs of", -errno);
        }
        return 0;
}

/* Owner, then mode (chown takes setuid and setgid away), then xattrs (chown takes
 * security.capability away too, and an ACL must come after the mode it refines). */
int entry_copy_attributes(const struct tree_entry *from, const struct tree_entry *to, const struct stat *st,
                          const char **ret_step)
{
        int r;

        r = to->fd >= 0 ? fchown(to->fd, st->st_uid, st->st_gid)
                        : fchownat(to->dir_fd, to->name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return step_failed(ret_step, "changing the owner of", -errno);
        if (!S_ISLNK(st->st_mode)) {
                r = to->fd >= 0 ? fchmod(to->fd, st->st_mode & 07777)
                                : fchmodat(to->dir_fd, to->name, st->st_mode & 07777, 0);
                if (r < 0)
                        return step_failed(ret_step, "changing the mode of", -errno);
        }
        return copy_xattrs(from, to, ret_step);
}

int entry_copy_times(const struct tree_entry *to, const struct stat *st)
{
        const struct timespec times[2] = { st->st_atim, st->st_mtim };
        int r = to->fd >= 0 ? futimens(to->fd, times) : utimensat(to->dir_fd, to->name, times, AT_SYMLINK_NOFOLLOW);

        return r < 0 ? -errno : 0;
}
