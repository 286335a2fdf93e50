/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's /sys/fs/cgroup, in one of three shapes: a cgroup2 of the guest's cgroup
 * namespace (machined-lite's way); the host's cgroup2 tree with only the guest's own
 * cgroup writable (SYSTEMD_NSPAWN_USE_CGNS=0); or the v1 hierarchies on a tmpfs
 * (SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0), as systemd-nspawn mounts them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "guest/cgroup-fs.h"
#include "guest/root.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/path.h"

#define CGROUP_MOUNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* The options the host's cgroup2 is mounted with (nsdelegate, memory_recursiveprot),
 * less rw/ro. A new cgroup2 mount must ask for exactly those: from the host's user
 * namespace, other options would change them for the whole host (all cgroup2 mounts
 * share one superblock), and from inside a user namespace the kernel refuses them. */
static void host_cgroup2_options(char *buf, size_t size)
{
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        FILE *f = fopen("/proc/self/mountinfo", "re");

        buf[0] = '\0';
        if (!f)
                return;
        while (getline(&line, &n, f) > 0) {
                char fstype[64], source[256], options[512], *tail = strstr(line, " - ");

                if (!tail || sscanf(tail, " - %63s %255s %511s", fstype, source, options) != 3 ||
                    strcmp(fstype, "cgroup2") != 0)
                        continue;
                for (char *option = strtok(options, ","); option; option = strtok(NULL, ","))
                        if (strcmp(option, "rw") != 0 && strcmp(option, "ro") != 0)
                                snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? "," : "", option);
                break;
        }
        fclose(f);
}

static int mount_cgroup2(int root_fd)
{
        char options[512];

        host_cgroup2_options(options, sizeof(options));
        return mount_fs_in_root(root_fd, "/sys/fs/cgroup", "cgroup2", CGROUP_MOUNT_FLAGS, options[0] ? options : NULL);
}

/* Without a cgroup namespace the guest sees the host's whole tree, its own cgroup at the
 * path /proc/self/cgroup gives: that cgroup is bound writable over itself, and the rest
 * is read-only (nspawn leaves it all writable; a guest root has no business there). */
static int mount_host_tree(int root_fd, const char *own_cgroup)
{
        _cleanup_close_ int top = -EBADF, own = -EBADF, clone = -EBADF;
        char path[PATH_MAX];
        int r;

        r = mount_cgroup2(root_fd);
        if (r < 0)
                return r;
        if ((size_t)snprintf(path, sizeof(path), "/sys/fs/cgroup%s", own_cgroup) >= sizeof(path))
                return -ENAMETOOLONG;
        top = open_in_root(root_fd, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, 0);
        if (top < 0)
                return top;
        own = open_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0);
        if (own < 0)
                return own;
        if (strcmp(own_cgroup, "/") == 0)
                return 0;
        clone = open_tree(own, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (clone < 0)
                return negative_errno();
        r = mount_set_attributes(top, MOUNT_ATTR_RDONLY, 0);
        return r < 0 ? r : mount_attach(clone, own, 0);
}

/* One line of /proc/self/cgroup, "ID:CONTROLLERS:PATH": a v1 hierarchy (ID > 0) that the
 * host mounts at /sys/fs/cgroup/NAME (its controllers, or the name of a named one), where
 * the supervisor placed the guest in a cgroup of its own (host/cgroup-v1.h), mounted in
 * the guest's tmpfs with its symlinks (cpu and cpuacct for cpu,cpuacct). Only the named
 * hierarchy (name=systemd) is writable, for the guest's systemd, as with nspawn. */
static int mount_v1_hierarchy(int root_fd, int tmpfs_fd, char *line)
{
        char *controllers = strchr(line, ':'), *end, guest_path[PATH_MAX], host_path[PATH_MAX];
        const char *dir;
        bool named;
        struct statfs fs;
        int r;

        if (!controllers || strncmp(line, "0:", 2) == 0)
                return 0;
        controllers++;
        end = strchr(controllers, ':');
        if (!end || end == controllers)
                return 0;
        *end = '\0';
        named = strncmp(controllers, "name=", 5) == 0;
        dir = named ? controllers + 5 : controllers;
        if (!*dir || strchr(dir, '/') ||
            (size_t)snprintf(host_path, sizeof(host_path), "/sys/fs/cgroup/%s", dir) >= sizeof(host_path) ||
            statfs(host_path, &fs) < 0 || fs.f_type != CGROUP_SUPER_MAGIC)
                return 0;
        snprintf(guest_path, sizeof(guest_path), "/sys/fs/cgroup/%s", dir);
        r = mount_fs_in_root(root_fd, guest_path, "cgroup", CGROUP_MOUNT_FLAGS | (named ? 0 : MS_RDONLY), controllers);
        if (r < 0 || named || !strchr(dir, ','))
                return r;
        for (char *save = NULL, *copy = strdupa(dir), *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
                if (symlinkat(dir, tmpfs_fd, c) < 0 && errno != EEXIST)
                        return negative_errno();
        return 0;
}

static int mount_legacy(int root_fd)
{
        _cleanup_close_ int tmpfs = -EBADF;
        char lines[8192], *save = NULL;
        int r;

        r = read_small_file(AT_FDCWD, "/proc/self/cgroup", lines, sizeof(lines));
        if (r >= 0)
                r = mount_fs_in_root(root_fd, "/sys/fs/cgroup", "tmpfs", CGROUP_MOUNT_FLAGS, "mode=0755");
        if (r < 0)
                return r;
        tmpfs = open_in_root(root_fd, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, 0);
        if (tmpfs < 0)
                return tmpfs;
        {
                _cleanup_close_ int dir = openat(tmpfs, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                if (dir < 0)
                        return negative_errno();
                for (char *line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        r = mount_v1_hierarchy(root_fd, dir, line);
                        if (r < 0)
                                return r;
                }
        }
        return mount_set_attributes(tmpfs, MOUNT_ATTR_RDONLY, 0);
}

int mount_cgroup_fs(int root_fd, const struct machine *m, const char *own_cgroup)
{
        if (m->cgroup_legacy)
                return mount_legacy(root_fd);
        if (m->cgroup_ns_off)
                return mount_host_tree(root_fd, own_cgroup);
        /* Mounted from inside the guest's cgroup namespace, this shows the guest's own
         * cgroup as the root, and it stays writable so that a guest systemd can manage it. */
        if (!m->cgroup_namespace_path && !m->cgroup_read_only)
                return mount_cgroup2(root_fd);
        /* A cgroup namespace joined (an OCI pod's) may be rooted above the guest's cgroup,
         * where its neighbours' limits are: read-only there; and where config.json's own
         * cgroup mount asks for it. */
        {
                _cleanup_close_ int fd = -EBADF;
                int r = mount_cgroup2(root_fd);

                if (r < 0)
                        return r;
                fd = open_in_root(root_fd, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, 0);
                if (fd < 0)
                        return fd;
                return mount_set_attributes(fd, MOUNT_ATTR_RDONLY, 0);
        }
}
