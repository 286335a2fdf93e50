/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --ephemeral-dir: the machine's own directory for its overlays' upper layers, checked
 * able to hold one (whiteouts, trusted.* xattrs), and removed at the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "guest/root.h"
#include "host/ephemeral-dir.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"

/* Tries in DIR_FD/probe what the guest's overlays need of the file system: the kernel
 * taking it as an upper layer, then what it only warns about in its log, whiteouts for
 * what the guest deletes and trusted.* xattrs for the directories it replaces; without
 * them the tree's files would come back. *RET_WHAT says which step failed. */
static int probe_upper_layer(int dir_fd, const char **ret_what)
{
        _cleanup_close_ int probe = -EBADF, lower = -EBADF, upper = -EBADF, work = -EBADF, fs = -EBADF;

        *ret_what = "making directories";
        if (mkdirat(dir_fd, "probe", 0700) < 0)
                return negative_errno();
        probe = openat(dir_fd, "probe", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (probe < 0 || mkdirat(probe, "lower", 0755) < 0 || mkdirat(probe, "upper", 0755) < 0 ||
            mkdirat(probe, "work", 0700) < 0)
                return negative_errno();
        lower = openat(probe, "lower", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        upper = openat(probe, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        work = openat(probe, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (lower < 0 || upper < 0 || work < 0)
                return negative_errno();

        *ret_what = "the kernel refuses it as an overlay's upperdir";
        /* A superblock made and dropped: never attached anywhere. */
        fs = overlay_create(lower, upper, work);
        if (fs < 0)
                return fs;

        /* overlayfs(5): a whiteout is a 0/0 character device, an opaque directory has
         * the trusted.overlay.opaque xattr. */
        *ret_what = "no whiteouts (0/0 character devices)";
        if (mknodat(upper, "whiteout", S_IFCHR | 0600, makedev(0, 0)) < 0)
                return negative_errno();
        *ret_what = "no trusted.* extended attributes";
        if (fsetxattr(upper, "trusted.overlay.opaque", "y", 1, 0) < 0)
                return negative_errno();
        return 0;
}

int ephemeral_dir_make(const char *dir, const char *machine_name, void (*made)(const char *path, void *userdata),
                       void *userdata, char **ret_path)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *what;
        int r;

        if (asprintf(&path, "%s/machined-lite-%s.XXXXXX", dir, machine_name) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (!mkdtemp(path))
                return log_error_errno(
                        -errno,
                        "Cannot make a directory in --ephemeral-dir %s: %m (give a writable directory, e.g. /var/tmp)",
                        dir);
        if (made)
                made(path, userdata);
        fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 ? negative_errno() : probe_upper_layer(fd, &what);
        if (r < 0) {
                (void)ephemeral_dir_remove(path);
                return log_error_errno(r,
                                       "--ephemeral-dir %s is on a file system that cannot hold an overlay's upper layer "
                                       "(%s: %m): give a directory on ext4, xfs, btrfs or tmpfs, e.g. /var/tmp",
                                       dir, fd < 0 ? "opening it" : what);
        }
        {
                _cleanup_free_ char *probe = NULL;

                if (asprintf(&probe, "%s/probe", path) < 0)
                        r = -ENOMEM;
                else
                        r = ephemeral_dir_remove(probe);
        }
        if (r < 0) {
                (void)ephemeral_dir_remove(path);
                return log_error_errno(r, "Cannot clean up in %s after trying its file system: %m", path);
        }
        *ret_path = TAKE_PTR(path);
        return 0;
}

int ephemeral_dir_remove(const char *path)
{
        /* The guest is gone: nothing else changes the tree now. */
        return remove_tree_at(AT_FDCWD, path);
}
