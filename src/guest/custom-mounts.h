/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/custom-mount.h"

/* The command line's mounts in the guest's tree, by the helper of guest/fs-helper.c
 * before pivot_root. Every target is resolved inside the tree (see open_in_root()), and
 * every function returns -errno on failure. */

/* --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro: the target resolved inside the
 * tree, created (a directory, or an empty file for a bind of a file), mounted; a read-only
 * bind is read-only before it is attached. An overlay's +PATH layers are resolved inside
 * TREE_FD, the tree as it is on disk (under --ephemeral's or --volatile's root). */
int mount_custom(int root_fd, int tree_fd, const struct custom_mount *c);

/* The mount point of C in the tree, made when missing; returns an O_PATH fd of it. */
int mount_custom_target(int root_fd, const struct custom_mount *c);
