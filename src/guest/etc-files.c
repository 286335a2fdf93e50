/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's /etc/resolv.conf and /etc/localtime from the host's: by default only where
 * the tree has none; else as systemd-nspawn(1)'s --resolv-conf= and --timezone= say
 * (copied, replaced, bound read-only, linked, deleted, or left alone). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/api-fs.h"
#include "guest/etc-files.h"
#include "guest/root.h"
#include "util/macro.h"
#include "util/path.h"

/* systemd-resolved's stub file, when it runs: the host's own resolv.conf points at it. */
#define RESOLVED_STUB "/run/systemd/resolve/stub-resolv.conf"

/* The host's time zone name, from its /etc/localtime link ("Europe/Berlin"). */
static int host_timezone(char *buf, size_t size)
{
        char target[PATH_MAX];
        ssize_t n = readlink("/etc/localtime", target, sizeof(target) - 1);
        const char *zone;

        if (n < 0)
                return negative_errno();
        target[n] = '\0';
        zone = strstr(target, "zoneinfo/");
        if (!zone)
                return -EINVAL;
        snprintf(buf, size, "%s", zone + strlen("zoneinfo/"));
        return 0;
}

/* HOST_PATH bound read-only over ETC/NAME, which is made (empty) when missing and the
 * tree is WRITABLE. A host without the file, or a read-only tree without it: nothing. */
static int bind_host_file(int etc, const char *name, const char *host_path, bool writable)
{
        _cleanup_close_ int source = open(host_path, O_PATH | O_CLOEXEC), target = -EBADF, tree = -EBADF;
        int r;

        if (source < 0)
                return errno == ENOENT ? 0 : negative_errno();
        target = openat(etc, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0 && errno == ENOENT && !writable)
                return 0;
        if (target < 0 && errno == ENOENT) {
                r = openat(etc, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (r < 0)
                        return errno == EROFS ? 0 : negative_errno();
                close(r);
                target = openat(etc, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (target < 0)
                return negative_errno();
        tree = open_tree(source, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (tree < 0)
                return negative_errno();
        /* A symlink in the tree is covered as it is, never followed out of it. */
        return mount_attach(tree, target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

/* ETC/NAME removed when it is there and not a directory; a read-only tree stays as it is. */
static int remove_file(int etc, const char *name)
{
        if (unlinkat(etc, name, 0) < 0 && errno != ENOENT && errno != EROFS && errno != EISDIR)
                return negative_errno();
        return 0;
}

/* ETC/NAME a copy of HOST_PATH: REPLACE replaces whatever is there; else only a regular
 * file (or nothing) is replaced, as nspawn's copy- modes do. */
static int copy_over(int etc, const char *name, const char *host_path, bool replace)
{
        struct stat st;
        int r;

        if (fstatat(etc, name, &st, AT_SYMLINK_NOFOLLOW) >= 0) {
                if (!replace && !S_ISREG(st.st_mode))
                        return 0;
                r = remove_file(etc, name);
                if (r < 0)
                        return r;
        }
        r = copy_host_file(host_path, etc, name);
        return r == -EROFS || r == -EEXIST ? 0 : r;
}

static bool exists_at(int dir, const char *name)
{
        struct stat st;

        return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) >= 0;
}

static int set_resolv_conf(int etc, const struct etc_settings *s)
{
        const char *host = access(RESOLVED_STUB, F_OK) == 0 ? RESOLVED_STUB : "/etc/resolv.conf";
        char line[64];
        int n;

        switch (s->resolv_conf) {
        case RESOLV_CONF_DEFAULT:
                /* The guest's own file, even a dangling link into its /run, always wins. */
                if (!s->writable || exists_at(etc, "resolv.conf"))
                        return 0;
                if (!s->nameserver)
                        return copy_host_file("/etc/resolv.conf", etc, "resolv.conf");
                n = snprintf(line, sizeof(line), "nameserver %s\n", s->nameserver);
                return write_file_at(etc, "resolv.conf", line, (size_t)n, 0644);
        case RESOLV_CONF_OFF:
                return 0;
        case RESOLV_CONF_COPY_HOST:
        case RESOLV_CONF_REPLACE_HOST:
                return copy_over(etc, "resolv.conf", "/etc/resolv.conf", s->resolv_conf == RESOLV_CONF_REPLACE_HOST);
        case RESOLV_CONF_BIND_HOST:
                return bind_host_file(etc, "resolv.conf", "/etc/resolv.conf", s->writable);
        case RESOLV_CONF_DELETE:
                return remove_file(etc, "resolv.conf");
        case RESOLV_CONF_AUTO:
                /* A network of its own has its own servers; else the host's, or
                 * systemd-resolved's stub that the host's own file leads to. */
                if (s->private_network)
                        return 0;
                return s->writable ? copy_over(etc, "resolv.conf", host, false)
                                   : bind_host_file(etc, "resolv.conf", host, false);
        }
        return 0;
}

/* ETC/localtime a link to the zone ZONE of the guest's own zoneinfo. */
static int link_zone(int etc, const char *zone)
{
        char link[PATH_MAX + 64];
        int r;

        snprintf(link, sizeof(link), "../usr/share/zoneinfo/%s", zone);
        r = remove_file(etc, "localtime");
        if (r < 0)
                return r;
        if (symlinkat(link, etc, "localtime") < 0)
                return errno == EROFS ? 0 : negative_errno();
        return 0;
}

static int set_localtime(int root_fd, int etc, const struct etc_settings *s)
{
        char zone[PATH_MAX], path[PATH_MAX + 64];
        _cleanup_close_ int zone_file = -EBADF;
        bool have_zone = host_timezone(zone, sizeof(zone)) >= 0;

        if (have_zone) {
                snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
                zone_file = open_in_root(root_fd, path, O_PATH, 0);
        }
        switch (s->timezone) {
        case TIMEZONE_DEFAULT:
                if (!s->writable || exists_at(etc, "localtime") || !have_zone)
                        return 0;
                /* The guest has the zone: link to its own copy, as the host does. */
                return zone_file >= 0 ? link_zone(etc, zone) : copy_host_file("/etc/localtime", etc, "localtime");
        case TIMEZONE_OFF:
                return 0;
        case TIMEZONE_COPY:
                return copy_over(etc, "localtime", "/etc/localtime", true);
        case TIMEZONE_BIND:
                return bind_host_file(etc, "localtime", "/etc/localtime", s->writable);
        case TIMEZONE_SYMLINK:
                return have_zone ? link_zone(etc, zone) : 0;
        case TIMEZONE_DELETE:
                return remove_file(etc, "localtime");
        case TIMEZONE_AUTO:
                if (zone_file >= 0)
                        return link_zone(etc, zone);
                return s->writable ? copy_over(etc, "localtime", "/etc/localtime", true)
                                   : bind_host_file(etc, "localtime", "/etc/localtime", false);
        }
        return 0;
}

int etc_files_from_host(int root_fd, const struct etc_settings *s)
{
        _cleanup_close_ int etc = open_in_root(root_fd, "/etc", O_PATH | O_DIRECTORY, 0);
        int r;

        if (etc < 0)
                return etc == -ENOENT ? 0 : etc;
        r = set_resolv_conf(etc, s);
        return r < 0 ? r : set_localtime(root_fd, etc, s);
}
