/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A bundle's config.json (the OCI runtime specification, 1.0.0 to 1.3.x) read with
 * json-c into the struct machine every machine is built from: one engine for `run`,
 * `boot` and OCI containers. A key the specification has and machined-lite cannot honour
 * is refused in one line naming it; unknown keys are ignored (config.md, Extensibility). */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "oci/config.h"
#include "oci/json-read.h"
#include "oci/jsonc.h"
#include "oci/mounts.h"
#include "oci/process.h"
#include "oci/seccomp.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"


void oci_container_done(struct oci_container *c)
{
        free(c->id);
        free(c->bundle);
        free(c->state_dir);
        free(c->pid_file);
        free(c->console_socket);
        free(c->annotations);
        free(c->oci_version);
        free(c->domainname);
        oci_hooks_done(&c->hooks);
        oci_devices_done(&c->devices);
        oci_scheduling_done(&c->scheduling);
        free(c->config_text);
        free(c->config_file);
        free(c->hooks_json);
        oci_seccomp_free(c->seccomp);
        cgroup_settings_done(&c->resources);
        strv_free(c->sysctl);
        if (c->start_fifo >= 0)
                close(c->start_fifo);
        *c = (struct oci_container)OCI_CONTAINER_INIT;
}

/* ociVersion: 1.0.0 up to 1.3.x, with or without a pre-release ("1.0.2-dev", as runc's
 * and podman's are). */
static int read_version(const struct oci_reader *rd, json_object *config, struct oci_container *c)
{
        const char *v;
        unsigned major, minor, patch;
        int r = oci_get_string(rd, config, "ociVersion", "ociVersion", &v);

        if (r < 0)
                return r;
        if (r == 0)
                return oci_bad_key(rd, "ociVersion", "is missing (the runtime specification's version, 1.0.0 to 1.3.x)");
        if (sscanf(v, "%u.%u.%u", &major, &minor, &patch) != 3 || major != 1 || minor > 3)
                return oci_bad_key(rd, "ociVersion", "'%s' is not a version machined-lite implements (1.0.0 to 1.3.x)",
                                   v);
        c->oci_version = strdup(v);
        return c->oci_version ? 0 : -ENOMEM;
}

static int read_root(const struct oci_reader *rd, json_object *config, struct machine *m)
{
        json_object *root = oci_member(config, "root");
        _cleanup_free_ char *path = NULL;
        const char *p;
        int r;

        if (!root)
                return oci_bad_key(rd, "root", "is missing (the container's root file system)");
        if (oci_want(rd, root, json_type_object, "root") < 0)
                return -EINVAL;
        r = oci_get_string(rd, root, "path", "root.path", &p);
        if (r <= 0)
                return r < 0 ? r : oci_bad_key(rd, "root.path", "is missing");
        /* Relative to the bundle (bundle.md). */
        if (p[0] == '/')
                path = strdup(p);
        else if (asprintf(&path, "%s/%s", rd->bundle, p) < 0)
                path = NULL;
        if (!path)
                return -ENOMEM;
        free(m->root);
        m->root = TAKE_PTR(path);
        r = oci_get_bool(rd, root, "readonly", "root.readonly", &m->read_only);
        return r < 0 ? r : 0;
}

/* Whether the namespace at PATH is ours (/proc/self/ns/OWN): the host's, given by path. */
static bool namespace_is_ours(const char *path, const char *own)
{
        struct stat st, ours;
        char self[64];

        snprintf(self, sizeof(self), "/proc/self/ns/%s", own);
        return path && stat(path, &st) >= 0 && stat(self, &ours) >= 0 && st.st_dev == ours.st_dev &&
               st.st_ino == ours.st_ino;
}

/* linux.namespaces: each new, joined by path, or absent: the host's (network, ipc, uts,
 * pid: joined by create; a cgroup namespace is the container's own all the same); mount
 * is required; user maps one range. */
