/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hybrid host's cgroup v1 hierarchies: the guest's machine-NAME on each, so that a
 * guest mounting one sees no cgroup of the host's; moving a process there and joining a
 * machine's (shell). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "host/cgroup-v1.h"
#include "host/cgroup.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/path.h"
#include "util/strv.h"


static int write_small_file(const char *path, const char *text)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t n = strlen(text);

        if (fd < 0)
                return negative_errno();
        return write(fd, text, n) == (ssize_t)n ? 0 : negative_errno();
}

/* A new cpuset cgroup has no CPUs and no memory nodes, and takes no process until it
 * has: it gets its parent's, as cgroup.clone_children would have given it. */
static int copy_cpuset(const char *parent, const char *path)
{
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char from[PATH_MAX], to[PATH_MAX], value[4096];
                int r;

                if ((size_t)snprintf(from, sizeof(from), "%s/%s", parent, files[i]) >= sizeof(from) ||
                    (size_t)snprintf(to, sizeof(to), "%s/%s", path, files[i]) >= sizeof(to))
                        return -ENAMETOOLONG;
                r = read_small_file(AT_FDCWD, from, value, sizeof(value));
                if (r >= 0 && value[strspn(value, " \n")] != '\0')
                        r = write_small_file(to, value);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        return 0;
}

static bool cgroup_v1_empty(const char *path)
{
        char file[PATH_MAX], procs[16];

        if ((size_t)snprintf(file, sizeof(file), "%s/cgroup.procs", path) >= sizeof(file))
                return false;
        return read_small_file(AT_FDCWD, file, procs, sizeof(procs)) >= 0 && procs[0] == '\0';
}

/* One line of a /proc/PID/cgroup, "ID:CONTROLLERS:PATH" with ID > 0: a v1 hierarchy,
 * mounted (as systemd and every distribution mount them) at /sys/fs/cgroup/CONTROLLERS,
 * or /sys/fs/cgroup/NAME for a named one (name=systemd). Returns the cgroup's absolute
 * path in PATH and its controllers, or 0 for a line that is no such hierarchy. */
static int hierarchy_of_line(char *line, char path[static PATH_MAX], const char **ret_controllers)
{
        char *controllers = strchr(line, ':'), *own, mount_point[PATH_MAX];
        struct statfs fs;

        if (!controllers || strncmp(line, "0:", 2) == 0)
                return 0;
        controllers++;
        own = strchr(controllers, ':');
        if (!own)
                return 0;
        *own++ = '\0';
        if (strncmp(controllers, "name=", 5) == 0)
                controllers += 5;
        if (!controllers[0] ||
            (size_t)snprintf(mount_point, sizeof(mount_point), "/sys/fs/cgroup/%s", controllers) >= sizeof(mount_point))
                return 0;
        /* Not mounted where it is looked for: not a hierarchy the guest is placed on. */
        if (statfs(mount_point, &fs) < 0 || fs.f_type != CGROUP_SUPER_MAGIC)
                return 0;
        if ((size_t)snprintf(path, PATH_MAX, "%s%s", mount_point, strcmp(own, "/") == 0 ? "" : own) >= PATH_MAX)
                return -ENAMETOOLONG;
        *ret_controllers = controllers;
        return 1;
}

