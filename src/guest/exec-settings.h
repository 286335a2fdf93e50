/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "config/machine.h"

/* --chdir, --rlimit, --personality, --cpu-affinity on this process,
 * for what it execs; guest_fail() on SYNC_FD when one cannot be. */
void exec_settings_apply(const struct machine *m, int sync_fd);

/* This process onto the CPUs of LIST (as --cpu-affinity checks it); guest_fail() on
 * SYNC_FD when it cannot be. */
void exec_settings_cpu_affinity(int sync_fd, const char *list);

/* --oom-score-adjust (OCI's oomScoreAdj) on PID (0: ourselves), through the host's /proc
 * and with the host's privileges: before any user namespace, where a value below the
 * current one would be refused. 0 or -errno. */
int exec_settings_oom_score(const struct machine *m, pid_t pid);

/* -u: this process becomes the user (its groups, GID, UID), for a command that is PID 1. */
void exec_settings_become_user(const struct machine *m, int sync_fd);

/* -u for ml-init (a command that is PID 2): "--user=UID:GID:GROUPS" into *RET, the
 * caller's to free. 0 or -ENOMEM. Only with a user (m->run_user). */
int exec_settings_user_argument(const struct machine *m, char **ret);

/* Container Interface, as systemd-nspawn sets them: $container_host_id,
 * $container_host_version_id and the like, from the host's os-release (ID=, VERSION_ID=,
 * BUILD_ID=, VARIANT_ID=, IMAGE_ID=, IMAGE_VERSION=), into *ENV. */
void exec_settings_host_environment(char ***env);

/* -u: HOME, USER, LOGNAME and SHELL of the user in *ENV. */
void exec_settings_environment(const struct machine *m, char ***env);
