/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's cgroup v2: made under ours (or in the unit systemd delegated to us),
 * handed to a -U guest's root, killed and removed at the end. A hybrid host's v1 cgroups
 * are cgroup-v1.c's; the crash sweeper is sweeper.c's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "host/cgroup.h"
#include "host/sweeper.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/mountinfo.h"
#include "util/path.h"

/* Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup on a unified host,
 * /sys/fs/cgroup/unified on a hybrid one (v1 controllers beside it). statfs() of these
 * two answers at once, as systemd checks; only a host that mounts it elsewhere costs a
 * look through the mount table. */
static const char *const cgroup2_mount_points[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", NULL };

static int find_cgroup2_mount(char **ret)
{
        for (size_t i = 0; cgroup2_mount_points[i]; i++) {
                struct statfs fs;

                if (statfs(cgroup2_mount_points[i], &fs) >= 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
                        *ret = strdup(cgroup2_mount_points[i]);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return mountinfo_find("cgroup2", cgroup2_mount_points, ret);
}

int cgroup_read_v2_path(int dir_fd, const char *file, char **ret)
{
        _cleanup_close_ int fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC);
        char content[8192], *line;
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        n = read(fd, content, sizeof(content) - 1);
        if (n < 0)
                return negative_errno();
        /* All of it, or nothing: a line cut short would name another cgroup. */
        if ((size_t)n == sizeof(content) - 1)
                return -E2BIG;
        content[n] = '\0';
        line = strncmp(content, "0::", 3) == 0 ? content : strstr(content, "\n0::");
        if (!line)
                return -ENOMEDIUM;
        line += line == content ? 3 : 4;
        *ret = strndup(line, (size_t)(strchrnul(line, '\n') - line));
        return *ret ? 0 : -ENOMEM;
}

/* Our own cgroup on the v2 hierarchy. */
static int own_cgroup(char **ret)
{
        return cgroup_read_v2_path(AT_FDCWD, "/proc/self/cgroup", ret);
}

int cgroup_is_populated(int cgroup_fd)
{
        _cleanup_close_ int fd = openat(cgroup_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        char events[512];
        const char *populated;
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        n = read(fd, events, sizeof(events) - 1);
        if (n < 0)
                return negative_errno();
        events[n] = '\0';
        populated = strstr(events, "populated ");
        return populated ? populated[10] == '1' : -EINVAL;
}

/* Waits until nothing is left in the cgroup: cgroup.events signals POLLPRI on change. */
void cgroup_wait_unpopulated(int cgroup_fd)
{
        _cleanup_close_ int fd = openat(cgroup_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);

        for (int i = 0; fd >= 0 && i < 100 && cgroup_is_populated(cgroup_fd) > 0; i++) {
                struct pollfd p = { .fd = fd, .events = POLLPRI };

                (void)poll(&p, 1, 100);
        }
}

/* Removes a cgroup and the ones the guest made inside it, deepest first: a guest
 * systemd leaves init.scope and its slices behind when it dies. */
int cgroup_remove_tree(int parent_fd, const char *name)
{
        int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent *entry;
        DIR *dir;

        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        dir = fdopendir(fd);
        if (!dir) {
                close(fd);
                return negative_errno();
        }
        while ((entry = readdir(dir)))
                if (entry->d_type == DT_DIR && strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
                        (void)cgroup_remove_tree(dirfd(dir), entry->d_name);
        closedir(dir);
        if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

/* Makes PATH a new, empty cgroup. One left over by a machine that died is removed and
 * made anew, never reused: a sweeper still busy with the old one holds it by fd and
 * must not reach ours. */
static int make_cgroup(const char *path, const char *machine_name)
{
        _cleanup_close_ int stale = -EBADF;
        int r;

        if (mkdir(path, 0755) >= 0)
                return 0;
        if (errno != EEXIST)
                return log_error_errno(-errno, "Cannot create cgroup %s: %m", path);
        stale = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (stale < 0 || cgroup_is_populated(stale) != 0)
                return log_error_errno(-EBUSY, "A machine named %s is already running (its cgroup %s is in use)",
                                       machine_name, path);
        r = cgroup_remove_tree(AT_FDCWD, path);
        if (r >= 0 && mkdir(path, 0755) < 0)
                r = negative_errno();
        if (r < 0)
                return log_error_errno(r, "Cannot replace the stale cgroup %s: %m", path);
        return 0;
}

/* The absolute path of the cgroup we run in, on the cgroup v2 hierarchy. */
static int own_cgroup_path(char **ret)
{
        _cleanup_free_ char *mount_point = NULL, *own = NULL;
        int r;

        r = find_cgroup2_mount(&mount_point);
        if (r == -ENOMEDIUM)
                return log_error_errno(
                        r, "cgroup v2 is needed: no cgroup2 hierarchy is mounted "
                           "(mount one at /sys/fs/cgroup/unified, or boot with systemd.unified_cgroup_hierarchy=1)");
        if (r < 0)
                return log_error_errno(r, "Cannot read /proc/self/mountinfo: %m");
        r = own_cgroup(&own);
        if (r < 0)
                return log_error_errno(r, "Cannot find our cgroup v2 in /proc/self/cgroup: %m");
        if (asprintf(ret, "%s%s", mount_point, strcmp(own, "/") == 0 ? "" : own) < 0)
                return -ENOMEM;
        return 0;
}

static void tell_sweeper_v1(const char *path, bool made, void *userdata)
{
        const struct guest_cgroup *cg = userdata;

        (void)sweeper_send(cg->sweeper_fd, made ? SWEEP_CGROUP_V1 : SWEEP_MAKING, path);
}

/* Takes PATH, the guest's new v2 cgroup; adds its v1 ones on a hybrid host. */
static int open_guest_cgroup(char *path, const char *machine_name, struct guest_cgroup *ret)
{
        int r;

        if (!path)
                return -ENOMEM;
        ret->fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        r = ret->fd < 0 ? log_error_errno(-errno, "Cannot open cgroup %s: %m", path)
                        : cgroup_v1_create(machine_name, &ret->v1, tell_sweeper_v1, ret);
        if (r < 0) {
                if (ret->fd >= 0)
                        close(ret->fd);
                ret->fd = -1;
                (void)rmdir(path);
                free(path);
                return r;
        }
        ret->path = path;
        return 0;
}

int cgroup_create_guest(const char *machine_name, struct guest_cgroup *ret)
{
        _cleanup_free_ char *own = NULL, *path = NULL;
        int r;

        r = own_cgroup_path(&own);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/machine-%s", own, machine_name) < 0)
                return -ENOMEM;
        (void)sweeper_send(ret->sweeper_fd, SWEEP_MAKING, path);
        r = make_cgroup(path, machine_name);
        if (r < 0)
                return r;
        (void)sweeper_send(ret->sweeper_fd, SWEEP_CGROUP, path);
        return open_guest_cgroup(TAKE_PTR(path), machine_name, ret);
}

int cgroup_open_own(const char *machine_name, struct guest_cgroup *ret)
{
        char *path = NULL;
        int r = own_cgroup_path(&path);

        if (r < 0)
                return r;
        /* Not the sweeper's to remove, nor ours: its unit's, which systemd removes once
         * empty. */
        r = open_guest_cgroup(path, machine_name, ret);
        if (r >= 0)
                ret->own = true;
        return r;
}

int cgroup_create_at(const char *cgroup_path, const char *machine_name, struct guest_cgroup *ret)
{
        _cleanup_free_ char *base = NULL, *path = NULL;
        const char *relative = cgroup_path + strspn(cgroup_path, "/");
        int r;

        r = cgroup_path[0] == '/' ? find_cgroup2_mount(&base) : own_cgroup_path(&base);
        if (r < 0)
                return r == -ENOMEDIUM ? log_error_errno(r, "cgroup v2 is needed: no cgroup2 hierarchy is mounted") : r;
        if (asprintf(&path, "%s/%s", base, relative) < 0)
                return -ENOMEM;
        /* Its parents as needed (a runtime caller's libpod_parent, say): left after it. */
        for (char *p = path + strlen(base) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                r = mkdir(path, 0755) < 0 && errno != EEXIST ? negative_errno() : 0;
                *p = '/';
                if (r < 0)
                        return log_error_errno(r, "Cannot create the cgroups above %s: %m", path);
        }
        (void)sweeper_send(ret->sweeper_fd, SWEEP_MAKING, path);
        r = make_cgroup(path, machine_name);
        if (r < 0)
                return r;
        (void)sweeper_send(ret->sweeper_fd, SWEEP_CGROUP, path);
        return open_guest_cgroup(TAKE_PTR(path), machine_name, ret);
}

int cgroup_v2_path_of(int proc_fd, char **ret)
{
        _cleanup_free_ char *mount_point = NULL, *own = NULL;
        int r = cgroup_read_v2_path(proc_fd, "cgroup", &own);

        if (r >= 0)
                r = find_cgroup2_mount(&mount_point);
        if (r < 0)
                return r;
        if (asprintf(ret, "%s%s", mount_point, strcmp(own, "/") == 0 ? "" : own) < 0)
                return -ENOMEM;
        return 0;
}

int cgroup_write_file(const char *dir, const char *file, const char *value)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(value);

        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return write(fd, value, n) == (ssize_t)n ? 0 : negative_errno();
}

/* Hands every controller the unit has on to its children, one by one: one the kernel
 * refuses (a threaded-only one, say) must not keep the others from the guest. */
static void enable_controllers(const char *unit)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char controllers[1024], *name, *save = NULL;
        ssize_t n;

        if (asprintf(&path, "%s/cgroup.controllers", unit) < 0)
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, controllers, sizeof(controllers) - 1)) < 0)
                return;
        controllers[n] = '\0';
        for (name = strtok_r(controllers, " \n", &save); name; name = strtok_r(NULL, " \n", &save)) {
                char enable[64];

                snprintf(enable, sizeof(enable), "+%s", name);
                (void)cgroup_write_file(unit, "cgroup.subtree_control", enable);
        }
}

