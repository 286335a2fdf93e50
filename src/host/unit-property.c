/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --property names our table does not know, passed to systemd as StartTransientUnit takes
 * them: each one's D-Bus type is the one systemd itself gives the property on a scope
 * object (its introspection data, read from init.scope, which every systemd host has), and
 * the value is encoded by that type, as systemd-run reads such values. systemd then judges
 * the property and its value; a name it does not have goes as a string for it to refuse. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config/options.h"
#include "config/property.h"
#include "host/unit-property.h"
#include "util/libsystemd.h"
#include "util/log.h"
#include "util/macro.h"

#define SCOPE_OBJECT "/org/freedesktop/systemd1/unit/init_2escope"

char *unit_property_introspect(sd_bus *bus)
{
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *xml;
        char *copy = NULL;

        if (sym_sd_bus_call_method(bus, "org.freedesktop.systemd1", SCOPE_OBJECT, "org.freedesktop.DBus.Introspectable",
                                   "Introspect", &error, &reply, NULL) < 0)
                return NULL;
        if (sym_sd_bus_message_read(reply, "s", &xml) >= 0)
                copy = strdup(xml);
        sym_sd_bus_message_unref(reply);
        return copy;
}

/* The type of property NAME in the introspection data, copied into SIG; NULL when absent. */
static const char *find_signature(const char *introspection, const char *name, char *sig, size_t size)
{
        char needle[160];
        const char *at, *end;

        if (!introspection)
                return NULL;
        snprintf(needle, sizeof(needle), "<property name=\"%s\" type=\"", name);
        at = strstr(introspection, needle);
        if (!at)
                return NULL;
        at += strlen(needle);
        end = strchr(at, '"');
        if (!end || (size_t)(end - at) >= size)
                return NULL;
        memcpy(sig, at, (size_t)(end - at));
        sig[end - at] = '\0';
        return sig;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A number in the unit the property's name says: time spans for *USec, bytes (512M,
 * infinity) otherwise, which takes plain numbers too. */
static int parse_unsigned(const char *bus_name, const char *value, uint64_t *ret)
{
        if (strstr(bus_name, "USec"))
                return property_parse_usec(value, ret);
        return property_parse_bytes(value, ret);
}

