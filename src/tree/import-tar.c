/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tree/import.h"
#include "util/log.h"
#include "config/machine.h"
#include "tree/progress.h"
#include "config/settings.h"
#include "tree/temp-tree.h"
#include "util/dl.h"
#include "util/lock.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/time.h"

/* ---- Interrupts ------------------------------------------------------------------ */

/* What stops an import or bootstrap: blocked while we work, so that we notice them
 * between steps (a signalfd) and remove the partial tree before we go. */
static const int interrupt_signals[] = { SIGINT, SIGTERM, SIGHUP };
static int interrupt_signal;

static void interrupt_mask(sigset_t *mask)
{
        sigemptyset(mask);
        for (size_t i = 0; i < ELEMENTSOF(interrupt_signals); i++)
                sigaddset(mask, interrupt_signals[i]);
}

int new_tree_interrupt_signal(void)
{
        return interrupt_signal;
}

/* The interrupt waiting on SIGNAL_FD (non-blocking), or 0. */
static int interrupt_pending(int signal_fd)
{
        struct signalfd_siginfo si;

        if (signal_fd < 0 || read(signal_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
                return 0;
        interrupt_signal = (int)si.ssi_signo;
        return interrupt_signal;
}

/* ---- A new tree, made whole or not at all ---------------------------------------- */

struct new_tree {
        char *name;
        char *path;          /* /var/lib/machines/NAME */
        char *temp;          /* where it is built; NULL once renamed to PATH */
        int temp_fd;         /* on TEMP's tree, locked while it is built (temp-tree.h) */
        bool replace;        /* --force, and PATH exists */
        bool committed;      /* the new tree is PATH now */
        int lock_fd;         /* the tree PATH had, locked against machines */
        int signal_fd;       /* the interrupts, blocked meanwhile */
        sigset_t saved_mask;
        bool signals_blocked;
};

#define NEW_TREE_INIT { .temp_fd = -EBADF, .lock_fd = -EBADF, .signal_fd = -EBADF }

static int new_tree_begin(struct new_tree *t, const char *name, bool force)
{
        _cleanup_close_ int machines_fd = -EBADF;
        struct stat st;
        sigset_t mask;
        int r;

        /* First, so that no signal can come between making the temporary directory and
         * being ready to remove it. */
        interrupt_mask(&mask);
        if (sigprocmask(SIG_BLOCK, &mask, &t->saved_mask) < 0)
                return log_error_errno(negative_errno(), "Cannot block signals: %m");
        t->signals_blocked = true;
        t->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (t->signal_fd < 0)
                return log_error_errno(negative_errno(), "Cannot make a signalfd: %m");
        interrupt_signal = 0;

        t->name = strdup(name);
        if (!t->name || asprintf(&t->path, "%s/%s", MACHINES_DIR, name) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (mkdir(MACHINES_DIR, 0700) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "Cannot create %s: %m", MACHINES_DIR);
        if (lstat(t->path, &st) >= 0) {
                if (!force)
                        return log_error_errno(-EEXIST, "Machine %s exists already (%s): use --force to replace it, or another name",
                                               name, t->path);
                t->replace = true;
                /* The lock every machine holds on its tree (see supervisor.c): a tree in
                 * use is not pulled away from under its machine. */
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int dir = open(t->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                        if (dir < 0)
                                return log_error_errno(negative_errno(), "Cannot open %s: %m", t->path);
                        t->lock_fd = lock_tree(dir, true);
                        if (t->lock_fd == -EBUSY)
                                return log_error_errno(-EBUSY, "Machine %s is running in %s: stop it before replacing its tree",
                                                       name, t->path);
                        if (t->lock_fd < 0)
                                return log_error_errno(t->lock_fd, "Cannot lock %s: %m", t->path);
                }
        } else if (errno != ENOENT)
                return log_error_errno(negative_errno(), "Cannot look at %s: %m", t->path);

        /* What killed makers left (SIGKILL, a crash) goes first: nobody else removes it. */
        temp_trees_sweep(MACHINES_DIR, NULL);
        machines_fd = open(MACHINES_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = machines_fd < 0 ? negative_errno() : temp_tree_make(machines_fd, MACHINES_DIR, name, &t->temp, &t->temp_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot create a temporary directory in %s: %m", MACHINES_DIR);
        /* mkdtemp() makes it 0700; a tree's root is 0755 unless the tarball says otherwise. */
        if (fchmod(t->temp_fd, 0755) < 0)
                return log_error_errno(negative_errno(), "Cannot chmod %s: %m", t->temp);
        return 0;
}

/* --force without RENAME_EXCHANGE (a file system that lacks it): the old tree is moved
 * aside, then the new one in; NAME is missing for a moment. */
static int new_tree_replace_in_steps(struct new_tree *t)
{
        _cleanup_free_ char *old = NULL;
        int r;

        if (asprintf(&old, "%s/.#%s.XXXXXX", MACHINES_DIR, t->name) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (!mkdtemp(old))
                return log_error_errno(negative_errno(), "Cannot create a temporary directory in %s: %m", MACHINES_DIR);
        /* rename() replaces the empty directory OLD. No sweep takes the old tree there
         * for a dead maker's: LOCK_FD, our lock on it as a machine's tree, is held. */
        if (rename(t->path, old) < 0) {
                r = negative_errno();
                (void)rmdir(old);
                return log_error_errno(r, "Cannot move the old tree %s aside: %m", t->path);
        }
        if (rename(t->temp, t->path) < 0) {
                r = negative_errno();
                (void)rename(old, t->path);
                return log_error_errno(r, "Cannot rename %s to %s: %m", t->temp, t->path);
        }
        free(t->temp);
        t->temp = NULL;
        t->committed = true;
        r = remove_tree_at(AT_FDCWD, old);
        if (r < 0)
                log_error_errno(r, "Replaced %s, but cannot remove its old tree, left in %s: %m", t->path, old);
        return 0;
}

static int new_tree_commit(struct new_tree *t)
{
        char hint[PATH_MAX + 128];
        int r;

        /* All of it on disk before it gets its name: after a crash, NAME is the old tree or
         * the whole new one, never one with empty files. Through TEMP_FD, opened before
         * anything was written: syncfs() reports every write-back error since that fd was
         * opened (errseq), a fresh one's would miss those of the writing meanwhile. */
        if (syncfs(t->temp_fd) < 0) {
                r = negative_errno();
                if (is_write_error(r))
                        return log_error_errno(r, "Cannot write the tree of %s out to disk: %m (%s)", t->name,
                                               write_error_hint(r, MACHINES_DIR, hint, sizeof(hint)));
                return log_error_errno(r, "Cannot sync %s: %m", t->temp);
        }
        /* The last moment to change one's mind; after the rename, an interrupt comes too
         * late and is dropped (new_tree_done()). */
        if (interrupt_pending(t->signal_fd))
                return -EINTR;

        if (t->replace) {
                if (renameat2(AT_FDCWD, t->temp, AT_FDCWD, t->path, RENAME_EXCHANGE) >= 0) {
                        /* The old tree is now where the new one was built. */
                        r = remove_tree_at(AT_FDCWD, t->temp);
                        if (r < 0)
                                log_error_errno(r, "Replaced %s, but cannot remove its old tree, left in %s: %m", t->path,
                                                t->temp);
                        free(t->temp);
                        t->temp = NULL;
                        t->committed = true;
                        return 0;
                }
                if (errno == EINVAL || errno == ENOSYS)
                        return new_tree_replace_in_steps(t);
                if (errno != ENOENT)
                        return log_error_errno(negative_errno(), "Cannot swap %s for %s: %m", t->path, t->temp);
                /* ENOENT: the old tree went away meanwhile. */
        }
        r = renameat2(AT_FDCWD, t->temp, AT_FDCWD, t->path, RENAME_NOREPLACE);
        /* A file system without RENAME_NOREPLACE: as good as it gets without it. */
        if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
                struct stat st;

                r = lstat(t->path, &st) >= 0 ? (errno = EEXIST, -1) : rename(t->temp, t->path);
        }
        if (r < 0) {
                if (errno == EEXIST)
                        return log_error_errno(-EEXIST, "Machine %s appeared in %s while this one was made: use --force to replace it",
                                               t->name, t->path);
                return log_error_errno(negative_errno(), "Cannot rename %s to %s: %m", t->temp, t->path);
        }
        free(t->temp);
        t->temp = NULL;
        t->committed = true;
        return 0;
}

/* Removes the temporary tree unless it was committed; then lets the signals through
 * again. Safe to call twice. */
static void new_tree_done(struct new_tree *t)
{
        if (t->temp) {
                int r = remove_tree_at(AT_FDCWD, t->temp);

                if (r < 0)
                        log_error_errno(r, "Cannot remove the partial tree %s: %m", t->temp);
                free(t->temp);
                t->temp = NULL;
        }
        /* Only now, with the partial tree gone: its lock says it is still wanted. */
        if (t->temp_fd >= 0)
                close(t->temp_fd);
        t->temp_fd = -EBADF;
        free(t->name);
        free(t->path);
        t->name = t->path = NULL;
        if (t->lock_fd >= 0)
                close(t->lock_fd);
        if (t->signal_fd >= 0)
                close(t->signal_fd);
        t->lock_fd = t->signal_fd = -EBADF;
        if (t->signals_blocked) {
                const struct timespec zero = {};
                sigset_t mask;

                /* Once the tree is there, an interrupt that came since is not for us:
                 * the work it meant to stop is done. */
                interrupt_mask(&mask);
                while (t->committed && sigtimedwait(&mask, NULL, &zero) > 0)
                        ;
                (void)sigprocmask(SIG_SETMASK, &t->saved_mask, NULL);
        }
        t->signals_blocked = false;
}

static int new_tree_interrupted(struct new_tree *t, const char *made)
{
        new_tree_done(t);
        return log_error_errno(-EINTR, "Interrupted by SIG%s: the partial tree is removed; nothing was %s",
                               sigabbrev_np(interrupt_signal) ?: "?", made);
}

/* A name from an archive or a tool, for a message on a terminal: no control characters. */
static const char *printable(const char *s, char *buf, size_t size)
{
        size_t i;

        for (i = 0; s && s[i] && i + 1 < size; i++)
                buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        buf[i] = '\0';
        return buf;
}

/* ---- import-tar ------------------------------------------------------------------ */

/* libarchive, dlopen()ed for the import only (see util/dl.h). */
static struct {
        void *handle;
        __typeof__(archive_read_new) *read_new;
        __typeof__(archive_read_support_filter_bzip2) *support_filter_bzip2;
        __typeof__(archive_read_support_filter_gzip) *support_filter_gzip;
        __typeof__(archive_read_support_filter_lz4) *support_filter_lz4;
        __typeof__(archive_read_support_filter_xz) *support_filter_xz;
        __typeof__(archive_read_support_filter_zstd) *support_filter_zstd;
        __typeof__(archive_read_support_format_tar) *support_format_tar;
        __typeof__(archive_read_open) *read_open;
        __typeof__(archive_read_next_header) *read_next_header;
        __typeof__(archive_read_data_block) *read_data_block;
        __typeof__(archive_read_free) *read_free;
        __typeof__(archive_filter_bytes) *filter_bytes;
        __typeof__(archive_error_string) *error_string;
        __typeof__(archive_errno) *error_number;
        __typeof__(archive_set_error) *set_error;
        __typeof__(archive_write_disk_new) *write_disk_new;
        __typeof__(archive_write_disk_set_options) *write_disk_set_options;
        __typeof__(archive_write_header) *write_header;
        __typeof__(archive_write_data_block) *write_data_block;
        __typeof__(archive_write_finish_entry) *write_finish_entry;
        __typeof__(archive_write_close) *write_close;
        __typeof__(archive_write_free) *write_free;
        __typeof__(archive_entry_pathname) *entry_pathname;
        __typeof__(archive_entry_hardlink) *entry_hardlink;
        __typeof__(archive_entry_filetype) *entry_filetype;
        __typeof__(archive_entry_atime) *entry_atime;
        __typeof__(archive_entry_atime_nsec) *entry_atime_nsec;
        __typeof__(archive_entry_atime_is_set) *entry_atime_is_set;
        __typeof__(archive_entry_mtime) *entry_mtime;
        __typeof__(archive_entry_mtime_nsec) *entry_mtime_nsec;
        __typeof__(archive_entry_mtime_is_set) *entry_mtime_is_set;
} libarchive;

static int libarchive_load(void)
{
        const struct dl_symbol symbols[] = {
                { "archive_read_new", (void **)&libarchive.read_new },
                { "archive_read_support_filter_bzip2", (void **)&libarchive.support_filter_bzip2 },
                { "archive_read_support_filter_gzip", (void **)&libarchive.support_filter_gzip },
                { "archive_read_support_filter_lz4", (void **)&libarchive.support_filter_lz4 },
                { "archive_read_support_filter_xz", (void **)&libarchive.support_filter_xz },
                { "archive_read_support_filter_zstd", (void **)&libarchive.support_filter_zstd },
                { "archive_read_support_format_tar", (void **)&libarchive.support_format_tar },
                { "archive_read_open", (void **)&libarchive.read_open },
                { "archive_read_next_header", (void **)&libarchive.read_next_header },
                { "archive_read_data_block", (void **)&libarchive.read_data_block },
                { "archive_read_free", (void **)&libarchive.read_free },
                { "archive_filter_bytes", (void **)&libarchive.filter_bytes },
                { "archive_error_string", (void **)&libarchive.error_string },
                { "archive_errno", (void **)&libarchive.error_number },
                { "archive_set_error", (void **)&libarchive.set_error },
                { "archive_write_disk_new", (void **)&libarchive.write_disk_new },
                { "archive_write_disk_set_options", (void **)&libarchive.write_disk_set_options },
                { "archive_write_header", (void **)&libarchive.write_header },
                { "archive_write_data_block", (void **)&libarchive.write_data_block },
                { "archive_write_finish_entry", (void **)&libarchive.write_finish_entry },
                { "archive_write_close", (void **)&libarchive.write_close },
                { "archive_write_free", (void **)&libarchive.write_free },
                { "archive_entry_pathname", (void **)&libarchive.entry_pathname },
                { "archive_entry_hardlink", (void **)&libarchive.entry_hardlink },
                { "archive_entry_filetype", (void **)&libarchive.entry_filetype },
                { "archive_entry_atime", (void **)&libarchive.entry_atime },
                { "archive_entry_atime_nsec", (void **)&libarchive.entry_atime_nsec },
                { "archive_entry_atime_is_set", (void **)&libarchive.entry_atime_is_set },
                { "archive_entry_mtime", (void **)&libarchive.entry_mtime },
                { "archive_entry_mtime_nsec", (void **)&libarchive.entry_mtime_nsec },
                { "archive_entry_mtime_is_set", (void **)&libarchive.entry_mtime_is_set },
        };
        int r;

        if (libarchive.handle)
                return 0;
        libarchive.handle = dl_open("libarchive.so.13", symbols, ELEMENTSOF(symbols), &r);
        return r;
}

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
#define EXTRACT_FLAGS                                                                               \
        (ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | \
         ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |            \
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

/* ---- Paths of the new tree: the symlinks the archive planted, the nodes skipped ---- */

/* Paths in the new tree, normalized: the symlinks an archive made (the tree was empty,
 * so these are all the symlinks it holds), the block device nodes it did not get. An
 * open-addressing hash set. */
struct path_set {
        char **slots;   /* NULL: never used; SLOT_REMOVED: used once */
        size_t size;    /* a power of two, or 0 */
        size_t used;    /* slots that are not NULL */
};

static char slot_removed;
#define SLOT_REMOVED (&slot_removed)

static uint64_t path_hash(const char *path, size_t length)
{
        uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

        for (size_t i = 0; i < length; i++)
                h = (h ^ (unsigned char)path[i]) * 0x100000001b3ULL;
        return h;
}

/* The slot that holds PATH (LENGTH bytes of it), or NULL. */
static char **path_set_find(const struct path_set *s, const char *path, size_t length)
{
        if (s->size == 0)
                return NULL;
        for (size_t i = path_hash(path, length) & (s->size - 1);; i = (i + 1) & (s->size - 1)) {
                char *slot = s->slots[i];

                if (!slot)
                        return NULL;
                if (slot != SLOT_REMOVED && strncmp(slot, path, length) == 0 && slot[length] == '\0')
                        return &s->slots[i];
        }
}

static int path_set_add(struct path_set *s, const char *path)
{
        size_t length = strlen(path);
        char *copy;

        if (path_set_find(s, path, length))
                return 0;
        /* At most half full, so that a search ends soon on a free slot. */
        if ((s->used + 1) * 2 > s->size) {
                size_t size = s->size ? s->size * 2 : 256;
                char **slots = calloc(size, sizeof(char *));

                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < s->size; i++) {
                        char *old = s->slots[i];
                        size_t j;

                        if (!old || old == SLOT_REMOVED)
                                continue;
                        for (j = path_hash(old, strlen(old)) & (size - 1); slots[j]; j = (j + 1) & (size - 1))
                                ;
                        slots[j] = old;
                }
                free(s->slots);
                s->slots = slots;
                s->size = size;
                s->used = 0;
                for (size_t i = 0; i < size; i++)
                        s->used += slots[i] != NULL;
        }
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        for (size_t i = path_hash(path, length) & (s->size - 1);; i = (i + 1) & (s->size - 1))
                if (!s->slots[i]) {
                        s->slots[i] = copy;
                        s->used++;
                        return 0;
                }
}

static void path_set_remove(struct path_set *s, const char *path)
{
        char **slot = path_set_find(s, path, strlen(path));

        if (!slot)
                return;
        free(*slot);
        *slot = SLOT_REMOVED;
}

static void path_set_free(struct path_set *s)
{
        for (size_t i = 0; i < s->size; i++)
                if (s->slots[i] != SLOT_REMOVED)
                        free(s->slots[i]);
        free(s->slots);
        *s = (struct path_set){};
}

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
        REPORT_PROGRESS,   /* how far: INPUT_BYTES of the file, STREAM_BYTES of tar */
        REPORT_WARNING,    /* a line to show */
        REPORT_DONE,       /* the end: ERROR 0, or -errno and the line that says why */
};

struct import_report {
        int type;
        int error;
        uint64_t input_bytes;
        uint64_t stream_bytes;
        char message[1024];
};

struct import {
        const char *input;           /* as the user said it, for messages */
        const char *name;            /* the machine's */
        int input_fd;
        bool input_owned;
        int report_fd;               /* the child's end of the socket to its parent */
        struct archive *reader;
        struct archive *writer;
        bool reader_open;                /* its byte counts mean something */
        struct path_set symlinks;
        struct path_set skipped_nodes;   /* block device nodes not made, hard links to them neither */
        unsigned n_skipped_nodes;
        char skipped_examples[256];      /* the first few, for the line that says so */
        unsigned warnings;
        uint64_t reported_usec;
        bool root_times_set;
        struct timespec root_times[2];   /* the tree root's own entry ("./"): atime, mtime */
        int error;                       /* the first failure, and what it says */
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
                return import_fail(imp, -e, "Cannot write %s of %s: %m (%s)", printable(normal ?: entry, name, sizeof(name)),
                                   imp->name, write_error_hint(-e, MACHINES_DIR, hint, sizeof(hint)));
        }
        return import_fail(imp, e > 0 ? -e : -EIO, "Cannot import %s: cannot write its entry '%s': %s; nothing was imported",
                           imp->input, printable(entry, name, sizeof(name)), message);
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
                snprintf(why, sizeof(why), "Cannot extract through symlink %.*s", (int)(n < PATH_MAX ? n : PATH_MAX), normal);
                return refuse_entry(imp, path, why);
        }
        if (target && (n = planted_symlink_on_path(&imp->symlinks, target)) > 0) {
                snprintf(why, sizeof(why), "Cannot hard link through symlink %.*s", (int)(n < PATH_MAX ? n : PATH_MAX), target);
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
                imp->root_times[0] = (struct timespec){ libarchive.entry_atime(entry), libarchive.entry_atime_nsec(entry) };
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
                _cleanup_free_ char *normal = NULL, *target = NULL;   /* the entry's path and hard link target, normalized */
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
                        continue;   /* its data, if any, is skipped by the next header */
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

/* A thread that asks the file system to write the new tree out (syncfs()) whenever it is
 * kicked, while the child goes on unpacking: a second CPU writes what the first has
 * unpacked. The kernel would wait for 30 s or a tenth of the memory to be dirty. */
struct writeback {
        int tree_fd;
        int kick_fd;            /* an eventfd */
        bool stopping;
        bool started;
        pthread_t thread;
};

static void *writeback_thread(void *userdata)
{
        struct writeback *w = userdata;

        for (;;) {
                uint64_t n;

                if (read(w->kick_fd, &n, sizeof(n)) != (ssize_t)sizeof(n)) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (__atomic_load_n(&w->stopping, __ATOMIC_ACQUIRE))
                        break;
                /* A failure shows in the final sync, which is checked. */
                (void)syncfs(w->tree_fd);
        }
        return NULL;
}

/* Without the thread, the final sync does it all: slower, as safe. */
static void writeback_start(struct writeback *w, const char *dir)
{
        *w = (struct writeback){ .tree_fd = -EBADF, .kick_fd = -EBADF };
        w->tree_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        w->kick_fd = eventfd(0, EFD_CLOEXEC);
        if (w->tree_fd >= 0 && w->kick_fd >= 0 && pthread_create(&w->thread, NULL, writeback_thread, w) == 0)
                w->started = true;
}

static void writeback_kick(struct writeback *w)
{
        uint64_t one = 1;

        if (w->started)
                (void)!write(w->kick_fd, &one, sizeof(one));
}

/* Waits for a syncfs() under way: it is not cut short. */
static void writeback_stop(struct writeback *w)
{
        if (w->started) {
                __atomic_store_n(&w->stopping, true, __ATOMIC_RELEASE);
                writeback_kick(w);
                (void)pthread_join(w->thread, NULL);
        }
        if (w->tree_fd >= 0)
                close(w->tree_fd);
        if (w->kick_fd >= 0)
                close(w->kick_fd);
        *w = (struct writeback){ .tree_fd = -EBADF, .kick_fd = -EBADF };
}

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
                        break;   /* the child is gone without a word */
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
                        return log_error_errno(-EPROTO, "Cannot import %s: the process unpacking it was killed by SIG%s; nothing was imported",
                                               input, sigabbrev_np(WTERMSIG(status)) ?: "?");
                return log_error_errno(-EPROTO, "Cannot import %s: the process unpacking it failed; nothing was imported",
                                       input);
        }
        return 0;
}

static int import_open_input(struct import *imp, const char *input, uint64_t *ret_size)
{
        struct stat st;

        if (strcmp(input, "-") == 0) {
                if (isatty(STDIN_FILENO))
                        return log_error_errno(-EINVAL, "Standard input is a terminal: pipe a tarball into import-tar -, or give its file name");
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
                libarchive.support_filter_gzip, libarchive.support_filter_xz, libarchive.support_filter_zstd,
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
                return log_error_errno(r, "libarchive (libarchive.so.13) is missing: install it (apt-get install libarchive13) to import tarballs");
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

/* ---- bootstrap -------------------------------------------------------------------- */

static const struct distribution {
        const char *name;
        const char *pretty_name;
        const char *default_release;
        const char *default_mirror;
        const char *keyring;       /* what apt checks the archive's signature with */
        const char *keyring_package;
} distributions[] = {
        { "debian", "Debian", "bookworm", "http://deb.debian.org/debian", "/usr/share/keyrings/debian-archive-keyring.gpg",
          "debian-archive-keyring" },
        { "ubuntu", "Ubuntu", "noble", "http://archive.ubuntu.com/ubuntu", "/usr/share/keyrings/ubuntu-archive-keyring.gpg",
          "ubuntu-keyring" },
};

/* What systemd needs to boot and be talked to: on top of minbase. */
#define BOOTSTRAP_PACKAGES "systemd,systemd-sysv,dbus"

/* The programs and the apt they run need sbin, whatever our PATH. */
#define TOOL_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Lines of the tool's output kept to be shown when it fails. */
#define TAIL_LINES 8

static const struct distribution *distribution_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(distributions); i++)
                if (strcmp(distributions[i].name, name) == 0)
                        return &distributions[i];
        return NULL;
}

static bool word_is_valid(const char *s, const char *extra, size_t max)
{
        size_t n = strlen(s);

        if (n == 0 || n > max || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr(extra, s[i])))
                        return false;
        return true;
}

/* These end up on the tool's command line and in an HTTP request: nothing but what a
 * release, a package or a URL is made of. */
static int bootstrap_options_check(const struct bootstrap_options *o)
{
        if (!machine_name_is_valid(o->name))
                return log_error_errno(-EINVAL, "Invalid machine name '%s': use " MACHINE_NAME_RULES,
                                       o->name ?: "");
        if (o->distribution && !distribution_find(o->distribution))
                return log_error_errno(-EINVAL, "Unknown distribution '%s': use debian or ubuntu", o->distribution);
        if (o->release && !word_is_valid(o->release, "-._", 64))
                return log_error_errno(-EINVAL, "Invalid release '%s': a code name such as bookworm", o->release);
        for (char **p = o->include; p && *p; p++)
                if (!word_is_valid(*p, "+-.", 128))
                        return log_error_errno(-EINVAL, "Invalid package name '%s' in --include: lower case letters, digits, + - .",
                                               *p);
        if (o->mirror) {
                if (strncmp(o->mirror, "http://", 7) != 0 && strncmp(o->mirror, "https://", 8) != 0 &&
                    strncmp(o->mirror, "file:/", 6) != 0)
                        return log_error_errno(-EINVAL, "Invalid mirror '%s': an http://, https:// or file:/ URL", o->mirror);
                for (const char *c = o->mirror; *c; c++)
                        if ((unsigned char)*c <= ' ' || *c == 0x7f)
                                return log_error_errno(-EINVAL, "Invalid mirror '%s': a URL has no spaces or control characters",
                                                       o->mirror);
        }
        return 0;
}

/* Whether URI's last path component is WORD: http://deb.debian.org/debian/ for debian. */
static bool uri_names(const char *uri, const char *word)
{
        size_t n = strlen(uri), w = strlen(word);

        while (n > 0 && uri[n - 1] == '/')
                n--;
        return n > w && uri[n - w - 1] == '/' && strncmp(uri + n - w, word, w) == 0 &&
               (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0);
}

/* The first URI of DISTRIBUTION in one apt sources file, one-line (.list) or deb822
 * (.sources) style; NULL when there is none. */
static char *sources_file_mirror(const char *path, const char *distribution)
{
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;
        char *found = NULL;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        while (!found && getline(&line, &allocated, f) > 0) {
                char *save = NULL, *word;

                if (line[strspn(line, " \t")] == '#')
                        continue;
                for (word = strtok_r(line, " \t\n", &save); word; word = strtok_r(NULL, " \t\n", &save))
                        if (uri_names(word, distribution)) {
                                size_t n = strlen(word);

                                while (n > 0 && word[n - 1] == '/')
                                        n--;
                                found = strndup(word, n);
                                break;
                        }
        }
        fclose(f);
        return found;
}

/* The mirror the host's apt uses for DISTRIBUTION: a host that reaches only its own
 * mirror (a proxy, a local copy) bootstraps from it too. */
static char *host_mirror(const char *distribution)
{
        struct dirent **entries = NULL;
        char *found = sources_file_mirror("/etc/apt/sources.list", distribution);
        int n;

        if (found)
                return found;
        n = scandir("/etc/apt/sources.list.d", &entries, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                const char *name = entries[i]->d_name;
                size_t length = strlen(name);
                _cleanup_free_ char *path = NULL;

                if (!found &&
                    ((length > 5 && strcmp(name + length - 5, ".list") == 0) ||
                     (length > 8 && strcmp(name + length - 8, ".sources") == 0)) &&
                    asprintf(&path, "/etc/apt/sources.list.d/%s", name) >= 0)
                        found = sources_file_mirror(path, distribution);
                free(entries[i]);
        }
        free(entries);
        return found;
}

/* With a proxy (environment or apt's own setting), the mirror may be reachable only
 * through it: our direct probe would say no for nothing. */
static bool proxy_configured(void)
{
        static const char *const variables[] = { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
        struct dirent **entries = NULL;
        bool found = false;
        int n;

        for (size_t i = 0; i < ELEMENTSOF(variables); i++)
                if (getenv(variables[i]) && getenv(variables[i])[0])
                        return true;
        n = scandir("/etc/apt/apt.conf.d", &entries, NULL, alphasort);
        for (int i = -1; i < n; i++) {
                _cleanup_free_ char *path = NULL, *line = NULL;
                size_t allocated = 0;
                FILE *f;

                if (i < 0)
                        path = strdup("/etc/apt/apt.conf");
                else if (entries[i]->d_name[0] != '.' && asprintf(&path, "/etc/apt/apt.conf.d/%s", entries[i]->d_name) < 0)
                        path = NULL;
                if (i >= 0)
                        free(entries[i]);
                f = !found && path ? fopen(path, "re") : NULL;
                while (f && !found && getline(&line, &allocated, f) > 0) {
                        const char *start = line + strspn(line, " \t");

                        if (start[0] != '#' && start[0] != '/' && strcasestr(start, "::proxy"))
                                found = true;
                }
                if (f)
                        fclose(f);
        }
        free(entries);
        return found;
}

/* Waits for EVENTS on FD, or an interrupt, for at most TIMEOUT_MS: 1 ready, 0 timed
 * out, -EINTR. */
static int wait_fd(int fd, short events, int signal_fd, int timeout_ms)
{
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000;

        for (;;) {
                struct pollfd fds[] = {
                        { .fd = signal_fd, .events = POLLIN },
                        { .fd = fd, .events = events },
                };
                uint64_t now = now_usec();
                int n;

                if (now >= deadline)
                        return 0;
                n = poll(fds, ELEMENTSOF(fds), (int)((deadline - now + 999) / 1000));
                if (n < 0 && errno != EINTR)
                        return negative_errno();
                if (n > 0 && (fds[0].revents & POLLIN) && interrupt_pending(signal_fd))
                        return -EINTR;
                if (n > 0 && fds[1].revents)
                        return 1;
        }
}

#define PROBE_TIMEOUT_MS 10000

/* A TCP connection to HOST:PORT, or -errno (-EHOSTUNREACH when the name does not
 * resolve; *RET_GAI_ERROR says why). */
static int connect_host(const char *host, const char *port, int signal_fd, int *ret_gai_error)
{
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *addresses = NULL;
        int r = -EHOSTUNREACH, fd = -EBADF;

        *ret_gai_error = getaddrinfo(host, port, &hints, &addresses);
        if (*ret_gai_error != 0)
                return -EHOSTUNREACH;
        for (struct addrinfo *a = addresses; a && fd < 0; a = a->ai_next) {
                int error = 0;
                socklen_t length = sizeof(error);

                fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0) {
                        r = negative_errno();
                        continue;
                }
                if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS)
                        r = negative_errno();
                else {
                        r = wait_fd(fd, POLLOUT, signal_fd, PROBE_TIMEOUT_MS);
                        if (r == 0)
                                r = -ETIMEDOUT;
                        else if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) >= 0)
                                r = error ? -error : 0;
                }
                if (r < 0) {
                        close(fd);
                        fd = -EBADF;
                        if (r == -EINTR)
                                break;
                }
        }
        freeaddrinfo(addresses);
        return fd >= 0 ? fd : r;
}

