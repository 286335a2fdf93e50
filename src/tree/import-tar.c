/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* import-tar's work (import-tar.h): a tarball unpacked with libarchive, in a child shut
 * in the new tree, each entry checked before it is written; the parent shows progress
 * and warnings. Not the new tree's naming and removal (new-tree.c), nor the verb's
 * command line (verbs/import.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/machine.h"
#include "tree/import-tar.h"
#include "tree/libarchive.h"
#include "tree/messages.h"
#include "tree/new-tree.h"
#include "tree/path-set.h"
#include "tree/progress.h"
#include "tree/writeback.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/time.h"

/* What the extraction keeps: everything a tree's files carry. The SECURE flags refuse an
 * absolute path and a "..", for hard link targets too. No user name lookup
 * (archive_write_disk_set_standard_lookup): the numeric IDs in the archive are the
 * guest's, and the host's passwd has no say in them.
 *
 * Not ARCHIVE_EXTRACT_SECURE_SYMLINKS: it opens and stats every component of every
 * path (five openat() an entry for a Debian tree, most of what extraction cost beyond
 * tar's). What it stops is done for less: the extraction runs chroot()ed into the new
 * tree (import_child()), where no path, symlink or ".." leads out of it, and an entry
 * that would be written through a symlink the archive planted is refused by name
 * (planted_symlink_check()), before libarchive sees it. */
#define EXTRACT_FLAGS                                                                                  \
        (ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | \
         ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |              \
         ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

/* Warnings past this many are counted, not shown. */
#define MAX_WARNINGS 10

/* The child tells how far it got this often: the terminal's line is redrawn every
 * 100 ms (progress.c). */
#define REPORT_INTERVAL_USEC (50 * 1000ULL)

/* The file system is asked to write the new tree out each time this much more of the
 * tar stream is unpacked: the final sync before the rename then has little left to do,
 * and the writing overlaps the unpacking instead of following it. */
#define WRITEBACK_BYTES (64ULL * 1024 * 1024)

/* ---- Paths of the new tree ---- */

/* An entry's path as it lands in the tree: no empty or "." components, no trailing
 * slash. NULL (and 0) for the root itself, and for an absolute path or one with "..",
 * which the SECURE flags refuse; -ENOMEM. */
static int entry_path_normalize(const char *path, char **ret)
{
        char *normal, *out;

        *ret = NULL;
        if (!path || path[0] == '/')
                return 0;
        normal = out = malloc(strlen(path) + 1);
        if (!normal)
                return -ENOMEM;
        for (const char *p = path; *p;) {
                size_t n = strcspn(p, "/");

                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        free(normal);
                        return 0;
                }
                if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (out > normal)
                                *out++ = '/';
                        memcpy(out, p, n);
                        out += n;
                }
                p += n + (p[n] == '/');
        }
        *out = '\0';
        if (out == normal) {
                free(normal);
                return 0;
        }
        *ret = normal;
        return 0;
}

/* The first directory of PATH (normalized) that is a planted symlink: its length, or 0. */
static size_t planted_symlink_on_path(const struct path_set *s, const char *path)
{
        for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/'))
                if (path_set_find(s, path, (size_t)(slash - path)))
                        return (size_t)(slash - path);
        return 0;
}

/* ---- The child that unpacks ---- */

/* What the child tells its parent, one message a report (SOCK_SEQPACKET). */
enum {
        REPORT_PROGRESS, /* how far: INPUT_BYTES of the file, STREAM_BYTES of tar */
        REPORT_WARNING,  /* a line to show */
        REPORT_DONE,     /* the end: ERROR 0, or -errno and the line that says why */
};

struct import_report {
        int type;
        int error;
        uint64_t input_bytes;
        uint64_t stream_bytes;
        char message[1024];
};

struct import {
        const char *input; /* as the user said it, for messages */
        const char *name;  /* the machine's */
        int input_fd;
        bool input_owned;
        int report_fd; /* the child's end of the socket to its parent */
        struct archive *reader;
        struct archive *writer;
        bool reader_open; /* its byte counts mean something */
        struct path_set symlinks;
        struct path_set skipped_nodes; /* block device nodes not made, hard links to them neither */
        unsigned n_skipped_nodes;
        char skipped_examples[256]; /* the first few, for the line that says so */
        unsigned warnings;
        uint64_t reported_usec;
        bool root_times_set;
        struct timespec root_times[2]; /* the tree root's own entry ("./"): atime, mtime */
        int error;                     /* the first failure, and what it says */
        char failure[1024];
        uint8_t buffer[256 * 1024];
};

