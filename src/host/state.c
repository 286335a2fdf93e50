/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State files of running machines (/run/machined-lite/machines/NAME) and the machine's
 * name lock: written once the guest runs, read by list, status, stop, kill and shell,
 * judged stale by lock and process start time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/state.h"
#include "util/lock.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/pidref.h"

/* The lock file of machine NAME (util/lock.h). */
static const char *lock_name(const char *name, char buf[static LOCK_NAME_MAX])
{
        snprintf(buf, LOCK_NAME_MAX, "machine.%s", name);
        return buf;
}

int state_lock(const char *name)
{
        char buf[LOCK_NAME_MAX];

        return lock_take(lock_name(name, buf), 0, 0, true);
}

static void join(char *buf, size_t size, char *const *l)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; l && l[i] && used < size; i++)
                used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "", l[i]);
}

int state_write(const struct machine *m, pid_t leader, const char *unit, const char *cgroup, uint64_t capabilities,
                const char *addresses)
{
        char path[PATH_MAX], temporary[PATH_MAX], allow[1024], deny[1024];
        _cleanup_free_ char *text = NULL;
        uint64_t leader_start, supervisor_start;
        struct timespec now;
        ssize_t written;
        int fd, n, r;

        /* Who the machine's processes are, beyond their PIDs: the verbs signal them only
         * if they are still these very processes (util/pidref.h). */
        r = pid_start_time(leader, &leader_start);
        if (r < 0)
                return r;
        r = pid_start_time(getpid(), &supervisor_start);
        if (r < 0)
                return r;

        if ((mkdir("/run/machined-lite", 0755) < 0 && errno != EEXIST) || (mkdir(STATE_DIR, 0755) < 0 && errno != EEXIST))
                return negative_errno();
        clock_gettime(CLOCK_REALTIME, &now);
        join(allow, sizeof(allow), m->syscall_allow);
        join(deny, sizeof(deny), m->syscall_deny);
        /* Formatted in memory and written with one write(2): no stdio in the supervisor,
         * whose resident memory bench/ measures. */
        n = asprintf(&text,
                     "# machined-lite: the state of a running machine (see machined-lite list)\n"
                     "NAME=%s\nLEADER=%d\nSUPERVISOR=%d\nROOT=%s\nIMAGE=%s\nUNIT=%s\nCGROUP=%s\nSINCE=%llu\nCLASS=container\n"
                     "INIT=%s\nCAPABILITIES=%llx\nNO_NEW_PRIVILEGES=%d\nSYSCALL_ALLOW=%s\nSYSCALL_DENY=%s\nUID_BASE=%u\nUID_COUNT=%u\n"
                     "LEADER_START=%llu\nSUPERVISOR_START=%llu\nADDRESSES=%s\n",
                     m->name, (int)leader, (int)getpid(), m->root, m->image ?: "", unit ?: "", cgroup,
                     (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000ULL,
                     m->verb == VERB_RUN            ? "ml-init"
                     : m->init_kind == INIT_SYSTEMD ? "systemd"
                     : m->init_kind == INIT_BUSYBOX ? "busybox"
                                                    : "other",
                     (unsigned long long)capabilities, m->no_new_privileges, allow, deny,
                     m->private_users != PRIVATE_USERS_NO ? m->uid_base : 0,
                     m->private_users != PRIVATE_USERS_NO ? m->uid_count : 0, (unsigned long long)leader_start,
                     (unsigned long long)supervisor_start, addresses ?: "");
        if (n < 0)
                return -ENOMEM;
        /* The name lock is ours, so no one else writes this machine's file: the PID makes
         * the temporary name unique enough. */
        snprintf(path, sizeof(path), STATE_DIR "/%s", m->name);
        snprintf(temporary, sizeof(temporary), STATE_DIR "/.#%s.%d", m->name, (int)getpid());
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return negative_errno();
        /* A full /run says ENOSPC: that, not a made-up EIO, is what the user must read. */
        written = write(fd, text, (size_t)n);
        if (written < 0)
                r = negative_errno();
        else if (written != n)
                r = -ENOSPC;
        else if (fchmod(fd, 0644) < 0)
                r = negative_errno();
        close(fd);
        if (r == 0 && rename(temporary, path) < 0)
                r = negative_errno();
        if (r < 0)
                unlink(temporary);
        return r;
}

void state_remove(const char *name)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), STATE_DIR "/%s", name);
        (void)unlink(path);
}

static int set_field(char **field, const char *value)
{
        free(*field);
        *field = value[0] ? strdup(value) : NULL;
        return !value[0] || *field ? 0 : -ENOMEM;
}

