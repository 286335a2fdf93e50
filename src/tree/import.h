/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* New machine trees in /var/lib/machines, made whole or not at all: each is built in a
 * temporary directory /var/lib/machines/.#NAME.XXXXXX and renamed to NAME at the end;
 * on failure, or on SIGINT, SIGTERM or SIGHUP (blocked meanwhile, and watched), the
 * temporary directory is removed. With FORCE an existing tree of that name is replaced
 * (swapped for the new one, then removed), unless a running machine holds it.
 *
 * Both log one line on failure and return -errno: -EEXIST when NAME exists (without
 * force), -EBUSY when a machine uses it, -EINTR when a signal stopped the work (then
 * new_tree_interrupt_signal() says which). */

/* Unpacks the tarball INPUT ("-": stdin), compressed or not (gzip, xz, zstd, bzip2,
 * lz4, told by content), with libarchive into /var/lib/machines/NAME, keeping owners
 * (numeric IDs), modes, times, xattrs, ACLs, file capabilities, file flags, device nodes
 * and hard links. An entry that would land outside the tree (an absolute path, "..",
 * or a path through a symlink in the tree) fails the whole import. */
int import_tar(const char *input, const char *name, bool force, bool quiet);

/* What a new tree is bootstrapped from: filled by the command line (bootstrap) and,
 * later, by a settings file. NULL members take the defaults. */
struct bootstrap_options {
        const char *name;
        const char *distribution;   /* "debian" (default) or "ubuntu" */
        const char *release;        /* default: bookworm for debian, noble for ubuntu */
        char **include;             /* packages besides systemd, systemd-sysv and dbus */
        const char *mirror;         /* default: the host's own mirror of that distribution,
                                     * else its main archive */
        bool force;
        bool quiet;
};

/* Makes /var/lib/machines/NAME a minimal installation (variant minbase) with
 * mmdebstrap, or debootstrap when mmdebstrap is missing, and prepares it to boot: an
 * empty /etc/machine-id (systemd fills it in from $container_uuid), root's password
 * locked, the console allowed in /etc/securetty if there is one, /etc/hostname NAME. */
int bootstrap_tree(const struct bootstrap_options *o);

/* The signal that made import_tar() or bootstrap_tree() return -EINTR. */
int new_tree_interrupt_signal(void);

/* The verbs: argv[0] is the verb's name. They return the exit status: 0, 1 (failed),
 * 2 (bad command line), 3 (not root), 5 (NAME exists, or a running machine uses it),
 * 128+N (stopped by signal N, nothing left behind). */
int verb_import_tar(int argc, char *argv[]);
int verb_bootstrap(int argc, char *argv[]);
