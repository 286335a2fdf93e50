/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "oci/json-read.h"
#include "oci/resources.h"

/* A node of linux.devices: made in the container's /dev as config.json asks, when the
 * device policy (host/device-policy.c) lets the container use it (a character device) or
 * it is a FIFO. */
struct oci_device {
        char *path;  /* absolute, under /dev */
        mode_t mode; /* S_IFCHR or S_IFIFO, and the permissions */
        dev_t device;
        uid_t uid; /* in the container */
        gid_t gid;
};

struct oci_devices {
        struct oci_device *nodes;
        size_t n;
};

/* linux.devices of LINUX_ into DEVICES: FIFOs, and nodes that machined-lite's device
 * policy or RULES (linux.resources.devices' own) let the container read (their mknod
 * added to RULES: the node is made in the container's cgroup). 0, or -EINVAL after one
 * line naming the entry (-ENOMEM). */
int oci_read_devices(const struct oci_reader *rd, json_object *linux_, struct cgroup_settings *rules,
                     struct oci_devices *devices);

void oci_devices_done(struct oci_devices *devices);
