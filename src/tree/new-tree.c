/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A new tree in /var/lib/machines, made whole or not at all, for import-tar and
 * bootstrap (new-tree.h): begun under a temporary name with the interrupts blocked,
 * committed by a rename, removed otherwise. Not what fills it, nor the sweep of dead
 * makers' trees (temp-tree.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/machine.h"
#include "tree/messages.h"
#include "tree/new-tree.h"
#include "tree/temp-tree.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/time.h"

/* ---- Interrupts ------------------------------------------------------------------ */

/* What stops an import or bootstrap: blocked while we work, so that we notice them
 * between steps (a signalfd) and remove the partial tree before we go. */
static const int interrupt_signals[] = { SIGINT, SIGTERM, SIGHUP };
static int interrupt_signal;

void interrupt_mask(sigset_t *mask)
{
        sigemptyset(mask);
        for (size_t i = 0; i < ELEMENTSOF(interrupt_signals); i++)
                sigaddset(mask, interrupt_signals[i]);
}

int new_tree_interrupt_signal(void)
{
        return interrupt_signal;
}

/* The interrupt waiting on SIGNAL_FD (non-blocking), or 0. */
int interrupt_pending(int signal_fd)
{
        struct signalfd_siginfo si;

        if (signal_fd < 0 || read(signal_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
                return 0;
        interrupt_signal = (int)si.ssi_signo;
        return interrupt_signal;
}

/* Waits for EVENTS on FD, or an interrupt, for at most TIMEOUT_MS: 1 ready, 0 timed
 * out, -EINTR. */
int wait_fd_or_interrupt(int fd, short events, int signal_fd, int timeout_ms)
{
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000;

        for (;;) {
                struct pollfd fds[] = {
                        { .fd = signal_fd, .events = POLLIN },
                        { .fd = fd, .events = events },
                };
                uint64_t now = now_usec();
                int n;

                if (now >= deadline)
                        return 0;
                n = poll(fds, ELEMENTSOF(fds), (int)((deadline - now + 999) / 1000));
                if (n < 0 && errno != EINTR)
                        return negative_errno();
                if (n > 0 && (fds[0].revents & POLLIN) && interrupt_pending(signal_fd))
                        return -EINTR;
                if (n > 0 && fds[1].revents)
                        return 1;
        }
}

/* ---- A new tree, made whole or not at all ---------------------------------------- */

int new_tree_begin(struct new_tree *t, const char *name, bool force)
{
        _cleanup_close_ int machines_fd = -EBADF;
        struct stat st;
        sigset_t mask;
        int r;

        /* First, so that no signal can come between making the temporary directory and
         * being ready to remove it. */
        interrupt_mask(&mask);
        if (sigprocmask(SIG_BLOCK, &mask, &t->saved_mask) < 0)
                return log_error_errno(negative_errno(), "Cannot block signals: %m");
        t->signals_blocked = true;
        t->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (t->signal_fd < 0)
                return log_error_errno(negative_errno(), "Cannot make a signalfd: %m");
        interrupt_signal = 0;

        t->name = strdup(name);
        if (!t->name || asprintf(&t->path, "%s/%s", MACHINES_DIR, name) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (mkdir(MACHINES_DIR, 0700) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "Cannot create %s: %m", MACHINES_DIR);
        if (lstat(t->path, &st) >= 0) {
                if (!force)
                        return log_error_errno(-EEXIST,
                                               "Machine %s exists already (%s): use --force to replace it, or another name",
                                               name, t->path);
                t->replace = true;
                /* The lock every machine holds on its tree (see supervisor.c): a tree in
                 * use is not pulled away from under its machine. */
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int dir = open(t->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                        if (dir < 0)
                                return log_error_errno(negative_errno(), "Cannot open %s: %m", t->path);
                        t->lock_fd = lock_tree(dir, true);
                        if (t->lock_fd == -EBUSY)
                                return log_error_errno(-EBUSY,
                                                       "Machine %s is running in %s: stop it before replacing its tree",
                                                       name, t->path);
                        if (t->lock_fd < 0)
                                return log_error_errno(t->lock_fd, "Cannot lock %s: %m", t->path);
                }
        } else if (errno != ENOENT)
                return log_error_errno(negative_errno(), "Cannot look at %s: %m", t->path);

        /* What killed makers left (SIGKILL, a crash) goes first: nobody else removes it. */
        temp_trees_sweep(MACHINES_DIR, NULL);
        machines_fd = open(MACHINES_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = machines_fd < 0 ? negative_errno() : temp_tree_make(machines_fd, MACHINES_DIR, name, &t->temp, &t->temp_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot create a temporary directory in %s: %m", MACHINES_DIR);
        /* mkdtemp() makes it 0700; a tree's root is 0755 unless the tarball says otherwise. */
        if (fchmod(t->temp_fd, 0755) < 0)
                return log_error_errno(negative_errno(), "Cannot chmod %s: %m", t->temp);
        return 0;
}

/* --force without RENAME_EXCHANGE (a file system that lacks it): the old tree is moved
 * aside, then the new one in; NAME is missing for a moment. */
static int new_tree_replace_in_steps(struct new_tree *t)
{
        _cleanup_free_ char *old = NULL;
        int r;

        if (asprintf(&old, "%s/.#%s.XXXXXX", MACHINES_DIR, t->name) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (!mkdtemp(old))
                return log_error_errno(negative_errno(), "Cannot create a temporary directory in %s: %m", MACHINES_DIR);
        /* rename() replaces the empty directory OLD. No sweep takes the old tree there
         * for a dead maker's: LOCK_FD, our lock on it as a machine's tree, is held. */
        if (rename(t->path, old) < 0) {
                r = negative_errno();
                (void)rmdir(old);
                return log_error_errno(r, "Cannot move the old tree %s aside: %m", t->path);
        }
        if (rename(t->temp, t->path) < 0) {
                r = negative_errno();
                (void)rename(old, t->path);
                return log_error_errno(r, "Cannot rename %s to %s: %m", t->temp, t->path);
        }
        free(t->temp);
        t->temp = NULL;
        t->committed = true;
        r = remove_tree_at(AT_FDCWD, old);
        if (r < 0)
                log_error_errno(r, "Replaced %s, but cannot remove its old tree, left in %s: %m", t->path, old);
        return 0;
}

int new_tree_commit(struct new_tree *t)
{
        char hint[PATH_MAX + 128];
        int r;

        /* All of it on disk before it gets its name: after a crash, NAME is the old tree or
         * the whole new one, never one with empty files. Through TEMP_FD, opened before
         * anything was written: syncfs() reports every write-back error since that fd was
         * opened (errseq), a fresh one's would miss those of the writing meanwhile. */
        if (syncfs(t->temp_fd) < 0) {
                r = negative_errno();
                if (is_write_error(r))
                        return log_error_errno(r, "Cannot write the tree of %s out to disk: %m (%s)", t->name,
                                               write_error_hint(r, MACHINES_DIR, hint, sizeof(hint)));
                return log_error_errno(r, "Cannot sync %s: %m", t->temp);
        }
        /* The last moment to change one's mind; after the rename, an interrupt comes too
         * late and is dropped (new_tree_done()). */
        if (interrupt_pending(t->signal_fd))
                return -EINTR;

        if (t->replace) {
                if (renameat2(AT_FDCWD, t->temp, AT_FDCWD, t->path, RENAME_EXCHANGE) >= 0) {
                        /* The old tree is now where the new one was built. */
                        r = remove_tree_at(AT_FDCWD, t->temp);
                        if (r < 0)
                                log_error_errno(r, "Replaced %s, but cannot remove its old tree, left in %s: %m",
                                                t->path, t->temp);
                        free(t->temp);
                        t->temp = NULL;
                        t->committed = true;
                        return 0;
                }
                if (errno == EINVAL || errno == ENOSYS)
                        return new_tree_replace_in_steps(t);
                if (errno != ENOENT)
                        return log_error_errno(negative_errno(), "Cannot swap %s for %s: %m", t->path, t->temp);
                /* ENOENT: the old tree went away meanwhile. */
        }
        r = renameat2(AT_FDCWD, t->temp, AT_FDCWD, t->path, RENAME_NOREPLACE);
        /* A file system without RENAME_NOREPLACE: as good as it gets without it. */
        if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
                struct stat st;

                r = lstat(t->path, &st) >= 0 ? (errno = EEXIST, -1) : rename(t->temp, t->path);
        }
        if (r < 0) {
                if (errno == EEXIST)
                        return log_error_errno(-EEXIST,
                                               "Machine %s appeared in %s while this one was made: use --force to replace it",
                                               t->name, t->path);
                return log_error_errno(negative_errno(), "Cannot rename %s to %s: %m", t->temp, t->path);
        }
        free(t->temp);
        t->temp = NULL;
        t->committed = true;
        return 0;
}

/* Removes the temporary tree unless it was committed; then lets the signals through
 * again. Safe to call twice. */
void new_tree_done(struct new_tree *t)
{
        if (t->temp) {
                int r = remove_tree_at(AT_FDCWD, t->temp);

                if (r < 0)
                        log_error_errno(r, "Cannot remove the partial tree %s: %m", t->temp);
                free(t->temp);
                t->temp = NULL;
        }
        /* Only now, with the partial tree gone: its lock says it is still wanted. */
        if (t->temp_fd >= 0)
                close(t->temp_fd);
        t->temp_fd = -EBADF;
        free(t->name);
        free(t->path);
        t->name = t->path = NULL;
        if (t->lock_fd >= 0)
                close(t->lock_fd);
        if (t->signal_fd >= 0)
                close(t->signal_fd);
        t->lock_fd = t->signal_fd = -EBADF;
        if (t->signals_blocked) {
                const struct timespec zero = {};
                sigset_t mask;

                /* Once the tree is there, an interrupt that came since is not for us:
                 * the work it meant to stop is done. */
                interrupt_mask(&mask);
                while (t->committed && sigtimedwait(&mask, NULL, &zero) > 0)
                        ;
                (void)sigprocmask(SIG_SETMASK, &t->saved_mask, NULL);
        }
        t->signals_blocked = false;
}

int new_tree_interrupted(struct new_tree *t, const char *made)
{
        new_tree_done(t);
        return log_error_errno(-EINTR, "Interrupted by SIG%s: the partial tree is removed; nothing was %s",
                               sigabbrev_np(interrupt_signal) ?: "?", made);
}
