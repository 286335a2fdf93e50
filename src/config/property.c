/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --property=NAME=VALUE for our scope: each known property's value parsed into the D-Bus
 * type StartTransientUnit takes. Sending them is host/register.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"
#include "config/property.h"
#include "util/libsystemd.h"
#include "util/macro.h"

/* The properties systemd takes on a scope (systemd.resource-control(5), systemd.kill(5),
 * systemd.scope(5)), each with the D-Bus type StartTransientUnit wants, as systemd-run
 * encodes them; WORDS: the values a PROPERTY_STRING takes. */
static const struct {
        const char *name;
        const char *bus_name;
        enum property_type type;
        const char *words;
} property_table[] = {
        { "MemoryMax", "MemoryMax", PROPERTY_BYTES },
        { "MemoryHigh", "MemoryHigh", PROPERTY_BYTES },
        { "MemoryLow", "MemoryLow", PROPERTY_BYTES },
        { "MemoryMin", "MemoryMin", PROPERTY_BYTES },
        { "MemorySwapMax", "MemorySwapMax", PROPERTY_BYTES },
        { "CPUWeight", "CPUWeight", PROPERTY_WEIGHT },
        { "StartupCPUWeight", "StartupCPUWeight", PROPERTY_WEIGHT },
        { "IOWeight", "IOWeight", PROPERTY_WEIGHT },
        { "StartupIOWeight", "StartupIOWeight", PROPERTY_WEIGHT },
        { "TasksMax", "TasksMax", PROPERTY_COUNT },
        { "CPUQuota", "CPUQuotaPerSecUSec", PROPERTY_QUOTA },
        { "DeviceAllow", "DeviceAllow", PROPERTY_DEVICE },
        { "DevicePolicy", "DevicePolicy", PROPERTY_STRING, "auto closed strict" },
        { "AllowedCPUs", "AllowedCPUs", PROPERTY_CPU_SET },
        { "AllowedMemoryNodes", "AllowedMemoryNodes", PROPERTY_CPU_SET },
        { "CPUAccounting", "CPUAccounting", PROPERTY_BOOLEAN },
        { "MemoryAccounting", "MemoryAccounting", PROPERTY_BOOLEAN },
        { "IOAccounting", "IOAccounting", PROPERTY_BOOLEAN },
        { "BlockIOAccounting", "BlockIOAccounting", PROPERTY_BOOLEAN },
        { "TasksAccounting", "TasksAccounting", PROPERTY_BOOLEAN },
        { "IPAccounting", "IPAccounting", PROPERTY_BOOLEAN },
        { "MemoryLimit", "MemoryLimit", PROPERTY_BYTES },
        { "CPUShares", "CPUShares", PROPERTY_NUMBER },
        { "StartupCPUShares", "StartupCPUShares", PROPERTY_NUMBER },
        { "BlockIOWeight", "BlockIOWeight", PROPERTY_NUMBER },
        { "StartupBlockIOWeight", "StartupBlockIOWeight", PROPERTY_NUMBER },
        { "Description", "Description", PROPERTY_TEXT },
        { "CollectMode", "CollectMode", PROPERTY_STRING, "inactive inactive-or-failed" },
        { "KillMode", "KillMode", PROPERTY_STRING, "control-group mixed process none" },
        { "KillSignal", "KillSignal", PROPERTY_SIGNAL },
        { "FinalKillSignal", "FinalKillSignal", PROPERTY_SIGNAL },
        { "WatchdogSignal", "WatchdogSignal", PROPERTY_SIGNAL },
        { "SendSIGKILL", "SendSIGKILL", PROPERTY_BOOLEAN },
        { "SendSIGHUP", "SendSIGHUP", PROPERTY_BOOLEAN },
        { "OOMPolicy", "OOMPolicy", PROPERTY_STRING, "continue stop kill" },
        { "ManagedOOMSwap", "ManagedOOMSwap", PROPERTY_STRING, "auto kill" },
        { "ManagedOOMMemoryPressure", "ManagedOOMMemoryPressure", PROPERTY_STRING, "auto kill" },
        { "ManagedOOMPreference", "ManagedOOMPreference", PROPERTY_STRING, "none avoid omit" },
        { "RuntimeMaxSec", "RuntimeMaxUSec", PROPERTY_USEC },
        { "RuntimeRandomizedExtraSec", "RuntimeRandomizedExtraUSec", PROPERTY_USEC },
        { "TimeoutStopSec", "TimeoutStopUSec", PROPERTY_USEC },
};

