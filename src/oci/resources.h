/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "host/device-policy.h"
#include "oci/json-read.h"

#include <stddef.h>

/* linux.resources as cgroup files to write (config-linux.md): each in cgroup v2, or, on a
 * hybrid host whose v2 hierarchy lacks the controller, in the container's cgroup on that
 * controller's v1 hierarchy, as runc does there. */
struct cgroup_setting {
        char *controller; /* "memory", "pids", ... */
        char *file;       /* its v2 file ("memory.max"), written VALUE; NULL: a key of v1 alone */
        char *value;
        char *v1_file; /* the same on v1 ("memory.limit_in_bytes"), or NULL: v2 only */
        char *v1_value;
        char *key; /* the config's key, for messages */
};

struct cgroup_settings {
        struct cgroup_setting *items;
        size_t n;
        struct device_rule *device_rules; /* resources.devices' allow rules beyond machined-lite's
                                           * own device policy: the container's wider one */
        size_t n_device_rules;
};

void cgroup_settings_done(struct cgroup_settings *s);

/* Adds a device rule of the container's own: 0, -E2BIG past DEVICE_RULES_MAX, -ENOMEM. */
int cgroup_settings_add_device_rule(struct cgroup_settings *s, struct device_rule rule);

/* Adds one setting (copies of the strings; V1_FILE and V1_VALUE may be NULL). */
int cgroup_settings_add(struct cgroup_settings *s, const char *key, const char *controller, const char *file,
                        const char *value, const char *v1_file, const char *v1_value);

/* linux.resources of config.json (config-linux.md) into SETTINGS: each key of the
 * specification's; memory.kernel (Linux applies it no more) and device rules beyond
 * machined-lite's device policy refused by name. 0 or -EINVAL (logged, oci/json-read.h). */
int oci_read_resources(const struct oci_reader *rd, json_object *linux_, struct cgroup_settings *settings);

/* Writes each to the container's cgroup CGROUP (v2, absolute), enabling its controller in
 * the cgroups above as needed, or to its v1 cgroup among CGROUP_V1. Logs one line naming
 * the key that cannot be applied here and returns -errno. */
int cgroup_settings_apply(const struct cgroup_settings *s, const char *cgroup, char *const *cgroup_v1);
