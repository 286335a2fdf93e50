/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --link-journal, as systemd-nspawn(1) defines it: the guest's journal directory
 * /var/log/journal/ID (ID: the tree's machine id) kept on the host and bound into the
 * guest ("host"), or kept in the tree and linked from the host's /var/log/journal
 * ("guest"), so that journalctl on the host finds it; "auto" binds a host directory that
 * an earlier "host" left. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "host/journal-link.h"
#include "util/libsystemd.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"

#define HOST_JOURNAL_DIR "/var/log/journal"

/* The tree's machine id, as 32 hex digits in RET; -ENOENT when it has none (yet), -EEXIST
 * when it is the host's own (a tree copied from the host's root): its journal directory
 * would be the host's, which the guest must never get (nspawn refuses it too). */
static int tree_machine_id(int root_fd, char ret[33])
{
        _cleanup_close_ int fd = open_in_root(root_fd, "/etc/machine-id", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
                                              0);
        sd_id128_t id, host = {};
        struct stat st;
        char text[33];
        int r, h;

        if (fd < 0)
                return fd;
        /* A FIFO or a device node planted there is never read. */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || read(fd, text, 32) != 32)
                return -ENOENT;
        text[32] = '\0';
        r = libsystemd_load();
        if (r < 0)
                return r;
        r = sym_sd_id128_from_string(text, &id);
        h = sym_sd_id128_get_machine(&host);
        libsystemd_unload();
        if (r < 0 || sd_id128_is_null(id))
                return -EBADMSG;
        if (h >= 0 && sd_id128_equal(id, host))
                return -EEXIST;
        snprintf(ret, 33, SD_ID128_FORMAT_STR, SD_ID128_FORMAT_VAL(id));
        return 0;
}

/* host: /var/log/journal/ID on the host (made), bound at the same path in the guest. */
static int link_host(struct machine *m, const char *id, bool try)
{
        char path[128];
        struct custom_mount *bind;
        struct stat st;

        snprintf(path, sizeof(path), HOST_JOURNAL_DIR "/%s", id);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return try ? 0 : log_error_errno(-errno, "--link-journal=host: cannot make %s: %m", path);
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return try ? 0
                           : log_error_errno(-ENOTDIR,
                                             "--link-journal=host: %s is no directory (a link --link-journal=guest "
                                             "made? remove it)",
                                             path);
        bind = custom_mount_add(m);
        if (!bind)
                return -ENOMEM;
        *bind = (struct custom_mount){ .type = CUSTOM_BIND, .recursive = true, .idmap = BIND_NOIDMAP };
        bind->source = strdup(path);
        bind->destination = strdup(path);
        return bind->source && bind->destination ? 0 : -ENOMEM;
}

/* The host's link names the journal by a path through the tree: /var, /var/log or
 * /var/log/journal being a link there would lead journalctl elsewhere on the host. */
static bool journal_path_is_plain(int root_fd)
{
        static const char *const parts[] = { "/var", "/var/log", "/var/log/journal" };

        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                _cleanup_close_ int fd = open_in_root(root_fd, parts[i], O_PATH | O_NOFOLLOW, 0);
                struct stat st;

                if (fd == -ENOENT)
                        return true; /* made below, as directories */
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
                        return false;
        }
        return true;
}

/* guest: /var/log/journal/ID in the tree (made, owned as the tree's /var/log is), and the
 * host's /var/log/journal/ID a link to it. */
