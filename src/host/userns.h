/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "config/machine.h"

/* UID/GID ranges for --private-users: the guest's root is an unprivileged host UID. */

#define USERNS_RANGE_SIZE 0x10000U
/* Where `pick` looks, as systemd-nspawn does: above the UIDs of the host's users,
 * below the ones systemd keeps for itself. */
#define USERNS_PICK_FIRST 0x00080000U
#define USERNS_PICK_LAST 0x6FFF0000U

/* Chooses the range for M (pick: from its name, skipping ranges another machine of ours
 * holds; yes: the tree's owner) and takes a lock on it, held through *ret_lock_fd for
 * the machine's life. Logs and returns -errno on failure. */
int userns_choose(struct machine *m, int *ret_lock_fd);

/* From the parent: writes the child's uid_map and gid_map: M's range, with each
 * --bind-user's ID in it mapped to that user's host UID (GID) instead. */
int userns_write_maps(pid_t child, const struct machine *m);

/* A user namespace with one line of map, the same for UIDs and GIDs (INSIDE OUTSIDE
 * COUNT), for an idmapped mount: made by a child of ours that is gone when this returns.
 * Returns its fd or -errno. Needs CAP_SETUID and CAP_SETGID (host root). */
int userns_with_map(uid_t inside, uid_t outside, uint32_t count);

/* The detached mount MOUNT_FD (open_tree()'s; RECURSIVE: with the mounts below it)
 * idmapped through the user namespace USERNS_FD. Returns 0 or -errno. */
int userns_idmap_mount(int mount_fd, int userns_fd, bool recursive);

/* From the parent: a detached copy of the tree's mount (RECURSIVE: with the mounts
 * below it, as an image's /usr, /home...), idmapped so that the guest's root sees host
 * root's files as its own. Returns the mount fd or -errno. */
int userns_idmapped_root(const char *root, bool recursive, pid_t child);
