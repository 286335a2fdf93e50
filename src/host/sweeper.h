/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "host/cgroup.h"

/* What the supervisor tells the sweeper of as it makes it (sweeper_send()): a kind, then
 * a path ending in NUL, in one write. */
enum {
        SWEEP_CLEANED = 'c',   /* no path: the supervisor cleaned up itself */
        SWEEP_LEFTOVER = 'l',  /* a directory to remove after the guest */
        SWEEP_CGROUP = 'g',    /* the guest's cgroup v2 */
        SWEEP_CGROUP_V1 = 'v', /* one of its cgroups on a v1 hierarchy */
        SWEEP_MAKING = 'm',    /* one of them about to be made: if we are killed in
                                * mkdir(2), it exists with no word of it after */
};

/* Starts a small process outside the guest that outlives us: when we are gone without
 * cgroup_remove() (SIGKILL), it kills what is left in the guest's cgroup and removes it,
 * so that the host keeps no cgroup of a dead machine: once no process of the guest is
 * left, it calls SWEPT(USERDATA) (or NULL) in its own process, for what else the dead
 * supervisor left (its state file, a zone's bridge), then removes the cgroups (waiting
 * for the host's init to reap the guest's PID 1) and each directory of LEFTOVERS
 * (NULL-terminated, or NULL: --ephemeral-dir's, temporary overlay layers) that is still
 * the one there now; a guest process that outlived its kill (D state) puts SWEPT after
 * all that. After cgroup_remove() it does nothing: we cleaned up. */
int sweeper_start(struct guest_cgroup *cg, const char *machine_name, char *const *leftovers,
                  void (*swept)(void *userdata), void *userdata);

/* Tells the sweeper (if there is one) of one more directory to remove after the guest,
 * as it is now: for what is made after the sweeper started. */
int sweeper_add(const struct guest_cgroup *cg, const char *leftover);

/* Tells the sweeper at SWEEPER_FD (none if negative) of PATH, a KIND of the list above. */
int sweeper_send(int sweeper_fd, char kind, const char *path);

/* Lets the sweeper go (*SWEEPER_FD closed and -1): CLEANED, the supervisor removed all
 * itself and the sweeper does nothing; else it sweeps as after a SIGKILL. */
void sweeper_release(int *sweeper_fd, bool cleaned);