/* The status of HEAD PATH on the connection FD (200, 404, ...), 0 when there is no
 * answer in time, or -EINTR. */
static int http_head(int fd, const char *host, const char *path, int signal_fd)
{
        char request[1024], answer[256];
        size_t got = 0;
        int n, status;

        n = snprintf(request, sizeof(request),
                     "HEAD %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: machined-lite/" MACHINED_LITE_VERSION "\r\nConnection: close\r\n\r\n",
                     path, host);
        if (n < 0 || (size_t)n >= sizeof(request) || send(fd, request, (size_t)n, MSG_NOSIGNAL) != n)
                return 0;
        while (got < sizeof(answer) - 1 && !memchr(answer, '\n', got)) {
                ssize_t k;

                n = wait_fd(fd, POLLIN, signal_fd, PROBE_TIMEOUT_MS);
                if (n <= 0)
                        return n;
                k = recv(fd, answer + got, sizeof(answer) - 1 - got, 0);
                if (k <= 0)
                        break;
                got += (size_t)k;
        }
        answer[got] = '\0';
        if (sscanf(answer, "HTTP/%*d.%*d %d", &status) != 1)
                return 0;
        return status;
}

/* Before a minute of the tool's time: is the mirror there, and does it have RELEASE?
 * Fails (one line) only on a clear answer: the host does not resolve or accept a
 * connection, or the release is missing (404 for both InRelease and Release). Anything
 * else, https (a TLS we do not speak) and file: mirrors are the tool's to judge. */
