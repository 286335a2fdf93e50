/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line's mounts in the guest's tree: --bind, --bind-ro, --tmpfs, --overlay,
 * --overlay-ro. Not their parsing nor the work directories made on the host
 * (config/custom-mount.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "guest/custom-mounts.h"
#include "guest/root.h"
#include "host/userns.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* A bind's source, O_PATH: a +PATH resolved inside the guest's root ROOT_FD as it is
 * stacked (under --ephemeral its throwaway layer: the tree on disk is not written), never
 * through a link out of it; else the host's path. */
static int open_bind_source(int root_fd, const struct custom_mount *c)
{
        int fd;

        if (c->source[0] == '+')
                return open_in_root(root_fd, c->source + 1, O_PATH, 0);
        fd = open(c->source, O_PATH | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

int mount_custom_target(int root_fd, const struct custom_mount *c)
{
        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int parent_fd = -EBADF, source = -EBADF;
        struct stat st;
        char *slash;
        int fd;

        /* Resolved inside the tree and made like the source: a directory, or an empty file
         * for a bind of anything else. */
        if (c->type == CUSTOM_BIND)
                source = open_bind_source(root_fd, c);
        if (source < 0 || fstat(source, &st) < 0 || S_ISDIR(st.st_mode))
                return mount_point_in_root(root_fd, c->destination, 0755);
        parent = strdup(c->destination);
        slash = parent ? strrchr(parent, '/') : NULL;
        if (!slash)
                return -ENOMEM;
        *slash = '\0';
        parent_fd = mkdir_p_in_root(root_fd, parent[0] ? parent : "/", 0755);
        if (parent_fd < 0)
                return parent_fd;
        fd = openat(parent_fd, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
                fd = openat(parent_fd, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd < 0)
                        return negative_errno();
                close(fd);
                fd = openat(parent_fd, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        return fd < 0 ? negative_errno() : fd;
}

/* The user namespace a bind's IDs map through (bind_idmap), or -EBADF for none: the host's
 * UID p that owns SOURCE (or all of the guest's range, for idmap) becomes the guest's
 * root, or the owner of TARGET in the guest, through the guest's range. */
static int bind_userns(const struct custom_mount *c, int source, int target, const struct guest_ids *ids)
{
        char path[64];
        struct stat st, target_st;

        if (c->idmap == BIND_NOIDMAP || (c->idmap == BIND_IDMAP && !ids->userns))
                return -EBADF; /* idmap without a user namespace: the IDs are the host's anyway */
        if (c->idmap == BIND_IDMAP) {
                int fd;

                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)ids->guest_pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                return fd < 0 ? negative_errno() : fd;
        }
        if (fstat(source, &st) < 0)
                return negative_errno();
        if (c->idmap == BIND_ROOTIDMAP)
                return userns_with_map(st.st_uid, ids->base, 1);
        /* owneridmap: the destination's owner as the host sees it (through the root's
         * idmapped mount, if any), which the guest sees as its own UID of it. */
        if (fstat(target, &target_st) < 0)
                return negative_errno();
        return userns_with_map(st.st_uid, target_st.st_uid, 1);
}

static int mount_bind(int root_fd, const struct custom_mount *c, const struct guest_ids *ids)
{
        _cleanup_close_ int source = open_bind_source(root_fd, c), tree = -EBADF, target = -EBADF, userns = -EBADF;
        int r;

        if (source < 0)
                return source;
        target = mount_custom_target(root_fd, c);
        if (target < 0)
                return target;
        tree = open_tree(source, "",
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (c->recursive ? AT_RECURSIVE : 0));
        if (tree < 0)
                return negative_errno();
        userns = bind_userns(c, source, target, ids);
        if (userns < 0 && userns != -EBADF)
                return userns;
        if (userns >= 0) {
                r = userns_idmap_mount(tree, userns, c->recursive);
                if (r < 0)
                        return r;
        }
        /* The options of every mount of it, then of the top one (OCI's bind options). */
        r = mount_set_attributes(tree, MOUNT_ATTR_NODEV | (c->read_only ? MOUNT_ATTR_RDONLY : 0), AT_RECURSIVE);
        if (r >= 0 && (c->recursive_attr_set || c->recursive_attr_clear))
                r = mount_change_attributes(tree, c->recursive_attr_set, c->recursive_attr_clear, 0, AT_RECURSIVE);
        if (r >= 0 && (c->attr_set || c->attr_clear))
                r = mount_change_attributes(tree, c->attr_set, c->attr_clear, 0, 0);
        if (r < 0)
                return r;
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
        /* Its propagation once attached, where it has its peers. */
        if (c->propagation)
                return mount_change_attributes(tree, 0, 0, c->propagation, c->propagation_recursive ? AT_RECURSIVE : 0);
        return 0;
}

/* fsconfig() copies at most 255 bytes of a string: the lower layers go in one "lowerdir"
 * when they fit (every kernel), else one "lowerdir+" each (Linux 6.8 and later).
 * overlayfs wants the uppermost first; LOWER has the lowest first. */
static int overlay_set_lower(int fs, const int *lower, size_t n)
{
        char list[256], path[FD_PATH_MAX];
        size_t length = 0;
        bool fits = true;

        list[0] = '\0';
        for (size_t i = n; i-- > 0 && fits;) {
                int k = snprintf(list + length, sizeof(list) - length, "%s%s", length ? ":" : "",
                                 fd_path(lower[i], path));

                fits = k >= 0 && (size_t)k < sizeof(list) - length;
                length += fits ? (size_t)k : 0;
        }
        if (fits)
                return fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", list, 0) < 0 ? negative_errno() : 0;
        for (size_t i = n; i-- > 0;)
                if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", fd_path(lower[i], path), 0) < 0)
                        return negative_errno();
        return 0;
}

/* The overlay of the open layers LOWER (and C's upper layer, with the work directory
 * next to it), attached at C's destination. */
static int overlay_attach(int root_fd, int tree_fd, const struct custom_mount *c, const int *lower, size_t n)
{
        _cleanup_close_ int fs = -EBADF, upper = -EBADF, parent = -EBADF, work = -EBADF, mnt = -EBADF, target = -EBADF;
        char path[FD_PATH_MAX];
        struct stat st, root;
        int r;

        fs = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return negative_errno();
        r = overlay_set_lower(fs, lower, n);
        if (r < 0)
                return r;
        if (!c->read_only) {
                upper = custom_mount_open_layer(tree_fd, c->source);
                if (upper < 0)
                        return upper;
                /* ".." of the tree's root is outside the tree. */
                if (fstat(upper, &st) < 0 || fstat(tree_fd, &root) < 0)
                        return negative_errno();
                if (c->source[0] == '+' && st.st_dev == root.st_dev && st.st_ino == root.st_ino)
                        return -ELOOP;
                /* The work directory that custom_mounts_prepare() made next to it. */
                parent = openat(upper, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (parent < 0)
                        return negative_errno();
                work = openat(parent, c->work_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (work < 0)
                        return negative_errno();
                if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", fd_path(upper, path), 0) < 0 ||
                    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", fd_path(work, path), 0) < 0)
                        return negative_errno();
        }
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return negative_errno();
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
        if (mnt < 0)
                return negative_errno();
        target = mount_custom_target(root_fd, c);
        if (target < 0)
                return target;
        if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
        return 0;
}

/* --inaccessible: a directory gets an empty read-only tmpfs of mode 000 over it; anything
 * else an empty file of mode 000 from such a tmpfs, bound read-only (the kernel binds a
 * file over any node but a directory). The tmpfs is never attached anywhere else. */
static int mount_inaccessible(int root_fd, const struct custom_mount *c)
{
        _cleanup_close_ int target = open_in_root(root_fd, c->destination, O_PATH | O_NOFOLLOW, 0), mnt = -EBADF,
                            file = -EBADF, tree = -EBADF;
        struct stat st;

        if (target < 0)
                return target;
        if (fstat(target, &st) < 0)
                return negative_errno();
        mnt = tmpfs_detached("mode=000");
        if (mnt < 0)
                return mnt;
        if (!S_ISDIR(st.st_mode)) {
                file = openat(mnt, "inaccessible", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0000);
                if (file < 0)
                        return negative_errno();
                tree = open_tree(mnt, "inaccessible", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (tree < 0)
                        return negative_errno();
        } else
                tree = TAKE_FD(mnt);
        return mount_attach(tree, target, MOUNT_ATTR_RDONLY);
}

static int mount_overlay_custom(int root_fd, int tree_fd, const struct custom_mount *c)
{
        size_t n = strv_length(c->lower);
        int *lower = calloc(n, sizeof(*lower)), r = 0;

        if (!lower)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                lower[i] = -EBADF;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = lower[i] = custom_mount_open_layer(tree_fd, c->lower[i]);
        if (r >= 0)
                r = overlay_attach(root_fd, tree_fd, c, lower, n);
        for (size_t i = 0; i < n; i++)
                if (lower[i] >= 0)
                        close(lower[i]);
        free(lower);
        return r;
}

/* Copies the data of the regular file IN (of SIZE bytes) into OUT, holes kept holes: a
 * sparse file of the tree costs the tmpfs what it costs the tree. sendfile():
 * copy_file_range() refuses a copy across file systems. */
static int copy_data(int in, int out, off_t size)
{
        off_t data = 0;

        for (;;) {
                off_t hole;

                data = lseek(in, data, SEEK_DATA);
                if (data < 0)
                        break; /* ENXIO: no data after it */
                hole = lseek(in, data, SEEK_HOLE);
                if (hole < 0 || lseek(out, data, SEEK_SET) < 0)
                        return negative_errno();
                while (data < hole) {
                        ssize_t n = sendfile(out, in, &data, (size_t)MIN(hole - data, (off_t)1 << 30));

                        if (n < 0)
                                return negative_errno();
                        if (n == 0)
                                break;
                }
                if (data < hole)
                        break;
        }
        if (data < 0 && errno != ENXIO)
                return negative_errno();
        return ftruncate(out, size) < 0 ? negative_errno() : 0;
}

/* Copies what directory FROM holds into directory TO (a new tmpfs), as it is: regular
 * files, directories, symlinks, FIFOs, their modes, owners and times (no device nodes,
 * no hard links kept), never following a link. DEPTH bounds the recursion. */
static int copy_directory(int from, int to, dev_t device, unsigned depth)
{
        _cleanup_close_ int dir_fd = -EBADF;
        struct dirent *de;
        DIR *dir;
        int r = 0;

        if (depth > 64)
                return -ELOOP;
        dir_fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 || !(dir = fdopendir(dir_fd)))
                return negative_errno();
        dir_fd = -EBADF; /* the DIR's now */
        while (r >= 0 && (errno = 0, de = readdir(dir))) {
                const char *name = de->d_name;
                struct stat st;

                if (!strcmp(name, ".") || !strcmp(name, ".."))
                        continue;
                if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = negative_errno();
                        break;
                }
                /* Not into another file system mounted below (as cp -x): what the guest's
                 * kernel file systems hold is not the tree's to copy. */
                if (S_ISDIR(st.st_mode) && st.st_dev != device)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub_from = -EBADF, sub_to = -EBADF;

                        if (mkdirat(to, name, 0700) < 0 ||
                            (sub_from = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
                            (sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                                r = negative_errno();
                        else
                                r = copy_directory(sub_from, sub_to, device, depth + 1);
                } else if (S_ISREG(st.st_mode)) {
                        /* Not blocking, and checked again once open: a FIFO put in its place
                         * meanwhile is not waited on. */
                        _cleanup_close_ int in = openat(dirfd(dir), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                        _cleanup_close_ int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                                         0600);
                        struct stat opened;

                        if (in < 0 || out < 0 || fstat(in, &opened) < 0)
                                r = negative_errno();
                        else if (!S_ISREG(opened.st_mode))
                                r = -EBADF;
                        else
                                r = copy_data(in, out, opened.st_size);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(dirfd(dir), name, target, sizeof(target) - 1);

                        if (n < 0)
                                r = negative_errno();
                        else {
                                target[n] = '\0';
                                r = symlinkat(target, to, name) < 0 ? negative_errno() : 0;
                        }
                } else if (S_ISFIFO(st.st_mode))
                        r = mknodat(to, name, S_IFIFO | 0600, 0) < 0 ? negative_errno() : 0;
                else
                        continue; /* devices and sockets: not what a tmpfs starts with */
                if (r < 0)
                        break;
                if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                    (!S_ISLNK(st.st_mode) && fchmodat(to, name, st.st_mode & 07777, 0) < 0) ||
                    utimensat(to, name, (const struct timespec[]){ st.st_atim, st.st_mtim }, AT_SYMLINK_NOFOLLOW) < 0)
                        r = negative_errno();
        }
        if (r >= 0 && errno != 0)
                r = negative_errno();
        closedir(dir);
        return r;
}

/* A tmpfs, with OCI's tmpcopyup what the tree has at its place first copied into it (runc's
 * way to keep an image's /run or /tmp under --read-only). */
/* The API file systems, which tmpcopyup never copies from. */
static bool kernel_file_system(unsigned long type)
{
        static const unsigned long types[] = {
                PROC_SUPER_MAGIC, SYSFS_MAGIC,   CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, DEVPTS_SUPER_MAGIC,
                SECURITYFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,      BPF_FS_MAGIC,
        };

        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (type == types[i])
                        return true;
        return false;
}

static int mount_tmpfs(int root_fd, const struct custom_mount *c)
{
        _cleanup_close_ int before = -EBADF, tmpfs = -EBADF;
        struct statfs fs;
        struct stat st;
        int r;

        if (c->copy_up) {
                before = open_in_root(root_fd, c->destination, O_RDONLY | O_DIRECTORY, 0);
                if (before < 0 && before != -ENOENT)
                        return before;
                /* Only the tree's files: a symlink of the guest's can lead the destination
                 * into the /proc or /sys mounted already, whose files we would read as
                 * the host's root. */
                if (before >= 0 && (fstat(before, &st) < 0 || fstatfs(before, &fs) < 0))
                        return negative_errno();
                if (before >= 0 && kernel_file_system(fs.f_type))
                        return -EXDEV;
        }
        if (before < 0)
                return mount_fs_in_root(root_fd, c->destination, "tmpfs", c->flags, c->options);
        /* Written first, made read-only after, if it is to be. */
        r = mount_fs_in_root(root_fd, c->destination, "tmpfs", c->flags & ~MS_RDONLY, c->options);
        if (r < 0)
                return r;
        tmpfs = open_in_root(root_fd, c->destination, O_RDONLY | O_DIRECTORY, 0);
        if (tmpfs < 0)
                return tmpfs;
        r = copy_directory(before, tmpfs, st.st_dev, 0);
        if (r >= 0 && (c->flags & MS_RDONLY))
                r = mount_set_attributes(tmpfs, MOUNT_ATTR_RDONLY, 0);
        return r;
}

int mount_custom(int root_fd, int tree_fd, const struct custom_mount *c, const struct guest_ids *ids)
{
        if (c->optional) {
                _cleanup_close_ int fd = open_in_root(root_fd, c->destination, O_PATH | O_NOFOLLOW, 0);

                if (fd == -ENOENT)
                        return 0;
        }
        if (c->type == CUSTOM_BIND)
                return mount_bind(root_fd, c, ids);
        if (c->type == CUSTOM_OVERLAY)
                return mount_overlay_custom(root_fd, tree_fd, c);
        if (c->type == CUSTOM_INACCESSIBLE)
                return mount_inaccessible(root_fd, c);
        if (c->type == CUSTOM_FS)
                return mount_source_in_root(root_fd, c->destination, c->source, c->fs_type, c->flags, c->options);
        return mount_tmpfs(root_fd, c);
}
