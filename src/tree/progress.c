/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Progress of long work on stderr (import-tar, bootstrap, template copies): a line
 * redrawn in place on a terminal, a plain line now and then otherwise. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tree/progress.h"
#include "util/time.h"

/* A terminal line is redrawn at most this often: more is flicker, and costs writes. */
#define TERMINAL_INTERVAL_USEC (100 * 1000ULL)
/* A log or pipe gets a line this often: enough to see it moves, not enough to flood. */
#define PLAIN_INTERVAL_USEC (2 * 1000 * 1000ULL)

struct progress {
        char *what;
        char *unit;
        uint64_t total;
        uint64_t done;
        bool quiet;
        bool terminal;
        bool drawn; /* a terminal line is on screen, not ended yet */
        uint64_t start_usec;
        uint64_t last_usec; /* when we last wrote a line */
};

static bool unit_is_bytes(const struct progress *p)
{
        return strcmp(p->unit, PROGRESS_BYTES) == 0;
}

/* 512B, 12.0K, 123.4M, 1.2G: powers of 1024, as ls -h and systemd print sizes. */
static const char *format_bytes(char *buf, size_t size, uint64_t bytes)
{
        static const char suffixes[] = "KMGTPE";
        double value = (double)bytes;
        size_t i = 0;

        if (bytes < 1024) {
                snprintf(buf, size, "%" PRIu64 "B", bytes);
                return buf;
        }
        value /= 1024;
        while (value >= 1024 && i + 1 < sizeof(suffixes) - 1) {
                value /= 1024;
                i++;
        }
        snprintf(buf, size, "%.1f%c", value, suffixes[i]);
        return buf;
}

static const char *format_amount(const struct progress *p, char *buf, size_t size, uint64_t amount)
{
        if (unit_is_bytes(p))
                return format_bytes(buf, size, amount);
        snprintf(buf, size, "%" PRIu64, amount);
        return buf;
}

/* 9s, 2m05s, 1h02m. */
static const char *format_duration(char *buf, size_t size, uint64_t seconds)
{
        if (seconds < 60)
                snprintf(buf, size, "%" PRIu64 "s", seconds);
        else if (seconds < 3600)
                snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", seconds / 60, seconds % 60);
        else
                snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", seconds / 3600, seconds / 60 % 60);
        return buf;
}

/* "Importing sid: 123.4M of 260.0M (47%), 85.2M/s, 2s left"; without a total, only the
 * amount and the rate. Counts read "37 of 120 packages (30%), 6s left", or "37 packages". */
static void format_line(const struct progress *p, uint64_t now, char *line, size_t size)
{
        char done[32], total[32], rate[32], left[32] = "";
        double seconds = (double)(now - p->start_usec) / 1e6;
        double per_second = seconds > 0 ? (double)p->done / seconds : 0;
        const char *word = unit_is_bytes(p) ? "" : " ";
        const char *unit = unit_is_bytes(p) ? "" : p->unit;
        int n;

        format_amount(p, done, sizeof(done), p->done);
        if (p->total > 0)
                n = snprintf(line, size, "%s: %s of %s%s%s (%u%%)", p->what, done,
                             format_amount(p, total, sizeof(total), p->total), word, unit,
                             (unsigned)(p->done >= p->total ? 100 : p->done * 100 / p->total));
        else
                n = snprintf(line, size, "%s: %s%s%s", p->what, done, word, unit);
        if (n < 0 || (size_t)n >= size)
                return;
        /* The first moments give no rate worth showing. */
        if (seconds < 0.5 || per_second <= 0)
                return;
        if (p->total > p->done)
                format_duration(left, sizeof(left), (uint64_t)((double)(p->total - p->done) / per_second + 0.5));
        if (unit_is_bytes(p)) {
                format_bytes(rate, sizeof(rate), (uint64_t)per_second);
                if (p->total > p->done)
                        snprintf(line + n, size - (size_t)n, ", %s/s, %s left", rate, left);
                else
                        snprintf(line + n, size - (size_t)n, ", %s/s", rate);
        } else if (p->total > p->done)
                /* So many packages a second says little; the time left it gives does. */
                snprintf(line + n, size - (size_t)n, ", %s left", left);
}

static size_t terminal_width(void)
{
        struct winsize ws;

        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0)
                return 80;
        return ws.ws_col;
}

/* A line longer than the terminal wraps, and "\r" then returns only to the start of its
 * last row: the redraw would leave a trail. So it is cut to fit. */
static void draw_terminal(struct progress *p, const char *line)
{
        size_t width = terminal_width();
        int length = (int)strlen(line);

        if (width > 1 && (size_t)length > width - 1)
                length = (int)(width - 1);
        fprintf(stderr, "\r%.*s\033[K", length, line);
        fflush(stderr);
        p->drawn = true;
}

struct progress *progress_new(const char *what, uint64_t total, const char *unit, bool quiet)
{
        struct progress *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->what = strdup(what);
        p->unit = strdup(unit ?: PROGRESS_BYTES);
        if (!p->what || !p->unit) {
                free(p->what);
                free(p->unit);
                free(p);
                return NULL;
        }
        p->total = total;
        p->quiet = quiet;
        p->terminal = isatty(STDERR_FILENO);
        p->start_usec = p->last_usec = now_usec();
        return p;
}

void progress_update(struct progress *p, uint64_t done)
{
        char line[256];
        uint64_t now;

        if (!p)
                return;
        p->done = done;
        if (p->quiet)
                return;
        now = now_usec();
        if (now - p->last_usec < (p->terminal ? TERMINAL_INTERVAL_USEC : PLAIN_INTERVAL_USEC))
                return;
        p->last_usec = now;
        format_line(p, now, line, sizeof(line));
        if (p->terminal)
                draw_terminal(p, line);
        else
                fprintf(stderr, "%s\n", line);
}

void progress_done(struct progress *p, bool ok)
{
        char done[32], took[32], line[256];
        double seconds;

        if (!p)
                return;
        if (!p->quiet && ok) {
                seconds = (double)(now_usec() - p->start_usec) / 1e6;
                if (seconds < 60)
                        snprintf(took, sizeof(took), "%.1fs", seconds);
                else
                        format_duration(took, sizeof(took), (uint64_t)(seconds + 0.5));
                snprintf(line, sizeof(line), "%s: %s%s%s in %s", p->what, format_amount(p, done, sizeof(done), p->done),
                         unit_is_bytes(p) ? "" : " ", unit_is_bytes(p) ? "" : p->unit, took);
                if (p->terminal) {
                        draw_terminal(p, line);
                        fputc('\n', stderr);
                } else
                        fprintf(stderr, "%s\n", line);
        } else if (p->drawn)
                /* What follows (an error) starts on a line of its own; ours stays as it was. */
                fputc('\n', stderr);
        fflush(stderr);
        free(p->what);
        free(p->unit);
        free(p);
}
