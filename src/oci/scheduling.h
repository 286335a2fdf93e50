/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config/machine.h"
#include "oci/json-read.h"

/* process.ioPriority, process.scheduler and process.execCPUAffinity.initial of config.json
 * (execCPUAffinity.final is the machine's cpu_affinity). */
struct oci_scheduling {
        int io_priority; /* ioprio_set(2)'s value: class and level */
        bool io_priority_set;
        struct {
                uint32_t policy;
                uint64_t flags;
                int32_t nice;
                uint32_t priority;
                uint64_t runtime, deadline, period;
        } scheduler; /* sched_setattr(2)'s */
        bool scheduler_set;
        char *initial_cpu_affinity; /* what of ours enters the container first runs on these */
        struct {
                int mode;           /* MPOL_* */
                unsigned flags;     /* MPOL_F_* */
                uint8_t nodes[128]; /* the nodemask, node N bit N */
                size_t nodes_size;  /* its bytes in use, 0: none */
        } memory_policy;            /* linux.memoryPolicy: set_mempolicy(2)'s */
        bool memory_policy_set;
};

/* Those three of PROCESS into S (and M). 0, or -EINVAL after one line naming the key. */
int oci_read_scheduling(const struct oci_reader *rd, json_object *process, struct machine *m, struct oci_scheduling *s);

/* The modes and flags linux.memoryPolicy takes, NULL-terminated. */
extern const char *const oci_memory_policy_modes[];
extern const char *const oci_memory_policy_flags[];

/* linux.memoryPolicy of LINUX into S. 0, or -EINVAL after one line naming the key. */
int oci_read_memory_policy(const struct oci_reader *rd, json_object *linux_, struct oci_scheduling *s);

void oci_scheduling_done(struct oci_scheduling *s);
