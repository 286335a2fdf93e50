/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capabilities (libcap, dlopen()ed): the names --capability takes, the set a guest keeps
 * (systemd-nspawn's, plus and minus the options), and dropping to it in the guest's
 * first process before exec. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "guest/caps.h"
#include "util/dl.h"
#include "util/macro.h"
#include "util/strv.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))

/* systemd-nspawn(1), --capability=: what every container keeps. Not there, among
 * others: CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_TIME, CAP_SYSLOG, CAP_MAC_*,
 * CAP_NET_ADMIN (unless the network is private), CAP_BPF, CAP_PERFMON. */
static const uint64_t default_caps = CAP_BIT(CAP_AUDIT_CONTROL) | CAP_BIT(CAP_AUDIT_WRITE) | CAP_BIT(CAP_CHOWN) |
                                     CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_DAC_READ_SEARCH) | CAP_BIT(CAP_FOWNER) |
                                     CAP_BIT(CAP_FSETID) | CAP_BIT(CAP_IPC_OWNER) | CAP_BIT(CAP_KILL) |
                                     CAP_BIT(CAP_LEASE) | CAP_BIT(CAP_LINUX_IMMUTABLE) | CAP_BIT(CAP_MKNOD) |
                                     CAP_BIT(CAP_NET_BIND_SERVICE) | CAP_BIT(CAP_NET_BROADCAST) | CAP_BIT(CAP_NET_RAW) |
                                     CAP_BIT(CAP_SETFCAP) | CAP_BIT(CAP_SETGID) | CAP_BIT(CAP_SETPCAP) |
                                     CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SYS_ADMIN) | CAP_BIT(CAP_SYS_BOOT) |
                                     CAP_BIT(CAP_SYS_CHROOT) | CAP_BIT(CAP_SYS_NICE) | CAP_BIT(CAP_SYS_PTRACE) |
                                     CAP_BIT(CAP_SYS_RESOURCE) | CAP_BIT(CAP_SYS_TTY_CONFIG);

/* libcap, dlopen()ed where it is used (see util/dl.h). */
static struct {
        void *handle;
        cap_value_t (*max_bits)(void);
        int (*from_name)(const char *, cap_value_t *);
        char *(*to_name)(cap_value_t);
        int (*drop_bound)(cap_value_t);
        int (*reset_ambient)(void);
        cap_t (*get_proc)(void);
        int (*clear_flag)(cap_t, cap_flag_t);
        int (*set_flag)(cap_t, cap_flag_t, int, const cap_value_t *, cap_flag_value_t);
        int (*get_flag)(cap_t, cap_value_t, cap_flag_t, cap_flag_value_t *);
        int (*set_proc)(cap_t);
        int (*free)(void *);
} libcap;

int caps_load(void)
{
        const struct dl_symbol symbols[] = {
                { "cap_max_bits", (void **)&libcap.max_bits },
                { "cap_from_name", (void **)&libcap.from_name },
                { "cap_to_name", (void **)&libcap.to_name },
                { "cap_drop_bound", (void **)&libcap.drop_bound },
                { "cap_reset_ambient", (void **)&libcap.reset_ambient },
                { "cap_get_proc", (void **)&libcap.get_proc },
                { "cap_clear_flag", (void **)&libcap.clear_flag },
                { "cap_set_flag", (void **)&libcap.set_flag },
                { "cap_get_flag", (void **)&libcap.get_flag },
                { "cap_set_proc", (void **)&libcap.set_proc },
                { "cap_free", (void **)&libcap.free },
        };
        int r;

        if (libcap.handle)
                return 0;
        libcap.handle = dl_open("libcap.so.2", symbols, ELEMENTSOF(symbols), &r);
        return r;
}

void caps_unload(void)
{
        if (libcap.handle)
                dlclose(libcap.handle);
        libcap.handle = NULL;
}

/* Every capability the running kernel knows: read from the kernel itself, so that this
 * works without libcap loaded (the supervisor never loads it). */
static uint64_t all_caps(void)
{
        static int last = -1;

        if (last < 0) {
                char text[16] = "";
                int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);

                if (fd >= 0) {
                        (void)!read(fd, text, sizeof(text) - 1);
                        close(fd);
                }
                for (const char *c = text; *c >= '0' && *c <= '9' && last < 1000; c++)
                        last = (last < 0 ? 0 : last * 10) + (*c - '0');
                if (last < 0)
                        last = CAP_LAST_CAP;
        }
        return last >= 63 ? UINT64_MAX : (CAP_BIT(last + 1) - 1);
}

int caps_known_names(char ***ret)
{
        char **names = NULL;
        uint64_t all;
        int r = caps_load();

        if (r < 0)
                return r;
        all = all_caps();
        for (int cap = 0; cap < 64 && r >= 0; cap++) {
                char *name;

                if (!(all & (UINT64_C(1) << cap)))
                        continue;
                name = libcap.to_name(cap);
                if (!name)
                        continue;
                for (char *c = name; *c; c++)
                        *c = (char)toupper((unsigned char)*c);
                r = strv_extend(&names, name);
                libcap.free(name);
        }
        caps_unload();
        if (r < 0) {
                strv_free(names);
                return r;
        }
        *ret = names;
        return 0;
}

int caps_print_known(void)
{
        char **names = NULL;
        int r = caps_known_names(&names);

        if (r < 0)
                return r;
        for (size_t i = 0; names && names[i]; i++)
                puts(names[i]);
        strv_free(names);
        return 0;
}

