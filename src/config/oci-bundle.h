/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* --oci-bundle=DIR, as systemd-nspawn's: the bundle's config.json read into BASE (a new
 * machine, which the command line then fills on top of, so that what it says wins): the
 * root, hostname, mounts, namespaces (a network of its own, a user namespace's range),
 * and the process (for VERB, other than boot: the command, its environment, directory,
 * user, capabilities, rlimits, noNewPrivileges). What a machine does not take from a
 * bundle (its seccomp profile, resources, hooks, sysctl, domainname) is refused by name.
 * Returns 0, or -EINVAL (-ENOENT, -ENOMEM) after one line. */
int oci_bundle_load(const char *bundle, int verb, struct machine *base);
