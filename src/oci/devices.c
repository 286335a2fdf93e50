/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* linux.devices: the nodes a container is to have in /dev. machined-lite makes those its
 * device policy lets the container use (podman --device /dev/net/tun sends one) and FIFOs;
 * a node the policy would not let it open (a disk, the host's GPU) is refused by name, not
 * made to fail at its first open. */
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "host/device-policy.h"
#include "oci/devices.h"
#include "oci/jsonc.h"
#include "util/macro.h"

/* An absolute path below /dev, with no empty, "." or ".." component: made inside the
 * container's /dev tmpfs only. */
static bool device_path_is_valid(const char *path)
{
        const char *p;

        if (strncmp(path, "/dev/", 5) != 0 || !path[5] || strlen(path) >= 256)
                return false;
        for (p = path + 5; *p;) {
                size_t n = strcspn(p, "/");

                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (*p == '/' && !*++p)
                        return false;
        }
        return true;
}

static int read_device(const struct oci_reader *rd, json_object *entry, const char *where,
                       struct cgroup_settings *rules, struct oci_device *d)
{
        const char *path = NULL, *type = NULL;
        uint64_t major = 0, minor = 0, mode = 0666, uid = 0, gid = 0;
        int r;

        if (oci_want(rd, entry, json_type_object, where) < 0)
                return -EINVAL;
        if ((r = oci_get_string(rd, entry, "path", where, &path)) <= 0 ||
            (r = oci_get_string(rd, entry, "type", where, &type)) <= 0)
                return r < 0 ? r
                             : oci_bad_key(rd, where,
                                           "must have a path and a type (c, b, u or p), as {\"path\": "
                                           "\"/dev/net/tun\", \"type\": \"c\", \"major\": 10, \"minor\": 200}");
        if (!device_path_is_valid(path))
                return oci_bad_key(rd, where, "'%s' is no path below /dev", path);
        if (strlen(type) != 1 || !strchr("cbup", type[0]))
                return oci_bad_key(rd, where, "type '%s' is none of c, b, u and p", type);
        /* fileMode as podman sends it has the node's type bits too (8630 is 020666): the
         * permissions are taken, the type is type's. Major and minor as the kernel's
         * dev_t holds them (12 and 20 bits). */
        static const struct {
                const char *key;
                uint64_t max;
        } numbers[] = { { "major", 0xfff },
                        { "minor", 0xfffff },
                        { "fileMode", 0177777 },
                        { "uid", UINT32_MAX - 1 },
                        { "gid", UINT32_MAX - 1 } };
        uint64_t *values[] = { &major, &minor, &mode, &uid, &gid };

        for (size_t i = 0; i < ELEMENTSOF(numbers); i++) {
                char key[96];

                snprintf(key, sizeof(key), "%s.%s", where, numbers[i].key);
                r = oci_get_uint(rd, entry, numbers[i].key, key, numbers[i].max, values[i]);
                if (r < 0)
                        return r;
        }
        if (!strcmp(type, "p"))
                d->mode = S_IFIFO;
        else if (!device_policy_allows(rules->device_rules, rules->n_device_rules, type[0] == 'b' ? 'b' : 'c',
                                       (unsigned)major, (int)minor, true, false, false))
                return oci_bad_key(rd, where,
                                   "%s (%s %" PRIu64 ":%" PRIu64 ") is a device neither machined-lite's device policy "
                                   "(character devices null, zero, full, random, urandom, tty, net/tun) nor "
                                   "linux.resources.devices lets the container use",
                                   path, type, major, minor);
        else {
                d->mode = type[0] == 'b' ? S_IFBLK : S_IFCHR;
                /* The node is made in the container's cgroup: its mknod, whatever access the
                 * rules give (the node made, it opens only as they say). */
                if (!device_policy_allows(rules->device_rules, rules->n_device_rules, type[0] == 'b' ? 'b' : 'c',
                                          (unsigned)major, (int)minor, false, false, true)) {
                        r = cgroup_settings_add_device_rule(rules, (struct device_rule){
                                                                           .type = type[0] == 'b' ? 'b' : 'c',
                                                                           .major = (int)major,
                                                                           .minor = (int)minor,
                                                                           .access = BPF_DEVCG_ACC_MKNOD,
                                                                   });
                        if (r == -E2BIG)
                                return oci_bad_key(rd, where, "is one device beyond the %d rules machined-lite takes",
                                                   DEVICE_RULES_MAX);
                        if (r < 0)
                                return r;
                }
        }
        d->mode |= (mode_t)mode & 07777;
        d->device = S_ISFIFO(d->mode) ? 0 : makedev((unsigned)major, (unsigned)minor);
        d->uid = (uid_t)uid;
        d->gid = (gid_t)gid;
        d->path = strdup(path);
        return d->path ? 0 : -ENOMEM;
}

int oci_read_devices(const struct oci_reader *rd, json_object *linux_, struct cgroup_settings *rules,
                     struct oci_devices *devices)
{
        json_object *list = oci_member(linux_, "devices");
        size_t n;

        if (!list)
                return 0;
        if (oci_want(rd, list, json_type_array, "linux.devices") < 0)
                return -EINVAL;
        n = sym_json_object_array_length(list);
        if (n > 256)
                return oci_bad_key(rd, "linux.devices", "has %zu entries, more than the 256 machined-lite takes", n);
        devices->nodes = calloc(n ?: 1, sizeof(*devices->nodes));
        if (!devices->nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char where[64];
                int r;

                snprintf(where, sizeof(where), "linux.devices[%zu]", i);
                r = read_device(rd, sym_json_object_array_get_idx(list, i), where, rules, &devices->nodes[i]);
                if (r < 0)
                        return r;
                devices->n++;
        }
        return 0;
}

void oci_devices_done(struct oci_devices *devices)
{
        for (size_t i = 0; i < devices->n; i++)
                free(devices->nodes[i].path);
        free(devices->nodes);
        *devices = (struct oci_devices){};
}
