/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

/* The supervisor's event loop: file descriptors, signals, a child's exit and timers on
 * one epoll, with sd-event's shape (the subset we use). Not sd-event itself: that keeps
 * libsystemd and all it links (libgcrypt, liblz4, libzstd, liblzma, libcap: 1.1 MiB of
 * resident memory) mapped for the machine's whole life, while the supervisor needs the
 * rest of libsystemd only during set-up (util/libsystemd.h). */
struct event;
struct event_source;

typedef int (*event_io_handler_t)(struct event_source *source, int fd, uint32_t revents, void *userdata);
typedef int (*event_signal_handler_t)(struct event_source *source, const struct signalfd_siginfo *si, void *userdata);
typedef int (*event_child_handler_t)(struct event_source *source, const siginfo_t *si, void *userdata);
typedef int (*event_time_handler_t)(struct event_source *source, uint64_t usec, void *userdata);

enum event_enabled {
        EVENT_OFF,
        EVENT_ON,
        EVENT_ONESHOT, /* off again once dispatched */
};

int event_new(struct event **ret);
struct event *event_free(struct event *e);

/* A handler's negative return disables its source (logged), as sd-event does; the loop
 * goes on. io and signal sources start EVENT_ON, child and time sources EVENT_ONESHOT.
 * An io source does not own its fd. */
int event_add_io(struct event *e, struct event_source **ret, int fd, uint32_t events, event_io_handler_t handler,
                 void *userdata);
/* SIGNAL must be blocked already (sigprocmask): it is read from the loop's signalfd. */
int event_add_signal(struct event *e, struct event_source **ret, int signal, event_signal_handler_t handler,
                     void *userdata);
/* PIDFD's process exiting: it is reaped (WEXITED) and its siginfo handed to HANDLER. The
 * source does not own PIDFD. */
int event_add_child_pidfd(struct event *e, struct event_source **ret, int pidfd, event_child_handler_t handler,
                          void *userdata);
/* CLOCK_MONOTONIC, USEC from now. */
int event_add_time_relative(struct event *e, struct event_source **ret, uint64_t usec, event_time_handler_t handler,
                            void *userdata);

int event_source_set_enabled(struct event_source *s, enum event_enabled enabled);
int event_source_set_io_events(struct event_source *s, uint32_t events);
int event_source_set_time_relative(struct event_source *s, uint64_t usec);
/* Disables and frees S (safe from its own handler); NULL is fine. Returns NULL. */
struct event_source *event_source_free(struct event_source *s);

/* Ends event_loop() once the current handler returns, with CODE. */
void event_exit(struct event *e, int code);
/* Dispatches until event_exit(): its code, or -errno when waiting itself fails. */
int event_loop(struct event *e);
