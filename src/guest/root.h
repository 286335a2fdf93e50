/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* The guest's root, built in its own mount namespace before pivot_root by the helper of
 * guest/fs-helper.c: the tree, the layers --ephemeral and --volatile stack on it, and a
 * read-only root. Every target is resolved inside the tree (see open_in_root()), and
 * every function returns 0 or -errno. */

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

/* What the guest's other mounts (api-fs.c, custom-mounts.c) build on. */

/* A fresh tmpfs with OPTIONS ("mode=0755"), nosuid and nodev, not attached anywhere yet
 * (a detached mount): its fd, or -errno. Its root is owned by our file system IDs. */
int tmpfs_detached(const char *options);

/* The detached mount MNT, its ATTRIBUTES (MOUNT_ATTR_*, 0 for none) set before, attached
 * on TARGET (an O_PATH fd): never seen without them. Returns 0 or -errno. */
int mount_attach(int mnt, int target, uint64_t attributes);

/* Sets ATTRIBUTES (MOUNT_ATTR_*) on the mount at FD; FLAGS: AT_RECURSIVE or 0. */
int mount_set_attributes(int fd, uint64_t attributes, unsigned flags);

/* mount_setattr(2) with attributes SET and CLEAR and a PROPAGATION type (0: as it is) on
 * the mount FD, AT_RECURSIVE in FLAGS for each mount below it too. */
int mount_change_attributes(int fd, uint64_t set, uint64_t clear, uint64_t propagation, unsigned flags);

/* Mounts a new file system of TYPE at PATH inside the tree, creating the directory. */
int mount_fs_in_root(int root_fd, const char *path, const char *type, unsigned long flags, const char *options);
/* The same with mount(2)'s SOURCE (a device, "overlay", ...). */
int mount_source_in_root(int root_fd, const char *path, const char *source, const char *type, unsigned long flags,
                         const char *options);
