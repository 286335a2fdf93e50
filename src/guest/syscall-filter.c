/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's seccomp filter (libseccomp, dlopen()ed): its deny list, the
 * --system-call-filter syntax (names and @groups), and its loading in the guest's first
 * process. */
#include <dlfcn.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/syscall-filter.h"
#include "oci/seccomp.h"
#include "util/dl.h"
#include "util/macro.h"
#include "util/strv.h"

/* libseccomp, dlopen()ed where it is used (see util/dl.h). */
static struct {
        void *handle;
        scmp_filter_ctx (*init)(uint32_t);
        void (*release)(scmp_filter_ctx);
        uint32_t (*arch_native)(void);
        int (*arch_add)(scmp_filter_ctx, uint32_t);
        int (*attr_set)(scmp_filter_ctx, enum scmp_filter_attr, uint32_t);
        int (*rule_add)(scmp_filter_ctx, uint32_t, int, unsigned int, ...);
        int (*load)(const scmp_filter_ctx);
        int (*resolve_name)(const char *);
        int (*rule_add_array)(scmp_filter_ctx, uint32_t, int, unsigned int, const struct scmp_arg_cmp *);
        uint32_t (*arch_resolve_name)(const char *);
        int (*notify_fd)(const scmp_filter_ctx);
        int (*export_bpf)(const scmp_filter_ctx, int);
} libseccomp;

int syscall_filter_load(void)
{
        const struct dl_symbol symbols[] = {
                { "seccomp_init", (void **)&libseccomp.init },
                { "seccomp_release", (void **)&libseccomp.release },
                { "seccomp_arch_native", (void **)&libseccomp.arch_native },
                { "seccomp_arch_add", (void **)&libseccomp.arch_add },
                { "seccomp_attr_set", (void **)&libseccomp.attr_set },
                { "seccomp_rule_add", (void **)&libseccomp.rule_add },
                { "seccomp_load", (void **)&libseccomp.load },
                { "seccomp_syscall_resolve_name", (void **)&libseccomp.resolve_name },
                { "seccomp_rule_add_array", (void **)&libseccomp.rule_add_array },
                { "seccomp_arch_resolve_name", (void **)&libseccomp.arch_resolve_name },
                { "seccomp_notify_fd", (void **)&libseccomp.notify_fd },
                { "seccomp_export_bpf", (void **)&libseccomp.export_bpf },
        };
        int r;

        if (libseccomp.handle)
                return 0;
        libseccomp.handle = dl_open("libseccomp.so.2", symbols, ELEMENTSOF(symbols), &r);
        return r;
}

static void syscall_filter_unload(void)
{
        if (libseccomp.handle)
                dlclose(libseccomp.handle);
        libseccomp.handle = NULL;
}

bool syscall_filter_arch_known(const char *name)
{
        bool loaded = libseccomp.handle, known;

        if (syscall_filter_load() < 0)
                return false;
        known = libseccomp.arch_resolve_name(name) != 0;
        if (!loaded)
                syscall_filter_unload();
        return known;
}

struct syscall_group {
        const char *name;
        const char *const *calls;
};

/* Groups as systemd.exec(5) names them, with the calls of theirs a container must not
 * make: none of these is namespaced, so each reaches the host as a whole. */
