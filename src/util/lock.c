/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machined-lite's locks: OFD locks on files in /run/machined-lite/locks (machine names,
 * UID ranges, trees), out of every guest's reach. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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

/* The guard of LOCK_DIR itself: shared by each lock_take() from its open to its lock,
 * exclusive while lock_release() removes a file nobody holds. So no taker ever locks a
 * file that is being removed (it would hold a lock on a name nobody else sees), and a
 * remover's own moment of holding a file never reads as "busy" to a taker. Waited for:
 * each holds it for a few system calls. */
static int guard_take(bool exclusive)
{
        struct flock lock = { .l_type = exclusive ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET };
        int fd = lock_open(LOCK_GUARD, O_RDWR | O_CREAT);

        if (fd < 0)
                return fd;
        while (fcntl(fd, F_OFD_SETLKW, &lock) < 0)
                if (errno != EINTR) {
                        int r = negative_errno();

                        close(fd);
                        return r;
                }
        return fd;
}

int lock_take(const char *name, off_t start, off_t length, bool exclusive)
{
        struct flock lock = {
                .l_type = exclusive ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = length
        };
        _cleanup_close_ int guard = guard_take(false);
        int fd;

        if (guard < 0)
                return guard;
        fd = lock_open(name, O_RDWR | O_CREAT);
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

void lock_release(int fd)
{
        struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        char link[64], path[PATH_MAX];
        _cleanup_close_ int guard = -EBADF, again = -EBADF;
        struct stat held, named;
        ssize_t n;

        if (fd < 0)
                return;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof(path) - 1);
        close(fd);
        if (n <= 0 || (size_t)n >= sizeof(path) - 1)
                return;
        path[n] = '\0';
        /* (An unlinked file reads "... (deleted)": no such name, nothing to do.) */
        if (strncmp(path, LOCK_DIR "/", strlen(LOCK_DIR "/")) != 0 || strchr(path + strlen(LOCK_DIR "/"), '/') ||
            strcmp(path + strlen(LOCK_DIR "/"), LOCK_GUARD) == 0)
                return;
        guard = guard_take(true);
        if (guard < 0)
                return;
        /* A new open file of its own: a lock held through any other (a child that
         * inherited ours, another machine's) conflicts with it. */
        again = open(path, O_RDWR | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (again < 0 || fcntl(again, F_OFD_SETLK, &lock) < 0)
                return;
        if (fstat(again, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino)
                (void)unlink(path);
}