static void import_free(struct import **p)
{
        struct import *imp = *p;

        if (!imp)
                return;
        if (imp->writer)
                libarchive.write_free(imp->writer);
        if (imp->reader)
                libarchive.read_free(imp->reader);
        if (imp->input_owned && imp->input_fd >= 0)
                close(imp->input_fd);
        path_set_free(&imp->symlinks);
        path_set_free(&imp->skipped_nodes);
        free(imp);
}

static void import_send(struct import *imp, int type, int error, const char *message)
{
        struct import_report report = { .type = type, .error = error };
        la_int64_t input = imp->reader_open ? libarchive.filter_bytes(imp->reader, -1) : 0;
        la_int64_t stream = imp->reader_open ? libarchive.filter_bytes(imp->reader, 0) : 0;
        size_t size = offsetof(struct import_report, message);

        report.input_bytes = input > 0 ? (uint64_t)input : 0;
        report.stream_bytes = stream > 0 ? (uint64_t)stream : 0;
        if (message) {
                snprintf(report.message, sizeof(report.message), "%s", message);
                size += strlen(report.message) + 1;
        }
        /* The parent gone, we go too (PR_SET_PDEATHSIG): nothing to do about a failure. */
        (void)send(imp->report_fd, &report, size, MSG_NOSIGNAL);
}

static void import_report_progress(struct import *imp)
{
        uint64_t now = now_usec();

        if (now - imp->reported_usec < REPORT_INTERVAL_USEC)
                return;
        imp->reported_usec = now;
        import_send(imp, REPORT_PROGRESS, 0, NULL);
}

/* Keeps the first failure, for the parent to print; returns ERROR. "%m" is ERROR's. */
_printf_(3, 4) static int import_fail(struct import *imp, int error, const char *format, ...)
{
        va_list ap;

        if (imp->error < 0)
                return imp->error;
        errno = -error;
        va_start(ap, format);
        vsnprintf(imp->failure, sizeof(imp->failure), format, ap);
        va_end(ap);
        imp->error = error;
        return error;
}

static void import_warn(struct import *imp, const char *entry, struct archive *a)
{
        char name[256], line[1024];

        if (++imp->warnings > MAX_WARNINGS)
                return;
        snprintf(line, sizeof(line), "Warning: %s: '%s': %s", imp->input, printable(entry, name, sizeof(name)),
                 libarchive.error_string(a) ?: "unknown problem");
        import_send(imp, REPORT_WARNING, 0, line);
}

static la_ssize_t read_input(struct archive *a, void *userdata, const void **ret_buffer)
{
        struct import *imp = userdata;
        ssize_t n;

        /* No interrupt to watch for: the parent does, and stops us with SIGKILL. */
        do
                n = read(imp->input_fd, imp->buffer, sizeof(imp->buffer));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                libarchive.set_error(a, errno, "%s", strerror(errno));
                return -1;
        }
        *ret_buffer = imp->buffer;
        return n;
}

static int read_failed(struct import *imp)
{
        int e = libarchive.error_number(imp->reader);

        return import_fail(imp, e > 0 ? -e : -EBADMSG,
                           "Cannot import %s: %s (a corrupt or truncated tarball?); nothing was imported", imp->input,
                           libarchive.error_string(imp->reader) ?: "unknown error");
}

static int refuse_entry(struct import *imp, const char *entry, const char *why)
{
        char name[256];

        return import_fail(imp, -EPERM,
                           "Refusing %s: its entry '%s' is unsafe (%s): no entry may reach outside the tree; nothing was imported",
                           imp->input, printable(entry, name, sizeof(name)), why);
}

