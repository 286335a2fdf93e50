/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The file system helper: a child of the supervisor that builds the guest's whole file
 * system in a mount namespace of its own, step by step, and hands it to the waiting
 * guest. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/api-fs.h"
#include "guest/cgroup-fs.h"
#include "guest/custom-mounts.h"
#include "guest/dev.h"
#include "guest/etc-files.h"
#include "guest/fs-helper.h"
#include "guest/guest.h"
#include "guest/ownership.h"
#include "guest/root.h"
#include "guest/userdb.h"
#include "host/cgroup.h"
#include "host/userns.h"
#include "oci/config.h"
#include "util/macro.h"
#include "util/path.h"

/* With a user namespace, what we create (the /dev and /run tmpfs and what is in them,
 * the console pty, files placed in the tree through its idmapped mount) must be the
 * guest root's: we act with its UID and GID as our file system IDs. That takes the file
 * capabilities out of the effective set; they are still permitted, so take them back. */
static int act_as_owner(uid_t owner)
{
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2];

        if (owner == 0)
                return 0;
        (void)setfsgid(owner);
        (void)setfsuid(owner);
        if ((uid_t)setfsuid((uid_t)-1) != owner || (gid_t)setfsgid((gid_t)-1) != owner)
                return -EPERM;
        if (syscall(SYS_capget, &header, data) < 0)
                return negative_errno();
        data[0].effective = data[0].permitted;
        data[1].effective = data[1].permitted;
        return syscall(SYS_capset, &header, data) < 0 ? negative_errno() : 0;
}

/* The guest's proc: of its PID namespace, mounted from here where the kernel can; else
 * by a child that we fork into that namespace (a proc shows the PID namespace of the
 * process that mounts it), which makes the guest's first PID 2 a PID of the past. */