static int probe_mirror(const char *mirror, const char *release, int signal_fd)
{
        char host[256], port[8], path[768];
        const char *rest, *end;
        bool https = strncmp(mirror, "https://", 8) == 0;
        size_t path_length;
        int gai_error, r;

        if (strncmp(mirror, "http://", 7) != 0 && !https)
                return 0;
        if (proxy_configured())
                return 0;
        rest = mirror + (https ? 8 : 7);
        end = rest + strcspn(rest, "/");
        if (rest[0] == '[') {
                const char *close_bracket = memchr(rest, ']', (size_t)(end - rest));

                if (!close_bracket)
                        return 0;
                snprintf(host, sizeof(host), "%.*s", (int)(close_bracket - rest - 1), rest + 1);
                rest = close_bracket + 1;
        } else {
                size_t n = strcspn(rest, ":/");

                snprintf(host, sizeof(host), "%.*s", (int)n, rest);
                rest += n;
        }
        if (rest[0] == ':')
                snprintf(port, sizeof(port), "%.*s", (int)(end - rest - 1), rest + 1);
        else
                snprintf(port, sizeof(port), "%s", https ? "443" : "80");

        _cleanup_close_ int fd = connect_host(host, port, signal_fd, &gai_error);
        if (fd == -EINTR)
                return -EINTR;
        if (fd == -EHOSTUNREACH && gai_error)
                return log_error_errno(-EHOSTUNREACH, "Cannot reach %s: host %s does not resolve (%s); is there a network?",
                                       mirror, host, gai_strerror(gai_error));
        if (fd < 0)
                return log_error_errno(fd, "Cannot reach %s: no connection to %s port %s: %m; is there a network?", mirror,
                                       host, port);
        if (https)
                return 0;

        path_length = strlen(end);
        while (path_length > 0 && end[path_length - 1] == '/')
                path_length--;
        for (size_t i = 0; i < 2; i++) {
                const char *file = i == 0 ? "InRelease" : "Release";

                if (i > 0) {
                        close(fd);
                        fd = connect_host(host, port, signal_fd, &gai_error);
                        if (fd < 0)
                                return fd == -EINTR ? -EINTR : 0;
                }
                snprintf(path, sizeof(path), "%.*s/dists/%s/%s", (int)path_length, end, release, file);
                r = http_head(fd, host, path, signal_fd);
                if (r == -EINTR)
                        return -EINTR;
                if (r != 404)
                        return 0;
        }
        return log_error_errno(-ENOENT, "Release %s not found at %s (it has no dists/%s/InRelease nor Release): check --release",
                               release, mirror, release);
}

