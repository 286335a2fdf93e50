/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "host/state.h"

/* The OCI containers of machined-lite-oci's default --root, for list and status. */

/* Whether NAME can be a container's ID (one a machine's name cannot be: longer, '_'). */
bool containers_id_is_valid(const char *name);

/* The longest of their IDs, for list's NAME column. */
size_t containers_name_width(void);

/* Rows of list's table (class "oci"), after the machines', the NAME column NAME_WIDTH
 * wide; how many. */
size_t containers_print_table(bool address_column, int name_width);

/* Objects of list --json's array (FIRST: none before them); how many. */
size_t containers_print_json(bool first);

/* status of container ID; -ENOENT (nothing printed) when there is none. */
int containers_print_status(const char *id);

/* Container ID, when it is created, running or paused, as a machine's state for stop,
 * kill and reboot: its init the leader, its cgroup, class and init "oci", no supervisor
 * (0). -ENOENT when there is no such container, or it has stopped. */
int containers_read_state(const char *id, struct machine_state *ret);
