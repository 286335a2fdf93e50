/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "machine.h"

/* Parsing of the command line's mounts, with systemd-nspawn's syntax: "\:" stands for a
 * colon inside a path. On a bad value they return -EINVAL with one line in ERROR. */

/* --bind=SOURCE[:DESTINATION[:rbind|norbind]], --bind-ro= (READ_ONLY). */
int custom_mount_parse_bind(const char *value, bool read_only, struct machine *m, char *error, size_t error_size);

/* --tmpfs=PATH[:OPTIONS] (default mode=0755). */
int custom_mount_parse_tmpfs(const char *value, struct machine *m, char *error, size_t error_size);

/* --volatile[=yes|state|overlay|no]: NULL is yes. Returns the mode or -EINVAL. */
int volatile_mode_from_string(const char *s);
