/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* /sys/fs/cgroup in the guest's tree (after /sys): a writable cgroup2 of the cgroup
 * namespace we are in; with M's cgroup_ns_off, the host's cgroup2 tree read-only but for
 * OWN_CGROUP (the guest's, as its /proc/PID/cgroup's "0::" line gives it), bound writable
 * over itself; with cgroup_legacy, a tmpfs with the host's v1 hierarchies of the cgroup
 * namespace we are in, name=systemd writable, the controllers read-only. 0 or -errno. */
int mount_cgroup_fs(int root_fd, const struct machine *m, const char *own_cgroup);