static int read_namespaces(const struct oci_reader *rd, json_object *linux_, struct machine *m, struct oci_container *c)
{
        static const char *const known[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };
        json_object *namespaces = oci_member(linux_, "namespaces");
        bool pid = false, mount = false, ipc = false, uts = false;

        if (!namespaces)
                return oci_bad_key(rd, "linux.namespaces",
                                   "is missing (a container has at least a mount namespace of its own)");
        if (oci_want(rd, namespaces, json_type_array, "linux.namespaces") < 0)
                return -EINVAL;
        for (size_t i = 0, n = sym_json_object_array_length(namespaces); i < n; i++) {
                json_object *ns = sym_json_object_array_get_idx(namespaces, i);
                const char *type = NULL, *path = NULL;
                char where[64];
                bool found = false;

                snprintf(where, sizeof(where), "linux.namespaces[%zu]", i);
                if (oci_want(rd, ns, json_type_object, where) < 0 || oci_get_string(rd, ns, "type", where, &type) <= 0 ||
                    oci_get_string(rd, ns, "path", where, &path) < 0)
                        return oci_bad_key(rd, where, "must be {\"type\": TYPE[, \"path\": PATH]}");
                for (size_t k = 0; k < ELEMENTSOF(known); k++)
                        found = found || !strcmp(type, known[k]);
                if (!found)
                        return oci_bad_key(rd, where,
                                           "'%s' is no namespace type (pid, network, mount, ipc, uts, user, cgroup, time)",
                                           type);
                if (!strcmp(type, "network")) {
                        /* (Named twice: the last one, new or joined.) */
                        free(m->network_namespace_path);
                        m->network_namespace_path = NULL;
                        m->private_network = !(path && path[0]);
                        if (path && path[0]) {
                                m->network_namespace_path = strdup(path);
                                if (!m->network_namespace_path)
                                        return -ENOMEM;
                        }
                        continue;
                }
                pid = pid || !strcmp(type, "pid");
                mount = mount || !strcmp(type, "mount");
                ipc = ipc || !strcmp(type, "ipc");
                uts = uts || !strcmp(type, "uts");
                /* A pod's containers join its sandbox's IPC and UTS namespaces (CRI), its PID
                 * namespace when the pod shares one (shareProcessNamespace). */
                if (path && path[0] &&
                    (!strcmp(type, "ipc") || !strcmp(type, "uts") || !strcmp(type, "pid") || !strcmp(type, "cgroup") ||
                     !strcmp(type, "time") || !strcmp(type, "mount"))) {
                        char **target = !strcmp(type, "ipc")      ? &m->ipc_namespace_path
                                        : !strcmp(type, "uts")    ? &m->uts_namespace_path
                                        : !strcmp(type, "pid")    ? &m->pid_namespace_path
                                        : !strcmp(type, "cgroup") ? &m->cgroup_namespace_path
                                        : !strcmp(type, "mount")  ? &m->mount_namespace_path
                                                                  : &m->time_namespace_path;

                        free(*target);
                        *target = strdup(path);
                        if (!*target)
                                return -ENOMEM;
                        continue;
                }
                /* A pod's user namespace, its map config.json's uidMappings (checked by
                 * create against the namespace's own). */
                if (path && path[0] && !strcmp(type, "user")) {
                        free(m->user_namespace_path);
                        m->user_namespace_path = strdup(path);
                        if (!m->user_namespace_path)
                                return -ENOMEM;
                        m->private_users = PRIVATE_USERS_FIXED;
                        continue;
                }
                if (path && path[0])
                        return oci_bad_key(rd, where,
                                           "joining an existing %s namespace is not implemented by machined-lite", type);
                if (!strcmp(type, "time"))
                        c->time_namespace = true;
                if (!strcmp(type, "user"))
                        m->private_users = PRIVATE_USERS_FIXED;
        }
        /* The mounts of a user namespace's container are locked in a copy of the
         * namespace they are built in (guest/fs-helper.c): it would not be the one joined. */
        if (m->mount_namespace_path && m->private_users != PRIVATE_USERS_NO)
                return oci_bad_key(rd, "linux.namespaces",
                                   "a mount namespace joined by path takes no user namespace (the container's mounts "
                                   "are locked in a copy of their own there)");
        /* The host's given by path is the host's all the same (its sysctls, its name). */
        c->host_ipc = !ipc || namespace_is_ours(m->ipc_namespace_path, "ipc");
        c->host_uts = !uts || namespace_is_ours(m->uts_namespace_path, "uts");
        c->host_net = !m->private_network &&
                      (!m->network_namespace_path || namespace_is_ours(m->network_namespace_path, "net"));
        c->host_pid = !pid;
        if (!mount)
                return oci_bad_key(rd, "linux.namespaces",
                                   "a container without its own mount namespace is not implemented by machined-lite");
        return 0;
}

