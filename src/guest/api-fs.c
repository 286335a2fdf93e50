/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "guest/api-fs.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

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
static int set_attributes(int fd, uint64_t attributes, unsigned flags)
{
        struct mount_attr attr = { .attr_set = attributes };

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
        r = set_attributes(tree, MOUNT_ATTR_NODEV, AT_RECURSIVE);
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
        return set_attributes(root_fd, MOUNT_ATTR_RDONLY, AT_RECURSIVE);
}

/* Mounts a new file system of TYPE at PATH inside the tree, creating the directory. */
static int mount_fs_in_root(int root_fd, const char *path, const char *type, unsigned long flags, const char *options)
{
        _cleanup_close_ int target = -EBADF;
        char target_path[FD_PATH_MAX];

        target = mount_point_in_root(root_fd, path, 0755);
        if (target < 0)
                return target;
        if (mount(type, fd_path(target, target_path), type, flags, options) < 0)
                return negative_errno();
        return 0;
}

/* Like mount_fs_in_root(), and returns an O_PATH fd of the new file system's root. */
static int mount_fs_and_open(int root_fd, const char *path, const char *type, unsigned long flags, const char *options)
{
        int r = mount_fs_in_root(root_fd, path, type, flags, options);

        /* Opened anew: the directory underneath is not what was just mounted. */
        return r < 0 ? r : open_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0);
}

/* Binds SOURCE (inside the tree) read-only onto TARGET (inside the tree); the new mount is
 * made read-only before it is attached, so there is no moment when it is writable.
 * A missing target is not an error: the kernel may simply not have that file. */
