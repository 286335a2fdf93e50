/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"

/* --link-journal for M, once its root is there: the host's /var/log/journal/ID made and
 * added to M's binds (host, try-host; auto when it exists), or the tree's made and linked
 * from the host (guest, try-guest). The link and the directory stay after the machine,
 * as systemd-nspawn leaves them, for journalctl. Returns 0, -EINVAL (logged) for a mode
 * that cannot work with M's other options, or another -errno, logged. */
int journal_link_prepare(struct machine *m);
