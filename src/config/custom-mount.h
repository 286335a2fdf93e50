/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/machine.h"

/* Parsing of the command line's mounts, with systemd-nspawn's syntax: "\:" stands for a
 * colon inside a path. On a bad value they return -EINVAL with one line in ERROR. */

/* One more mount of M's, zeroed; NULL without memory. */
struct custom_mount *custom_mount_add(struct machine *m);

/* A path inside the guest: absolute, not /, no "..", so that it reads the same to everyone. */
bool guest_path_is_valid(const char *path);

/* --inaccessible=PATH: an inaccessible node of the same kind over PATH in the guest. */
int custom_mount_parse_inaccessible(const char *value, struct machine *m, char *error, size_t error_size);

/* --bind=SOURCE[:DESTINATION[:rbind|norbind]], --bind-ro= (READ_ONLY). */
int custom_mount_parse_bind(const char *value, bool read_only, struct machine *m, char *error, size_t error_size);

/* --tmpfs=PATH[:OPTIONS] (default mode=0755). */
int custom_mount_parse_tmpfs(const char *value, struct machine *m, char *error, size_t error_size);

/* --overlay=LOWER...:UPPER[:DESTINATION], --overlay-ro= (READ_ONLY), as systemd-nspawn(1)
 * has them: of two paths the second is the upper layer and the destination; of more,
 * the last is the destination and the others the layers, lowest first. A layer is an
 * absolute host path or +PATH in the tree; an empty upper layer (writable only) is a
 * temporary one. Read-only, every layer is a lower one. */
int custom_mount_parse_overlay(const char *value, bool read_only, struct machine *m, char *error, size_t error_size);

/* The first writable overlay's upper layer that is +PATH in the tree, or NULL. */
const char *custom_mount_upper_in_tree(const struct machine *m);

/* Opens an overlay layer, O_PATH: +PATH resolved inside the tree TREE_FD (never through a
 * link out of it), else the host path. Returns the fd or -errno. */
int custom_mount_open_layer(int tree_fd, const char *layer);

/* Every overlay layer must be a directory before anything starts: logs one line naming
 * the first that is not, and returns -errno. TREE_FD: the tree, for +PATH. */
int custom_mounts_check_overlays(const struct machine *m, int tree_fd);


/* --volatile[=yes|state|overlay|no]: NULL is yes. Returns the mode or -EINVAL. */
int volatile_mode_from_string(const char *s);
