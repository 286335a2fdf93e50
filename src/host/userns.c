/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* -U: the guest's UID range chosen (pick, the tree's owner, or given) and locked for the
 * machine's life, the guest's uid_map and gid_map written, and an idmapped mount of the
 * root. Parsing --private-users is config/options.c's. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/userns.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"

/* One machine per range: the range's span of UIDs in one lock file (util/lock.h), so
 * that ranges which overlap, picked or given, conflict. */
static int lock_range(uid_t base, uint32_t count)
{
        return lock_take("userns", (off_t)base, (off_t)count, true);
}

/* FNV-1a of the name: the same machine gets the same range each time it boots. */
static uint32_t name_hash(const char *name)
{
        uint32_t h = 2166136261U;

        for (const char *c = name; *c; c++)
                h = (h ^ (uint8_t)*c) * 16777619U;
        return h;
}

int userns_choose(struct machine *m, int *ret_lock_fd)
{
        uint32_t slots = (USERNS_PICK_LAST - USERNS_PICK_FIRST) / USERNS_RANGE_SIZE;
        int fd;

        if (m->private_users == PRIVATE_USERS_TREE_OWNER) {
                struct stat st;

                if (stat(m->root, &st) < 0)
                        return log_error_errno(-errno, "Cannot stat %s: %m", m->root);
                if (st.st_uid == 0)
                        return log_error_errno(-EINVAL,
                                               "--private-users=yes takes the range from the tree's owner, and %s "
                                               "is owned by root (use -U to pick a range, or give UID:COUNT)",
                                               m->root);
                m->uid_base = st.st_uid;
                m->uid_count = USERNS_RANGE_SIZE;
        }
        /* The host's own IDs, as every identity machine has them: nothing to hold apart. */
        if (m->private_users == PRIVATE_USERS_IDENTITY)
                return 0;
        if (m->private_users != PRIVATE_USERS_PICK) {
                fd = lock_range(m->uid_base, m->uid_count);
                if (fd == -EBUSY)
                        return log_error_errno(fd,
                                               "UID range %u:%u is in use by another machine, or overlaps a range in use",
                                               m->uid_base, m->uid_count);
                if (fd < 0)
                        return log_error_errno(fd, "Cannot lock UID range %u: %m", m->uid_base);
                *ret_lock_fd = fd;
                return 0;
        }
        m->uid_count = USERNS_RANGE_SIZE;
        for (uint32_t i = 0, slot = name_hash(m->name) % slots; i < slots; i++, slot = (slot + 1) % slots) {
                m->uid_base = USERNS_PICK_FIRST + slot * USERNS_RANGE_SIZE;
                fd = lock_range(m->uid_base, m->uid_count);
                if (fd >= 0) {
                        *ret_lock_fd = fd;
                        return 0;
                }
                if (fd != -EBUSY)
                        return log_error_errno(fd, "Cannot lock UID range %u: %m", m->uid_base);
        }
        return log_error_errno(-EBUSY, "No free UID range left for machine %s", m->name);
}

static int write_map_line(pid_t child, const char *file, uid_t inside, uid_t outside, uint32_t count)
{
        char path[64], map[64];
        _cleanup_close_ int fd = -EBADF;
        int n;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)child, file);
        n = snprintf(map, sizeof(map), "%u %u %u\n", inside, outside, count);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return write(fd, map, (size_t)n) == n ? 0 : negative_errno();
}

/* M's range, cut around each bound user's ID, which maps to its host ID instead; the
 * kernel takes a map in one write(2), up to 340 lines. */
static int write_machine_map(pid_t child, const char *file, const struct machine *m, bool gids)
{
        char path[64], map[4096];
        _cleanup_close_ int fd = -EBADF;
        size_t n = 0;
        uid_t start = 0;

        for (size_t i = 0; i < m->n_bind_users; i++) {
                const struct bind_user *u = &m->bind_users[i];

                if (u->guest_id > start)
                        n += (size_t)snprintf(map + n, sizeof(map) - n, "%u %u %u\n", start, m->uid_base + start,
                                              u->guest_id - start);
                n += (size_t)snprintf(map + n, sizeof(map) - n, "%u %u 1\n", u->guest_id,
                                      gids ? u->host_gid : u->host_uid);
                start = u->guest_id + 1;
        }
        if (start < m->uid_count)
                n += (size_t)snprintf(map + n, sizeof(map) - n, "%u %u %u\n", start, m->uid_base + start,
                                      m->uid_count - start);
        if (n >= sizeof(map))
                return -E2BIG;
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)child, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return write(fd, map, n) == (ssize_t)n ? 0 : negative_errno();
}

int userns_write_maps(pid_t child, const struct machine *m)
{
        int r = write_machine_map(child, "uid_map", m, false);

        return r < 0 ? r : write_machine_map(child, "gid_map", m, true);
}

int userns_with_map(uid_t inside, uid_t outside, uint32_t count)
{
        int ready[2], fd = -EBADF, r, status;
        char path[64], byte = 0;
        pid_t pid;

        if (pipe2(ready, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                close(ready[0]);
                close(ready[1]);
                return r;
        }
        if (pid == 0) {
                /* A namespace of our own, then wait for the parent (EOF when it is done). */
                close(ready[0]);
                byte = unshare(CLONE_NEWUSER) < 0 ? 1 : 0;
                if (write(ready[1], &byte, 1) != 1)
                        _exit(1);
                (void)pause();
                _exit(0);
        }
        close(ready[1]);
        r = read(ready[0], &byte, 1) == 1 && byte == 0 ? 0 : -EPERM;
        close(ready[0]);
        if (r >= 0)
                r = write_map_line(pid, "uid_map", inside, outside, count);
        if (r >= 0)
                r = write_map_line(pid, "gid_map", inside, outside, count);
        if (r >= 0) {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = negative_errno();
        }
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, &status, 0);
        return r < 0 ? r : fd;
}

int userns_idmap_mount(int mount_fd, int userns_fd, bool recursive)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };

        if (mount_setattr(mount_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
                return negative_errno();
        return 0;
}

int userns_idmapped_root(const char *root, bool recursive, pid_t child)
{
        _cleanup_close_ int userns = -EBADF, tree = -EBADF;
        /* Private: a copy of a shared mount (a systemd host's are) would stay in its
         * peer group, and pivot_root refuses shared mounts. */
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .propagation = MS_PRIVATE };
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
        userns = open(path, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
                return negative_errno();
        tree = open_tree(AT_FDCWD, root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
        if (tree < 0)
                return negative_errno();
        attr.userns_fd = (uint64_t)userns;
        if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
                return negative_errno();
        return TAKE_FD(tree);
}