static const struct syscall_group groups[] = {
        /* Kernel modules: code in the host's kernel. */
        { "@module", (const char *const[]){ "init_module", "finit_module", "delete_module", NULL } },
        /* Swap: the host's memory. */
        { "@swap", (const char *const[]){ "swapon", "swapoff", NULL } },
        /* The host's clock (there is no time namespace for CLOCK_REALTIME). */
        { "@clock", (const char *const[]){ "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime",
                                           "clock_settime64", "settimeofday", "stime", NULL } },
        /* Raw I/O ports and PCI configuration: the host's hardware. */
        { "@raw-io",
          (const char *const[]){ "ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", NULL } },
        /* Replacing the host's kernel. */
        { "@kexec", (const char *const[]){ "kexec_load", "kexec_file_load", NULL } },
        /* The kernel keyring is not namespaced: keys of the host's users are reachable. */
        { "@keyring", (const char *const[]){ "add_key", "keyctl", "request_key", NULL } },
        /* Old calls no container needs, some with a history of holes. */
        { "@obsolete",
          (const char *const[]){
                  "_sysctl", "afs_syscall",  "bdflush",  "break",    "create_module", "ftime",      "get_kernel_syms",
                  "getpmsg", "gtty",         "idle",     "lock",     "mpx",           "prof",       "profil",
                  "putpmsg", "query_module", "security", "sgetmask", "ssetmask",      "stty",       "sysfs",
                  "tuxcall", "ulimit",       "uselib",   "ustat",    "vserver",       "nfsservctl", "lookup_dcookie",
                  NULL } },
        /* 8086 emulation of i386. */
        { "@cpu-emulation",
          (const char *const[]){ "modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old", NULL } },
        /* io_uring: namespaced, but a large kernel surface of its own, the way in of many
         * kernel privilege escalations (a ring runs I/O that no system call filter sees).
         * Docker's default profile denies it too. Stricter than systemd-nspawn, on purpose. */
        { "@io-uring", (const char *const[]){ "io_uring_setup", "io_uring_enter", "io_uring_register", NULL } },
};

/* Single calls denied beside the groups. */
static const char *const single_calls[] = {
        "open_by_handle_at", /* opens any file of a file system by handle: the host's too */
        "bpf",               /* eBPF programs run in the host's kernel; CAP_SYS_ADMIN allows them */
        "perf_event_open",   /* observes the host's kernel and other processes */
        "acct",              /* process accounting is host-wide */
        "quotactl",          /* quotas of the host's file systems */
        "syslog",            /* the host's kernel log */
        "userfaultfd",       /* a classic helper of kernel exploits */
        NULL,
};

/* The groups a user may name, the default denied ones and a few more. */
static const struct syscall_group extra_groups[] = {
        { "@reboot", (const char *const[]){ "reboot", "kexec_load", "kexec_file_load", NULL } },
        { "@debug", (const char *const[]){ "ptrace", "process_vm_readv", "process_vm_writev", "lookup_dcookie",
                                           "perf_event_open", "pidfd_getfd", NULL } },
        { "@mount", (const char *const[]){ "mount", "umount", "umount2", "pivot_root", "chroot", "fsconfig", "fsmount",
                                           "fsopen", "fspick", "mount_setattr", "move_mount", "open_tree", NULL } },
        /* systemd's, as tools name them (debspawn allows @memlock @pkey @clock
         * @cpu-emulation): allowing one we do not deny changes nothing. */
        { "@memlock", (const char *const[]){ "mlock", "mlock2", "mlockall", "munlock", "munlockall", NULL } },
        { "@pkey", (const char *const[]){ "pkey_alloc", "pkey_free", "pkey_mprotect", NULL } },
        { "@sync", (const char *const[]){ "fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2",
                                          "syncfs", NULL } },
        { "@aio", (const char *const[]){ "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup",
                                         "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", NULL } },
};

static const struct syscall_group *find_group(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                if (strcmp(groups[i].name, name) == 0)
                        return &groups[i];
        for (size_t i = 0; i < ELEMENTSOF(extra_groups); i++)
                if (strcmp(extra_groups[i].name, name) == 0)
                        return &extra_groups[i];
        return NULL;
}