/* The tool that does the work, found where it is installed. */
static char *find_program(const char *name)
{
        _cleanup_free_ char *path = strdup(TOOL_PATH);
        char *save = NULL;

        if (!path)
                return NULL;
        for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *candidate = NULL;

                if (asprintf(&candidate, "%s/%s", dir, name) < 0)
                        return NULL;
                if (access(candidate, X_OK) >= 0)
                        return candidate;
                free(candidate);
        }
        return NULL;
}

/* What we learn from the tool's output while it runs. */
struct tool_run {
        const char *tool;
        int signal_fd;
        int log_fd;
        struct progress *progress;
        uint64_t packages;
        char line[1024];
        size_t line_length;
        char tail[TAIL_LINES][256];
        size_t tail_count;
        bool release_missing;
        bool unreachable;
        char missing_package[130];
        char network_error[256];
        int write_error;             /* -errno the tool could not write the tree for */
        char write_error_path[256];  /* where in the tree, when its line says */
};

/* The errors of a file system that cannot store the tree (is_write_error()), as the
 * tool's lines spell them: LC_ALL=C. */
static const int tool_write_errors[] = { ENOSPC, EDQUOT, EIO, EROFS, EFBIG };

/* The path in LINE that TOOL could not write, inside the tree: tar's (mmdebstrap and
 * debootstrap unpack with it) "tar: ./usr/bin/x: Cannot write: ...", dpkg's "cannot copy
 * extracted data for './usr/bin/x' to ...". Empty when the line names none. */
