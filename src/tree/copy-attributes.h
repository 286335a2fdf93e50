/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/stat.h>

/* What a faithful copy (copy.h) keeps of each file besides its data. */

/* A file being copied: a name in a directory, and an fd when one is open on it (regular
 * files and directories); symlinks, devices, FIFOs and sockets are never opened. */
struct tree_entry {
        int dir_fd;
        const char *name;
        int fd;
};

/* Gives TO the owner and mode of ST and every xattr of FROM: user.*, trusted.*,
 * security.* (file capabilities among them) and the POSIX ACLs. 0, or -errno with the
 * step that failed in *RET_STEP ("changing the owner of", ..., for a message). */
int entry_copy_attributes(const struct tree_entry *from, const struct tree_entry *to, const struct stat *st,
                          const char **ret_step);

/* Gives TO the times of ST: 0 or -errno. Last, for a directory after its contents: each
 * change inside moves its mtime. */
int entry_copy_times(const struct tree_entry *to, const struct stat *st);