static int bind_read_only_in_root(int root_fd, const char *source, const char *target)
{
        _cleanup_close_ int source_fd = -EBADF, target_fd = -EBADF, tree = -EBADF;
        int r;

        target_fd = open_in_root(root_fd, target, O_PATH | O_NOFOLLOW, 0);
        if (target_fd == -ENOENT)
                return 0;
        if (target_fd < 0)
                return target_fd;
        source_fd = open_in_root(root_fd, source, O_PATH | O_NOFOLLOW, 0);
        if (source_fd < 0)
                return source_fd;
        tree = open_tree(source_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (tree < 0)
                return negative_errno();
        r = set_attributes(tree, MOUNT_ATTR_RDONLY, 0);
        if (r < 0)
                return r;
        if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
        return 0;
}

/* Container Interface: /proc/sys and the other kernel knobs are read-only in a container. */
static const char *const proc_read_only[] = {
        "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/proc/acpi", "/proc/asound",
        "/proc/scsi",
};

/* Files that show the host's kernel memory, keys, timers and log: the guest sees
 * /dev/null instead (the list runc and systemd-nspawn mask). */
static const char *const proc_masked[] = {
        "/proc/kcore", "/proc/kallsyms", "/proc/keys", "/proc/key-users", "/proc/timer_list",
        "/proc/sched_debug", "/proc/latency_stats", "/proc/timer_stats", "/proc/kmsg",
};

/* A proc of the PID namespace PIDNS_FD at /proc (Linux 6.17's "pidns" option); -ENOTSUP
 * before anything is mounted where the kernel does not know the option. */
static int mount_proc_of(int root_fd, int pidns_fd)
{
        _cleanup_close_ int fs = -EBADF, mnt = -EBADF, target = -EBADF;

        fs = fsopen("proc", FSOPEN_CLOEXEC);
        if (fs < 0)
                return negative_errno();
        if (fsconfig(fs, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) < 0)
                return errno == EINVAL ? -ENOTSUP : negative_errno();
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return negative_errno();
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (mnt < 0)
                return negative_errno();
        target = mount_point_in_root(root_fd, "/proc", 0755);
        if (target < 0)
                return target;
        if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
        return 0;
}

int mount_proc(int root_fd, int pidns_fd, bool private_network)
{
        int r;

        if (pidns_fd >= 0)
                r = mount_proc_of(root_fd, pidns_fd);
        else
                r = mount_fs_in_root(root_fd, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(proc_read_only); i++) {
                r = bind_read_only_in_root(root_fd, proc_read_only[i], proc_read_only[i]);
                if (r < 0)
                        return r;
        }
        if (private_network) {
                /* The guest's own network namespace is its to configure. */
                _cleanup_close_ int net = open_in_root(root_fd, "/proc/sys/net", O_PATH | O_DIRECTORY, 0);
                _cleanup_close_ int tree = -EBADF;

                if (net < 0)
                        return net;
                tree = open_tree(net, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
                if (tree < 0)
                        return negative_errno();
                {
                        struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY };

                        if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                                return negative_errno();
                }
                if (move_mount(tree, "", net, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return negative_errno();
        }
        for (size_t i = 0; i < ELEMENTSOF(proc_masked); i++) {
                r = bind_read_only_in_root(root_fd, "/dev/null", proc_masked[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The options the host's cgroup2 is mounted with (nsdelegate, memory_recursiveprot),
 * less rw/ro. A new cgroup2 mount must ask for exactly those: from the host's user
 * namespace, other options would change them for the whole host (all cgroup2 mounts
 * share one superblock), and from inside a user namespace the kernel refuses them. */
static void host_cgroup2_options(char *buf, size_t size)
{
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        FILE *f = fopen("/proc/self/mountinfo", "re");

        buf[0] = '\0';
        if (!f)
                return;
        while (getline(&line, &n, f) > 0) {
                char fstype[64], source[256], options[512], *tail = strstr(line, " - ");

                if (!tail || sscanf(tail, " - %63s %255s %511s", fstype, source, options) != 3 ||
                    strcmp(fstype, "cgroup2") != 0)
                        continue;
                for (char *option = strtok(options, ","); option; option = strtok(NULL, ","))
                        if (strcmp(option, "rw") != 0 && strcmp(option, "ro") != 0)
                                snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? "," : "", option);
                break;
        }
        fclose(f);
}

int mount_sys(int root_fd)
{
        char cgroup2_options[512];
        int r;

        /* Container Interface: /sys is read-only. */
        r = mount_fs_in_root(root_fd, "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (r < 0)
                return r;
        /* Mounted from inside the guest's cgroup namespace, this shows the guest's own
         * cgroup as the root, and it stays writable so that a guest systemd can manage it. */
        host_cgroup2_options(cgroup2_options, sizeof(cgroup2_options));
        return mount_fs_in_root(root_fd, "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                cgroup2_options[0] ? cgroup2_options : NULL);
}

/* A fresh tmpfs, not attached anywhere yet (a detached mount), with OPTIONS. */
static int tmpfs_detached(const char *options)
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
        int r = set_attributes(root_fd, MOUNT_ATTR_RDONLY, AT_RECURSIVE);

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
        } dirs[] = { { "etc", 0755 }, { "var", 0755 }, { "tmp", 01777 }, { "root", 0700 }, { "home", 0755 }, { "srv", 0755 } };
        struct stat st;
        char target[16];

        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                if (fstatat(usr_fd, links[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !(S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
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
                _cleanup_close_ int tree = open_tree(usr, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);

                if (tree < 0)
                        return negative_errno();
                r = set_attributes(tree, MOUNT_ATTR_RDONLY, AT_RECURSIVE);
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

int mount_custom_target(int root_fd, const struct custom_mount *c)
{
        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int parent_fd = -EBADF;
        struct stat st;
        char *slash;
        int fd;

        /* Resolved inside the tree and made like the source: a directory, or an empty file
         * for a bind of anything else. */
        if (c->type != CUSTOM_BIND || stat(c->source, &st) < 0 || S_ISDIR(st.st_mode))
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

static int mount_bind(int root_fd, const struct custom_mount *c)
{
        _cleanup_close_ int source = open(c->source, O_PATH | O_CLOEXEC), tree = -EBADF, target = -EBADF;
        int r;

        if (source < 0)
                return negative_errno();
        target = mount_custom_target(root_fd, c);
        if (target < 0)
                return target;
        tree = open_tree(source, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (c->recursive ? AT_RECURSIVE : 0));
        if (tree < 0)
                return negative_errno();
        r = set_attributes(tree, MOUNT_ATTR_NODEV | (c->read_only ? MOUNT_ATTR_RDONLY : 0), AT_RECURSIVE);
        if (r < 0)
                return r;
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return negative_errno();
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
                int k = snprintf(list + length, sizeof(list) - length, "%s%s", length ? ":" : "", fd_path(lower[i], path));

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

int mount_custom(int root_fd, int tree_fd, const struct custom_mount *c)
{
        if (c->type == CUSTOM_BIND)
                return mount_bind(root_fd, c);
        if (c->type == CUSTOM_OVERLAY)
                return mount_overlay_custom(root_fd, tree_fd, c);
        return mount_fs_in_root(root_fd, c->destination, "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, c->options);
}

static int write_file_at(int dir_fd, const char *name, const char *content, size_t size, mode_t mode)
{
        _cleanup_close_ int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

        if (fd < 0)
                return negative_errno();
        while (size > 0) {
                ssize_t n = write(fd, content, size);

                if (n < 0)
                        return negative_errno();
                content += n;
                size -= (size_t)n;
        }
        return 0;
}

/* Copies a host file into DIR_FD/NAME; a host without the file is not an error. */
static int copy_host_file(const char *host_path, int dir_fd, const char *name)
{
        _cleanup_close_ int fd = open(host_path, O_RDONLY | O_CLOEXEC);
        char content[16384];
        ssize_t n;

        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        n = read(fd, content, sizeof(content));
        if (n < 0)
                return negative_errno();
        return write_file_at(dir_fd, name, content, (size_t)n, 0644);
}

int mount_run(int root_fd, sd_id128_t uuid)
{
        _cleanup_close_ int run = -EBADF, host = -EBADF;
        char text[64];
        int r;

        run = mount_fs_and_open(root_fd, "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME,
                                "mode=0755,size=20%,nr_inodes=800k");
        if (run < 0)
                return run;
        if (mkdirat(run, "host", 0755) < 0)
                return negative_errno();
        host = openat(run, "host", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (host < 0)
                return negative_errno();

        /* Container Interface: /run/host/ tells the guest who runs it and on what. */
        r = copy_host_file(access("/etc/os-release", F_OK) == 0 ? "/etc/os-release" : "/usr/lib/os-release", host,
                           "os-release");
        if (r < 0)
                return r;
        r = write_file_at(host, "container-manager", "machined-lite\n", strlen("machined-lite\n"), 0444);
        if (r < 0)
                return r;
        snprintf(text, sizeof(text), SD_ID128_UUID_FORMAT_STR "\n", SD_ID128_FORMAT_VAL(uuid));
        return write_file_at(host, "container-uuid", text, strlen(text), 0444);
}

int mount_notify_socket(int root_fd)
{
        _cleanup_close_ int host = open_in_root(root_fd, "/run/host", O_PATH | O_DIRECTORY, 0);
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un address = { .sun_family = AF_UNIX };

        if (host < 0)
                return host;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        /* Bound through the fd of the directory we made, never through a path of the
         * tree, which could lead elsewhere. */
        snprintf(address.sun_path, sizeof(address.sun_path), "/proc/self/fd/%d/notify", host);
        if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

/* The host's time zone name, from its /etc/localtime link ("Europe/Berlin"), or NULL. */
static int host_timezone(char *buf, size_t size)
{
        char target[PATH_MAX];
        ssize_t n = readlink("/etc/localtime", target, sizeof(target) - 1);
        const char *zone;

        if (n < 0)
                return negative_errno();
        target[n] = '\0';
        zone = strstr(target, "zoneinfo/");
        if (!zone)
                return -EINVAL;
        snprintf(buf, size, "%s", zone + strlen("zoneinfo/"));
        return 0;
}

int mount_etc_follow_host(int root_fd)
{
        _cleanup_close_ int etc = open_in_root(root_fd, "/etc", O_PATH | O_DIRECTORY, 0);
        struct stat st;
        char zone[PATH_MAX], link[PATH_MAX + 64];
        int r;

        if (etc < 0)
                return etc == -ENOENT ? 0 : etc;

        /* The guest's own file, even a dangling link into its /run, always wins. */
        if (fstatat(etc, "resolv.conf", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
                r = copy_host_file("/etc/resolv.conf", etc, "resolv.conf");
                if (r < 0)
                        return r;
        }
        if (fstatat(etc, "localtime", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
                _cleanup_close_ int zone_file = -EBADF;

                if (host_timezone(zone, sizeof(zone)) < 0)
                        return 0;
                snprintf(link, sizeof(link), "/usr/share/zoneinfo/%s", zone);
                zone_file = open_in_root(root_fd, link, O_PATH, 0);
                if (zone_file >= 0) {
                        /* The guest has the zone: link to its own copy, as the host does. */
                        snprintf(link, sizeof(link), "../usr/share/zoneinfo/%s", zone);
                        if (symlinkat(link, etc, "localtime") < 0)
                                return negative_errno();
                } else {
                        r = copy_host_file("/etc/localtime", etc, "localtime");
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int mount_pivot_root(int root_fd)
{
        /* pivot_root(".", ".") stacks the old root on top of the new one, so it can be
         * detached without a directory for it in the guest's tree. */
        if (fchdir(root_fd) < 0)
                return negative_errno();
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return negative_errno();
        if (umount2(".", MNT_DETACH) < 0)
                return negative_errno();
        if (chdir("/") < 0)
                return negative_errno();
        return 0;
}
