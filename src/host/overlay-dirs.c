/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the overlays of --overlay= and Overlay= need on the host before the guest starts:
 * work directories next to their upper layers, empty upper layers under /var/tmp; and
 * their removal once the guest is gone. Parsing the options is config/custom-mount.c's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "host/overlay-dirs.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"

/* An empty upper layer: a directory of our own under /var/tmp, with upper/ and work/ in
 * it, owned by the guest's root OWNER. */
static int make_temporary_upper(struct custom_mount *c, uid_t owner)
{
        char template[] = "/var/tmp/machined-lite-overlay.XXXXXX";
        _cleanup_close_ int fd = -EBADF;

        if (!mkdtemp(template))
                return log_error_errno(-errno,
                                       "Cannot make a temporary upper layer in /var/tmp for the overlay at %s: %m",
                                       c->destination);
        c->temp_dir = strdup(template);
        if (!c->temp_dir) {
                (void)rmdir(template);
                return -ENOMEM;
        }
        fd = open(template, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || mkdirat(fd, "upper", 0755) < 0 || fchmodat(fd, "upper", 0755, 0) < 0 ||
            mkdirat(fd, "work", 0700) < 0 || fchownat(fd, "upper", owner, owner, AT_SYMLINK_NOFOLLOW) < 0 ||
            fchownat(fd, "work", owner, owner, AT_SYMLINK_NOFOLLOW) < 0)
                return log_error_errno(-errno, "Cannot make the temporary upper layer %s for the overlay at %s: %m",
                                       template, c->destination);
        if (asprintf(&c->source, "%s/upper", template) < 0) {
                c->source = NULL;
                return -ENOMEM;
        }
        c->work_dir = strdup("work");
        if (!c->work_dir)
                return -ENOMEM;
        c->work_parent_fd = TAKE_FD(fd);
        return 0;
}

/* --bind=:DESTINATION: a directory of the guest root's under /var/tmp, removed with the
 * machine (and by the sweeper after a SIGKILL, as the overlays' are), as nspawn's. */
static int make_temporary_bind(struct custom_mount *c, uid_t owner)
{
        char template[] = "/var/tmp/machined-lite-bind.XXXXXX";

        if (!mkdtemp(template))
                return log_error_errno(-errno, "Cannot make a temporary directory in /var/tmp for the bind at %s: %m",
                                       c->destination);
        c->temp_dir = strdup(template);
        if (!c->temp_dir) {
                (void)rmdir(template);
                return -ENOMEM;
        }
        c->source = strdup(template);
        if (!c->source)
                return -ENOMEM;
        if (chown(template, owner, owner) < 0)
                return log_error_errno(-errno, "Cannot hand the temporary directory %s to the guest's root: %m",
                                       template);
        return 0;
}

/* overlayfs needs an empty work directory on the upper layer's file system: one of
 * ours next to it, as systemd-nspawn makes it. TREE_FD: the tree, for a +PATH upper. */
static int make_work_dir(struct custom_mount *c, int tree_fd)
{
        _cleanup_close_ int upper = -EBADF, parent = -EBADF;
        struct stat st, root;
        char name[64];

        upper = custom_mount_open_layer(tree_fd, c->source);
        if (upper < 0)
                return log_error_errno(upper, "Overlay layer %s cannot be used: %m", c->source);
        /* ".." of the tree's root would be outside it (an upper +/link with link -> /). */
        if (c->source[0] == '+' && (fstat(upper, &st) < 0 || fstat(tree_fd, &root) < 0 ||
                                    (st.st_dev == root.st_dev && st.st_ino == root.st_ino)))
                return log_error_errno(-ELOOP, "Overlay upper layer %s is the tree's root: give a directory in it",
                                       c->source);
        parent = openat(upper, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0)
                return log_error_errno(-errno, "Cannot open the directory above the overlay's upper layer %s: %m",
                                       c->source);
        for (;;) {
                uint64_t bits;

                if (getrandom(&bits, sizeof(bits), 0) != sizeof(bits))
                        return log_error_errno(-EIO, "Cannot get random bytes for a work directory name");
                snprintf(name, sizeof(name), ".#machined-lite-work.%016llx", (unsigned long long)bits);
                if (mkdirat(parent, name, 0700) >= 0)
                        break;
                if (errno != EEXIST)
                        return log_error_errno(-errno,
                                               "Cannot make a work directory next to the overlay's upper layer %s: %m",
                                               c->source);
        }
        c->work_dir = strdup(name);
        if (!c->work_dir) {
                (void)unlinkat(parent, name, AT_REMOVEDIR);
                return -ENOMEM;
        }
        c->work_parent_fd = TAKE_FD(parent);
        return 0;
}

int custom_mounts_prepare(struct machine *m)
{
        _cleanup_close_ int tree_fd = -EBADF;
        uid_t owner = m->private_users != PRIVATE_USERS_NO ? m->uid_base : 0;
        int r = 0;

        for (size_t i = 0; i < m->n_mounts && r >= 0; i++) {
                struct custom_mount *c = &m->mounts[i];

                if (c->type == CUSTOM_BIND && !c->source) {
                        r = make_temporary_bind(c, owner);
                        continue;
                }
                if (c->type != CUSTOM_OVERLAY || c->read_only)
                        continue;
                if (!c->source) {
                        r = make_temporary_upper(c, owner);
                        continue;
                }
                if (tree_fd < 0) {
                        tree_fd = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (tree_fd < 0) {
                                r = log_error_errno(-errno, "Cannot open machine tree %s: %m", m->root);
                                break;
                        }
                }
                r = make_work_dir(c, tree_fd);
        }
        if (r < 0)
                custom_mounts_cleanup(m);
        return r;
}

void custom_mounts_cleanup(struct machine *m)
{
        for (size_t i = 0; i < m->n_mounts; i++) {
                struct custom_mount *c = &m->mounts[i];
                int r;

                if (c->work_dir) {
                        r = remove_tree_at(c->work_parent_fd, c->work_dir);
                        if (r < 0)
                                log_error_errno(r, "Cannot remove the overlay's work directory %s next to %s: %m",
                                                c->work_dir, c->source);
                        close(c->work_parent_fd);
                        c->work_parent_fd = -EBADF;
                        free(c->work_dir);
                        c->work_dir = NULL;
                }
                if (c->temp_dir) {
                        r = remove_tree_at(AT_FDCWD, c->temp_dir);
                        if (r < 0)
                                log_error_errno(r, "Cannot remove the overlay's temporary upper layer %s: %m",
                                                c->temp_dir);
                        free(c->temp_dir);
                        c->temp_dir = NULL;
                }
        }
}
