/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* systemd-nspawn's command line into M: -b boots, -a runs COMMAND as PID 2 under ml-init,
 * otherwise COMMAND is PID 1 (a login shell without one); nspawn's defaults where ours
 * differ. Returns a parse_result (config/options.h), or -errno after one line. */
int nspawn_parse_argv(int argc, char *argv[], struct machine *m);
