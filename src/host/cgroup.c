/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/cgroup.h"
#include "util/log.h"
#include "host/state.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/mountinfo.h"
#include "util/path.h"
#include "util/proctitle.h"
#include "util/strv.h"


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

/* 1 if a process is in the cgroup or below, 0 if not, -errno. */
static int cgroup_is_populated(int cgroup_fd)
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
static void wait_unpopulated(int cgroup_fd)
{
        _cleanup_close_ int fd = openat(cgroup_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);

        for (int i = 0; fd >= 0 && i < 100 && cgroup_is_populated(cgroup_fd) > 0; i++) {
                struct pollfd p = { .fd = fd, .events = POLLPRI };

                (void)poll(&p, 1, 100);
        }
}

/* Removes a cgroup and the ones the guest made inside it, deepest first: a guest
 * systemd leaves init.scope and its slices behind when it dies. */
static int rmdir_cgroup_tree(int parent_fd, const char *name)
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
                        (void)rmdir_cgroup_tree(dirfd(dir), entry->d_name);
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
        r = rmdir_cgroup_tree(AT_FDCWD, path);
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
                return log_error_errno(r, "cgroup v2 is needed: no cgroup2 hierarchy is mounted "
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

/* What the supervisor tells the sweeper of as it makes it (sweeper_send()): a kind, then
 * a path ending in NUL, in one write. */
enum {
        SWEEP_CLEANED = 'c',     /* no path: the supervisor cleaned up itself */
        SWEEP_LEFTOVER = 'l',    /* a directory to remove after the guest */
        SWEEP_CGROUP = 'g',      /* the guest's cgroup v2 */
        SWEEP_CGROUP_V1 = 'v',   /* one of its cgroups on a v1 hierarchy */
        SWEEP_MAKING = 'm',      /* one of them about to be made: if we are killed in
                                  * mkdir(2), it exists with no word of it after */
};

/* One write of at most PIPE_BUF bytes: the sweeper reads it whole or not at all. */
static int sweeper_send(int sweeper_fd, char kind, const char *path)
{
        size_t length = strlen(path) + 1;
        char message[PIPE_BUF];

        if (sweeper_fd < 0)
                return 0;
        if (length + 1 > sizeof(message))
                return -ENAMETOOLONG;
        message[0] = kind;
        memcpy(message + 1, path, length);
        return write(sweeper_fd, message, length + 1) == (ssize_t)(length + 1) ? 0 : negative_errno();
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

static int write_cgroup_file(const char *dir, const char *file, const char *value)
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
                (void)write_cgroup_file(unit, "cgroup.subtree_control", enable);
        }
}

