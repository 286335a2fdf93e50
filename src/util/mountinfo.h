/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Finds where a file system of FSTYPE is mounted, in /proc/self/mountinfo as parsed by
 * libmount. Of several such mounts, the first one listed in PREFERRED (a NULL-terminated
 * list of mount points) wins, else the first found. Returns 0 with a new string,
 * -ENOMEDIUM when there is none, or another -errno. */
int mountinfo_find(const char *fstype, const char *const *preferred, char **ret);
