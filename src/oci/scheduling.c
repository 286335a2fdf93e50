/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process's scheduling in config.json (runtime-spec 1.2): process.ioPriority,
 * process.scheduler (sched_setattr(2)'s policy, nice, priority, flags and deadline
 * times) and process.execCPUAffinity, read here, applied by the container's process
 * (guest/oci-start.c) before it drops its capabilities. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/exec-options.h"
#include "config/options.h"
#include "config/property.h"
#include "oci/jsonc.h"
#include "oci/scheduling.h"
#include "util/macro.h"
#include "util/strv.h"

/* <linux/ioprio.h>'s and <linux/sched.h>'s numbers. */
#define IOPRIO_CLASS_SHIFT 13

static int read_io_priority(const struct oci_reader *rd, json_object *process, struct oci_scheduling *s)
{
        static const char *const classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE" };
        json_object *io = oci_member(process, "ioPriority");
        const char *class = NULL;
        uint64_t priority = 0;
        int r;

        if (!io)
                return 0;
        if (oci_want(rd, io, json_type_object, "process.ioPriority") < 0)
                return -EINVAL;
        r = oci_get_string(rd, io, "class", "process.ioPriority.class", &class);
        if (r < 0 || oci_get_uint(rd, io, "priority", "process.ioPriority.priority", 7, &priority) < 0)
                return -EINVAL;
        for (size_t i = 0; r > 0 && i < ELEMENTSOF(classes); i++)
                if (!strcmp(class, classes[i])) {
                        /* IOPRIO_CLASS_RT is 1, BE 2, IDLE 3. */
                        s->io_priority = (int)(((i + 1) << IOPRIO_CLASS_SHIFT) | priority);
                        s->io_priority_set = true;
                        return 0;
                }
        return oci_bad_key(rd, "process.ioPriority.class",
                           "must be IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE");
}

static int read_scheduler(const struct oci_reader *rd, json_object *process, struct oci_scheduling *s)
{
        static const char *const policies[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
                                                "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE" };
        static const char *const flag_names[] = { "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
                                                  "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
                                                  "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
                                                  "SCHED_FLAG_UTIL_CLAMP_MAX" };
        json_object *scheduler = oci_member(process, "scheduler");
        _cleanup_(strv_freep) char **flags = NULL;
        const char *policy = NULL;
        uint64_t priority = 0, runtime = 0, deadline = 0, period = 0;
        int64_t nice = 0;
        size_t p;

        if (!scheduler)
                return 0;
        if (oci_want(rd, scheduler, json_type_object, "process.scheduler") < 0)
                return -EINVAL;
        if (oci_get_string(rd, scheduler, "policy", "process.scheduler.policy", &policy) <= 0)
                return oci_bad_key(rd, "process.scheduler.policy", "is missing (SCHED_OTHER, SCHED_BATCH...)");
        for (p = 0; p < ELEMENTSOF(policies) && strcmp(policy, policies[p]) != 0; p++)
                ;
        /* SCHED_ISO is reserved in the kernel: there is none to set. */
        if (p == ELEMENTSOF(policies) || p == 4)
                return oci_bad_key(rd, "process.scheduler.policy", "'%s' is no policy this kernel has", policy);
        if (oci_get_int64(rd, scheduler, "nice", "process.scheduler.nice", &nice) < 0 ||
            oci_get_uint(rd, scheduler, "priority", "process.scheduler.priority", 99, &priority) < 0 ||
            oci_get_uint(rd, scheduler, "runtime", "process.scheduler.runtime", UINT64_MAX >> 1, &runtime) < 0 ||
            oci_get_uint(rd, scheduler, "deadline", "process.scheduler.deadline", UINT64_MAX >> 1, &deadline) < 0 ||
            oci_get_uint(rd, scheduler, "period", "process.scheduler.period", UINT64_MAX >> 1, &period) < 0 ||
            oci_get_strv(rd, scheduler, "flags", "process.scheduler.flags", &flags) < 0)
                return -EINVAL;
        if (nice < -20 || nice > 19)
                return oci_bad_key(rd, "process.scheduler.nice", "must be between -20 and 19");
        s->scheduler.policy = (uint32_t)p;
        for (size_t i = 0; flags && flags[i]; i++) {
                size_t f;

                for (f = 0; f < ELEMENTSOF(flag_names) && strcmp(flags[i], flag_names[f]) != 0; f++)
                        ;
                if (f == ELEMENTSOF(flag_names))
                        return oci_bad_key(rd, "process.scheduler.flags", "'%s' is no flag of sched_setattr(2)",
                                           flags[i]);
                s->scheduler.flags |= UINT64_C(1) << f;
        }
        s->scheduler.nice = (int32_t)nice;
        s->scheduler.priority = (uint32_t)priority;
        s->scheduler.runtime = runtime;
        s->scheduler.deadline = deadline;
        s->scheduler.period = period;
        s->scheduler_set = true;
        return 0;
}

/* execCPUAffinity: final as --cpu-affinity has it (the process's, set before its exec),
 * initial for what of ours enters the container first. */
