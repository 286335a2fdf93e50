/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The crash sweeper: a process of its own, outside the guest, that outlives a supervisor
 * killed with SIGKILL and removes what it left (the guest's cgroups, directories, the
 * state file). It does nothing after a supervisor that cleaned up itself. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/cgroup.h"
#include "host/state.h"
#include "host/sweeper.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/proctitle.h"
#include "util/strv.h"

/* One write of at most PIPE_BUF bytes: the sweeper reads it whole or not at all. */
int sweeper_send(int sweeper_fd, char kind, const char *path)
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

void sweeper_release(int *sweeper_fd, bool cleaned)
{
        if (*sweeper_fd < 0)
                return;
        if (cleaned)
                (void)!write(*sweeper_fd, (char[]){ SWEEP_CLEANED }, 1);
        close(*sweeper_fd);
        *sweeper_fd = -1;
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
        _cleanup_(lock_releasep) int name_lock = -EBADF;

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
                        return; /* a newer machine of that name runs: its own now */
                (void)rmdir(path);
        }
}

static int remove_tree(const char *path)
{
        return remove_tree_at(AT_FDCWD, path);
}

/* A v1 cgroup of the guest's, with those a legacy-mode guest systemd made in it: the
 * supervisor may have died in it (it steps in to clone the guest), and the kernel may call
 * it busy until that process is wholly gone. */
static int rmdir_cgroup_v1(const char *path)
{
        for (int i = 0; i < 600; i++) {
                int r = cgroup_remove_tree(AT_FDCWD, path);

                if (r != -EBUSY)
                        return r;
                (void)usleep(100000);
        }
        return -EBUSY;
}

_noreturn_ static void sweeper_main(struct guest_cgroup *cg, const char *machine_name, char *const *leftovers,
                                    void (*swept)(void *userdata), void *userdata, int pipe_fd)
{
        struct sweep w = { .cgroup = cg };
        bool guest_left = false;

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
                cgroup_wait_unpopulated(cg->fd);
                guest_left = cgroup_is_populated(cg->fd) != 0;
        }
        /* What needs no more than the guest's processes gone (its state file, a zone's
         * bridge): now, not after the waits below for the host's init to reap it; but
         * while one is left (stuck in D state), not before those waits either. */
        if (swept && !guest_left)
                swept(userdata);
        if (cg->fd >= 0 && same_cgroup(cg->fd, cg->path)) {
                /* The guest's PID 1 is no child of ours: until the host's init reaps it,
                 * the kernel may still call the cgroup busy. Keep trying for a minute. */
                for (int i = 0; i < 600 && same_cgroup(cg->fd, cg->path); i++) {
                        if (cgroup_remove_tree(AT_FDCWD, cg->path) != -EBUSY)
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
        if (swept && guest_left)
                swept(userdata);
        _exit(0);
}

int sweeper_add(const struct guest_cgroup *cg, const char *leftover)
{
        return sweeper_send(cg->sweeper_fd, SWEEP_LEFTOVER, leftover);
}

int sweeper_start(struct guest_cgroup *cg, const char *machine_name, char *const *leftovers,
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
