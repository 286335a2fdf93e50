/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host end of the guest's /dev/console: the pty master relayed to our stdout and our
 * stdin to it, the terminal in raw mode for interactive (Ctrl-] three times within a
 * second kills the machine). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "host/console.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/time.h"

#define ESCAPE_CHAR 0x1d /* Ctrl-] */
#define ESCAPE_WINDOW_USEC 1000000ULL

enum console_mode console_mode_pick(enum console_mode requested, enum verb verb)
{
        bool in_tty = isatty(STDIN_FILENO), out_tty = isatty(STDOUT_FILENO), err_tty = isatty(STDERR_FILENO);

        switch (requested) {
        case CONSOLE_AUTOPIPE:
                return in_tty && out_tty ? CONSOLE_INTERACTIVE : CONSOLE_PIPE;
        case CONSOLE_DEFAULT:
                if (in_tty && out_tty)
                        return CONSOLE_INTERACTIVE;
                /* A booted init wants a /dev/console; a command in a pipeline wants its
                 * fds as they are, but only if none of them is a terminal (TIOCSTI). */
                if (verb == VERB_RUN && !in_tty && !out_tty && !err_tty)
                        return CONSOLE_PIPE;
                return CONSOLE_READ_ONLY;
        default:
                return requested;
        }
}

static void restore_terminal(struct console_relay *relay)
{
        if (relay->terminal_raw) {
                (void)tcsetattr(STDIN_FILENO, TCSADRAIN, &relay->saved_termios);
                relay->terminal_raw = false;
                log_terminal_raw = false;
        }
}

/* Three Ctrl-] within a second end the machine, as in systemd-nspawn. */
static bool escape_pressed(struct console_relay *relay, const char *buf, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                uint64_t now;

                if (buf[i] != ESCAPE_CHAR) {
                        relay->escape_count = 0;
                        continue;
                }
                now = now_usec();
                if (relay->escape_count == 0 || now - relay->escape_first_usec > ESCAPE_WINDOW_USEC) {
                        relay->escape_count = 1;
                        relay->escape_first_usec = now;
                } else if (++relay->escape_count >= 3)
                        return true;
        }
        return false;
}

static int write_all(int fd, const char *buf, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, buf, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                buf += k;
                n -= (size_t)k;
        }
        return 0;
}

/* Guest → user. Returns 0, or -EAGAIN when there is nothing (more) to read now. */
static int relay_output(struct console_relay *relay)
{
        char buf[8192];
        ssize_t n = read(relay->master, buf, sizeof(buf));

        if (n < 0)
                return negative_errno();
        if (n == 0)
                return -EIO;
        if (!relay->discard_output)
                (void)write_all(STDOUT_FILENO, buf, (size_t)n);
        return 0;
}

static int flush_input(struct console_relay *relay)
{
        while (relay->input_size > 0) {
                ssize_t n = write(relay->master, relay->input, relay->input_size);

                if (n < 0)
                        return errno == EINTR ? 0 : negative_errno();
                memmove(relay->input, relay->input + n, relay->input_size - (size_t)n);
                relay->input_size -= (size_t)n;
        }
        return 0;
}

static void update_events(struct console_relay *relay)
{
        /* While input waits for the guest, stop reading more of it. */
        if (relay->master_source)
                (void)event_source_set_io_events(relay->master_source, EPOLLIN | (relay->input_size > 0 ? EPOLLOUT : 0));
        if (relay->stdin_source)
                (void)event_source_set_enabled(relay->stdin_source, relay->input_size > 0 ? EVENT_OFF : EVENT_ON);
}

static int on_retry(struct event_source *s _unused_, uint64_t usec _unused_, void *userdata)
{
        struct console_relay *relay = userdata;

        (void)event_source_set_enabled(relay->master_source, EVENT_ON);
        return 0;
}

static int on_master(struct event_source *s _unused_, int fd _unused_, uint32_t revents, void *userdata)
{
        struct console_relay *relay = userdata;
        int r = 0;

        if (revents & EPOLLOUT)
                (void)flush_input(relay);
        if (revents & (EPOLLIN | EPOLLHUP)) {
                for (int i = 0; i < 16 && (r = relay_output(relay)) == 0; i++)
                        ;
                if (r == -EIO) {
                        /* No one in the guest has the console open right now (init
                         * between two opens): the master reports a hangup until someone
                         * does, so look again in a moment instead of spinning. */
                        (void)event_source_set_enabled(relay->master_source, EVENT_OFF);
                        (void)event_source_set_time_relative(relay->retry_source, 50000);
                        (void)event_source_set_enabled(relay->retry_source, EVENT_ONESHOT);
                        return 0;
                }
        }
        update_events(relay);
        return 0;
}

