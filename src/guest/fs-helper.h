/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config/machine.h"
#include "util/macro.h"

/* The guest's file system is built by a helper of the supervisor's, host root in the
 * host's user namespace, while the guest's first process waits in its new namespaces:
 * the helper mounts everything in a mount namespace of its own and enters the tree
 * with pivot_root. With a user namespace it then joins the guest's and copies its mount
 * namespace once more: the kernel locks every mount of such a copy, so the guest's root
 * can neither unmount what we placed (the masks on /proc, read-only /proc/sys, /sys and
 * a --read-only tree) nor make it writable again. The guest joins that copy with setns().
 *
 * Messages go to the supervisor on SYNC_FD (see guest.h): the console's pty master, the
 * notify socket, and at last GUEST_MOUNT_NS with the mount namespace for the guest. */
struct guest_fs_setup {
        const struct machine *machine;
        bool with_console;
        int sync_fd;
        pid_t supervisor_pid;
        pid_t guest_pid;
        int guest_pidfd;
        const char *ephemeral_dir; /* the supervisor's under --ephemeral-dir, or NULL */
        const char *nameserver;    /* for a tree without /etc/resolv.conf: instead of the host's
                                    * (whose resolver on loopback a private network cannot reach) */
};

/* Runs in a child forked from the supervisor. Never returns. */
_noreturn_ void guest_fs_main(const struct guest_fs_setup *setup);