static int link_guest(const struct machine *m, int root_fd, const char *id, bool try)
{
        _cleanup_close_ int log_fd = -EBADF, journal_fd = -EBADF;
        _cleanup_free_ char *target = NULL;
        char path[128], existing[PATH_MAX];
        struct stat st;
        ssize_t n;

        if (!journal_path_is_plain(root_fd))
                return try ? 0
                           : log_error_errno(-ELOOP,
                                             "--link-journal=guest: /var, /var/log or /var/log/journal of %s is no "
                                             "directory (a link?): the host's link would lead elsewhere",
                                             m->root);
        log_fd = mkdir_p_in_root(root_fd, "/var/log", 0755);
        if (log_fd < 0 || fstat(log_fd, &st) < 0)
                return try ? 0
                           : log_error_errno(log_fd < 0 ? log_fd : -errno,
                                             "--link-journal=guest: cannot make /var/log in %s: %m", m->root);
        journal_fd = mkdir_p_in_root(root_fd, "/var/log/journal", 0755);
        if (journal_fd >= 0 && mkdirat(journal_fd, id, 0755) < 0 && errno != EEXIST)
                journal_fd = -errno;
        if (journal_fd < 0)
                return try ? 0
                           : log_error_errno(journal_fd,
                                             "--link-journal=guest: cannot make /var/log/journal/%s in %s: %m", id,
                                             m->root);
        (void)fchownat(journal_fd, id, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        if (asprintf(&target, "%s/var/log/journal/%s", m->root, id) < 0)
                return -ENOMEM;
        snprintf(path, sizeof(path), HOST_JOURNAL_DIR "/%s", id);
        if (symlink(target, path) >= 0)
                return 0;
        if (errno != EEXIST)
                return try ? 0 : log_error_errno(-errno, "--link-journal=guest: cannot link %s to %s: %m", path, target);
        n = readlink(path, existing, sizeof(existing) - 1);
        if (n > 0) {
                existing[n] = '\0';
                if (strcmp(existing, target) == 0)
                        return 0;
        }
        return try ? 0
                   : log_error_errno(-EEXIST,
                                     "--link-journal=guest: %s is there already (another tree's link, or a directory "
                                     "--link-journal=host made): remove it",
                                     path);
}

int journal_link_prepare(struct machine *m)
{
        enum link_journal mode = m->link_journal;
        bool try = mode == LINK_JOURNAL_TRY_HOST || mode == LINK_JOURNAL_TRY_GUEST || mode == LINK_JOURNAL_AUTO;
        bool host = mode == LINK_JOURNAL_HOST || mode == LINK_JOURNAL_TRY_HOST || mode == LINK_JOURNAL_AUTO;
        _cleanup_close_ int root_fd = -EBADF;
        char id[33], path[128];
        struct stat st;
        int r;

        if (mode == LINK_JOURNAL_NO)
                return 0;
        /* What the guest writes under --ephemeral or --volatile, or into an image mounted
         * for this run only, is gone after it: nothing to link to. */
        if (m->ephemeral || m->volatile_mode != VOLATILE_NO || (m->image && !host)) {
                if (try)
                        return 0;
                return log_error_errno(-EINVAL, "--link-journal=%s keeps the journal %s, but %s (use try-%s)",
                                       host ? "host" : "guest", host ? "on the host" : "in the tree",
                                       m->image ? "the image is mounted for this run only"
                                                : "what the guest writes is thrown away (--ephemeral, --volatile)",
                                       host ? "host" : "guest");
        }
        if (stat(HOST_JOURNAL_DIR, &st) < 0 || !S_ISDIR(st.st_mode)) {
                if (try)
                        return 0;
                return log_error_errno(-ENOENT,
                                       "--link-journal=%s: the host keeps no journal on disk (%s is missing: make it, "
                                       "or use try-%s)",
                                       host ? "host" : "guest", HOST_JOURNAL_DIR, host ? "host" : "guest");
        }
        root_fd = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m", m->root);
        r = tree_machine_id(root_fd, id);
        if (r < 0 && try && (r == -ENOENT || r == -EEXIST || r == -EBADMSG))
                return 0;
        if (r == -EBADMSG)
                return log_error_errno(r, "--link-journal=%s: %s/etc/machine-id holds no machine id",
                                       host ? "host" : "guest", m->root);
        if (r == -ENOENT)
                return log_error_errno(r,
                                       "--link-journal=%s: %s has no /etc/machine-id to name its journal by (give it "
                                       "one: systemd-machine-id-setup --root=%s; or use try-%s)",
                                       host ? "host" : "guest", m->root, m->root, host ? "host" : "guest");
        if (r == -EEXIST)
                return log_error_errno(r,
                                       "--link-journal=%s: %s/etc/machine-id is the host's own, and its journal the "
                                       "host's: refused (give the tree its own id: rm %s/etc/machine-id && "
                                       "systemd-machine-id-setup --root=%s)",
                                       host ? "host" : "guest", m->root, m->root, m->root);
        if (r < 0)
                return r;
        /* auto: only what an earlier --link-journal=host left. */
        if (mode == LINK_JOURNAL_AUTO) {
                snprintf(path, sizeof(path), HOST_JOURNAL_DIR "/%s", id);
                if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                        return 0;
        }
        return host ? link_host(m, id, try) : link_guest(m, root_fd, id, try);
}
