/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <net/if.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/machine.h"

/* The links a machine gets besides host0, as systemd-nspawn makes them and leaves them
 * (unaddressed, down): --network-veth-extra= pairs, --network-interface= links moved in
 * (and back when it ends), --network-macvlan= and --network-ipvlan= links. */

struct mnl_socket;

struct moved_link {
        char host_name[IFNAMSIZ];  /* its name on the host, given back when it returns */
        char guest_name[IFNAMSIZ]; /* its name in the guest */
        int guest_ifindex;         /* its index there: taken back by that, whatever the guest
                                    * renamed it to or made in its name's place */
};

struct extra_links {
        struct moved_link *moved;
        size_t n_moved;
        int guest_netns; /* held while links are moved in, to take them back: -1 without */
};

#define EXTRA_LINKS_INIT          \
        {                         \
                .guest_netns = -1 \
        }

/* Before anything is made: each link to move or to put a macvlan or ipvlan on exists, the
 * names the extra pairs' host ends would have are free, and the kernel has ipvlan if
 * asked. Logs one line and returns an exit code (EXIT_*), 0 when all is well. */
int extra_links_check(struct mnl_socket *nl, const struct machine *m);

/* Makes them, in the host's namespace (NL's) and the guest's (GUEST_PID's). Logs one
 * line and returns -errno. */
int extra_links_add(struct mnl_socket *nl, const struct machine *m, pid_t guest_pid, struct extra_links *x);

/* The links moved in go back to the host under their names; the rest dies with the
 * guest's namespace. */
void extra_links_done(struct extra_links *x);
