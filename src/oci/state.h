/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* A container's state between the runtime's calls, in ROOT/ID/ (mode 0700, root's):
 * "state" (KEY=VALUE lines, written once create is done), "annotations" (the config's
 * object, as JSON) and "exec.fifo" while the container waits for start. */
struct oci_state {
        char *id;
        pid_t pid; /* the container's init, as the host sees it */
        uint64_t pid_start;
        char *bundle;
        char *rootfs;
        char *created; /* RFC 3339, UTC */
        char *cgroup;  /* the container's cgroup v2, absolute */
        char *annotations;
        char *hooks;  /* config.json's hooks object, as JSON, or NULL */
        char *config; /* config.json as create read it (written, not read back), or NULL */
        uid_t owner;
        char **cgroup_v1; /* a hybrid host's v1 cgroups of the container */
};

/* The states a container can be in (runtime.md), as `state` prints them. */
enum oci_status {
        OCI_CREATING, /* only as the hooks of create see it */
        OCI_CREATED,
        OCI_RUNNING,
        OCI_PAUSED,
        OCI_STOPPED,
};

const char *oci_status_name(enum oci_status status);

/* An ID the runtime takes: a name a machine can have (letters, digits, - _ .), as runc's. */
bool oci_id_is_valid(const char *id);

/* Makes ROOT/ID (and ROOT), the exec.fifo in it for the guest's root UID OWNER; returns an
 * O_PATH fd of the FIFO, or -EEXIST when the ID is taken, or -errno (logged). */
int oci_state_make(const char *root, const char *id, uid_t fifo_owner, char **ret_dir);

/* Whether VALUE (a path of the state: the bundle, the root, a cgroup) can be a value of
 * the state file: no control character, no newline. NULL is. */
bool oci_state_value_is_valid(const char *value);

/* Writes STATE_DIR/state and STATE_DIR/annotations from S, atomically; -EINVAL for a
 * value that is not oci_state_value_is_valid(). */
int oci_state_write(const char *state_dir, const struct oci_state *s);

/* Reads ROOT/ID's state; -ENOENT (not logged) when there is no such container. */
int oci_state_read(const char *root, const char *id, struct oci_state *ret);

void oci_state_done(struct oci_state *s);

/* What the container is now: its init gone (or a zombie) is stopped; the FIFO there is
 * created; a frozen cgroup is paused. */
enum oci_status oci_state_status(const char *root, const struct oci_state *s);

/* The specification's version we implement ("1.3.0"). */
const char *oci_spec_version(void);

/* Prints the state JSON runtime.md defines (with the ociVersion we implement). */
void oci_state_print(FILE *f, const struct oci_state *s, enum oci_status status);

/* Removes ROOT/ID and what is in it. */
int oci_state_remove(const char *root, const char *id);

/* The IDs under ROOT, sorted; *RET NULL-terminated. */
int oci_state_list(const char *root, char ***ret);
