/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A hybrid host's cgroup v1 hierarchies (/sys/fs/cgroup/pids, memory, ..., systemd) as a
 * guest would see them. The guest's cgroup namespace is rooted, on each hierarchy, where
 * the guest was when it was made: left in our cgroups (the hosts' roots, say), a guest
 * that mounts a v1 hierarchy (`mount -t cgroup -o pids cgroup /x`; a guest root may, -U
 * or not) would list every cgroup of the host's. So the guest is born in a new, empty
 * cgroup of its own on each of them, machine-NAME under ours. A pure cgroup v2 host has
 * none of this: every call is a no-op there. */
struct guest_cgroup_v1 {
        char **paths;    /* the machine's cgroups, absolute paths, NULL-terminated (or NULL) */
        char **ours;     /* the cgroup.procs of ours on each hierarchy, to return to */
};

/* Makes machine-NAME under our cgroup on every v1 hierarchy mounted under /sys/fs/cgroup
 * (a stale, empty one is reused; a populated one is -EBUSY), calling TELL (unless NULL)
 * with each just before it is made (MADE false) and as soon as it exists (true). */
int cgroup_v1_create(const char *machine_name, struct guest_cgroup_v1 *ret,
                     void (*tell)(const char *path, bool made, void *userdata), void *userdata);

/* Moves the calling process into the machine's v1 cgroups, or back into its own: the
 * guest is cloned between the two, so it is born in them. */
int cgroup_v1_enter(const struct guest_cgroup_v1 *cg);
int cgroup_v1_leave(const struct guest_cgroup_v1 *cg);

/* Moves the calling process into the v1 cgroups of the process whose /proc/PID is
 * PROC_FD (shell: into those of the machine's PID 1). */
int cgroup_v1_join(int proc_fd);

/* Removes the machine's v1 cgroups (empty by now: its processes are gone); frees. */
void cgroup_v1_remove(struct guest_cgroup_v1 *cg);
