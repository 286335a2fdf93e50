/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "oci/seccomp.h"
#include "oci/state.h"

/* Hands NOTIFY_FD (the listener end of the filter of process PID) to SECCOMP's listenerPath,
 * with the container's STATE as STATUS: one message, the fd along. 0 or -errno (logged). */
int oci_listener_send(const struct oci_seccomp *seccomp, const struct oci_state *state, enum oci_status status,
                      pid_t pid, int notify_fd);
