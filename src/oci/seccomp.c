/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names config.md's linux.seccomp uses, as libseccomp's numbers (oci/seccomp.h): what
 * the host checks before the container's first process installs the filter. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/seccomp.h"
#include "util/strv.h"

void oci_seccomp_free(struct oci_seccomp *s)
{
        if (!s)
                return;
        strv_free(s->architectures);
        for (size_t i = 0; i < s->n_rules; i++)
                free(s->rules[i].name);
        free(s->rules);
        free(s);
}

int oci_seccomp_action(const char *name, uint32_t errno_ret, uint32_t *ret)
{
        static const struct {
                const char *name;
                uint32_t action;
        } actions[] = {
                { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD },
                { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
                { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
                { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
                { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
                { "SCMP_ACT_LOG", SCMP_ACT_LOG },
        };

        if (strcmp(name, "SCMP_ACT_ERRNO") == 0) {
                *ret = SCMP_ACT_ERRNO(errno_ret);
                return 0;
        }
        if (strcmp(name, "SCMP_ACT_TRACE") == 0) {
                *ret = SCMP_ACT_TRACE(errno_ret);
                return 0;
        }
        if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
                return -EOPNOTSUPP;
        for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
                if (strcmp(name, actions[i].name) == 0) {
                        *ret = actions[i].action;
                        return 0;
                }
        return -EINVAL;
}

int oci_seccomp_op(const char *name, enum scmp_compare *ret)
{
        static const struct {
                const char *name;
                enum scmp_compare op;
        } ops[] = {
                { "SCMP_CMP_NE", SCMP_CMP_NE },
                { "SCMP_CMP_LT", SCMP_CMP_LT },
                { "SCMP_CMP_LE", SCMP_CMP_LE },
                { "SCMP_CMP_EQ", SCMP_CMP_EQ },
                { "SCMP_CMP_GE", SCMP_CMP_GE },
                { "SCMP_CMP_GT", SCMP_CMP_GT },
                { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
        };

        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
                if (strcmp(name, ops[i].name) == 0) {
                        *ret = ops[i].op;
                        return 0;
                }
        return -EINVAL;
}

char *oci_seccomp_arch(const char *name)
{
        char *arch;

        if (strncmp(name, "SCMP_ARCH_", 10) != 0 || !name[10])
                return NULL;
        arch = strdup(name + 10);
        for (char *p = arch; p && *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return arch;
}
