/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* --template: makes the tree TARGET (which must not exist) a copy of the tree SOURCE,
 * the fastest faithful way the file systems allow: a btrfs snapshot when SOURCE is a
 * subvolume and TARGET on the same btrfs, else file by file with reflinks where the file
 * system can (FICLONE), else a copy that keeps owners, modes, times, xattrs, ACLs, file
 * capabilities, character device nodes (not block ones: skipped, one line says which),
 * sockets, FIFOs, symlinks and hard links. Built under a locked temporary name next to
 * TARGET (temp-tree.h), synced and renamed at the end, removed on failure; progress on
 * stderr unless QUIET (see progress.h). Logs one line and returns -errno on failure. */
int copy_tree(const char *source, const char *target, bool quiet);