static int mount_proc_of_guest(int root_fd, int guest_pidfd, pid_t guest_pid, int host_proc, bool private_network,
                               bool writable)
{
        _cleanup_close_ int pidns = -EBADF;
        char path[64];
        int status, r;
        pid_t pid;

        snprintf(path, sizeof(path), "%d/ns/pid", (int)guest_pid);
        pidns = openat(host_proc, path, O_RDONLY | O_CLOEXEC);
        if (pidns < 0)
                return negative_errno();
        r = mount_proc(root_fd, pidns, private_network, writable);
        if (r != -ENOTSUP)
                return r;
        if (setns(guest_pidfd, CLONE_NEWPID) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                r = mount_proc(root_fd, -1, private_network, writable);
                _exit(r < 0 ? -r : 0);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (!WIFEXITED(status))
                return -EPROTO;
        return -WEXITSTATUS(status);
}

static int open_mount_ns(int host_proc)
{
        int fd = openat(host_proc, "thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);

        return fd < 0 ? negative_errno() : fd;
}

/* Copies our mount namespace into the guest's user namespace, where its mounts are
 * locked, and returns an fd of it. HOST_PROC: the host's /proc, ours is the guest's now. */
static int lock_mounts(pid_t guest_pid, int host_proc)
{
        _cleanup_close_ int userns = -EBADF;
        char path[64];

        snprintf(path, sizeof(path), "%d/ns/user", (int)guest_pid);
        userns = openat(host_proc, path, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
                return negative_errno();
        if (setns(userns, CLONE_NEWUSER) < 0 || unshare(CLONE_NEWNS) < 0)
                return negative_errno();
        return open_mount_ns(host_proc);
}

/* The guest's cgroup namespace, for its cgroup2 at /sys/fs/cgroup: made with the guest,
 * or on a hybrid host by the guest once the supervisor has moved it into its v1 cgroups
 * (cgroup-v1.h), which happens while we build the rest: until the guest's namespace is
 * another than ours, it is not made yet. */
static int join_guest_cgroup_ns(int guest_pidfd, pid_t guest_pid, int host_proc)
{
        char path[64];
        struct stat ours, theirs;

        if (stat("/proc/thread-self/ns/cgroup", &ours) < 0)
                return negative_errno();
        snprintf(path, sizeof(path), "%d/ns/cgroup", (int)guest_pid);
        /* 10 s at most: the supervisor tells the guest at once, or fails and kills us. */
        for (int i = 0; i < 100000; i++) {
                if (fstatat(host_proc, path, &theirs, 0) < 0)
                        return negative_errno();
                if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
                        return setns(guest_pidfd, CLONE_NEWCGROUP) < 0 ? negative_errno() : 0;
                (void)usleep(100);
        }
        return -ETIMEDOUT;
}

/* SYSTEMD_NSPAWN_USE_CGNS=0: the guest's cgroup2 path (its "0::" line), which it sees
 * as it is with no cgroup namespace of its own. */
static int guest_cgroup_path(pid_t guest_pid, int host_proc, char **ret)
{
        char file[64];

        snprintf(file, sizeof(file), "%d/cgroup", (int)guest_pid);
        return cgroup_read_v2_path(host_proc, file, ret);
}

/* --private-users-ownership: makes the tree the guest root's, and returns the idmapped
 * mount to use as the guest's root, or -EBADF to use the tree as it is. */
static int guest_owns_tree(const struct guest_fs_setup *setup)
{
        const struct machine *m = setup->machine;
        enum ownership mode = m->ownership;
        struct stat st;
        int r;

        if (stat(m->root, &st) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to look at the tree %s", m->root);
        /* Shifted on disk already (chown before, or --private-users=yes); or shifted
         * to another range, which an idmapped mount (from 0) cannot show right. */
        if (mode == OWNERSHIP_AUTO && st.st_uid == m->uid_base)
                return -EBADF;
        /* An OCI bundle's root is never shifted on disk (an image's layer, shared): as
         * runc, it is used as it is unless it is host root's and can be idmapped. */
        if (mode == OWNERSHIP_AUTO && st.st_uid != 0)
                mode = m->oci ? OWNERSHIP_OFF : OWNERSHIP_CHOWN;
        if (mode == OWNERSHIP_OFF)
                return -EBADF;
        if (mode != OWNERSHIP_CHOWN) {
                r = userns_idmapped_root(m->root, m->image_mounts != NULL, setup->guest_pid);
                if (r >= 0)
                        return r;
                if (m->oci && mode == OWNERSHIP_AUTO && (r == -EINVAL || r == -EOPNOTSUPP || r == -EPERM))
                        return -EBADF;
                if (mode == OWNERSHIP_MAP || (r != -EINVAL && r != -EOPNOTSUPP && r != -EPERM))
                        guest_fail(setup->sync_fd, r,
                                   "Failed to mount %s idmapped for the guest's user namespace (where its "
                                   "file system cannot, use --private-users-ownership=chown)",
                                   m->root);
        }
        r = ownership_shift_tree(m->root, m->uid_base);
        if (r < 0)
                guest_fail(setup->sync_fd, r, "Failed to shift the owners of %s into UID range %u", m->root, m->uid_base);
        return -EBADF;
}

/* What the steps below build, in the order they fill it. */
struct guest_fs {
        const struct guest_fs_setup *setup;
        const struct machine *machine;
        bool userns;
        int sync_fd;
        int host_proc;    /* the host's /proc: ours becomes the guest's */
        int root_mount;   /* the tree idmapped for the guest's user namespace, or -EBADF */
        int tree_fd;      /* the tree, opened in our mount namespace */
        int root_fd;      /* the guest's root, as its layers are stacked */
        int tree_root_fd; /* the tree as it is on disk, below what --ephemeral or --volatile stack */
};

/* The guest's namespaces that mounts are tied to, and a mount namespace of our own in
 * which to build its file system, acting as the guest's root. */
static void enter_namespaces(struct guest_fs *fs)
{
        const struct machine *m = fs->machine;
        int r;

        fs->host_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fs->host_proc < 0)
                guest_fail(fs->sync_fd, -errno, "Failed to open /proc");
        if (fs->userns)
                fs->root_mount = guest_owns_tree(fs->setup);
        /* Its IPC (mqueue) and network (sysfs) ones; its cgroup one (cgroup2) later,
         * join_guest_cgroup_ns(). */
        if (setns(fs->setup->guest_pidfd,
                  CLONE_NEWIPC | (m->private_network || m->network_namespace_path ? CLONE_NEWNET : 0)) < 0)
                guest_fail(fs->sync_fd, -errno, "Failed to join the guest's namespaces");
        /* OCI's linux.namespaces may give a mount namespace to build the root in, as runc
         * does: what is there is changed for all of it (README). */
        if (m->mount_namespace_path) {
                _cleanup_close_ int ns = open(m->mount_namespace_path, O_RDONLY | O_CLOEXEC);

                if (ns < 0 || setns(ns, CLONE_NEWNS) < 0)
                        guest_fail(fs->sync_fd, -errno, "Failed to join the mount namespace %s", m->mount_namespace_path);
        } else if (unshare(CLONE_NEWNS) < 0)
                guest_fail(fs->sync_fd, -errno, "Failed to create the guest's mount namespace");
        /* Opened in that namespace: the mounts we make are on its copy of the tree. */
        fs->tree_fd = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fs->tree_fd < 0)
                guest_fail(fs->sync_fd, -errno, "Failed to open the tree %s", m->root);
        r = act_as_owner(fs->userns ? m->uid_base : 0);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to act as the guest's root (UID %u)", m->uid_base);
}

/* The tree as the guest's root, and what --ephemeral or --volatile stack on it. */
static void mount_root_layers(struct guest_fs *fs)
{
        const struct machine *m = fs->machine;
        const char *ephemeral_dir = fs->setup->ephemeral_dir;
        int r;

        umask(0);
        r = mount_cut_propagation();
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to make the guest's mounts private");
        r = mount_root(fs->tree_fd, fs->root_mount, &fs->root_fd);
        close(fs->tree_fd);
        fs->tree_fd = -EBADF;
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to bind-mount the tree %s", m->root);
        /* An overlay's +PATH layers are the tree's as it is on disk, below what --ephemeral
         * or --volatile stack on the root. */
        fs->tree_root_fd = fcntl(fs->root_fd, F_DUPFD_CLOEXEC, 3);
        if (fs->tree_root_fd < 0)
                guest_fail(fs->sync_fd, -errno, "Failed to open the tree %s", m->root);
        if (m->ephemeral || m->volatile_mode == VOLATILE_OVERLAY) {
                _cleanup_close_ int layers = -EBADF;

                if (ephemeral_dir) {
                        layers = open(ephemeral_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (layers < 0)
                                guest_fail(fs->sync_fd, -errno, "Failed to open %s for the overlay's upper layer",
                                           ephemeral_dir);
                }
                r = mount_overlay_root(&fs->root_fd, layers, m->image_mounts);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to mount an overlay over %s%s%s", m->root,
                                   ephemeral_dir ? " with its upper layer in " : "", ephemeral_dir ?: "");
        } else if (m->volatile_mode == VOLATILE_YES) {
                r = mount_volatile_yes(&fs->root_fd);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to mount a tmpfs root with /usr of %s", m->root);
        }
}

/* The command line's mount points, and the API file systems', exist before the tree may
 * become read-only (an OCI image may have no /proc, /sys or /run: made, as runc does). */
static void make_mount_points(const struct guest_fs *fs)
{
        static const char *const api_points[] = { "/dev", "/proc", "/sys", "/run" };
        const struct machine *m = fs->machine;

        for (size_t i = 0; i < ELEMENTSOF(api_points); i++) {
                int r = mount_point_in_root(fs->root_fd, api_points[i], 0755);

                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to make the mount point %s in %s", api_points[i], m->root);
                close(r);
        }

        for (size_t i = 0; i < m->n_mounts; i++) {
                int r;

                /* What --inaccessible hides must be there already: nothing is made for it; nor
                 * for what is there only if the guest has it (OCI's masked and read-only paths). */
                if (m->mounts[i].type == CUSTOM_INACCESSIBLE || m->mounts[i].optional)
                        continue;
                r = mount_custom_target(fs->root_fd, &m->mounts[i]);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to make the mount point %s in the guest",
                                   m->mounts[i].destination);
                close(r);
        }
}

/* --volatile=state's read-only tree with a tmpfs on /var, or --read-only; a root the
 * guest writes gets /etc/resolv.conf and /etc/localtime from the host. */
static void finish_root(const struct guest_fs *fs)
{
        const struct machine *m = fs->machine;
        struct etc_settings etc;
        int r;

        if (m->volatile_mode == VOLATILE_STATE) {
                r = mount_volatile_state(fs->root_fd);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to mount %s read-only with a tmpfs on /var", m->root);
        }
        etc = (struct etc_settings){
                .resolv_conf = m->resolv_conf,
                .timezone = m->timezone,
                .nameserver = fs->setup->nameserver,
                .writable = !m->read_only && m->volatile_mode != VOLATILE_STATE,
                .private_network = m->private_network || m->network_namespace_path,
        };
        r = etc_files_from_host(fs->root_fd, &etc);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to set up /etc/resolv.conf or /etc/localtime in %s", m->root);
        if (m->read_only && !m->ephemeral && m->volatile_mode == VOLATILE_NO) {
                r = mount_root_read_only(fs->root_fd);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to make %s read-only", m->root);
        }
}

/* /dev, and the console's pty for the supervisor. */
static void make_dev(const struct guest_fs *fs)
{
        const struct machine *m = fs->machine;
        int r;

        r = dev_setup(fs->root_fd, fs->userns ? m->uid_base : 0, fs->setup->with_console);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to set up /dev in %s", m->root);
        for (size_t i = 0; m->oci && i < m->oci->devices.n; i++) {
                const struct oci_device *d = &m->oci->devices.nodes[i];
                uid_t base = fs->userns ? m->uid_base : 0;

                r = dev_add_node(fs->root_fd, d->path, d->mode, d->device, base + d->uid, base + d->gid);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to make %s (linux.devices%s)", d->path,
                                   r == -EEXIST  ? ": a directory is there, give another path"
                                   : r == -EXDEV ? ": it is below another mount in /dev (shm, mqueue, pts)"
                                   : r == -ENODEV || r == -ENOENT
                                           ? ": no mknod here, and the host has no such node at that path to bind"
                                           : "");
        }
        if (fs->setup->with_console) {
                r = dev_console_create(fs->root_fd);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to allocate the console pty");
                guest_send_fd(fs->sync_fd, GUEST_CONSOLE, r);
        }
}

