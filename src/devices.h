/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The guest's device policy, a cgroup v2 device program (BPF) of our own on its cgroup:
 * it may create and use the character devices a container needs (null, zero, full,
 * random, urandom, tty, ptmx, its ptys, net/tun) and no other, so a guest root that
 * makes a node of a host disk cannot open it. Under systemd the unit's own
 * DevicePolicy applies on top. Returns 0 or -errno. */
int devices_restrict(int cgroup_fd);
