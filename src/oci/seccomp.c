/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.json's linux.seccomp read, its names as libseccomp's numbers (oci/seccomp.h): what
 * the host checks before the container's first process installs the filter. */
#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "oci/json-read.h"
#include "oci/seccomp.h"
#include "util/strv.h"

void oci_seccomp_free(struct oci_seccomp *s)
{
        if (!s)
                return;
        strv_free(s->architectures);
        free(s->listener_path);
        free(s->listener_metadata);
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
        if (strcmp(name, "SCMP_ACT_NOTIFY") == 0) {
                *ret = SCMP_ACT_NOTIFY;
                return 0;
        }
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

/* Whether the kernel knows SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19): it checks
 * the flags before it reads the program, so a NULL one fails with EFAULT if it does, and
 * EINVAL if not. */
static bool kernel_has_wait_killable_recv(void)
{
        return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                       SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, NULL) < 0 &&
               errno == EFAULT;
}

bool oci_seccomp_flag_is_taken(const char *name)
{
        /* TSYNC: one thread here, so every filter is on all of them already. */
        if (!strcmp(name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"))
                return kernel_has_wait_killable_recv();
        return !strcmp(name, "SECCOMP_FILTER_FLAG_LOG") || !strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") ||
               !strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC");
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

/* One of linux.seccomp.syscalls: a rule for each of its names. */
static int read_seccomp_rule(const struct oci_reader *rd, json_object *rule, const char *where, struct oci_seccomp *s)
{
        _cleanup_(strv_freep) char **names = NULL;
        struct oci_seccomp_rule proto = {};
        const char *action = NULL;
        json_object *args;
        uint64_t errno_ret = 1;
        int r;

        if (oci_want(rd, rule, json_type_object, where) < 0 || oci_get_strv(rd, rule, "names", where, &names) < 0 ||
            oci_get_string(rd, rule, "action", where, &action) < 0 ||
            oci_get_uint(rd, rule, "errnoRet", where, 4095, &errno_ret) < 0)
                return -EINVAL;
        if (!action)
                return oci_bad_key(rd, where, "has no action");
        r = oci_seccomp_action(action, (uint32_t)errno_ret, &proto.action);
        if (r < 0)
                return oci_bad_key(rd, where,
                                   "action '%s' is no action of libseccomp's (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ...)",
                                   action);
        args = oci_member(rule, "args");
        if (args && (oci_want(rd, args, json_type_array, where) < 0 || sym_json_object_array_length(args) > 6))
                return oci_bad_key(rd, where, "args: at most 6, as a system call has");
        for (size_t i = 0, n = args ? sym_json_object_array_length(args) : 0; i < n; i++) {
                json_object *a = sym_json_object_array_get_idx(args, i);
                uint64_t index = 0, value = 0, value_two = 0;
                enum scmp_compare op;
                const char *op_name = NULL;

                if (oci_want(rd, a, json_type_object, where) < 0 || oci_get_uint(rd, a, "index", where, 5, &index) <= 0 ||
                    oci_get_uint(rd, a, "value", where, INT64_MAX, &value) < 0 ||
                    oci_get_uint(rd, a, "valueTwo", where, INT64_MAX, &value_two) < 0 ||
                    oci_get_string(rd, a, "op", where, &op_name) <= 0 || oci_seccomp_op(op_name, &op) < 0)
                        return oci_bad_key(rd, where,
                                           "args[%zu] must be {\"index\": 0-5, \"value\": N, \"op\": SCMP_CMP_...}", i);
                proto.args[proto.n_args++] = (struct scmp_arg_cmp){
                        .arg = (unsigned)index, .op = op, .datum_a = value, .datum_b = value_two
                };
        }
        for (size_t i = 0; names && names[i]; i++) {
                struct oci_seccomp_rule *grown = realloc(s->rules, (s->n_rules + 1) * sizeof(*grown));

                if (!grown)
                        return -ENOMEM;
                s->rules = grown;
                s->rules[s->n_rules] = proto;
                s->rules[s->n_rules].name = strdup(names[i]);
                if (!s->rules[s->n_rules++].name)
                        return -ENOMEM;
        }
        return 0;
}

/* listenerPath (an absolute path of a unix socket) and listenerMetadata. */
static int read_listener(const struct oci_reader *rd, json_object *seccomp, struct oci_seccomp *s)
{
        const char *path = NULL, *metadata = NULL;

        if (oci_get_string(rd, seccomp, "listenerPath", "linux.seccomp.listenerPath", &path) < 0 ||
            oci_get_string(rd, seccomp, "listenerMetadata", "linux.seccomp.listenerMetadata", &metadata) < 0)
                return -EINVAL;
        if (path && (path[0] != '/' || strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)))
                return oci_bad_key(rd, "linux.seccomp.listenerPath", "'%s' is no absolute path of a unix socket", path);
        if ((path && !(s->listener_path = strdup(path))) || (metadata && !(s->listener_metadata = strdup(metadata))))
                return -ENOMEM;
        return 0;
}

/* linux.seccomp: defaultAction, architectures, flags, syscalls (config-linux.md). */
int oci_read_seccomp(const struct oci_reader *rd, json_object *linux_, struct oci_seccomp **ret)
{
        json_object *seccomp = oci_member(linux_, "seccomp"), *syscalls;
        _cleanup_(strv_freep) char **arches = NULL, **flags = NULL;
        const char *action = NULL;
        uint64_t errno_ret = 1;
        struct oci_seccomp *s;
        int r;

        if (!seccomp)
                return 0;
        if (oci_want(rd, seccomp, json_type_object, "linux.seccomp") < 0)
                return -EINVAL;
        s = *ret = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        if (oci_get_string(rd, seccomp, "defaultAction", "linux.seccomp.defaultAction", &action) <= 0)
                return oci_bad_key(rd, "linux.seccomp.defaultAction", "is missing");
        if (oci_get_uint(rd, seccomp, "defaultErrnoRet", "linux.seccomp.defaultErrnoRet", 4095, &errno_ret) < 0)
                return -EINVAL;
        r = oci_seccomp_action(action, (uint32_t)errno_ret, &s->default_action);
        if (r < 0)
                return oci_bad_key(rd, "linux.seccomp.defaultAction", "'%s' is no action machined-lite takes", action);
        /* (Every call, the listener's own, would wait on the listener.) */
        if (s->default_action == SCMP_ACT_NOTIFY)
                return oci_bad_key(rd, "linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY is for a rule, not the default");
        if (oci_get_strv(rd, seccomp, "architectures", "linux.seccomp.architectures", &arches) < 0 ||
            oci_get_strv(rd, seccomp, "flags", "linux.seccomp.flags", &flags) < 0)
                return -EINVAL;
        for (size_t i = 0; arches && arches[i]; i++) {
                _cleanup_free_ char *arch = oci_seccomp_arch(arches[i]);

                if (!arch)
                        return oci_bad_key(rd, "linux.seccomp.architectures", "'%s' is no SCMP_ARCH_ name", arches[i]);
                if (strv_extend(&s->architectures, arch) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; flags && flags[i]; i++) {
                if (!oci_seccomp_flag_is_taken(flags[i]))
                        return oci_bad_key(rd, "linux.seccomp.flags", "'%s' is %s", flags[i],
                                           !strcmp(flags[i], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
                                                   ? "not known to this kernel (Linux 5.19 has it)"
                                                   : "not implemented by machined-lite");
                s->log = s->log || !strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG");
                s->spec_allow = s->spec_allow || !strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
                s->wait_killable_recv = s->wait_killable_recv ||
                                        !strcmp(flags[i], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        }
        if ((r = read_listener(rd, seccomp, s)) < 0)
                return r;
        syscalls = oci_member(seccomp, "syscalls");
        if (syscalls && oci_want(rd, syscalls, json_type_array, "linux.seccomp.syscalls") < 0)
                return -EINVAL;
        for (size_t i = 0, n = syscalls ? sym_json_object_array_length(syscalls) : 0; i < n; i++) {
                char where[64];

                snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
                r = read_seccomp_rule(rd, sym_json_object_array_get_idx(syscalls, i), where, s);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->n_rules; i++)
                s->notify = s->notify || s->rules[i].action == SCMP_ACT_NOTIFY;
        if (s->notify && !s->listener_path)
                return oci_bad_key(rd, "linux.seccomp.listenerPath",
                                   "is missing: a rule's SCMP_ACT_NOTIFY needs a listener to hand the notifications to");
        return 0;
}