/* "90s", "5min", "1h 30min", "250ms", a bare number of seconds, "infinity": in µs. */
int property_parse_usec(const char *s, uint64_t *ret)
{
        static const struct {
                const char *unit;
                uint64_t usec;
        } units[] = {
                { "us", 1 },         { "ms", 1000 },       { "min", 60000000 }, { "s", 1000000 },
                { "h", 3600000000 }, { "d", 86400000000 }, { "", 1000000 },
        };
        uint64_t total = 0;

        if (strcmp(s, "infinity") == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        while (*s) {
                unsigned long long n;
                char *end;
                size_t i;

                if (*s < '0' || *s > '9')
                        return -EINVAL;
                n = strtoull(s, &end, 10);
                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (strncmp(end, units[i].unit, strlen(units[i].unit)) == 0 &&
                            (end[strlen(units[i].unit)] == '\0' || end[strlen(units[i].unit)] == ' '))
                                break;
                if (i == ELEMENTSOF(units) || n > (UINT64_MAX - total) / units[i].usec)
                        return -EINVAL;
                total += n * units[i].usec;
                s = end + strlen(units[i].unit);
                while (*s == ' ')
                        s++;
        }
        *ret = total;
        return 0;
}

/* Whether VALUE is one of WORDS (space-separated). */
static bool one_of(const char *value, const char *words)
{
        size_t n = strlen(value);

        for (const char *w = words; *w;) {
                size_t k = strcspn(w, " ");

                if (k == n && strncmp(w, value, n) == 0)
                        return true;
                w += k + (w[k] == ' ');
        }
        return false;
}

_printf_(3, 4) static int fail(char *error, size_t size, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        vsnprintf(error, size, format, ap);
        va_end(ap);
        return -EINVAL;
}

static int parse_number(const char *s, uint64_t *ret)
{
        char *end;
        unsigned long long n;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        *ret = n;
        return 0;
}

/* "512M", "1G", "1024", "infinity": base 1024, as systemd reads them. */
int property_parse_bytes(const char *s, uint64_t *ret)
{
        static const char suffixes[] = "KMGTPE";
        char *end;
        unsigned long long n;
        const char *unit;
        uint64_t factor = 1;

        if (strcmp(s, "infinity") == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno != 0)
                return -EINVAL;
        if (*end != '\0') {
                if (end[1] != '\0' || !(unit = strchr(suffixes, *end)))
                        return -EINVAL;
                for (const char *u = suffixes; u <= unit; u++)
                        factor *= 1024;
        }
        if (n > UINT64_MAX / factor)
                return -ERANGE;
        *ret = n * factor;
        return 0;
}

/* "0-3,6" → bit mask, CPU n at byte n/8, bit n%8 (systemd's AllowedCPUs= layout). */
int property_parse_cpu_set(const char *s, uint8_t mask[static 128], size_t *ret_size)
{
        size_t size = 0;
        _cleanup_free_ char *copy = strdup(s);
        char *item, *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *dash = strchr(item, '-');
                uint64_t first, last;

                if (dash)
                        *dash = '\0';
                if (parse_number(item, &first) < 0 || parse_number(dash ? dash + 1 : item, &last) < 0 || first > last ||
                    last >= 128 * 8)
                        return -EINVAL;
                for (uint64_t cpu = first; cpu <= last; cpu++)
                        mask[cpu / 8] |= (uint8_t)(1u << (cpu % 8));
                if (last / 8 + 1 > size)
                        size = last / 8 + 1;
        }
        *ret_size = size;
        return size > 0 ? 0 : -EINVAL;
}

static int parse_value(struct property *p, const char *name, const char *value, const char *words, char *error,
                       size_t size)
{
        char *end;
        double percent;
        size_t n;

        switch (p->type) {
        case PROPERTY_BYTES:
                if (property_parse_bytes(value, &p->number) < 0)
                        return fail(error, size, "--property=%s=%s: give bytes, like 512M, 2G or infinity", name, value);
                return 0;
        case PROPERTY_WEIGHT:
                if (parse_number(value, &p->number) < 0 || p->number < 1 || p->number > 10000)
                        return fail(error, size, "--property=%s=%s: give a weight from 1 to 10000", name, value);
                return 0;
        case PROPERTY_COUNT:
                if (strcmp(value, "infinity") == 0)
                        p->number = UINT64_MAX;
                else if (parse_number(value, &p->number) < 0 || p->number == 0)
                        return fail(error, size, "--property=%s=%s: give a number or infinity", name, value);
                return 0;
        case PROPERTY_QUOTA:
                n = strlen(value);
                percent = strtod(value, &end);
                if (n < 2 || value[n - 1] != '%' || end != value + n - 1 || percent <= 0)
                        return fail(error, size, "--property=%s=%s: give a percentage of one CPU, like 50%% or 200%%",
                                    name, value);
                /* systemd's unit: CPU time in µs that the unit may use per second. */
                p->number = (uint64_t)(percent * 10000.0);
                return 0;
        case PROPERTY_DEVICE: {
                const char *space = strchr(value, ' ');
                const char *access = space ? space + 1 : "rwm";

                if (space == value || strspn(access, "rwm") != strlen(access) || !*access ||
                    !(value[0] == '/' || strncmp(value, "char-", 5) == 0 || strncmp(value, "block-", 6) == 0))
                        return fail(error, size,
                                    "--property=%s=%s: give a device path (or char-NAME, block-NAME) and access rwm, like \"/dev/fuse rw\"",
                                    name, value);
                p->path = space ? strndup(value, (size_t)(space - value)) : strdup(value);
                p->access = strdup(access);
                return p->path && p->access ? 0 : -ENOMEM;
        }
        case PROPERTY_STRING:
                if (!one_of(value, words))
                        return fail(error, size, "--property=%s=%s: give one of: %s", name, value, words);
                p->path = strdup(value);
                return p->path ? 0 : -ENOMEM;
        case PROPERTY_TEXT:
                p->path = strdup(value);
                return p->path ? 0 : -ENOMEM;
        case PROPERTY_BOOLEAN:
                if (parse_boolean(value) < 0)
                        return fail(error, size, "--property=%s=%s: give yes or no", name, value);
                p->number = (uint64_t)parse_boolean(value);
                return 0;
        case PROPERTY_NUMBER:
                if (parse_number(value, &p->number) < 0)
                        return fail(error, size, "--property=%s=%s: give a number", name, value);
                return 0;
        case PROPERTY_USEC:
                if (property_parse_usec(value, &p->number) < 0)
                        return fail(error, size, "--property=%s=%s: give a time span, like 90s, 5min or infinity", name,
                                    value);
                return 0;
        case PROPERTY_SIGNAL: {
                int sig = signal_from_string(value);

                if (sig <= 0)
                        return fail(error, size, "--property=%s=%s: give a signal, like SIGTERM", name, value);
                p->number = (uint64_t)sig;
                return 0;
        }
        case PROPERTY_PASSED:
                break;
        case PROPERTY_CPU_SET:
                if (property_parse_cpu_set(value, p->cpu_mask, &p->cpu_mask_size) < 0)
                        return fail(error, size, "--property=%s=%s: give a list of numbers and ranges, like 0-3,6",
                                    name, value);
                return 0;
        }
        return -EINVAL;
}

