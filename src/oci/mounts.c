/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.json's mounts (oci/mounts.h): binds with the specification's options, tmpfs, and
 * the file systems a container may mount, into the machine's custom mounts; the API file
 * systems at their places are the machine's own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "config/custom-mount.h"
#include "oci/jsonc.h"
#include "oci/mounts.h"
#include "util/macro.h"
#include "util/mount-options.h"
#include "util/path.h"
#include "util/strv.h"

/* The API file systems every machine gets from machined-lite itself (guest/api-fs.c,
 * guest/dev.c): a config's own mount of one of them at its place is that one. */
/* The file systems a container's config.json may mount besides its binds: those that
 * hold files (in memory, on a device, over the network) and the container's own devpts
 * and mqueue. Not the kernel's views (proc, sysfs, cgroup, cpuset, resctrl, debugfs...),
 * which show the host's or change it: mounted where a machine has them, by machined-lite,
 * never elsewhere. */
static const char *const container_file_systems[] = { "tmpfs", "ramfs",    "devpts", "mqueue",   "overlay", "hugetlbfs",
                                                      "ext2",  "ext3",     "ext4",   "xfs",      "btrfs",   "vfat",
                                                      "msdos", "exfat",    "ntfs3",  "squashfs", "erofs",   "iso9660",
                                                      "udf",   "f2fs",     "nfs",    "nfs4",     "cifs",    "smb3",
                                                      "9p",    "virtiofs", NULL };

static bool api_mount(const char *type, const char *destination)
{
        static const struct {
                const char *type, *destination;
        } api[] = {
                { "proc", "/proc" },
                { "sysfs", "/sys" },
                { "tmpfs", "/dev" },
                { "devpts", "/dev/pts" },
                { "tmpfs", "/dev/shm" },
                { "mqueue", "/dev/mqueue" },
                { "cgroup", "/sys/fs/cgroup" },
                { "cgroup2", "/sys/fs/cgroup" },
        };

        for (size_t i = 0; i < ELEMENTSOF(api); i++)
                if (!strcmp(type, api[i].type) && !strcmp(destination, api[i].destination))
                        return true;
        return false;
}

/* A bind's options (config.md, Linux mount options), each as mount_setattr(2) applies it:
 * on the bind's top mount, or (an r-option) on each of its mounts; ATTR set, with the
 * atime bits' mask when it is an atime option. An opposite (CLEAR: suid, exec, rw...) takes
 * back what an option before it asked, never what the host's mount has: a bind is never
 * less restricted than its source (engines add rw to every writable bind). ro makes the
 * whole tree read-only, as a read-only bind of ours always has; nodev is every bind's
 * (the device policy's rule), dev refused. The propagation types: private, slave (each bind's
 * already, as the machine's root) and unbindable; shared would carry the guest's mounts
 * back to the host: refused. The file system's own flags (sync, mand, lazytime...) are the
 * host's to set, not a bind's: refused; those that ask for nothing, taken. */