static int write_failed(struct import *imp, const char *entry, bool header)
{
        int e = libarchive.error_number(imp->writer);
        const char *message = libarchive.error_string(imp->writer) ?: "unknown error";
        _cleanup_free_ char *normal = NULL;
        char name[256], hint[256];

        /* The SECURE flags' refusals of a path come with no error of the system's. */
        if (header && e <= 0)
                return refuse_entry(imp, entry, message);
        /* The file system's own failure: the entry as the tree has it, and what to do. */
        if (e > 0 && is_write_error(-e)) {
                if (entry_path_normalize(entry, &normal) < 0)
                        return import_fail(imp, -ENOMEM, "Out of memory");
                return import_fail(imp, -e, "Cannot write %s of %s: %m (%s)",
                                   printable(normal ?: entry, name, sizeof(name)), imp->name,
                                   write_error_hint(-e, MACHINES_DIR, hint, sizeof(hint)));
        }
        return import_fail(imp, e > 0 ? -e : -EIO,
                           "Cannot import %s: cannot write its entry '%s': %s; nothing was imported", imp->input,
                           printable(entry, name, sizeof(name)), message);
}

/* libarchive says ARCHIVE_WARN for a write() that failed (ENOSPC, EIO: the file is cut
 * short) as for an ACL the file system cannot hold. It stays a warning only where the
 * file system could not have kept what was lost anyway: metadata it does not support
 * (EOPNOTSUPP, ENOTTY and ENOSYS for file flags), and libarchive's own notes, which carry
 * no errno (a hard link to itself skipped; an xattr not restored: libarchive drops the
 * errno of a failed setxattr(), so ENOSPC there is a warning too, and the next file's
 * write() fails the import). Any other errno means the tree is not what the archive
 * holds: a failure. Data writes never get here: every warning of theirs is lost data. */
static bool warning_is_harmless(struct archive *a)
{
        int e = libarchive.error_number(a);

        return e <= 0 || e == EOPNOTSUPP || e == ENOTTY || e == ENOSYS;
}

/* What write_header() or write_finish_entry() returned, for ENTRY: 0 when it is done
 * (perhaps with a warning shown), or the failure. */
static int write_checked(struct import *imp, const char *entry, int r, bool header)
{
        if (r < ARCHIVE_WARN || (r == ARCHIVE_WARN && !warning_is_harmless(imp->writer)))
                return write_failed(imp, entry, header);
        if (r == ARCHIVE_WARN)
                import_warn(imp, entry, imp->writer);
        return 0;
}

/* A block device node is not made, nor a hard link to one: a guest without user
 * namespacing could mount the host's disk through it (the kernel reuses the superblock
 * already mounted, and no device cgroup check runs for that). One layer of the defence;
 * the tree is mounted nodev too. Character devices are made: the device cgroup policy
 * decides who opens them. NORMAL and TARGET as for planted_symlink_check(). Returns 1
 * when ENTRY is skipped. */
static int skip_block_node(struct import *imp, struct archive_entry *entry, const char *normal, const char *target)
{
        bool skip = libarchive.entry_filetype(entry) == AE_IFBLK;
        char name[256];

        if (target && path_set_find(&imp->skipped_nodes, target, strlen(target)))
                skip = true;
        if (!normal)
                return 0;
        if (!skip) {
                /* Whatever takes the name now is what a later hard link to it means. */
                path_set_remove(&imp->skipped_nodes, normal);
                return 0;
        }
        if (path_set_add(&imp->skipped_nodes, normal) < 0)
                return import_fail(imp, -ENOMEM, "Out of memory");
        if (++imp->n_skipped_nodes <= 3) {
                size_t n = strlen(imp->skipped_examples);

                snprintf(imp->skipped_examples + n, sizeof(imp->skipped_examples) - n, "%s%s", n ? ", " : "",
                         printable(normal, name, 64));
        }
        return 1;
}

static void report_skipped_nodes(struct import *imp)
{
        char line[512];

        if (imp->n_skipped_nodes == 0)
                return;
        snprintf(line, sizeof(line), "Skipped %u block device node%s of %s (%s%s): a machine gets its own /dev",
                 imp->n_skipped_nodes, imp->n_skipped_nodes == 1 ? "" : "s", imp->input, imp->skipped_examples,
                 imp->n_skipped_nodes > 3 ? ", ..." : "");
        import_send(imp, REPORT_WARNING, 0, line);
}

