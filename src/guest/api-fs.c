/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The file systems a guest expects from its manager (/proc, /sys, /run with /run/host
 * and the notify socket, /etc/resolv.conf and /etc/localtime) and the pivot_root into
 * the tree. Not /dev (dev.c), the root's layers (root.c) or the command line's mounts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "guest/api-fs.h"
#include "guest/root.h"
#include "util/macro.h"
#include "util/path.h"

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
        return mount_attach(tree, target_fd, MOUNT_ATTR_RDONLY);
}

/* Container Interface: /proc/sys and the other kernel knobs are read-only in a container. */
static const char *const proc_read_only[] = {
        "/proc/sys", "/proc/sysrq-trigger", "/proc/irq",    "/proc/bus",
        "/proc/fs",  "/proc/acpi",          "/proc/asound", "/proc/scsi",
};

/* Files that show the host's kernel memory, keys, timers and log: the guest sees
 * /dev/null instead (the list runc and systemd-nspawn mask). */
static const char *const proc_masked[] = {
        "/proc/kcore",       "/proc/kallsyms",      "/proc/keys",        "/proc/key-users", "/proc/timer_list",
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

int mount_proc(int root_fd, int pidns_fd, bool private_network, bool writable)
{
        int r;

        if (pidns_fd >= 0)
                r = mount_proc_of(root_fd, pidns_fd);
        else
                r = mount_fs_in_root(root_fd, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (r < 0)
                return r;
        /* SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 (nspawn's command line) asks for the knobs writable. */
        for (size_t i = 0; !writable && i < ELEMENTSOF(proc_read_only); i++) {
                r = bind_read_only_in_root(root_fd, proc_read_only[i], proc_read_only[i]);
                if (r < 0)
                        return r;
        }
        if (private_network && !writable) {
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

int mount_sys(int root_fd, bool writable)
{
        /* Container Interface: /sys is read-only (but for SYSTEMD_NSPAWN_API_VFS_WRITABLE=1). */
        return mount_fs_in_root(root_fd, "/sys", "sysfs", (writable ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                NULL);
}

int write_file_at(int dir_fd, const char *name, const char *content, size_t size, mode_t mode)
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

int copy_host_file(const char *host_path, int dir_fd, const char *name)
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

/* credentials(7) for a container: /run/host/credentials, a tmpfs of its own made read-only
 * before it is attached, a file of mode 0400 for each, owned by the guest's root. */
static int mount_credentials(int host, const struct machine *m)
{
        _cleanup_close_ int mnt = -EBADF, target = -EBADF;
        int r;

        if (m->n_credentials == 0)
                return 0;
        if (mkdirat(host, "credentials", 0500) < 0)
                return negative_errno();
        target = openat(host, "credentials", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0)
                return negative_errno();
        mnt = tmpfs_detached("mode=0500");
        if (mnt < 0)
                return mnt;
        for (size_t i = 0; i < m->n_credentials; i++) {
                r = write_file_at(mnt, m->credentials[i].id, m->credentials[i].data, m->credentials[i].size, 0400);
                if (r < 0)
                        return r;
        }
        return mount_attach(mnt, target, MOUNT_ATTR_RDONLY);
}

int mount_run(int root_fd, const struct machine *m)
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
        snprintf(text, sizeof(text), SD_ID128_UUID_FORMAT_STR "\n", SD_ID128_FORMAT_VAL(m->uuid));
        r = write_file_at(host, "container-uuid", text, strlen(text), 0444);
        return r < 0 ? r : mount_credentials(host, m);
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
