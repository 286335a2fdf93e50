/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config/machine.h"

/* Opens libcap (dlopen) for the guest child, before it leaves the host's file system;
 * the other functions open and close it themselves. Returns 0 or -EOPNOTSUPP. */
int caps_load(void);
void caps_unload(void);

/* The names of the capabilities this kernel has (CAP_CHOWN...), into *RET. 0 or
 * -EOPNOTSUPP (no libcap), -ENOMEM. */
int caps_known_names(char ***ret);

/* --capability=help: the capabilities this kernel has, a name a line (CAP_CHOWN...).
 * Returns 0 or -EOPNOTSUPP (no libcap). */
int caps_print_known(void);

/* Parses a comma-separated list of capability names (CAP_NET_ADMIN, or net_admin) or
 * "all" into a mask. Returns 0 or -EINVAL, with the first bad name in *ret_bad. */
int caps_parse(const char *list, uint64_t *ret, const char **ret_bad);

/* The guest's bounding set: systemd-nspawn's default list, CAP_NET_ADMIN with a private
 * network, then --capability= added and --drop-capability= taken away. */
uint64_t caps_for_guest(const struct machine *m);

/* In the guest, last thing before exec: drops every capability outside KEEP from the
 * bounding, effective and permitted sets, and empties the inheritable and ambient
 * sets. Returns 0 or -errno. */
int caps_apply(uint64_t keep);

/* caps_apply() in a process that has just become its user with PR_SET_KEEPCAPS set (an
 * OCI container's process.user): its bounding set KEEP; a ROOT user keeps KEEP effective,
 * another none. */
int caps_apply_after_setuid(uint64_t keep, bool root);

/* The process's effective, permitted and inheritable sets made these (within what it
 * has), and these ambient ones raised (each in permitted and inheritable). 0 or -errno. */
int caps_set_process(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient);
