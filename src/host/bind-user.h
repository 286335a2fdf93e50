/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* Resolves each --bind-user of M against the host's user database and the tree's
 * /etc/passwd and /etc/group, once the UID range is chosen: its IDs, home and records
 * (struct bind_user). Returns 0, or -errno after one line saying which user and why. */
int bind_users_prepare(struct machine *m);
