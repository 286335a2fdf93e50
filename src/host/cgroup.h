/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "host/cgroup-v1.h"

/* The guest's own cgroup on the cgroup v2 hierarchy: the root of its cgroup namespace. */
struct guest_cgroup {
        char *path;      /* absolute path under the cgroup2 mount */
        int fd;          /* O_DIRECTORY fd, for clone3 CLONE_INTO_CGROUP */
        int sweeper_fd;  /* write end of the sweeper's pipe; see cgroup_start_sweeper() */
        struct guest_cgroup_v1 v1;  /* its cgroups on a hybrid host's v1 hierarchies */
};

#define GUEST_CGROUP_INIT { .fd = -1, .sweeper_fd = -1 }

/* The "0::" line of a /proc/PID/cgroup file (FILE at DIR_FD): the process's cgroup on
 * the v2 hierarchy, relative to the root of the reader's cgroup namespace. */
int cgroup_read_v2_path(int dir_fd, const char *file, char **ret);

/* Creates "machine-NAME" under the cgroup we run in. A stale, empty one of that name is
 * reused; a populated one is -EBUSY (a machine of that name is running). */
int cgroup_create_guest(const char *machine_name, struct guest_cgroup *ret);

/* In the unit we run in (our scope, or with --keep-unit the service), which systemd
 * delegated to us: we move into <unit>/supervisor, the guest gets <unit>/payload, and
 * every controller the unit has is enabled for both, so the guest's init can use them. */
int cgroup_create_delegated(const char *machine_name, struct guest_cgroup *ret);

/* Starts a small process outside the guest that outlives us: when we are gone without
 * cgroup_remove() (SIGKILL), it kills what is left in the guest's cgroup and removes it,
 * so that the host keeps no cgroup of a dead machine; then it removes each directory of
 * LEFTOVERS (NULL-terminated, or NULL: --ephemeral-dir's, temporary overlay layers) that
 * is still the one there now, and last calls SWEPT(USERDATA) (or NULL) in its own
 * process, for what else the dead supervisor left. After cgroup_remove() it does
 * nothing: we cleaned up. */
int cgroup_start_sweeper(struct guest_cgroup *cg, const char *machine_name, char *const *leftovers,
                         void (*swept)(void *userdata), void *userdata);

/* Tells the sweeper (if there is one) of one more directory to remove after the guest,
 * as it is now: for what is made after the sweeper started. */
int cgroup_sweeper_add(const struct guest_cgroup *cg, const char *leftover);

/* Hands the cgroup to the guest's root of a user namespace, as systemd's delegation
 * does: the directory and the files a delegate writes. */
int cgroup_chown(const struct guest_cgroup *cg, uid_t uid);

/* Kills every process left in the cgroup (cgroup.kill). */
int cgroup_kill(const struct guest_cgroup *cg);

/* Removes the cgroup once it is empty and closes its fds. */
int cgroup_remove(struct guest_cgroup *cg);