/* An entry written through a symlink the archive planted earlier (evil -> /etc, then
 * evil/passwd), or a hard link made through one, is refused, as
 * ARCHIVE_EXTRACT_SECURE_SYMLINKS would: in our chroot it could not leave the tree, but
 * it would not land where its path says either. A planted symlink the entry replaces is
 * removed first (libarchive would otherwise follow it for a directory), and the set
 * follows the tree: a new symlink, or a hard link to one, joins it. NORMAL and TARGET are
 * the entry's path and hard link target normalized (entry_path_normalize()), or NULL. */
static int planted_symlink_check(struct import *imp, struct archive_entry *entry, const char *path, const char *normal,
                                 const char *target)
{
        bool becomes_symlink = libarchive.entry_filetype(entry) == AE_IFLNK;
        char why[PATH_MAX + 64];
        size_t n;
        if (normal && (n = planted_symlink_on_path(&imp->symlinks, normal)) > 0) {
                snprintf(why, sizeof(why), "Cannot extract through symlink %.*s", (int)(n < PATH_MAX ? n : PATH_MAX),
                         normal);
                return refuse_entry(imp, path, why);
        }
        if (target && (n = planted_symlink_on_path(&imp->symlinks, target)) > 0) {
                snprintf(why, sizeof(why), "Cannot hard link through symlink %.*s", (int)(n < PATH_MAX ? n : PATH_MAX),
                         target);
                return refuse_entry(imp, path, why);
        }
        if (!normal)
                return 0;
        if (target && path_set_find(&imp->symlinks, target, strlen(target)))
                becomes_symlink = true;
        if (path_set_find(&imp->symlinks, normal, strlen(normal))) {
                if (unlinkat(AT_FDCWD, normal, 0) < 0 && errno != ENOENT)
                        return import_fail(imp, negative_errno(), "Cannot import %s: cannot replace the symlink '%s': %m",
                                           imp->input, printable(normal, why, sizeof(why)));
                path_set_remove(&imp->symlinks, normal);
        }
        if (becomes_symlink && path_set_add(&imp->symlinks, normal) < 0)
                return import_fail(imp, -ENOMEM, "Out of memory");
        return 0;
}

/* "./" (or "." or ".//."): the entry of the tree's root itself. */
static bool entry_is_root(const char *path)
{
        return path && path[0] && strspn(path, "./") == strlen(path) && !strstr(path, "..");
}

/* libarchive gives the root its owner and mode, but its times only before the first
 * entry inside changes them again: they are set once more at the end. */
static void remember_root_times(struct import *imp, struct archive_entry *entry)
{
        imp->root_times_set = libarchive.entry_mtime_is_set(entry);
        imp->root_times[0] = (struct timespec){ .tv_nsec = UTIME_OMIT };
        if (libarchive.entry_atime_is_set(entry))
                imp->root_times[0] = (struct timespec){ libarchive.entry_atime(entry),
                                                        libarchive.entry_atime_nsec(entry) };
        imp->root_times[1] = (struct timespec){ libarchive.entry_mtime(entry), libarchive.entry_mtime_nsec(entry) };
}

static int copy_entry_data(struct import *imp, const char *entry)
{
        for (;;) {
                const void *block;
                size_t size;
                la_int64_t offset;
                int r;

                r = libarchive.read_data_block(imp->reader, &block, &size, &offset);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return read_failed(imp);
                if (libarchive.write_data_block(imp->writer, block, size, offset) < ARCHIVE_OK)
                        return write_failed(imp, entry, false);
                import_report_progress(imp);
        }
}

