/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <termios.h>

#include "config/machine.h"
#include "util/event.h"

/* The host side of the guest's /dev/console: relays the pty master to our stdout and
 * (interactive) our stdin to it, with the user's terminal in raw mode. */
struct console_relay {
        int master;
        bool forward_input;  /* interactive: the user's keys go to the guest */
        bool discard_output; /* passive: the pty is there, but shown nowhere */
        bool terminal_raw;   /* we changed stdin's termios and must restore it */
        struct termios saved_termios;
        char input[4096]; /* stdin → master, not yet written */
        size_t input_size;
        unsigned escape_count; /* Ctrl-] presses in a row */
        uint64_t escape_first_usec;
        struct event_source *master_source, *stdin_source, *winch_source, *retry_source;
        void (*on_escape)(void *userdata); /* three Ctrl-] within a second */
        void *userdata;
};

/* Resolves CONSOLE_DEFAULT and CONSOLE_AUTOPIPE from what our std fds are. */
enum console_mode console_mode_pick(enum console_mode requested, enum verb verb);

/* A new pty of the guest whose root directory is ROOT_FD, from its own devpts, as a login
 * in the guest would get: `tty` there names a /dev/pts/N the guest sees. Its ptmx is
 * opened with RESOLVE_IN_ROOT, so that a guest's symlinks cannot hand us a host device,
 * as OWNER (the guest's root, whom its user namespace maps; 0 for none), and checked to
 * be the pty multiplexer; the peer comes from the master (TIOCGPTPEER), with no path to
 * race on. Sized as our terminal, if we have one. 0 or -errno (-ENOTTY: not a ptmx). */
int console_open_guest_pty(int root_fd, uid_t owner, int *ret_master, int *ret_peer);

/* Takes the master fd, sets the terminal up and starts relaying on EVENT. */
int console_relay_start(struct console_relay *relay, struct event *event, int master, enum console_mode mode);

/* Writes out what the guest printed last (after it exited), restores the terminal. */
void console_relay_stop(struct console_relay *relay);
