/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "host/cgroup-v1.h"

/* The guest's own cgroup on the cgroup v2 hierarchy: the root of its cgroup namespace. */
struct guest_cgroup {
        char *path;                /* absolute path under the cgroup2 mount */
        int fd;                    /* O_DIRECTORY fd, for clone3 CLONE_INTO_CGROUP */
        int sweeper_fd;            /* write end of the sweeper's pipe; see host/sweeper.h */
        struct guest_cgroup_v1 v1; /* its cgroups on a hybrid host's v1 hierarchies */
        bool own;                  /* the one we are in (cgroup_open_own()): not ours to remove */
};

#define GUEST_CGROUP_INIT                  \
        {                                  \
                .fd = -1, .sweeper_fd = -1 \
        }

/* The "0::" line of a /proc/PID/cgroup file (FILE at DIR_FD): the process's cgroup on
 * the v2 hierarchy, relative to the root of the reader's cgroup namespace. */
int cgroup_read_v2_path(int dir_fd, const char *file, char **ret);

/* The v2 cgroup of the process whose /proc directory is PROC_FD, as an absolute path
 * under the cgroup2 mount (as we see it: relative to our cgroup namespace). */
int cgroup_v2_path_of(int proc_fd, char **ret);

/* Creates "machine-NAME" under the cgroup we run in. A stale, empty one of that name is
 * reused; a populated one is -EBUSY (a machine of that name is running). */
int cgroup_create_guest(const char *machine_name, struct guest_cgroup *ret);

/* CGROUP_PATH (an OCI config's linux.cgroupsPath): absolute, from the cgroup2 hierarchy's
 * root; relative, under the cgroup we run in. Its parents are made as needed. Else as
 * cgroup_create_guest(). */
/* The cgroup we are in, made for us by systemd (--systemd-cgroup's scope), as the guest's:
 * opened, neither made nor removed by us. */
int cgroup_open_own(const char *machine_name, struct guest_cgroup *ret);

int cgroup_create_at(const char *cgroup_path, const char *machine_name, struct guest_cgroup *ret);

/* In the unit we run in (our scope, or with --keep-unit the service), which systemd
 * delegated to us: we move into <unit>/supervisor, the guest gets <unit>/payload, and
 * every controller the unit has is enabled for both, so the guest's init can use them. */
int cgroup_create_delegated(const char *machine_name, struct guest_cgroup *ret);

/* Hands the cgroup to the guest's root of a user namespace, as systemd's delegation
 * does: the directory and the files a delegate writes. */
int cgroup_chown(const struct guest_cgroup *cg, uid_t uid);

/* Kills every process left in the cgroup (cgroup.kill). */
int cgroup_kill(const struct guest_cgroup *cg);

/* Removes the cgroup once it is empty and closes its fds. */
int cgroup_remove(struct guest_cgroup *cg);

/* 1 if a process is in the cgroup at CGROUP_FD or below, 0 if not, -errno. */
int cgroup_is_populated(int cgroup_fd);

/* Waits (up to 10 s) until no process is left in the cgroup at CGROUP_FD. */
void cgroup_wait_unpopulated(int cgroup_fd);

/* Writes VALUE to FILE of the cgroup directory DIR, whole. 0 or -errno. */
int cgroup_write_file(const char *dir, const char *file, const char *value);

/* Removes cgroup NAME at PARENT_FD and the ones the guest made in it, deepest first. */
int cgroup_remove_tree(int parent_fd, const char *name);