/* uidMappings and gidMappings: one range from 0, the same for both, as -U's are. */
static int read_id_mappings(const struct oci_reader *rd, json_object *linux_, struct machine *m)
{
        static const char *const keys[] = { "uidMappings", "gidMappings" };
        uint64_t host[2] = {}, size[2] = {};

        for (size_t k = 0; k < 2; k++) {
                json_object *maps = oci_member(linux_, keys[k]), *map;
                char where[64];
                uint64_t container = 1;

                snprintf(where, sizeof(where), "linux.%s", keys[k]);
                if (!maps) {
                        if (m->private_users != PRIVATE_USERS_NO)
                                return oci_bad_key(rd, where, "is missing: a user namespace needs its mappings");
                        continue;
                }
                if (m->private_users == PRIVATE_USERS_NO)
                        return oci_bad_key(rd, where, "is given without a user namespace in linux.namespaces");
                if (oci_want(rd, maps, json_type_array, where) < 0)
                        return -EINVAL;
                map = sym_json_object_array_length(maps) == 1 ? sym_json_object_array_get_idx(maps, 0) : NULL;
                if (!map || oci_get_uint(rd, map, "containerID", where, UINT32_MAX, &container) <= 0 ||
                    oci_get_uint(rd, map, "hostID", where, UINT32_MAX, &host[k]) <= 0 ||
                    oci_get_uint(rd, map, "size", where, UINT32_MAX, &size[k]) <= 0 || container != 0 || host[k] == 0 ||
                    size[k] == 0 || host[k] + size[k] > UINT32_MAX)
                        return oci_bad_key(rd, where,
                                           "machined-lite maps one range from container ID 0 to host IDs above 0: "
                                           "[{\"containerID\": 0, \"hostID\": H, \"size\": N}]");
        }
        if (m->private_users == PRIVATE_USERS_NO)
                return 0;
        if (host[0] != host[1] || size[0] != size[1])
                return oci_bad_key(rd, "linux.gidMappings", "must map the same range as linux.uidMappings");
        m->uid_base = (uid_t)host[0];
        m->uid_count = (uint32_t)size[0];
        return 0;
}

/* linux.sysctl: only those the container's own namespaces hold (network with a network
 * namespace of its own, IPC, UTS: not the host's, joined when linux.namespaces leaves them
 * out), as runc checks: any other would change the host. */
