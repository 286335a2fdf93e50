/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* The highest CPU number --cpu-affinity takes, plus one (CPU_SETSIZE). */
#define CPU_LIMIT 1024

/* One of systemd-nspawn(1)'s execution and integration options ('u', ARG_CHDIR, ...,
 * config/options.h) with VALUE into M. Returns 0, -EINVAL after one line, -ENOMEM, or
 * -ENOENT for an option that is not one of these. */
int exec_option_apply(int c, const char *value, struct machine *m);

/* "NOFILE" for RLIMIT_NOFILE, or NULL. */
const char *rlimit_name(int resource);
