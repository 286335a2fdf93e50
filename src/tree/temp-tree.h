/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Temporary trees: the directories DIR/.#NAME.XXXXXX in which import-tar, bootstrap and
 * --template build a new tree before renaming it to DIR/NAME. Each is locked (flock(2),
 * LOCK_EX) by its maker from the moment it exists until the maker is gone, so that one
 * whose maker was killed (SIGKILL, a crash, a power cut) can be told from one still being
 * built, and removed by the next maker (temp_trees_sweep()). A flock, not an abstract
 * socket: it lives on the directory's inode, which no guest can reach. */

/* Makes PARENT/.#NAME.XXXXXX (mode 0700) in the directory PARENT_FD, locked: returns its
 * path in *RET_PATH and an fd on it, which holds the lock until closed, in *RET_FD. The
 * maker's lock is taken before any sweep can see the directory. -errno. */
int temp_tree_make(int parent_fd, const char *parent, const char *name, char **ret_path, int *ret_fd);

/* Locks the directory PARENT_FD against sweeps and other makers while a temporary tree's
 * name is briefly without a locked directory (a btrfs snapshot takes the place of the
 * mkdtemp()ed one); returns the lock's fd, -errno. Held for moments only. */
int temp_trees_hold(int parent_fd);

/* Locks the temporary tree FD for its maker: 0, or -EBUSY when another holds it. */
int temp_tree_lock(int fd);

/* Removes every temporary tree in DIR whose lock nobody holds (its maker is gone), and a
 * bootstrap's log next to it (.#NAME.XXXXXX.log). Only directories named as ours, never
 * one that is a mount point, never into another mount. Says how many in one line (an
 * informational one); failures are told and otherwise ignored: the caller's own work
 * does not depend on them. With ONLY_NAME, only those of that name (.#ONLY_NAME.XXXXXX):
 * in a directory of the user's, where nothing else of ours is looked for. */
void temp_trees_sweep(const char *dir, const char *only_name);
