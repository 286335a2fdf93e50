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
        uid_t root_uid; /* its root's host UID (0 without a user namespace) */
};

#define OCI_CONTAINER_ENTRY_INIT                                           \
        {                                                                  \
                .pidfd = -1, .proc_fd = -1, .root_fd = -1, .cgroup_fd = -1 \
        }

/* Opens the container of S; -errno after one line (its init is gone, ...). */
int oci_container_open(const struct oci_state *s, struct oci_container_entry *e);

void oci_container_entry_done(struct oci_container_entry *e);

/* In a child cloned into the container's cgroup (E's cgroup_fd): its v1 cgroups, its
 * namespaces (the PID one for the children to come), its root as ours. 0, or -errno with
 * *RET_STEP naming what could not be entered. */
int oci_container_enter(const struct oci_container_entry *e, const char **ret_step);