static const char *const ipc_sysctls[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                           "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };

/* Whether the sysctl KEY belongs to the namespace of clone flag TYPE (network, IPC, UTS). */
static bool sysctl_of_namespace(const char *key, int type)
{
        if (type == CLONE_NEWNET)
                return !strncmp(key, "net.", 4);
        if (type == CLONE_NEWUTS)
                return !strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname");
        for (size_t i = 0; type == CLONE_NEWIPC && i < ELEMENTSOF(ipc_sysctls); i++)
                if (!strcmp(key, ipc_sysctls[i]))
                        return true;
        return type == CLONE_NEWIPC && !strncmp(key, "fs.mqueue.", 10);
}

bool oci_sets_namespace(const struct machine *m, int type)
{
        const struct oci_container *c = m->oci;

        if (type == CLONE_NEWUTS && (m->hostname || (c && c->domainname)))
                return true;
        for (size_t i = 0; c && c->sysctl && c->sysctl[i]; i++) {
                _cleanup_free_ char *key = strndup(c->sysctl[i], strcspn(c->sysctl[i], "="));

                if (key && sysctl_of_namespace(key, type))
                        return true;
        }
        return false;
}

static int read_sysctl(const struct oci_reader *rd, json_object *linux_, const struct machine *m, struct oci_container *c)
{
        json_object *sysctl = oci_member(linux_, "sysctl");
        struct json_object_iterator it, end;

        if (!sysctl)
                return 0;
        if (oci_want(rd, sysctl, json_type_object, "linux.sysctl") < 0)
                return -EINVAL;
        it = sym_json_object_iter_begin(sysctl);
        end = sym_json_object_iter_end(sysctl);
        for (; !sym_json_object_iter_equal(&it, &end); sym_json_object_iter_next(&it)) {
                const char *key = sym_json_object_iter_peek_name(&it) ?: "";
                json_object *v = sym_json_object_iter_peek_value(&it);
                _cleanup_free_ char *assignment = NULL;
                bool namespaced = false;

                if (!v || !sym_json_object_is_type(v, json_type_string) || strchr(key, '/') || strstr(key, "..") ||
                    !key[0] || strchr(sym_json_object_get_string(v), '\n'))
                        return oci_bad_key(rd, "linux.sysctl", "'%s' must be a sysctl name with a string value", key);
                namespaced = (!c->host_ipc && sysctl_of_namespace(key, CLONE_NEWIPC)) ||
                             (!c->host_uts && sysctl_of_namespace(key, CLONE_NEWUTS)) ||
                             (!c->host_net && sysctl_of_namespace(key, CLONE_NEWNET));
                if (!namespaced)
                        return oci_bad_key(rd, "linux.sysctl",
                                           "'%s' is no sysctl of the container's own namespaces: it would "
                                           "change the host's",
                                           key);
                if (asprintf(&assignment, "%s=%s", key, sym_json_object_get_string(v)) < 0 ||
                    strv_extend(&c->sysctl, assignment) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* linux.maskedPaths (an inaccessible node over each) and linux.readonlyPaths (each bound
 * onto itself read-only), where the container has them, after its other mounts. */
static int read_paths(const struct oci_reader *rd, json_object *linux_, struct machine *m)
{
        static const char *const keys[] = { "maskedPaths", "readonlyPaths" };

        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                _cleanup_(strv_freep) char **paths = NULL;
                char where[64];

                snprintf(where, sizeof(where), "linux.%s", keys[k]);
                if (oci_get_strv(rd, linux_, keys[k], where, &paths) < 0)
                        return -EINVAL;
                for (size_t i = 0; paths && paths[i]; i++) {
                        struct custom_mount *c;

                        if (!guest_path_is_valid(paths[i]))
                                return oci_bad_key(rd, where, "'%s' must be an absolute path without ..", paths[i]);
                        c = custom_mount_add(m);
                        if (!c)
                                return -ENOMEM;
                        c->optional = true;
                        c->destination = strdup(paths[i]);
                        if (k == 0)
                                c->type = CUSTOM_INACCESSIBLE;
                        else {
                                c->type = CUSTOM_BIND;
                                c->read_only = c->recursive = true;
                                if (asprintf(&c->source, "+%s", paths[i]) < 0)
                                        c->source = NULL;
                        }
                        if (!c->destination || (k == 1 && !c->source))
                                return -ENOMEM;
                }
        }
        return 0;
}

/* linux.personality: LINUX or LINUX32, as --personality takes x86-64 and x86; no flags
 * (the specification defines none yet). */
static int read_personality(const struct oci_reader *rd, json_object *linux_, struct machine *m)
{
        json_object *personality = oci_member(linux_, "personality");
        _cleanup_(strv_freep) char **flags = NULL;
        const char *domain = NULL;
        int r;

        if (!personality)
                return 0;
        if (oci_want(rd, personality, json_type_object, "linux.personality") < 0)
                return -EINVAL;
        r = oci_get_string(rd, personality, "domain", "linux.personality.domain", &domain);
        if (r < 0)
                return r;
        if (r == 0 || (strcmp(domain, "LINUX") != 0 && strcmp(domain, "LINUX32") != 0))
                return oci_bad_key(rd, "linux.personality.domain", "must be LINUX or LINUX32");
        if (oci_get_strv(rd, personality, "flags", "linux.personality.flags", &flags) < 0)
                return -EINVAL;
        if (flags && flags[0])
                return oci_bad_key(rd, "linux.personality.flags",
                                   "'%s': the specification defines no flags yet (leave the list empty)", flags[0]);
        m->personality = strcmp(domain, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
        return 0;
}

/* A link's name (IFNAMSIZ, none of what the kernel refuses in one), a "%d" allowed once
 * when TEMPLATE. */
static bool ifname_is_valid(const char *name, bool template)
{
        const char *d = strstr(name, "%d");

        if (!name[0] || strlen(name) >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, "..") ||
            strpbrk(name, "/: \t\n\v\f\r"))
                return false;
        if (!d)
                return !strchr(name, '%');
        return template && !strchr(d + 1, '%') && (d == name || strchr(name, '%') == d);
}

/* linux.netDevices: each host link moved into the container's network namespace (which
 * it must have) under its "name", or its own; net/extra-links.c moves them. */
static int read_net_devices(const struct oci_reader *rd, json_object *linux_, struct machine *m)
{
        json_object *devices = oci_member(linux_, "netDevices");
        struct json_object_iterator it, end;

        if (!devices)
                return 0;
        if (oci_want(rd, devices, json_type_object, "linux.netDevices") < 0)
                return -EINVAL;
        if (!m->private_network && !m->network_namespace_path)
                return oci_bad_key(rd, "linux.netDevices", "needs a network namespace in linux.namespaces");
        it = sym_json_object_iter_begin(devices);
        end = sym_json_object_iter_end(devices);
        for (; !sym_json_object_iter_equal(&it, &end); sym_json_object_iter_next(&it)) {
                const char *host = sym_json_object_iter_peek_name(&it) ?: "", *name = NULL;
                json_object *device = sym_json_object_iter_peek_value(&it);
                _cleanup_free_ char *pair = NULL;
                char where[64];

                snprintf(where, sizeof(where), "linux.netDevices.%.32s", host);
                if (!ifname_is_valid(host, false))
                        return oci_bad_key(rd, "linux.netDevices", "'%s' is no link name", host);
                if (oci_want(rd, device, json_type_object, where) < 0 ||
                    oci_get_string(rd, device, "name", where, &name) < 0)
                        return -EINVAL;
                if (name && !ifname_is_valid(name, true))
                        return oci_bad_key(rd, where,
                                           "name '%s' is no link name (\"%%d\" once for the kernel's number)", name);
                if (asprintf(&pair, "%s:%s", host, name ?: host) < 0) {
                        pair = NULL;
                        return -ENOMEM;
                }
                if (strv_extend(&m->oci_net_devices, pair) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* linux.timeOffsets: the monotonic and boot-time clocks of the container's time namespace
 * (which it must have), {"secs": S, "nanosecs": N} each. */
static int read_time_offsets(const struct oci_reader *rd, json_object *linux_, struct oci_container *c)
{
        static const char *const clocks[] = { "monotonic", "boottime" };
        json_object *offsets = oci_member(linux_, "timeOffsets");

        if (!offsets)
                return 0;
        if (oci_want(rd, offsets, json_type_object, "linux.timeOffsets") < 0)
                return -EINVAL;
        if (!c->time_namespace)
                return oci_bad_key(rd, "linux.timeOffsets", "needs a time namespace in linux.namespaces");
        for (size_t i = 0; i < ELEMENTSOF(clocks); i++) {
                json_object *clock = oci_member(offsets, clocks[i]);
                uint64_t nanoseconds = 0;
                int64_t seconds = 0;
                char where[64];

                if (!clock)
                        continue;
                snprintf(where, sizeof(where), "linux.timeOffsets.%s", clocks[i]);
                if (oci_want(rd, clock, json_type_object, where) < 0 ||
                    oci_get_int64(rd, clock, "secs", where, &seconds) < 0 ||
                    oci_get_uint(rd, clock, "nanosecs", where, 999999999, &nanoseconds) < 0)
                        return -EINVAL;
                c->time_offsets[i].seconds = seconds;
                c->time_offsets[i].nanoseconds = (long)nanoseconds;
                c->time_offsets[i].given = true;
        }
        return 0;
}

static int read_linux(const struct oci_reader *rd, json_object *config, struct machine *m, struct oci_container *c)
{
        static const struct {
                const char *key, *why;
        } refused[] = {
                { "mountLabel", "this host has no SELinux for machined-lite to label mounts with" },
                { "intelRdt", "this host has no Intel RDT for machined-lite to use" },
        };
        json_object *linux_ = oci_member(config, "linux");
        const char *cgroups_path = NULL, *propagation = NULL;
        int r;

        if (!linux_)
                return oci_bad_key(rd, "linux", "is missing (a Linux container's namespaces)");
        if (oci_want(rd, linux_, json_type_object, "linux") < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                char where[64];

                snprintf(where, sizeof(where), "linux.%s", refused[i].key);
                if (oci_refuse(rd, linux_, refused[i].key, where, refused[i].why) < 0)
                        return -EINVAL;
        }
        if ((r = read_personality(rd, linux_, m)) < 0 || (r = read_namespaces(rd, linux_, m, c)) < 0 ||
            (r = read_id_mappings(rd, linux_, m)) < 0 || (r = oci_read_resources(rd, linux_, &c->resources)) < 0 ||
            (r = oci_read_seccomp(rd, linux_, &c->seccomp)) < 0 || (r = read_paths(rd, linux_, m)) < 0 ||
            (r = read_sysctl(rd, linux_, m, c)) < 0 ||
            (r = oci_read_devices(rd, linux_, &c->resources, &c->devices)) < 0 ||
            (r = oci_read_memory_policy(rd, linux_, &c->scheduling)) < 0 || (r = read_net_devices(rd, linux_, m)) < 0)
                return r;
        if ((r = read_time_offsets(rd, linux_, c)) < 0)
                return r;
        /* A node's owner in the container's range: another would be nobody's there, or
         * another container's on the host. */
        for (size_t i = 0; m->private_users != PRIVATE_USERS_NO && m->uid_count > 0 && i < c->devices.n; i++)
                if (c->devices.nodes[i].uid >= m->uid_count || c->devices.nodes[i].gid >= m->uid_count)
                        return oci_bad_key(rd, "linux.devices",
                                           "%s: uid and gid must be within uidMappings' range (0 to %u)",
                                           c->devices.nodes[i].path, m->uid_count - 1);
        if ((r = oci_get_string(rd, linux_, "cgroupsPath", "linux.cgroupsPath", &cgroups_path)) < 0)
                return r;
        if (cgroups_path && cgroups_path[0]) {
                if (strstr(cgroups_path, "..") || !cgroups_path[strspn(cgroups_path, "/")])
                        return oci_bad_key(rd, "linux.cgroupsPath", "'%s' is no cgroup path", cgroups_path);
                m->cgroup_path = strdup(cgroups_path);
                if (!m->cgroup_path)
                        return -ENOMEM;
        }
        if ((r = oci_get_string(rd, linux_, "rootfsPropagation", "linux.rootfsPropagation", &propagation)) < 0)
                return r;
        if (propagation && strcmp(propagation, "private") != 0 && strcmp(propagation, "rprivate") != 0 &&
            strcmp(propagation, "slave") != 0 && strcmp(propagation, "rslave") != 0)
                return oci_bad_key(rd, "linux.rootfsPropagation",
                                   "'%s': a machine's mounts are private to it (private, rprivate, slave and rslave are "
                                   "taken as that)",
                                   propagation);
        return 0;
}

static int read_hooks(const struct oci_reader *rd, json_object *config, struct oci_container *c)
{
        json_object *hooks = oci_member(config, "hooks");
        const char *text;
        int r;

        r = oci_read_hooks(rd, hooks, &c->hooks);
        if (r < 0 || !hooks)
                return r;
        text = sym_json_object_to_json_string_ext(hooks, JSON_C_TO_STRING_PLAIN);
        c->hooks_json = text ? strdup(text) : NULL;
        return c->hooks_json ? 0 : -ENOMEM;
}

static int read_annotations(const struct oci_reader *rd, json_object *config, struct oci_container *c)
{
        json_object *annotations = oci_member(config, "annotations");
        const char *text;

        if (annotations && oci_want(rd, annotations, json_type_object, "annotations") < 0)
                return -EINVAL;
        text = annotations ? sym_json_object_to_json_string_ext(annotations, JSON_C_TO_STRING_PLAIN) : "{}";
        c->annotations = strdup(text ?: "{}");
        return c->annotations ? 0 : -ENOMEM;
}

static int read_config(const struct oci_reader *rd, json_object *config, struct machine *m, struct oci_container *c)
{
        const char *hostname = NULL, *domainname = NULL;
        int r;

        if (oci_want(rd, config, json_type_object, "(the document)") < 0)
                return -EINVAL;
        if ((r = read_version(rd, config, c)) < 0 || (r = read_root(rd, config, m)) < 0 ||
            (r = oci_read_process(rd, oci_member(config, "process"), m, c)) < 0 ||
            (r = oci_read_mounts(rd, config, m)) < 0 || (r = read_linux(rd, config, m, c)) < 0 ||
            (r = read_annotations(rd, config, c)) < 0)
                return r;
        if ((r = oci_get_string(rd, config, "hostname", "hostname", &hostname)) < 0)
                return r;
        if (hostname && hostname[0]) {
                if (!host_name_is_valid(hostname))
                        return oci_bad_key(rd, "hostname", "'%s' is no valid host name", hostname);
                m->hostname = strdup(hostname);
                if (!m->hostname)
                        return -ENOMEM;
        }
        if ((r = oci_get_string(rd, config, "domainname", "domainname", &domainname)) < 0)
                return r;
        if (domainname && domainname[0]) {
                if (strlen(domainname) > 64 || strchr(domainname, '/'))
                        return oci_bad_key(rd, "domainname", "'%s' is no NIS domain name (at most 64 bytes)", domainname);
                c->domainname = strdup(domainname);
                if (!c->domainname)
                        return -ENOMEM;
        }
        if ((r = read_hooks(rd, config, c)) < 0)
                return r;
        return 0;
}

static int read_document(const struct oci_reader *rd, json_object *document, void *userdata)
{
        struct oci_target *t = userdata;

        return read_config(rd, document, t->m, t->c);
}

int oci_config_load(struct oci_container *c, struct machine *m)
{
        _cleanup_free_ char *path = NULL;
        struct oci_reader rd = { .bundle = c->bundle, .keep_text = &c->config_text };

        if (c->config_file)
                path = strdup(c->config_file);
        else if (asprintf(&path, "%s/config.json", c->bundle) < 0)
                path = NULL;
        if (!path)
                return -ENOMEM;
        rd.file = path;
        return oci_json_load_file(&rd, "a bundle holds config.json and its root file system", read_document,
                                  &(struct oci_target){ m, c });
}
