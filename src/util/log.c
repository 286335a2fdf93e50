/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Our messages on stderr: "machined-lite: " and one line, %m for the error given,
 * control characters escaped, -q for informational ones. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "util/json.h"
#include "util/log.h"

bool log_quiet = false;
bool log_terminal_raw = false;

static FILE *log_file;
static const char *log_program = "machined-lite";
static bool log_json;

void log_set_output(FILE *file, const char *program, bool json)
{
        log_file = file;
        log_program = program;
        log_json = json;
}

/* {"level":"error","msg":"...","time":"2026-12-06T09:42:07.123456Z"}: runc's (logrus's)
 * shape, which podman parses. */
static void log_write_json(FILE *f, const char *level, const char *message)
{
        struct timeval tv;
        struct tm tm;
        char when[64];

        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(f, "{\"level\":\"%s\",\"msg\":", level);
        json_print_string(message, f);
        fprintf(f, ",\"time\":\"%s.%06ldZ\"}\n", when, (long)tv.tv_usec);
        fflush(f);
}

/* Every message is one line, whatever the user gave us to echo in it: a machine name,
 * a path or an option's value with a newline would break it in two, and an escape
 * sequence would reach the terminal. Control characters are written as C escapes
 * (\n, \t, \x1b, as systemd's cescape() does), the C1 controls (U+0080-U+009F) too,
 * byte by byte. Backslashes are left alone: messages quote values as they were typed
 * ("\:" for a colon), and our format strings hold no control characters. */
static void escape_controls(const char *s, char *buf, size_t size)
{
        static const char named[] = {
                ['\a'] = 'a', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\v'] = 'v', ['\f'] = 'f', ['\r'] = 'r'
        };
        const unsigned char *u = (const unsigned char *)s;
        size_t n = 0;

        /* Room for the longest escape ("\xc2\x9b") and the NUL, checked before each. */
        for (; *u && n + 9 < size; u++) {
                unsigned char c = *u;

                if (c < sizeof(named) && named[c])
                        n += (size_t)snprintf(buf + n, size - n, "\\%c", named[c]);
                else if (c < ' ' || c == 0x7f)
                        n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
                else if (c == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) {
                        n += (size_t)snprintf(buf + n, size - n, "\\xc2\\x%02x", u[1]);
                        u++;
                } else
                        buf[n++] = (char)c;
        }
        buf[n] = '\0';
}

/* FORMAT is a caller's printf format, its arguments in AP (format(printf, 2, 0)): the
 * compiler checks each caller's format against its arguments (log.h), and knows that the
 * one vsnprintf() gets here is such a format, not text made at run time. */
_printf_(3, 0) static void log_write(const char *level, int error, const char *format, va_list ap)
{
        char line[1024], escaped[4 * sizeof(line)];
        FILE *f = log_file ?: stderr;

        /* %m in the format expands to the error we were given, not to whatever errno holds now. */
        errno = error < 0 ? -error : error;
        vsnprintf(line, sizeof(line), format, ap);
        if (log_json) {
                log_write_json(f, level, line);
                return;
        }
        escape_controls(line, escaped, sizeof(escaped));
        if (log_terminal_raw)
                fprintf(f, "\r\n%s: %s\r\n", log_program, escaped);
        else
                fprintf(f, "%s: %s\n", log_program, escaped);
        if (f != stderr)
                fflush(f);
}

int log_error_errno(int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_write("error", error, format, ap);
        va_end(ap);
        return error < 0 ? error : -error;
}

void log_error(const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_write("error", 0, format, ap);
        va_end(ap);
}

void log_warning(const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_write("warning", 0, format, ap);
        va_end(ap);
}

void log_info(const char *format, ...)
{
        va_list ap;

        if (log_quiet)
                return;
        va_start(ap, format);
        log_write("info", 0, format, ap);
        va_end(ap);
}