static void tool_write_error_path(const char *line, char *buf, size_t size)
{
        const char *start = NULL, *p;
        size_t n = 0;

        buf[0] = '\0';
        if (strncmp(line, "tar: ", 5) == 0 && (p = strstr(line, ": Cannot "))) {
                start = line + 5;
                n = (size_t)(p - start);
        } else if ((p = strstr(line, "extracted data for '"))) {
                start = p + strlen("extracted data for '");
                n = strcspn(start, "'");
        }
        /* "./usr/bin/x" and "/usr/bin/x" are usr/bin/x of the tree. */
        while (start && n > 0 && (start[0] == '/' || (n > 1 && start[0] == '.' && start[1] == '/'))) {
                size_t k = start[0] == '/' ? 1 : 2;

                start += k;
                n -= k;
        }
        if (start && n > 0 && n < size) {
                char raw[256];

                snprintf(raw, sizeof(raw), "%.*s", (int)n, start);
                printable(raw, buf, size);
        }
}

/* apt's (mmdebstrap) and debootstrap's words for a package that is not there. */
static const char *const missing_package_phrases[] = { "Unable to locate package ", "Couldn't find these debs: " };

static void tool_line(struct tool_run *run, const char *line)
{
        const char *p;

        if (line[0] == '\0')
                return;
        /* dpkg's (mmdebstrap) and debootstrap's lines for each package that is installed. */
        if (strncmp(line, "Setting up ", 11) == 0 || strncmp(line, "I: Configuring ", 15) == 0)
                progress_update(run->progress, ++run->packages);
        /* apt's (mmdebstrap) and debootstrap's words for what went wrong. */
        if (strstr(line, "does not have a Release file") || strstr(line, "Failed getting release file"))
                run->release_missing = true;
        if (strstr(line, "Could not resolve") || strstr(line, "Temporary failure resolving") ||
            strstr(line, "Could not connect") || strstr(line, "Unable to connect") || strstr(line, "Connection timed out") ||
            strstr(line, "Network is unreachable") || strstr(line, "Connection failed")) {
                if (!run->unreachable)
                        printable(line, run->network_error, sizeof(run->network_error));
                run->unreachable = true;
        }
        for (size_t i = 0; i < ELEMENTSOF(tool_write_errors) && !run->write_error; i++)
                if (strstr(line, strerror(tool_write_errors[i]))) {
                        run->write_error = -tool_write_errors[i];
                        tool_write_error_path(line, run->write_error_path, sizeof(run->write_error_path));
                }
        for (size_t i = 0; i < ELEMENTSOF(missing_package_phrases) && !run->missing_package[0]; i++) {
                p = strstr(line, missing_package_phrases[i]);
                if (p) {
                        p += strlen(missing_package_phrases[i]);
                        snprintf(run->missing_package, sizeof(run->missing_package), "%.*s", (int)strcspn(p, " "), p);
                }
        }
        printable(line, run->tail[run->tail_count % TAIL_LINES], sizeof(run->tail[0]));
        run->tail_count++;
}

