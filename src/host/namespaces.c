/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Namespaces a guest joins: opened and checked before anything is made, entered by the
 * supervisor for the moment of the guest's clone only. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "host/namespaces.h"
#include "util/log.h"
#include "util/macro.h"

static const struct {
        int type;
        const char *what, *own;
} joined_types[_JOINED_MAX] = {
        [JOINED_NET] = { CLONE_NEWNET, "network", "/proc/self/ns/net" },
        [JOINED_IPC] = { CLONE_NEWIPC, "IPC", "/proc/self/ns/ipc" },
        [JOINED_UTS] = { CLONE_NEWUTS, "UTS", "/proc/self/ns/uts" },
        /* setns() of a PID namespace moves only the children to come; back into our own
         * is allowed, as it is the one we are in. */
        [JOINED_PID] = { CLONE_NEWPID, "PID", "/proc/self/ns/pid_for_children" },
        [JOINED_CGROUP] = { CLONE_NEWCGROUP, "cgroup", "/proc/self/ns/cgroup" },
};

/* The namespace at PATH, checked to be of type I: its fd, or -1 after one line naming
 * where PATH came from (an OCI container's config.json, or --network-namespace-path=). */
static int joined_namespace_open(enum joined_namespace i, const char *path, bool oci)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        const char *what = joined_types[i].what;
        struct statfs st;

        if (fd < 0) {
                if (oci)
                        log_error_errno(-errno, "The %s namespace to join, %s (linux.namespaces), cannot be opened: %m",
                                        what, path);
                else
                        log_error_errno(-errno, "--network-namespace-path=%s: %m", path);
                return -1;
        }
        if (fstatfs(fd, &st) < 0 || st.f_type != NSFS_MAGIC || ioctl(fd, NS_GET_NSTYPE) != joined_types[i].type) {
                if (oci)
                        log_error("%s is not a%s %s namespace (linux.namespaces' path)", path,
                                  i == JOINED_IPC ? "n" : "", what);
                else
                        log_error("--network-namespace-path=%s is not a network namespace (ip netns add NAME makes "
                                  "one in /run/netns/NAME)",
                                  path);
                return -1;
        }
        return TAKE_FD(fd);
}

int joined_namespaces_open(const struct machine *m, struct joined_namespaces *j)
{
        const char *path[_JOINED_MAX] = {
                [JOINED_NET] = m->network_namespace_path,   [JOINED_IPC] = m->ipc_namespace_path,
                [JOINED_UTS] = m->uts_namespace_path,       [JOINED_PID] = m->pid_namespace_path,
                [JOINED_CGROUP] = m->cgroup_namespace_path,
        };

        for (size_t i = 0; i < _JOINED_MAX; i++) {
                if (!path[i])
                        continue;
                j->fd[i] = joined_namespace_open(i, path[i], m->oci);
                /* An option's mistake, or what a container engine handed us. */
                if (j->fd[i] < 0)
                        return m->oci ? EXIT_SETUP_FAILED : EXIT_USAGE;
        }
        return 0;
}

uint64_t joined_namespaces_new_flags(const struct joined_namespaces *j, uint64_t flags)
{
        for (size_t i = 0; i < _JOINED_MAX; i++)
                if (j->fd[i] >= 0)
                        flags &= ~(uint64_t)joined_types[i].type;
        return flags;
}

pid_t joined_namespaces_clone(const struct joined_namespaces *j, struct clone3_args *args)
{
        int own[_JOINED_MAX] = { [0 ... _JOINED_MAX - 1] = -1 };
        pid_t pid = -1;
        size_t i;

        for (i = 0; i < _JOINED_MAX; i++) {
                if (j->fd[i] < 0)
                        continue;
                own[i] = open(joined_types[i].own, O_RDONLY | O_CLOEXEC);
                if (own[i] < 0 || setns(j->fd[i], joined_types[i].type) < 0) {
                        /* Said here, where it is known which (a PID namespace that is not
                         * below ours: EINVAL); ECANCELED tells the caller it is said. */
                        log_error_errno(-errno, "Cannot enter the %s namespace to join (linux.namespaces' path): %m",
                                        joined_types[i].what);
                        errno = ECANCELED;
                        break;
                }
        }
        if (i == _JOINED_MAX)
                pid = clone3(args);
        if (pid == 0)
                return 0;
        /* The child stays there; we never go on anywhere but in our own namespaces. */
        for (i = 0; i < _JOINED_MAX; i++)
                if (own[i] >= 0) {
                        if (setns(own[i], joined_types[i].type) < 0)
                                abort();
                        close(own[i]);
                }
        return pid;
}

void joined_namespaces_close(struct joined_namespaces *j)
{
        for (size_t i = 0; i < _JOINED_MAX; i++)
                if (j->fd[i] >= 0) {
                        close(j->fd[i]);
                        j->fd[i] = -1;
                }
}