static int add_hierarchy(struct guest_cgroup_v1 *cg, const char *machine_name, char *line,
                         void (*tell)(const char *path, bool made, void *userdata), void *userdata)
{
        char parent[PATH_MAX], path[PATH_MAX];
        const char *controllers;
        int r;

        r = hierarchy_of_line(line, parent, &controllers);
        if (r <= 0)
                return r;
        if ((size_t)snprintf(path, sizeof(path), "%s/machine-%s", parent, machine_name) >= sizeof(path))
                return -ENAMETOOLONG;
        if (tell)
                tell(path, false, userdata);
        if (mkdir(path, 0755) < 0) {
                if (errno != EEXIST)
                        return log_error_errno(-errno, "Cannot create cgroup %s: %m", path);
                if (!cgroup_v1_empty(path))
                        return log_error_errno(-EBUSY, "A machine named %s is already running (its cgroup %s is in use)",
                                               machine_name, path);
        }
        if (tell)
                tell(path, true, userdata);
        if (strv_extend(&cg->paths, path) < 0) {
                (void)rmdir(path);
                return -ENOMEM;
        }
        if (strncmp(controllers, "cpuset", 6) == 0 && (controllers[6] == '\0' || controllers[6] == ',')) {
                r = copy_cpuset(parent, path);
                if (r < 0)
                        return log_error_errno(r, "Cannot give cgroup %s its parent's CPUs and memory nodes: %m", path);
        }
        return 0;
}

int cgroup_v1_create(const char *machine_name, struct guest_cgroup_v1 *ret,
                     void (*tell)(const char *path, bool made, void *userdata), void *userdata)
{
        char own[8192], *save = NULL;
        int r;

        *ret = (struct guest_cgroup_v1){};
        r = read_small_file(AT_FDCWD, "/proc/self/cgroup", own, sizeof(own));
        if (r < 0)
                return log_error_errno(r, "Cannot read /proc/self/cgroup: %m");
        for (char *line = strtok_r(own, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                r = add_hierarchy(ret, machine_name, line, tell, userdata);
                if (r < 0) {
                        cgroup_v1_remove(ret);
                        return r;
                }
        }
        return 0;
}

int cgroup_v1_move(const struct guest_cgroup_v1 *cg, pid_t pid)
{
        char file[PATH_MAX], text[16];

        snprintf(text, sizeof(text), "%d", (int)pid);
        for (size_t i = 0; cg->paths && cg->paths[i]; i++) {
                int r;

                if ((size_t)snprintf(file, sizeof(file), "%s/cgroup.procs", cg->paths[i]) >= sizeof(file))
                        return -ENAMETOOLONG;
                r = write_small_file(file, text);
                if (r < 0)
                        return log_error_errno(r, "Cannot move the guest into cgroup %s: %m", cg->paths[i]);
        }
        return 0;
}

int cgroup_v1_join(int proc_fd)
{
        char lines[8192], path[PATH_MAX], *save = NULL;
        const char *controllers;
        int r = read_small_file(proc_fd, "cgroup", lines, sizeof(lines));

        if (r < 0)
                return r;
        for (char *line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                r = hierarchy_of_line(line, path, &controllers);
                if (r > 0 && strlen(path) + strlen("/cgroup.procs") < sizeof(path)) {
                        strcat(path, "/cgroup.procs");
                        r = write_small_file(path, "0");
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_v1_chown_systemd(const struct guest_cgroup_v1 *cg, uid_t uid)
{
        static const char *const files[] = { "", "/cgroup.procs", "/tasks", "/cgroup.clone_children",
                                             "/notify_on_release" };

        for (size_t i = 0; cg->paths && cg->paths[i]; i++) {
                if (strncmp(cg->paths[i], "/sys/fs/cgroup/systemd/", strlen("/sys/fs/cgroup/systemd/")) != 0)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(files); k++) {
                        char path[PATH_MAX];

                        if ((size_t)snprintf(path, sizeof(path), "%s%s", cg->paths[i], files[k]) >= sizeof(path))
                                return -ENAMETOOLONG;
                        if (lchown(path, uid, uid) < 0 && errno != ENOENT)
                                return negative_errno();
                }
        }
        return 0;
}

void cgroup_v1_remove(struct guest_cgroup_v1 *cg)
{
        /* With what a guest systemd made in its name=systemd cgroup (legacy mode). */
        for (size_t i = 0; cg->paths && cg->paths[i]; i++)
                (void)cgroup_remove_tree(AT_FDCWD, cg->paths[i]);
        strv_free(cg->paths);
        *cg = (struct guest_cgroup_v1){};
}