int property_parse(const char *assignment, struct property *ret, char *error, size_t size)
{
        const char *eq = strchr(assignment, '=');
        _cleanup_free_ char *name = NULL;

        *ret = (struct property){};
        if (!eq || eq == assignment)
                return fail(error, size, "--property takes NAME=VALUE, not '%s'", assignment);
        name = strndup(assignment, (size_t)(eq - assignment));
        if (!name)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(property_table); i++)
                if (strcmp(name, property_table[i].name) == 0) {
                        int r;

                        ret->name = property_table[i].bus_name;
                        ret->type = property_table[i].type;
                        r = parse_value(ret, name, eq + 1, property_table[i].words, error, size);
                        if (r < 0)
                                property_done(ret);
                        return r;
                }
        /* Any other property systemd has: its type is learnt from systemd when the scope is
         * made, and systemd judges it, as it does what systemd-run sends. */
        if (!(name[0] >= 'A' && name[0] <= 'Z') ||
            strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(name))
                return fail(error, size, "--property=%s: '%s' is not a property name (systemd's are like MemoryMax)",
                            assignment, name);
        ret->type = PROPERTY_PASSED;
        ret->path = strdup(eq + 1);
        if (!ret->path)
                return -ENOMEM;
        ret->own_name = TAKE_PTR(name);
        ret->name = ret->own_name;
        return 0;
}

void property_done(struct property *p)
{
        free(p->path);
        free(p->access);
        free(p->own_name);
        p->path = p->access = p->own_name = NULL;
}

int property_append(sd_bus_message *message, const struct property *p)
{
        switch (p->type) {
        case PROPERTY_BYTES:
        case PROPERTY_WEIGHT:
        case PROPERTY_COUNT:
        case PROPERTY_QUOTA:
                return sym_sd_bus_message_append(message, "(sv)", p->name, "t", p->number);
        case PROPERTY_DEVICE:
                return sym_sd_bus_message_append(message, "(sv)", p->name, "a(ss)", 1, p->path, p->access);
        case PROPERTY_NUMBER:
        case PROPERTY_USEC:
                return sym_sd_bus_message_append(message, "(sv)", p->name, "t", p->number);
        case PROPERTY_PASSED:
                return -EINVAL;
        case PROPERTY_STRING:
        case PROPERTY_TEXT:
                return sym_sd_bus_message_append(message, "(sv)", p->name, "s", p->path);
        case PROPERTY_BOOLEAN:
                return sym_sd_bus_message_append(message, "(sv)", p->name, "b", (int)p->number);
        case PROPERTY_SIGNAL:
                return sym_sd_bus_message_append(message, "(sv)", p->name, "i", (int32_t)p->number);
        case PROPERTY_CPU_SET: {
                int r = sym_sd_bus_message_open_container(message, 'r', "sv");

                if (r >= 0)
                        r = sym_sd_bus_message_append(message, "s", p->name);
                if (r >= 0)
                        r = sym_sd_bus_message_open_container(message, 'v', "ay");
                if (r >= 0)
                        r = sym_sd_bus_message_append_array(message, 'y', p->cpu_mask, p->cpu_mask_size);
                if (r >= 0)
                        r = sym_sd_bus_message_close_container(message);
                if (r >= 0)
                        r = sym_sd_bus_message_close_container(message);
                return r;
        }
        }
        return -EINVAL;
}
