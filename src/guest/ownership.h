/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* --private-users-ownership=chown: moves every file of the tree at ROOT (owners, groups,
 * the IDs in POSIX ACLs) from the 64K range its root directory's owner starts to the
 * one starting at BASE, keeping setuid bits and file capabilities; IDs outside that
 * range are left as they are. Does nothing when the tree is there already. Logs and
 * returns -errno on failure. */
int ownership_shift_tree(const char *root, uid_t base);
