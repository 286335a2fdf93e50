/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

bool log_quiet = false;
bool log_terminal_raw = false;

static void log_write(int error, const char *format, va_list ap)
{
        char line[1024];

        /* %m in the format expands to the error we were given, not to whatever errno holds now. */
        errno = error < 0 ? -error : error;
        vsnprintf(line, sizeof(line), format, ap);
        if (log_terminal_raw)
                fprintf(stderr, "\r\nmachined-lite: %s\r\n", line);
        else
                fprintf(stderr, "machined-lite: %s\n", line);
}

int log_error_errno(int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_write(error, format, ap);
        va_end(ap);
        return error < 0 ? error : -error;
}

void log_error(const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_write(0, format, ap);
        va_end(ap);
}

void log_info(const char *format, ...)
{
        va_list ap;

        if (log_quiet)
                return;
        va_start(ap, format);
        log_write(0, format, ap);
        va_end(ap);
}
