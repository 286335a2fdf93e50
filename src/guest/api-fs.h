/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-id128.h>

#include "config/machine.h"

/* The guest's file system, built in its own mount namespace before pivot_root, by the
 * helper of guest/fs-helper.c. Every
 * target is resolved inside the tree (see open_in_root()), and every function returns 0
 * or -errno. */

/* Propagation from us to the host is cut: nothing mounted from here on is seen there. */
int mount_cut_propagation(void);

/* Binds the tree (TREE_FD) onto itself (pivot_root needs a mount point), or attaches
 * ROOT_MOUNT (the idmapped copy the parent made, for a user namespace) there, and
 * returns an fd of the new mount's root. */
int mount_root(int tree_fd, int root_mount, int *ret_root_fd);

/* Makes the whole tree read-only (--read-only). */
int mount_root_read_only(int root_fd);

/* An overlay file system of the directories LOWER_FD, UPPER_FD and WORK_FD, created but
 * mounted nowhere: its fs context fd (fsmount(2) makes a mount of it), or -errno. */
int overlay_create(int lower_fd, int upper_fd, int work_fd);

/* --ephemeral, --volatile=overlay: an overlay on top of the root at *ROOT_FD, with the
 * tree as its lower layer, and one more on each file system mounted in the tree at
 * SUBMOUNTS (paths under the root, parents first: an image's /usr, /home, ...; NULL for
 * none), since an overlay does not reach into other mounts. Their upper and work
 * directories are made in LAYERS_DIR_FD (--ephemeral-dir's), or with -EBADF on a tmpfs
 * of their own, which nothing but the overlays hold: it is gone with the guest's mounts.
 * *ROOT_FD becomes the root overlay's. */
int mount_overlay_root(int *root_fd, int layers_dir_fd, char *const *submounts);

/* --volatile=state: the tree read-only, a tmpfs on /var. */
int mount_volatile_state(int root_fd);

/* --volatile=yes: a tmpfs becomes the root, with the tree's /usr in it, read-only.
 * *ROOT_FD becomes the tmpfs's. */
int mount_volatile_yes(int *root_fd);

/* --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro: the target resolved inside the
 * tree, created (a directory, or an empty file for a bind of a file), mounted; a read-only
 * bind is read-only before it is attached. An overlay's +PATH layers are resolved inside
 * TREE_FD, the tree as it is on disk (under --ephemeral's or --volatile's root). */
int mount_custom(int root_fd, int tree_fd, const struct custom_mount *c);

/* The mount point of C in the tree, made when missing; returns an O_PATH fd of it. */
int mount_custom_target(int root_fd, const struct custom_mount *c);

/* A fresh proc, of the PID namespace PIDNS_FD or (-1) of the one we are in, with the
 * kernel's knobs read-only and the files that leak host secrets masked. /dev must be set
 * up already (masks bind /dev/null). -ENOTSUP, with nothing mounted: the kernel cannot
 * mount a proc of another PID namespace than the caller's (before Linux 6.17). */
int mount_proc(int root_fd, int pidns_fd, bool private_network);

/* sysfs read-only (of the network namespace we are in), and at /sys/fs/cgroup a
 * writable cgroup2 of the cgroup namespace we are in. */
int mount_sys(int root_fd);

/* /run as a tmpfs, with /run/host/ of the Container Interface. */
int mount_run(int root_fd, sd_id128_t uuid);

/* Binds a datagram socket at /run/host/notify in the guest (after mount_run()) and
 * returns it, for the supervisor to read the guest init's READY=1 from. */
int mount_notify_socket(int root_fd);

/* /etc/resolv.conf and /etc/localtime follow the host's where the guest has none. */
int mount_etc_follow_host(int root_fd);

/* Enters the tree with pivot_root and detaches the host's root. */
int mount_pivot_root(int root_fd);
