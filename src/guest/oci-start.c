/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCI lifecycle in the container's first process: "created" is this process blocked
 * opening the FIFO of its state directory for writing, by the O_PATH fd create gave it
 * (the path is out of its reach since pivot_root); start opening it for reading lets it
 * go on to exec process.args. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config/guest-user.h"
#include "guest/caps.h"
#include "guest/exec-settings.h"
#include "guest/oci-start.h"
#include "guest/syscall-filter.h"
#include "oci/config.h"
#include "util/macro.h"
#include "util/strv.h"

/* linux.seccomp's listener end (SCMP_ACT_NOTIFY), once the filter is loaded, until it goes
 * with "ready" to whoever hands it to listenerPath. */
static int seccomp_notify_fd = -1;

int oci_start_fifo(const struct machine *m)
{
        return m->oci->start_fifo;
}

const char *oci_initial_cpu_affinity(const struct machine *m)
{
        return m->oci->scheduling.initial_cpu_affinity;
}

unsigned oci_preserved_fds(const struct machine *m)
{
        return m->oci->preserve_fds;
}

mode_t oci_umask(const struct machine *m)
{
        return m->oci->umask;
}

char **oci_environment(const struct machine *m)
{
        char **env = NULL;

        for (size_t i = 0; m->setenv && m->setenv[i]; i++)
                (void)strv_env_set(&env, m->setenv[i]);
        return env;
}

