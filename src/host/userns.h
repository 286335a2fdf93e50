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

/* From the parent: writes the child's uid_map and gid_map. */
int userns_write_maps(pid_t child, uid_t base, uint32_t count);

/* From the parent: a detached copy of the tree's mount (RECURSIVE: with the mounts
 * below it, as an image's /usr, /home...), idmapped so that the guest's root sees host
 * root's files as its own. Returns the mount fd or -errno. */
int userns_idmapped_root(const char *root, bool recursive, pid_t child);
