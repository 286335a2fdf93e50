/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* A tree's /etc/passwd and /etc/group, read as guest_user_load() reads them (NULL: the
 * tree has none). */
struct guest_db {
        char *passwd;
        char *group;
};

int guest_db_load(int root_fd, struct guest_db *ret);
void guest_db_done(struct guest_db *db);

/* Whether TEXT (/etc/passwd or /etc/group) has an entry named NAME (NULL: any name) or of
 * ID (its third field; (uint32_t)-1: any). */
bool guest_db_has(const char *text, const char *name, uint32_t id);
