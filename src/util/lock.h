/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* machined-lite's locks: open file description locks (fcntl F_OFD_SETLK) on files in
 * LOCK_DIR. No guest can reach them: a guest sees none of the host's /run, whereas an
 * abstract unix socket name lives in a network namespace that every guest without a
 * private network shares (a guest could squat the names). The kernel lets go of a lock
 * with the last fd of its open file, however its holder ends; a lock is tested without
 * being taken (F_OFD_GETLK), so looking never gets in the way of a starting machine. */
#define LOCK_DIR "/run/machined-lite/locks"
#define LOCK_NAME_MAX 128
#define LOCK_GUARD ".guard" /* in LOCK_DIR: see lock_release() */

/* Takes an exclusive (or, with !EXCLUSIVE, a shared) lock on bytes [START, START+LENGTH)
 * of LOCK_DIR/NAME, made if missing. Returns the fd that holds it (close-on-exec), or
 * -EBUSY (another holder's lock conflicts) or -errno. Byte ranges make one file the
 * lock of many things: a UID range locks its own span of UIDs, so that two ranges that
 * overlap conflict. */
int lock_take(const char *name, off_t start, off_t length, bool exclusive);

/* Lets go of the lock FD holds (closes it) and removes its file if nobody else holds any
 * lock on it now, so that LOCK_DIR keeps no file of every machine name and tree there
 * ever was; one that somebody holds stays. */
void lock_release(int fd);

static inline void lock_releasep(int *fd)
{
        lock_release(*fd);
}

/* The lock of the machine tree whose directory is DIR_FD (by its device and inode, so
 * that every path to it is one lock): exclusive for a machine that writes it or a tree
 * being replaced, shared for --read-only machines. As lock_take(). A lock on the
 * directory itself (flock) would be one the guest can take too: it is its root. */
int lock_tree(int dir_fd, bool exclusive);

/* Whether anybody holds a lock on any byte of LOCK_DIR/NAME's [START, START+LENGTH):
 * 1 or 0, or -errno (-EACCES: not root; the locks are root's alone, so that no user can
 * take one to block a machine from starting). */
int lock_held(const char *name, off_t start, off_t length);
