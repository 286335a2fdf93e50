/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "machine.h"

enum parse_result {
        PARSE_CONTINUE = 0,      /* the machine is described: go on */
        PARSE_EXIT = 1,          /* --help or --version was printed: exit 0 */
};

/* Fills M from the command line. Returns a parse_result, or -EINVAL after printing one
 * line that says what is wrong (exit code EXIT_USAGE). */
int parse_argv(int argc, char *argv[], struct machine *m);

/* Parses "SIGTERM", "TERM", "RTMIN+3", "SIGRTMIN+3" or a number; -EINVAL if none. */
int signal_from_string(const char *s);
