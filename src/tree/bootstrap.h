/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* What a new tree is bootstrapped from: filled by the command line (bootstrap) and,
 * later, by a settings file. NULL members take the defaults. */
struct bootstrap_options {
        const char *name;
        const char *distribution; /* "debian" (default) or "ubuntu" */
        const char *release;      /* default: bookworm for debian, noble for ubuntu */
        char **include;           /* packages besides systemd, systemd-sysv and dbus */
        const char *mirror;       /* default: the host's own mirror of that distribution,
                                   * else its main archive */
        bool force;
        bool quiet;
};

/* Whether O is fit for the tool's command line and an HTTP request: nothing but what a
 * machine name, a release, a package or a URL is made of. 0, or one line and -EINVAL. */
int bootstrap_options_check(const struct bootstrap_options *o);

/* Makes /var/lib/machines/NAME a minimal installation (variant minbase) with
 * mmdebstrap, or debootstrap when mmdebstrap is missing, and prepares it to boot: an
 * empty /etc/machine-id (systemd fills it in from $container_uuid), root's password
 * locked, the console allowed in /etc/securetty if there is one, /etc/hostname NAME.
 * Made whole or not at all (new-tree.h, which says what it returns). */
int bootstrap_tree(const struct bootstrap_options *o);
