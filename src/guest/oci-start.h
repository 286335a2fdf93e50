/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "config/machine.h"
#include "guest/guest.h"

/* An OCI container's first process (guest/guest.c), between its setup and its exec. */

/* The fd of the FIFO that start opens (kept when all others are closed). */
int oci_start_fifo(const struct machine *m);

/* process.execCPUAffinity.initial, or NULL. */
const char *oci_initial_cpu_affinity(const struct machine *m);

/* create --preserve-fds: how many of the caller's fds from 3 on go along. */
unsigned oci_preserved_fds(const struct machine *m);

/* linux.namespaces' time: a new time namespace with linux.timeOffsets, which the
 * process enters at its exec. */
void oci_make_time_namespace(const struct guest_setup *setup);

/* process.ioPriority and process.scheduler on this process (before it drops its
 * capabilities, which a real-time policy may need). */
void oci_apply_scheduling(const struct guest_setup *setup);

/* The listener end of linux.seccomp's SCMP_ACT_NOTIFY rules, once oci_become_user() has
 * loaded the filter, to the parent on SYNC_FD (GUEST_SECCOMP_LISTENER); nothing without. */
void oci_send_seccomp_listener(int sync_fd);

/* process.user.umask. */
mode_t oci_umask(const struct machine *m);

/* process.env, as it is: nothing of a machine's ($container, $HOME...) is added. */
char **oci_environment(const struct machine *m);

/* process.user and its capabilities (the user first, with PR_SET_KEEPCAPS: setgroups()
 * and setresuid() need what the bounding set may drop), noNewPrivileges, and linux.seccomp
 * (before the change of user without no_new_privs, after it with). Exits on failure. */
void oci_become_user(const struct guest_setup *setup);

/* domainname, in the container's UTS namespace. Exits on failure. */
void oci_set_domainname(const struct guest_setup *setup);

/* linux.sysctl, in the container's namespaces (before it leaves the host's /proc). Exits on
 * failure. */
void oci_apply_sysctl(const struct guest_setup *setup);

/* Tells the supervisor (create) that all is set up, then waits until start opens the FIFO:
 * create returns meanwhile, and the container no longer dies with it. Exits on failure. */
void oci_wait_for_start(const struct guest_setup *setup);