static int parse_line(struct machine_state *s, char *line)
{
        char *value = strchr(line, '=');

        if (line[0] == '#' || !value)
                return 0;
        *value++ = '\0';
        value[strcspn(value, "\n")] = '\0';
        if (strcmp(line, "NAME") == 0)
                return set_field(&s->name, value);
        if (strcmp(line, "LEADER") == 0)
                s->leader = (pid_t)atoi(value);
        else if (strcmp(line, "SUPERVISOR") == 0)
                s->supervisor = (pid_t)atoi(value);
        else if (strcmp(line, "ROOT") == 0)
                return set_field(&s->root, value);
        else if (strcmp(line, "IMAGE") == 0)
                return set_field(&s->image, value);
        else if (strcmp(line, "UNIT") == 0)
                return set_field(&s->unit, value);
        else if (strcmp(line, "CGROUP") == 0)
                return set_field(&s->cgroup, value);
        else if (strcmp(line, "SINCE") == 0)
                s->since = strtoull(value, NULL, 10);
        else if (strcmp(line, "CLASS") == 0)
                return set_field(&s->class, value);
        else if (strcmp(line, "INIT") == 0)
                return set_field(&s->init, value);
        else if (strcmp(line, "CAPABILITIES") == 0)
                s->capabilities = strtoull(value, NULL, 16);
        else if (strcmp(line, "NO_NEW_PRIVILEGES") == 0)
                s->no_new_privileges = atoi(value) != 0;
        else if (strcmp(line, "SYSCALL_ALLOW") == 0)
                return set_field(&s->syscall_allow, value);
        else if (strcmp(line, "SYSCALL_DENY") == 0)
                return set_field(&s->syscall_deny, value);
        else if (strcmp(line, "UID_BASE") == 0)
                s->uid_base = (uid_t)strtoul(value, NULL, 10);
        else if (strcmp(line, "UID_COUNT") == 0)
                s->uid_count = (uint32_t)strtoul(value, NULL, 10);
        else if (strcmp(line, "LEADER_START") == 0)
                s->leader_start = strtoull(value, NULL, 10);
        else if (strcmp(line, "SUPERVISOR_START") == 0)
                s->supervisor_start = strtoull(value, NULL, 10);
        else if (strcmp(line, "ADDRESSES") == 0)
                return set_field(&s->addresses, value);
        return 0;
}

static bool state_held(const struct machine_state *s)
{
        char buf[LOCK_NAME_MAX];
        uint64_t start;
        int held = lock_held(lock_name(s->name, buf), 0, 0);

        /* A user who may not look at the lock (list and status need no root) goes by the
         * supervisor alone: it is the very process that wrote the file, or it is gone. */
        if (held == 0 || (held < 0 && held != -EACCES))
                return false;
        return pid_start_time(s->supervisor, &start) >= 0 && start == s->supervisor_start;
}

/* Parses the state file PATH; RET_ST (if given) gets the file's identity. */
static int parse_state_file(const char *path, struct machine_state *ret, struct stat *ret_st)
{
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        *ret = (struct machine_state){};
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        if (ret_st && fstat(fileno(f), ret_st) < 0)
                r = negative_errno();
        while (r >= 0 && getline(&line, &size, f) > 0)
                r = parse_line(ret, line);
        fclose(f);
        if (r < 0)
                machine_state_done(ret);
        return r;
}

int state_read(const char *name, struct machine_state *ret)
{
        char path[PATH_MAX];
        int r;

        *ret = (struct machine_state){};
        if (!machine_name_is_valid(name))
                return -ENOENT;
        snprintf(path, sizeof(path), STATE_DIR "/%s", name);
        r = parse_state_file(path, ret, NULL);
        if (r < 0)
                return r;
        if (!ret->name || strcmp(ret->name, name) != 0 || ret->leader <= 0 || ret->supervisor <= 0 || !ret->cgroup) {
                machine_state_done(ret);
                return -EBADMSG;
        }
        /* Nobody holds the name, or its holder is not the supervisor that wrote the file:
         * that one was killed before it could clean up. */
        if (!state_held(ret)) {
                machine_state_done(ret);
                (void)unlink(path);
                return -ENOENT;
        }
        return 0;
}

void state_remove_dead(const char *name, pid_t supervisor, uint64_t supervisor_start)
{
        struct machine_state s;
        char path[PATH_MAX];
        struct stat read_st, now_st;

        /* state_write()'s temporary, had it been killed while writing. */
        snprintf(path, sizeof(path), STATE_DIR "/.#%s.%d", name, (int)supervisor);
        (void)unlink(path);
        snprintf(path, sizeof(path), STATE_DIR "/%s", name);
        if (parse_state_file(path, &s, &read_st) < 0)
                return;
        /* Only the dead supervisor's own file: once its lock went with it, a new machine
         * of the name may have started and written one of its own. The file we read must
         * also still be the one there now. */
        if (s.supervisor == supervisor && s.supervisor_start == supervisor_start && stat(path, &now_st) >= 0 &&
            now_st.st_dev == read_st.st_dev && now_st.st_ino == read_st.st_ino)
                (void)unlink(path);
        machine_state_done(&s);
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(((const struct machine_state *)a)->name, ((const struct machine_state *)b)->name);
}

int state_list(struct machine_state **ret, size_t *ret_n)
{
        struct machine_state *list = NULL;
        size_t n = 0;
        DIR *d = opendir(STATE_DIR);
        struct dirent *e;

        *ret = NULL;
        *ret_n = 0;
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        while ((e = readdir(d))) {
                struct machine_state s, *grown;

                size_t length = strlen(e->d_name);

                /* Settings files (NAME.machine, settings.h) live here too. */
                if (e->d_name[0] == '.' || (length > 8 && strcmp(e->d_name + length - 8, ".machine") == 0) ||
                    state_read(e->d_name, &s) < 0)
                        continue;
                grown = realloc(list, (n + 1) * sizeof(*list));
                if (!grown) {
                        machine_state_done(&s);
                        break;
                }
                list = grown;
                list[n++] = s;
        }
        closedir(d);
        if (n > 1)
                qsort(list, n, sizeof(*list), compare_names);
        *ret = list;
        *ret_n = n;
        return 0;
}

void machine_state_done(struct machine_state *s)
{
        free(s->name);
        free(s->root);
        free(s->image);
        free(s->unit);
        free(s->cgroup);
        free(s->class);
        free(s->init);
        free(s->syscall_allow);
        free(s->syscall_deny);
        free(s->addresses);
        *s = (struct machine_state){};
}
