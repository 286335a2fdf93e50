/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hostile guest's probe (test-locks.sh): binds the abstract unix socket names that
 * machined-lite once used as its locks, the name lock of machine argv[1] and every UID
 * range lock, prints how many it holds and sleeps, holding them. With --flock DIR, it
 * holds an exclusive flock(2) on DIR instead (once, a tree's lock). Where machined-lite's
 * locks are out of a guest's reach, holding these changes nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int squat(const char *name)
{
        struct sockaddr_un address = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        size_t n = strlen(name);

        if (fd < 0 && errno == EMFILE) {
                /* Out of fds: a child carries on with a table of its own; the names the
                 * parent bound stay bound by the parent. */
                pid_t child = fork();

                if (child > 0) {
                        for (;;)
                                pause();
                }
                if (child == 0)
                        close_range(3, ~0U, 0);
                fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        }
        if (fd < 0 || n + 1 >= sizeof(address.sun_path))
                return 0;
        memcpy(address.sun_path + 1, name, n);
        if (bind(fd, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0) {
                close(fd);
                return 0;
        }
        return 1; /* the fd stays open: the name stays bound */
}

int main(int argc, char *argv[])
{
        char name[108];
        unsigned held = 0;

        if (argc < 2)
                return 2;
        if (strcmp(argv[1], "--flock") == 0) {
                int fd = argc > 2 ? open(argv[2], O_RDONLY | O_DIRECTORY) : -1;

                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                        return 1;
                printf("locked %s\n", argv[2]);
                fflush(stdout);
                for (;;)
                        pause();
        }
        snprintf(name, sizeof(name), "machined-lite/machine/%s", argv[1]);
        held += (unsigned)squat(name);
        for (unsigned base = 0x00080000U; base < 0x6FFF0000U; base += 0x10000U) {
                snprintf(name, sizeof(name), "machined-lite/userns/%08x", base);
                held += (unsigned)squat(name);
        }
        printf("squatted %u names\n", held);
        fflush(stdout);
        for (;;)
                pause();
}
