/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Namespaces a guest joins: opened and checked before anything is made, entered by the
 * supervisor for the moment of the guest's clone only. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/namespaces.h"
#include "oci/config.h"
#include "util/log.h"
#include "util/macro.h"

static const struct {
        int type;
        const char *what, *own;
} joined_types[_JOINED_MAX] = {
        /* (Never entered by us: joined_namespaces_clone()'s helper does.) */
        [JOINED_USER] = { CLONE_NEWUSER, "user", "/proc/self/ns/user" },
        [JOINED_NET] = { CLONE_NEWNET, "network", "/proc/self/ns/net" },
        [JOINED_IPC] = { CLONE_NEWIPC, "IPC", "/proc/self/ns/ipc" },
        [JOINED_UTS] = { CLONE_NEWUTS, "UTS", "/proc/self/ns/uts" },
        /* setns() of a PID namespace moves only the children to come; back into our own
         * is allowed, as it is the one we are in. */
        [JOINED_PID] = { CLONE_NEWPID, "PID", "/proc/self/ns/pid_for_children" },
        [JOINED_CGROUP] = { CLONE_NEWCGROUP, "cgroup", "/proc/self/ns/cgroup" },
        /* setns() moves us too for the moment, and the child with us. */
        [JOINED_TIME] = { CLONE_NEWTIME, "time", "/proc/self/ns/time" },
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

/* The map FILE (/proc/self/uid_map, gid_map) of the user namespace USERNS_FD, as its
 * parent sees it, read by a child that joins it (not dumpable first: it is host root
 * there, where the namespace's root may trace what it can see), within 2 s. */
static int read_joined_map(int userns_fd, const char *file, char *text, size_t size)
{
        struct pollfd p = { .events = POLLIN };
        int pipe_fds[2], status;
        ssize_t n = -1;
        pid_t child;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;
        child = fork();
        if (child < 0) {
                close(pipe_fds[0]);
                close(pipe_fds[1]);
                return -errno;
        }
        if (child == 0) {
                char line[256];
                int fd;

                close(pipe_fds[0]);
                if (prctl(PR_SET_DUMPABLE, 0) < 0 || setns(userns_fd, CLONE_NEWUSER) < 0 ||
                    (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
                        _exit(1);
                n = read(fd, line, sizeof(line));
                _exit(n > 0 && write(pipe_fds[1], line, (size_t)n) == n ? 0 : 1);
        }
        close(pipe_fds[1]);
        p.fd = pipe_fds[0];
        if (poll(&p, 1, 2000) > 0)
                n = read(pipe_fds[0], text, size - 1);
        close(pipe_fds[0]);
        (void)kill(child, SIGKILL);
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
        if (n <= 0)
                return -EIO;
        text[n] = '\0';
        return 0;
}

/* A user namespace to join (FD, at PATH) must be one of host root's, a child of ours, whose
 * maps are exactly the one line config.json gives (0 BASE COUNT): no other line may map
 * a host ID of its own choosing (host root). 0, or -1 after one line. */
static int check_joined_user_namespace(int fd, const char *path, const struct machine *m)
{
        static const char *const files[] = { "/proc/self/uid_map", "/proc/self/gid_map" };
        _cleanup_close_ int parent = ioctl(fd, NS_GET_PARENT);
        struct stat parent_st, own_st;
        uid_t owner = (uid_t)-1;

        if (parent < 0 || fstat(parent, &parent_st) < 0 || stat("/proc/self/ns/user", &own_st) < 0 ||
            parent_st.st_ino != own_st.st_ino || parent_st.st_dev != own_st.st_dev ||
            ioctl(fd, NS_GET_OWNER_UID, &owner) < 0 || owner != 0) {
                log_error("The user namespace %s (linux.namespaces' path) is not one that host root made in the "
                          "host's: machined-lite joins no other",
                          path);
                return -1;
        }
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char text[256], expected[96];

                if (read_joined_map(fd, files[i], text, sizeof(text)) < 0) {
                        log_error("The user namespace %s (linux.namespaces' path) has no map to read", path);
                        return -1;
                }
                snprintf(expected, sizeof(expected), "0 %u %u", (unsigned)m->uid_base, (unsigned)m->uid_count);
                /* The kernel pads the columns: compare the words, and that there is one line. */
                {
                        unsigned long map[3];
                        char rest[2];
                        int words = sscanf(text, "%lu %lu %lu %1s", &map[0], &map[1], &map[2], rest);

                        if (words != 3 || map[0] != 0 || map[1] != m->uid_base || map[2] != m->uid_count) {
                                log_error("The user namespace %s maps other IDs than linux.%s says (%s): it must "
                                          "map exactly that one range",
                                          path, i == 0 ? "uidMappings" : "gidMappings", expected);
                                return -1;
                        }
                }
        }
        return 0;
}

/* Whether the namespace FD is the one at OWN (/proc/self/ns/...). */
static bool is_ours(int fd, const char *own)
{
        struct stat st, ours;

        return fstat(fd, &st) >= 0 && stat(own, &ours) >= 0 && st.st_dev == ours.st_dev && st.st_ino == ours.st_ino;
}

int joined_namespaces_open(const struct machine *m, struct joined_namespaces *j)
{
        const char *path[_JOINED_MAX] = {
                [JOINED_USER] = m->user_namespace_path, [JOINED_NET] = m->network_namespace_path,
                [JOINED_IPC] = m->ipc_namespace_path,   [JOINED_UTS] = m->uts_namespace_path,
                [JOINED_PID] = m->pid_namespace_path,   [JOINED_CGROUP] = m->cgroup_namespace_path,
                [JOINED_TIME] = m->time_namespace_path,
        };

        for (size_t i = 0; i < _JOINED_MAX; i++) {
                if (!path[i])
                        continue;
                j->fd[i] = joined_namespace_open(i, path[i], m->oci);
                /* An option's mistake, or what a container engine handed us. */
                if (j->fd[i] < 0)
                        return m->oci ? EXIT_SETUP_FAILED : EXIT_USAGE;
                /* Checked on the very fd that is joined: a path of /proc/PID may name
                 * another process's by then. */
                if (i == JOINED_USER && check_joined_user_namespace(j->fd[i], path[i], m) < 0)
                        return EXIT_SETUP_FAILED;
                /* The host's own (config.json read its path as another's; its PID may have
                 * been reused since): what config.json sets in it would be the host's. */
                if (m->oci && (i == JOINED_NET || i == JOINED_IPC || i == JOINED_UTS) &&
                    is_ours(j->fd[i], joined_types[i].own) && oci_sets_namespace(m, joined_types[i].type)) {
                        log_error("The %s namespace to join, %s (linux.namespaces), is the host's: config.json's "
                                  "sysctl or host name would change the host's",
                                  joined_types[i].what, path[i]);
                        return EXIT_USAGE;
                }
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

/* What the helper tells: the child's PID (its pidfd along), or why there is none. */
struct helper_report {
        pid_t pid;
        int error;
};

/* In the helper: the namespaces to join, then the child, a sibling of ours
 * (CLONE_PARENT: the supervisor's). Returns 0 in the child; the helper itself exits. */
static pid_t helper_clone(const struct joined_namespaces *j, struct clone3_args *args, int report_fd)
{
        struct helper_report report = { .pid = -1 };
        int pidfd = -1;
        struct iovec iov = { &report, sizeof(report) };
        union {
                struct cmsghdr header;
                char buffer[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };
        size_t i;

        /* Not dumpable (the child inherits it, until it execs): in a user namespace whose
         * root has CAP_SYS_PTRACE, a pod's processes could otherwise trace this binary,
         * still host root's UID, once it is there (through a PID namespace joined too). */
        (void)prctl(PR_SET_DUMPABLE, 0);
        /* The others first, while we are root where they are; the user namespace last,
         * which the namespaces the child makes then belong to. */
        for (i = 1; i <= _JOINED_MAX; i++) {
                size_t k = i % _JOINED_MAX;

                if (j->fd[k] >= 0 && setns(j->fd[k], joined_types[k].type) < 0) {
                        report.error = errno;
                        log_error_errno(-errno, "Cannot enter the %s namespace to join (linux.namespaces' path): %m",
                                        joined_types[k].what);
                        break;
                }
        }
        if (i > _JOINED_MAX) {
                /* CLONE_PARENT takes our exit signal (SIGCHLD), and wants none given. */
                struct clone3_args sibling = *args;

                sibling.flags |= CLONE_PARENT;
                sibling.exit_signal = 0;
                /* (Joining a user namespace may have made us dumpable again.) */
                (void)prctl(PR_SET_DUMPABLE, 0);
                sibling.pidfd = (uint64_t)(uintptr_t)&pidfd;
                report.pid = clone3(&sibling);
                if (report.pid == 0) {
                        close(report_fd);
                        return 0;
                }
                if (report.pid < 0) {
                        report.error = errno;
                        log_error_errno(-errno, "Cannot make the guest in the user namespace it joins: %m");
                }
        }
        if (pidfd >= 0) {
                message.msg_control = control.buffer;
                message.msg_controllen = sizeof(control.buffer);
                CMSG_FIRSTHDR(&message)->cmsg_level = SOL_SOCKET;
                CMSG_FIRSTHDR(&message)->cmsg_type = SCM_RIGHTS;
                CMSG_FIRSTHDR(&message)->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(CMSG_FIRSTHDR(&message)), &pidfd, sizeof(int));
        }
        _exit(sendmsg(report_fd, &message, MSG_NOSIGNAL) == (ssize_t)sizeof(report) ? 0 : 1);
}

/* With a user namespace to join: a helper joins (we could not come back from a user
 * namespace), makes the child and hands us its PID and pidfd. */
static pid_t clone_through_helper(const struct joined_namespaces *j, struct clone3_args *args)
{
        struct helper_report report = { .pid = -1 };
        struct iovec iov = { &report, sizeof(report) };
        union {
                struct cmsghdr header;
                char buffer[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr message = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof(control.buffer)
        };
        int pair[2], status;
        pid_t helper;
        ssize_t n;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -1;
        helper = fork();
        if (helper < 0) {
                close(pair[0]);
                close(pair[1]);
                return -1;
        }
        if (helper == 0) {
                close(pair[0]);
                return helper_clone(j, args, pair[1]);
        }
        close(pair[1]);
        n = recvmsg(pair[0], &message, MSG_CMSG_CLOEXEC);
        close(pair[0]);
        while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
                ;
        if (n != (ssize_t)sizeof(report) || report.pid <= 0) {
                errno = n == (ssize_t)sizeof(report) && report.error ? ECANCELED : EIO;
                return -1;
        }
        /* A child and its pidfd, or no child: one without a pidfd is ours to end. */
        if ((message.msg_flags & MSG_CTRUNC) || !CMSG_FIRSTHDR(&message) ||
            CMSG_FIRSTHDR(&message)->cmsg_level != SOL_SOCKET || CMSG_FIRSTHDR(&message)->cmsg_type != SCM_RIGHTS ||
            CMSG_FIRSTHDR(&message)->cmsg_len != CMSG_LEN(sizeof(int))) {
                (void)kill(report.pid, SIGKILL);
                while (waitpid(report.pid, &status, 0) < 0 && errno == EINTR)
                        ;
                errno = EIO;
                return -1;
        }
        memcpy((int *)(uintptr_t)args->pidfd, CMSG_DATA(CMSG_FIRSTHDR(&message)), sizeof(int));
        return report.pid;
}

pid_t joined_namespaces_clone(const struct joined_namespaces *j, struct clone3_args *args)
{
        int own[_JOINED_MAX] = { [0 ... _JOINED_MAX - 1] = -1 };
        pid_t pid = -1;
        size_t i;

        if (j->fd[JOINED_USER] >= 0)
                return clone_through_helper(j, args);
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
