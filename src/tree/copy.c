/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --template's copy of a tree (copy.h): a btrfs snapshot, or a walk that copies each
 * file's data (reflinks where it can) under a locked temporary name. The attributes of
 * each file are copy-attributes.c's; the removal of a failed copy is util/path.c's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <search.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "config/machine.h"
#include "tree/copy-attributes.h"
#include "tree/copy.h"
#include "tree/messages.h"
#include "tree/progress.h"
#include "tree/temp-tree.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"

/* copy_file_range() in chunks this large: few system calls per file, and yet progress
 * moves and a pending SIGINT is seen several times a second. */
#define COPY_CHUNK (32 * 1024 * 1024)
/* The read/write fallback, for file systems that cannot copy on their own. */
#define BUFFER_SIZE (1024 * 1024)
/* The inode of a btrfs subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID). */
#define BTRFS_SUBVOLUME_ROOT_INO 256

struct copy {
        const char *source, *target; /* as given, for messages */
        int target_fd;               /* the temporary tree's root, for hard links */
        struct stat target_st;       /* the same, never to be copied into itself */
        sigset_t stop_signals;
        int stop_signal; /* the one that interrupted us, or 0 */
        /* One refusal of the file system is enough: the tree is on one, and so is TARGET. */
        bool try_clone, try_copy_range;
        void *hard_links; /* tsearch() tree of struct hard_link */
        char *buffer;
        struct progress *progress;
        uint64_t done;
        /* The first failure, told once at the end, after the progress line is ended. */
        const char *failed_step;
        char *failed_path;
        /* Block device nodes not made (copy_entry()): how many, the first few. */
        unsigned n_skipped_nodes;
        char skipped_examples[256];
};

/* A file with more than one name: the first name copied; later names become links to it. */
struct hard_link {
        dev_t dev;
        ino_t ino;
        char *path; /* relative to the tree's root */
};

static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

static int hard_link_compare(const void *a, const void *b)
{
        const struct hard_link *x = a, *y = b;

        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        if (x->ino != y->ino)
                return x->ino < y->ino ? -1 : 1;
        return 0;
}

static void hard_link_free(void *p)
{
        struct hard_link *link = p;

        free(link->path);
        free(link);
}

/* "DIR/NAME" relative to the tree's root; NAME alone in the root. */
static char *path_join(const char *dir, const char *name)
{
        char *path;

        if (!*dir)
                return strdup(name);
        return asprintf(&path, "%s/%s", dir, name) < 0 ? NULL : path;
}

/* Notes which step failed on which file of the template (DIR/NAME; none when DIR is
 * NULL), for the one line that copy_tree() prints; later failures are consequences of
 * the first. */
static int copy_failed(struct copy *c, int error, const char *step, const char *dir, const char *name)
{
        if (c->failed_step || error == -EINTR)
                return error;
        c->failed_step = step;
        if (dir && asprintf(&c->failed_path, "%s%s%s", dir, *dir && *name ? "/" : "", *dir || *name ? name : ".") < 0)
                c->failed_path = NULL;
        return error;
}

/* Whether STEP (copy_failed()'s) writes the copy, not reads the template: an EIO
 * there is the target's disk. */
static bool step_writes(const char *step)
{
        static const char *const writes[] = {
                "creating",
                "creating the directory",
                "creating the symlink",
                "creating the node",
                "writing",
                "copying",
                "linking",
                "changing the owner of",
                "changing the mode of",
                "setting the xattrs of",
                "setting the times of",
        };

        for (size_t i = 0; step && i < ELEMENTSOF(writes); i++)
                if (strcmp(step, writes[i]) == 0)
                        return true;
        return false;
}

/* SIGINT, SIGTERM and SIGHUP are blocked during the copy, so that the temporary tree is
 * always removed: a pending one is taken here, between files and chunks. */
static int check_interrupted(struct copy *c)
{
        static const struct timespec zero = {};
        int signal_number = sigtimedwait(&c->stop_signals, NULL, &zero);

        if (signal_number <= 0)
                return 0;
        c->stop_signal = signal_number;
        return -EINTR;
}

/* A target inside the template (--template=/ -D /var/lib/machines/NAME) is met on the
 * way: the copy in progress is not copied into itself. */