/* Every entry, into the current directory (the new tree). */
static int extract_entries(struct import *imp)
{
        uint64_t entries = 0;
        int r;

        for (;;) {
                _cleanup_free_ char *normal = NULL,
                                    *target = NULL; /* the entry's path and hard link target, normalized */
                struct archive_entry *entry;
                const char *path;

                r = libarchive.read_next_header(imp->reader, &entry);
                if (r == ARCHIVE_EOF)
                        break;
                if (r == ARCHIVE_RETRY)
                        continue;
                if (r < ARCHIVE_WARN)
                        return read_failed(imp);
                path = libarchive.entry_pathname(entry);
                if (r == ARCHIVE_WARN)
                        import_warn(imp, path, imp->reader);

                r = entry_path_normalize(path, &normal);
                if (r >= 0 && libarchive.entry_hardlink(entry))
                        r = entry_path_normalize(libarchive.entry_hardlink(entry), &target);
                if (r < 0)
                        return import_fail(imp, r, "Out of memory");
                r = planted_symlink_check(imp, entry, path, normal, target);
                if (r < 0)
                        return r;
                r = skip_block_node(imp, entry, normal, target);
                if (r < 0)
                        return r;
                entries++;
                if (r > 0)
                        continue; /* its data, if any, is skipped by the next header */
                r = write_checked(imp, path, libarchive.write_header(imp->writer, entry), true);
                if (r < 0)
                        return r;
                if (entry_is_root(path))
                        remember_root_times(imp, entry);
                r = copy_entry_data(imp, path);
                if (r < 0)
                        return r;
                r = write_checked(imp, path, libarchive.write_finish_entry(imp->writer), false);
                if (r < 0)
                        return r;
                import_report_progress(imp);
        }
        if (entries == 0)
                return import_fail(imp, -ENODATA, "Cannot import %s: the tarball holds no files; nothing was imported",
                                   imp->input);
        /* Directories get their modes and times last, once nothing is written in them. */
        r = write_checked(imp, ".", libarchive.write_close(imp->writer), false);
        if (r < 0)
                return r;
        if (imp->root_times_set && utimensat(AT_FDCWD, ".", imp->root_times, 0) < 0)
                return import_fail(imp, negative_errno(), "Cannot set the times of the tree's root: %m");
        if (imp->warnings > MAX_WARNINGS) {
                char line[256];

                snprintf(line, sizeof(line), "Warning: %s: %u more warnings", imp->input, imp->warnings - MAX_WARNINGS);
                import_send(imp, REPORT_WARNING, 0, line);
        }
        report_skipped_nodes(imp);
        return 0;
}

/* Shuts the child in the new tree DIR: a mount namespace of its own in which DIR is
 * bound on itself nodev, nosuid, noexec, then chroot() into it. No path, symlink, ".."
 * or hard link target can then reach the host's files; a device node the archive makes
 * cannot be opened to write the host's disk through it (a hard link entry with data
 * opens its target for writing); and nothing in the tree can be run (libarchive runs
 * a decompressor program when it lacks the library). */
