/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* --bind-user in the guest, by the file system helper once /run is mounted: each user's
 * records in /run/host/userdb (NAME.user and UID.user linked to it, NAME.group and
 * GID.group, NAME.user-privileged of mode 0600 when there is a hashed password), as
 * systemd's nss-systemd reads them (userdb drop-ins, systemd 249 and later). -errno on
 * failure. */
int userdb_write(int root_fd, const struct machine *m);
