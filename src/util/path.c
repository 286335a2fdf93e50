/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/macro.h"
#include "util/path.h"

bool machine_name_is_valid(const char *name)
{
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-' || strstr(name, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.'))
                        return false;
        }
        return true;
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

const char *fd_path(int fd, char buf[static FD_PATH_MAX])
{
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}
