/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "config/machine.h"
#include "oci/json-read.h"

/* config.json's mounts into M's custom mounts (a bind's options, tmpfs, the file systems a
 * container may mount). 0, or -EINVAL after one line naming the mount (-ENOMEM). */
int oci_read_mounts(const struct oci_reader *rd, json_object *config, struct machine *m);

/* The Ith of the mount options a bind mount of config.json takes, NULL after the last
 * (features). */
const char *oci_bind_option(size_t i);
