/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The thread that writes a tree out while it is being written (writeback.h). Not the
 * final sync before the rename, which is the tree maker's (new-tree.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tree/writeback.h"

static void *writeback_thread(void *userdata)
{
        struct writeback *w = userdata;

        for (;;) {
                uint64_t n;

                if (read(w->kick_fd, &n, sizeof(n)) != (ssize_t)sizeof(n)) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (__atomic_load_n(&w->stopping, __ATOMIC_ACQUIRE))
                        break;
                /* A failure shows in the final sync, which is checked. */
                (void)syncfs(w->tree_fd);
        }
        return NULL;
}

/* Without the thread, the final sync does it all: slower, as safe. */
void writeback_start(struct writeback *w, const char *dir)
{
        *w = (struct writeback){ .tree_fd = -EBADF, .kick_fd = -EBADF };
        w->tree_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        w->kick_fd = eventfd(0, EFD_CLOEXEC);
        if (w->tree_fd >= 0 && w->kick_fd >= 0 && pthread_create(&w->thread, NULL, writeback_thread, w) == 0)
                w->started = true;
}

void writeback_kick(struct writeback *w)
{
        uint64_t one = 1;

        if (w->started)
                (void)!write(w->kick_fd, &one, sizeof(one));
}

/* Waits for a syncfs() under way: it is not cut short. */
void writeback_stop(struct writeback *w)
{
        if (w->started) {
                __atomic_store_n(&w->stopping, true, __ATOMIC_RELEASE);
                writeback_kick(w);
                (void)pthread_join(w->thread, NULL);
        }
        if (w->tree_fd >= 0)
                close(w->tree_fd);
        if (w->kick_fd >= 0)
                close(w->kick_fd);
        *w = (struct writeback){ .tree_fd = -EBADF, .kick_fd = -EBADF };
}
