/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machined-lite's locks: OFD locks on files in /run/machined-lite/locks (machine names,
 * UID ranges, trees), out of every guest's reach. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/lock.h"
#include "util/macro.h"

static int lock_open(const char *name, int flags)
{
        char path[PATH_MAX];
        int fd;

        if ((flags & O_CREAT) && ((mkdir("/run/machined-lite", 0755) < 0 && errno != EEXIST) ||
                                  (mkdir(LOCK_DIR, 0700) < 0 && errno != EEXIST)))
                return negative_errno();
        if ((size_t)snprintf(path, sizeof(path), LOCK_DIR "/%s", name) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
        return fd < 0 ? negative_errno() : fd;
}

int lock_take(const char *name, off_t start, off_t length, bool exclusive)
{
        struct flock lock = {
                .l_type = exclusive ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = length
        };
        int fd = lock_open(name, O_RDWR | O_CREAT);

        if (fd < 0)
                return fd;
        if (fcntl(fd, F_OFD_SETLK, &lock) < 0) {
                int r = negative_errno();

                close(fd);
                return r == -EAGAIN || r == -EACCES ? -EBUSY : r;
        }
        return fd;
}

int lock_tree(int dir_fd, bool exclusive)
{
        char name[LOCK_NAME_MAX];
        struct stat st;

        if (fstat(dir_fd, &st) < 0)
                return negative_errno();
        snprintf(name, sizeof(name), "tree.%llx.%llx", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
        return lock_take(name, 0, 0, exclusive);
}

int lock_held(const char *name, off_t start, off_t length)
{
        struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = length };
        _cleanup_close_ int fd = lock_open(name, O_RDONLY);

        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return fd;
        /* A write lock asked for conflicts with every lock held: F_UNLCK back means none. */
        if (fcntl(fd, F_OFD_GETLK, &lock) < 0)
                return negative_errno();
        return lock.l_type != F_UNLCK;
}
