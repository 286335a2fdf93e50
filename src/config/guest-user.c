/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A user of a running guest, for `shell --uid=`: its /etc/passwd and /etc/group read
 * from the host through the guest's root fd, parsed here. Not NSS, nor the guest's. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/guest-user.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"

/* /etc/passwd and /etc/group of a guest are read whole; no real one comes near this. */
#define GUEST_FILE_MAX (16U * 1024U * 1024U)

void guest_user_done(struct guest_user *u)
{
        free(u->name);
        free(u->home);
        free(u->shell);
        free(u->groups);
        *u = (struct guest_user){};
}

/* A file of the guest's, read from the host through its root with the guest's symlinks
 * resolved inside it (open_in_root()), so that a hostile guest cannot make us read a
 * host file, nor block us on a FIFO or a device. */
static int read_guest_file(int root_fd, const char *path, char **ret)
{
        _cleanup_close_ int fd = open_in_root(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        _cleanup_free_ char *content = NULL;
        struct stat st;
        size_t size = 0;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t)st.st_size > GUEST_FILE_MAX)
                return -EFBIG;
        content = malloc((size_t)st.st_size + 1);
        if (!content)
                return -ENOMEM;
        while (size < (size_t)st.st_size) {
                ssize_t n = read(fd, content + size, (size_t)st.st_size - size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                size += (size_t)n;
        }
        content[size] = '\0';
        *ret = TAKE_PTR(content);
        return 0;
}

/* Splits a line of /etc/passwd or /etc/group at its colons, in place. */
static size_t split_fields(char *line, char **fields, size_t max)
{
        size_t n = 0;

        while (line && n < max) {
                fields[n++] = line;
                line = strchr(line, ':');
                if (line)
                        *line++ = '\0';
        }
        return n;
}

static int parse_id(const char *s, uint32_t *ret)
{
        char *end;
        unsigned long v;

        if (!s[0] || s[strspn(s, "0123456789")] != '\0')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        /* (uid_t) -1 means "unchanged" to setresuid(): never a user. */
        if (errno != 0 || v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t)v;
        return 0;
}

/* The entry of SPEC (a name, or a number for a UID) in the text of /etc/passwd. Parsed
 * here, never with getpwnam(): that would load the guest's NSS modules, code of the
 * guest's, into this root process of the host. */
static int find_guest_user(char *passwd, const char *spec, struct guest_user *ret)
{
        uint32_t wanted = 0;
        bool numeric = parse_id(spec, &wanted) >= 0;

        for (char *line = passwd, *next; line; line = next) {
                char *f[7];
                uint32_t uid, gid;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                /* "+" and "-" lines are NIS compat entries, not users. */
                if (line[0] == '#' || line[0] == '+' || line[0] == '-')
                        continue;
                if (split_fields(line, f, ELEMENTSOF(f)) < ELEMENTSOF(f) || parse_id(f[2], &uid) < 0 ||
                    parse_id(f[3], &gid) < 0)
                        continue;
                if (numeric ? uid != wanted : strcmp(f[0], spec) != 0)
                        continue;
                ret->uid = uid;
                ret->gid = gid;
                ret->name = strdup(f[0]);
                ret->home = strdup(f[5][0] ? f[5] : "/");
                ret->shell = strdup(f[6][0] ? f[6] : "/bin/sh");
                return ret->name && ret->home && ret->shell ? 0 : -ENOMEM;
        }
        return -ESRCH;
}

static int add_group(struct guest_user *u, gid_t gid)
{
        gid_t *grown;

        for (size_t i = 0; i < u->n_groups; i++)
                if (u->groups[i] == gid)
                        return 0;
        if (u->n_groups >= (size_t)sysconf(_SC_NGROUPS_MAX))
                return 0;
        grown = realloc(u->groups, (u->n_groups + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        u->groups = grown;
        u->groups[u->n_groups++] = gid;
        return 0;
}

/* The user's groups: the primary one, and each /etc/group entry listing the user. */
static int find_guest_groups(char *group, struct guest_user *u)
{
        int r = add_group(u, u->gid);

        for (char *line = group, *next; r >= 0 && line; line = next) {
                char *f[4], *member, *save = NULL;
                uint32_t gid;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (line[0] == '#' || split_fields(line, f, ELEMENTSOF(f)) < ELEMENTSOF(f) || parse_id(f[2], &gid) < 0)
                        continue;
                for (member = strtok_r(f[3], ",", &save); member; member = strtok_r(NULL, ",", &save))
                        if (strcmp(member, u->name) == 0) {
                                r = add_group(u, gid);
                                break;
                        }
        }
        return r;
}

int guest_user_load(int root_fd, const char *machine, const char *spec, struct guest_user *ret)
{
        _cleanup_free_ char *passwd = NULL, *group = NULL;
        int r;

        r = read_guest_file(root_fd, "/etc/passwd", &passwd);
        if (r < 0)
                return log_error_errno(r, "Cannot read /etc/passwd of machine %s: %m", machine);
        r = find_guest_user(passwd, spec, ret);
        if (r == -ESRCH)
                return log_error_errno(r, "No user %s in machine %s's /etc/passwd", spec, machine);
        if (r < 0)
                return log_error_errno(r, "Cannot read /etc/passwd of machine %s: %m", machine);
        /* No /etc/group (a minimal tree): the primary group alone. */
        r = read_guest_file(root_fd, "/etc/group", &group);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Cannot read /etc/group of machine %s: %m", machine);
        r = group ? find_guest_groups(group, ret) : add_group(ret, ret->gid);
        if (r < 0)
                return log_error_errno(r, "Cannot list the groups of user %s: %m", ret->name);
        return 0;
}

int guest_db_load(int root_fd, struct guest_db *ret)
{
        int r = read_guest_file(root_fd, "/etc/passwd", &ret->passwd);

        if (r < 0 && r != -ENOENT)
                return r;
        r = read_guest_file(root_fd, "/etc/group", &ret->group);
        return r < 0 && r != -ENOENT ? r : 0;
}

void guest_db_done(struct guest_db *db)
{
        free(db->passwd);
        free(db->group);
        *db = (struct guest_db){};
}

bool guest_db_has(const char *text, const char *name, uint32_t id)
{
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                size_t len = strcspn(line, "\n");
                _cleanup_free_ char *copy = strndup(line, len);
                char *f[3];
                uint32_t entry_id;

                if (!copy)
                        return true; /* out of memory: taken, to be safe */
                if (copy[0] == '#' || copy[0] == '+' || copy[0] == '-' || split_fields(copy, f, ELEMENTSOF(f)) < 3)
                        continue;
                if (name && strcmp(f[0], name) == 0)
                        return true;
                if (id != (uint32_t)-1 && parse_id(f[2], &entry_id) >= 0 && entry_id == id)
                        return true;
        }
        return false;
}
