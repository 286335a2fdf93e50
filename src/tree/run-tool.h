/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The programs that bootstrap runs to do its work (mmdebstrap, debootstrap): found in
 * sbin and bin whatever our PATH, run as their own process group in a mount namespace
 * of their own, their output read line by line while they run. */

/* NAME's path where such tools are installed, as a new string; NULL when it is not. */
char *find_program(const char *name);

/* Runs ARGV (ARGV[0] a path) with LC_ALL=C, no questions asked (DEBIAN_FRONTEND) and
 * standard input from /dev/null. Its output, standard error too, goes to LOG_FD (unless
 * -EBADF) and, a line at a time (without its end, cut at 1023 bytes), to LINE. Returns its
 * exit status (128+N when killed by signal N), or -EINTR when an interrupt came on
 * SIGNAL_FD (new-tree.h: the tool and all it started are stopped then), or -errno. */
int tool_run(char *const argv[], int signal_fd, int log_fd, void (*line)(const char *line, void *userdata),
             void *userdata);
