/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-nspawn(1)'s options of how the guest's process runs and how it meets the host
 * (-u, --chdir, --uuid, --rlimit, --personality, --oom-score-adjust, --cpu-affinity,
 * --resolv-conf, --timezone, --suppress-sync, --inaccessible, --link-journal): their
 * values into struct machine, for both command lines (config/options.c calls this). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "config/exec-options.h"
#include "config/options.h"
#include "util/libsystemd.h"
#include "util/macro.h"

static const char *const rlimit_names[] = {
        [RLIMIT_CPU] = "CPU",           [RLIMIT_FSIZE] = "FSIZE",
        [RLIMIT_DATA] = "DATA",         [RLIMIT_STACK] = "STACK",
        [RLIMIT_CORE] = "CORE",         [RLIMIT_RSS] = "RSS",
        [RLIMIT_NPROC] = "NPROC",       [RLIMIT_NOFILE] = "NOFILE",
        [RLIMIT_MEMLOCK] = "MEMLOCK",   [RLIMIT_AS] = "AS",
        [RLIMIT_LOCKS] = "LOCKS",       [RLIMIT_SIGPENDING] = "SIGPENDING",
        [RLIMIT_MSGQUEUE] = "MSGQUEUE", [RLIMIT_NICE] = "NICE",
        [RLIMIT_RTPRIO] = "RTPRIO",     [RLIMIT_RTTIME] = "RTTIME",
};

const char *rlimit_name(int resource)
{
        return resource >= 0 && resource < (int)ELEMENTSOF(rlimit_names) ? rlimit_names[resource] : NULL;
}

/* RLIMIT_NOFILE, NOFILE or LimitNOFILE (as systemd.exec(5) spells it): the resource, or -1. */
static int rlimit_from_name(const char *name)
{
        if (strncmp(name, "RLIMIT_", 7) == 0)
                name += 7;
        else if (strncmp(name, "Limit", 5) == 0)
                name += 5;
        for (size_t i = 0; i < ELEMENTSOF(rlimit_names); i++)
                if (rlimit_names[i] && strcmp(rlimit_names[i], name) == 0)
                        return (int)i;
        return -1;
}

