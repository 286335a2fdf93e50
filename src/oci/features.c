/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `machined-lite-oci features` (the runtime specification's features.md): what this
 * runtime takes, asked of the very code that reads config.json, so that it never claims
 * more or less than create does: the hook kinds, mount options, namespaces,
 * capabilities, seccomp's actions, operators, architectures and flags. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/caps.h"
#include "guest/syscall-filter.h"
#include "oci/config.h"
#include "oci/hooks.h"
#include "oci/mounts.h"
#include "oci/scheduling.h"
#include "oci/seccomp.h"
#include "oci/verbs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/mount-options.h"
#include "util/strv.h"

/* The names the specification has for these: each printed when our reader takes it. */
static const char *const seccomp_actions[] = {
        "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY",
};
static const char *const seccomp_operators[] = {
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};
static const char *const seccomp_archs[] = {
        "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",       "SCMP_ARCH_ARM",     "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64",
};
static const char *const seccomp_flags[] = {
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};
/* linux.namespaces' types that create takes. */
static const char *const namespace_types[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" };

static bool action_taken(const char *name)
{
        uint32_t action;

        return oci_seccomp_action(name, 1, &action) == 0;
}

static bool operator_taken(const char *name)
{
        enum scmp_compare op;

        return oci_seccomp_op(name, &op) == 0;
}

static bool arch_taken(const char *name)
{
        _cleanup_free_ char *arch = oci_seccomp_arch(name);

        return arch && syscall_filter_arch_known(arch);
}

static bool any(const char *name _unused_)
{
        return true;
}

/* A JSON array of NAMES (N of them, or NULL-terminated when N is 0) that TAKEN says yes to. */
static void print_array(const char *const *names, size_t n, bool (*taken)(const char *))
{
        bool first = true;

        fputc('[', stdout);
        for (size_t i = 0; n ? i < n : names && names[i] != NULL; i++) {
                if (!taken(names[i]))
                        continue;
                fputs(first ? "" : ", ", stdout);
                json_print_string(names[i], stdout);
                first = false;
        }
        fputc(']', stdout);
}

static int compare_strings(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* mountOptions: a bind's, and the mount flags any other mount's options are split into. */
static int mount_options(char ***ret)
{
        char **names = NULL;
        int r = mount_options_known(&names);

        for (size_t i = 0; r >= 0 && oci_bind_option(i); i++)
                if (!strv_contains(names, oci_bind_option(i)))
                        r = strv_extend(&names, oci_bind_option(i));
        if (r < 0) {
                strv_free(names);
                return r;
        }
        qsort(names, strv_length(names), sizeof(*names), compare_strings);
        *ret = names;
        return 0;
}

int oci_verb_features(const struct oci_global *g _unused_, int argc _unused_, char *argv[] _unused_)
{
        _cleanup_(strv_freep) char **capabilities = NULL, **options = NULL;
        const char *hooks[_OCI_HOOK_MAX];
        int r;

        for (size_t k = 0; k < _OCI_HOOK_MAX; k++)
                hooks[k] = oci_hook_kind_name(k);
        r = caps_known_names(&capabilities);
        if (r >= 0)
                r = mount_options(&options);
        if (r < 0)
                return log_error_errno(r, "features: cannot list what machined-lite takes: %m"), OCI_EXIT_FAILED;
        printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.3.0\",\n  \"hooks\": ");
        print_array(hooks, _OCI_HOOK_MAX, any);
        printf(",\n  \"mountOptions\": ");
        print_array((const char *const *)options, 0, any);
        printf(",\n  \"linux\": {\n    \"namespaces\": ");
        print_array(namespace_types, ELEMENTSOF(namespace_types), any);
        printf(",\n    \"capabilities\": ");
        print_array((const char *const *)capabilities, 0, any);
        /* cgroup v2, or v1 beside it (hybrid); not v1 alone. --systemd-cgroup: systemd's
         * system manager, not a user's. */
        printf(",\n    \"cgroup\": { \"v1\": false, \"v2\": true, \"systemd\": true, \"systemdUser\": false, "
               "\"rdma\": true },\n    \"memoryPolicy\": {\n      \"modes\": ");
        print_array(oci_memory_policy_modes, 0, any);
        printf(",\n      \"flags\": ");
        print_array(oci_memory_policy_flags, 0, any);
        printf("\n    },\n    \"seccomp\": {\n      \"enabled\": true,\n      \"actions\": ");
        print_array(seccomp_actions, ELEMENTSOF(seccomp_actions), action_taken);
        printf(",\n      \"operators\": ");
        print_array(seccomp_operators, ELEMENTSOF(seccomp_operators), operator_taken);
        printf(",\n      \"archs\": ");
        print_array(seccomp_archs, ELEMENTSOF(seccomp_archs), arch_taken);
        printf(",\n      \"knownFlags\": ");
        print_array(seccomp_flags, ELEMENTSOF(seccomp_flags), any);
        printf(",\n      \"supportedFlags\": ");
        print_array(seccomp_flags, ELEMENTSOF(seccomp_flags), oci_seccomp_flag_is_taken);
        printf("\n    },\n    \"apparmor\": { \"enabled\": false },\n    \"selinux\": { \"enabled\": false },\n"
               "    \"intelRdt\": { \"enabled\": false },\n    \"netDevices\": { \"enabled\": true },\n    \"mountExtensions\": { \"idmap\": { \"enabled\": true } }\n"
               "  },\n  \"annotations\": {}\n}\n");
        return 0;
}
