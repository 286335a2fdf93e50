/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signals to every process of a cgroup and below (host/cgroup-signal.h), for the verbs
 * that act on a running machine or container without a supervisor of theirs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/cgroup-signal.h"
#include "util/macro.h"

/* Whether PID is listed in the cgroup.procs file FILE. */
static bool cgroup_lists(const char *file, pid_t pid)
{
        FILE *f = fopen(file, "re");
        bool found = false;
        int listed;

        while (f && !found && fscanf(f, "%d", &listed) == 1)
                found = listed == pid;
        if (f)
                fclose(f);
        return found;
}

/* How deep cgroup_signal() goes: a guest's own cgroups nest a few levels (a guest systemd's
 * slices and services), a hostile guest's as deep as it likes. */
#define KILL_CGROUP_MAX_DEPTH 64

static int signal_at(const char *path, int sig, pid_t skip, unsigned depth)
{
        char file[PATH_MAX];
        DIR *d;
        FILE *f;
        int pid, n, r = 0;

        n = snprintf(file, sizeof(file), "%s/cgroup.procs", path);
        if (n < 0 || (size_t)n >= sizeof(file))
                return -ENAMETOOLONG;
        f = fopen(file, "re");
        while (f && fscanf(f, "%d", &pid) == 1) {
                _cleanup_close_ int pidfd = pid != skip ? (int)syscall(SYS_pidfd_open, pid, 0) : -EBADF;

                if (pidfd >= 0 && cgroup_lists(file, pid) && pidfd_send_signal(pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
                        r = negative_errno();
        }
        if (f)
                fclose(f);
        d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
                int q;

                /* (A guest may name its cgroups ".x": only . and .. are skipped.) */
                if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                n = snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
                /* Deeper than a path or our depth reaches: not followed (and said). */
                q = n < 0 || (size_t)n >= sizeof(file) || depth >= KILL_CGROUP_MAX_DEPTH
                            ? -ENAMETOOLONG
                            : signal_at(file, sig, skip, depth + 1);
                if (q < 0)
                        r = q;
        }
        if (d)
                closedir(d);
        return r;
}

int cgroup_signal(const char *path, int sig, pid_t skip)
{
        return signal_at(path, sig, skip, 0);
}

int cgroup_kill_all(const char *path)
{
        _cleanup_free_ char *file = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (asprintf(&file, "%s/cgroup.kill", path) < 0)
                return -ENOMEM;
        fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd >= 0 && write(fd, "1", 1) == 1)
                return 0;
        return cgroup_signal(path, SIGKILL, 0);
}
