/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Kernel constants and structures that Debian 12's glibc headers lack, or that come
 * only with kernel headers which do not go with glibc's (<linux/sched.h> next to
 * <sched.h>): each defined once, here, for every file that needs it. */

#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* statfs(2) f_type of a cgroup v2 and a cgroup v1 hierarchy (<linux/magic.h>). */
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

/* memfd_create(2): an executable memfd, asked for explicitly since Linux 6.3. */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* clone3(2)'s arguments up to CLONE_INTO_CGROUP's field (struct clone_args, version 2,
 * in <linux/sched.h>). */
struct clone3_args {
        uint64_t flags;
        uint64_t pidfd;
        uint64_t child_tid;
        uint64_t parent_tid;
        uint64_t exit_signal;
        uint64_t stack;
        uint64_t stack_size;
        uint64_t tls;
        uint64_t set_tid;
        uint64_t set_tid_size;
        uint64_t cgroup;
};

/* fork(2) as clone3(2) with ARGS: 0 in the child, its PID in the parent, -1 with errno. */
static inline pid_t clone3(struct clone3_args *args)
{
        return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}
