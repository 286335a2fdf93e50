/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "config/machine.h"

struct etc_settings {
        enum resolv_conf_mode resolv_conf;
        enum timezone_mode timezone;
        const char *nameserver; /* -n: the guest's, for a tree without resolv.conf (default mode) */
        bool writable;          /* the root is written: copies and links may be made */
        bool private_network;   /* --resolv-conf=auto leaves a network of its own alone */
};

/* The guest's /etc/resolv.conf and /etc/localtime under the root ROOT_FD as S says. A
 * read-only tree is left as it is where a mode would write it. Returns 0 or -errno. */
int etc_files_from_host(int root_fd, const struct etc_settings *s);
