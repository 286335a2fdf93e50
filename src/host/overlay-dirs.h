/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* What the writable overlays need on disk, made before the guest starts: a work
 * directory next to each upper layer, and for an empty upper layer a directory under
 * /var/tmp with upper/ and work/, owned by the guest's root; and for a bind with an empty
 * source, a directory of the guest root's under /var/tmp. Logs one line and returns
 * -errno after removing what it made. */
int custom_mounts_prepare(struct machine *m);

/* Removes what custom_mounts_prepare() made, once the guest is gone; logs what it
 * cannot remove. */
void custom_mounts_cleanup(struct machine *m);
