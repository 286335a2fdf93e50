/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"
#include "util/missing.h"

/* The namespaces a guest joins instead of having its own: --network-namespace-path's, and an
 * OCI container's linux.namespaces with a path (a pod's, handed by CRI-O, containerd or
 * podman). The supervisor enters each only for the moment of the guest's clone. */
enum joined_namespace {
        JOINED_USER, /* first: the others joined and made are then owned by it */
        JOINED_NET,
        JOINED_IPC,
        JOINED_UTS,
        JOINED_PID, /* a pod's shared PID namespace: the container's init is not its PID 1 */
        JOINED_CGROUP,
        JOINED_TIME, /* a pod's time namespace (its offsets set already) */
        _JOINED_MAX,
};

struct joined_namespaces {
        int fd[_JOINED_MAX]; /* -1: the guest has a new one of its own */
};

#define JOINED_NAMESPACES_INIT                         \
        {                                              \
                .fd = { [0 ... _JOINED_MAX - 1] = -1 } \
        }

/* Opens and checks those M names (a user namespace: host root's, a child of the host's,
 * mapping exactly M's range). 0, or our exit code after one line. */
int joined_namespaces_open(const struct machine *m, struct joined_namespaces *j);

/* The clone flags of the namespaces J has none of: FLAGS without those it joins. */
uint64_t joined_namespaces_new_flags(const struct joined_namespaces *j, uint64_t flags);

/* clone3(ARGS) with the child in J's namespaces; we stay in ours (or abort). -1 with
 * errno ECANCELED when a namespace could not be entered (said in one line). With a user
 * namespace to join, which we could not leave again, a helper of ours joins them and
 * makes the child (CLONE_PARENT: ours all the same). */
pid_t joined_namespaces_clone(const struct joined_namespaces *j, struct clone3_args *args);

void joined_namespaces_close(struct joined_namespaces *j);
