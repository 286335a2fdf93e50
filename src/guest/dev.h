/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* A fresh /dev for the guest: a tmpfs with exactly null, zero, full, random, urandom, tty,
 * ptmx, pts (a new devpts instance), shm, mqueue, fd, stdin, stdout, stderr, net/tun when
 * the host has it, and console when WITH_CONSOLE. What it creates belongs to whoever
 * makes it (see guest/fs-helper.c); OWNER is the guest root's host UID, for the tty group of
 * its ptys. Returns 0 or -errno. */
int dev_setup(int root_fd, uid_t owner, bool with_console);

/* Allocates a pty in the guest's devpts and binds its peer onto /dev/console. Returns the
 * master fd, which the supervisor relays, or -errno. */
int dev_console_create(int root_fd);

/* In the guest after pivot_root: makes /dev/console stdin, stdout and stderr, without
 * making it our controlling terminal: as the kernel starts init, so that init can hand
 * the console to a shell of its own (busybox init's askfirst needs that). */
int dev_console_attach(void);

/* An OCI container's linux.devices node at PATH (below /dev, inside the guest's /dev only):
 * a character device or FIFO (MODE's type) with MODE's permissions, owned by UID and GID
 * (host IDs). Where mknod is not allowed, the host's node at PATH is bound, keeping its
 * own mode. 0 or -errno. */
int dev_add_node(int root_fd, const char *path, mode_t mode, dev_t device, uid_t uid, gid_t gid);