static const struct bind_option {
        const char *name;
        uint64_t attr;
        bool clear, recursive, atime;
} bind_option_table[] = {
        { "nosuid", MOUNT_ATTR_NOSUID, false, false, false },
        { "suid", MOUNT_ATTR_NOSUID, true, false, false },
        { "rnosuid", MOUNT_ATTR_NOSUID, false, true, false },
        { "rsuid", MOUNT_ATTR_NOSUID, true, true, false },
        { "noexec", MOUNT_ATTR_NOEXEC, false, false, false },
        { "exec", MOUNT_ATTR_NOEXEC, true, false, false },
        { "rnoexec", MOUNT_ATTR_NOEXEC, false, true, false },
        { "rexec", MOUNT_ATTR_NOEXEC, true, true, false },
        { "nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, false, false, false },
        { "symfollow", MOUNT_ATTR_NOSYMFOLLOW, true, false, false },
        { "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, false, true, false },
        { "rsymfollow", MOUNT_ATTR_NOSYMFOLLOW, true, true, false },
        { "nodiratime", MOUNT_ATTR_NODIRATIME, false, false, false },
        { "diratime", MOUNT_ATTR_NODIRATIME, true, false, false },
        { "rnodiratime", MOUNT_ATTR_NODIRATIME, false, true, false },
        { "rdiratime", MOUNT_ATTR_NODIRATIME, true, true, false },
        { "atime", MOUNT_ATTR_RELATIME, false, false, true },
        { "ratime", MOUNT_ATTR_RELATIME, false, true, true },
        { "noatime", MOUNT_ATTR_NOATIME, false, false, true },
        { "rnoatime", MOUNT_ATTR_NOATIME, false, true, true },
        { "relatime", MOUNT_ATTR_RELATIME, false, false, true },
        { "rrelatime", MOUNT_ATTR_RELATIME, false, true, true },
        { "nostrictatime", MOUNT_ATTR_RELATIME, false, false, true },
        { "rnostrictatime", MOUNT_ATTR_RELATIME, false, true, true },
        { "strictatime", MOUNT_ATTR_STRICTATIME, false, false, true },
        { "rstrictatime", MOUNT_ATTR_STRICTATIME, false, true, true },
        { "norelatime", MOUNT_ATTR_STRICTATIME, false, false, true },
        { "rnorelatime", MOUNT_ATTR_STRICTATIME, false, true, true },
};

/* An r-option of a bind's (its mounts below too), which a new mount has none of. */
static bool is_recursive_bind_option(const char *name)
{
        for (size_t k = 0; k < ELEMENTSOF(bind_option_table); k++)
                if (bind_option_table[k].recursive && !strcmp(name, bind_option_table[k].name))
                        return true;
        return !strcmp(name, "rro") || !strcmp(name, "rrw") || !strcmp(name, "idmap") || !strcmp(name, "ridmap");
}

static const char *const bind_option_names[] = { "bind",   "rbind",      "ro",          "rw",      "rro",      "rrw",
                                                 "nodev",  "rnodev",     "defaults",    "async",   "loud",     "silent",
                                                 "nomand", "noiversion", "nolazytime",  "private", "rprivate", "slave",
                                                 "rslave", "unbindable", "runbindable", "idmap",   "ridmap",   NULL };

const char *oci_bind_option(size_t i)
{
        if (i < ELEMENTSOF(bind_option_table))
                return bind_option_table[i].name;
        return bind_option_names[i - ELEMENTSOF(bind_option_table)];
}

static int bind_options(const struct oci_reader *rd, char **options, const char *where, struct custom_mount *b)
{
        for (size_t i = 0; options && options[i]; i++) {
                const char *o = options[i];
                bool found = false;

                for (size_t k = 0; k < ELEMENTSOF(bind_option_table) && !found; k++) {
                        const struct bind_option *t = &bind_option_table[k];
                        uint64_t *set = t->recursive ? &b->recursive_attr_set : &b->attr_set,
                                 *clear = t->recursive ? &b->recursive_attr_clear : &b->attr_clear;

                        if (strcmp(o, t->name) != 0)
                                continue;
                        found = true;
                        if (t->atime) {
                                *set = (*set & ~(uint64_t)MOUNT_ATTR__ATIME) | t->attr;
                                *clear |= MOUNT_ATTR__ATIME;
                        } else if (t->clear)
                                *set &= ~t->attr;
                        else
                                *set |= t->attr;
                }
                if (found)
                        continue;
                if (!strcmp(o, "shared") || !strcmp(o, "rshared"))
                        return oci_bad_key(rd, where,
                                           "option '%s' would carry the container's mounts back to the host: a "
                                           "machine's mounts never reach the host (slave is each bind's propagation)",
                                           o);
                if (!strcmp(o, "dev") || !strcmp(o, "rdev"))
                        return oci_bad_key(rd, where,
                                           "option '%s': every bind is nodev, only the machine's own /dev has device "
                                           "nodes that open (README, the security model)",
                                           o);
                if (!strv_contains((char **)bind_option_names, o))
                        return oci_bad_key(rd, where,
                                           "option '%s' is no option of a bind (a flag of the file system itself, the "
                                           "host's, or none of the specification's)",
                                           o);
                if (!strcmp(o, "bind") || !strcmp(o, "rbind"))
                        b->recursive = !strcmp(o, "rbind");
                else if (!strcmp(o, "ro") || !strcmp(o, "rro"))
                        b->read_only = true;
                else if (!strcmp(o, "rw") || !strcmp(o, "rrw"))
                        b->read_only = false; /* (as writable as its source: no more) */
                else if (!strcmp(o, "idmap") || !strcmp(o, "ridmap"))
                        b->idmap = BIND_IDMAP;
                else if (strstr(o, "private") || strstr(o, "slave") || strstr(o, "unbindable")) {
                        b->propagation = strstr(o, "private") ? MS_PRIVATE
                                         : strstr(o, "slave") ? MS_SLAVE
                                                              : MS_UNBINDABLE;
                        b->propagation_recursive = o[0] == 'r';
                }
        }
        return 0;
}

static int read_mount(const struct oci_reader *rd, json_object *mount, const char *where, struct machine *m)
{
        _cleanup_(strv_freep) char **options = NULL;
        const char *destination = NULL, *type = NULL, *source = NULL;
        struct custom_mount *c;
        bool is_bind;
        int r;

        if (oci_want(rd, mount, json_type_object, where) < 0)
                return -EINVAL;
        if ((r = oci_get_string(rd, mount, "destination", where, &destination)) <= 0)
                return r < 0 ? r : oci_bad_key(rd, where, "has no destination");
        if (oci_get_string(rd, mount, "type", where, &type) < 0 ||
            oci_get_string(rd, mount, "source", where, &source) < 0 ||
            oci_get_strv(rd, mount, "options", where, &options) < 0)
                return -EINVAL;
        if (!guest_path_is_valid(destination))
                return oci_bad_key(rd, where, "destination '%s' must be an absolute path without ..", destination);
        is_bind = strv_contains(options, "bind") || strv_contains(options, "rbind") || (type && !strcmp(type, "bind"));
        if (!is_bind && type && api_mount(type, destination)) {
                /* (runc's default config mounts the cgroup file system read-only.) */
                if (!strcmp(destination, "/sys/fs/cgroup") && strv_contains(options, "ro"))
                        m->cgroup_read_only = true;
                return 0;
        }
        c = custom_mount_add(m);
        if (!c)
                return -ENOMEM;
        c->destination = strdup(destination);
        if (!c->destination)
                return -ENOMEM;
        if (is_bind) {
                if (!source || !source[0])
                        return oci_bad_key(rd, where, "a bind needs a source");
                c->type = CUSTOM_BIND;
                c->recursive = true;
                /* Relative to the bundle, as the root's path is. */
                if (source[0] == '/')
                        c->source = strdup(source);
                else if (asprintf(&c->source, "%s/%s", rd->bundle, source) < 0)
                        c->source = NULL;
                if (!c->source)
                        return -ENOMEM;
                return bind_options(rd, options, where, c);
        }
        if (!type || !type[0])
                return oci_bad_key(rd, where, "at %s has no type (nor bind among its options)", destination);
        if (!strv_contains((char **)container_file_systems, type))
                return oci_bad_key(rd, where,
                                   "a %s mount at %s: a container mounts file systems that hold files (tmpfs, "
                                   "overlay, a disk's, a network one), devpts and mqueue; the kernel's own (proc, "
                                   "sysfs, cgroup...) only where the machine has them",
                                   type, destination);
        {
                static const char *const propagation[] = { "private", "rprivate", "slave",      "rslave",
                                                           "shared",  "rshared",  "unbindable", "runbindable" };
                bool tmpfs = !strcmp(type, "tmpfs");
                _cleanup_free_ char *joined = NULL;
                _cleanup_(strv_freep) char **kept = NULL;

                /* A new file system mounted in the machine has no peer outside it: the
                 * propagation options say nothing more (and mount(2) takes none with a
                 * new mount). tmpcopyup is runc's, for a tmpfs: the tree's files there
                 * copied in. */
                for (size_t i = 0; options && options[i]; i++) {
                        bool skip = false;

                        for (size_t k = 0; k < ELEMENTSOF(propagation); k++)
                                skip = skip || !strcmp(options[i], propagation[k]);
                        if (!strcmp(options[i], "shared") || !strcmp(options[i], "rshared"))
                                return oci_bad_key(rd, where,
                                                   "option '%s': a machine's mounts are never shared (slave or "
                                                   "private)",
                                                   options[i]);
                        if (is_recursive_bind_option(options[i]))
                                return oci_bad_key(rd, where, "option '%s' is a bind's, not a %s mount's", options[i],
                                                   type);
                        if ((!strcmp(options[i], "dev") || !strcmp(options[i], "rdev")) && strcmp(type, "devpts") != 0)
                                return oci_bad_key(rd, where,
                                                   "option '%s': every mount of a machine's is nodev but devpts "
                                                   "(README, the security model)",
                                                   options[i]);
                        if (!strcmp(options[i], "tmpcopyup")) {
                                if (!tmpfs)
                                        return oci_bad_key(rd, where, "tmpcopyup is a tmpfs's option, not a %s's", type);
                                c->copy_up = true;
                                continue;
                        }
                        if (!skip && strv_extend(&kept, options[i]) < 0)
                                return -ENOMEM;
                }
                joined = strv_join(kept, ",");
                if (!joined)
                        return -ENOMEM;
                /* Any other type as mount(2) takes it, from its source (a device, a
                 * directory, or a name), nodev as every mount of a machine's but devpts
                 * (whose nodes are the ptys). */
                c->type = tmpfs ? CUSTOM_TMPFS : CUSTOM_FS;
                c->flags = tmpfs ? MS_NOSUID | MS_NODEV | MS_STRICTATIME : !strcmp(type, "devpts") ? 0 : MS_NODEV;
                r = mount_options_split(joined, &c->flags, &c->options);
                if (r < 0)
                        return r == -ENOMEM ? r
                                            : oci_bad_key(rd, where, "cannot parse the %s options '%s'", type, joined);
                /* A new mount, never a change of one there (the host's, below the tree), nor
                 * of its propagation; nodev but devpts, whatever an option held after a
                 * comma asked. */
                if (strcmp(type, "devpts") != 0 && !(c->flags & MS_NODEV))
                        return oci_bad_key(rd, where, "options '%s': every mount of a machine's is nodev but devpts",
                                           joined);
                if (c->flags &
                    (MS_REMOUNT | MS_BIND | MS_MOVE | MS_REC | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
                        return oci_bad_key(rd, where,
                                           "options '%s': remount, bind, move, rec and the propagation ones change "
                                           "mounts there, not a new %s",
                                           joined, type);
                if (!tmpfs) {
                        c->fs_type = strdup(type);
                        c->source = strdup(source && source[0] ? source : type);
                        if (!c->fs_type || !c->source)
                                return -ENOMEM;
                }
                return 0;
        }
}

int oci_read_mounts(const struct oci_reader *rd, json_object *config, struct machine *m)
{
        json_object *mounts = oci_member(config, "mounts");

        if (!mounts)
                return 0;
        if (oci_want(rd, mounts, json_type_array, "mounts") < 0)
                return -EINVAL;
        for (size_t i = 0, n = sym_json_object_array_length(mounts); i < n; i++) {
                char where[64];
                int r;

                snprintf(where, sizeof(where), "mounts[%zu]", i);
                r = read_mount(rd, sym_json_object_array_get_idx(mounts, i), where, m);
                if (r < 0)
                        return r;
        }
        return 0;
}
