/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's /dev, made by the file system helper: a tmpfs with the few nodes a
 * container needs, its own devpts, and /dev/console, a pty of that devpts; and the
 * console's attachment in the guest. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "guest/dev.h"
#include "util/macro.h"
#include "util/path.h"

struct device_node {
        const char *name;
        unsigned major, minor;
};

/* The character devices every container gets (systemd-nspawn's list, minus what
 * needs the host's hardware). */
static const struct device_node device_nodes[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
        const char *name, *target;
} device_links[] = {
        { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
};

/* Mounts SOURCE at DIR_FD/NAME, its root owned by OWNER (devpts and mqueue give theirs
 * to host root, whoever mounts them). */
static int mount_at(int dir_fd, const char *name, const char *source, const char *type, unsigned long flags,
                    const char *options, uid_t owner)
{
        _cleanup_close_ int target = -EBADF;
        char path[FD_PATH_MAX];

        if (mkdirat(dir_fd, name, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        target = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0)
                return negative_errno();
        if (mount(source, fd_path(target, path), type, flags, options) < 0)
                return negative_errno();
        if (owner != 0 && fchownat(dir_fd, name, owner, owner, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        return 0;
}

/* Makes the device node NAME in /dev like the host's HOST_PATH. A unit with a device
 * policy (DevicePolicy=closed) may forbid mknod yet allow using the device: then the
 * host's node is bound onto an empty file instead, as systemd-nspawn does. 0: made;
 * 1: the host's bound (whose mode and owner are the host's, never to be changed). */
static int make_device(int dev_fd, const char *name, mode_t mode, dev_t device, const char *host_path)
{
        _cleanup_close_ int target = -EBADF;
        char source[FD_PATH_MAX], path[FD_PATH_MAX];

        /* MODE: its type (a character device unless it says block) and permissions. */
        if (!S_ISBLK(mode))
                mode = S_IFCHR | (mode & 07777);
        if (mknodat(dev_fd, name, mode, device) >= 0)
                return 0;
        if (errno != EPERM)
                return negative_errno();
        target = openat(dev_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
        if (target < 0)
                return negative_errno();
        {
                /* No symlink on the way: the host's node at that very path, or none. */
                struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                                        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
                _cleanup_close_ int host = (int)syscall(SYS_openat2, AT_FDCWD, host_path, &how, sizeof(how));
                struct stat st;

                if (host < 0)
                        return negative_errno();
                if (fstat(host, &st) < 0 || (st.st_mode & S_IFMT) != (mode & S_IFMT) || st.st_rdev != device)
                        return -ENODEV;
                if (mount(fd_path(host, source), fd_path(target, path), NULL, MS_BIND, NULL) < 0)
                        return negative_errno();
        }
        return 1;
}

static int dev_add_tun(int dev_fd)
{
        struct stat st;

        /* /dev/net/tun only where the host has it: the guest may then make its own tunnels. */
        if (stat("/dev/net/tun", &st) < 0 || !S_ISCHR(st.st_mode))
                return 0;
        if (mkdirat(dev_fd, "net", 0755) < 0)
                return negative_errno();
        {
                _cleanup_close_ int net_fd = openat(dev_fd, "net", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (net_fd < 0)
                        return negative_errno();
                int r = make_device(net_fd, "tun", 0666, st.st_rdev, "/dev/net/tun");

                if (r > 0)
                        r = 0;

                if (r < 0)
                        return r;
        }
        return 0;
}

int dev_setup(int root_fd, uid_t owner, bool with_console)
{
        _cleanup_close_ int mount_point = -EBADF, dev_fd = -EBADF;
        char path[FD_PATH_MAX], pts_options[128];
        int r;

        mount_point = mount_point_in_root(root_fd, "/dev", 0755);
        if (mount_point < 0)
                return mount_point;
        if (mount("tmpfs", fd_path(mount_point, path), "tmpfs", MS_NOSUID | MS_STRICTATIME,
                  "mode=0755,size=4m,nr_inodes=64k") < 0)
                return negative_errno();
        /* Reopen: the fd from before the mount still shows the directory underneath. */
        dev_fd = open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0);
        if (dev_fd < 0)
                return dev_fd;

        for (size_t i = 0; i < ELEMENTSOF(device_nodes); i++) {
                char host_path[64];

                snprintf(host_path, sizeof(host_path), "/dev/%s", device_nodes[i].name);
                r = make_device(dev_fd, device_nodes[i].name, 0666,
                                makedev(device_nodes[i].major, device_nodes[i].minor), host_path);
                if (r > 0)
                        r = 0;
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(device_links); i++)
                if (symlinkat(device_links[i].target, dev_fd, device_links[i].name) < 0)
                        return negative_errno();
        r = dev_add_tun(dev_fd);
        if (r < 0)
                return r;

        /* A devpts of the guest's own: its ptys are not the host's, and ptmx lives in it. */
        /* Its ptys belong to the guest's group tty (5). */
        snprintf(pts_options, sizeof(pts_options), "newinstance,ptmxmode=0666,mode=0620,gid=%u", owner + 5);
        r = mount_at(dev_fd, "pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, pts_options, owner);
        if (r < 0)
                return r;
        r = mount_at(dev_fd, "shm", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=1777,size=50%", owner);
        if (r < 0)
                return r;
        r = mount_at(dev_fd, "mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, owner);
        if (r < 0)
                return r;

        if (with_console) {
                /* A plain file to bind the console pty onto. */
                _cleanup_close_ int console = openat(dev_fd, "console",
                                                     O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);

                if (console < 0)
                        return negative_errno();
        }
        return 0;
}

int dev_console_create(int root_fd)
{
        _cleanup_close_ int master = -EBADF, peer = -EBADF, console = -EBADF;
        char source[FD_PATH_MAX], target[FD_PATH_MAX];
        int unlock = 0;

        master = open_in_root(root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK, 0);
        if (master < 0)
                return master;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return negative_errno();
        /* TIOCGPTPEER opens the peer from the master itself: no path to race on. */
        peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                return negative_errno();
        console = open_in_root(root_fd, "/dev/console", O_PATH | O_NOFOLLOW, 0);
        if (console < 0)
                return console;
        if (mount(fd_path(peer, source), fd_path(console, target), NULL, MS_BIND, NULL) < 0)
                return negative_errno();
        return TAKE_FD(master);
}

int dev_console_attach(void)
{
        int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0) {
                        int r = negative_errno();

                        close(fd);
                        return r;
                }
        if (fd > 2)
                close(fd);
        return 0;
}

/* The directory of PATH's last component, below DEV_FD (the guest's /dev tmpfs), made as
 * needed: no symlink is followed (/dev/fd leads to /proc), no other mount entered (DEV_ST:
 * /dev's), so nothing outside /dev's tmpfs is touched. An fd, with *RET_NAME pointing into
 * PATH; or -errno (-EXDEV: another mount). */
static int open_node_parent(int dev_fd, const struct stat *dev_st, const char *path, const char **ret_name)
{
        _cleanup_close_ int dir = fcntl(dev_fd, F_DUPFD_CLOEXEC, 3);
        char component[256];

        if (dir < 0)
                return negative_errno();
        for (const char *p = path;;) {
                size_t n = strcspn(p, "/");

                if (!p[n]) {
                        *ret_name = p;
                        return TAKE_FD(dir);
                }
                if (n == 0 || n >= sizeof(component))
                        return -EINVAL;
                memcpy(component, p, n);
                component[n] = '\0';
                if (mkdirat(dir, component, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                int next = openat(dir, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;

                if (next < 0)
                        return negative_errno();
                close(dir);
                dir = next;
                /* Not into another mount below /dev (shm, mqueue, pts): /dev's tmpfs only. */
                if (fstat(dir, &st) < 0)
                        return negative_errno();
                if (st.st_dev != dev_st->st_dev)
                        return -EXDEV;
                p += n + 1;
        }
}

int dev_add_node(int root_fd, const char *path, mode_t mode, dev_t device, uid_t uid, gid_t gid)
{
        _cleanup_close_ int dev_fd = -EBADF, dir = -EBADF;
        struct stat dev_st, st;
        const char *name;
        int r;

        if (strncmp(path, "/dev/", 5) != 0)
                return -EINVAL;
        dev_fd = open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0);
        if (dev_fd < 0)
                return dev_fd;
        if (fstat(dev_fd, &dev_st) < 0)
                return negative_errno();
        dir = open_node_parent(dev_fd, &dev_st, path + 5, &name);
        if (dir < 0)
                return dir;
        if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
                /* One of ours already (/dev/null, /dev/net/tun): kept if it is that node,
                 * else replaced; never a directory. The host's own bound there (no mknod
                 * here) is kept as it is, its mode and owner the host's. */
                if (st.st_dev != dev_st.st_dev && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) &&
                    (st.st_mode & S_IFMT) == (mode & S_IFMT) && st.st_rdev == device)
                        return 0;
                if (S_ISDIR(st.st_mode) || st.st_dev != dev_st.st_dev)
                        return -EEXIST;
                if ((st.st_mode & S_IFMT) != (mode & S_IFMT) || st.st_rdev != device) {
                        if (unlinkat(dir, name, 0) < 0)
                                return negative_errno();
                        st.st_mode = 0;
                }
        } else if (errno != ENOENT)
                return negative_errno();
        else
                st.st_mode = 0;
        if (!st.st_mode) {
                r = S_ISFIFO(mode) ? (mkfifoat(dir, name, 0600) < 0 ? negative_errno() : 0)
                                   : make_device(dir, name, (mode & S_IFMT) | 0600, device, path);
                if (r != 0) /* bound from the host: its mode and owner stay the host's */
                        return r < 0 ? r : 0;
        }
        if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || fchmodat(dir, name, mode & 07777, 0) < 0)
                return negative_errno();
        return 0;
}
