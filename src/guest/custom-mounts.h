/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config/custom-mount.h"

/* The command line's mounts in the guest's tree, by the helper of guest/fs-helper.c
 * before pivot_root. Every target is resolved inside the tree (see open_in_root()), and
 * every function returns -errno on failure. */

/* --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro: the target resolved inside the
 * tree, created (a directory, or an empty file for a bind of a file), mounted; a read-only
 * bind is read-only before it is attached. An overlay's +PATH layers are resolved inside
 * TREE_FD, the tree as it is on disk (under --ephemeral's or --volatile's root). */
/* Whose IDs a bind maps to (--bind=...:idmap, rootidmap, owneridmap). */
struct guest_ids {
        bool userns;     /* the guest has a user namespace (-U) */
        uid_t base;      /* the host UID of the guest's root: its range's first, or 0 */
        pid_t guest_pid; /* the guest, whose user namespace idmap maps through */
};

int mount_custom(int root_fd, int tree_fd, const struct custom_mount *c, const struct guest_ids *ids);

/* The mount point of C in the guest's root ROOT_FD, made when missing (like a bind's
 * source, +PATH in that root: a directory or a file); returns an O_PATH fd of it. */
int mount_custom_target(int root_fd, const struct custom_mount *c);
