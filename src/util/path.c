/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Paths and names: valid machine and host names, paths opened inside a root without
 * leaving it (openat2 RESOLVE_IN_ROOT), trees removed without crossing into mounts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/macro.h"
#include "util/path.h"

bool host_name_is_valid(const char *name)
{
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-' || strstr(name, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.'))
                        return false;
        }
        return true;
}

bool machine_name_is_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0, suffix = strlen(".machine");

        return host_name_is_valid(name) && !(n >= suffix && strcmp(name + n - suffix, ".machine") == 0);
}

char *path_last_component(const char *path)
{
        size_t end = strlen(path), start;

        while (end > 0 && path[end - 1] == '/')
                end--;
        start = end;
        while (start > 0 && path[start - 1] != '/')
                start--;
        if (start == end)
                return NULL;
        return strndup(path + start, end - start);
}

int open_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (unsigned long long)(flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                /* Magic links (/proc/self/fd/...) are never legitimate inside a guest tree. */
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        /* RESOLVE_IN_ROOT treats a leading "/" as the root fd already; skip it so that the
         * path is plainly relative. */
        while (*path == '/')
                path++;
        if (*path == '\0')
                path = ".";
        fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        return fd < 0 ? negative_errno() : fd;
}

int mkdir_p_in_root(int root_fd, const char *path, mode_t mode)
{
        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int parent_fd = -EBADF;
        char *slash;
        int fd;

        fd = open_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0);
        if (fd != -ENOENT)
                return fd;

        parent = strdup(path);
        if (!parent)
                return -ENOMEM;
        while ((slash = strrchr(parent, '/')) && slash[1] == '\0' && slash != parent)
                *slash = '\0';
        slash = strrchr(parent, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0';
        parent_fd = mkdir_p_in_root(root_fd, parent[0] ? parent : "/", mode);
        if (parent_fd < 0)
                return parent_fd;
        /* The parent was resolved inside the tree; the new name is a plain component. */
        if (mkdirat(parent_fd, slash + 1, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return open_in_root(root_fd, path, O_PATH | O_DIRECTORY, 0);
}

int mount_point_in_root(int root_fd, const char *path, mode_t mode)
{
        struct stat root, st;
        int fd = mkdir_p_in_root(root_fd, path, mode);

        if (fd < 0)
                return fd;
        if (fstat(root_fd, &root) < 0 || fstat(fd, &st) < 0) {
                int r = negative_errno();

                close(fd);
                return r;
        }
        if (st.st_dev == root.st_dev && st.st_ino == root.st_ino) {
                close(fd);
                return -ELOOP;
        }
        return fd;
}

/* A guest root may have made a file immutable or append-only, which keeps it and its
 * directory from being unlinked. Regular files and directories only: opening a device
 * node could do anything. */
static void clear_file_flags(int dir_fd, const char *name)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int flags;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
                return;
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || !(flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)))
                return;
        flags &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

static int unlink_entry(int dir_fd, const char *name, int flags)
{
        if (unlinkat(dir_fd, name, flags) >= 0 || errno == ENOENT)
                return 0;
        if (errno != EPERM)
                return negative_errno();
        clear_file_flags(dir_fd, name);
        clear_file_flags(dir_fd, ".");
        return unlinkat(dir_fd, name, flags) < 0 ? negative_errno() : 0;
}

/* Unlinks all that is in the directory FD but subdirectories; returns the name of one
 * of those in *RET_SUBDIR, or NULL when none is left. The first failure to unlink
 * something goes to *FIRST_ERROR, and the rest is still tried. */
static int unlink_all_but_subdirs(int fd, char **ret_subdir, int *first_error)
{
        int copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        DIR *d;

        *ret_subdir = NULL;
        if (copy < 0)
                return negative_errno();
        d = fdopendir(copy);
        if (!d) {
                close(copy);
                return negative_errno();
        }
        while ((de = readdir(d))) {
                int r;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                /* unlink() of a directory fails with EISDIR on Linux: one call for the rest. */
                r = unlink_entry(fd, de->d_name, 0);
                if (r == -EISDIR) {
                        if (!*ret_subdir && !(*ret_subdir = strdup(de->d_name))) {
                                closedir(d);
                                return -ENOMEM;
                        }
                } else if (r < 0 && *first_error == 0)
                        *first_error = r;
        }
        closedir(d);
        return 0;
}

int mount_id_of(int fd, uint64_t *ret)
{
        struct statx sx;

        if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0)
                return negative_errno();
        *ret = sx.stx_mnt_id;
        return 0;
}

/* Depth first, down by name and up by "..", with the names of the directories we are in
 * on a stack: whoever filled the tree (a guest) decides how deep it is, not our fd limit. */
int remove_tree_at(int dir_fd, const char *name)
{
        _cleanup_close_ int fd = -EBADF;
        char **stack = NULL;
        size_t depth = 0;
        uint64_t top_mount, mount_id;
        int first_error = 0, r;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                if (errno != ENOTDIR && errno != ELOOP)
                        return negative_errno();
                return unlink_entry(dir_fd, name, 0);
        }
        r = mount_id_of(fd, &top_mount);
        while (r >= 0) {
                _cleanup_free_ char *subdir = NULL;
                char **grown = NULL;
                int next;

                r = unlink_all_but_subdirs(fd, &subdir, &first_error);
                if (r < 0)
                        break;
                if (subdir) {
                        next = openat(fd, subdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (next < 0) {
                                r = negative_errno();
                                break;
                        }
                        /* Never into another mount. */
                        r = mount_id_of(next, &mount_id);
                        if (r >= 0 && mount_id != top_mount)
                                r = -EBUSY;
                        if (r >= 0 && !(grown = realloc(stack, (depth + 1) * sizeof(*stack))))
                                r = -ENOMEM;
                        if (r < 0) {
                                close(next);
                                break;
                        }
                        stack = grown;
                        stack[depth++] = TAKE_PTR(subdir);
                        close(fd);
                        fd = next;
                        continue;
                }
                if (depth == 0)
                        break;
                next = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (next < 0) {
                        r = negative_errno();
                        break;
                }
                close(fd);
                fd = next;
                depth--;
                r = unlink_entry(fd, stack[depth], AT_REMOVEDIR);
                free(stack[depth]);
        }
        while (depth > 0)
                free(stack[--depth]);
        free(stack);
        if (r >= 0)
                r = unlink_entry(dir_fd, name, AT_REMOVEDIR);
        return first_error < 0 ? first_error : r;
}

const char *fd_path(int fd, char buf[static FD_PATH_MAX])
{
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

int read_small_file(int dir_fd, const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, size - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        return 0;
}
