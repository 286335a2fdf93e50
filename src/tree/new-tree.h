/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <signal.h>
#include <stdbool.h>

/* New machine trees in /var/lib/machines, made whole or not at all: each is built in a
 * temporary directory /var/lib/machines/.#NAME.XXXXXX (temp-tree.h) and renamed to NAME
 * at the end; on failure, or on SIGINT, SIGTERM or SIGHUP (blocked meanwhile, and
 * watched), the temporary directory is removed. With FORCE an existing tree of that
 * name is replaced (swapped for the new one, then removed), unless a running machine
 * holds it. For import-tar and bootstrap; --template copies on its own (copy.h).
 *
 * These log one line on failure and return -errno: -EEXIST when NAME exists (without
 * force), -EBUSY when a machine uses it, -EINTR when a signal stopped the work (then
 * new_tree_interrupt_signal() says which). */
struct new_tree {
        char *name;
        char *path;     /* /var/lib/machines/NAME */
        char *temp;     /* where it is built; NULL once renamed to PATH */
        int temp_fd;    /* on TEMP's tree, locked while it is built (temp-tree.h) */
        bool replace;   /* --force, and PATH exists */
        bool committed; /* the new tree is PATH now */
        int lock_fd;    /* the tree PATH had, locked against machines */
        int signal_fd;  /* the interrupts, blocked meanwhile */
        sigset_t saved_mask;
        bool signals_blocked;
};

#define NEW_TREE_INIT                                                     \
        {                                                                 \
                .temp_fd = -EBADF, .lock_fd = -EBADF, .signal_fd = -EBADF \
        }

/* Blocks the interrupts (watched on T->signal_fd from then on) and makes T->temp, where
 * the tree NAME is to be built. */
int new_tree_begin(struct new_tree *t, const char *name, bool force);

/* Syncs the tree and renames it to T->path (swapping it for the old one with FORCE). */
int new_tree_commit(struct new_tree *t);

/* Removes the temporary tree unless it was committed; then lets the signals through
 * again. Safe to call twice. */
void new_tree_done(struct new_tree *t);

/* After -EINTR: new_tree_done(), and the line that says what stopped the work and that
 * nothing was MADE ("imported", "made"). Returns -EINTR. */
int new_tree_interrupted(struct new_tree *t, const char *made);

/* The signal that made import_tar() or bootstrap_tree() return -EINTR. */
int new_tree_interrupt_signal(void);

/* The interrupts (SIGINT, SIGTERM, SIGHUP), in MASK: for a child to unblock them. */
void interrupt_mask(sigset_t *mask);

/* The interrupt waiting on SIGNAL_FD (a new tree's signal_fd; -1 for none), or 0. */
int interrupt_pending(int signal_fd);

/* Waits for EVENTS on FD, or an interrupt on SIGNAL_FD, for at most TIMEOUT_MS: 1
 * ready, 0 timed out, -EINTR, or another -errno. */
int wait_fd_or_interrupt(int fd, short events, int signal_fd, int timeout_ms);