/* Adds NAME (a call or a @group) to L, expanded. */
static int add_expanded(char ***l, const char *name)
{
        const struct syscall_group *group;
        int r;

        if (name[0] != '@')
                return strv_extend(l, name);
        group = find_group(name);
        if (!group)
                return -EINVAL;
        for (const char *const *c = group->calls; *c; c++) {
                r = strv_extend(l, *c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_names(const char *value, char ***allow, char ***deny, char *error, size_t size);

int syscall_filter_parse(const char *value, char ***allow, char ***deny, char *error, size_t size)
{
        int r = syscall_filter_load();

        if (r < 0) {
                snprintf(error, size, "--system-call-filter: libseccomp.so.2 cannot be loaded");
                return r;
        }
        r = parse_names(value, allow, deny, error, size);
        syscall_filter_unload();
        return r;
}

static int parse_names(const char *value, char ***allow, char ***deny, char *error, size_t size)
{
        _cleanup_free_ char *copy = NULL;
        char *name, *save = NULL;
        char ***target = allow;
        int r;

        if (value[0] == '~') {
                target = deny;
                value++;
        } else if (value[0] == '+')
                value++;
        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        for (name = strtok_r(copy, " ,", &save); name; name = strtok_r(NULL, " ,", &save)) {
                if (name[0] != '@' && libseccomp.resolve_name(name) == __NR_SCMP_ERROR) {
                        snprintf(error, size, "--system-call-filter: no system call named '%s'", name);
                        return -EINVAL;
                }
                r = add_expanded(target, name);
                if (r == -EINVAL) {
                        size_t n = (size_t)snprintf(error, size,
                                                    "--system-call-filter: no group named '%s' (known:", name);

                        for (size_t i = 0; i < ELEMENTSOF(groups) + ELEMENTSOF(extra_groups) && n < size; i++)
                                n += (size_t)snprintf(error + n, size - n, " %s",
                                                      i < ELEMENTSOF(groups) ? groups[i].name
                                                                             : extra_groups[i - ELEMENTSOF(groups)].name);
                        if (n < size)
                                snprintf(error + n, size - n, ")");
                        return r;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool in_list(char *const *l, const char *name)
{
        for (size_t i = 0; l && l[i]; i++)
                if (strcmp(l[i], name) == 0)
                        return true;
        return false;
}

/* Denies one call by name, on every architecture of the filter that has it. */
static int deny_call(scmp_filter_ctx ctx, const char *name)
{
        int nr = libseccomp.resolve_name(name);
        int r;

        /* A name this libseccomp does not know on any architecture: nothing to deny. */
        if (nr == __NR_SCMP_ERROR)
                return 0;
        r = libseccomp.rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        /* Calls that exist on some architectures only are added where they do. */
        return r == -EDOM || r == -EEXIST ? 0 : r;
}

/* --suppress-sync: the calls that wait for data to reach the disk return 0 at once, as
 * systemd-nspawn's --suppress-sync=yes makes them (a package build's thousands of fsync()
 * calls, for a tree that is thrown away after). */
static const char *const sync_calls[] = {
        "sync", "syncfs", "fsync", "fdatasync", "sync_file_range", "sync_file_range2", "msync", NULL,
};

static int suppress_call(scmp_filter_ctx ctx, const char *name)
{
        int nr = libseccomp.resolve_name(name);
        int r;

        if (nr == __NR_SCMP_ERROR)
                return 0;
        r = libseccomp.rule_add(ctx, SCMP_ACT_ERRNO(0), nr, 0);
        /* Denied already (--system-call-filter=~fsync): that stays. */
        return r == -EDOM || r == -EEXIST ? 0 : r;
}

int syscall_filter_apply(char *const *allow, char *const *deny, bool no_new_privileges, bool suppress_sync)
{
        scmp_filter_ctx ctx;
        char **denied = NULL;
        int r = syscall_filter_load();

        if (r < 0)
                return r;
        ctx = libseccomp.init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        /* The compat ABIs reach the same kernel: x86-64 guests may also run i386 and x32
         * code, and each needs the same rules. */
        if (libseccomp.arch_native() == SCMP_ARCH_X86_64) {
                r = libseccomp.arch_add(ctx, SCMP_ARCH_X86);
                if (r >= 0 || r == -EEXIST)
                        r = libseccomp.arch_add(ctx, SCMP_ARCH_X32);
                if (r == -EEXIST)
                        r = 0;
        }
        if (r >= 0)
                r = libseccomp.attr_set(ctx, SCMP_FLTATR_CTL_NNP, no_new_privileges ? 1 : 0);

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(groups); i++)
                for (const char *const *c = groups[i].calls; r >= 0 && *c; c++)
                        if (!in_list(allow, *c))
                                r = strv_extend(&denied, *c);
        for (const char *const *c = single_calls; r >= 0 && *c; c++)
                if (!in_list(allow, *c))
                        r = strv_extend(&denied, *c);
        for (size_t i = 0; r >= 0 && deny && deny[i]; i++)
                r = strv_extend(&denied, deny[i]);
        for (size_t i = 0; r >= 0 && denied && denied[i]; i++)
                r = deny_call(ctx, denied[i]);
        for (size_t i = 0; r >= 0 && suppress_sync && sync_calls[i]; i++)
                r = suppress_call(ctx, sync_calls[i]);
        if (r >= 0)
                r = libseccomp.load(ctx);
        strv_free(denied);
        libseccomp.release(ctx);
        return r;
}

/* The filter of CTX loaded by seccomp(2) itself, with FLAGS libseccomp (2.5) has no
 * attribute for: its program as libseccomp exports it. The listener's fd with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0; or -errno. */
static int load_with_flags(scmp_filter_ctx ctx, unsigned flags)
{
        _cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        _cleanup_free_ struct sock_filter *program = NULL;
        struct sock_fprog fprog = {};
        off_t size;
        int r;

        if (fd < 0)
                return negative_errno();
        r = libseccomp.export_bpf(ctx, fd);
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 || size > BPF_MAXINSNS * 8)
                return -EINVAL;
        program = malloc((size_t)size);
        if (!program)
                return -ENOMEM;
        if (pread(fd, program, (size_t)size, 0) != size)
                return -EIO;
        fprog.len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
        fprog.filter = program;
        r = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
        return r < 0 ? negative_errno() : r;
}

int syscall_filter_apply_oci(const struct oci_seccomp *s, int *ret_notify_fd)
{
        scmp_filter_ctx ctx;
        int r = syscall_filter_load();

        if (r < 0)
                return r;
        ctx = libseccomp.init(s->default_action);
        if (!ctx)
                return -ENOMEM;
        /* no_new_privs is process.noNewPrivileges' to say, not libseccomp's. */
        r = libseccomp.attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r >= 0 && s->log)
                r = libseccomp.attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
        if (r >= 0 && s->spec_allow)
                r = libseccomp.attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
        for (size_t i = 0; r >= 0 && s->architectures && s->architectures[i]; i++) {
                uint32_t arch = libseccomp.arch_resolve_name(s->architectures[i]);

                /* One libseccomp does not know, or a foreign one: nothing of it runs here. */
                if (arch == 0)
                        continue;
                r = libseccomp.arch_add(ctx, arch);
                if (r == -EEXIST || r == -EINVAL)
                        r = 0;
        }
        for (size_t i = 0; r >= 0 && i < s->n_rules; i++) {
                const struct oci_seccomp_rule *rule = &s->rules[i];
                int nr = libseccomp.resolve_name(rule->name);

                /* A call this kernel or libseccomp does not know, or a rule that says what
                 * the default says: nothing to add (runc skips them too). */
                if (nr == __NR_SCMP_ERROR || rule->action == s->default_action)
                        continue;
                r = libseccomp.rule_add_array(ctx, rule->action, nr, rule->n_args, rule->args);
        }
        /* WAIT_KILLABLE_RECV goes with a listener alone: the kernel refuses it otherwise. */
        if (r >= 0 && s->notify && s->wait_killable_recv) {
                r = load_with_flags(ctx, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV |
                                                 (s->log ? SECCOMP_FILTER_FLAG_LOG : 0) |
                                                 (s->spec_allow ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0));
                if (r >= 0)
                        *ret_notify_fd = r;
                libseccomp.release(ctx);
                return r < 0 ? r : 0;
        }
        if (r >= 0)
                r = libseccomp.load(ctx);
        /* SCMP_ACT_NOTIFY's listener end, for the caller to hand on (listenerPath). */
        if (r >= 0 && s->notify) {
                r = libseccomp.notify_fd(ctx);
                if (r >= 0)
                        *ret_notify_fd = r;
        }
        libseccomp.release(ctx);
        return r < 0 ? r : 0;
}