static int parse_signed(const char *bus_name, const char *value, int64_t *ret)
{
        char *end;
        long long n;

        if (has_suffix(bus_name, "Signal")) {
                int sig = signal_from_string(value);

                if (sig <= 0)
                        return -EINVAL;
                *ret = sig;
                return 0;
        }
        errno = 0;
        n = strtoll(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0')
                return -EINVAL;
        *ret = n;
        return 0;
}

/* "50%" as systemd's 32-bit scaled fraction (ManagedOOMMemoryPressureLimit=), or a number. */
static int parse_u32(const char *value, uint32_t *ret)
{
        size_t n = strlen(value);
        uint64_t number;
        char *end;

        if (n > 1 && value[n - 1] == '%') {
                double percent = strtod(value, &end);

                if (end != value + n - 1 || percent < 0 || percent > 100)
                        return -EINVAL;
                *ret = (uint32_t)(percent / 100.0 * (double)UINT32_MAX + 0.5);
                return 0;
        }
        if (property_parse_bytes(value, &number) < 0 || number > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t)number;
        return 0;
}

/* One IPAddressAllow=/IPAddressDeny= word, as systemd reads it: an address with an optional
 * prefix length, or any, localhost, link-local, multicast (each an IPv4 and an IPv6 prefix). */
static int append_address_word(sd_bus_message *message, const char *word)
{
        static const struct {
                const char *word, *v4, *v6;
        } names[] = {
                { "any", "0.0.0.0/0", "::/0" },
                { "localhost", "127.0.0.0/8", "::1/128" },
                { "link-local", "169.254.0.0/16", "fe80::/64" },
                { "multicast", "224.0.0.0/4", "ff00::/8" },
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(word, names[i].word) == 0) {
                        int r = append_address_word(message, names[i].v4);

                        return r < 0 ? r : append_address_word(message, names[i].v6);
                }

        char address[INET6_ADDRSTRLEN + 1];
        const char *slash = strchr(word, '/');
        size_t length = slash ? (size_t)(slash - word) : strlen(word);
        unsigned char bytes[16];
        unsigned long prefix;
        int family, r;

        if (length >= sizeof(address))
                return -EINVAL;
        memcpy(address, word, length);
        address[length] = '\0';
        family = inet_pton(AF_INET, address, bytes) == 1    ? AF_INET
                 : inet_pton(AF_INET6, address, bytes) == 1 ? AF_INET6
                                                            : 0;
        if (family == 0)
                return -EINVAL;
        prefix = family == AF_INET ? 32 : 128;
        if (slash) {
                char *end;

                errno = 0;
                prefix = strtoul(slash + 1, &end, 10);
                if (errno != 0 || end == slash + 1 || *end != '\0' || prefix > (family == AF_INET ? 32u : 128u))
                        return -EINVAL;
        }
        r = sym_sd_bus_message_open_container(message, 'r', "iayu");
        if (r >= 0)
                r = sym_sd_bus_message_append(message, "i", (int32_t)family);
        if (r >= 0)
                r = sym_sd_bus_message_append_array(message, 'y', bytes, family == AF_INET ? 4 : 16);
        if (r >= 0)
                r = sym_sd_bus_message_append(message, "u", (uint32_t)prefix);
        if (r >= 0)
                r = sym_sd_bus_message_close_container(message);
        return r;
}

/* Each whitespace-separated word of VALUE through APPEND_WORD. */
static int append_words(sd_bus_message *message, const char *value,
                        int (*append_word)(sd_bus_message *message, const char *word))
{
        _cleanup_free_ char *copy = strdup(value);
        char *word, *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
                int r = append_word(message, word);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int append_string_word(sd_bus_message *message, const char *word)
{
        return sym_sd_bus_message_append(message, "s", word);
}

/* "PATH VALUE" into a(st) or a(ss), one entry. */
static int append_pair(sd_bus_message *message, const char *bus_name, const char *value, char second)
{
        const char *space = strchr(value, ' ');
        _cleanup_free_ char *first = NULL;
        uint64_t number;

        if (!space || space == value)
                return second == 's' ? sym_sd_bus_message_append(message, "a(ss)", 1, value, "") : -EINVAL;
        first = strndup(value, (size_t)(space - value));
        if (!first)
                return -ENOMEM;
        space += strspn(space, " ");
        if (second == 's')
                return sym_sd_bus_message_append(message, "a(ss)", 1, first, space);
        if (parse_unsigned(bus_name, space, &number) < 0)
                return -EINVAL;
        return sym_sd_bus_message_append(message, "a(st)", 1, first, number);
}

/* The variant's contents of type SIG; -EINVAL when VALUE is not one of SIG. */
static int append_value(sd_bus_message *message, const char *bus_name, const char *sig, const char *value)
{
        uint64_t number;
        int64_t signed_number;
        uint32_t u32;
        uint8_t mask[128] = {};
        size_t mask_size;
        int r;

        if (strcmp(sig, "b") == 0) {
                r = parse_boolean(value);
                return r < 0 ? -EINVAL : sym_sd_bus_message_append(message, "b", r);
        }
        if (strcmp(sig, "t") == 0)
                return parse_unsigned(bus_name, value, &number) < 0 ? -EINVAL
                                                                    : sym_sd_bus_message_append(message, "t", number);
        if (strcmp(sig, "u") == 0)
                return parse_u32(value, &u32) < 0 ? -EINVAL : sym_sd_bus_message_append(message, "u", u32);
        if (strcmp(sig, "i") == 0 || strcmp(sig, "x") == 0) {
                if (parse_signed(bus_name, value, &signed_number) < 0 ||
                    (sig[0] == 'i' && (signed_number < INT32_MIN || signed_number > INT32_MAX)))
                        return -EINVAL;
                return sig[0] == 'i' ? sym_sd_bus_message_append(message, "i", (int32_t)signed_number)
                                     : sym_sd_bus_message_append(message, "x", signed_number);
        }
        if (strcmp(sig, "as") == 0 || strcmp(sig, "a(iayu)") == 0) {
                bool addresses = sig[1] == '(';

                r = sym_sd_bus_message_open_container(message, 'a', addresses ? "(iayu)" : "s");
                if (r >= 0)
                        r = append_words(message, value, addresses ? append_address_word : append_string_word);
                return r < 0 ? r : sym_sd_bus_message_close_container(message);
        }
        if (strcmp(sig, "a(st)") == 0 || strcmp(sig, "a(ss)") == 0)
                return append_pair(message, bus_name, value, sig[4]);
        if (strcmp(sig, "ay") == 0)
                return property_parse_cpu_set(value, mask, &mask_size) < 0
                               ? -EINVAL
                               : sym_sd_bus_message_append_array(message, 'y', mask, mask_size);
        /* "s", and the types we do not read: systemd reads the string, or says why not. */
        return sym_sd_bus_message_append(message, "s", value);
}

/* What VALUE should look like for type SIG, for the one line that refuses it. */
static const char *expected(const char *bus_name, const char *sig)
{
        if (strcmp(sig, "b") == 0)
                return "yes or no";
        if (strcmp(sig, "t") == 0 || strcmp(sig, "a(st)") == 0) {
                bool span = strstr(bus_name, "USec") != NULL;

                if (sig[0] == 'a')
                        return span ? "a device and a time span, like \"/dev/sda 25ms\""
                                    : "a device and a number, like \"/dev/sda 200\" or \"/dev/sda 5M\"";
                return span ? "a time span, like 90s or infinity" : "a number, like 200, 512M or infinity";
        }
        if (strcmp(sig, "u") == 0)
                return "a number or a percentage";
        if (strcmp(sig, "a(iayu)") == 0)
                return "addresses with prefix lengths, like 10.0.0.0/8 ::1 any localhost";
        if (strcmp(sig, "ay") == 0)
                return "a list of numbers and ranges, like 0-3,6";
        return "a value of that type";
}

int unit_property_append_passed(sd_bus_message *message, const struct property *p, const char *introspection)
{
        char sig[64], bus_name[160];
        int r;

        snprintf(bus_name, sizeof(bus_name), "%s", p->name);
        /* systemd-run's spelling of time spans, RuntimeMaxSec=, is RuntimeMaxUSec on the bus. */
        if (!find_signature(introspection, bus_name, sig, sizeof(sig)) && has_suffix(p->name, "Sec"))
                snprintf(bus_name, sizeof(bus_name), "%.*sUSec", (int)(strlen(p->name) - 3), p->name);
        if (!find_signature(introspection, bus_name, sig, sizeof(sig))) {
                snprintf(bus_name, sizeof(bus_name), "%s", p->name);
                snprintf(sig, sizeof(sig), "s");
        }
        r = sym_sd_bus_message_open_container(message, 'r', "sv");
        if (r >= 0)
                r = sym_sd_bus_message_append(message, "s", bus_name);
        if (r >= 0)
                r = sym_sd_bus_message_open_container(message, 'v', sig);
        if (r >= 0)
                r = append_value(message, bus_name, sig, p->path);
        if (r == -EINVAL)
                return log_error_errno(r, "--property=%s=%s: systemd takes %s as the D-Bus type %s: give %s", p->name,
                                       p->path, bus_name, sig, expected(bus_name, sig));
        if (r >= 0)
                r = sym_sd_bus_message_close_container(message);
        if (r >= 0)
                r = sym_sd_bus_message_close_container(message);
        return r < 0 ? log_error_errno(r, "Cannot build --property=%s for systemd: %m", p->name) : 0;
}