int cgroup_create_delegated(const char *machine_name, struct guest_cgroup *ret)
{
        _cleanup_free_ char *unit = NULL, *supervisor = NULL, *payload = NULL, *own = NULL;
        char *slash;
        int r;

        r = own_cgroup(&own);
        if (r >= 0 && strcmp(own, "/") == 0)
                return log_error_errno(-EINVAL,
                                       "--keep-unit: we run in the root cgroup, not in a unit's "
                                       "(start machined-lite from a unit with Delegate=yes, or drop --keep-unit)");
        r = own_cgroup_path(&unit);
        if (r < 0)
                return r;
        /* Already moved (a restart of ours inside the same unit): the unit is one up. */
        slash = strrchr(unit, '/');
        if (slash && strcmp(slash, "/supervisor") == 0)
                *slash = '\0';
        if (asprintf(&supervisor, "%s/supervisor", unit) < 0 || asprintf(&payload, "%s/payload", unit) < 0)
                return -ENOMEM;
        if (mkdir(supervisor, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create cgroup %s (does the unit have Delegate=yes?): %m",
                                       supervisor);
        r = cgroup_write_file(supervisor, "cgroup.procs", "0");
        if (r < 0)
                return log_error_errno(r, "Cannot move into cgroup %s: %m", supervisor);
        r = make_cgroup(payload, machine_name);
        if (r < 0)
                return r;
        /* With no process left in the unit's own cgroup, its controllers can go down. */
        enable_controllers(unit);
        return open_guest_cgroup(TAKE_PTR(payload), machine_name, ret);
}

int cgroup_chown(const struct guest_cgroup *cg, uid_t uid)
{
        static const char *const files[] = { "", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (fchownat(cg->fd, files[i], uid, uid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
        return 0;
}

int cgroup_kill(const struct guest_cgroup *cg)
{
        _cleanup_close_ int fd = -EBADF;

        if (cg->fd < 0)
                return 0;
        fd = openat(cg->fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return write(fd, "1", 1) == 1 ? 0 : negative_errno();
}

int cgroup_remove(struct guest_cgroup *cg)
{
        int r = 0;

        if (cg->path && !cg->own) {
                cgroup_wait_unpopulated(cg->fd);
                r = cgroup_remove_tree(AT_FDCWD, cg->path);
                if (r < 0)
                        r = log_error_errno(r, "Cannot remove cgroup %s: %m", cg->path);
        }
        cgroup_v1_remove(&cg->v1);
        free(cg->path);
        cg->path = NULL;
        if (cg->fd >= 0)
                close(cg->fd);
        cg->fd = -1;
        /* We cleaned up: the sweeper has nothing to do (else it tries again). */
        sweeper_release(&cg->sweeper_fd, r >= 0);
        return r;
}