/* /proc (after /dev: its masks bind /dev/null), /sys, /run, and the notify socket for
 * the supervisor. */
static void mount_api_filesystems(const struct guest_fs *fs)
{
        const struct guest_fs_setup *setup = fs->setup;
        const struct machine *m = fs->machine;

        _cleanup_free_ char *own_cgroup = NULL;
        int r;

        r = mount_proc_of_guest(fs->root_fd, setup->guest_pidfd, setup->guest_pid, fs->host_proc, m->private_network,
                                m->api_vfs_writable);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to mount /proc in %s", m->root);
        r = m->cgroup_ns_off ? guest_cgroup_path(setup->guest_pid, fs->host_proc, &own_cgroup)
                             : join_guest_cgroup_ns(setup->guest_pidfd, setup->guest_pid, fs->host_proc);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to join the guest's cgroup namespace");
        r = mount_sys(fs->root_fd, m->api_vfs_writable);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to mount /sys in %s", m->root);
        r = mount_cgroup_fs(fs->root_fd, m, own_cgroup);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to mount /sys/fs/cgroup in %s", m->root);
        r = mount_run(fs->root_fd, m);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to mount /run in %s", m->root);
        r = mount_notify_socket(fs->root_fd);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to make the notify socket %s in the guest", GUEST_NOTIFY_SOCKET);
        guest_send_fd(fs->sync_fd, GUEST_NOTIFY, r);
}