static bool is_copy_itself(const struct copy *c, const struct stat *st)
{
        return S_ISDIR(st->st_mode) && st->st_dev == c->target_st.st_dev && st->st_ino == c->target_st.st_ino;
}

static void progress_add(struct copy *c, uint64_t bytes)
{
        c->done += bytes;
        progress_update(c->progress, c->done);
}

/* The attributes and times of copy-attributes.h, a failure noted. */
static int copy_attributes(struct copy *c, const struct tree_entry *from, const struct tree_entry *to,
                           const struct stat *st, const char *dir)
{
        const char *step = NULL;
        int r = entry_copy_attributes(from, to, st, &step);

        return r < 0 ? copy_failed(c, r, step, dir, to->name) : 0;
}

static int copy_times(struct copy *c, const struct tree_entry *to, const struct stat *st, const char *dir)
{
        int r = entry_copy_times(to, st);

        return r < 0 ? copy_failed(c, r, "setting the times of", dir, to->name) : 0;
}

/* Bytes START to END of FROM to the same place in TO: copy_file_range() first (the
 * kernel may make it a reflink or a server-side copy; on ext4 it copies in the kernel
 * without our buffers), else read() and write(). Stops early when the file shrank. */
static int copy_range(struct copy *c, int from, int to, off_t start, off_t end, const char *dir, const char *name)
{
        bool use_copy_range = c->try_copy_range;
        off_t position = start;

        while (position < end) {
                size_t chunk = (size_t)(end - position < COPY_CHUNK ? end - position : COPY_CHUNK);
                ssize_t n = -1, written;
                int r;

                r = check_interrupted(c);
                if (r < 0)
                        return r;
                if (use_copy_range) {
                        loff_t in = position, out = position;

                        n = copy_file_range(from, &in, to, &out, chunk, 0);
                        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP))
                                c->try_copy_range = use_copy_range = false;
                        else if (n < 0 && errno == EINVAL)
                                use_copy_range = false;
                        else if (n < 0)
                                return copy_failed(c, -errno, "copying", dir, name);
                        /* 0 before the end: the file shrank, or a file system that does
                         * not really copy; read() tells which. */
                        else if (n == 0)
                                use_copy_range = false;
                        if (n > 0) {
                                position += n;
                                progress_add(c, (uint64_t)n);
                                continue;
                        }
                }

                n = pread(from, c->buffer, chunk < BUFFER_SIZE ? chunk : BUFFER_SIZE, position);
                if (n < 0)
                        return copy_failed(c, -errno, "reading", dir, name);
                if (n == 0)
                        break;
                for (ssize_t at = 0; at < n; at += written) {
                        written = pwrite(to, c->buffer + at, (size_t)(n - at), position + at);
                        if (written < 0)
                                return copy_failed(c, -errno, "writing", dir, name);
                }
                position += n;
                progress_add(c, (uint64_t)n);
        }
        return 0;
}

/* The data of a regular file: a reflink where the file system can, else its data
 * extents one by one, so that holes stay holes. */