static void tool_output(struct tool_run *run, const char *data, size_t size)
{
        if (run->log_fd >= 0)
                (void)!write(run->log_fd, data, size);
        for (size_t i = 0; i < size; i++) {
                if (data[i] == '\n' || data[i] == '\r' || run->line_length == sizeof(run->line) - 1) {
                        run->line[run->line_length] = '\0';
                        tool_line(run, run->line);
                        run->line_length = 0;
                        if (data[i] == '\n' || data[i] == '\r')
                                continue;
                }
                run->line[run->line_length++] = data[i];
        }
}

/* Ends the tool and everything it started (its own process group): asks first, as it
 * unmounts what it mounted and stops what it started, then insists. */
static void tool_stop(pid_t pid)
{
        bool reaped = false;
        int status;

        (void)kill(-pid, SIGTERM);
        for (int i = 0; i < 100 && !reaped; i++) {
                reaped = waitpid(pid, &status, WNOHANG) != 0;
                if (!reaped)
                        (void)usleep(100 * 1000);
        }
        /* What is left of its group, and the tool itself if it would not go. */
        (void)kill(-pid, SIGKILL);
        if (!reaped)
                (void)waitpid(pid, &status, 0);
}

static _noreturn_ void tool_child(char *const argv[], char *const env[], int output_fd)
{
        sigset_t mask;
        int null_fd;

        /* Its mounts (/proc, /sys, /dev in the new tree) stay in a mount namespace of its
         * own: they cannot outlive it, nor can our removal of a failed tree ever reach
         * through them into the host's /dev. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                dprintf(output_fd, "machined-lite: cannot make a mount namespace for %s: %m\n", argv[0]);
                _exit(127);
        }
        /* A group of its own, so that we can stop all of it; and it dies with us. */
        (void)setpgid(0, 0);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        interrupt_mask(&mask);
        (void)sigprocmask(SIG_UNBLOCK, &mask, NULL);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(output_fd, STDOUT_FILENO) < 0 ||
            dup2(output_fd, STDERR_FILENO) < 0 || chdir("/") < 0)
                _exit(127);
        execve(argv[0], argv, env);
        dprintf(STDERR_FILENO, "machined-lite: cannot execute %s: %m\n", argv[0]);
        _exit(127);
}

/* Runs ARGV with its output in RUN; returns its exit status, or -EINTR (it is stopped
 * then), or -errno. */
static int tool_run(struct tool_run *run, char *const argv[])
{
        extern char **environ;
        char **env = NULL;
        int pipe_fds[2], status = 0, r = 0;
        pid_t pid;

        for (char **e = environ; e && *e; e++)
                if (strv_extend(&env, *e) < 0)
                        r = -ENOMEM;
        /* We read its messages: in English, and nothing asks questions. */
        if (r < 0 || strv_env_set(&env, "LC_ALL=C") < 0 || strv_env_set(&env, "DEBIAN_FRONTEND=noninteractive") < 0 ||
            strv_env_set(&env, "PATH=" TOOL_PATH) < 0) {
                strv_free(env);
                return -ENOMEM;
        }
        if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
                strv_free(env);
                return negative_errno();
        }
        pid = fork();
        if (pid == 0)
                tool_child(argv, env, pipe_fds[1]);
        strv_free(env);
        close(pipe_fds[1]);
        if (pid < 0) {
                close(pipe_fds[0]);
                return negative_errno();
        }
        (void)setpgid(pid, pid);

        for (;;) {
                char buffer[16384];
                ssize_t n;

                r = wait_fd(pipe_fds[0], POLLIN, run->signal_fd, 1000);
                if (r == -EINTR) {
                        close(pipe_fds[0]);
                        tool_stop(pid);
                        return -EINTR;
                }
                if (r <= 0)
                        continue;
                n = read(pipe_fds[0], buffer, sizeof(buffer));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                tool_output(run, buffer, (size_t)n);
        }
        close(pipe_fds[0]);
        if (run->line_length > 0)
                tool_output(run, "\n", 1);
        /* Its output ended; it may take a moment more to exit. */
        while (waitpid(pid, &status, WNOHANG) == 0) {
                if (interrupt_pending(run->signal_fd)) {
                        tool_stop(pid);
                        return -EINTR;
                }
                (void)usleep(20 * 1000);
        }
        (void)kill(-pid, SIGKILL);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

static int write_file_in_root(int root_fd, const char *path, const char *content, mode_t mode)
{
        _cleanup_close_ int fd = open_in_root(root_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NOCTTY, mode);
        size_t n = strlen(content);

        if (fd < 0)
                return fd;
        if (n > 0 && write(fd, content, n) != (ssize_t)n)
                return negative_errno();
        return 0;
}

static int read_file_in_root(int root_fd, const char *path, int flags, int *ret_fd, char **ret_content)
{
        _cleanup_close_ int fd = open_in_root(root_fd, path, flags | O_NOFOLLOW | O_NOCTTY, 0);
        _cleanup_free_ char *content = NULL;
        struct stat st;
        ssize_t n;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || st.st_size > 16 * 1024 * 1024)
                return -EBADF;
        content = malloc((size_t)st.st_size + 1);
        if (!content)
                return -ENOMEM;
        n = pread(fd, content, (size_t)st.st_size, 0);
        if (n < 0)
                return negative_errno();
        content[n] = '\0';
        *ret_content = TAKE_PTR(content);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* passwd -l: root gets no password. An empty field would let anyone log in as root on
 * the console; "*" or "!..." lets no one. */
static int lock_root_password(int root_fd)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *content = NULL, *locked = NULL;
        char *line, *field;
        size_t before;
        int r;

        r = read_file_in_root(root_fd, "/etc/shadow", O_RDWR, &fd, &content);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        line = strncmp(content, "root:", 5) == 0 ? content : strstr(content, "\nroot:");
        if (!line)
                return 0;
        field = line + (line[0] == '\n' ? 6 : 5);
        if (field[0] == '!' || field[0] == '*')
                return 0;
        before = (size_t)(field - content);
        if (asprintf(&locked, "%.*s!%s", (int)before, content, field) < 0)
                return -ENOMEM;
        if (pwrite(fd, locked, strlen(locked), 0) != (ssize_t)strlen(locked))
                return negative_errno();
        return 0;
}

/* pam_securetty, where a tree still has it, lets root log in only on the terminals
 * listed: ours are /dev/console and, for machinectl login, pts/0. */
static int allow_console_login(int root_fd)
{
        static const char *const terminals[] = { "console", "pts/0" };
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *content = NULL;
        char missing[32] = "";
        size_t length;
        int r;

        r = read_file_in_root(root_fd, "/etc/securetty", O_RDWR, &fd, &content);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(terminals); i++) {
                size_t n = strlen(terminals[i]);
                bool listed = false;

                for (const char *p = content; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                        if (strncmp(p, terminals[i], n) == 0 && (p[n] == '\n' || p[n] == '\0'))
                                listed = true;
                if (!listed) {
                        strcat(missing, terminals[i]);
                        strcat(missing, "\n");
                }
        }
        if (!missing[0])
                return 0;
        length = strlen(content);
        if (lseek(fd, 0, SEEK_END) < 0 ||
            dprintf(fd, "%s%s", length > 0 && content[length - 1] != '\n' ? "\n" : "", missing) < 0)
                return negative_errno();
        return 0;
}