/* --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro, on top of all the rest. */
static void mount_custom_mounts(const struct guest_fs *fs)
{
        const struct machine *m = fs->machine;
        const struct guest_ids ids = {
                .userns = fs->userns,
                .base = fs->userns ? m->uid_base : 0,
                .guest_pid = fs->setup->guest_pid,
        };

        for (size_t i = 0; i < m->n_mounts; i++) {
                const struct custom_mount *c = &m->mounts[i];
                int r = mount_custom(fs->root_fd, fs->tree_root_fd, c, &ids);

                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to mount %s%s%s at %s in the guest",
                                   c->type == CUSTOM_BIND      ? "the bind of "
                                   : c->type == CUSTOM_TMPFS   ? "a tmpfs"
                                   : c->type == CUSTOM_OVERLAY ? "an overlay"
                                   : c->type == CUSTOM_FS      ? "a file system of type "
                                                               : "an inaccessible node (--inaccessible)",
                                   c->type == CUSTOM_BIND ? c->source
                                   : c->type == CUSTOM_FS ? c->fs_type
                                                          : "",
                                   c->read_only || (c->type == CUSTOM_FS && (c->flags & MS_RDONLY)) ? " (read-only)" : "",
                                   c->destination);
        }
}

/* --bind-user: each user's records in /run/host/userdb and its home at /run/host/home/NAME,
 * a bind like --bind's (after them, as nspawn has it). */
