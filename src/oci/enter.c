/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A running container entered from the host (oci/enter.h): by exec's helper, and by the
 * hooks that run in the container's namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/cgroup-v1.h"
#include "host/cgroup.h"
#include "oci/enter.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/pidref.h"
#include "util/strv.h"

void oci_container_entry_done(struct oci_container_entry *e)
{
        int *fds[] = { &e->pidfd, &e->proc_fd, &e->root_fd, &e->cgroup_fd };

        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (*fds[i] >= 0) {
                        close(*fds[i]);
                        *fds[i] = -1;
                }
        strv_free(e->v1_sub);
        e->v1_sub = NULL;
}

/* A path below a cgroup: relative (its leading slashes dropped by the caller), no "..". */
static bool sub_path_valid(const char *path)
{
        for (const char *c = path; *c; c += strcspn(c, "/"), c += strspn(c, "/"))
                if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
                        return false;
        return true;
}

/* The container's v1 cgroup (of S) on the hierarchy of CONTROLLER, or NULL. */
static const char *v1_cgroup_of(const struct oci_state *s, const char *controller)
{
        static const char prefix[] = "/sys/fs/cgroup/";
        size_t n = strlen(controller);

        if (strncmp(controller, "name=", 5) == 0)
                controller += 5, n -= 5;
        for (size_t k = 0; n > 0 && s->cgroup_v1 && s->cgroup_v1[k]; k++) {
                const char *h = s->cgroup_v1[k];
                size_t end;

                if (strncmp(h, prefix, strlen(prefix)) != 0)
                        continue;
                h += strlen(prefix);
                end = strcspn(h, "/");
                /* The hierarchy's directory names its controllers: cpu,cpuacct. */
                for (size_t i = 0; i < end; i += strcspn(h + i, ",") + 1)
                        if (strcspn(h + i, ",/") == n && strncmp(h + i, controller, n) == 0)
                                return s->cgroup_v1[k];
        }
        return NULL;
}

/* --cgroup ARG, CONTROLLERS (LENGTH bytes) and PATH of it: the v1 sub-cgroups to join. */
static int sub_cgroup_v1(struct oci_container_entry *e, const struct oci_state *s, const char *arg,
                         const char *controllers, size_t length, const char *path)
{
        _cleanup_free_ char *list = strndup(controllers, length);
        char *save = NULL;

        if (!list)
                return -ENOMEM;
        if (!s->cgroup_v1 || !s->cgroup_v1[0] || !list[0])
                return log_error("exec: --cgroup %s: CONTROLLER:PATH names a cgroup v1 hierarchy, and container %s "
                                 "has none (give PATH alone: a sub-cgroup of its cgroup v2)",
                                 arg, s->id),
                       -EINVAL;
        for (char *controller = strtok_r(list, ",", &save); controller; controller = strtok_r(NULL, ",", &save)) {
                _cleanup_free_ char *dir = NULL;
                const char *top = v1_cgroup_of(s, controller);
                struct stat st;

                if (!top)
                        return log_error("exec: --cgroup %s: container %s has no cgroup on a v1 hierarchy of "
                                         "controller '%s'",
                                         arg, s->id, controller),
                               -EINVAL;
                if (asprintf(&dir, "%s%s%s", top, path[0] ? "/" : "", path) < 0)
                        return -ENOMEM;
                if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                        return log_error("exec: --cgroup %s: container %s has no such sub-cgroup (%s)", arg, s->id, dir),
                               -EINVAL;
                if (strv_extend(&e->v1_sub, dir) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int oci_container_sub_cgroups(struct oci_container_entry *e, const struct oci_state *s, char *const *args)
{
        for (size_t i = 0; args && args[i]; i++) {
                const char *arg = args[i], *colon = strchr(arg, ':');
                const char *path = colon ? colon + 1 : arg;
                int fd, r;

                path += strspn(path, "/");
                if (!sub_path_valid(path))
                        return log_error("exec: --cgroup %s: the path must stay below the container's cgroup (no '..')",
                                         arg),
                               -EINVAL;
                if (colon) {
                        r = sub_cgroup_v1(e, s, arg, arg, (size_t)(colon - arg), path);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* "/" or "": the container's own. */
                if (!path[0])
                        continue;
                fd = openat(e->cgroup_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return log_error("exec: --cgroup %s: container %s has no such sub-cgroup (%s/%s)", arg, s->id,
                                         s->cgroup, path),
                               -EINVAL;
                close(e->cgroup_fd);
                e->cgroup_fd = fd;
                e->sub_cgroup = true;
        }
        return 0;
}

int oci_container_use_init_cgroup(struct oci_container_entry *e, const struct oci_state *s)
{
        _cleanup_free_ char *path = NULL;
        size_t n = strlen(s->cgroup);
        int fd, r;

        struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
        const char *below;

        r = cgroup_v2_path_of(e->proc_fd, &path);
        if (r < 0)
                return r;
        /* Below the container's (which the init can name no other way), never above it:
         * opened beneath the container's cgroup, whatever the names in between. */
        if (strncmp(path, s->cgroup, n) != 0 || path[n] != '/')
                return -EBUSY;
        below = path + n + strspn(path + n, "/");
        if (!below[0] || !sub_path_valid(below))
                return -EBUSY;
        fd = (int)syscall(SYS_openat2, e->cgroup_fd, below, &how, sizeof(how));
        if (fd < 0)
                return negative_errno();
        close(e->cgroup_fd);
        e->cgroup_fd = fd;
        return 0;
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
        /* exec's --cgroup CONTROLLER:PATH. */
        *ret_step = "v1 sub-cgroups (--cgroup)";
        for (size_t i = 0; e->v1_sub && e->v1_sub[i]; i++) {
                r = cgroup_write_file(e->v1_sub[i], "cgroup.procs", "0");
                if (r < 0)
                        return r;
        }
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
