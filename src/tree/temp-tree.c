/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The temporary trees new trees are built in (.#NAME.XXXXXX next to the target), locked
 * while they are built, and the sweep of those whose builder died. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree/temp-tree.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"

/* mkdtemp()'s six characters. */
#define TEMP_SUFFIX_LENGTH 6

int temp_trees_hold(int parent_fd)
{
        /* An open file description of our own: a flock is one's per description, so that
         * the caller's other fds on the directory take no part in it. */
        int fd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        int r = negative_errno();

                        close(fd);
                        return r;
                }
        return fd;
}

int temp_tree_lock(int fd)
{
        if (flock(fd, LOCK_EX | LOCK_NB) >= 0)
                return 0;
        return errno == EWOULDBLOCK ? -EBUSY : negative_errno();
}

int temp_tree_make(int parent_fd, const char *parent, const char *name, char **ret_path, int *ret_fd)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int hold = -EBADF, fd = -EBADF;
        int r;

        if (asprintf(&path, "%s/.#%s.XXXXXX", parent, name) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        /* A sweep holds this while it picks what to remove: it cannot come between
         * mkdtemp() and our lock, and take the new directory for a dead maker's. */
        hold = temp_trees_hold(parent_fd);
        if (hold < 0)
                return hold;
        if (!mkdtemp(path))
                return negative_errno();
        fd = openat(parent_fd, strrchr(path, '/') + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 ? negative_errno() : temp_tree_lock(fd);
        if (r < 0) {
                (void)rmdir(path);
                return r;
        }
        *ret_path = TAKE_PTR(path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* ".#NAME.XXXXXX": what temp_tree_make() names. Not the overlay work directories
 * (.#machined-lite-work.<16 hex digits>, custom-mount.c), which may be in DIR too and in
 * use by a mounted overlay, nor a bootstrap's .log. */
static bool is_temp_tree_name(const char *name)
{
        const char *dot = strrchr(name, '.');

        if (strncmp(name, ".#", 2) != 0 || !dot || dot - name < 3 || strlen(dot + 1) != TEMP_SUFFIX_LENGTH)
                return false;
        for (const char *c = dot + 1; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
                        return false;
        return true;
}

/* A temporary tree in DIR_FD whose maker is gone: an fd on it, holding its lock now, or
 * -EBUSY (being built), or another -errno (not one to touch). */
static int claim_abandoned(int dir_fd, const char *name, uint64_t dir_mount)
{
        _cleanup_close_ int fd = -EBADF;
        uint64_t mount_id;
        int r;

        /* A directory, not a symlink to one, and no mount point: whoever planted a mount
         * there keeps its files. */
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = mount_id_of(fd, &mount_id);
        if (r < 0)
                return r;
        if (mount_id != dir_mount)
                return -EXDEV;
        r = temp_tree_lock(fd);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

/* What claim_abandoned() found, to be removed once the directory is let go. */
struct abandoned {
        char *name;
        int fd;
};

static void remove_abandoned(int dir_fd, const char *dir, struct abandoned *a)
{
        _cleanup_free_ char *log = NULL;
        struct stat locked, now;
        int r;

        /* Still the directory we hold the lock of: makers never rename into a
         * temporary name, but we do not remove what we have not claimed. */
        if (fstat(a->fd, &locked) < 0 || fstatat(dir_fd, a->name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
            locked.st_dev != now.st_dev || locked.st_ino != now.st_ino)
                return;
        r = remove_tree_at(dir_fd, a->name);
        if (r < 0)
                log_error_errno(r,
                                "Cannot remove %s/%s, a partial tree left by an interrupted import, bootstrap or copy: %m",
                                dir, a->name);
        if (asprintf(&log, "%s.log", a->name) >= 0 && fstatat(dir_fd, log, &now, AT_SYMLINK_NOFOLLOW) >= 0 &&
            S_ISREG(now.st_mode))
                (void)unlinkat(dir_fd, log, 0);
}

/* Whether NAME, a temporary tree's, is one of ONLY_NAME's (or ONLY_NAME is NULL). */
static bool is_named(const char *name, const char *only_name)
{
        size_t n;

        if (!only_name)
                return true;
        n = strlen(only_name);
        return strncmp(name + 2, only_name, n) == 0 && name[2 + n] == '.' &&
               strlen(name + 2 + n + 1) == TEMP_SUFFIX_LENGTH;
}

void temp_trees_sweep(const char *dir, const char *only_name)
{
        _cleanup_close_ int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int hold = -EBADF;
        struct abandoned *found = NULL;
        size_t n_found = 0;
        uint64_t dir_mount;
        struct dirent *de;
        DIR *d;

        if (dir_fd < 0 || mount_id_of(dir_fd, &dir_mount) < 0)
                return;
        /* Held while the trees are picked, not while they are removed: a maker waits
         * for a moment, not for the removal of gigabytes. */
        hold = temp_trees_hold(dir_fd);
        if (hold < 0)
                return;
        d = opendir(dir);
        while (d && (de = readdir(d))) {
                struct abandoned *grown;
                int fd;

                if (!is_temp_tree_name(de->d_name) || !is_named(de->d_name, only_name))
                        continue;
                fd = claim_abandoned(dir_fd, de->d_name, dir_mount);
                if (fd < 0)
                        continue;
                grown = realloc(found, (n_found + 1) * sizeof(*found));
                if (!grown) {
                        close(fd);
                        break;
                }
                found = grown;
                found[n_found] = (struct abandoned){ .name = strdup(de->d_name), .fd = fd };
                if (!found[n_found].name) {
                        close(fd);
                        break;
                }
                n_found++;
        }
        if (d)
                closedir(d);
        closep(&hold);

        for (size_t i = 0; i < n_found; i++) {
                remove_abandoned(dir_fd, dir, &found[i]);
                free(found[i].name);
                close(found[i].fd);
        }
        free(found);
        if (n_found > 0)
                log_info("Removed %zu partial tree%s left in %s by an interrupted import, bootstrap or copy", n_found,
                         n_found == 1 ? "" : "s", dir);
}
