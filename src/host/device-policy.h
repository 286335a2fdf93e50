/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The guest's device policy, a cgroup v2 device program (BPF) of our own on its cgroup:
 * it may create and use the character devices a container needs (null, zero, full,
 * random, urandom, tty, ptmx, its ptys, net/tun) and no other, so a guest root that
 * makes a node of a host disk cannot open it. Under systemd the unit's own
 * DevicePolicy applies on top.
 *
 * devices_load() loads the program: its fd (O_CLOEXEC), or -errno; devices_bpf_refused()
 * tells whether that error means bpf() is refused where we run (a container's seccomp
 * filter) rather than a failure. devices_attach() attaches it to a cgroup: 0 or -errno. */

/* A rule of the policy: TYPE 'c', 'b' or 'a' (either), MAJOR and MINOR (-1: any), ACCESS
 * of BPF_DEVCG_ACC_* that it grants, or with DENY takes back. */
struct device_rule {
        char type;
        int major, minor;
        unsigned access;
        bool deny;
};

/* At most this many rules of a container's own. */
#define DEVICE_RULES_MAX 128

/* EXTRA's rules (OCI's resources.devices, which a container's caller gives it, in their
 * order: the last that applies decides), then the policy's own. */
int devices_load(const struct device_rule *extra, size_t n_extra);

/* Whether the policy, with EXTRA's rules, lets a guest have the device TYPE ('c' or 'b')
 * MAJOR:MINOR (MINOR -1: every minor of MAJOR) with the access asked. */
bool device_policy_allows(const struct device_rule *extra, size_t n_extra, char type, unsigned major, int minor,
                          bool read, bool write, bool mknod);
bool devices_bpf_refused(int error);
int devices_attach(int prog_fd, int cgroup_fd);
