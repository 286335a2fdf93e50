/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "config/machine.h"

/* Starts the guest and watches it until it is gone; tears everything down after.
 * Returns the exit code for machined-lite: the guest's status, or one of ours. */
int supervisor_run(const struct machine *m);

/* What an OCI container's caller gets once it is created (oci/create.c): its init, waiting
 * for start, and where it is. */
struct guest_handoff {
        pid_t pid; /* the init, as the host sees it */
        uint64_t pid_start;
        const char *cgroup;     /* its cgroup v2, absolute */
        char *const *cgroup_v1; /* its v1 cgroups on a hybrid host, or NULL */
        int console_master;     /* the pty's master with a terminal, else -1 */
        int seccomp_listener;   /* linux.seccomp's SCMP_ACT_NOTIFY listener end, else -1 */
};

/* Brings the guest up as supervisor_run() does, up to its init waiting for start (the
 * OCI lifecycle's "created"), calls HANDOFF, and returns leaving the guest running: no
 * process of ours stays. 0, or our exit code with everything torn down (HANDOFF failing
 * too). */
int supervisor_create(const struct machine *m, int (*handoff)(const struct guest_handoff *h, void *userdata),
                      void *userdata);