int cgroup_create_delegated(const char *machine_name, struct guest_cgroup *ret)
{
        _cleanup_free_ char *unit = NULL, *supervisor = NULL, *payload = NULL, *own = NULL;
        char *slash;
        int r;

        r = own_cgroup(&own);
        if (r >= 0 && strcmp(own, "/") == 0)
                return log_error_errno(-EINVAL, "--keep-unit: we run in the root cgroup, not in a unit's "
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
                return log_error_errno(-errno, "Cannot create cgroup %s (does the unit have Delegate=yes?): %m", supervisor);
        r = write_cgroup_file(supervisor, "cgroup.procs", "0");
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

        if (cg->path) {
                wait_unpopulated(cg->fd);
                r = rmdir_cgroup_tree(AT_FDCWD, cg->path);
                if (r < 0)
                        r = log_error_errno(r, "Cannot remove cgroup %s: %m", cg->path);
        }
        cgroup_v1_remove(&cg->v1);
        free(cg->path);
        cg->path = NULL;
        if (cg->fd >= 0)
                close(cg->fd);
        cg->fd = -1;
        if (cg->sweeper_fd >= 0) {
                /* We cleaned up: the sweeper has nothing to do (else it tries again). */
                if (r >= 0)
                        (void)!write(cg->sweeper_fd, "c", 1);
                close(cg->sweeper_fd);
        }
        cg->sweeper_fd = -1;
        return r;
}

/* Whether PATH still names the very cgroup FD is open on. */
static bool same_cgroup(int fd, const char *path)
{
        struct stat a, b;

        return fstat(fd, &a) >= 0 && stat(path, &b) >= 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A directory the sweeper removes after the guest, as it was when it was told of it. */
struct leftover {
        char *path;
        struct stat st;
};

static void add_leftover(struct leftover **list, size_t *n, char *path)
{
        struct leftover *grown = path ? realloc(*list, (*n + 1) * sizeof(**list)) : NULL;

        if (!grown)
                return;
        *list = grown;
        grown[*n].path = path;
        if (stat(path, &grown[*n].st) >= 0)
                (*n)++;
}

struct sweep {
        struct guest_cgroup *cgroup;
        struct leftover *leftovers, *v1;
        size_t n_leftovers, n_v1;
        char **making;
};

static void take_message(struct sweep *w, char kind, const char *path)
{
        char title[PATH_MAX + 16];

        if (kind == SWEEP_LEFTOVER)
                add_leftover(&w->leftovers, &w->n_leftovers, strdup(path));
        else if (kind == SWEEP_MAKING)
                (void)strv_extend(&w->making, path);
        else if (kind == SWEEP_CGROUP_V1)
                add_leftover(&w->v1, &w->n_v1, strdup(path));
        else if (kind == SWEEP_CGROUP && !w->cgroup->path && (w->cgroup->path = strdup(path))) {
                /* Held by fd: only that very cgroup is swept, not one made anew later. */
                w->cgroup->fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                snprintf(title, sizeof(title), "ml-sweeper %s", path);
                proctitle_set(title);
        }
}

/* Reads the supervisor's messages until it is done (1) or gone (0). */
static int read_messages(int pipe_fd, struct sweep *w)
{
        char byte, kind = 0, path[PATH_MAX];
        size_t length = 0;
        ssize_t got;

        for (;;) {
                got = read(pipe_fd, &byte, 1);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got != 1)
                        return 0;
                if (!kind && byte == SWEEP_CLEANED)
                        return 1;
                if (!kind) {
                        kind = byte;
                        length = 0;
                } else if (byte == '\0' || length == sizeof(path) - 1) {
                        path[length] = '\0';
                        take_message(w, kind, path);
                        kind = 0;
                } else
                        path[length++] = byte;
        }
}

/* Removes each directory of LIST that is still the one it was (REMOVE on its path). */
static void remove_same(const struct leftover *list, size_t n, int (*remove)(const char *path))
{
        for (size_t i = 0; i < n; i++) {
                struct stat st;

                if (stat(list[i].path, &st) >= 0 && st.st_dev == list[i].st.st_dev && st.st_ino == list[i].st.st_ino)
                        (void)remove(list[i].path);
        }
}

/* Whether PATH is one of LIST's. */
static bool listed(const struct leftover *list, size_t n, const char *path)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(list[i].path, path) == 0)
                        return true;
        return false;
}

/* The cgroups we were killed in the middle of making: no word came of them after, so
 * they are known by name only. Ours while nobody holds the machine's name: with it held,
 * nobody can make them anew, and an empty one is removed (rmdir takes no other). */
static void remove_half_made(const struct sweep *w, const char *machine_name)
{
        _cleanup_close_ int name_lock = -EBADF;

        for (size_t i = 0; w->making && w->making[i]; i++) {
                const char *path = w->making[i];

                if ((w->cgroup->path && strcmp(path, w->cgroup->path) == 0) || listed(w->v1, w->n_v1, path))
                        continue;
                /* Our supervisor's own lock may go a moment after its pipe did. */
                for (int try = 0; name_lock < 0 && try < 100; try++) {
                        name_lock = state_lock(machine_name);
                        if (name_lock < 0)
                                (void)usleep(10000);
                }
                if (name_lock < 0)
                        return;  /* a newer machine of that name runs: its own now */
                (void)rmdir(path);
        }
}

