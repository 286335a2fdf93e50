/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "util/macro.h"

/* --help of boot, run and inspect: the text after its first line, with the version. */
void usage_print_help(void);

/* Logs one line saying what is wrong with the command line, pointing to --help;
 * returns -EINVAL. */
_printf_(1, 2) int usage_error(const char *format, ...);
_printf_(1, 0) int usage_errorv(const char *format, va_list ap);

/* usage_error()'s line into BUFFER instead of stderr, for a settings file's own message
 * (NULL: to stderr again). */
void usage_capture(char *buffer, size_t size);

/* The program --help is named after in usage_error()'s lines: machined-lite, or
 * systemd-nspawn for that command line. */
void usage_set_program(const char *name);
