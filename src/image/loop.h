/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define LOOP_PATH_MAX 32

/* A loop device over SIZE bytes (0: to the end) of BACKING_FD from OFFSET: one for each
 * partition of an image, so that no kernel partition parser and no udev are needed.
 * Direct I/O where the backing file can, read-only if asked, and autoclear: the device
 * goes away with its last user (our fd, then the mount made from it). Returns the
 * device's fd, its path in RET_PATH, or -errno. */
int loop_attach(int backing_fd, uint64_t offset, uint64_t size, bool read_only, char ret_path[static LOOP_PATH_MAX]);
