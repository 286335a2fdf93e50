/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "config/machine.h"

/* Where the image's file systems are mounted, in the supervisor's own mount namespace
 * only: the host's directory stays empty. */
#define IMAGE_ROOT_DIR_PARENT "/run/machined-lite"
#define IMAGE_ROOT_DIR IMAGE_ROOT_DIR_PARENT "/image-root"

/* -i IMAGE: opens and locks the image (m->image_fd, shared with --read-only), dissects it
 * (dissect.h), and mounts its file systems through loop devices of their own in a mount
 * namespace of ours, root first; m->root then points there and the machine boots as
 * from a directory. A read-only image or root file system makes the machine read-only.
 * Logs one line and returns -errno on failure. */
int image_mount(struct machine *m);