static int copy_data(struct copy *c, int from, int to, const struct stat *st, const char *dir, const char *name)
{
        /* Fewer blocks than the size needs: there are holes worth looking for. */
        bool sparse = (uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size;
        off_t position = 0, end = 0;
        int r;

        if (st->st_size == 0)
                return 0;
        if (c->try_clone) {
                if (ioctl(to, FICLONE, from) >= 0)
                        return 0;
                if (errno == EOPNOTSUPP || errno == ENOTTY || errno == EXDEV)
                        c->try_clone = false;
        }

        while (position < st->st_size) {
                off_t data = position, hole = st->st_size;

                if (sparse) {
                        data = lseek(from, position, SEEK_DATA);
                        if (data < 0 && errno == ENXIO)
                                break; /* only a hole is left */
                        if (data < 0) {
                                /* No SEEK_DATA here: copy it all. */
                                data = position;
                                sparse = false;
                        } else {
                                hole = lseek(from, data, SEEK_HOLE);
                                if (hole < 0)
                                        return copy_failed(c, -errno, "looking for holes in", dir, name);
                                if (hole > st->st_size)
                                        hole = st->st_size;
                        }
                }
                r = copy_range(c, from, to, data, hole, dir, name);
                if (r < 0)
                        return r;
                position = end = hole;
        }
        /* A hole at the end is a size and no data. */
        if (end < st->st_size && ftruncate(to, st->st_size) < 0)
                return copy_failed(c, -errno, "writing", dir, name);
        return 0;
}

static int copy_regular(struct copy *c, int from_dir, int to_dir, const char *dir, const char *name, const struct stat *st)
{
        _cleanup_close_ int from = -EBADF, to = -EBADF;
        uint64_t done = c->done;
        int r;

        /* O_NOATIME: reading the template leaves it as it was. O_NONBLOCK: should a FIFO
         * have taken the file's place since, opening it does not hang. */
        from = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOATIME);
        if (from < 0 && errno == EPERM)
                from = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (from < 0)
                return copy_failed(c, -errno, "opening", dir, name);
        to = openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (to < 0)
                return copy_failed(c, -errno, "creating", dir, name);
        r = copy_data(c, from, to, st, dir, name);
        if (r < 0)
                return r;
        r = copy_attributes(c, &(struct tree_entry){ from_dir, name, from }, &(struct tree_entry){ to_dir, name, to },
                            st, dir);
        if (r < 0)
                return r;
        r = copy_times(c, &(struct tree_entry){ to_dir, name, to }, st, dir);
        if (r < 0)
                return r;
        /* Where close() reports a failed write (NFS, FUSE), the copy fails with it. */
        if (close(TAKE_FD(to)) < 0 && errno != EINTR)
                return copy_failed(c, -errno, "writing", dir, name);
        /* Holes and reflinks count as copied too: DONE ends at the pre-pass's total. */
        c->done = done;
        progress_add(c, (uint64_t)st->st_size);
        return 0;
}

static int copy_symlink(struct copy *c, int from_dir, int to_dir, const char *dir, const char *name, const struct stat *st)
{
        char target[PATH_MAX];
        ssize_t n = readlinkat(from_dir, name, target, sizeof(target));
        struct tree_entry from = { from_dir, name, -EBADF }, to = { to_dir, name, -EBADF };
        int r;

        if (n < 0)
                return copy_failed(c, -errno, "reading the symlink", dir, name);
        if ((size_t)n >= sizeof(target))
                return copy_failed(c, -ENAMETOOLONG, "reading the symlink", dir, name);
        target[n] = '\0';
        if (symlinkat(target, to_dir, name) < 0)
                return copy_failed(c, -errno, "creating the symlink", dir, name);
        r = copy_attributes(c, &from, &to, st, dir);
        return r < 0 ? r : copy_times(c, &to, st, dir);
}