static int rlimit_value(const char *text, uint64_t *ret)
{
        unsigned long long v;
        char *end;

        if (strcmp(text, "infinity") == 0) {
                *ret = RLIM_INFINITY;
                return 0;
        }
        errno = 0;
        v = strtoull(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

/* NAME=SOFT[:HARD], each a number or infinity. */
static int parse_rlimit(const char *value, struct machine *m)
{
        const char *eq = strchr(value, '=');
        char name[32], soft[32], *colon;
        struct guest_rlimit limit;
        struct guest_rlimit *grown;

        if (!eq || (size_t)(eq - value) >= sizeof(name) || strlen(eq + 1) >= sizeof(soft))
                return usage_error("--rlimit takes NAME=SOFT[:HARD] (e.g. RLIMIT_NOFILE=4096:8192), not '%s'", value);
        snprintf(name, sizeof(name), "%.*s", (int)(eq - value), value);
        snprintf(soft, sizeof(soft), "%s", eq + 1);
        limit.resource = rlimit_from_name(name);
        if (limit.resource < 0)
                return usage_error("--rlimit=%s: unknown resource '%s' (RLIMIT_NOFILE, RLIMIT_NPROC, ... see getrlimit(2))",
                                   value, name);
        colon = strchr(soft, ':');
        if (colon)
                *colon = '\0';
        if (rlimit_value(soft, &limit.soft) < 0 || rlimit_value(colon ? colon + 1 : soft, &limit.hard) < 0)
                return usage_error("--rlimit=%s: limits are numbers or infinity", value);
        if (limit.soft > limit.hard)
                return usage_error("--rlimit=%s: the soft limit is above the hard one", value);
        /* The last one given for a resource wins. */
        for (size_t i = 0; i < m->n_rlimits; i++)
                if (m->rlimits[i].resource == limit.resource) {
                        m->rlimits[i] = limit;
                        return 0;
                }
        grown = realloc(m->rlimits, (m->n_rlimits + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        m->rlimits = grown;
        m->rlimits[m->n_rlimits++] = limit;
        return 0;
}

static const struct {
        const char *name;
        unsigned long persona;
} personalities[] = {
        /* systemd's names (personality_from_string()): the architectures a 64-bit host
         * runs in 32-bit mode. */
        { "x86", PER_LINUX32 }, { "x86-64", PER_LINUX }, { "arm", PER_LINUX32 },
        { "arm64", PER_LINUX }, { "s390", PER_LINUX32 }, { "s390x", PER_LINUX },
        { "ppc", PER_LINUX32 }, { "ppc64", PER_LINUX },  { "ppc64-le", PER_LINUX },
};

static int parse_personality(const char *value, struct machine *m)
{
        for (size_t i = 0; i < ELEMENTSOF(personalities); i++)
                if (strcmp(value, personalities[i].name) == 0) {
                        m->personality = personalities[i].persona;
                        return 0;
                }
        return usage_error("--personality takes an architecture name (x86, x86-64, arm, arm64, ...), not '%s'", value);
}

static const char *const resolv_conf_names[] = {
        [RESOLV_CONF_OFF] = "off",
        [RESOLV_CONF_COPY_HOST] = "copy-host",
        [RESOLV_CONF_REPLACE_HOST] = "replace-host",
        [RESOLV_CONF_BIND_HOST] = "bind-host",
        [RESOLV_CONF_DELETE] = "delete",
        [RESOLV_CONF_AUTO] = "auto",
};

static const char *const timezone_names[] = {
        [TIMEZONE_OFF] = "off",         [TIMEZONE_COPY] = "copy",     [TIMEZONE_BIND] = "bind",
        [TIMEZONE_SYMLINK] = "symlink", [TIMEZONE_DELETE] = "delete", [TIMEZONE_AUTO] = "auto",
};

static int index_of(const char *const *names, size_t n, const char *value)
{
        for (size_t i = 0; i < n; i++)
                if (names[i] && strcmp(names[i], value) == 0)
                        return (int)i;
        return -1;
}

/* The resolved files of systemd-resolved (-static, -uplink, -stub) are a host's that runs
 * it: refused here by name, so that nobody takes the host's file for them. */
static int parse_resolv_conf(const char *value, struct machine *m)
{
        int r = index_of(resolv_conf_names, ELEMENTSOF(resolv_conf_names), value);

        if (r < 0 && (strstr(value, "-static") || strstr(value, "-uplink") || strstr(value, "-stub")))
                return usage_error("--resolv-conf=%s is not implemented by machined-lite (systemd-resolved's files): use "
                                   "off, copy-host, replace-host, bind-host, delete or auto",
                                   value);
        if (r < 0)
                return usage_error("--resolv-conf takes off, copy-host, replace-host, bind-host, delete or auto, not '%s'",
                                   value);
        m->resolv_conf = (enum resolv_conf_mode)r;
        return 0;
}

static int parse_link_journal(const char *value, struct machine *m)
{
        static const char *const modes[] = {
                [LINK_JOURNAL_AUTO] = "auto",         [LINK_JOURNAL_NO] = "no",
                [LINK_JOURNAL_HOST] = "host",         [LINK_JOURNAL_GUEST] = "guest",
                [LINK_JOURNAL_TRY_HOST] = "try-host", [LINK_JOURNAL_TRY_GUEST] = "try-guest",
        };

        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (strcmp(value, modes[i]) == 0) {
                        m->link_journal = (enum link_journal)i;
                        return 0;
                }
        return usage_error("--link-journal takes no, auto, host, guest, try-host or try-guest, not '%s'", value);
}

static int parse_boolean_option(const char *option, const char *value, bool *ret)
{
        int r = value ? parse_boolean(value) : 1;

        if (r < 0)
                return usage_error("%s takes a boolean (yes or no), not '%s'", option, value);
        *ret = r;
        return 0;
}

static int set_path(char **target, const char *option, const char *value)
{
        char *copy;

        if (!guest_path_is_valid(value))
                return usage_error("%s takes an absolute path in the guest, without .., not '%s'", option, value);
        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        free(*target);
        *target = copy;
        return 0;
}

static int parse_number_option(const char *option, const char *value, long min, long max, long *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
                return usage_error("%s takes a number from %ld to %ld, not '%s'", option, min, max, value);
        *ret = v;
        return 0;
}

/* 0-3,5: what sched_setaffinity() takes, checked here for its syntax only. */
static bool cpu_list_is_valid(const char *value)
{
        const char *p = value;

        if (*p == '\0')
                return false;
        while (*p) {
                char *end;
                unsigned long a = strtoul(p, &end, 10), b;

                if (end == p || a >= CPU_LIMIT)
                        return false;
                p = end;
                if (*p == '-') {
                        b = strtoul(++p, &end, 10);
                        if (end == p || b < a || b >= CPU_LIMIT)
                                return false;
                        p = end;
                }
                if (*p == ',' || *p == ' ')
                        p++;
                else if (*p)
                        return false;
        }
        return true;
}

/* The largest credential, and all of them together (systemd's CREDENTIAL_SIZE_MAX and
 * CREDENTIALS_TOTAL_SIZE_MAX). */
#define CREDENTIAL_SIZE_MAX (1024 * 1024)
#define CREDENTIALS_TOTAL_MAX (1024 * 1024)

/* VALUE's C escapes (\n, \t, \\, \xHH, \NNN) decoded, as systemd decodes --set-credential's. */
static int unescape(const char *value, char **ret, size_t *ret_size)
{
        size_t n = strlen(value), k = 0;
        char *out = malloc(n + 1);

        if (!out)
                return -ENOMEM;
        for (const char *p = value; *p; p++) {
                static const char from[] = "abfnrtv\\\"'", to[] = "\a\b\f\n\r\t\v\\\"'";
                const char *e;

                if (*p != '\\' || !p[1]) {
                        out[k++] = *p;
                        continue;
                }
                p++;
                if ((e = strchr(from, *p)))
                        out[k++] = to[e - from];
                else if (*p == 'x' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
                        char hex[3] = { p[1], p[2], 0 };

                        out[k++] = (char)strtoul(hex, NULL, 16);
                        p += 2;
                } else if (*p >= '0' && *p <= '7' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
                        out[k++] = (char)(((p[0] - '0') << 6) | ((p[1] - '0') << 3) | (p[2] - '0'));
                        p += 2;
                } else {
                        free(out);
                        return -EINVAL;
                }
        }
        out[k] = '\0';
        *ret = out;
        *ret_size = k;
        return 0;
}

/* PATH's contents: a file, or what an AF_UNIX stream socket there sends until it closes. */
static int read_credential(const char *path, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t size = 0, allocated = 4096;
        char *data;

        if (fd < 0 && errno == ENXIO) {
                struct sockaddr_un address = { .sun_family = AF_UNIX };

                if (strlen(path) >= sizeof(address.sun_path))
                        return -ENAMETOOLONG;
                strcpy(address.sun_path, path);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0)
                        return negative_errno();
                (void)shutdown(fd, SHUT_WR);
        }
        if (fd < 0)
                return negative_errno();
        data = malloc(allocated);
        if (!data)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (size == allocated) {
                        char *grown = allocated > CREDENTIAL_SIZE_MAX ? NULL : realloc(data, allocated * 2);

                        if (!grown) {
                                free(data);
                                return allocated > CREDENTIAL_SIZE_MAX ? -EFBIG : -ENOMEM;
                        }
                        data = grown;
                        allocated *= 2;
                }
                n = read(fd, data + size, allocated - size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = negative_errno();

                        free(data);
                        return r;
                }
                if (n == 0)
                        break;
                size += (size_t)n;
        }
        if (size > CREDENTIAL_SIZE_MAX) {
                free(data);
                return -EFBIG;
        }
        *ret = data;
        *ret_size = size;
        return 0;
}

/* ID:VALUE or ID:PATH (LOAD) into M's credentials; a later one of the same ID wins. */
static int parse_credential(const char *value, bool load, struct machine *m)
{
        const char *option = load ? "--load-credential" : "--set-credential", *colon = strchr(value, ':');
        _cleanup_free_ char *id = colon ? strndup(value, (size_t)(colon - value)) : NULL;
        struct credential c = {}, *grown;
        size_t total = 0;
        int r;

        if (colon && !id)
                return -ENOMEM;
        if (!id || id[0] == '\0' || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, "..") || strlen(id) > 255)
                return usage_error("%s takes ID:%s with ID a file name (no /), not '%s'", option,
                                   load ? "PATH" : "VALUE", value);
        r = load ? read_credential(colon + 1, &c.data, &c.size) : unescape(colon + 1, &c.data, &c.size);
        if (r == -EINVAL)
                return usage_error("%s=%s: a bad escape in the value (\\n, \\t, \\\\, \\xHH)", option, value);
        if (r == -EFBIG)
                return usage_error("%s=%s: more than 1 MiB", option, value);
        if (r < 0)
                return usage_error("%s=%s: cannot read %s: %s", option, value, colon + 1, strerror(-r));
        for (size_t i = 0; i < m->n_credentials; i++)
                if (strcmp(m->credentials[i].id, id) != 0)
                        total += m->credentials[i].size;
        if (total + c.size > CREDENTIALS_TOTAL_MAX) {
                free(c.data);
                return usage_error("%s=%s: the credentials come to more than 1 MiB", option, value);
        }
        for (size_t i = 0; i < m->n_credentials; i++)
                if (strcmp(m->credentials[i].id, id) == 0) {
                        free(m->credentials[i].data);
                        m->credentials[i].data = c.data;
                        m->credentials[i].size = c.size;
                        return 0;
                }
        grown = realloc(m->credentials, (m->n_credentials + 1) * sizeof(*grown));
        if (!grown) {
                free(c.data);
                return -ENOMEM;
        }
        m->credentials = grown;
        c.id = TAKE_PTR(id);
        m->credentials[m->n_credentials++] = c;
        return 0;
}

/* --bind-user=NAME: the name only; host/bind-user.c resolves it once the UID range is known.
 * A name as useradd takes one (and nothing a path or a JSON string could trip on). */
static int parse_bind_user(const char *value, struct machine *m)
{
        struct bind_user *grown;

        if (!value[0] || strlen(value) > 64 || value[0] == '-' ||
            value[strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")] != '\0' ||
            !strcmp(value, ".") || !strcmp(value, ".."))
                return usage_error("--bind-user takes the name of a user of the host's, not '%s'", value);
        for (size_t i = 0; i < m->n_bind_users; i++)
                if (!strcmp(m->bind_users[i].name, value))
                        return 0;
        grown = realloc(m->bind_users, (m->n_bind_users + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        m->bind_users = grown;
        m->bind_users[m->n_bind_users] = (struct bind_user){ .name = strdup(value) };
        if (!m->bind_users[m->n_bind_users].name)
                return -ENOMEM;
        m->n_bind_users++;
        return 0;
}

int exec_option_apply(int c, const char *value, struct machine *m)
{
        long n = 0;
        int r;

        switch (c) {
        case 'u':
                if (value[0] == '\0' || strchr(value, ':') || strchr(value, '/'))
                        return usage_error("--user takes a user name or UID of the guest's, not '%s'", value);
                free(m->user);
                m->user = strdup(value);
                return m->user ? 0 : -ENOMEM;
        case ARG_CHDIR:
                return set_path(&m->working_directory, "--chdir", value);
        case ARG_UUID:
                r = libsystemd_load();
                if (r < 0)
                        return r;
                r = sym_sd_id128_from_string(value, &m->uuid);
                libsystemd_unload();
                if (r < 0 || sd_id128_is_null(m->uuid))
                        return usage_error("--uuid takes a UUID (32 hexadecimal digits, with or without dashes), not '%s'",
                                           value);
                m->uuid_given = true;
                return 0;
        case ARG_RLIMIT:
                return parse_rlimit(value, m);
        case ARG_BIND_USER:
                return parse_bind_user(value, m);
        case ARG_PERSONALITY:
                return parse_personality(value, m);
        case ARG_OOM_SCORE_ADJUST:
                r = parse_number_option("--oom-score-adjust", value, -1000, 1000, &n);
                if (r < 0)
                        return r;
                m->oom_score_adjust = (int)n;
                m->oom_score_adjust_set = true;
                return 0;
        case ARG_CPU_AFFINITY:
                if (!cpu_list_is_valid(value))
                        return usage_error("--cpu-affinity takes a list of CPUs and ranges (e.g. 0-3,6), not '%s'",
                                           value);
                free(m->cpu_affinity);
                m->cpu_affinity = strdup(value);
                return m->cpu_affinity ? 0 : -ENOMEM;
        case ARG_RESOLV_CONF:
                return parse_resolv_conf(value, m);
        case ARG_TIMEZONE:
                r = index_of(timezone_names, ELEMENTSOF(timezone_names), value);
                if (r < 0)
                        return usage_error("--timezone takes off, copy, bind, symlink, delete or auto, not '%s'", value);
                m->timezone = (enum timezone_mode)r;
                return 0;
        case ARG_SUPPRESS_SYNC:
                return parse_boolean_option("--suppress-sync", value, &m->suppress_sync);
        case ARG_INACCESSIBLE: {
                char error[512];

                r = custom_mount_parse_inaccessible(value, m, error, sizeof(error));
                return r == -EINVAL ? usage_error("%s", error) : r;
        }
        case ARG_LINK_JOURNAL:
                return parse_link_journal(value, m);
        case ARG_SET_CREDENTIAL:
        case ARG_LOAD_CREDENTIAL:
                return parse_credential(value, c == ARG_LOAD_CREDENTIAL, m);
        default:
                return -ENOENT;
        }
}