int caps_parse(const char *list, uint64_t *ret, const char **ret_bad)
{
        static char bad[64];
        _cleanup_free_ char *copy = strdup(list);
        char *name, *save = NULL;
        uint64_t mask = 0;
        int r;

        if (!copy)
                return -ENOMEM;
        r = caps_load();
        if (r < 0)
                return r;
        for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
                cap_value_t cap;

                if (strcmp(name, "all") == 0) {
                        mask |= all_caps();
                        continue;
                }
                char full[64];

                /* libcap knows the names; CAP_ may be left out. */
                snprintf(full, sizeof(full), "%s%s", strncasecmp(name, "cap_", 4) == 0 ? "" : "cap_", name);
                for (char *c = full; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                if (libcap.from_name(full, &cap) < 0 || cap < 0 || cap > 63) {
                        snprintf(bad, sizeof(bad), "%s", name);
                        *ret_bad = bad;
                        caps_unload();
                        return -EINVAL;
                }
                mask |= CAP_BIT(cap);
        }
        caps_unload();
        if (!mask) {
                *ret_bad = list;
                return -EINVAL;
        }
        *ret = mask;
        return 0;
}

uint64_t caps_for_guest(const struct machine *m)
{
        uint64_t keep = default_caps;

        if (m->private_network)
                keep |= CAP_BIT(CAP_NET_ADMIN);
        keep |= m->caps_add;
        keep &= ~m->caps_drop;
        return keep & all_caps();
}

int caps_apply(uint64_t keep)
{
        cap_t caps;
        int last, r;

        r = caps_load();
        if (r < 0)
                return r;
        last = (int)libcap.max_bits() - 1;

        for (int c = 0; c <= last; c++)
                if (!(keep & CAP_BIT(c)) && libcap.drop_bound((cap_value_t)c) < 0)
                        return negative_errno();
        /* Nothing passes through exec but what the bounding set allows a root process. */
        if (libcap.reset_ambient() < 0)
                return negative_errno();
        caps = libcap.get_proc();
        if (!caps)
                return negative_errno();
        if (libcap.clear_flag(caps, CAP_INHERITABLE) < 0)
                r = negative_errno();
        for (int c = 0; r >= 0 && c <= last; c++) {
                cap_value_t value = (cap_value_t)c;

                if (!(keep & CAP_BIT(c)) && (libcap.set_flag(caps, CAP_EFFECTIVE, 1, &value, CAP_CLEAR) < 0 ||
                                             libcap.set_flag(caps, CAP_PERMITTED, 1, &value, CAP_CLEAR) < 0))
                        r = negative_errno();
        }
        if (r >= 0 && libcap.set_proc(caps) < 0)
                r = negative_errno();
        libcap.free(caps);
        return r;
}

/* libcap loaded, our capabilities (*RET) and the highest the kernel has (*RET_LAST). */
static int get_process_caps(cap_t *ret, int *ret_last)
{
        int r = caps_load();

        if (r < 0)
                return r;
        *ret_last = (int)libcap.max_bits() - 1;
        *ret = libcap.get_proc();
        return *ret ? 0 : negative_errno();
}

int caps_apply_after_setuid(uint64_t keep, bool root)
{
        cap_t caps;
        int last, r;

        /* PR_SET_KEEPCAPS kept the permitted set through setresuid(); the effective one,
         * which dropping from the bounding set needs, is raised from it again. */
        r = get_process_caps(&caps, &last);
        if (r < 0)
                return r;
        for (int c = 0; r >= 0 && c <= last; c++) {
                cap_value_t value = (cap_value_t)c;
                cap_flag_value_t permitted = CAP_CLEAR;

                if (libcap.get_flag(caps, value, CAP_PERMITTED, &permitted) < 0 ||
                    (permitted == CAP_SET && libcap.set_flag(caps, CAP_EFFECTIVE, 1, &value, CAP_SET) < 0))
                        r = negative_errno();
        }
        if (r >= 0 && libcap.set_proc(caps) < 0)
                r = negative_errno();
        libcap.free(caps);
        if (r >= 0)
                r = caps_apply(keep);
        if (r < 0 || root)
                return r;
        /* A user other than root holds no capability, as after an exec by the kernel's rules. */
        caps = libcap.get_proc();
        if (!caps)
                return negative_errno();
        if (libcap.clear_flag(caps, CAP_EFFECTIVE) < 0 || libcap.clear_flag(caps, CAP_PERMITTED) < 0 ||
            libcap.set_proc(caps) < 0)
                r = negative_errno();
        libcap.free(caps);
        return r;
}

int caps_set_process(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient)
{
        static const struct {
                cap_flag_t flag;
                int index;
        } sets[] = { { CAP_EFFECTIVE, 0 }, { CAP_PERMITTED, 1 }, { CAP_INHERITABLE, 2 } };
        const uint64_t masks[] = { effective, permitted, inheritable };
        cap_t caps;
        int last, r = get_process_caps(&caps, &last);

        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sets); i++) {
                if (libcap.clear_flag(caps, sets[i].flag) < 0)
                        r = negative_errno();
                for (int c = 0; r >= 0 && c <= last && c < 64; c++) {
                        cap_value_t value = (cap_value_t)c;

                        if ((masks[sets[i].index] & (UINT64_C(1) << c)) &&
                            libcap.set_flag(caps, sets[i].flag, 1, &value, CAP_SET) < 0)
                                r = negative_errno();
                }
        }
        if (r >= 0 && libcap.set_proc(caps) < 0)
                r = negative_errno();
        libcap.free(caps);
        for (int c = 0; r >= 0 && c <= last && c < 64; c++)
                if ((ambient & (UINT64_C(1) << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        r = negative_errno();
        return r;
}
