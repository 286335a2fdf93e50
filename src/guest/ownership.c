/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --private-users-ownership=chown: the tree's owners, groups and ACL entries shifted on
 * disk to the guest's UID range, once. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "guest/ownership.h"
#include "host/userns.h"
#include "util/log.h"
#include "util/macro.h"

/* nftw() passes no user data: the shift in progress. */
static struct {
        uid_t from, to;
        int error;
} shift;

static uint32_t shifted(uint32_t id)
{
        if (id - shift.from < USERNS_RANGE_SIZE)
                return id - shift.from + shift.to;
        return id;
}

/* POSIX ACLs name users and groups by ID: the kernel's xattr form is a 4-byte version
 * then 8-byte entries (tag, permissions, ID), little-endian. Tags 2 (user) and 8 (group)
 * carry an ID. */
static int shift_acl(const char *path, const char *name)
{
        uint8_t buffer[4 + 8 * 512];
        ssize_t n = lgetxattr(path, name, buffer, sizeof(buffer));

        if (n < 0)
                return errno == ENODATA || errno == EOPNOTSUPP ? 0 : negative_errno();
        for (ssize_t at = 4; at + 8 <= n; at += 8) {
                uint16_t tag = (uint16_t)(buffer[at] | buffer[at + 1] << 8);
                uint32_t id;

                if (tag != 2 && tag != 8)
                        continue;
                memcpy(&id, buffer + at + 4, sizeof(id));
                id = shifted(id);
                memcpy(buffer + at + 4, &id, sizeof(id));
        }
        return lsetxattr(path, name, buffer, (size_t)n, 0) < 0 ? negative_errno() : 0;
}

static int shift_one(const char *path, const struct stat *st, int type _unused_, struct FTW *ftw _unused_)
{
        uint8_t caps[64];
        ssize_t caps_size = -1;
        bool link = S_ISLNK(st->st_mode);

        /* chown() takes file capabilities and the setuid/setgid bits away: put them back. */
        if (S_ISREG(st->st_mode))
                caps_size = lgetxattr(path, "security.capability", caps, sizeof(caps));
        if (lchown(path, shifted(st->st_uid), shifted(st->st_gid)) < 0)
                goto fail;
        if (!link && fchmodat(AT_FDCWD, path, st->st_mode & 07777, 0) < 0)
                goto fail;
        if (caps_size > 0 && lsetxattr(path, "security.capability", caps, (size_t)caps_size, 0) < 0)
                goto fail;
        if (!link) {
                int r = shift_acl(path, "system.posix_acl_access");

                if (r == 0 && S_ISDIR(st->st_mode))
                        r = shift_acl(path, "system.posix_acl_default");
                if (r < 0) {
                        errno = -r;
                        goto fail;
                }
        }
        return 0;
fail:
        shift.error = -errno;
        log_error_errno(shift.error, "Cannot shift the ownership of %s: %m", path);
        return 1;
}

int ownership_shift_tree(const char *root, uid_t base)
{
        struct stat st;

        if (lstat(root, &st) < 0)
                return negative_errno();
        /* The range the tree is in now starts at its root directory's owner: 0, or
         * the guest root of the last machine it was shifted for. */
        shift.from = st.st_uid;
        shift.to = base;
        shift.error = 0;
        if (shift.from == base)
                return 0;
        log_info("Shifting the owners of every file in %s from UID range %u to %u (--private-users-ownership=chown)",
                 root, shift.from, base);
        /* Physical walk, not crossing into other file systems mounted in the tree. */
        if (nftw(root, shift_one, 64, FTW_PHYS | FTW_MOUNT) < 0 && shift.error == 0)
                return negative_errno();
        return shift.error;
}