/* What machines/create-debian does after debootstrap, but root's password locked. */
static int prepare_tree(const char *root, const char *name)
{
        _cleanup_close_ int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dbus_fd = -EBADF;
        _cleanup_free_ char *hostname = NULL;
        int r;

        if (root_fd < 0)
                return log_error_errno(negative_errno(), "Cannot open %s: %m", root);
        /* Container Interface: an empty machine-id is filled in by the guest's systemd at
         * boot, from $container_uuid; dbus's copy of the bootstrap's would win otherwise. */
        r = write_file_in_root(root_fd, "/etc/machine-id", "", 0444);
        if (r < 0)
                return log_error_errno(r, "Cannot empty %s/etc/machine-id: %m", root);
        dbus_fd = open_in_root(root_fd, "/var/lib/dbus", O_PATH | O_DIRECTORY, 0);
        if (dbus_fd >= 0 && unlinkat(dbus_fd, "machine-id", 0) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "Cannot remove %s/var/lib/dbus/machine-id: %m", root);
        if (asprintf(&hostname, "%s\n", name) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = write_file_in_root(root_fd, "/etc/hostname", hostname, 0644);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s/etc/hostname: %m", root);
        r = lock_root_password(root_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot lock root's password in %s/etc/shadow: %m", root);
        r = allow_console_login(root_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot update %s/etc/securetty: %m", root);
        return 0;
}

/* The tool's command line. */
static int bootstrap_argv(const char *tool, const struct bootstrap_options *o, const struct distribution *d,
                          const char *release, const char *mirror, const char *target, char ***ret)
{
        _cleanup_free_ char *include = NULL, *include_option = NULL, *keyring_option = NULL;
        bool mmdebstrap = strcmp(strrchr(tool, '/') + 1, "mmdebstrap") == 0;
        char **argv = NULL;
        int r = 0;

        include = strdup(BOOTSTRAP_PACKAGES);
        for (char **p = o->include; include && p && *p; p++) {
                char *longer = NULL;

                if (asprintf(&longer, "%s,%s", include, *p) < 0)
                        longer = NULL;
                free(include);
                include = longer;
        }
        if (!include || asprintf(&include_option, "--include=%s", include) < 0 ||
            asprintf(&keyring_option, "--keyring=%s", d->keyring) < 0)
                return -ENOMEM;
        r |= strv_extend(&argv, tool);
        /* mmdebstrap: apt's and dpkg's lines too, which we count packages by; as root, in
         * the host's namespaces (ours, private mounts). */
        if (mmdebstrap)
                r |= strv_extend(&argv, "--verbose") | strv_extend(&argv, "--mode=root");
        r |= strv_extend(&argv, "--variant=minbase") | strv_extend(&argv, include_option) |
             strv_extend(&argv, keyring_option) | strv_extend(&argv, release) | strv_extend(&argv, target) |
             strv_extend(&argv, mirror);
        if (r < 0) {
                strv_free(argv);
                return -ENOMEM;
        }
        *ret = argv;
        return 0;
}

/* Says what went wrong, in one line where the tool's output tells. */
static int bootstrap_failed(const struct tool_run *run, int status, const char *name, const char *release,
                            const char *mirror, const char *log_path, bool *keep_log)
{
        char hint[256];

        /* First: a full disk makes the tool's later steps fail in other ways too. */
        if (run->write_error && run->write_error_path[0])
                return log_error_errno(run->write_error, "Cannot write %s of %s: %m (%s)", run->write_error_path, name,
                                       write_error_hint(run->write_error, MACHINES_DIR, hint, sizeof(hint)));
        if (run->write_error)
                return log_error_errno(run->write_error, "Cannot write the tree of %s: %m (%s)", name,
                                       write_error_hint(run->write_error, MACHINES_DIR, hint, sizeof(hint)));
        if (run->missing_package[0])
                return log_error_errno(-ENOENT, "Package %s not found in release %s at %s: check --include",
                                       run->missing_package, release, mirror);
        if (run->release_missing)
                return log_error_errno(-ENOENT, "Release %s not found at %s: check --release", release, mirror);
        if (run->unreachable)
                return log_error_errno(-EHOSTUNREACH, "Cannot reach %s (%s): is there a network?", mirror,
                                       run->network_error);
        /* Nothing we know: its last lines, and the whole log kept. */
        for (size_t i = run->tail_count > TAIL_LINES ? run->tail_count - TAIL_LINES : 0; i < run->tail_count; i++)
                fprintf(stderr, "  %s\n", run->tail[i % TAIL_LINES]);
        *keep_log = true;
        return log_error_errno(-EPROTO, "%s failed (exit status %d): its last lines are above, all of them in %s", run->tool,
                               status, log_path);
}

int bootstrap_tree(const struct bootstrap_options *o)
{
        _cleanup_(new_tree_done) struct new_tree tree = NEW_TREE_INIT;
        _cleanup_free_ char *tool = NULL, *host = NULL, *log_path = NULL, *what = NULL;
        _cleanup_close_ int log_fd = -EBADF;
        const struct distribution *d;
        const char *release, *mirror;
        struct tool_run run = { .log_fd = -EBADF };
        char **argv = NULL;
        bool keep_log = false;
        int r;

        r = bootstrap_options_check(o);
        if (r < 0)
                return r;
        d = distribution_find(o->distribution ?: "debian");
        release = o->release ?: d->default_release;
        mirror = o->mirror;
        if (!mirror) {
                host = host_mirror(d->name);
                mirror = host ?: d->default_mirror;
        }
        tool = find_program("mmdebstrap");
        if (!tool)
                tool = find_program("debootstrap");
        if (!tool)
                return log_error_errno(-ENOENT, "Neither mmdebstrap nor debootstrap is installed: apt-get install mmdebstrap");
        r = new_tree_begin(&tree, o->name, o->force);
        if (r < 0)
                return r;
        r = probe_mirror(mirror, release, tree.signal_fd);
        if (r == -EINTR)
                return new_tree_interrupted(&tree, "made");
        if (r < 0)
                return r;
        if (access(d->keyring, R_OK) < 0)
                return log_error_errno(-ENOKEY, "%s's archive key %s is missing, without which its packages cannot be trusted: install %s",
                                       d->pretty_name, d->keyring, d->keyring_package);
        log_info("Bootstrapping %s: %s %s from %s with %s", o->name, d->name, release, mirror, strrchr(tool, '/') + 1);

        /* The tool's output, next to the tree: kept if it fails in a way we cannot tell. */
        if (asprintf(&log_path, "%s.log", tree.temp) < 0) {
                log_path = NULL;
                return log_error_errno(-ENOMEM, "Out of memory");
        }
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0600);
        if (log_fd < 0)
                return log_error_errno(negative_errno(), "Cannot create %s: %m", log_path);
        r = bootstrap_argv(tool, o, d, release, mirror, tree.temp, &argv);
        if (r < 0) {
                (void)unlink(log_path);
                return log_error_errno(r, "Out of memory");
        }
        if (asprintf(&what, "Bootstrapping %s", o->name) < 0)
                what = NULL;
        run.tool = strrchr(tool, '/') + 1;
        run.signal_fd = tree.signal_fd;
        run.log_fd = log_fd;
        run.progress = progress_new(what ?: o->name, 0, "packages", o->quiet);
        r = tool_run(&run, argv);
        strv_free(argv);
        progress_done(TAKE_PTR(run.progress), r == 0);
        if (r == 0)
                r = prepare_tree(tree.temp, o->name);
        else if (r > 0)
                r = bootstrap_failed(&run, r, o->name, release, mirror, log_path, &keep_log);
        else if (r != -EINTR)
                r = log_error_errno(r, "Cannot run %s: %m", tool);
        if (r == 0)
                r = new_tree_commit(&tree);
        if (!keep_log)
                (void)unlink(log_path);
        if (r == -EINTR)
                return new_tree_interrupted(&tree, "made");
        if (r < 0)
                return r;
        log_info("Machine %s is ready in %s (machined-lite boot %s)", o->name, tree.path, o->name);
        return 0;
}

/* ---- The verbs -------------------------------------------------------------------- */

enum {
        ARG_FORCE = 0x100,
        ARG_DISTRIBUTION,
        ARG_RELEASE,
        ARG_INCLUDE,
        ARG_MIRROR,
};

static int exit_status(int r)
{
        if (r >= 0)
                return 0;
        if (r == -EEXIST || r == -EBUSY)
                return EXIT_BUSY;
        if (r == -EINTR)
                return 128 + interrupt_signal;
        return EXIT_SETUP_FAILED;
}

_printf_(2, 3) static int verb_usage_error(const char *verb, const char *format, ...)
{
        char line[512];
        va_list ap;

        va_start(ap, format);
        vsnprintf(line, sizeof(line), format, ap);
        va_end(ap);
        log_error("%s (see machined-lite %s --help)", line, verb);
        return EXIT_USAGE;
}

static int unknown_option(const char *verb, int c, const char *argument)
{
        if (c == ':')
                return verb_usage_error(verb, "Option '%s' needs a value", argument);
        return verb_usage_error(verb, "Unknown option '%s'", argument);
}

static int require_root(const char *verb)
{
        if (geteuid() == 0)
                return 0;
        log_error("Must be run as root: %s makes trees in %s owned by any user (try sudo machined-lite %s ...)", verb,
                  MACHINES_DIR, verb);
        return EXIT_NOT_ROOT;
}

int verb_import_tar(int argc, char *argv[])
{
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "force", no_argument, NULL, ARG_FORCE },
                { "quiet", no_argument, NULL, 'q' },
                {}
        };
        bool force = false, quiet = false;
        int c, r;

        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":hq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: machined-lite import-tar FILE|- NAME [--force] [-q]\n"
                               "\n"
                               "Unpacks a tarball (plain, gzip, xz, zstd, bzip2 or lz4, told by its content;\n"
                               "- reads standard input) into " MACHINES_DIR "/NAME, keeping owners, modes,\n"
                               "times, xattrs, ACLs, file capabilities, character devices and hard links (block\n"
                               "devices are skipped). An entry that would land outside the tree, or a write\n"
                               "error, fails the import. NAME appears whole or not at all.\n"
                               "\n"
                               "      --force   Replace an existing NAME (not while a machine runs in it)\n"
                               "  -q, --quiet   No progress and no informational messages\n"
                               "\n"
                               "Exit codes: 0 done, 1 failed (nothing is left behind), 2 bad command line,\n"
                               "3 not root, 5 NAME exists (without --force) or is running, 128+N stopped by\n"
                               "signal N (nothing is left behind).\n");
                        return 0;
                case ARG_FORCE:
                        force = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                default:
                        return unknown_option(argv[0], c, argv[optind - 1]);
                }
        if (argc - optind != 2)
                return verb_usage_error(argv[0], "import-tar needs a tarball (or - for standard input) and a machine name");
        if (!machine_name_is_valid(argv[optind + 1]))
                return verb_usage_error(argv[0],
                                        "Invalid machine name '%s': use " MACHINE_NAME_RULES,
                                        argv[optind + 1]);
        r = require_root(argv[0]);
        if (r != 0)
                return r;
        log_quiet = quiet;
        return exit_status(import_tar(argv[optind], argv[optind + 1], force, quiet));
}

