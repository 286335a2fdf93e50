/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An OCI container's process: config.json's process object, or exec --process's document,
 * which is one: the command, its environment and directory, its user, its five capability
 * sets, rlimits, terminal and the rest, into the struct machine it runs by. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config/exec-options.h"
#include "config/guest-user.h"
#include "config/options.h"
#include "guest/caps.h"
#include "oci/jsonc.h"
#include "oci/process.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/strv.h"

/* process.user: numbers only, never looked up in the container (config.md). */
static int read_user(const struct oci_reader *rd, json_object *process, struct machine *m, struct oci_container *c)
{
        json_object *user = oci_member(process, "user"), *groups;
        struct guest_user *u;
        uint64_t uid = 0, gid = 0, mask = 022;
        int r;

        if (user && oci_want(rd, user, json_type_object, "process.user") < 0)
                return -EINVAL;
        if ((r = oci_get_uint(rd, user, "uid", "process.user.uid", UINT32_MAX - 1, &uid)) < 0 ||
            (r = oci_get_uint(rd, user, "gid", "process.user.gid", UINT32_MAX - 1, &gid)) < 0 ||
            (r = oci_get_uint(rd, user, "umask", "process.user.umask", 0777, &mask)) < 0)
                return r;
        c->umask = (mode_t)mask;
        if (oci_get_string(rd, user, "username", "process.user.username", &(const char *){ NULL }) < 0)
                return -EINVAL;
        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        m->run_user = u;
        u->uid = (uid_t)uid;
        u->gid = (gid_t)gid;
        if (asprintf(&u->name, "%llu", (unsigned long long)uid) < 0) {
                u->name = NULL;
                return -ENOMEM;
        }
        u->home = strdup("/");
        u->shell = strdup("/bin/sh");
        /* The supplementary groups are additionalGids, exactly (none without): the primary
         * group is not added, as runc adds none. */
        u->groups = calloc(1, sizeof(gid_t));
        if (!u->home || !u->shell || !u->groups)
                return -ENOMEM;
        groups = oci_member(user, "additionalGids");
        if (!groups)
                return 0;
        if (oci_want(rd, groups, json_type_array, "process.user.additionalGids") < 0)
                return -EINVAL;
        for (size_t i = 0, n = sym_json_object_array_length(groups); i < n; i++) {
                json_object *g = sym_json_object_array_get_idx(groups, i);
                gid_t *grown;

                if (!sym_json_object_is_type(g, json_type_int) || sym_json_object_get_int64(g) < 0 ||
                    sym_json_object_get_int64(g) >= UINT32_MAX)
                        return oci_bad_key(rd, "process.user.additionalGids", "must be an array of GIDs");
                grown = realloc(u->groups, (u->n_groups + 1) * sizeof(*grown));
                if (!grown)
                        return -ENOMEM;
                u->groups = grown;
                u->groups[u->n_groups++] = (gid_t)sym_json_object_get_int64(g);
        }
        return 0;
}

/* process.capabilities: the bounding set is what the container keeps (effective and
 * permitted for root are that set, as runc makes them for podman's configs). */
/* One of process.capabilities' sets, as a mask (0 when absent). */
static int read_capability_set(const struct oci_reader *rd, json_object *caps, const char *set, uint64_t *ret)
{
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_free_ char *list = NULL;
        const char *bad = NULL;
        char where[64];
        int r;

        snprintf(where, sizeof(where), "process.capabilities.%s", set);
        *ret = 0;
        r = oci_get_strv(rd, caps, set, where, &names);
        if (r < 0)
                return r;
        list = strv_join(names, ",");
        if (!list)
                return -ENOMEM;
        if (list[0] && caps_parse(list, ret, &bad) < 0)
                return oci_bad_key(rd, where, "'%s' is no capability this kernel has", bad ?: list);
        return 0;
}

/* Ambient capabilities outside permitted and inheritable, which the kernel keeps none of
 * (runc's own default config.json has them: it sets no inheritable set), are left out, as
 * runc leaves them; for a user other than root, whose process would have had them, one
 * line says which. */
static int leave_out_ambient(json_object *caps, const struct machine *m, struct oci_container *c)
{
        uint64_t dropped = c->caps_ambient & ~(c->caps_permitted & c->caps_inheritable);
        json_object *ambient = oci_member(caps, "ambient");
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_free_ char *list = NULL;

        c->caps_ambient &= ~dropped;
        if (!m->run_user || m->run_user->uid == 0)
                return 0;
        for (size_t i = 0, n = sym_json_object_array_length(ambient); i < n; i++) {
                const char *name = sym_json_object_get_string(sym_json_object_array_get_idx(ambient, i));
                uint64_t mask = 0;
                const char *bad = NULL;

                if (name && caps_parse(name, &mask, &bad) >= 0 && (mask & dropped) && strv_extend(&names, name) < 0)
                        return -ENOMEM;
        }
        list = strv_join(names, ", ");
        log_warning("process.capabilities.ambient: %s left out: not in both permitted and inheritable, the kernel "
                    "keeps no such ambient capability",
                    list ?: "some");
        return 0;
}

