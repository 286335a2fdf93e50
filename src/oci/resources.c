/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* linux.resources read from config.json and written to the container's cgroup
 * (oci/resources.h): v2 first, its
 * controller enabled from the hierarchy's root down as runc does; a hybrid host's v1
 * hierarchy of that controller when v2 has none of it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cgroup.h"
#include "host/device-policy.h"
#include "oci/json-read.h"
#include "oci/resources.h"
#include "util/log.h"
#include "util/macro.h"

void cgroup_settings_done(struct cgroup_settings *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->items[i].controller);
                free(s->items[i].file);
                free(s->items[i].value);
                free(s->items[i].v1_file);
                free(s->items[i].v1_value);
                free(s->items[i].key);
        }
        free(s->items);
        free(s->device_rules);
        *s = (struct cgroup_settings){};
}

int cgroup_settings_add_device_rule(struct cgroup_settings *s, struct device_rule rule)
{
        struct device_rule *grown;

        if (s->n_device_rules >= DEVICE_RULES_MAX)
                return -E2BIG;
        grown = realloc(s->device_rules, (s->n_device_rules + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        s->device_rules = grown;
        grown[s->n_device_rules++] = rule;
        return 0;
}

int cgroup_settings_add(struct cgroup_settings *s, const char *key, const char *controller, const char *file,
                        const char *value, const char *v1_file, const char *v1_value)
{
        struct cgroup_setting *grown = realloc(s->items, (s->n + 1) * sizeof(*grown)), *c;

        if (!grown)
                return -ENOMEM;
        s->items = grown;
        c = &s->items[s->n++];
        *c = (struct cgroup_setting){
                .key = strdup(key),
                .controller = strdup(controller),
                .file = file ? strdup(file) : NULL,
                .value = strdup(value),
                .v1_file = v1_file ? strdup(v1_file) : NULL,
                .v1_value = v1_value ? strdup(v1_value) : NULL,
        };
        return c->key && c->controller && (!file || c->file) && c->value && (!v1_file || c->v1_file) &&
                               (!v1_value || c->v1_value)
                       ? 0
                       : -ENOMEM;
}

static bool has_word(const char *dir, const char *file, const char *word)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char text[1024], *save = NULL;
        ssize_t n;

        if (asprintf(&path, "%s/%s", dir, file) < 0)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, text, sizeof(text) - 1)) < 0)
                return false;
        text[n] = '\0';
        for (char *w = strtok_r(text, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                if (!strcmp(w, word))
                        return true;
        return false;
}

/* CONTROLLER in CGROUP's cgroup.controllers: each cgroup above it, from the deepest that
 * has it, hands it down (cgroup.subtree_control). false where the hierarchy has it nowhere
 * (a hybrid host's v2 without the v1 controllers) or will not hand it down. */
static bool enable_v2(const char *cgroup, const char *controller)
{
        _cleanup_free_ char *path = NULL;
        char enable[64], *slash;
        size_t full = strlen(cgroup);

        if (has_word(cgroup, "cgroup.controllers", controller))
                return true;
        path = strdup(cgroup);
        if (!path)
                return false;
        while ((slash = strrchr(path, '/')) && slash > path) {
                *slash = '\0';
                if (has_word(path, "cgroup.controllers", controller))
                        break;
        }
        if (!has_word(path, "cgroup.controllers", controller))
                return false;
        snprintf(enable, sizeof(enable), "+%s", controller);
        /* Down again: each level's '/' comes back as it is passed. */
        while (strlen(path) < full) {
                if (cgroup_write_file(path, "cgroup.subtree_control", enable) < 0)
                        return false;
                path[strlen(path)] = '/';
        }
        return has_word(cgroup, "cgroup.controllers", controller);
}

/* The container's cgroup on CONTROLLER's v1 hierarchy (/sys/fs/cgroup/CONTROLLER/..., or a
 * joint one such as cpu,cpuacct). */
static const char *v1_cgroup(char *const *cgroup_v1, const char *controller)
{
        size_t n;

        /* v2's io is v1's blkio. */
        if (!strcmp(controller, "io"))
                controller = "blkio";
        n = strlen(controller);

        for (size_t i = 0; cgroup_v1 && cgroup_v1[i]; i++) {
                const char *h = cgroup_v1[i] + strlen("/sys/fs/cgroup/");

                if (strncmp(cgroup_v1[i], "/sys/fs/cgroup/", 15) != 0)
                        continue;
                /* The hierarchy's name, split at commas. */
                for (const char *p = h; *p && *p != '/';) {
                        size_t len = strcspn(p, ",/");

                        if (len == n && strncmp(p, controller, n) == 0)
                                return cgroup_v1[i];
                        p += len + (p[len] == ',');
                }
        }
        return NULL;
}

int cgroup_settings_apply(const struct cgroup_settings *s, const char *cgroup, char *const *cgroup_v1)
{
        for (size_t i = 0; i < s->n; i++) {
                const struct cgroup_setting *c = &s->items[i];
                const char *v1 = c->v1_file ? v1_cgroup(cgroup_v1, c->controller) : NULL;
                int r;

                bool on_v2 = c->file && cgroup && enable_v2(cgroup, c->controller);
                const char *file = on_v2 ? c->file : c->v1_file, *value = on_v2 ? c->value : c->v1_value ?: c->value;

                if (!on_v2 && !v1)
                        return log_error_errno(-EOPNOTSUPP,
                                               c->file ? "linux.resources.%s: this host's cgroups have no %s controller "
                                                         "for it"
                                                       : "linux.resources.%s: cgroup v2 has no file for it, and this "
                                                         "host has no cgroup v1 %s hierarchy (leave the key out)",
                                               c->key, c->controller);
                r = cgroup_write_file(on_v2 ? cgroup : v1, file, value);
                if (r == -ENOENT)
                        return log_error_errno(r, "linux.resources.%s: this host's kernel has no %s (leave the key out)",
                                               c->key, file);
                if (r < 0)
                        return log_error_errno(r, "linux.resources.%s: cannot write %s=%s: %m", c->key, file, value);
        }
        return 0;
}

/* A limit's value: "max" for none (-1, and 0 where it means none). */
static void limit_text(int64_t v, bool zero_is_max, char *buf, size_t size)
{
        if (v < 0 || (v == 0 && zero_is_max))
                snprintf(buf, size, "max");
        else
                snprintf(buf, size, "%lld", (long long)v);
}

/* resources.memory's keys that only cgroup v1 has: swappiness, disableOOMKiller,
 * kernelTCP; kernel, a limit Linux no longer applies (5.16 on), refused unless -1. */
static int read_memory_v1(const struct oci_reader *rd, json_object *memory, struct cgroup_settings *s)
{
        int64_t kernel = -1, kernel_tcp = 0;
        uint64_t swappiness = 0;
        bool no_oom_killer = false, hierarchy = true;
        int has_swappiness, has_tcp;
        char v1[32];

        /* useHierarchy: always so in the kernel (v1's memory.use_hierarchy takes 1 alone
         * since Linux 6.1; v2 has nothing else). */
        if (oci_get_bool(rd, memory, "useHierarchy", "linux.resources.memory.useHierarchy", &hierarchy) < 0)
                return -EINVAL;
        if (!hierarchy)
                return oci_bad_key(rd, "linux.resources.memory.useHierarchy",
                                   "false: memory accounting is always hierarchical in this kernel");
        if ((has_swappiness = oci_get_uint(rd, memory, "swappiness", "linux.resources.memory.swappiness", 100,
                                           &swappiness)) < 0 ||
            oci_get_bool(rd, memory, "disableOOMKiller", "linux.resources.memory.disableOOMKiller", &no_oom_killer) < 0 ||
            oci_get_int64(rd, memory, "kernel", "linux.resources.memory.kernel", &kernel) < 0 ||
            (has_tcp = oci_get_int64(rd, memory, "kernelTCP", "linux.resources.memory.kernelTCP", &kernel_tcp)) < 0)
                return -EINVAL;
        if (kernel != -1)
                return oci_bad_key(rd, "linux.resources.memory.kernel",
                                   "is a kernel memory limit, which Linux no longer applies since 5.16 "
                                   "(memory.kmem.limit_in_bytes takes and ignores it): leave the key out");
        snprintf(v1, sizeof(v1), "%" PRIu64, swappiness);
        if (has_swappiness &&
            cgroup_settings_add(s, "memory.swappiness", "memory", NULL, v1, "memory.swappiness", NULL) < 0)
                return -ENOMEM;
        if (no_oom_killer &&
            cgroup_settings_add(s, "memory.disableOOMKiller", "memory", NULL, "1", "memory.oom_control", NULL) < 0)
                return -ENOMEM;
        snprintf(v1, sizeof(v1), "%lld", (long long)(kernel_tcp < 0 ? -1 : kernel_tcp));
        if (has_tcp &&
            cgroup_settings_add(s, "memory.kernelTCP", "memory", NULL, v1, "memory.kmem.tcp.limit_in_bytes", NULL) < 0)
                return -ENOMEM;
        return 0;
}

/* resources.memory: limit, reservation, swap (config-linux.md), v2's names and v1's; then
 * those of v1 alone. */
static int read_memory(const struct oci_reader *rd, json_object *memory, struct cgroup_settings *s)
{
        int64_t limit = 0, reservation = 0, swap = 0;
        int has_limit, has_swap, r;
        char v2[32], v1[32];

        if ((has_limit = oci_get_int64(rd, memory, "limit", "linux.resources.memory.limit", &limit)) < 0 ||
            (r = oci_get_int64(rd, memory, "reservation", "linux.resources.memory.reservation", &reservation)) < 0 ||
            (has_swap = oci_get_int64(rd, memory, "swap", "linux.resources.memory.swap", &swap)) < 0)
                return -EINVAL;
        if (has_limit) {
                limit_text(limit, false, v2, sizeof(v2));
                snprintf(v1, sizeof(v1), "%lld", (long long)(limit < 0 ? -1 : limit));
                if (cgroup_settings_add(s, "memory.limit", "memory", "memory.max", v2, "memory.limit_in_bytes", v1) < 0)
                        return -ENOMEM;
        }
        if (r > 0) {
                limit_text(reservation, false, v2, sizeof(v2));
                snprintf(v1, sizeof(v1), "%lld", (long long)(reservation < 0 ? -1 : reservation));
                if (cgroup_settings_add(s, "memory.reservation", "memory", "memory.low", v2,
                                        "memory.soft_limit_in_bytes", v1) < 0)
                        return -ENOMEM;
        }
        if (has_swap) {
                /* The specification's swap is memory and swap together; v2 counts swap alone. */
                if (!has_limit || limit < 0)
                        return oci_bad_key(rd, "linux.resources.memory.swap", "needs linux.resources.memory.limit too");
                if (swap >= 0 && swap < limit)
                        return oci_bad_key(rd, "linux.resources.memory.swap",
                                           "is memory and swap together: at least limit");
                limit_text(swap < 0 ? -1 : swap - limit, false, v2, sizeof(v2));
                snprintf(v1, sizeof(v1), "%lld", (long long)swap);
                if (cgroup_settings_add(s, "memory.swap", "memory", "memory.swap.max", v2,
                                        "memory.memsw.limit_in_bytes", v1) < 0)
                        return -ENOMEM;
        }
        return read_memory_v1(rd, memory, s);
}

/* resources.cpu's burst (after the quota it bursts over) and idle, on v2 and v1; and the
 * real-time runtime and period, v1's alone (the period first, as the kernel checks the
 * runtime against it). */
static int read_cpu_more(const struct oci_reader *rd, json_object *cpu, struct cgroup_settings *s)
{
        int64_t idle = 0, rt_runtime = 0;
        uint64_t burst = 0, rt_period = 0;
        int has_burst, has_idle, has_runtime, has_period;
        char text[32];

        if ((has_burst = oci_get_uint(rd, cpu, "burst", "linux.resources.cpu.burst", UINT64_MAX >> 1, &burst)) < 0 ||
            (has_idle = oci_get_int64(rd, cpu, "idle", "linux.resources.cpu.idle", &idle)) < 0 ||
            (has_runtime = oci_get_int64(rd, cpu, "realtimeRuntime", "linux.resources.cpu.realtimeRuntime",
                                         &rt_runtime)) < 0 ||
            (has_period = oci_get_uint(rd, cpu, "realtimePeriod", "linux.resources.cpu.realtimePeriod", UINT32_MAX,
                                       &rt_period)) < 0)
                return -EINVAL;
        if (has_idle && idle != 0 && idle != 1)
                return oci_bad_key(rd, "linux.resources.cpu.idle", "must be 0 or 1");
        snprintf(text, sizeof(text), "%" PRIu64, burst);
        if (has_burst && cgroup_settings_add(s, "cpu.burst", "cpu", "cpu.max.burst", text, "cpu.cfs_burst_us", NULL) < 0)
                return -ENOMEM;
        snprintf(text, sizeof(text), "%lld", (long long)idle);
        if (has_idle && cgroup_settings_add(s, "cpu.idle", "cpu", "cpu.idle", text, "cpu.idle", NULL) < 0)
                return -ENOMEM;
        snprintf(text, sizeof(text), "%" PRIu64, rt_period);
        if (has_period && cgroup_settings_add(s, "cpu.realtimePeriod", "cpu", NULL, text, "cpu.rt_period_us", NULL) < 0)
                return -ENOMEM;
        snprintf(text, sizeof(text), "%lld", (long long)(rt_runtime < 0 ? -1 : rt_runtime));
        if (has_runtime && cgroup_settings_add(s, "cpu.realtimeRuntime", "cpu", NULL, text, "cpu.rt_runtime_us", NULL) < 0)
                return -ENOMEM;
        return 0;
}

/* resources.cpu: shares (as cpu.weight), quota and period, cpus and mems; then the rest. */
static int read_cpu(const struct oci_reader *rd, json_object *cpu, struct cgroup_settings *s)
{
        int64_t shares = 0, quota = 0, period = 100000;
        const char *cpus = NULL, *mems = NULL;
        int has_shares, has_quota, has_period;
        char v2[64], v1[32];

        if ((has_shares = oci_get_int64(rd, cpu, "shares", "linux.resources.cpu.shares", &shares)) < 0 ||
            (has_quota = oci_get_int64(rd, cpu, "quota", "linux.resources.cpu.quota", &quota)) < 0 ||
            (has_period = oci_get_int64(rd, cpu, "period", "linux.resources.cpu.period", &period)) < 0 ||
            oci_get_string(rd, cpu, "cpus", "linux.resources.cpu.cpus", &cpus) < 0 ||
            oci_get_string(rd, cpu, "mems", "linux.resources.cpu.mems", &mems) < 0)
                return -EINVAL;
        if (has_shares && shares > 0) {
                if (shares < 2 || shares > 262144)
                        return oci_bad_key(rd, "linux.resources.cpu.shares", "must be between 2 and 262144");
                /* runc's conversion to cgroup v2's 1..10000. */
                snprintf(v2, sizeof(v2), "%lld", 1 + ((long long)(shares - 2) * 9999) / 262142);
                snprintf(v1, sizeof(v1), "%lld", (long long)shares);
                if (cgroup_settings_add(s, "cpu.shares", "cpu", "cpu.weight", v2, "cpu.shares", v1) < 0)
                        return -ENOMEM;
        }
        if (has_quota || has_period) {
                if (period <= 0)
                        return oci_bad_key(rd, "linux.resources.cpu.period", "must be above 0");
                if (quota > 0)
                        snprintf(v2, sizeof(v2), "%lld %lld", (long long)quota, (long long)period);
                else
                        snprintf(v2, sizeof(v2), "max %lld", (long long)period);
                snprintf(v1, sizeof(v1), "%lld", (long long)period);
                if (cgroup_settings_add(s, "cpu.period", "cpu", "cpu.max", v2, "cpu.cfs_period_us", v1) < 0)
                        return -ENOMEM;
                snprintf(v1, sizeof(v1), "%lld", (long long)(quota > 0 ? quota : -1));
                if (cgroup_settings_add(s, "cpu.quota", "cpu", "cpu.max", v2, "cpu.cfs_quota_us", v1) < 0)
                        return -ENOMEM;
        }
        if (cpus && cpus[0] && cgroup_settings_add(s, "cpu.cpus", "cpuset", "cpuset.cpus", cpus, "cpuset.cpus", cpus) < 0)
                return -ENOMEM;
        if (mems && mems[0] && cgroup_settings_add(s, "cpu.mems", "cpuset", "cpuset.mems", mems, "cpuset.mems", mems) < 0)
                return -ENOMEM;
        return read_cpu_more(rd, cpu, s);
}

/* resources.unified: cgroup v2 files as they are, each of the controller its name begins
 * with. */
static int read_unified(const struct oci_reader *rd, json_object *unified, struct cgroup_settings *s)
{
        struct json_object_iterator it = sym_json_object_iter_begin(unified), end = sym_json_object_iter_end(unified);

        for (; !sym_json_object_iter_equal(&it, &end); sym_json_object_iter_next(&it)) {
                const char *file = sym_json_object_iter_peek_name(&it) ?: "";
                json_object *v = sym_json_object_iter_peek_value(&it);
                char controller[32], key[160];
                size_t n = strcspn(file, ".");

                snprintf(key, sizeof(key), "unified.%s", file);
                if (strchr(file, '/') || file[n] != '.' || n == 0 || n >= sizeof(controller) ||
                    !sym_json_object_is_type(v, json_type_string))
                        return oci_bad_key(rd, "linux.resources.unified", "'%s' must be a cgroup v2 file and a string",
                                           file);
                memcpy(controller, file, n);
                controller[n] = '\0';
                if (cgroup_settings_add(s, key, controller, file, sym_json_object_get_string(v), NULL, NULL) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* One of linux.resources.devices, in order, onto machined-lite's own device policy
 * (host/device-policy.c), which every machine has and which deny-all comes back to (the
 * rules before it forgotten). An allow rule widens the container's policy as its caller
 * asks (podman's --device, a privileged container's "a *:* rwm"), a deny rule takes back
 * what the rules before it or the policy gave (the last rule that applies decides). Two
 * allow rules are taken as the policy has them: mknod alone (a node made could not be
 * opened beyond the rules), and the host's /dev/console (a machine's console is a pty of
 * its own). */
static int read_device_rule(const struct oci_reader *rd, json_object *rule, const char *where,
                            struct cgroup_settings *settings)
{
        const char *type = NULL, *access = NULL;
        int64_t major = -1, minor = -1;
        bool allow = false;
        int r;

        if (oci_want(rd, rule, json_type_object, where) < 0 || oci_get_bool(rd, rule, "allow", where, &allow) < 0 ||
            oci_get_string(rd, rule, "type", where, &type) < 0 || oci_get_string(rd, rule, "access", where, &access) < 0 ||
            oci_get_int64(rd, rule, "major", where, &major) < 0 || oci_get_int64(rd, rule, "minor", where, &minor) < 0)
                return -EINVAL;
        if (!type)
                type = "a";
        if (!access)
                access = "rwm";
        if (strlen(type) != 1 || !strchr("abc", type[0]) || !access[0] || strspn(access, "rwm") != strlen(access))
                return oci_bad_key(rd, where, "type must be a, b or c, access some of rwm");
        if (major > 0xfff || minor > 0xfffff)
                return oci_bad_key(rd, where, "major %lld or minor %lld beyond what a dev_t holds", (long long)major,
                                   (long long)minor);
        if (!allow && type[0] == 'a' && major < 0 && minor < 0 && strchr(access, 'r') && strchr(access, 'w') &&
            strchr(access, 'm')) {
                settings->n_device_rules = 0;
                return 0;
        }
        if (allow && (strcmp(access, "m") == 0 || (type[0] == 'c' && major == 5 && minor == 1)))
                return 0;
        r = cgroup_settings_add_device_rule(settings, (struct device_rule){
                                                              .deny = !allow,
                                                              .type = type[0],
                                                              .major = major < 0 ? -1 : (int)major,
                                                              .minor = minor < 0 ? -1 : (int)minor,
                                                              .access = (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
                                                                        (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0) |
                                                                        (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0),
                                                      });
        if (r == -E2BIG)
                return oci_bad_key(rd, where, "is one device rule more than the %d machined-lite takes",
                                   DEVICE_RULES_MAX);
        return r;
}

/* resources.hugepageLimits: each page size's limit in bytes, hugetlb.SIZE.max on v2
 * (hugetlb.SIZE.limit_in_bytes on v1); SIZE as the kernel names it (2MB, 1GB), and only a
 * size this host has (/sys/kernel/mm/hugepages). */
static int read_hugepages(const struct oci_reader *rd, json_object *limits, struct cgroup_settings *settings)
{
        if (oci_want(rd, limits, json_type_array, "linux.resources.hugepageLimits") < 0)
                return -EINVAL;
        for (size_t i = 0, n = sym_json_object_array_length(limits); i < n; i++) {
                json_object *l = sym_json_object_array_get_idx(limits, i);
                char where[64], v2[64], v1[64], value[32], sys[128];
                const char *size = NULL;
                uint64_t limit = 0;
                unsigned long kb;
                char unit;

                snprintf(where, sizeof(where), "linux.resources.hugepageLimits[%zu]", i);
                if (oci_want(rd, l, json_type_object, where) < 0 || oci_get_string(rd, l, "pageSize", where, &size) <= 0 ||
                    oci_get_uint(rd, l, "limit", where, UINT64_MAX >> 1, &limit) <= 0)
                        return oci_bad_key(rd, where, "must be {\"pageSize\": \"2MB\", \"limit\": BYTES}");
                if (sscanf(size, "%lu%cB", &kb, &unit) != 2 || (unit != 'K' && unit != 'M' && unit != 'G') ||
                    strlen(size) > 16)
                        return oci_bad_key(rd, where, "pageSize '%s' is no page size (2MB, 1GB)", size);
                kb *= unit == 'K' ? 1 : unit == 'M' ? 1024 : 1024 * 1024;
                snprintf(sys, sizeof(sys), "/sys/kernel/mm/hugepages/hugepages-%lukB", kb);
                if (access(sys, F_OK) < 0)
                        return oci_bad_key(rd, where, "pageSize '%s' is no huge page size of this host (%s)", size,
                                           "/sys/kernel/mm/hugepages");
                snprintf(v2, sizeof(v2), "hugetlb.%s.max", size);
                snprintf(v1, sizeof(v1), "hugetlb.%s.limit_in_bytes", size);
                snprintf(value, sizeof(value), "%llu", (unsigned long long)limit);
                if (cgroup_settings_add(settings, "hugepageLimits", "hugetlb", v2, value, v1, value) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* A blockIO list's entry ITEM: an object with the device's major and minor. 1 when it has
 * both, 0 when it lacks one, or -EINVAL (logged). */
static int read_block_device(const struct oci_reader *rd, json_object *entry, const char *item, uint64_t *major,
                             uint64_t *minor)
{
        int has_major, has_minor;

        if (oci_want(rd, entry, json_type_object, item) < 0 ||
            (has_major = oci_get_uint(rd, entry, "major", item, 0xfff, major)) < 0 ||
            (has_minor = oci_get_uint(rd, entry, "minor", item, 0xfffff, minor)) < 0)
                return -EINVAL;
        return has_major && has_minor;
}

/* blockIO's throttle*Device lists ({major, minor, rate}): v2's io.max (rbps, wbps, riops,
 * wiops of the device), or v1's blkio.throttle.* files. The device must be a whole disk
 * (the kernel's rule; a partition is refused when written). */
static int read_throttle_devices(const struct oci_reader *rd, json_object *block_io, struct cgroup_settings *settings)
{
        static const struct {
                const char *key, *v2_name, *v1_file;
        } lists[] = {
                { "throttleReadBpsDevice", "rbps", "blkio.throttle.read_bps_device" },
                { "throttleWriteBpsDevice", "wbps", "blkio.throttle.write_bps_device" },
                { "throttleReadIOPSDevice", "riops", "blkio.throttle.read_iops_device" },
                { "throttleWriteIOPSDevice", "wiops", "blkio.throttle.write_iops_device" },
        };

        for (size_t k = 0; k < ELEMENTSOF(lists); k++) {
                json_object *list = oci_member(block_io, lists[k].key);
                char where[128];

                snprintf(where, sizeof(where), "linux.resources.blockIO.%s", lists[k].key);
                if (list && oci_want(rd, list, json_type_array, where) < 0)
                        return -EINVAL;
                for (size_t i = 0, n = list ? sym_json_object_array_length(list) : 0; i < n; i++) {
                        json_object *entry = sym_json_object_array_get_idx(list, i);
                        uint64_t major = 0, minor = 0, rate = 0;
                        char item[160], v2[96], v1[96];
                        int device, has_rate;

                        snprintf(item, sizeof(item), "%s[%zu]", where, i);
                        if ((device = read_block_device(rd, entry, item, &major, &minor)) < 0 ||
                            (has_rate = oci_get_uint(rd, entry, "rate", item, UINT64_MAX, &rate)) < 0)
                                return -EINVAL;
                        if (!device || !has_rate)
                                return oci_bad_key(rd, item, "must be {\"major\": M, \"minor\": N, \"rate\": R}");
                        /* A rate of 0 is no limit, as runc writes it. */
                        if (rate == 0)
                                snprintf(v2, sizeof(v2), "%" PRIu64 ":%" PRIu64 " %s=max", major, minor,
                                         lists[k].v2_name);
                        else
                                snprintf(v2, sizeof(v2), "%" PRIu64 ":%" PRIu64 " %s=%" PRIu64, major, minor,
                                         lists[k].v2_name, rate);
                        snprintf(v1, sizeof(v1), "%" PRIu64 ":%" PRIu64 " %" PRIu64, major, minor, rate);
                        if (cgroup_settings_add(settings, where + strlen("linux.resources."), "io", "io.max", v2,
                                                lists[k].v1_file, v1) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* blockIO's leafWeight and weightDevice ({major, minor, weight, leafWeight}): a device's
 * weight is BFQ's (io.bfq.weight on v2, blkio.bfq.weight_device on v1); leaf weights were
 * CFQ's, v1 alone (blkio.leaf_weight*): a kernel without them says so when written. */
static int read_block_weights(const struct oci_reader *rd, json_object *block_io, struct cgroup_settings *settings)
{
        json_object *list = oci_member(block_io, "weightDevice");
        uint64_t leaf = 0;
        char text[96];
        int r;

        r = oci_get_uint(rd, block_io, "leafWeight", "linux.resources.blockIO.leafWeight", 1000, &leaf);
        if (r < 0)
                return -EINVAL;
        snprintf(text, sizeof(text), "%" PRIu64, leaf);
        if (r > 0 && cgroup_settings_add(settings, "blockIO.leafWeight", "io", NULL, text, "blkio.leaf_weight", NULL) < 0)
                return -ENOMEM;
        if (list && oci_want(rd, list, json_type_array, "linux.resources.blockIO.weightDevice") < 0)
                return -EINVAL;
        for (size_t i = 0, n = list ? sym_json_object_array_length(list) : 0; i < n; i++) {
                json_object *entry = sym_json_object_array_get_idx(list, i);
                uint64_t major = 0, minor = 0, weight = 0;
                int device, has_weight, has_leaf;
                char item[96];

                snprintf(item, sizeof(item), "linux.resources.blockIO.weightDevice[%zu]", i);
                if ((device = read_block_device(rd, entry, item, &major, &minor)) < 0 ||
                    (has_weight = oci_get_uint(rd, entry, "weight", item, 1000, &weight)) < 0 ||
                    (has_leaf = oci_get_uint(rd, entry, "leafWeight", item, 1000, &leaf)) < 0)
                        return -EINVAL;
                if (!device || (!has_weight && !has_leaf) || (has_weight && weight == 0) || (has_leaf && leaf == 0))
                        return oci_bad_key(rd, item,
                                           "must be {\"major\": M, \"minor\": N, \"weight\": 1 to 1000} (or "
                                           "\"leafWeight\")");
                snprintf(text, sizeof(text), "%" PRIu64 ":%" PRIu64 " %" PRIu64, major, minor, weight);
                if (has_weight && cgroup_settings_add(settings, "blockIO.weightDevice", "io", "io.bfq.weight", text,
                                                      "blkio.bfq.weight_device", NULL) < 0)
                        return -ENOMEM;
                snprintf(text, sizeof(text), "%" PRIu64 ":%" PRIu64 " %" PRIu64, major, minor, leaf);
                if (has_leaf && cgroup_settings_add(settings, "blockIO.weightDevice.leafWeight", "io", NULL, text,
                                                    "blkio.leaf_weight_device", NULL) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* resources.network: classID and priorities, the net_cls and net_prio controllers of
 * cgroup v1 alone (v2 has neither: a host without their v1 hierarchies says so). */
static int read_network(const struct oci_reader *rd, json_object *network, struct cgroup_settings *settings)
{
        json_object *list = oci_member(network, "priorities");
        uint64_t class_id = 0;
        char text[64];
        int r;

        if (oci_want(rd, network, json_type_object, "linux.resources.network") < 0)
                return -EINVAL;
        r = oci_get_uint(rd, network, "classID", "linux.resources.network.classID", UINT32_MAX, &class_id);
        if (r < 0)
                return -EINVAL;
        snprintf(text, sizeof(text), "%" PRIu64, class_id);
        if (r > 0 && cgroup_settings_add(settings, "network.classID", "net_cls", NULL, text, "net_cls.classid", NULL) < 0)
                return -ENOMEM;
        if (list && oci_want(rd, list, json_type_array, "linux.resources.network.priorities") < 0)
                return -EINVAL;
        for (size_t i = 0, n = list ? sym_json_object_array_length(list) : 0; i < n; i++) {
                json_object *entry = sym_json_object_array_get_idx(list, i);
                const char *name = NULL;
                uint64_t priority = 0;
                char item[64];

                snprintf(item, sizeof(item), "linux.resources.network.priorities[%zu]", i);
                int has_priority = 0;

                if (oci_want(rd, entry, json_type_object, item) < 0 ||
                    (r = oci_get_string(rd, entry, "name", item, &name)) < 0 ||
                    (has_priority = oci_get_uint(rd, entry, "priority", item, UINT32_MAX, &priority)) < 0)
                        return -EINVAL;
                if (r == 0 || !has_priority || !name[0] || strlen(name) >= 16 || strpbrk(name, " /\n"))
                        return oci_bad_key(rd, item, "must be {\"name\": INTERFACE, \"priority\": P}");
                snprintf(text, sizeof(text), "%s %" PRIu64, name, priority);
                if (cgroup_settings_add(settings, "network.priorities", "net_prio", NULL, text, "net_prio.ifpriomap",
                                        NULL) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* resources.rdma: each device's {hcaHandles, hcaObjects} as a line of rdma.max (v2 and v1
 * alike). */
static int read_rdma(const struct oci_reader *rd, json_object *rdma, struct cgroup_settings *settings)
{
        struct json_object_iterator it, end;

        if (oci_want(rd, rdma, json_type_object, "linux.resources.rdma") < 0)
                return -EINVAL;
        it = sym_json_object_iter_begin(rdma);
        end = sym_json_object_iter_end(rdma);
        for (; !sym_json_object_iter_equal(&it, &end); sym_json_object_iter_next(&it)) {
                const char *device = sym_json_object_iter_peek_name(&it) ?: "";
                json_object *limits = sym_json_object_iter_peek_value(&it);
                uint64_t handles = 0, objects = 0;
                int has_handles, has_objects;
                char where[96], line[160], part[48];

                snprintf(where, sizeof(where), "linux.resources.rdma.%.64s", device);
                if (!device[0] || strlen(device) > 64 || strpbrk(device, " =\n"))
                        return oci_bad_key(rd, where, "is no RDMA device's name");
                if (oci_want(rd, limits, json_type_object, where) < 0 ||
                    (has_handles = oci_get_uint(rd, limits, "hcaHandles", where, UINT32_MAX, &handles)) < 0 ||
                    (has_objects = oci_get_uint(rd, limits, "hcaObjects", where, UINT32_MAX, &objects)) < 0)
                        return -EINVAL;
                if (!has_handles && !has_objects)
                        return oci_bad_key(rd, where, "must give hcaHandles, hcaObjects or both");
                snprintf(line, sizeof(line), "%s", device);
                if (has_handles) {
                        snprintf(part, sizeof(part), " hca_handle=%" PRIu64, handles);
                        strncat(line, part, sizeof(line) - strlen(line) - 1);
                }
                if (has_objects) {
                        snprintf(part, sizeof(part), " hca_object=%" PRIu64, objects);
                        strncat(line, part, sizeof(line) - strlen(line) - 1);
                }
                if (cgroup_settings_add(settings, "rdma", "rdma", "rdma.max", line, "rdma.max", NULL) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* linux.resources (config-linux.md): memory, cpu, pids, blockIO, hugepageLimits, network,
 * rdma, unified; devices below. A key of cgroup v1 alone is written there (a hybrid
 * host's), or refused by name when applied where there is none. */
int oci_read_resources(const struct oci_reader *rd, json_object *linux_, struct cgroup_settings *settings)
{
        json_object *resources = oci_member(linux_, "resources"), *devices, *v;
        int64_t n = 0;
        char text[32];
        int r;

        if (!resources)
                return 0;
        if (oci_want(rd, resources, json_type_object, "linux.resources") < 0)
                return -EINVAL;
        if ((v = oci_member(resources, "memory")) &&
            (oci_want(rd, v, json_type_object, "linux.resources.memory") < 0 || (r = read_memory(rd, v, settings)) < 0))
                return -EINVAL;
        if ((v = oci_member(resources, "hugepageLimits")) && read_hugepages(rd, v, settings) < 0)
                return -EINVAL;
        if ((v = oci_member(resources, "cpu")) &&
            (oci_want(rd, v, json_type_object, "linux.resources.cpu") < 0 || (r = read_cpu(rd, v, settings)) < 0))
                return -EINVAL;
        if ((v = oci_member(resources, "network")) && read_network(rd, v, settings) < 0)
                return -EINVAL;
        if ((v = oci_member(resources, "rdma")) && read_rdma(rd, v, settings) < 0)
                return -EINVAL;
        if ((v = oci_member(resources, "unified")) &&
            (oci_want(rd, v, json_type_object, "linux.resources.unified") < 0 || read_unified(rd, v, settings) < 0))
                return -EINVAL;
        if ((v = oci_member(resources, "pids"))) {
                if (oci_want(rd, v, json_type_object, "linux.resources.pids") < 0 ||
                    oci_get_int64(rd, v, "limit", "linux.resources.pids.limit", &n) < 0)
                        return -EINVAL;
                limit_text(n, true, text, sizeof(text));
                if (oci_member(v, "limit") &&
                    cgroup_settings_add(settings, "pids.limit", "pids", "pids.max", text, "pids.max", NULL) < 0)
                        return -ENOMEM;
        }
        if ((v = oci_member(resources, "blockIO"))) {
                if (oci_want(rd, v, json_type_object, "linux.resources.blockIO") < 0)
                        return -EINVAL;
                r = read_throttle_devices(rd, v, settings);
                if (r >= 0)
                        r = read_block_weights(rd, v, settings);
                if (r < 0)
                        return r;
                if (oci_get_int64(rd, v, "weight", "linux.resources.blockIO.weight", &n) > 0) {
                        char v1[32];

                        if (n < 10 || n > 1000)
                                return oci_bad_key(rd, "linux.resources.blockIO.weight", "must be between 10 and 1000");
                        snprintf(text, sizeof(text), "default %lld", 1 + ((long long)(n - 10) * 9999) / 990);
                        snprintf(v1, sizeof(v1), "%lld", (long long)n);
                        if (cgroup_settings_add(settings, "blockIO.weight", "io", "io.weight", text, "blkio.weight",
                                                v1) < 0)
                                return -ENOMEM;
                }
        }
        devices = oci_member(resources, "devices");
        if (devices && oci_want(rd, devices, json_type_array, "linux.resources.devices") < 0)
                return -EINVAL;
        for (size_t i = 0, count = devices ? sym_json_object_array_length(devices) : 0; i < count; i++) {
                char where[64];

                snprintf(where, sizeof(where), "linux.resources.devices[%zu]", i);
                r = read_device_rule(rd, sym_json_object_array_get_idx(devices, i), where, settings);
                if (r < 0)
                        return r;
        }
        return 0;
}