int verb_bootstrap(int argc, char *argv[])
{
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "distribution", required_argument, NULL, ARG_DISTRIBUTION },
                { "release", required_argument, NULL, ARG_RELEASE },
                { "include", required_argument, NULL, ARG_INCLUDE },
                { "mirror", required_argument, NULL, ARG_MIRROR },
                { "force", no_argument, NULL, ARG_FORCE },
                { "quiet", no_argument, NULL, 'q' },
                {}
        };
        struct bootstrap_options o = {};
        struct bootstrap_settings settings = {};
        char **include = NULL;
        int c, r = 0;

        opterr = 0;
        optind = 0;
        while (r == 0 && (c = getopt_long(argc, argv, ":hq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: machined-lite bootstrap NAME [OPTIONS]\n"
                               "\n"
                               "Makes " MACHINES_DIR "/NAME a minimal Debian or Ubuntu with systemd, with\n"
                               "mmdebstrap (or debootstrap), ready to boot: empty machine-id, root locked,\n"
                               "host name NAME. NAME appears whole or not at all.\n"
                               "\n"
                               "      --distribution=DIST  debian (default) or ubuntu\n"
                               "      --release=RELEASE    Default: bookworm (debian), noble (ubuntu)\n"
                               "      --include=PKG,...    More packages, besides systemd, systemd-sysv, dbus\n"
                               "      --mirror=URL         Default: the host's apt mirror of DIST, else its archive\n"
                               "      --force              Replace an existing NAME (not while a machine runs in it)\n"
                               "  -q, --quiet              No progress and no informational messages\n"
                               "\n"
                               "Exit codes: 0 done, 1 failed (nothing is left behind), 2 bad command line,\n"
                               "3 not root, 5 NAME exists (without --force) or is running, 128+N stopped by\n"
                               "signal N (nothing is left behind).\n");
                        strv_free(include);
                        return 0;
                case ARG_DISTRIBUTION:
                        o.distribution = optarg;
                        break;
                case ARG_RELEASE:
                        o.release = optarg;
                        break;
                case ARG_INCLUDE: {
                        _cleanup_free_ char *list = strdup(optarg);
                        char *save = NULL;

                        if (!list)
                                r = -ENOMEM;
                        for (char *p = list ? strtok_r(list, ",", &save) : NULL; p && r == 0; p = strtok_r(NULL, ",", &save))
                                r = strv_extend(&include, p);
                        break;
                }
                case ARG_MIRROR:
                        o.mirror = optarg;
                        break;
                case ARG_FORCE:
                        o.force = true;
                        break;
                case 'q':
                        o.quiet = true;
                        break;
                default:
                        strv_free(include);
                        return unknown_option(argv[0], c, argv[optind - 1]);
                }
        if (r < 0) {
                strv_free(include);
                log_error_errno(r, "Out of memory");
                return EXIT_SETUP_FAILED;
        }
        if (argc - optind != 1) {
                strv_free(include);
                return verb_usage_error(argv[0], "bootstrap needs one machine name");
        }
        o.name = argv[optind];
        /* [Bootstrap] of NAME.machine, under the command line. */
        r = machine_name_is_valid(o.name) ? bootstrap_settings_load(o.name, &settings) : 0;
        if (r < 0) {
                strv_free(include);
                bootstrap_settings_done(&settings);
                return EXIT_USAGE;
        }
        if (!o.distribution)
                o.distribution = settings.distribution;
        if (!o.release)
                o.release = settings.release;
        if (!o.mirror)
                o.mirror = settings.mirror;
        if (!include && settings.include) {
                _cleanup_free_ char *list = strdup(settings.include);
                char *save = NULL;

                for (char *p = list ? strtok_r(list, ", ", &save) : NULL; p; p = strtok_r(NULL, ", ", &save))
                        if (strv_extend(&include, p) < 0)
                                break;
        }
        o.include = include;
        if (bootstrap_options_check(&o) < 0) {
                strv_free(include);
                bootstrap_settings_done(&settings);
                return EXIT_USAGE;
        }
        r = require_root(argv[0]);
        if (r != 0) {
                strv_free(include);
                bootstrap_settings_done(&settings);
                return r;
        }
        log_quiet = o.quiet;
        r = exit_status(bootstrap_tree(&o));
        strv_free(include);
        bootstrap_settings_done(&settings);
        return r;
}