static int read_capabilities(const struct oci_reader *rd, json_object *process, struct machine *m,
                             struct oci_container *c)
{
        json_object *caps = oci_member(process, "capabilities");
        uint64_t mask = 0;
        int r;

        c->capabilities_given = caps != NULL;
        if (!caps) {
                /* None given: none kept (the specification's default). */
                m->caps_add = 0;
                m->caps_drop = UINT64_MAX;
                return 0;
        }
        if (oci_want(rd, caps, json_type_object, "process.capabilities") < 0)
                return -EINVAL;
        r = read_capability_set(rd, caps, "bounding", &mask);
        if (r < 0)
                return r;
        m->caps_add = mask;
        m->caps_drop = ~mask;
        /* The other four, each within the bounding set, as the kernel has them. */
        if ((r = read_capability_set(rd, caps, "effective", &c->caps_effective)) < 0 ||
            (r = read_capability_set(rd, caps, "permitted", &c->caps_permitted)) < 0 ||
            (r = read_capability_set(rd, caps, "inheritable", &c->caps_inheritable)) < 0 ||
            (r = read_capability_set(rd, caps, "ambient", &c->caps_ambient)) < 0)
                return r;
        if ((c->caps_effective | c->caps_permitted | c->caps_inheritable | c->caps_ambient) & ~mask)
                return oci_bad_key(rd, "process.capabilities",
                                   "effective, permitted, inheritable and ambient must "
                                   "be within bounding");
        if (c->caps_effective & ~c->caps_permitted)
                return oci_bad_key(rd, "process.capabilities.effective",
                                   "must be within permitted, as the kernel has it");
        if (c->caps_ambient & ~(c->caps_permitted & c->caps_inheritable))
                return leave_out_ambient(caps, m, c);
        return 0;
}

static int read_rlimits(const struct oci_reader *rd, json_object *process, struct machine *m)
{
        json_object *limits = oci_member(process, "rlimits");
        char error[512];

        if (!limits)
                return 0;
        if (oci_want(rd, limits, json_type_array, "process.rlimits") < 0)
                return -EINVAL;
        for (size_t i = 0, n = sym_json_object_array_length(limits); i < n; i++) {
                json_object *l = sym_json_object_array_get_idx(limits, i);
                uint64_t soft = 0, hard = 0;
                const char *type = NULL;
                char where[64], value[128];
                int r;

                snprintf(where, sizeof(where), "process.rlimits[%zu]", i);
                if (oci_want(rd, l, json_type_object, where) < 0 || oci_get_string(rd, l, "type", where, &type) <= 0 ||
                    oci_get_uint(rd, l, "soft", where, UINT64_MAX >> 1, &soft) < 0 ||
                    oci_get_uint(rd, l, "hard", where, UINT64_MAX >> 1, &hard) < 0)
                        return oci_bad_key(rd, where, "must be {\"type\": \"RLIMIT_...\", \"soft\": N, \"hard\": N}");
                snprintf(value, sizeof(value), "%s=%llu:%llu", type, (unsigned long long)soft, (unsigned long long)hard);
                usage_capture(error, sizeof(error));
                r = exec_option_apply(ARG_RLIMIT, value, m);
                usage_capture(NULL, 0);
                if (r < 0)
                        return oci_bad_key(rd, where, "%s", error);
        }
        return 0;
}

/* process.consoleSize: the pty's rows and columns, set before the caller gets it. */
static int read_console_size(const struct oci_reader *rd, json_object *process, struct oci_container *c)
{
        json_object *size = oci_member(process, "consoleSize");
        uint64_t rows = 0, columns = 0;

        c->console_rows = c->console_columns = 0;
        if (!size)
                return 0;
        if (oci_want(rd, size, json_type_object, "process.consoleSize") < 0 ||
            oci_get_uint(rd, size, "height", "process.consoleSize.height", UINT16_MAX, &rows) < 0 ||
            oci_get_uint(rd, size, "width", "process.consoleSize.width", UINT16_MAX, &columns) < 0)
                return -EINVAL;
        c->console_rows = (unsigned short)rows;
        c->console_columns = (unsigned short)columns;
        return 0;
}

