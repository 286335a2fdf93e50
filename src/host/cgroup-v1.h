/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A hybrid host's cgroup v1 hierarchies (/sys/fs/cgroup/pids, memory, ..., systemd) as a
 * guest would see them. The guest's cgroup namespace is rooted, on each hierarchy, where
 * the guest was when it was made: left in our cgroups (the hosts' roots, say), a guest
 * that mounts a v1 hierarchy (`mount -t cgroup -o pids cgroup /x`; a guest root may, -U
 * or not) would list every cgroup of the host's. So the guest is in a new, empty cgroup
 * of its own on each of them, machine-NAME under ours, when it makes its namespace. A pure cgroup v2 host has
 * none of this: every call is a no-op there. */
struct guest_cgroup_v1 {
        char **paths; /* the machine's cgroups, absolute paths, NULL-terminated (or NULL) */
};

/* Makes machine-NAME under our cgroup on every v1 hierarchy mounted under /sys/fs/cgroup
 * (a stale, empty one is reused; a populated one is -EBUSY), calling TELL (unless NULL)
 * with each just before it is made (MADE false) and as soon as it exists (true). */
int cgroup_v1_create(const char *machine_name, struct guest_cgroup_v1 *ret,
                     void (*tell)(const char *path, bool made, void *userdata), void *userdata);

/* Moves the guest's first process PID into the machine's v1 cgroups. It is made without
 * a cgroup namespace of its own where there are any, and makes it once moved (guest.h
 * GUEST_CGROUP_NS). Moving it, not us around its clone: the first move waits for an RCU
 * grace period (cgroup_threadgroup_rwsem), 10 ms or so, which is spent while the file
 * system helper builds the guest's mounts. */
int cgroup_v1_move(const struct guest_cgroup_v1 *cg, pid_t pid);

/* Moves the calling process into the v1 cgroups of the process whose /proc/PID is
 * PROC_FD (shell: into those of the machine's PID 1). */
int cgroup_v1_join(int proc_fd);

/* Hands the machine's name=systemd cgroup to UID, the guest's root with -U, for a guest
 * systemd to manage in SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0's legacy mode. */
int cgroup_v1_chown_systemd(const struct guest_cgroup_v1 *cg, uid_t uid);

/* Removes the machine's v1 cgroups (empty by now: its processes are gone); frees. */
void cgroup_v1_remove(struct guest_cgroup_v1 *cg);
