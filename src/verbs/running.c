/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The running machine a verb is given by NAME, for the verbs that work on one (control.c,
 * shell.c): its state file read, or the line a user gets when it is not there. Not the
 * state file itself (host/state.c). */
#include <errno.h>

#include "config/machine.h"
#include "util/log.h"
#include "util/path.h"
#include "verbs/running.h"

int read_running(const char *name, struct machine_state *s)
{
        int r;

        if (!machine_name_is_valid(name))
                return log_error("Invalid machine name '%s': use " MACHINE_NAME_RULES, name), EXIT_USAGE;
        r = state_read(name, s);

        if (r == -ENOENT)
                return log_error_errno(r, "No machine %s is running (machined-lite list shows the running ones)", name),
                       EXIT_NO_MACHINE;
        if (r < 0)
                return log_error_errno(r, "Cannot read the state of machine %s: %m", name), EXIT_SETUP_FAILED;
        return 0;
}