int oci_read_process(const struct oci_reader *rd, json_object *process, struct machine *m, struct oci_container *c)
{
        uint64_t oom = 0;
        const char *cwd = NULL;
        json_object *v;
        int r;

        if (!process)
                return oci_bad_key(rd, "process", "is missing (the container's process: args, cwd, ...)");
        if (oci_want(rd, process, json_type_object, "process") < 0)
                return -EINVAL;
        r = oci_get_strv(rd, process, "args", "process.args", &m->arguments);
        if (r < 0)
                return r;
        if (strv_length(m->arguments) == 0)
                return oci_bad_key(rd, "process.args", "is missing or empty (the command to run)");
        if ((r = oci_get_strv(rd, process, "env", "process.env", &m->setenv)) < 0)
                return r;
        for (size_t i = 0; m->setenv && m->setenv[i]; i++)
                if (!strchr(m->setenv[i], '=') || m->setenv[i][0] == '=')
                        return oci_bad_key(rd, "process.env", "'%s' is no VARIABLE=VALUE", m->setenv[i]);
        r = oci_get_string(rd, process, "cwd", "process.cwd", &cwd);
        if (r < 0)
                return r;
        if (r == 0 || cwd[0] != '/')
                return oci_bad_key(rd, "process.cwd", "must be an absolute path in the container");
        m->working_directory = strdup(cwd);
        if (!m->working_directory)
                return -ENOMEM;
        if ((r = read_console_size(rd, process, c)) < 0 ||
            (r = oci_get_bool(rd, process, "terminal", "process.terminal", &c->terminal)) < 0 ||
            (r = oci_get_bool(rd, process, "noNewPrivileges", "process.noNewPrivileges", &m->no_new_privileges)) < 0)
                return r;
        r = oci_get_uint(rd, process, "oomScoreAdj", "process.oomScoreAdj", 2000, &oom);
        if (r < 0) {
                /* -1000..1000: a negative one is an int the reader above refuses. */
                v = oci_member(process, "oomScoreAdj");
                if (!v || !sym_json_object_is_type(v, json_type_int) || sym_json_object_get_int64(v) < -1000)
                        return oci_bad_key(rd, "process.oomScoreAdj", "must be between -1000 and 1000");
                oom = (uint64_t)sym_json_object_get_int64(v);
                r = 1;
        }
        if (r > 0) {
                if ((int64_t)oom > 1000)
                        return oci_bad_key(rd, "process.oomScoreAdj", "must be between -1000 and 1000");
                m->oom_score_adjust_set = true;
                m->oom_score_adjust = (int)(int64_t)oom;
        }
        if ((r = read_user(rd, process, m, c)) < 0 || (r = read_capabilities(rd, process, m, c)) < 0 ||
            (r = read_rlimits(rd, process, m)) < 0)
                return r;
        if ((r = oci_refuse(rd, process, "apparmorProfile", "process.apparmorProfile",
                            "this host has no AppArmor for machined-lite to apply a profile with")) < 0 ||
            (r = oci_refuse(rd, process, "selinuxLabel", "process.selinuxLabel",
                            "this host has no SELinux for machined-lite to label the process with")) < 0 ||
            (r = oci_read_scheduling(rd, process, m, &c->scheduling)) < 0)
                return r;
        return 0;
}

/* Forgets what config.json's process set, for exec --process's to take its place. */
static void forget_process(struct machine *m, struct oci_container *c)
{
        strv_free(m->arguments);
        strv_free(m->setenv);
        free(m->working_directory);
        if (m->run_user)
                guest_user_done(m->run_user);
        free(m->run_user);
        free(m->rlimits);
        m->arguments = m->setenv = NULL;
        m->working_directory = NULL;
        m->run_user = NULL;
        m->rlimits = NULL;
        m->n_rlimits = 0;
        m->no_new_privileges = m->oom_score_adjust_set = false;
        c->terminal = false;
        c->umask = 022;
        /* (linux.memoryPolicy is the container's, not its process's: kept.) */
        {
                struct oci_scheduling kept = { .memory_policy = c->scheduling.memory_policy,
                                               .memory_policy_set = c->scheduling.memory_policy_set };

                oci_scheduling_done(&c->scheduling);
                c->scheduling = kept;
        }
        free(m->cpu_affinity);
        m->cpu_affinity = NULL;
        c->caps_effective = c->caps_permitted = c->caps_inheritable = c->caps_ambient = 0;
}

static int read_document(const struct oci_reader *rd, json_object *process, void *userdata)
{
        struct machine *m = ((struct oci_target *)userdata)->m;
        struct oci_container *c = ((struct oci_target *)userdata)->c;

        forget_process(m, c);
        return oci_read_process(rd, process, m, c);
}

int oci_process_load(struct oci_container *c, struct machine *m, const char *path)
{
        struct oci_reader rd = { .bundle = c->bundle, .file = path };

        return oci_json_load_file(&rd, "exec --process takes a process object of the runtime specification",
                                  read_document, &(struct oci_target){ m, c });
}
