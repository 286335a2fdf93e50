/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-id128.h>

#include "config/machine.h"

/* The file systems of the kernel and of the Container Interface in the guest's tree,
 * mounted by the helper of guest/fs-helper.c once the root is built (root.h), and the
 * pivot_root into it. Every target is resolved inside the tree (see open_in_root()), and
 * every function returns 0 or -errno. */

/* A fresh proc, of the PID namespace PIDNS_FD or (-1) of the one we are in, with the
 * kernel's knobs read-only (unless WRITABLE) and the files that leak host secrets masked. /dev must be set
 * up already (masks bind /dev/null). -ENOTSUP, with nothing mounted: the kernel cannot
 * mount a proc of another PID namespace than the caller's (before Linux 6.17). */
int mount_proc(int root_fd, int pidns_fd, bool private_network, bool writable);

/* sysfs read-only (of the network namespace we are in), unless WRITABLE. /sys/fs/cgroup
 * is cgroup-fs.h's. */
int mount_sys(int root_fd, bool writable);

/* /run as a tmpfs, with /run/host/ of the Container Interface (and credentials/). */
int mount_run(int root_fd, const struct machine *m);

/* Binds a datagram socket at /run/host/notify in the guest (after mount_run()) and
 * returns it, for the supervisor to read the guest init's READY=1 from. */
int mount_notify_socket(int root_fd);

/* DIR_FD/NAME made (it must not exist) with CONTENT and MODE. */
int write_file_at(int dir_fd, const char *name, const char *content, size_t size, mode_t mode);

/* Copies a host file into DIR_FD/NAME (a new file); a host without the file is not an error. */
int copy_host_file(const char *host_path, int dir_fd, const char *name);

/* Enters the tree with pivot_root and detaches the host's root. */
int mount_pivot_root(int root_fd);
