/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "oci/json-read.h"

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* linux.seccomp of an OCI config, resolved to libseccomp's numbers on the host (oci/config.c
 * reads it, every name checked) and installed in the container's first process
 * (guest/syscall-filter.c's syscall_filter_apply_oci()). */
struct oci_seccomp_rule {
        char *name; /* the system call; one the kernel or libseccomp does not know is skipped */
        uint32_t action;
        unsigned n_args;
        struct scmp_arg_cmp args[6];
};

struct oci_seccomp {
        uint32_t default_action;
        char **architectures; /* libseccomp's names: "x86_64", "x86", "x32" */
        bool log;             /* flags: SECCOMP_FILTER_FLAG_LOG */
        bool spec_allow;      /* flags: SECCOMP_FILTER_FLAG_SPEC_ALLOW */
        /* flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: once the agent has a notification,
         * only a fatal signal ends the call's wait (a filter with a listener; else moot) */
        bool wait_killable_recv;
        struct oci_seccomp_rule *rules;
        size_t n_rules;
        bool notify;             /* a rule's action is SCMP_ACT_NOTIFY */
        char *listener_path;     /* listenerPath: where the notify fd goes, with the state */
        char *listener_metadata; /* listenerMetadata, or NULL */
};

void oci_seccomp_free(struct oci_seccomp *s);

/* linux.seccomp of config.json (defaultAction, architectures, flags, syscalls) into a new
 * *RET (left NULL without one), every name checked. 0 or -EINVAL (logged, oci/json-read.h). */
int oci_read_seccomp(const struct oci_reader *rd, json_object *linux_, struct oci_seccomp **ret);

/* SCMP_ACT_NAME (with ERRNO_RET for SCMP_ACT_ERRNO and SCMP_ACT_TRACE) into *RET; -EINVAL
 * for a name libseccomp has none of. */
int oci_seccomp_action(const char *name, uint32_t errno_ret, uint32_t *ret);

/* Whether linux.seccomp.flags may name NAME (SECCOMP_FILTER_FLAG_...). */
bool oci_seccomp_flag_is_taken(const char *name);

/* SCMP_CMP_NAME into *RET; -EINVAL for others. */
int oci_seccomp_op(const char *name, enum scmp_compare *ret);

/* SCMP_ARCH_X86_64 → "x86_64", as libseccomp's seccomp_arch_resolve_name() takes them;
 * NULL for a name that is not SCMP_ARCH_something. */
char *oci_seccomp_arch(const char *name);
