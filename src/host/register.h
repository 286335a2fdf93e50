/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config/machine.h"
#include "util/libsystemd.h"

/* Our standing with the host's systemd: the scope we run in (unless --keep-unit) and
 * the machine registered with systemd-machined. */
struct registration {
        sd_bus *bus;   /* NULL: not registering at all */
        char *scope;   /* the transient scope we made, or NULL */
        bool machined; /* registered with systemd-machined */
};

/* Connects to the system bus when --register asks for it: for auto, only when the host
 * runs systemd and has a bus. Returns 1 when connected, 0 when not registering, or
 * -errno after logging (--register=yes and no bus). */
int register_connect(const struct machine *m, struct registration *reg);

/* Creates machine-NAME.scope in machine.slice (or --slice) with Delegate=yes, our own
 * PID in it and every --property, and waits for systemd's job to finish. Returns 0,
 * -EEXIST when the scope exists (a machine of that name runs), or -errno, logged. */
int register_scope(const struct machine *m, struct registration *reg);

/* An OCI container's transient scope SCOPE in SLICE (--systemd-cgroup), holding us, so
 * that the container made from here on is in it; its own connection to the system bus,
 * closed after. 0, -EEXIST or -errno, logged. */
int register_container_scope(const char *scope, const char *slice, const char *id);

/* The OCI container ID, whose init LEADER is in a scope of its own, registered with
 * systemd-machined (class container) for machinectl, when machined is there; machined
 * forgets it when the scope goes. Not being registered is no failure of the container: a
 * refusal is said in one line, and 0 returned (-errno only without libsystemd). */
int register_container_machine(const char *id, pid_t leader, const char *root);

/* Registers the machine with systemd-machined, for the unit the leader is in, with the
 * host's end of its veth (IFINDEX, 0 for none), when machined is there. Returns 0 (also
 * when it is not there), -EEXIST, or -errno, logged. */
int register_machine(const struct machine *m, struct registration *reg, pid_t leader, int ifindex);

/* Once registered: closes the bus and libsystemd with it, which the supervisor then does
 * not keep mapped while the machine runs (the scope does not need the connection). */
void register_let_go(struct registration *reg);

/* Unregisters from machined (connecting again for that) and lets go of the bus; systemd
 * collects the empty scope. */
void register_done(const struct machine *m, struct registration *reg);
