/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/machine.h"

/* What a running machine tells the verbs that work on it (list, status, stop, kill,
 * shell): a state file /run/machined-lite/machines/NAME, written atomically once the
 * guest runs and removed when it ends. The machine's name is held by a lock for its
 * whole life (util/lock.h: the kernel lets go of it when the supervisor ends, however it
 * ends, and no guest can reach it), so two machines of one name never run at once, and
 * a state file whose lock nobody holds, or whose supervisor is not the process that
 * wrote it, is stale: its supervisor was killed. */
#define STATE_DIR "/run/machined-lite/machines"

struct machine_state {
        char *name;
        pid_t leader;          /* the guest's PID 1, on the host */
        pid_t supervisor;      /* machined-lite */
        char *root;            /* the tree (for an image, where it is mounted for the machine) */
        char *image;           /* the image, or NULL */
        char *unit;            /* the systemd unit it runs in, or NULL */
        char *cgroup;          /* the guest's cgroup, absolute path on the host */
        uint64_t since;        /* CLOCK_REALTIME µs when it started */
        char *class;           /* "container" */
        char *init;            /* systemd, busybox, sysvinit-or-other, ml-init */
        uint64_t capabilities; /* the bounding set of its init */
        bool no_new_privileges;
        char *syscall_allow; /* --system-call-filter, as given, space-separated */
        char *syscall_deny;
        uid_t uid_base; /* 0: no user namespace */
        uint32_t uid_count;
        char *addresses;       /* the guest's addresses on a network of its own, space-separated
                                * ("192.168.4.2/28 fd42::2/64"), or NULL */
        uint64_t leader_start; /* their start times (util/pidref.h) */
        uint64_t supervisor_start;
};

/* Takes the name's lock. Returns its fd, held for the machine's life, or -EBUSY (a
 * machine of that name runs) or -errno. */
int state_lock(const char *name);

/* Writes the state file of M, whose PID 1 is LEADER. ADDRESSES: the guest's addresses as
 * struct machine_state has them, or NULL or "" without a network of its own. */
int state_write(const struct machine *m, pid_t leader, const char *unit, const char *cgroup, uint64_t capabilities,
                const char *addresses);

void state_remove(const char *name);

/* After the supervisor SUPERVISOR (started at SUPERVISOR_START, util/pidref.h) was killed:
 * removes NAME's state file if that supervisor wrote it, and the temporary it may have
 * been writing. For the sweeper: no verb need come by to find the file stale. */
void state_remove_dead(const char *name, pid_t supervisor, uint64_t supervisor_start);

/* Reads NAME's state file. -ENOENT: no such machine runs; a stale file is removed and
 * reads as -ENOENT too. */
int state_read(const char *name, struct machine_state *ret);

/* Every running machine's state, by name; stale files removed on the way. */
int state_list(struct machine_state **ret, size_t *ret_n);

void machine_state_done(struct machine_state *s);
