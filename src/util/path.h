/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A host name for the guest: 1-64 characters of [A-Za-z0-9_.-], not starting with '.'
 * or '-', no "..". */
bool host_name_is_valid(const char *name);

/* A machine name doubles as the guest's host name and as part of the cgroup name: a
 * valid host name not ending in ".machine" (the running machines' state files share
 * /run/machined-lite/machines with settings files). */
bool machine_name_is_valid(const char *name);
#define MACHINE_NAME_RULES "1-64 characters of A-Z a-z 0-9 _ . -, not starting with . or - nor ending in .machine"

/* The last component of a path, ignoring trailing slashes, as a new string;
 * NULL when there is none ("/", "") or on allocation failure. */
char *path_last_component(const char *path);

/* Opens PATH inside the tree whose root directory is ROOT_FD, resolving every symlink
 * and ".." as if ROOT_FD were "/" (openat2 RESOLVE_IN_ROOT), so that a link planted in
 * an untrusted tree can never lead to a host path. Returns an fd or -errno. */
int open_in_root(int root_fd, const char *path, int flags, mode_t mode);

/* Like open_in_root() with O_PATH|O_DIRECTORY, but creates missing directories first. */
int mkdir_p_in_root(int root_fd, const char *path, mode_t mode);

/* Like mkdir_p_in_root(), for a mount point: a path that leads back to the root itself
 * (a tree with /run -> /) is refused with -ELOOP, as a mount there would cover the tree. */
int mount_point_in_root(int root_fd, const char *path, mode_t mode);

/* The ID of the mount the file FD is on (statx()'s STATX_MNT_ID, as mountinfo numbers
 * them) in *RET: two directories are in the same mount when their IDs are equal, though
 * their st_dev may differ (btrfs subvolumes). 0 or -errno. */
int mount_id_of(int fd, uint64_t *ret);

/* rm -rf of NAME in DIR_FD: symlinks are removed, never followed, no other mount is
 * entered (-EBUSY), and however deep the tree is, it holds two fds. A missing NAME is
 * not an error; immutable and append-only flags are cleared where they are in the way.
 * Returns 0 or -errno (the first failure; the rest is still removed). */
int remove_tree_at(int dir_fd, const char *name);

/* Reads the small file PATH (in DIR_FD) whole into BUF (of SIZE, NUL-terminated; what does
 * not fit is left), without stdio: /proc/PID/cgroup, cpuset.cpus. 0 or -errno. */
int read_small_file(int dir_fd, const char *path, char *buf, size_t size);

/* "/proc/self/fd/N" for an fd, in a caller's buffer, so that mount(2) can take an
 * already resolved target. */
#define FD_PATH_MAX 32
const char *fd_path(int fd, char buf[static FD_PATH_MAX]);