static int confine_to_tree(struct import *imp, const char *dir)
{
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return import_fail(imp, negative_errno(), "Cannot make a mount namespace to import in: %m");
        if (mount(dir, dir, NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_NODEV | MS_NOSUID | MS_NOEXEC, NULL) < 0)
                return import_fail(imp, negative_errno(), "Cannot mount %s nodev, nosuid, noexec to import in: %m", dir);
        if (chdir(dir) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return import_fail(imp, negative_errno(), "Cannot chroot into %s: %m", dir);
        return 0;
}

static _noreturn_ void import_child(struct import *imp, const char *dir, pid_t parent, int parent_fds[],
                                    size_t n_parent_fds)
{
        int r;

        /* It dies with us: no extraction goes on into a tree nobody will remove. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);
        /* What is the parent's: the lock on the old tree (a directory outside), the
         * interrupts (the parent stops us), its end of the socket. */
        for (size_t i = 0; i < n_parent_fds; i++)
                if (parent_fds[i] >= 0)
                        close(parent_fds[i]);

        /* Opened before the chroot: libarchive may start a decompressor program here. */
        if (libarchive.read_open(imp->reader, imp, NULL, read_input, NULL) < ARCHIVE_WARN)
                r = read_failed(imp);
        else {
                imp->reader_open = true;
                r = confine_to_tree(imp, dir);
        }
        if (r >= 0) {
                /* Directories the archive implies but does not hold get 0755, whatever
                 * our umask; the modes it gives are kept exactly (ARCHIVE_EXTRACT_PERM). */
                umask(0022);
                r = extract_entries(imp);
        }
        /* On failure, this is when libarchive fixes the modes and times of the
         * directories it made, by relative paths: still in the tree. */
        libarchive.write_free(TAKE_PTR(imp->writer));
        import_send(imp, REPORT_DONE, r < 0 ? r : 0, r < 0 ? imp->failure : NULL);
        _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

/* ---- The parent: progress, interrupts, writing out ---- */

/* Stops the child and reaps it. */
static void import_child_kill(pid_t pid)
{
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

/* Follows the child on REPORT_FD until it is done: shows its progress and warnings,
 * keeps the writing out going, stops it on an interrupt (-EINTR). Returns what it
 * reports, after printing its failure. */
static int import_follow(const char *input, pid_t pid, int report_fd, int signal_fd, struct progress **progress,
                         struct writeback *w)
{
        struct import_report report;
        uint64_t kicked_bytes = 0;
        bool done = false;
        int status, r = 0;

        while (!done) {
                struct pollfd fds[] = {
                        { .fd = signal_fd, .events = POLLIN },
                        { .fd = report_fd, .events = POLLIN },
                };
                ssize_t n;

                if (poll(fds, ELEMENTSOF(fds), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        import_child_kill(pid);
                        progress_done(TAKE_PTR(*progress), false);
                        return log_error_errno(r, "Cannot wait for the import of %s: %m", input);
                }
                if ((fds[0].revents & POLLIN) && interrupt_pending(signal_fd)) {
                        import_child_kill(pid);
                        progress_done(TAKE_PTR(*progress), false);
                        return -EINTR;
                }
                if (!fds[1].revents)
                        continue;
                n = recv(report_fd, &report, sizeof(report) - 1, MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < (ssize_t)offsetof(struct import_report, message))
                        break; /* the child is gone without a word */
                ((char *)&report)[n] = '\0';
                progress_update(*progress, report.input_bytes);
                if (report.stream_bytes >= kicked_bytes + WRITEBACK_BYTES) {
                        kicked_bytes = report.stream_bytes;
                        writeback_kick(w);
                }
                if (report.type == REPORT_WARNING && (size_t)n > offsetof(struct import_report, message)) {
                        /* On a terminal the progress line is there, unfinished: the
                         * warning takes its place, and the next update draws it again. */
                        if (isatty(STDERR_FILENO))
                                fputs("\r\033[K", stderr);
                        log_error("%s", report.message);
                } else if (report.type == REPORT_DONE) {
                        r = report.error;
                        done = true;
                }
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = 0;
                        break;
                }
        if (done && r < 0) {
                progress_done(TAKE_PTR(*progress), false);
                log_error("%s", report.message);
                return r;
        }
        if (!done || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                progress_done(TAKE_PTR(*progress), false);
                if (WIFSIGNALED(status))
                        return log_error_errno(
                                -EPROTO,
                                "Cannot import %s: the process unpacking it was killed by SIG%s; nothing was imported",
                                input, sigabbrev_np(WTERMSIG(status)) ?: "?");
                return log_error_errno(-EPROTO,
                                       "Cannot import %s: the process unpacking it failed; nothing was imported", input);
        }
        return 0;
}

static int import_open_input(struct import *imp, const char *input, uint64_t *ret_size)
{
        struct stat st;

        if (strcmp(input, "-") == 0) {
                if (isatty(STDIN_FILENO))
                        return log_error_errno(
                                -EINVAL,
                                "Standard input is a terminal: pipe a tarball into import-tar -, or give its file name");
                imp->input = "standard input";
                imp->input_fd = STDIN_FILENO;
        } else {
                imp->input_fd = open(input, O_RDONLY | O_NOCTTY | O_CLOEXEC);
                if (imp->input_fd < 0) {
                        if (errno == ENOENT)
                                return log_error_errno(-ENOENT, "Tarball %s does not exist", input);
                        return log_error_errno(negative_errno(), "Cannot open tarball %s: %m", input);
                }
                imp->input_owned = true;
        }
        if (fstat(imp->input_fd, &st) < 0)
                return log_error_errno(negative_errno(), "Cannot stat %s: %m", imp->input);
        if (S_ISDIR(st.st_mode))
                return log_error_errno(-EISDIR, "%s is a directory, not a tarball", imp->input);
        *ret_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        return 0;
}

static int import_setup_archives(struct import *imp)
{
        __typeof__(archive_read_support_filter_gzip) *const filters[] = {
                libarchive.support_filter_gzip,  libarchive.support_filter_xz,  libarchive.support_filter_zstd,
                libarchive.support_filter_bzip2, libarchive.support_filter_lz4,
        };

        imp->reader = libarchive.read_new();
        imp->writer = libarchive.write_disk_new();
        if (!imp->reader || !imp->writer)
                return log_error_errno(-ENOMEM, "Out of memory");
        /* The compression is told by the content, not by the file's name: a pipe has none. */
        for (size_t i = 0; i < ELEMENTSOF(filters); i++)
                if (filters[i](imp->reader) < ARCHIVE_WARN)
                        return log_error_errno(-EOPNOTSUPP, "libarchive: %s", libarchive.error_string(imp->reader));
        if (libarchive.support_format_tar(imp->reader) < ARCHIVE_WARN ||
            libarchive.write_disk_set_options(imp->writer, EXTRACT_FLAGS) < ARCHIVE_WARN)
                return log_error_errno(-EOPNOTSUPP, "libarchive: %s",
                                       libarchive.error_string(imp->reader) ?: libarchive.error_string(imp->writer));
        return 0;
}

/* Unpacks into the new tree DIR in a child (import_child()), and follows it. */
static int extract_into(struct import *imp, struct new_tree *tree, struct progress **progress)
{
        struct writeback w;
        int sockets[2], r;
        pid_t parent = getpid(), pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) < 0)
                return log_error_errno(negative_errno(), "Cannot make a socket to import with: %m");
        /* Flushed now, or the child's exit would write what stdio holds a second time. */
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                close(sockets[0]);
                close(sockets[1]);
                return log_error_errno(r, "Cannot fork to import: %m");
        }
        if (pid == 0) {
                int parent_fds[] = { sockets[0], tree->signal_fd, tree->lock_fd };

                imp->report_fd = sockets[1];
                import_child(imp, tree->temp, parent, parent_fds, ELEMENTSOF(parent_fds));
        }
        close(sockets[1]);
        /* The child has its own copies: ours are never used. */
        libarchive.write_free(TAKE_PTR(imp->writer));
        writeback_start(&w, tree->temp);
        r = import_follow(imp->input, pid, sockets[0], tree->signal_fd, progress, &w);
        writeback_stop(&w);
        close(sockets[0]);
        return r;
}

int import_tar(const char *input, const char *name, bool force, bool quiet)
{
        _cleanup_(new_tree_done) struct new_tree tree = NEW_TREE_INIT;
        _cleanup_(import_free) struct import *imp = NULL;
        _cleanup_free_ char *what = NULL;
        struct progress *progress;
        uint64_t size = 0;
        int r;

        if (!machine_name_is_valid(name))
                return log_error_errno(-EINVAL, "Invalid machine name '%s'", name);
        r = libarchive_load();
        if (r < 0)
                return log_error_errno(
                        r,
                        "libarchive (libarchive.so.13) is missing: install it (apt-get install libarchive13) to import tarballs");
        imp = calloc(1, sizeof(*imp));
        if (!imp)
                return log_error_errno(-ENOMEM, "Out of memory");
        imp->input = input;
        imp->name = name;
        imp->input_fd = imp->report_fd = -EBADF;
        r = import_open_input(imp, input, &size);
        if (r < 0)
                return r;
        r = import_setup_archives(imp);
        if (r < 0)
                return r;

        r = new_tree_begin(&tree, name, force);
        if (r < 0)
                return r;
        if (asprintf(&what, "Importing %s", name) < 0) {
                what = NULL;
                return log_error_errno(-ENOMEM, "Out of memory");
        }
        progress = progress_new(what, size, PROGRESS_BYTES, quiet);
        r = extract_into(imp, &tree, &progress);
        if (r >= 0) {
                progress_done(TAKE_PTR(progress), true);
                r = new_tree_commit(&tree);
        }
        progress_done(progress, false);
        if (r == -EINTR)
                return new_tree_interrupted(&tree, "imported");
        if (r < 0)
                return r;
        log_info("Machine %s is ready in %s (machined-lite boot %s)", name, tree.path, name);
        return 0;
}
