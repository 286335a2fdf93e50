/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "oci/state.h"

/* What is entered of a running container: its init, held by a pidfd checked to be the
 * very process of the state, its /proc directory, root, cgroup and user namespace. */
struct oci_container_entry {
        int pidfd, proc_fd, root_fd, cgroup_fd;
        bool join_user_ns;
        bool sub_cgroup; /* cgroup_fd is a sub-cgroup exec's --cgroup named */
        char **v1_sub;   /* the v1 sub-cgroups --cgroup named (directories), joined after the init's */
        uid_t root_uid;  /* its root's host UID (0 without a user namespace) */
};

#define OCI_CONTAINER_ENTRY_INIT                                           \
        {                                                                  \
                .pidfd = -1, .proc_fd = -1, .root_fd = -1, .cgroup_fd = -1 \
        }

/* Opens the container of S; -errno after one line (its init is gone, ...). */
int oci_container_open(const struct oci_state *s, struct oci_container_entry *e);

void oci_container_entry_done(struct oci_container_entry *e);

/* exec's --cgroup ARGS (runc's): PATH, a sub-cgroup of the container's v2 cgroup;
 * CONTROLLER[,CONTROLLER...]:PATH, of its v1 cgroups of those controllers (a hybrid
 * host's). Each must exist below the container's cgroup. 0, or -EINVAL after one line. */
int oci_container_sub_cgroups(struct oci_container_entry *e, const struct oci_state *s, char *const *args);

/* Where no process may join the container's v2 cgroup any more (its init enabled
 * controllers for cgroups it made below it, as systemd does): the init's own cgroup,
 * checked to be below the container's, as E's cgroup_fd. 0 or -errno. */
int oci_container_use_init_cgroup(struct oci_container_entry *e, const struct oci_state *s);

/* In a child cloned into the container's cgroup (E's cgroup_fd): its v1 cgroups, its
 * namespaces (the PID one for the children to come), its root as ours. 0, or -errno with
 * *RET_STEP naming what could not be entered. */
int oci_container_enter(const struct oci_container_entry *e, const char **ret_step);
