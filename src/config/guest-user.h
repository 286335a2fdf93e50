/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* A user of the guest, from its own /etc/passwd and /etc/group. */
struct guest_user {
        char *name;
        uid_t uid;
        gid_t gid;
        char *home;
        char *shell;
        gid_t *groups; /* the primary group first, then those listing the user */
        size_t n_groups;
};

/* The user SPEC (a name, or a number for a UID) of the guest whose root directory is
 * ROOT_FD (of the running MACHINE, for the messages), with its groups, into *RET: read
 * with the guest's symlinks resolved inside its root, and parsed here, never through NSS,
 * which would load the guest's modules into this root process of the host. Logs one
 * line and returns -errno on failure; -ESRCH: no such user. *RET is the caller's to free
 * with guest_user_done(), whatever the result. */
int guest_user_load(int root_fd, const char *machine, const char *spec, struct guest_user *ret);

void guest_user_done(struct guest_user *u);
