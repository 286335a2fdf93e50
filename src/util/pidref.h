/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* A process is known by its PID and its start time (clock ticks after boot, field 22 of
 * /proc/PID/stat): the pair names one process for the life of the system, whereas a PID
 * alone is reused as soon as its process is reaped. */
int pid_start_time(pid_t pid, uint64_t *ret);

/* A pidfd of the process PID that started at START_TIME, or -ESRCH when that process is
 * gone (its PID free, or reused by another). Signals sent through it reach that process
 * or none. */
int pidfd_open_exact(pid_t pid, uint64_t start_time);