void oci_wait_for_start(const struct guest_setup *setup)
{
        struct guest_message ready = { .type = GUEST_READY };
        char path[64];
        int fd;

        /* create exits once we say we are ready: from then on the container is its
         * caller's, and outlives it. */
        if (prctl(PR_SET_PDEATHSIG, 0) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to stay when create exits");
        oci_send_seccomp_listener(setup->sync_fd);
        if (guest_message_send(setup->sync_fd, &ready, -1) < 0)
                _exit(EXIT_SETUP_FAILED);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", oci_start_fifo(setup->machine));
        do
                fd = open(path, O_WRONLY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0) {
                fprintf(stderr, "machined-lite-oci: cannot wait for start: %m\n");
                _exit(EXIT_SETUP_FAILED);
        }
        /* start reads this byte: the container was let go. */
        if (write(fd, "0", 1) != 1)
                _exit(EXIT_SETUP_FAILED);
        close(fd);
        close(oci_start_fifo(setup->machine));
}

void oci_send_seccomp_listener(int sync_fd)
{
        struct guest_message message = { .type = GUEST_SECCOMP_LISTENER };

        if (seccomp_notify_fd < 0)
                return;
        if (guest_message_send(sync_fd, &message, seccomp_notify_fd) < 0)
                _exit(EXIT_SETUP_FAILED);
        close(seccomp_notify_fd);
        seccomp_notify_fd = -1;
}

void oci_become_user(const struct guest_setup *setup)
{
        const struct machine *m = setup->machine;
        const struct oci_seccomp *seccomp = m->oci->seccomp;
        int r;

        /* Without no_new_privs, loading a filter takes CAP_SYS_ADMIN: before the user and
         * the capabilities change (as runc), so the profile must allow what follows. */
        if (seccomp && !m->no_new_privileges) {
                r = syscall_filter_apply_oci(seccomp, &seccomp_notify_fd);
                if (r < 0)
                        guest_fail(setup->sync_fd, r, "Failed to install linux.seccomp");
        }
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to keep capabilities through the change of user");
        exec_settings_become_user(m, setup->sync_fd);
        /* The bounding set, effective and permitted kept whole for now; then the sets of
         * process.capabilities (for root, effective and permitted are the bounding set:
         * its exec gives it that anyway). */
        r = caps_apply_after_setuid(caps_for_guest(m), true);
        if (r >= 0 && m->oci->capabilities_given)
                r = m->run_user->uid == 0 ? caps_set_process(caps_for_guest(m), caps_for_guest(m),
                                                             m->oci->caps_inheritable, m->oci->caps_ambient)
                                          : caps_set_process(m->oci->caps_effective, m->oci->caps_permitted,
                                                             m->oci->caps_inheritable, m->oci->caps_ambient);
        else if (r >= 0 && m->run_user->uid != 0)
                r = caps_set_process(0, 0, 0, 0);
        if (r < 0)
                guest_fail(setup->sync_fd, r, "Failed to drop capabilities");
        (void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
        if (m->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to set no_new_privs");
        if (seccomp && m->no_new_privileges) {
                r = syscall_filter_apply_oci(seccomp, &seccomp_notify_fd);
                if (r < 0)
                        guest_fail(setup->sync_fd, r, "Failed to install linux.seccomp");
        }
}

void oci_set_domainname(const struct guest_setup *setup)
{
        const char *name = setup->machine->oci->domainname;

        if (name && setdomainname(name, strlen(name)) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to set the domain name %s", name);
}

void oci_make_time_namespace(const struct guest_setup *setup)
{
        static const char *const clocks[] = { "monotonic", "boottime" };
        const struct oci_container *c = setup->machine->oci;
        _cleanup_close_ int fd = -EBADF;

        if (!c->time_namespace)
                return;
        /* The process enters it at its exec (time_for_children); its offsets can be set
         * only until a process is in it: now. */
        if (unshare(CLONE_NEWTIME) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to make the time namespace (linux.namespaces)");
        for (size_t i = 0; i < ELEMENTSOF(clocks); i++) {
                char line[96];
                int n;

                if (!c->time_offsets[i].given)
                        continue;
                if (fd < 0)
                        fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
                n = snprintf(line, sizeof(line), "%s %" PRId64 " %ld", clocks[i], c->time_offsets[i].seconds,
                             c->time_offsets[i].nanoseconds);
                if (fd < 0 || write(fd, line, (size_t)n) != n)
                        guest_fail(setup->sync_fd, -errno, "Failed to set linux.timeOffsets.%s", clocks[i]);
        }
}

void oci_apply_scheduling(const struct guest_setup *setup)
{
        const struct oci_scheduling *s = &setup->machine->oci->scheduling;

        /* linux.memoryPolicy: the nodemask in the kernel's longs; its bits, and one more, as
         * set_mempolicy(2) counts. */
        if (s->memory_policy_set) {
                unsigned long mask[sizeof(s->memory_policy.nodes) / sizeof(unsigned long)] = {};
                size_t n = s->memory_policy.nodes_size;

                for (size_t i = 0; i < n; i++)
                        mask[i / sizeof(long)] |= (unsigned long)s->memory_policy.nodes[i] << (8 * (i % sizeof(long)));
                if (syscall(SYS_set_mempolicy, s->memory_policy.mode | (int)s->memory_policy.flags, n ? mask : NULL,
                            n ? n * 8 + 1 : 0) < 0)
                        guest_fail(setup->sync_fd, -errno, "Failed to set linux.memoryPolicy (set_mempolicy)");
        }
        if (s->io_priority_set && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, s->io_priority) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to set process.ioPriority");
        if (s->scheduler_set) {
                /* sched_setattr(2)'s struct, version 1 (with the deadline times). */
                struct {
                        uint32_t size, policy;
                        uint64_t flags;
                        int32_t nice;
                        uint32_t priority;
                        uint64_t runtime, deadline, period;
                } attr = {
                        .size = sizeof(attr),
                        .policy = s->scheduler.policy,
                        .flags = s->scheduler.flags,
                        .nice = s->scheduler.nice,
                        .priority = s->scheduler.priority,
                        .runtime = s->scheduler.runtime,
                        .deadline = s->scheduler.deadline,
                        .period = s->scheduler.period,
                };

                if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
                        guest_fail(setup->sync_fd, -errno,
                                   "Failed to set process.scheduler (a real-time policy needs CAP_SYS_NICE and an "
                                   "RLIMIT_RTPRIO of the host's)");
        }
}

void oci_apply_sysctl(const struct guest_setup *setup)
{
        char *const *sysctl = setup->machine->oci->sysctl;

        /* Through the host's /proc, still ours: /proc/sys/net and the IPC and UTS ones show
         * the namespaces of whoever opens them, the container's own now. */
        for (size_t i = 0; sysctl && sysctl[i]; i++) {
                const char *eq = strchr(sysctl[i], '=');
                _cleanup_close_ int fd = -EBADF;
                char path[512];
                size_t n;

                n = (size_t)snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - sysctl[i]), sysctl[i]);
                for (char *p = path + 10; p < path + MIN(n, sizeof(path) - 1); p++)
                        if (*p == '.')
                                *p = '/';
                fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || write(fd, eq + 1, strlen(eq + 1)) < 0)
                        guest_fail(setup->sync_fd, -errno, "Failed to set linux.sysctl %s", sysctl[i]);
        }
}
