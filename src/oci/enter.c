/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A running container entered from the host (oci/enter.h): by exec's helper, and by the
 * hooks that run in the container's namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/cgroup-v1.h"
#include "oci/enter.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/pidref.h"

void oci_container_entry_done(struct oci_container_entry *e)
{
        int *fds[] = { &e->pidfd, &e->proc_fd, &e->root_fd, &e->cgroup_fd };

        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (*fds[i] >= 0) {
                        close(*fds[i]);
                        *fds[i] = -1;
                }
}

int oci_container_open(const struct oci_state *s, struct oci_container_entry *e)
{
        char path[64], map[128] = "";
        struct stat ours, theirs;
        ssize_t n;
        int fd;

        e->pidfd = pidfd_open_exact(s->pid, s->pid_start);
        if (e->pidfd < 0)
                return log_error_errno(e->pidfd, "The init of container %s (PID %d) is gone: %m", s->id, (int)s->pid);
        snprintf(path, sizeof(path), "/proc/%d", (int)s->pid);
        e->proc_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (e->proc_fd < 0 || pidfd_send_signal(e->pidfd, 0, NULL, 0) < 0)
                return log_error_errno(-ESRCH, "The init of container %s (PID %d) is gone", s->id, (int)s->pid);
        e->root_fd = openat(e->proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (e->root_fd < 0)
                return log_error_errno(-errno, "Cannot open the root directory of container %s: %m", s->id);
        e->cgroup_fd = open(s->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (e->cgroup_fd < 0)
                return log_error_errno(-errno, "Cannot open cgroup %s of container %s: %m", s->cgroup, s->id);
        if (stat("/proc/self/ns/user", &ours) < 0 || fstatat(e->proc_fd, "ns/user", &theirs, 0) < 0)
                return log_error_errno(-errno, "Cannot compare the user namespace of container %s with ours: %m", s->id);
        e->join_user_ns = ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev;
        if (e->join_user_ns) {
                /* "0 HOST COUNT": its root's host UID, who opens its pty. */
                fd = openat(e->proc_fd, "uid_map", O_RDONLY | O_CLOEXEC);
                n = fd < 0 ? -1 : read(fd, map, sizeof(map) - 1);
                if (fd >= 0)
                        close(fd);
                if (n > 0) {
                        unsigned long inside, host;

                        map[n] = '\0';
                        if (sscanf(map, "%lu %lu", &inside, &host) == 2 && inside == 0)
                                e->root_uid = (uid_t)host;
                }
        }
        return 0;
}

int oci_container_enter(const struct oci_container_entry *e, const char **ret_step)
{
        /* (CLONE_NEWTIME: the init's time namespace, the host's unless it has one.) */
        int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID |
                    CLONE_NEWTIME,
            r;

        /* Into the init's v1 cgroups on a hybrid host as well (clone3 placed the caller in
         * its v2 one). */
        *ret_step = "v1 cgroups";
        r = cgroup_v1_join(e->proc_fd);
        if (r < 0)
                return r;
        if (e->join_user_ns)
                flags |= CLONE_NEWUSER;
        *ret_step = "namespaces";
        /* CLONE_NEWPID moves only the children to come. */
        if (setns(e->pidfd, flags) < 0)
                return negative_errno();
        /* setns() put us at the root of the mount namespace; the init's root is the
         * container's, which its pivot_root() moved there. */
        *ret_step = "root directory";
        if (fchdir(e->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return negative_errno();
        return 0;
}
