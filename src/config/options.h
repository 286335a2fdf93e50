/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"
#include "util/macro.h"

enum parse_result {
        PARSE_CONTINUE = 0, /* the machine is described: go on */
        PARSE_EXIT = 1,     /* --help or --version was printed: exit 0 */
};

/* Fills M from the command line. Returns a parse_result, or -EINVAL after printing one
 * line that says what is wrong (exit code EXIT_USAGE). */
int parse_argv(int argc, char *argv[], struct machine *m);

/* parse_argv() in two steps, for a settings file to come in between: the options and
 * arguments, then the checks of the whole (a machine given, a command for run, ...). */
int parse_argv_only(int argc, char *argv[], struct machine *m);
int parse_check(const struct machine *m);

/* Logs one line saying what is wrong with the command line, pointing to --help;
 * returns -EINVAL. */
_printf_(1, 2) int usage_error(const char *format, ...);

/* Parses "SIGTERM", "TERM", "RTMIN+3", "SIGRTMIN+3" or a number; -EINVAL if none. */
int signal_from_string(const char *s);

/* Parses --private-users's value into M. Returns 0 or -EINVAL. */
int userns_parse(const char *value, struct machine *m);
