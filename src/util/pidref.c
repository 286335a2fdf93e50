/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A process named by PID and start time, and a pidfd of exactly that process: signals
 * never reach a process that reused the PID. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/macro.h"
#include "util/pidref.h"

int pid_start_time(pid_t pid, uint64_t *ret)
{
        char path[32], buf[1024], *p;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return errno == ESRCH ? -ESRCH : negative_errno();
        buf[n] = '\0';
        /* The command name (field 2) may hold spaces and parentheses: count from the
         * last ')'. Field 3 follows it; start time is field 22. */
        p = strrchr(buf, ')');
        for (int field = 2; p && field < 22; field++)
                p = strchr(p + 1, ' ');
        if (!p)
                return -EBADMSG;
        *ret = strtoull(p + 1, NULL, 10);
        return 0;
}

int pidfd_open_exact(pid_t pid, uint64_t start_time)
{
        uint64_t now;
        int fd, r;

        if (pid <= 0 || start_time == 0)
                return -ESRCH;
        fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return negative_errno();
        /* Read after the pidfd was taken: the pidfd names whatever process had PID then,
         * and a signal through it never reaches another. If that is the process of
         * START_TIME, the times match (or, had it been reaped since, /proc/PID is gone or
         * another's and they differ: then it is gone anyway). */
        r = pid_start_time(pid, &now);
        if (r >= 0 && now != start_time)
                r = -ESRCH;
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}
