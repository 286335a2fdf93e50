/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"
#include "net/network.h"

struct mnl_socket;

/* A zone's machine, before anything is made: the zone's lock (shared), its bridge checked
 * (ours, or someone's with a /24), its subnet and the machine's address in it, locked.
 * Logs one line and returns an exit code, 0 when all is well. */
int zone_prepare(struct mnl_socket *nl, const struct machine *m, struct machine_network *n);

/* The bridge host0's peer joins: a zone's made when missing, addressed .1 and up; the
 * host's own as it is. Returns its index, or -errno (logged). */
int bridge_set_up(struct mnl_socket *nl, struct machine_network *n);

/* The zone's lock let go; when no other machine holds it, the bridge removed, if ours. */
void zone_leave(struct mnl_socket *nl, struct machine_network *n);

/* zone_leave() for the sweeper, after a supervisor killed with SIGKILL: its zone lock went
 * with it, and the fd number N holds is no longer the lock's. */
void zone_sweep(struct mnl_socket *nl, const struct machine_network *n);
