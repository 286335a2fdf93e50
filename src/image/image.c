/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -i IMAGE for a boot: the image opened and locked, dissected, and its file systems
 * mounted through loop devices of their own under a directory of the supervisor's mount
 * namespace. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/dissect.h"
#include "image/image.h"
#include "image/loop.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

static bool fstype_is_read_only(const char *fstype)
{
        return strcmp(fstype, "squashfs") == 0 || strcmp(fstype, "erofs") == 0;
}

/* Opens the image for what the machine will do with it: writable unless --read-only, or
 * read-only (and the machine with it) when the file is not writable. */
static int open_image(struct machine *m)
{
        struct stat st;
        int fd = open(m->image, (machine_writes_tree(m) ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);

        if (fd < 0 && machine_writes_tree(m) && (errno == EACCES || errno == EROFS || errno == EPERM)) {
                fd = open(m->image, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd >= 0) {
                        log_info("Image %s is not writable: booting it read-only", m->image);
                        m->read_only = true;
                }
        }
        if (fd < 0) {
                if (errno == EISDIR)
                        return log_error_errno(
                                -EMEDIUMTYPE,
                                "Image %s is neither a regular file nor a block device (give a raw disk image with -i IMAGE, or a directory with -D DIR)",
                                m->image);
                if (errno == ENOENT)
                        return log_error_errno(-ENOENT,
                                               "Image %s does not exist (give an image file or block device with -i IMAGE)",
                                               m->image);
                return log_error_errno(-errno, "Cannot open image %s: %m", m->image);
        }
        if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
                close(fd);
                return log_error_errno(
                        -EMEDIUMTYPE,
                        "Image %s is neither a regular file nor a block device (give a raw disk image with -i IMAGE, or a directory with -D DIR)",
                        m->image);
        }
        /* A read-only block device opens for writing all the same. */
        if (S_ISBLK(st.st_mode) && machine_writes_tree(m)) {
                int ro = 0;

                if (ioctl(fd, BLKROGET, &ro) >= 0 && ro) {
                        log_info("Block device %s is read-only: booting it read-only", m->image);
                        m->read_only = true;
                }
        }
        return fd;
}

/* One image, one writer: the same lock as a tree's, on the image file. The loop devices
 * share our open file and with it the lock, which so lasts until the last mount of the
 * image is gone, a moment after the machine that held it: that moment is waited for. */
static int lock_image(const struct machine *m, int fd)
{
        if (m->tree_lock_off)
                return 0;
        for (int i = 0; i < 50; i++) {
                if (flock(fd, (machine_writes_tree(m) ? LOCK_EX : LOCK_SH) | LOCK_NB) >= 0)
                        return 0;
                if (errno != EWOULDBLOCK)
                        break;
                (void)usleep(10000);
        }
        if (errno == EWOULDBLOCK)
                return log_error_errno(
                        -EBUSY,
                        "Image %s is in use by another machine (several can share an image only all with --read-only)",
                        m->image);
        return log_error_errno(-errno, "Cannot lock image %s: %m", m->image);
}

/* Mounts partition P of the image open at FD on TARGET_FD, through a loop device of its
 * own. The loop device goes away when the mount does (autoclear). */
static int mount_partition(const struct machine *m, int fd, const struct image_partition *p, int target_fd)
{
        bool read_only = !machine_writes_tree(m) || p->read_only || fstype_is_read_only(p->fstype);
        char loop_path[LOOP_PATH_MAX], target[FD_PATH_MAX];
        _cleanup_close_ int loop = loop_attach(fd, p->offset, p->size, read_only, loop_path);

        if (loop < 0)
                return log_error_errno(loop, "Cannot attach a loop device for partition %d of %s: %m", p->number,
                                       m->image);
        /* nodev: a device node planted in the image opens nothing. */
        if (mount(loop_path, fd_path(target_fd, target), p->fstype, MS_NODEV | (read_only ? MS_RDONLY : 0), NULL) < 0)
                return log_error_errno(-errno, "Cannot mount partition %d of %s (%s) at %s: %m", p->number, m->image,
                                       p->fstype, p->mount_point);
        return 0;
}

static int mount_partitions(struct machine *m, int fd, const struct dissected_image *d)
{
        _cleanup_close_ int mount_point = -EBADF, root_fd = -EBADF;
        int r;

        /* Our own mount namespace: nothing of the image shows on the host, and it all
         * goes with the last process in it. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return log_error_errno(-errno, "Cannot make a mount namespace for image %s: %m", m->image);
        if ((mkdir(IMAGE_ROOT_DIR_PARENT, 0755) < 0 && errno != EEXIST) ||
            (mkdir(IMAGE_ROOT_DIR, 0755) < 0 && errno != EEXIST))
                return log_error_errno(-errno, "Cannot create %s: %m", IMAGE_ROOT_DIR);
        mount_point = open(IMAGE_ROOT_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (mount_point < 0)
                return log_error_errno(-errno, "Cannot open %s: %m", IMAGE_ROOT_DIR);
        r = mount_partition(m, fd, d->root, mount_point);
        if (r < 0)
                return r;
        root_fd = open(IMAGE_ROOT_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return log_error_errno(-errno, "Cannot open the root of image %s: %m", m->image);
        for (size_t i = 0; i < d->n_partitions; i++) {
                const struct image_partition *p = &d->partitions[i];
                _cleanup_close_ int target = -EBADF;

                if (!p->mount_point || p == d->root)
                        continue;
                /* Resolved inside the image: a symlink there cannot lead out of it. Made
                 * only in a root the machine writes (it is mounted read-only otherwise). */
                target = machine_writes_tree(m) ? mount_point_in_root(root_fd, p->mount_point, 0755)
                                                : open_in_root(root_fd, p->mount_point, O_PATH | O_DIRECTORY, 0);
                if (target < 0)
                        return log_error_errno(target,
                                               "Image %s has a %s partition, but no directory %s in its root file system: %m",
                                               m->image, p->mount_point + 1, p->mount_point);
                r = mount_partition(m, fd, p, target);
                if (r < 0)
                        return r;
                /* --ephemeral gives each of these an overlay of its own (guest/root.h). */
                r = strv_extend(&m->image_mounts, p->mount_point);
                if (r < 0)
                        return log_error_errno(r, "Out of memory");
        }
        return 0;
}

int image_mount(struct machine *m)
{
        struct dissected_image d = {};
        char error[256];
        int fd, r;

        fd = open_image(m);
        if (fd < 0)
                return fd;
        m->image_fd = fd;
        r = lock_image(m, fd);
        if (r < 0)
                return r;
        r = dissect_image(fd, &d, error, sizeof(error));
        if (r < 0)
                return log_error_errno(r, "Image %s: %s", m->image, error);
        if (!m->read_only && (d.root->read_only || fstype_is_read_only(d.root->fstype))) {
                log_info("The root file system of image %s is read-only: booting it read-only", m->image);
                m->read_only = true;
        }
        r = mount_partitions(m, fd, &d);
        dissected_image_done(&d);
        if (r < 0)
                return r;
        free(m->root);
        m->root = strdup(IMAGE_ROOT_DIR);
        return m->root ? 0 : -ENOMEM;
}
