/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config/machine.h"
#include "image/dissect.h"

/* inspect [-i IMAGE | NAME] [--json]: what a raw disk image holds, as dissect.h reads it
 * for a boot, without mounting anything. */

/* The verb, for M as parsed: -i IMAGE, or NAME: /var/lib/machines/NAME.raw (a directory
 * machine of that name is said to be one). Returns our exit code. */
int verb_inspect(const struct machine *m);

/* Prints the image's dissection, as a table or JSON. Logs and returns -errno on failure. */
int inspect_image(const char *path, bool json);

/* The dissection D of the image at PATH (NULL: "-", or null in JSON) as a table for
 * people, or as JSON, on F. Whatever the image put in its labels and types prints as
 * plain text. */
void inspect_print(const struct dissected_image *d, const char *path, bool json, FILE *f);