static int read_cpu_affinity(const struct oci_reader *rd, json_object *process, struct machine *m,
                             struct oci_scheduling *s)
{
        json_object *affinity = oci_member(process, "execCPUAffinity");
        const char *initial = NULL, *final = NULL;
        char error[512];
        int r;

        if (!affinity)
                return 0;
        if (oci_want(rd, affinity, json_type_object, "process.execCPUAffinity") < 0 ||
            oci_get_string(rd, affinity, "initial", "process.execCPUAffinity.initial", &initial) < 0 ||
            oci_get_string(rd, affinity, "final", "process.execCPUAffinity.final", &final) < 0)
                return -EINVAL;
        for (size_t i = 0; i < 2; i++) {
                const char *list = i == 0 ? initial : final;

                if (!list)
                        continue;
                usage_capture(error, sizeof(error));
                r = exec_option_apply(ARG_CPU_AFFINITY, list, m);
                usage_capture(NULL, 0);
                if (r < 0)
                        return oci_bad_key(rd,
                                           i == 0 ? "process.execCPUAffinity.initial" : "process.execCPUAffinity.final",
                                           "%s", error);
        }
        /* (What exec_option_apply() kept is the last: final's, or initial's alone.) */
        if (initial) {
                s->initial_cpu_affinity = strdup(initial);
                if (!s->initial_cpu_affinity)
                        return -ENOMEM;
        }
        return 0;
}

int oci_read_scheduling(const struct oci_reader *rd, json_object *process, struct machine *m, struct oci_scheduling *s)
{
        int r;

        if ((r = read_io_priority(rd, process, s)) < 0 || (r = read_scheduler(rd, process, s)) < 0 ||
            (r = read_cpu_affinity(rd, process, m, s)) < 0)
                return r;
        return 0;
}

/* <linux/mempolicy.h>'s modes, from 0, and its flags, from bit 13 (features lists them). */
const char *const oci_memory_policy_modes[] = {
        "MPOL_DEFAULT",        "MPOL_PREFERRED",           "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
        "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE", NULL
};
const char *const oci_memory_policy_flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES",
                                                NULL };

/* linux.memoryPolicy (runtime-spec 1.3): a mode, the nodes ("0-3,7") and flags, as
 * set_mempolicy(2) takes them; the kernel judges the nodes when the container sets it. */
int oci_read_memory_policy(const struct oci_reader *rd, json_object *linux_, struct oci_scheduling *s)
{
        json_object *policy = oci_member(linux_, "memoryPolicy");
        _cleanup_(strv_freep) char **flags = NULL;
        const char *mode = NULL, *nodes = NULL;
        size_t m;
        int r;

        if (!policy)
                return 0;
        if (oci_want(rd, policy, json_type_object, "linux.memoryPolicy") < 0 ||
            (r = oci_get_string(rd, policy, "mode", "linux.memoryPolicy.mode", &mode)) < 0 ||
            oci_get_string(rd, policy, "nodes", "linux.memoryPolicy.nodes", &nodes) < 0 ||
            oci_get_strv(rd, policy, "flags", "linux.memoryPolicy.flags", &flags) < 0)
                return -EINVAL;
        for (m = 0; r > 0 && oci_memory_policy_modes[m] && strcmp(mode, oci_memory_policy_modes[m]) != 0; m++)
                ;
        if (r == 0 || !oci_memory_policy_modes[m])
                return oci_bad_key(rd, "linux.memoryPolicy.mode",
                                   "must be MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL, "
                                   "MPOL_PREFERRED_MANY or MPOL_WEIGHTED_INTERLEAVE");
        s->memory_policy.mode = (int)m;
        if (nodes && nodes[0] && property_parse_cpu_set(nodes, s->memory_policy.nodes, &s->memory_policy.nodes_size) < 0)
                return oci_bad_key(rd, "linux.memoryPolicy.nodes", "'%s' is no list of nodes (such as 0-3,7)", nodes);
        /* DEFAULT and LOCAL take no nodes; PREFERRED one or none; the others some. */
        if ((m == 0 || m == 4) && s->memory_policy.nodes_size > 0)
                return oci_bad_key(rd, "linux.memoryPolicy.nodes", "must be empty with %s", mode);
        if (m != 0 && m != 1 && m != 4 && s->memory_policy.nodes_size == 0)
                return oci_bad_key(rd, "linux.memoryPolicy.nodes", "must name some nodes with %s", mode);
        for (size_t i = 0; flags && flags[i]; i++) {
                size_t f;

                for (f = 0; oci_memory_policy_flags[f] && strcmp(flags[i], oci_memory_policy_flags[f]) != 0; f++)
                        ;
                if (!oci_memory_policy_flags[f])
                        return oci_bad_key(rd, "linux.memoryPolicy.flags",
                                           "'%s' is none of MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, "
                                           "MPOL_F_STATIC_NODES",
                                           flags[i]);
                s->memory_policy.flags |= 1u << (13 + f);
        }
        s->memory_policy_set = true;
        return 0;
}

void oci_scheduling_done(struct oci_scheduling *s)
{
        free(s->initial_cpu_affinity);
        *s = (struct oci_scheduling){};
}
