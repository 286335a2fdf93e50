/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "config/machine.h"
#include "oci/enter.h"
#include "oci/json-read.h"
#include "oci/state.h"

/* config.json's hooks (config.md, "POSIX-platform Hooks"): programs the runtime runs at
 * points of the container's life, each with the container's state on its stdin. */
enum oci_hook_kind {
        OCI_HOOK_PRESTART,         /* create, in the runtime's namespaces (deprecated by the spec) */
        OCI_HOOK_CREATE_RUNTIME,   /* create, in the runtime's namespaces */
        OCI_HOOK_CREATE_CONTAINER, /* create, in the container's namespaces */
        OCI_HOOK_START_CONTAINER,  /* start, in the container's namespaces, before its process runs */
        OCI_HOOK_POSTSTART,        /* start, in the runtime's namespaces, once its process runs */
        OCI_HOOK_POSTSTOP,         /* delete, in the runtime's namespaces */
        _OCI_HOOK_MAX,
};

/* The hook kind's name in config.json (hooks.prestart...). */
const char *oci_hook_kind_name(enum oci_hook_kind kind);

struct oci_hook {
        char *path;       /* absolute */
        char **args;      /* argv, or NULL: the path alone */
        char **env;       /* exactly this environment */
        unsigned timeout; /* seconds, 0: none */
};

struct oci_hooks {
        struct oci_hook *list[_OCI_HOOK_MAX];
        size_t n[_OCI_HOOK_MAX];
};

void oci_hooks_done(struct oci_hooks *h);

/* config.json's hooks object into H, every hook checked; 0 or -EINVAL (logged). */
int oci_read_hooks(const struct oci_reader *rd, json_object *hooks, struct oci_hooks *h);

/* The hooks saved with a container's state (TEXT, the object as JSON, or NULL: none). */
int oci_hooks_parse(const char *state_dir, const char *text, struct oci_hooks *h);

/* Runs KIND's hooks in their order, each with the state of S (with STATUS) on its stdin,
 * in the container ENTERED (NULL: in ours) with no more than what AS, the container's
 * machine as created (with its oci set), gives its own processes; and waits for each,
 * killing it at its timeout. 0, or -errno after one line naming the hook that failed;
 * the rest are not run. */
int oci_hooks_run(const struct oci_hooks *h, enum oci_hook_kind kind, const struct oci_state *s, enum oci_status status,
                  const struct oci_container_entry *entered, const struct machine *as);

/* Whether the container of AS may have hooks run in it: not one without a user namespace
 * that has CAP_SYS_PTRACE, whose root could take hold of our binary through the hook's
 * process before it execs (as exec). 0, or -EPERM after one line. */
int oci_hooks_check_container(const struct oci_hooks *h, const struct machine *as, const char *id);