/* Device nodes, FIFOs and sockets: made anew, never opened. */
static int copy_node(struct copy *c, int from_dir, int to_dir, const char *dir, const char *name, const struct stat *st)
{
        struct tree_entry from = { from_dir, name, -EBADF }, to = { to_dir, name, -EBADF };
        int r;

        if (mknodat(to_dir, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
                return copy_failed(c, -errno, "creating the node", dir, name);
        r = copy_attributes(c, &from, &to, st, dir);
        return r < 0 ? r : copy_times(c, &to, st, dir);
}

/* Is directory FD, on device DEV, in the same mount as its parent PARENT_FD on
 * PARENT_DEV? Another device is either another file system mounted there, whose files
 * are not the template's (cp -x leaves an empty directory too), or a btrfs subvolume
 * nested in the tree, which is part of it: the mount IDs tell which. */
static bool same_mount(int parent_fd, int fd, dev_t parent_dev, dev_t dev)
{
        uint64_t mount_id, parent_mount_id;

        if (dev == parent_dev)
                return true;
        return mount_id_of(fd, &mount_id) >= 0 && mount_id_of(parent_fd, &parent_mount_id) >= 0 &&
               mount_id == parent_mount_id;
}

static int open_directory(int dir_fd, const char *name)
{
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);

        if (fd < 0 && errno == EPERM)
                fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

/* Calls ENTER for each entry of directory FD but "." and "..", checking for SIGINT
 * before each. Returns the first error; reading errors are the caller's to note. */
static int for_each_entry(struct copy *c, int fd, const char *dir, void *userdata,
                          int (*enter)(struct copy *c, int dir_fd, const char *dir, const char *name, void *userdata))
{
        _cleanup_(closedirp) DIR *d = NULL;
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        struct dirent *de;
        int r;

        if (dup_fd < 0)
                return negative_errno();
        d = fdopendir(dup_fd);
        if (!d) {
                r = negative_errno();
                close(dup_fd);
                return r;
        }
        /* The dup shares FD's offset, which an earlier walk may have moved to the end. */
        rewinddir(d);
        for (;;) {
                errno = 0;
                de = readdir(d);
                if (!de)
                        return errno ? negative_errno() : 0;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                r = check_interrupted(c);
                if (r < 0)
                        return r;
                r = enter(c, fd, dir, de->d_name, userdata);
                if (r < 0)
                        return r;
        }
}

/* The progress total comes from a pre-pass: the sizes of the regular files (holes
 * included, and a hard-linked file once for each name, as the copy counts them). A
 * walk is quick next to the copy and warms the inode cache for it; statfs() would
 * count the whole file system, not the tree. Errors are the copy's to report. */
struct size_walk {
        dev_t dev;
        uint64_t total;
};

static int add_size(struct copy *c, int dir_fd, const char *dir _unused_, const char *name, void *userdata)
{
        struct size_walk *walk = userdata, inner;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0)
                return 0;
        if (S_ISREG(st.st_mode))
                walk->total += (uint64_t)st.st_size;
        if (!S_ISDIR(st.st_mode) || is_copy_itself(c, &st))
                return 0;
        fd = open_directory(dir_fd, name);
        if (fd < 0 || !same_mount(dir_fd, fd, walk->dev, st.st_dev))
                return 0;
        inner = (struct size_walk){ .dev = st.st_dev };
        if (for_each_entry(c, fd, "", &inner, add_size) == -EINTR)
                return -EINTR;
        walk->total += inner.total;
        return 0;
}

/* Where the entries of a directory being copied go. */
struct target_dir {
        int fd;
        dev_t dev; /* the source directory's device */
};

static int copy_entry(struct copy *c, int from_dir, const char *dir, const char *name, void *userdata);

/* The directory's contents first, its attributes and times after. */
static int copy_directory(struct copy *c, int from_dir, const struct target_dir *parent, const char *dir,
                          const char *name, const struct stat *st)
{
        _cleanup_free_ char *path = path_join(dir, name);
        _cleanup_close_ int from = -EBADF, to = -EBADF;
        int r;

        if (!path)
                return copy_failed(c, -ENOMEM, "copying", dir, name);
        from = open_directory(from_dir, name);
        if (from < 0)
                return copy_failed(c, from, "opening the directory", dir, name);
        if (mkdirat(parent->fd, name, 0700) < 0)
                return copy_failed(c, -errno, "creating the directory", dir, name);
        to = openat(parent->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (to < 0)
                return copy_failed(c, -errno, "opening the new directory", dir, name);
        if (same_mount(from_dir, from, parent->dev, st->st_dev)) {
                r = for_each_entry(c, from, path, &(struct target_dir){ to, st->st_dev }, copy_entry);
                if (r < 0)
                        return copy_failed(c, r, "reading the directory", dir, name);
        }
        r = copy_attributes(c, &(struct tree_entry){ from_dir, name, from },
                            &(struct tree_entry){ parent->fd, name, to }, st, dir);
        if (r < 0)
                return r;
        return copy_times(c, &(struct tree_entry){ parent->fd, name, to }, st, dir);
}

/* A later name of a file copied already becomes a hard link to it: returns 1 then. */
static int link_again(struct copy *c, int to_dir, const char *dir, const char *name, const struct stat *st)
{
        struct hard_link key = { .dev = st->st_dev, .ino = st->st_ino };
        struct hard_link **first = tfind(&key, &c->hard_links, hard_link_compare);

        if (!first)
                return 0;
        if (linkat(c->target_fd, (*first)->path, to_dir, name, 0) < 0)
                return copy_failed(c, -errno, "linking", dir, name);
        if (S_ISREG(st->st_mode))
                progress_add(c, (uint64_t)st->st_size);
        return 1;
}

static int remember_link(struct copy *c, const char *dir, const char *name, const struct stat *st)
{
        _cleanup_free_ struct hard_link *link = malloc(sizeof(*link));

        if (!link)
                return copy_failed(c, -ENOMEM, "copying", dir, name);
        *link = (struct hard_link){ .dev = st->st_dev, .ino = st->st_ino, .path = path_join(dir, name) };
        if (!link->path || !tsearch(link, &c->hard_links, hard_link_compare)) {
                free(link->path);
                return copy_failed(c, -ENOMEM, "copying", dir, name);
        }
        TAKE_PTR(link);
        return 0;
}

/* A block device node is not copied: a guest without user namespacing could mount the
 * host's disk through it (the kernel reuses the superblock already mounted, and no
 * device cgroup check runs for that). One layer of the defence; the tree is mounted
 * nodev too. Character devices are copied: the device cgroup policy decides who opens
 * them. Its other names (hard links) are skipped as well: each is a block node. */
static int skip_block_node(struct copy *c, const char *dir, const char *name)
{
        _cleanup_free_ char *path = path_join(dir, name);
        size_t n = strlen(c->skipped_examples);

        if (++c->n_skipped_nodes <= 3 && path)
                snprintf(c->skipped_examples + n, sizeof(c->skipped_examples) - n, "%s%.64s", n ? ", " : "", path);
        return 0;
}

static void report_skipped_nodes(const struct copy *c)
{
        if (c->n_skipped_nodes > 0)
                log_error("Skipped %u block device node%s of template %s (%s%s): a machine gets its own /dev",
                          c->n_skipped_nodes, c->n_skipped_nodes == 1 ? "" : "s", c->source, c->skipped_examples,
                          c->n_skipped_nodes > 3 ? ", ..." : "");
}

static int copy_entry(struct copy *c, int from_dir, const char *dir, const char *name, void *userdata)
{
        const struct target_dir *parent = userdata;
        bool linked = false;
        struct stat st;
        int r;

        /* AT_NO_AUTOMOUNT: an automount point in the template stays one, untriggered. */
        if (fstatat(from_dir, name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0)
                return copy_failed(c, -errno, "examining", dir, name);
        if (is_copy_itself(c, &st))
                return 0;
        if (S_ISBLK(st.st_mode))
                return skip_block_node(c, dir, name);
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
                linked = true;
                r = link_again(c, parent->fd, dir, name, &st);
                if (r != 0)
                        return r < 0 ? r : 0;
        }

        switch (st.st_mode & S_IFMT) {
        case S_IFDIR:
                r = copy_directory(c, from_dir, parent, dir, name, &st);
                break;
        case S_IFREG:
                r = copy_regular(c, from_dir, parent->fd, dir, name, &st);
                break;
        case S_IFLNK:
                r = copy_symlink(c, from_dir, parent->fd, dir, name, &st);
                break;
        case S_IFCHR:
        case S_IFIFO:
        case S_IFSOCK:
                r = copy_node(c, from_dir, parent->fd, dir, name, &st);
                break;
        default:
                r = copy_failed(c, -EBADFD, "copying (of an unknown file type)", dir, name);
        }
        if (r < 0 || !linked)
                return r;
        return remember_link(c, dir, name, &st);
}

/* The fastest copy there is, a btrfs snapshot (instant, every block shared), needs the
 * template to be a subvolume and the target on btrfs; the ioctl itself refuses (EXDEV)
 * another btrfs than the template's. */
static bool can_snapshot(int from, const struct stat *st, int parent_fd)
{
        struct statfs fs;

        if (st->st_ino != BTRFS_SUBVOLUME_ROOT_INO || fstatfs(from, &fs) < 0 || fs.f_type != BTRFS_SUPER_MAGIC)
                return false;
        return fstatfs(parent_fd, &fs) >= 0 && fs.f_type == BTRFS_SUPER_MAGIC;
}

static int snapshot(int from, int parent_fd, const char *name)
{
        struct btrfs_ioctl_vol_args_v2 args = { .fd = from };

        if (strlen(name) >= sizeof(args.name))
                return -ENAMETOOLONG;
        strcpy(args.name, name);
        return ioctl(parent_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0 ? negative_errno() : 0;
}

/* The template, file by file, into the new directory c->target_fd; its root directory's
 * attributes last but its times, which the rename would change. */
static int copy_files(struct copy *c, int from, const struct stat *st, const char *what, bool quiet)
{
        struct size_walk walk = { .dev = st->st_dev };
        int r;

        if (!quiet) {
                r = for_each_entry(c, from, "", &walk, add_size);
                if (r == -EINTR)
                        return r;
        }
        c->progress = progress_new(what, walk.total, PROGRESS_BYTES, quiet);
        c->buffer = malloc(BUFFER_SIZE);
        if (!c->buffer)
                return copy_failed(c, -ENOMEM, "copying", "", "");
        r = for_each_entry(c, from, "", &(struct target_dir){ c->target_fd, st->st_dev }, copy_entry);
        if (r < 0)
                return copy_failed(c, r, "reading the directory", "", "");
        return copy_attributes(c, &(struct tree_entry){ AT_FDCWD, ".", from },
                               &(struct tree_entry){ AT_FDCWD, ".", c->target_fd }, st, "");
}

/* The directory TARGET is in: "." for a bare name, "/" for "/NAME". */
static char *parent_of(const char *path)
{
        size_t end = strlen(path);

        while (end > 0 && path[end - 1] == '/')
                end--;
        while (end > 0 && path[end - 1] != '/')
                end--;
        while (end > 1 && path[end - 1] == '/')
                end--;
        return end == 0 ? strdup(".") : strndup(path, end);
}

/* The temporary directory next to TARGET, locked (temp-tree.h), in c->target_fd; a btrfs
 * snapshot of the template when it can be (*RET_SNAPSHOTTED). Logs the one line of a
 * failure. */
static int make_temporary(struct copy *c, int from, const struct stat *st, int parent_fd, const char *parent,
                          const char *name, char **ret_path, bool *ret_snapshotted)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int hold = -EBADF;
        const char *temporary_name;
        int r;

        *ret_snapshotted = false;
        r = temp_tree_make(parent_fd, parent, name, &path, &c->target_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot copy template %s to %s: cannot create a directory in %s: %m",
                                       c->source, c->target, parent);
        temporary_name = strrchr(path, '/') + 1;

        /* A snapshot needs the name free: mkdtemp() only picked it. While the name has no
         * locked directory, sweeps and other makers wait. */
        if (can_snapshot(from, st, parent_fd) && (hold = temp_trees_hold(parent_fd)) >= 0 &&
            unlinkat(parent_fd, temporary_name, AT_REMOVEDIR) >= 0) {
                closep(&c->target_fd);
                *ret_snapshotted = snapshot(from, parent_fd, temporary_name) >= 0;
                if (!*ret_snapshotted && mkdirat(parent_fd, temporary_name, 0700) < 0)
                        return log_error_errno(-errno, "Cannot copy template %s to %s: cannot create %s: %m", c->source,
                                               c->target, path);
                c->target_fd = open_directory(parent_fd, temporary_name);
                r = c->target_fd < 0 ? c->target_fd : temp_tree_lock(c->target_fd);
                if (r < 0) {
                        (void)remove_tree_at(parent_fd, temporary_name);
                        return log_error_errno(r, "Cannot copy template %s to %s: cannot lock %s: %m", c->source,
                                               c->target, path);
                }
        }
        if (fstat(c->target_fd, &c->target_st) < 0) {
                r = -errno;
                (void)remove_tree_at(parent_fd, temporary_name);
                return log_error_errno(r, "Cannot copy template %s to %s: cannot stat %s: %m", c->source, c->target,
                                       path);
        }
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* The one line of a failure. */
static void copy_report_failure(const struct copy *c, int r, const char *parent)
{
        char hint[PATH_MAX + 128];

        if (c->failed_path && is_write_error(r) && step_writes(c->failed_step))
                log_error_errno(r, "Cannot write %s of %s (a copy of template %s): %m (%s)", c->failed_path, c->target,
                                c->source, write_error_hint(r, parent, hint, sizeof(hint)));
        else if (c->failed_path)
                log_error_errno(r, "Cannot copy template %s to %s: %s %s failed: %m", c->source, c->target,
                                c->failed_step, c->failed_path);
        else if (is_write_error(r))
                log_error_errno(r, "Cannot copy template %s to %s: %s failed: %m (%s)", c->source, c->target,
                                c->failed_step ?: "copying", write_error_hint(r, parent, hint, sizeof(hint)));
        else
                log_error_errno(r, "Cannot copy template %s to %s: %s failed: %m", c->source, c->target,
                                c->failed_step ?: "copying");
}

/* Copies into a temporary directory next to TARGET, renamed to it when complete and
 * removed when not. Logs the one line of a failure. */
static int make_copy(struct copy *c, int from, const struct stat *st, int parent_fd, const char *parent,
                     const char *name, const char *what, bool quiet)
{
        _cleanup_free_ char *temporary = NULL;
        bool snapshotted;
        int r, q;

        r = make_temporary(c, from, st, parent_fd, parent, name, &temporary, &snapshotted);
        if (r < 0)
                return r;
        if (!snapshotted) {
                r = copy_files(c, from, st, what, quiet);
                /* Renaming a directory within its parent keeps its times. */
                if (r >= 0)
                        r = copy_times(c, &(struct tree_entry){ AT_FDCWD, ".", c->target_fd }, st, "");
        }
        /* All of it on disk before it gets its name, as import-tar's trees: through
         * TARGET_FD, opened before anything was written, syncfs() reports every write-back
         * error since (errseq); a write that failed late fails the copy. */
        if (r >= 0 && syncfs(c->target_fd) < 0)
                r = copy_failed(c, -errno, "writing the copy out to disk", NULL, NULL);
        if (r >= 0)
                r = check_interrupted(c);
        if (r >= 0 && renameat2(parent_fd, strrchr(temporary, '/') + 1, parent_fd, name, RENAME_NOREPLACE) < 0)
                r = copy_failed(c, -errno, "renaming the finished copy", NULL, NULL);
        progress_done(c->progress, r >= 0);
        c->progress = NULL;
        if (r >= 0) {
                report_skipped_nodes(c);
                return 0;
        }

        if (c->stop_signal)
                r = log_error_errno(-EINTR,
                                    "Copying template %s to %s was interrupted by SIG%s: the partial copy is removed",
                                    c->source, c->target, sigabbrev_np(c->stop_signal));
        else
                copy_report_failure(c, r, parent);
        q = remove_tree_at(parent_fd, strrchr(temporary, '/') + 1);
        if (q < 0)
                log_error_errno(q, "Cannot remove the partial copy %s: %m", temporary);
        return r;
}

int copy_tree(const char *source, const char *target, bool quiet)
{
        struct copy c = {
                .source = source,
                .target = target,
                .target_fd = -EBADF,
                .try_clone = true,
                .try_copy_range = true,
        };
        _cleanup_free_ char *parent = parent_of(target), *name = path_last_component(target),
                            *source_name = path_last_component(source), *what = NULL;
        _cleanup_close_ int from = -EBADF, parent_fd = -EBADF;
        sigset_t saved_mask;
        struct stat st;
        int r;

        if (!parent || !name || asprintf(&what, "Copying template %s to %s", source_name ?: source, name) < 0)
                return log_error_errno(-ENOMEM, "Cannot copy template %s to %s: %m", source, target);
        /* The template itself may be a symlink to a tree: only inside it none is followed. */
        from = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (from < 0 || fstat(from, &st) < 0)
                return log_error_errno(-errno, "Cannot open template %s: %m", source);
        parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent_fd < 0)
                return log_error_errno(-errno, "Cannot copy template %s to %s: cannot open %s: %m (create it first)",
                                       source, target, parent);

        /* SIGINT and friends wait until the partial copy is removed: see check_interrupted(). */
        sigemptyset(&c.stop_signals);
        sigaddset(&c.stop_signals, SIGINT);
        sigaddset(&c.stop_signals, SIGTERM);
        sigaddset(&c.stop_signals, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &c.stop_signals, &saved_mask) < 0)
                return log_error_errno(-errno, "Cannot block signals: %m");
        /* What killed copies and imports left (SIGKILL, a crash): nobody else removes it.
         * A copy made elsewhere (-D DIR/NAME) leaves its temporary tree in DIR: a killed
         * copy to the same target is swept there, and nothing else of the user's. */
        temp_trees_sweep(MACHINES_DIR, NULL);
        temp_trees_sweep(parent, name);
        r = make_copy(&c, from, &st, parent_fd, parent, name, what, quiet);
        (void)sigprocmask(SIG_SETMASK, &saved_mask, NULL);

        if (c.hard_links)
                tdestroy(c.hard_links, hard_link_free);
        free(c.failed_path);
        free(c.buffer);
        closep(&c.target_fd);
        return r;
}
