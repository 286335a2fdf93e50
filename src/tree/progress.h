/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Progress of long work (import-tar, bootstrap, template copies), on stderr: on a
 * terminal one line redrawn in place (done of total, a rate, an estimate of the time
 * left); otherwise a plain line now and then; nothing with QUIET. */
struct progress;

/* WHAT says what is going on ("Importing sid"); TOTAL is what done counts up to, 0 when
 * unknown; UNIT is how done is counted: PROGRESS_BYTES, or a word such as "packages". */
#define PROGRESS_BYTES "bytes"
struct progress *progress_new(const char *what, uint64_t total, const char *unit, bool quiet);

/* DONE so far; cheap enough to call for every file or block. */
void progress_update(struct progress *p, uint64_t done);

/* Ends the line (with how long it took when OK) and frees P. NULL is fine. */
void progress_done(struct progress *p, bool ok);