static int on_stdin(struct event_source *s, int fd, uint32_t revents _unused_, void *userdata)
{
        struct console_relay *relay = userdata;
        ssize_t n = read(fd, relay->input, sizeof(relay->input));

        if (n <= 0) {
                /* EOF on our stdin: the guest keeps running, it just gets no more input. */
                if (n == 0 || (errno != EINTR && errno != EAGAIN))
                        (void)event_source_set_enabled(s, EVENT_OFF);
                return 0;
        }
        if (escape_pressed(relay, relay->input, (size_t)n)) {
                relay->input_size = 0;
                relay->on_escape(relay->userdata);
                return 0;
        }
        relay->input_size = (size_t)n;
        (void)flush_input(relay);
        update_events(relay);
        return 0;
}

static void copy_window_size(struct console_relay *relay)
{
        struct winsize ws;

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void)ioctl(relay->master, TIOCSWINSZ, &ws);
}

static int on_winch(struct event_source *s _unused_, const struct signalfd_siginfo *si _unused_, void *userdata)
{
        copy_window_size(userdata);
        return 0;
}

static void restore_terminal_at_exit(void);
static struct console_relay *exit_relay;

static void restore_terminal_at_exit(void)
{
        if (exit_relay)
                restore_terminal(exit_relay);
}

int console_relay_start(struct console_relay *relay, struct event *event, int master, enum console_mode mode)
{
        int r;

        relay->master = master;
        relay->forward_input = mode == CONSOLE_INTERACTIVE;
        relay->discard_output = mode == CONSOLE_PASSIVE;
        copy_window_size(relay);

        r = event_add_io(event, &relay->master_source, master, EPOLLIN, on_master, relay);
        if (r < 0)
                return r;
        r = event_add_time_relative(event, &relay->retry_source, 50000, on_retry, relay);
        if (r < 0)
                return r;
        (void)event_source_set_enabled(relay->retry_source, EVENT_OFF);
        r = event_add_signal(event, &relay->winch_source, SIGWINCH, on_winch, relay);
        if (r < 0)
                return r;

        if (relay->forward_input) {
                r = event_add_io(event, &relay->stdin_source, STDIN_FILENO, EPOLLIN, on_stdin, relay);
                if (r < 0)
                        return r;
                if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &relay->saved_termios) >= 0) {
                        struct termios raw = relay->saved_termios;

                        /* Every key goes to the guest as it is: Ctrl-C stops the guest's
                         * program, not us. */
                        cfmakeraw(&raw);
                        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) >= 0) {
                                relay->terminal_raw = true;
                                log_terminal_raw = true;
                                exit_relay = relay;
                                (void)atexit(restore_terminal_at_exit);
                        }
                }
        }
        return 0;
}

void console_relay_stop(struct console_relay *relay)
{
        /* The guest is gone: what it wrote last is still in the pty. */
        if (relay->master >= 0)
                for (int i = 0; i < 64 && relay_output(relay) == 0; i++)
                        ;
        restore_terminal(relay);
        relay->master_source = event_source_free(relay->master_source);
        relay->stdin_source = event_source_free(relay->stdin_source);
        relay->winch_source = event_source_free(relay->winch_source);
        relay->retry_source = event_source_free(relay->retry_source);
        if (relay->master >= 0)
                close(relay->master);
        relay->master = -1;
}

int console_open_guest_pty(int root_fd, uid_t owner, int *ret_master, int *ret_peer)
{
        _cleanup_close_ int master = -EBADF;
        struct winsize ws;
        struct stat st;
        int unlock = 0, peer;

        /* A new pty belongs to whoever opens ptmx: the guest's root, so that what runs
         * there can hand the pty on to its user. */
        if (owner) {
                (void)setfsuid(owner);
                (void)setfsgid(owner);
        }
        master = open_in_root(root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK, 0);
        if (owner) {
                (void)setfsuid(0);
                (void)setfsgid(0);
        }
        if (master < 0)
                return master;
        /* The guest's root may have put anything there, a FUSE file whose server answers
         * TIOCGPTPEER with the number of a fd of ours (our terminal) included: only the
         * pty multiplexer's device goes on. */
        if (fstat(master, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2))
                return -ENOTTY;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return negative_errno();
        peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                return negative_errno();
        /* Sized before what runs on it starts, so that its first look at it is right. */
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) >= 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 ||
            ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void)ioctl(master, TIOCSWINSZ, &ws);
        *ret_master = TAKE_FD(master);
        *ret_peer = peer;
        return 0;
}
