/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The guest's seccomp filter: a deny list of what a container must not do to the host,
 * each call failing with EPERM, for the native and the compat architectures. */

/* Opens libseccomp (dlopen) for the guest child, before it leaves the host's file
 * system. Returns 0 or -EOPNOTSUPP. */
int syscall_filter_load(void);

/* Whether libseccomp knows the architecture NAME ("x86_64", "aarch64"...). */
bool syscall_filter_arch_known(const char *name);

/* One --system-call-filter= value: space- or comma-separated names and @groups, all
 * denied with a leading "~", allowed (taken off the deny list) otherwise, "+" allowed
 * as a prefix. Checks every name; returns 0 or -EINVAL with the bad one in ERROR. */
int syscall_filter_parse(const char *value, char ***allow, char ***deny, char *error, size_t error_size);

/* Installs the filter: the default deny list less ALLOW, plus DENY (deny wins), and with
 * SUPPRESS_SYNC the sync family returning 0 at once. Sets no_new_privs only when asked
 * (libseccomp would by default). Returns 0 or -errno. */
int syscall_filter_apply(char *const *allow, char *const *deny, bool no_new_privileges, bool suppress_sync);

/* Installs an OCI container's linux.seccomp (oci/seccomp.h) instead: its default action,
 * architectures and rules; calls unknown here are skipped. With a rule of SCMP_ACT_NOTIFY,
 * the listener's fd in *RET_NOTIFY_FD. Returns 0 or -errno. */
struct oci_seccomp;
int syscall_filter_apply_oci(const struct oci_seccomp *s, int *ret_notify_fd);
