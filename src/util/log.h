/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/macro.h"

/* Set once by main() from -q/--quiet; only informational messages obey it. */
extern bool log_quiet;
/* Set while the user's terminal is in raw mode (interactive console): lines then need
 * "\r\n" to start at the left margin, and a message may interrupt a guest's line. */
extern bool log_terminal_raw;

/* The OCI runtime's command line (oci/cli.c): messages go to FILE (--log; stderr when
 * NULL), prefixed with PROGRAM ("machined-lite-oci"), or with JSON one object a line,
 * {"level":"error","msg":"...","time":"RFC 3339"}, as runc writes them and podman reads
 * them. */
void log_set_output(FILE *file, const char *program, bool json);

/* Prints "machined-lite: MESSAGE" on stderr, with %m standing for the error given.
 * Returns the error (always negative), so a caller can write
 * `return log_error_errno(r, "...: %m", ...)`. */
int log_error_errno(int error, const char *format, ...) _printf_(2, 3);
void log_error(const char *format, ...) _printf_(1, 2);
/* Something went wrong, and what was asked is done anyway (shown with -q too). */
void log_warning(const char *format, ...) _printf_(1, 2);
void log_info(const char *format, ...) _printf_(1, 2);
