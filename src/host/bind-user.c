/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --bind-user=NAME, as systemd-nspawn(1) defines it: the host's user NAME, with its own
 * group, becomes a user of the guest's with a UID (and GID) from 60514 up that its tree
 * does not use; that ID maps to the user's host UID in the guest's user namespace
 * (host/userns.c), its home is bound at /run/host/home/NAME, and minimal JSON user and
 * group records go to /run/host/userdb for the guest's nss-systemd (guest/userdb.c). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/guest-user.h"
#include "host/bind-user.h"
#include "util/json.h"
#include "util/log.h"
#include "util/macro.h"

/* systemd's range for users bound into containers (docs/UIDS-GIDS.md): 60514…60577. */
#define BIND_USER_ID_MIN 60514U
#define BIND_USER_ID_MAX 60577U

/* The lowest ID from *NEXT up that the guest's /etc/passwd has as no UID and its /etc/group
 * as no GID, inside the guest's range; *NEXT moves past it. */
static int pick_guest_id(const struct guest_db *db, const struct machine *m, uid_t *next, uid_t *ret)
{
        for (; *next <= BIND_USER_ID_MAX && *next < m->uid_count; (*next)++)
                if (!guest_db_has(db->passwd, NULL, *next) && !guest_db_has(db->group, NULL, *next)) {
                        *ret = (*next)++;
                        return 0;
                }
        return -ENOSPC;
}

/* What the guest's nss-systemd reads: systemd's JSON user record (docs/USER_RECORD.md),
 * minimal, as nspawn writes it. */
static int make_records(struct bind_user *u, const struct passwd *pw, const char *group_name)
{
        struct spwd *sp;
        size_t size;
        FILE *f;

        f = open_memstream(&u->user_record, &size);
        if (!f)
                return -ENOMEM;
        fputs("{\"userName\":", f);
        json_print_string(u->name, f);
        fprintf(f, ",\"uid\":%u,\"gid\":%u,\"homeDirectory\":", u->guest_id, u->guest_id);
        fprintf(f, "\"/run/host/home/");
        /* The name is checked to need no escaping (config/exec-options.c). */
        fprintf(f, "%s\",\"service\":\"io.systemd.NSpawn\"", u->name);
        if (pw->pw_shell && pw->pw_shell[0]) {
                fputs(",\"shell\":", f);
                json_print_string(pw->pw_shell, f);
        }
        fputs("}\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;

        f = open_memstream(&u->group_record, &size);
        if (!f)
                return -ENOMEM;
        fputs("{\"groupName\":", f);
        json_print_string(group_name, f);
        fprintf(f, ",\"gid\":%u,\"service\":\"io.systemd.NSpawn\"}\n", u->guest_id);
        if (fclose(f) != 0)
                return -ENOMEM;

        /* The hashed password, so that the user can log in there as here: nspawn hands it on
         * too (README: only as strong as the hash). A locked or absent one ("!", "*") lets no
         * one in: nothing to hand on. */
        sp = getspnam(u->name);
        if (!sp || !sp->sp_pwdp || !sp->sp_pwdp[0] || sp->sp_pwdp[0] == '!' || sp->sp_pwdp[0] == '*')
                return 0;
        f = open_memstream(&u->privileged_record, &size);
        if (!f)
                return -ENOMEM;
        fputs("{\"privileged\":{\"hashedPassword\":[", f);
        json_print_string(sp->sp_pwdp, f);
        fputs("]}}\n", f);
        return fclose(f) != 0 ? -ENOMEM : 0;
}

/* One user: the host's records, the checks systemd-nspawn makes, an ID in the guest. */
static int resolve_user(struct bind_user *u, const struct machine *m, const struct guest_db *db, uid_t *next_id)
{
        const struct passwd *pw;
        const struct group *gr;
        struct stat st;
        int r;

        errno = 0;
        pw = getpwnam(u->name);
        if (!pw)
                return log_error_errno(errno ? -errno : -ESRCH, "--bind-user=%s: %s%s", u->name,
                                       errno ? "cannot look the user up on the host: %m" : "the host has no such user",
                                       !errno && u->name[strspn(u->name, "0123456789")] == '\0'
                                               ? " (--bind-user takes a user's name, not a UID)"
                                               : "");
        /* The records in the guest only add to its own users: root and nobody it has. */
        if (pw->pw_uid == 0 || pw->pw_uid == 65534)
                return log_error_errno(-EINVAL, "--bind-user=%s: the host's root and nobody cannot be bound", u->name);
        if (pw->pw_uid >= m->uid_base && pw->pw_uid - m->uid_base < m->uid_count)
                return log_error_errno(-EINVAL, "--bind-user=%s: its UID %u is in the guest's own range %u:%u", u->name,
                                       pw->pw_uid, m->uid_base, m->uid_count);
        u->host_uid = pw->pw_uid;
        u->host_gid = pw->pw_gid;
        u->home = strdup(pw->pw_dir ? pw->pw_dir : "");
        if (!u->home)
                return -ENOMEM;
        if (u->home[0] != '/' || stat(u->home, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error_errno(-ENOTDIR, "--bind-user=%s: its home %s is no directory on the host", u->name,
                                       u->home);
        if (u->host_gid >= m->uid_base && u->host_gid - m->uid_base < m->uid_count)
                return log_error_errno(-EINVAL, "--bind-user=%s: its GID %u is in the guest's own range %u:%u", u->name,
                                       u->host_gid, m->uid_base, m->uid_count);
        /* One user and its own group become one ID in the guest: a group shared with others
         * could not be mapped (nspawn refuses it too). */
        gr = getgrgid(u->host_gid);
        if (!gr || strcmp(gr->gr_name, u->name) != 0)
                return log_error_errno(-EINVAL,
                                       "--bind-user=%s: its primary group (GID %u) is not a group of its own, named "
                                       "as the user",
                                       u->name, u->host_gid);
        if (guest_db_has(db->passwd, u->name, (uint32_t)-1) || guest_db_has(db->group, u->name, (uint32_t)-1))
                return log_error_errno(-EEXIST, "--bind-user=%s: the guest has a user or group of that name already",
                                       u->name);
        r = pick_guest_id(db, m, next_id, &u->guest_id);
        if (r < 0)
                return log_error_errno(r, "--bind-user=%s: no UID left in %u…%u that the guest does not use", u->name,
                                       BIND_USER_ID_MIN, BIND_USER_ID_MAX);
        r = make_records(u, pw, gr->gr_name);
        return r < 0 ? log_error_errno(r, "--bind-user=%s: cannot write its records: %m", u->name) : 0;
}

int bind_users_prepare(struct machine *m)
{
        _cleanup_(guest_db_done) struct guest_db db = {};
        _cleanup_close_ int root_fd = -EBADF;
        uid_t next_id = BIND_USER_ID_MIN;
        int r;

        if (m->n_bind_users == 0)
                return 0;
        root_fd = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return log_error_errno(negative_errno(), "Cannot open %s: %m", m->root);
        r = guest_db_load(root_fd, &db);
        if (r < 0)
                return log_error_errno(r, "Cannot read /etc/passwd or /etc/group of %s: %m", m->root);
        for (size_t i = 0; i < m->n_bind_users; i++) {
                r = resolve_user(&m->bind_users[i], m, &db, &next_id);
                if (r < 0)
                        return r;
        }
        return 0;
}
