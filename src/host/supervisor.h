/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* Starts the guest and watches it until it is gone; tears everything down after.
 * Returns the exit code for machined-lite: the guest's status, or one of ours. */
int supervisor_run(const struct machine *m);
