/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "host/state.h"

/* Reads the state of the running machine NAME into *S. Returns 0, or the exit code after
 * one line: EXIT_USAGE for a NAME no machine can have, EXIT_NO_MACHINE when none of that
 * name runs, EXIT_SETUP_FAILED when its state cannot be read. */
int read_running(const char *name, struct machine_state *s);