static int remove_tree(const char *path)
{
        return remove_tree_at(AT_FDCWD, path);
}

/* A v1 cgroup of the guest's: the supervisor may have died in it (it steps in to clone
 * the guest), and the kernel may call it busy until that process is wholly gone. */
static int rmdir_cgroup_v1(const char *path)
{
        for (int i = 0; i < 600; i++) {
                if (rmdir(path) >= 0)
                        return 0;
                if (errno != EBUSY)
                        return errno == ENOENT ? 0 : negative_errno();
                (void)usleep(100000);
        }
        return -EBUSY;
}

_noreturn_ static void sweeper_main(struct guest_cgroup *cg, const char *machine_name, char *const *leftovers,
                                    void (*swept)(void *userdata), void *userdata, int pipe_fd)
{
        struct sweep w = { .cgroup = cg };

        proctitle_set("ml-sweeper");
        (void)close_range(3, (unsigned)pipe_fd - 1, 0);
        (void)close_range((unsigned)pipe_fd + 1, ~0U, 0);
        /* Started before the guest's cgroups exist: they are told of as they are made. */
        free(cg->path);
        cg->path = NULL;
        cg->fd = -1;
        /* Each leftover as it is now: only that very directory is removed later. */
        for (size_t i = 0; leftovers && leftovers[i]; i++)
                add_leftover(&w.leftovers, &w.n_leftovers, strdup(leftovers[i]));
        if (read_messages(pipe_fd, &w) > 0)
                _exit(0);
        /* Gone already, or made anew by a newer machine of the same name: nothing of ours
         * to sweep. */
        if (cg->fd >= 0 && same_cgroup(cg->fd, cg->path)) {
                (void)cgroup_kill(cg);
                wait_unpopulated(cg->fd);
                /* The guest's PID 1 is no child of ours: until the host's init reaps it,
                 * the kernel may still call the cgroup busy. Keep trying for a minute. */
                for (int i = 0; i < 600 && same_cgroup(cg->fd, cg->path); i++) {
                        if (rmdir_cgroup_tree(AT_FDCWD, cg->path) != -EBUSY)
                                break;
                        (void)usleep(100000);
                }
        }
        /* The guest's processes are gone from every hierarchy with its v2 cgroup (or it
         * never ran: killed before its v2 cgroup was told of). */
        remove_same(w.v1, w.n_v1, rmdir_cgroup_v1);
        remove_half_made(&w, machine_name);
        /* Now that nothing of the guest holds them. */
        remove_same(w.leftovers, w.n_leftovers, remove_tree);
        if (swept)
                swept(userdata);
        _exit(0);
}

int cgroup_sweeper_add(const struct guest_cgroup *cg, const char *leftover)
{
        return sweeper_send(cg->sweeper_fd, SWEEP_LEFTOVER, leftover);
}

int cgroup_start_sweeper(struct guest_cgroup *cg, const char *machine_name, char *const *leftovers,
                         void (*swept)(void *userdata), void *userdata)
{
        int pipe_fds[2], status;
        pid_t pid;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                int r = negative_errno();

                close(pipe_fds[0]);
                close(pipe_fds[1]);
                return r;
        }
        if (pid == 0) {
                /* Forked twice, so that the sweeper is nobody's child here (the guest's
                 * leader is our only child) and lives on in a session of its own, away
                 * from the terminal's Ctrl-C and hangup. */
                close(pipe_fds[1]);
                if (setsid() < 0 || fork() != 0)
                        _exit(0);
                sweeper_main(cg, machine_name, leftovers, swept, userdata, pipe_fds[0]);
        }
        close(pipe_fds[0]);
        (void)waitpid(pid, &status, 0);
        cg->sweeper_fd = pipe_fds[1];
        return 0;
}