static void bind_users(const struct guest_fs *fs)
{
        const struct machine *m = fs->machine;
        const struct guest_ids ids = { .userns = true, .base = m->uid_base, .guest_pid = fs->setup->guest_pid };
        int r;

        r = userdb_write(fs->root_fd, m);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to write the records of --bind-user's users in /run/host/userdb");
        for (size_t i = 0; i < m->n_bind_users; i++) {
                const struct bind_user *u = &m->bind_users[i];
                char destination[128];
                struct custom_mount home = {
                        .type = CUSTOM_BIND,
                        .source = u->home,
                        .destination = destination,
                        .recursive = true,
                        .idmap = BIND_NOIDMAP, /* the user's host UID is mapped to its ID in the guest */
                };

                snprintf(destination, sizeof(destination), "/run/host/home/%s", u->name);
                r = mount_custom(fs->root_fd, fs->tree_root_fd, &home, &ids);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to bind %s's home %s at %s in the guest", u->name, u->home,
                                   destination);
        }
}

/* Enters the tree, and hands the supervisor the mount namespace for the guest: with a
 * user namespace, a copy in it, where the guest cannot undo our mounts. */
_noreturn_ static void hand_over(struct guest_fs *fs)
{
        int r;

        r = mount_pivot_root(fs->root_fd);
        if (r < 0)
                guest_fail(fs->sync_fd, r, "Failed to enter %s with pivot_root", fs->machine->root);
        close(fs->root_fd);
        close(fs->tree_root_fd);

        if (fs->userns) {
                r = lock_mounts(fs->setup->guest_pid, fs->host_proc);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to lock the guest's mounts in its user namespace");
        } else {
                r = open_mount_ns(fs->host_proc);
                if (r < 0)
                        guest_fail(fs->sync_fd, r, "Failed to open the guest's mount namespace");
        }
        guest_send_fd(fs->sync_fd, GUEST_MOUNT_NS, r);
        _exit(EXIT_SUCCESS);
}

_noreturn_ void guest_fs_main(const struct guest_fs_setup *setup)
{
        struct guest_fs fs = {
                .setup = setup,
                .machine = setup->machine,
                .userns = setup->machine->private_users != PRIVATE_USERS_NO,
                .sync_fd = setup->sync_fd,
                .host_proc = -EBADF,
                .root_mount = -EBADF,
                .tree_fd = -EBADF,
                .root_fd = -EBADF,
                .tree_root_fd = -EBADF,
        };

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != setup->supervisor_pid)
                _exit(EXIT_SETUP_FAILED);
        enter_namespaces(&fs);
        mount_root_layers(&fs);
        make_mount_points(&fs);
        finish_root(&fs);
        make_dev(&fs);
        mount_api_filesystems(&fs);
        mount_custom_mounts(&fs);
        bind_users(&fs);
        hand_over(&fs);
}
