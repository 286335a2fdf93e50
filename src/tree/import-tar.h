/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Unpacks the tarball INPUT ("-": stdin), compressed or not (gzip, xz, zstd, bzip2,
 * lz4, told by content), with libarchive into /var/lib/machines/NAME, keeping owners
 * (numeric IDs), modes, times, xattrs, ACLs, file capabilities, file flags, device nodes
 * and hard links. An entry that would land outside the tree (an absolute path, "..",
 * or a path through a symlink in the tree) fails the whole import. Made whole or not at
 * all (new-tree.h, which says what it returns). */
int import_tar(const char *input, const char *name, bool force, bool quiet);
