/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>

/* A thread that asks the file system to write a tree out (syncfs()) whenever it is
 * kicked, while another process goes on writing it (import-tar's unpacking child): a
 * second CPU writes what the first has unpacked. The kernel would wait for 30 s or a
 * tenth of the memory to be dirty. A failure shows in the final sync, which the caller
 * checks; without the thread, that sync does it all: slower, as safe. */
struct writeback {
        int tree_fd;
        int kick_fd; /* an eventfd */
        bool stopping;
        bool started;
        pthread_t thread;
};

/* Starts the thread for the tree DIR, if it can. */
void writeback_start(struct writeback *w, const char *dir);

/* Asks for one more syncfs(), soon. */
void writeback_kick(struct writeback *w);

/* Waits for a syncfs() under way (it is not cut short), and ends the thread. */
void writeback_stop(struct writeback *w);
