/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "util/libsystemd.h"

/* A unit property given with --property=NAME=VALUE, parsed into the D-Bus type that
 * org.freedesktop.systemd1.Manager.StartTransientUnit takes for it. */
enum property_type {
        PROPERTY_BYTES,   /* t: 512M, 1G, infinity */
        PROPERTY_WEIGHT,  /* t: 1..10000 */
        PROPERTY_COUNT,   /* t: a number or infinity */
        PROPERTY_QUOTA,   /* t: "50%" → CPUQuotaPerSecUSec */
        PROPERTY_DEVICE,  /* a(ss): "PATH [rwm]" */
        PROPERTY_STRING,  /* s: one of a few words */
        PROPERTY_CPU_SET, /* ay: "0-3,6" as a bit mask */
        PROPERTY_BOOLEAN, /* b: yes/no, true/false, on/off, 1/0 */
        PROPERTY_NUMBER,  /* t: a number */
        PROPERTY_USEC,    /* t: a time span, "90s", "5min", "1h 30min", "infinity" */
        PROPERTY_SIGNAL,  /* i: a signal, by name or number */
        PROPERTY_TEXT,    /* s: any text (Description) */
        PROPERTY_PASSED,  /* a name not in our table: its type is systemd's (host/unit-property.c) */
};

struct property {
        const char *name; /* the D-Bus property name */
        char *own_name;   /* PROPERTY_PASSED: the name as given, which name points at */
        enum property_type type;
        uint64_t number;
        char *path, *access;   /* PROPERTY_DEVICE; path also holds PROPERTY_STRING and _PASSED's value */
        uint8_t cpu_mask[128]; /* PROPERTY_CPU_SET: CPUs 0..1023 */
        size_t cpu_mask_size;
};

/* Parses "NAME=VALUE". A NAME our table has is checked here; any other that is a property
 * name is kept as PROPERTY_PASSED, for systemd to judge when the scope is made. Returns 0,
 * or -EINVAL after writing one line into ERROR (of ERROR_SIZE) that says what is wrong. */
int property_parse(const char *assignment, struct property *ret, char *error, size_t error_size);

void property_done(struct property *p);

/* Appends the property as a "(sv)" to a message being built; not PROPERTY_PASSED, which
 * host/unit-property.c appends. */
int property_append(sd_bus_message *message, const struct property *p);

/* The value parsers systemd's own use for these kinds, shared with host/unit-property.c. */
int property_parse_usec(const char *s, uint64_t *ret);
int property_parse_bytes(const char *s, uint64_t *ret);
int property_parse_cpu_set(const char *s, uint8_t mask[static 128], size_t *ret_size);
