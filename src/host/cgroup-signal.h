/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* SIG to each process of the cgroup PATH and below but SKIP (0: none). A PID read from
 * cgroup.procs may be reused by a host process before the signal: each is held by a
 * pidfd first and signalled only if the cgroup still lists it (then the pidfd's process
 * is the one listed). 0, or the last -errno. */
int cgroup_signal(const char *path, int sig, pid_t skip);

/* SIGKILL to all of the cgroup PATH, however deep: cgroup.kill (Linux 5.14, cgroup v2)
 * where there is one, else cgroup_signal(). */
int cgroup_kill_all(const char *path);
