/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An OCI container's state in the runtime's --root (oci/state.h): a directory of root's
 * alone, written by create, read by every other verb, removed by delete. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/state.h"
#include "util/json.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/pidref.h"
#include "util/strv.h"

/* The specification version whose state and features we print. */
#define OCI_SPEC_VERSION "1.3.0"

const char *oci_status_name(enum oci_status status)
{
        static const char *const names[] = {
                [OCI_CREATING] = "creating", [OCI_CREATED] = "created", [OCI_RUNNING] = "running",
                [OCI_PAUSED] = "paused",     [OCI_STOPPED] = "stopped",
        };

        return names[status];
}

bool oci_id_is_valid(const char *id)
{
        size_t n = id ? strlen(id) : 0;

        return n > 0 && n <= 128 && id[0] != '.' && id[0] != '-' &&
               id[strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")] == '\0';
}

static int mkdir_root(const char *root)
{
        _cleanup_free_ char *copy = strdup(root);

        if (!copy)
                return -ENOMEM;
        /* Each level, as mkdir -p: --root may name a path not there yet. */
        for (char *p = copy + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        if (mkdir(copy, 0700) < 0 && errno != EEXIST)
                                return negative_errno();
                        *p = '/';
                }
        if (mkdir(copy, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

int oci_state_make(const char *root, const char *id, uid_t fifo_owner, char **ret_dir)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int fd, r;

        r = mkdir_root(root);
        if (r < 0)
                return log_error_errno(r, "Cannot make the state directory %s: %m (give another with --root)", root);
        if (asprintf(&dir, "%s/%s", root, id) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0700) < 0) {
                if (errno == EEXIST)
                        return log_error_errno(-EEXIST,
                                               "Container %s exists already (machined-lite-oci delete %s removes it, or "
                                               "give another ID)",
                                               id, id);
                return log_error_errno(-errno, "Cannot make %s: %m", dir);
        }
        dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        /* The init opens it for writing once all is set up, as the guest's root or its user:
         * the directory around it keeps everyone else out. */
        if (dir_fd < 0 || mkfifoat(dir_fd, "exec.fifo", 0622) < 0 ||
            fchownat(dir_fd, "exec.fifo", fifo_owner, fifo_owner, AT_SYMLINK_NOFOLLOW) < 0 ||
            fchmodat(dir_fd, "exec.fifo", 0622, 0) < 0) {
                r = negative_errno();
                (void)oci_state_remove(root, id);
                return log_error_errno(r, "Cannot make %s/exec.fifo: %m", dir);
        }
        fd = openat(dir_fd, "exec.fifo", O_PATH | O_CLOEXEC);
        if (fd < 0) {
                r = negative_errno();
                (void)oci_state_remove(root, id);
                return log_error_errno(r, "Cannot open %s/exec.fifo: %m", dir);
        }
        *ret_dir = TAKE_PTR(dir);
        return fd;
}

static int write_file_atomic(const char *dir, const char *name, const char *content)
{
        _cleanup_free_ char *path = NULL, *temporary = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(content);

        if (asprintf(&path, "%s/%s", dir, name) < 0 || asprintf(&temporary, "%s/.#%s", dir, name) < 0)
                return -ENOMEM;
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        if (write(fd, content, n) != (ssize_t)n || rename(temporary, path) < 0) {
                int r = negative_errno();

                (void)unlink(temporary);
                return r;
        }
        return 0;
}

bool oci_state_value_is_valid(const char *value)
{
        for (const unsigned char *p = (const unsigned char *)value; p && *p; p++)
                if (*p < ' ' || *p == 0x7f)
                        return false;
        return true;
}

int oci_state_write(const char *state_dir, const struct oci_state *s)
{
        _cleanup_free_ char *text = NULL, *v1 = NULL;
        int r;

        /* One value a line: a newline in one would be lines of its own, keys of the
         * state (create refuses such paths before; this is the last word). */
        if (!oci_state_value_is_valid(s->bundle) || !oci_state_value_is_valid(s->rootfs) ||
            !oci_state_value_is_valid(s->cgroup) || !oci_state_value_is_valid(s->created))
                return -EINVAL;
        for (size_t i = 0; s->cgroup_v1 && s->cgroup_v1[i]; i++)
                if (!oci_state_value_is_valid(s->cgroup_v1[i]))
                        return -EINVAL;

        for (size_t i = 0; s->cgroup_v1 && s->cgroup_v1[i]; i++) {
                char *more = NULL;

                if (asprintf(&more, "%sCGROUP_V1=%s\n", v1 ?: "", s->cgroup_v1[i]) < 0)
                        return -ENOMEM;
                free(v1);
                v1 = more;
        }
        if (asprintf(&text, "PID=%d\nPID_START=%llu\nBUNDLE=%s\nROOTFS=%s\nCREATED=%s\nCGROUP=%s\nOWNER=%u\n%s",
                     (int)s->pid, (unsigned long long)s->pid_start, s->bundle, s->rootfs, s->created, s->cgroup ?: "",
                     (unsigned)s->owner, v1 ?: "") < 0)
                return -ENOMEM;
        r = write_file_atomic(state_dir, "annotations", s->annotations ?: "{}");
        if (r >= 0 && s->hooks)
                r = write_file_atomic(state_dir, "hooks", s->hooks);
        /* exec takes the container as created, not a config.json changed since (the bundle
         * may be the container's to write: root.path "."). */
        if (r >= 0 && s->config)
                r = write_file_atomic(state_dir, "config.json", s->config);
        return r < 0 ? r : write_file_atomic(state_dir, "state", text);
}

static int read_state_file(int dir_fd, const char *name, char **ret)
{
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        text = malloc(65537);
        if (!text)
                return -ENOMEM;
        n = read(fd, text, 65536);
        if (n < 0)
                return negative_errno();
        text[n] = '\0';
        *ret = TAKE_PTR(text);
        return 0;
}

static int set_field(char **field, const char *value)
{
        free(*field);
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

int oci_state_read(const char *root, const char *id, struct oci_state *ret)
{
        _cleanup_free_ char *dir = NULL, *text = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        char *line, *save = NULL;
        int r;

        *ret = (struct oci_state){};
        if (!oci_id_is_valid(id))
                return -ENOENT;
        if (asprintf(&dir, "%s/%s", root, id) < 0)
                return -ENOMEM;
        dir_fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return errno == ENOENT ? -ENOENT : negative_errno();
        ret->id = strdup(id);
        if (!ret->id)
                return -ENOMEM;
        /* Created but not yet written (create is still at it, or died): an ID in use
         * with nothing running yet. */
        r = read_state_file(dir_fd, "state", &text);
        if (r == -ENOENT)
                return -EAGAIN;
        if (r < 0)
                return r;
        for (line = strtok_r(text, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                char *value = strchr(line, '=');

                if (!value)
                        continue;
                *value++ = '\0';
                if (!strcmp(line, "PID"))
                        ret->pid = (pid_t)atoi(value);
                else if (!strcmp(line, "PID_START"))
                        ret->pid_start = strtoull(value, NULL, 10);
                else if (!strcmp(line, "BUNDLE"))
                        r = set_field(&ret->bundle, value);
                else if (!strcmp(line, "ROOTFS"))
                        r = set_field(&ret->rootfs, value);
                else if (!strcmp(line, "CREATED"))
                        r = set_field(&ret->created, value);
                else if (!strcmp(line, "CGROUP"))
                        r = set_field(&ret->cgroup, value);
                else if (!strcmp(line, "OWNER"))
                        ret->owner = (uid_t)strtoul(value, NULL, 10);
                else if (!strcmp(line, "CGROUP_V1"))
                        r = strv_extend(&ret->cgroup_v1, value);
        }
        if (r < 0)
                return r;
        /* None saved: no hooks. */
        (void)read_state_file(dir_fd, "hooks", &ret->hooks);
        if (read_state_file(dir_fd, "annotations", &ret->annotations) < 0)
                return set_field(&ret->annotations, "{}");
        return 0;
}

void oci_state_done(struct oci_state *s)
{
        free(s->id);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        free(s->cgroup);
        free(s->annotations);
        free(s->hooks);
        strv_free(s->cgroup_v1);
        *s = (struct oci_state){};
}

/* A zombie has exited: the container is stopped, whether or not its parent reaped it. */
static bool process_alive(pid_t pid, uint64_t start)
{
        _cleanup_close_ int pidfd = pidfd_open_exact(pid, start);
        char path[64], stat[512], *close_paren;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if (pidfd < 0)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, stat, sizeof(stat) - 1)) <= 0)
                return false;
        stat[n] = '\0';
        close_paren = strrchr(stat, ')');
        return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

static bool cgroup_frozen(const char *cgroup)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char value[4] = "";

        if (!cgroup || !cgroup[0] || asprintf(&path, "%s/cgroup.freeze", cgroup) < 0)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd >= 0 && read(fd, value, sizeof(value) - 1) > 0 && value[0] == '1';
}

enum oci_status oci_state_status(const char *root, const struct oci_state *s)
{
        _cleanup_free_ char *fifo = NULL;

        if (s->pid <= 0 || !process_alive(s->pid, s->pid_start))
                return OCI_STOPPED;
        if (asprintf(&fifo, "%s/%s/exec.fifo", root, s->id) >= 0 && access(fifo, F_OK) == 0)
                return OCI_CREATED;
        return cgroup_frozen(s->cgroup) ? OCI_PAUSED : OCI_RUNNING;
}

const char *oci_spec_version(void)
{
        return OCI_SPEC_VERSION;
}

void oci_state_print(FILE *f, const struct oci_state *s, enum oci_status status)
{
        fprintf(f, "{\n  \"ociVersion\": \"%s\",\n  \"id\": ", OCI_SPEC_VERSION);
        json_print_string(s->id, f);
        fprintf(f, ",\n  \"pid\": %d,\n  \"status\": \"%s\",\n  \"bundle\": ", status == OCI_STOPPED ? 0 : (int)s->pid,
                oci_status_name(status));
        json_print_string(s->bundle, f);
        fputs(",\n  \"rootfs\": ", f);
        json_print_string(s->rootfs, f);
        fputs(",\n  \"created\": ", f);
        json_print_string(s->created, f);
        fprintf(f, ",\n  \"owner\": \"\",\n  \"annotations\": %s\n}\n", s->annotations ?: "{}");
}

int oci_state_remove(const char *root, const char *id)
{
        _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (root_fd < 0)
                return negative_errno();
        return remove_tree_at(root_fd, id);
}

static int compare_strings(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int oci_state_list(const char *root, char ***ret)
{
        DIR *d = opendir(root);
        struct dirent *de;
        char **ids = NULL;

        *ret = NULL;
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && oci_id_is_valid(de->d_name) && strv_extend(&ids, de->d_name) < 0) {
                        closedir(d);
                        strv_free(ids);
                        return -ENOMEM;
                }
        closedir(d);
        if (ids)
                qsort(ids, strv_length(ids), sizeof(*ids), compare_strings);
        *ret = ids;
        return 0;
}
