/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's root: the tree bound onto itself (or its idmapped copy), the overlay of
 * --ephemeral and --volatile=overlay, the tmpfs of --volatile=yes and =state, a
 * --read-only root. Not the file systems mounted in it (api-fs.c, custom-mounts.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/root.h"
#include "util/macro.h"
#include "util/path.h"

int mount_cut_propagation(void)
{
        /* Slave, as systemd-nspawn does: the host's later mounts may still reach us, but
         * nothing we or the guest mount ever goes back. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return negative_errno();
        return 0;
}

/* nodev on every mount of the guest's tree, be it the tree, an image's partition, an
 * overlay or a bind: a block device node planted in it (a tarball can carry one) would
 * otherwise let the guest mount the host's disk by its device number. The device policy
 * (host/device-policy.c) stops opening such a node, but not mount(2): for a file system mounted
 * already, the kernel reuses its superblock and opens no device. Only /dev, made by us,
 * holds device nodes the guest can open. */
int mount_attach(int mnt, int target, uint64_t attributes)
{
        int r = attributes ? mount_set_attributes(mnt, attributes, 0) : 0;

        if (r < 0)
                return r;
        if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
        return 0;
}

int mount_set_attributes(int fd, uint64_t attributes, unsigned flags)
{
        return mount_change_attributes(fd, attributes, 0, 0, flags);
}

int mount_change_attributes(int fd, uint64_t set, uint64_t clear, uint64_t propagation, unsigned flags)
{
        struct mount_attr attr = { .attr_set = set, .attr_clr = clear, .propagation = propagation };

        if (mount_setattr(fd, "", AT_EMPTY_PATH | flags, &attr, sizeof(attr)) < 0)
                return negative_errno();
        return 0;
}

int mount_root(int tree_fd, int root_mount, int *ret_root_fd)
{
        int tree = root_mount, r;

        /* A copy of the tree's mounts (or the idmapped one the parent made), attached
         * on top of the tree itself: its fd is then the guest's root. */
        if (tree < 0) {
                tree = open_tree(tree_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
                if (tree < 0)
                        return negative_errno();
        }
        r = mount_set_attributes(tree, MOUNT_ATTR_NODEV, AT_RECURSIVE);
        if (r >= 0 && move_mount(tree, "", tree_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                r = negative_errno();
        if (r < 0) {
                close(tree);
                return r;
        }
        *ret_root_fd = tree;
        return 0;
}

int mount_root_read_only(int root_fd)
{
        return mount_set_attributes(root_fd, MOUNT_ATTR_RDONLY, AT_RECURSIVE);
}

int mount_fs_in_root(int root_fd, const char *path, const char *type, unsigned long flags, const char *options)
{
        return mount_source_in_root(root_fd, path, type, type, flags, options);
}

int mount_source_in_root(int root_fd, const char *path, const char *source, const char *type, unsigned long flags,
                         const char *options)
{
        _cleanup_close_ int target = -EBADF;
        char target_path[FD_PATH_MAX];

        target = mount_point_in_root(root_fd, path, 0755);
        if (target < 0)
                return target;
        if (mount(source, fd_path(target, target_path), type, flags, options) < 0)
                return negative_errno();
        return 0;
}

int tmpfs_detached(const char *options)
{
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        _cleanup_free_ char *copy = options ? strdup(options) : NULL;
        char *save = NULL;

        if (fs < 0)
                return negative_errno();
        for (char *o = copy ? strtok_r(copy, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
                char *value = strchr(o, '=');

                if (value)
                        *value++ = '\0';
                if (fsconfig(fs, value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, value, 0) < 0)
                        return negative_errno();
        }
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return negative_errno();
        {
                int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);

                return mnt < 0 ? negative_errno() : mnt;
        }
}

/* Puts the mount MNT on top of the mount whose root is *ROOT_FD; MNT becomes the root. */
static int stack_on_root(int *root_fd, int mnt)
{
        if (move_mount(mnt, "", *root_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
        close(*root_fd);
        *root_fd = mnt;
        return 0;
}

int overlay_create(int lower_fd, int upper_fd, int work_fd)
{
        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        char lower_path[FD_PATH_MAX], upper_path[FD_PATH_MAX], work_path[FD_PATH_MAX];

        if (fs < 0)
                return negative_errno();
        if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", fd_path(lower_fd, lower_path), 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", fd_path(upper_fd, upper_path), 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "workdir", fd_path(work_fd, work_path), 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return negative_errno();
        return TAKE_FD(fs);
}

/* A detached overlay over the directory LOWER_FD, its upper and work directories made in
 * LAYERS_FD/NAME/. The upper layer's root takes the lower's owner and mode, as the guest
 * knew them. Returns the overlay's mount fd. */
static int overlay_detached(int lower_fd, int layers_fd, const char *name)
{
        _cleanup_close_ int dir = -EBADF, upper = -EBADF, work = -EBADF, fs = -EBADF;
        struct stat st;
        int mnt;

        if (fstat(lower_fd, &st) < 0 || mkdirat(layers_fd, name, 0700) < 0)
                return negative_errno();
        dir = openat(layers_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir < 0 || mkdirat(dir, "upper", st.st_mode & 07777) < 0 || mkdirat(dir, "work", 0700) < 0)
                return negative_errno();
        upper = openat(dir, "upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        work = openat(dir, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (upper < 0 || work < 0)
                return negative_errno();
        if (fchownat(upper, "", st.st_uid, st.st_gid, AT_EMPTY_PATH) < 0)
                return negative_errno();
        fs = overlay_create(lower_fd, upper, work);
        if (fs < 0)
                return fs;
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
        return mnt < 0 ? negative_errno() : mnt;
}

/* An overlay of the file system mounted at PATH in the tree OLD_ROOT_FD (the tree as it
 * was before the root overlay covered it), attached at PATH in the new root ROOT_FD. */
static int overlay_submount(int old_root_fd, int root_fd, int layers_fd, const char *path)
{
        _cleanup_close_ int lower = -EBADF, mnt = -EBADF, target = -EBADF;
        char name[NAME_MAX + 1];
        size_t n = 0;

        /* "/var/tmp" gets var-tmp/upper and var-tmp/work. */
        for (const char *p = path + strspn(path, "/"); *p && n < sizeof(name) - 1; p++)
                name[n++] = *p == '/' ? '-' : *p;
        name[n] = '\0';
        if (n == 0)
                return -EINVAL;
        lower = open_in_root(old_root_fd, path, O_PATH | O_DIRECTORY, 0);
        if (lower < 0)
                return lower;
        mnt = overlay_detached(lower, layers_fd, name);
        if (mnt < 0)
                return mnt;
        target = open_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0);
        if (target < 0)
                return target;
        if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
        return 0;
}

int mount_overlay_root(int *root_fd, int layers_dir_fd, char *const *submounts)
{
        _cleanup_close_ int tmp = -EBADF, old_root = -EBADF, mnt = -EBADF;
        int layers = layers_dir_fd, r;

        if (layers < 0) {
                layers = tmp = tmpfs_detached("mode=0755");
                if (tmp < 0)
                        return tmp;
        }
        mnt = overlay_detached(*root_fd, layers, "root");
        if (mnt < 0)
                return mnt;
        /* The tree stays reachable under the overlay: its file systems mounted below the
         * root are the lower layers of theirs. */
        old_root = fcntl(*root_fd, F_DUPFD_CLOEXEC, 3);
        if (old_root < 0)
                return negative_errno();
        r = stack_on_root(root_fd, mnt);
        if (r < 0)
                return r;
        mnt = -EBADF;
        /* overlayfs(5) does not cross mount points: each of the tree's file systems
         * under / (an image's /usr, /home, ...) gets an overlay of its own. */
        for (size_t i = 0; submounts && submounts[i]; i++) {
                r = overlay_submount(old_root, *root_fd, layers, submounts[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int mount_volatile_state(int root_fd)
{
        int r = mount_set_attributes(root_fd, MOUNT_ATTR_RDONLY, AT_RECURSIVE);

        return r < 0 ? r : mount_fs_in_root(root_fd, "/var", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=0755");
}

/* What a root of /usr alone needs to boot, as systemd-nspawn's --volatile=yes makes it:
 * the merged-/usr links (to what the tree's /usr has) and the top directories a guest
 * writes, empty. The kernel's file systems get their directories when they are mounted. */
static int make_base_filesystem(int dir_fd, int usr_fd)
{
        static const char *const links[] = { "bin", "sbin", "lib", "lib64", "lib32", "libx32" };
        static const struct {
                const char *name;
                mode_t mode;
        } dirs[] = { { "etc", 0755 },  { "var", 0755 },  { "tmp", 01777 },
                     { "root", 0700 }, { "home", 0755 }, { "srv", 0755 } };
        struct stat st;
        char target[16];

        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                if (fstatat(usr_fd, links[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !(S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
                        continue;
                snprintf(target, sizeof(target), "usr/%s", links[i]);
                if (symlinkat(target, dir_fd, links[i]) < 0)
                        return negative_errno();
        }
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdirat(dir_fd, dirs[i].name, dirs[i].mode) < 0 || fchmodat(dir_fd, dirs[i].name, dirs[i].mode, 0) < 0)
                        return negative_errno();
        return 0;
}

int mount_volatile_yes(int *root_fd)
{
        _cleanup_close_ int tmp = tmpfs_detached("mode=0755"), usr = -EBADF, target = -EBADF;
        int r;

        if (tmp < 0)
                return tmp;
        usr = open_in_root(*root_fd, "/usr", O_PATH | O_DIRECTORY, 0);
        if (usr < 0)
                return usr;
        {
                _cleanup_close_ int tree = open_tree(usr, "",
                                                     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);

                if (tree < 0)
                        return negative_errno();
                r = mount_set_attributes(tree, MOUNT_ATTR_RDONLY, AT_RECURSIVE);
                if (r < 0)
                        return r;
                if (mkdirat(tmp, "usr", 0755) < 0)
                        return negative_errno();
                target = openat(tmp, "usr", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (target < 0)
                        return negative_errno();
                if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return negative_errno();
        }
        r = make_base_filesystem(tmp, usr);
        if (r < 0)
                return r;
        r = stack_on_root(root_fd, tmp);
        if (r < 0)
                return r;
        tmp = -EBADF;
        return 0;
}
