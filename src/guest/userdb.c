/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /run/host/userdb for --bind-user (guest/userdb.h): the records host/bind-user.c made,
 * written by the guest's root (the helper acts as it) on the guest's /run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/api-fs.h"
#include "guest/userdb.h"
#include "util/macro.h"
#include "util/path.h"

/* NAME.SUFFIX with RECORD, and ID.SUFFIX a link to it: userdb looks records up both ways. */
static int write_record(int dir_fd, const char *name, uid_t id, const char *suffix, const char *record, mode_t mode)
{
        char file[128], link[64];
        int r;

        snprintf(file, sizeof(file), "%s%s", name, suffix);
        snprintf(link, sizeof(link), "%u%s", id, suffix);
        r = write_file_at(dir_fd, file, record, strlen(record), mode);
        if (r < 0)
                return r;
        return symlinkat(file, dir_fd, link) < 0 ? negative_errno() : 0;
}

int userdb_write(int root_fd, const struct machine *m)
{
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        if (m->n_bind_users == 0)
                return 0;
        dir_fd = open_in_root(root_fd, "/run/host", O_PATH | O_DIRECTORY, 0);
        if (dir_fd < 0)
                return dir_fd;
        if (mkdirat(dir_fd, "userdb", 0755) < 0)
                return negative_errno();
        close(dir_fd);
        dir_fd = open_in_root(root_fd, "/run/host/userdb", O_PATH | O_DIRECTORY, 0);
        if (dir_fd < 0)
                return dir_fd;
        for (size_t i = 0; i < m->n_bind_users; i++) {
                const struct bind_user *u = &m->bind_users[i];

                r = write_record(dir_fd, u->name, u->guest_id, ".group", u->group_record, 0644);
                if (r >= 0 && u->privileged_record)
                        r = write_record(dir_fd, u->name, u->guest_id, ".user-privileged", u->privileged_record, 0600);
                if (r >= 0)
                        r = write_record(dir_fd, u->name, u->guest_id, ".user", u->user_record, 0644);
                if (r < 0)
                        return r;
        }
        return 0;
}
