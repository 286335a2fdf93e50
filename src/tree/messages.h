/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Words the makers of new trees (import-tar, bootstrap, --template) share in their
 * messages. */

/* Whether ERROR (-errno) means the file system could not store what was written: out of
 * space or quota, an I/O error, a read-only or too small file system. */
bool is_write_error(int error);

/* What to do about the write error ERROR in the directory DIR, for the end of a message:
 * "free space in DIR, ..."; in BUF. */
const char *write_error_hint(int error, const char *dir, char *buf, size_t size);

/* S, a name from an archive or a line of a tool, for a message on a terminal: control
 * characters become '?'; in BUF, cut to SIZE. */
const char *printable(const char *s, char *buf, size_t size);
