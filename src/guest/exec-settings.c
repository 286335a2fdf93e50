/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the guest's first process sets on itself just before the exec, for its payload to
 * inherit: the working directory, resource limits, personality, OOM score, CPU affinity
 * (systemd-nspawn(1)'s --chdir, --rlimit, --personality, --oom-score-adjust,
 * --cpu-affinity), and -u's user: taken here for a command that is PID 1, handed to
 * ml-init's command for --as-pid2. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "config/exec-options.h"
#include "config/guest-user.h"
#include "guest/exec-settings.h"
#include "guest/guest.h"
#include "util/macro.h"
#include "util/strv.h"

void exec_settings_cpu_affinity(int sync_fd, const char *list)
{
        cpu_set_t set;
        const char *p = list;

        CPU_ZERO(&set);
        /* Checked when parsed (config/exec-options.c): numbers, ranges, commas. */
        while (*p) {
                char *end;
                unsigned long a = strtoul(p, &end, 10), b = a;

                p = end;
                if (*p == '-') {
                        b = strtoul(p + 1, &end, 10);
                        p = end;
                }
                for (unsigned long cpu = a; cpu <= b && cpu < CPU_SETSIZE; cpu++)
                        CPU_SET(cpu, &set);
                if (*p)
                        p++;
        }
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                guest_fail(sync_fd, -errno, "Failed to set the CPU affinity %s (--cpu-affinity)", list);
}

int exec_settings_oom_score(const struct machine *m, pid_t pid)
{
        _cleanup_close_ int fd = -EBADF;
        char path[64], value[16];
        struct statfs fs;
        int n;

        if (!m->oom_score_adjust_set)
                return 0;
        n = snprintf(value, sizeof(value), "%d", m->oom_score_adjust);
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid > 0 ? (int)pid : (int)getpid());
        /* The host's /proc (we are not in the guest's yet): never a FIFO to block on, nor
         * a file of someone's to write into. */
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC)
                return -EXDEV;
        return write(fd, value, (size_t)n) == n ? 0 : -errno;
}

void exec_settings_apply(const struct machine *m, int sync_fd)
{
        if (m->working_directory && chdir(m->working_directory) < 0)
                guest_fail(sync_fd, -errno, "Failed to enter the working directory %s in the guest (--chdir)",
                           m->working_directory);
        for (size_t i = 0; i < m->n_rlimits; i++) {
                const struct rlimit limit = { .rlim_cur = m->rlimits[i].soft, .rlim_max = m->rlimits[i].hard };

                /* Above the hard limit we were given, only with CAP_SYS_RESOURCE. */
                if (setrlimit(m->rlimits[i].resource, &limit) < 0)
                        guest_fail(sync_fd, -errno, "Failed to set RLIMIT_%s (--rlimit)",
                                   rlimit_name(m->rlimits[i].resource));
        }
        if (m->personality != PERSONALITY_DEFAULT && personality(m->personality) < 0)
                guest_fail(sync_fd, -errno, "Failed to set the personality (--personality)");
        if (m->cpu_affinity)
                exec_settings_cpu_affinity(sync_fd, m->cpu_affinity);
}

void exec_settings_become_user(const struct machine *m, int sync_fd)
{
        const struct guest_user *u = m->run_user;

        if (!u)
                return;
        if (setgroups(u->n_groups, u->groups) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
            setresuid(u->uid, u->uid, u->uid) < 0)
                guest_fail(sync_fd, -errno, "Failed to become user %s (UID %u) in the guest (--user)", u->name,
                           (unsigned)u->uid);
}

int exec_settings_user_argument(const struct machine *m, char **ret)
{
        const struct guest_user *u = m->run_user;
        size_t size = 64 + u->n_groups * 12;
        char *text = malloc(size);
        int n;

        if (!text)
                return -ENOMEM;
        /* ml-init's --user=UID:GID:GROUP,GROUP...: numbers only, read from the guest's files
         * by us, so that ml-init needs nothing of the guest's. */
        n = snprintf(text, size, "--user=%u:%u:", (unsigned)u->uid, (unsigned)u->gid);
        for (size_t i = 0; i < u->n_groups; i++)
                n += snprintf(text + n, size - (size_t)n, "%s%u", i ? "," : "", (unsigned)u->groups[i]);
        *ret = text;
        return 0;
}

/* An os-release value as the file writes it: "quoted" (with \ escapes), 'quoted' or bare. */
static void unquote(char *value)
{
        char quote = value[0], *in = value + 1, *out = value;

        if (quote != '"' && quote != '\'') {
                value[strcspn(value, " \t")] = '\0';
                return;
        }
        for (; *in && *in != quote; in++) {
                if (quote == '"' && *in == '\\' && in[1])
                        in++;
                *out++ = *in;
        }
        *out = '\0';
}

void exec_settings_host_environment(char ***env)
{
        static const char *const keys[][2] = {
                { "ID", "container_host_id" },
                { "VERSION_ID", "container_host_version_id" },
                { "BUILD_ID", "container_host_build_id" },
                { "VARIANT_ID", "container_host_variant_id" },
                { "IMAGE_ID", "container_host_image_id" },
                { "IMAGE_VERSION", "container_host_image_version" },
        };
        /* Our copy of the host's, in the guest's /run/host (guest/api-fs.c). */
        FILE *f = fopen("/run/host/os-release", "re");
        char line[512], assignment[600];

        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                char *eq = strchr(line, '=');

                line[strcspn(line, "\n")] = '\0';
                if (!eq)
                        continue;
                *eq = '\0';
                for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                        if (strcmp(line, keys[i][0]) == 0) {
                                unquote(eq + 1);
                                snprintf(assignment, sizeof(assignment), "%s=%s", keys[i][1], eq + 1);
                                (void)strv_env_set(env, assignment);
                        }
        }
        fclose(f);
}

void exec_settings_environment(const struct machine *m, char ***env)
{
        const struct guest_user *u = m->run_user;
        char line[4096];

        if (!u)
                return;
        snprintf(line, sizeof(line), "HOME=%s", u->home);
        (void)strv_env_set(env, line);
        snprintf(line, sizeof(line), "USER=%s", u->name);
        (void)strv_env_set(env, line);
        snprintf(line, sizeof(line), "LOGNAME=%s", u->name);
        (void)strv_env_set(env, line);
        snprintf(line, sizeof(line), "SHELL=%s", u->shell);
        (void)strv_env_set(env, line);
}
