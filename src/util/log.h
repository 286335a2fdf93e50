/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "util/macro.h"

/* Set once by main() from -q/--quiet; only informational messages obey it. */
extern bool log_quiet;
/* Set while the user's terminal is in raw mode (interactive console): lines then need
 * "\r\n" to start at the left margin, and a message may interrupt a guest's line. */
extern bool log_terminal_raw;

/* Prints "machined-lite: MESSAGE" on stderr, with %m standing for the error given.
 * Returns the error (always negative), so a caller can write
 * `return log_error_errno(r, "...: %m", ...)`. */
int log_error_errno(int error, const char *format, ...) _printf_(2, 3);
void log_error(const char *format, ...) _printf_(1, 2);
void log_info(const char *format, ...) _printf_(1, 2);
