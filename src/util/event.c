/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One epoll for the supervisor's whole life (util/event.h): sources of four kinds, a
 * signalfd shared by the signal sources, timers as epoll_wait()'s timeout. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/event.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/time.h"

enum source_type {
        SOURCE_IO,
        SOURCE_SIGNAL,
        SOURCE_CHILD,
        SOURCE_TIME,
};

struct event_source {
        struct event *event;
        struct event_source *next;
        enum source_type type;
        enum event_enabled enabled;
        bool in_epoll;
        bool dead; /* freed while the loop dispatches: released after the batch */
        int fd;    /* io: the fd; child: the pidfd */
        uint32_t events;
        int signal;
        uint64_t deadline; /* time: CLOCK_MONOTONIC, in µs */
        union {
                event_io_handler_t io;
                event_signal_handler_t signal;
                event_child_handler_t child;
                event_time_handler_t time;
        } handler;
        void *userdata;
};

struct event {
        int epoll_fd;
        int signal_fd;
        sigset_t signal_mask;
        struct event_source *sources;
        unsigned n_sources;
        bool dispatching;
        bool unreferenced; /* event_free() was called: gone with its last source */
        bool exiting;
        int exit_code;
};

int event_new(struct event **ret)
{
        struct event *e = calloc(1, sizeof(*e));

        if (!e)
                return -ENOMEM;
        e->signal_fd = -1;
        sigemptyset(&e->signal_mask);
        e->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (e->epoll_fd < 0) {
                int r = negative_errno();

                free(e);
                return r;
        }
        *ret = e;
        return 0;
}

static void event_release(struct event *e)
{
        if (!e->unreferenced || e->n_sources > 0)
                return;
        close(e->epoll_fd);
        if (e->signal_fd >= 0)
                close(e->signal_fd);
        free(e);
}

struct event *event_free(struct event *e)
{
        if (e) {
                e->unreferenced = true;
                event_release(e);
        }
        return NULL;
}

/* io and child sources are in the epoll exactly while they are enabled. */
static int source_update_epoll(struct event_source *s)
{
        struct epoll_event ev = { .events = s->type == SOURCE_IO ? s->events : EPOLLIN, .data.ptr = s };
        bool want = s->enabled != EVENT_OFF && !s->dead;

        if (s->type != SOURCE_IO && s->type != SOURCE_CHILD)
                return 0;
        if (want == s->in_epoll) {
                if (!want)
                        return 0;
                return epoll_ctl(s->event->epoll_fd, EPOLL_CTL_MOD, s->fd, &ev) < 0 ? negative_errno() : 0;
        }
        if (epoll_ctl(s->event->epoll_fd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->fd, &ev) < 0)
                return negative_errno();
        s->in_epoll = want;
        return 0;
}

/* The signalfd reads exactly the signals some live source wants. */
static int update_signal_fd(struct event *e)
{
        sigset_t mask;
        int fd;

        sigemptyset(&mask);
        for (struct event_source *s = e->sources; s; s = s->next)
                if (s->type == SOURCE_SIGNAL && !s->dead)
                        sigaddset(&mask, s->signal);
        fd = signalfd(e->signal_fd, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (e->signal_fd < 0) {
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = e };

                if (epoll_ctl(e->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        int r = negative_errno();

                        close(fd);
                        return r;
                }
                e->signal_fd = fd;
        }
        e->signal_mask = mask;
        return 0;
}

static void source_release(struct event_source *s)
{
        struct event *e = s->event;

        for (struct event_source **p = &e->sources; *p; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        break;
                }
        free(s);
        e->n_sources--;
        event_release(e);
}

static int source_add(struct event *e, struct event_source **ret, enum source_type type, enum event_enabled enabled,
                      int fd, void *userdata, struct event_source **created)
{
        struct event_source *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        *s = (struct event_source){
                .event = e, .next = e->sources, .type = type, .enabled = enabled, .fd = fd, .userdata = userdata
        };
        e->sources = s;
        e->n_sources++;
        *created = s;
        r = source_update_epoll(s);
        if (r < 0) {
                s->enabled = EVENT_OFF;
                source_release(s);
                return r;
        }
        if (ret)
                *ret = s;
        return 0;
}

int event_add_io(struct event *e, struct event_source **ret, int fd, uint32_t events, event_io_handler_t handler,
                 void *userdata)
{
        struct event_source *s;
        int r;

        /* The handler is set before the source can fire: nothing fires before the loop. */
        r = source_add(e, NULL, SOURCE_IO, EVENT_OFF, fd, userdata, &s);
        if (r < 0)
                return r;
        s->events = events;
        s->handler.io = handler;
        r = event_source_set_enabled(s, EVENT_ON);
        if (r < 0) {
                source_release(s);
                return r;
        }
        *ret = s;
        return 0;
}

int event_add_signal(struct event *e, struct event_source **ret, int signal, event_signal_handler_t handler,
                     void *userdata)
{
        struct event_source *s;
        int r = source_add(e, NULL, SOURCE_SIGNAL, EVENT_ON, -1, userdata, &s);

        if (r < 0)
                return r;
        s->signal = signal;
        s->handler.signal = handler;
        r = update_signal_fd(e);
        if (r < 0) {
                source_release(s);
                return r;
        }
        *ret = s;
        return 0;
}

int event_add_child_pidfd(struct event *e, struct event_source **ret, int pidfd, event_child_handler_t handler,
                          void *userdata)
{
        struct event_source *s;
        int r = source_add(e, ret, SOURCE_CHILD, EVENT_ONESHOT, pidfd, userdata, &s);

        if (r < 0)
                return r;
        s->handler.child = handler;
        return 0;
}

int event_add_time_relative(struct event *e, struct event_source **ret, uint64_t usec, event_time_handler_t handler,
                            void *userdata)
{
        struct event_source *s;
        int r = source_add(e, ret, SOURCE_TIME, EVENT_ONESHOT, -1, userdata, &s);

        if (r < 0)
                return r;
        s->deadline = now_usec() + usec;
        s->handler.time = handler;
        return 0;
}

int event_source_set_enabled(struct event_source *s, enum event_enabled enabled)
{
        enum event_enabled old = s->enabled;
        int r;

        s->enabled = enabled;
        r = source_update_epoll(s);
        if (r < 0)
                s->enabled = old;
        return r;
}

int event_source_set_io_events(struct event_source *s, uint32_t events)
{
        uint32_t old = s->events;
        int r;

        s->events = events;
        r = source_update_epoll(s);
        if (r < 0)
                s->events = old;
        return r;
}

int event_source_set_time_relative(struct event_source *s, uint64_t usec)
{
        s->deadline = now_usec() + usec;
        return 0;
}

struct event_source *event_source_free(struct event_source *s)
{
        if (!s)
                return NULL;
        (void)event_source_set_enabled(s, EVENT_OFF);
        s->dead = true;
        if (s->type == SOURCE_SIGNAL)
                (void)update_signal_fd(s->event);
        if (!s->event->dispatching)
                source_release(s);
        return NULL;
}

void event_exit(struct event *e, int code)
{
        if (e->exiting)
                return;
        e->exiting = true;
        e->exit_code = code;
}

/* A handler's error disables its source, as sd-event does; ONESHOT sources are off
 * once dispatched. */
static void dispatched(struct event_source *s, int r)
{
        if (r < 0) {
                (void)log_error_errno(r, "An event handler of the supervisor failed, its source is disabled: %m");
                (void)event_source_set_enabled(s, EVENT_OFF);
        } else if (s->enabled == EVENT_ONESHOT && !s->dead)
                (void)event_source_set_enabled(s, EVENT_OFF);
}

static void dispatch_signals(struct event *e)
{
        struct signalfd_siginfo si;

        while (!e->exiting && read(e->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                for (struct event_source *s = e->sources; s && !e->exiting; s = s->next)
                        if (s->type == SOURCE_SIGNAL && !s->dead && s->enabled != EVENT_OFF &&
                            s->signal == (int)si.ssi_signo) {
                                if (s->enabled == EVENT_ONESHOT)
                                        s->enabled = EVENT_OFF;
                                dispatched(s, s->handler.signal(s, &si, s->userdata));
                        }
}

static void dispatch_child(struct event_source *s)
{
        siginfo_t si = { 0 };

        if (waitid(P_PIDFD, (id_t)s->fd, &si, WEXITED | WNOHANG) < 0) {
                dispatched(s, negative_errno());
                return;
        }
        if (si.si_pid == 0)
                return; /* not exited yet */
        dispatched(s, s->handler.child(s, &si, s->userdata));
}

/* The earliest enabled timer's wait for epoll_wait(), in ms, rounded up; -1 for none. */
static int next_timeout(const struct event *e)
{
        uint64_t first = UINT64_MAX, now;

        for (const struct event_source *s = e->sources; s; s = s->next)
                if (s->type == SOURCE_TIME && !s->dead && s->enabled != EVENT_OFF)
                        first = MIN(first, s->deadline);
        if (first == UINT64_MAX)
                return -1;
        now = now_usec();
        if (first <= now)
                return 0;
        return (int)MIN((first - now + 999) / 1000, (uint64_t)INT32_MAX);
}

static void dispatch_timers(struct event *e)
{
        uint64_t now = now_usec();

        for (struct event_source *s = e->sources; s && !e->exiting; s = s->next)
                if (s->type == SOURCE_TIME && !s->dead && s->enabled != EVENT_OFF && s->deadline <= now) {
                        /* A timer fires once; set_enabled() arms it again. */
                        s->enabled = EVENT_OFF;
                        dispatched(s, s->handler.time(s, s->deadline, s->userdata));
                }
}

static void release_dead(struct event *e)
{
        struct event_source *s = e->sources, *next;

        for (; s; s = next) {
                next = s->next;
                if (s->dead)
                        source_release(s);
        }
}

static void dispatch_batch(struct event *e, const struct epoll_event *events, int n)
{
        e->dispatching = true;
        for (int i = 0; i < n && !e->exiting; i++) {
                struct event_source *s = events[i].data.ptr;

                if ((void *)s == (void *)e) {
                        dispatch_signals(e);
                        continue;
                }
                if (s->dead || s->enabled == EVENT_OFF)
                        continue;
                if (s->type == SOURCE_CHILD)
                        dispatch_child(s);
                else
                        dispatched(s, s->handler.io(s, s->fd, events[i].events, s->userdata));
        }
        if (!e->exiting)
                dispatch_timers(e);
        e->dispatching = false;
        release_dead(e);
}

int event_loop(struct event *e)
{
        struct epoll_event events[16];

        while (!e->exiting) {
                int n = epoll_wait(e->epoll_fd, events, ELEMENTSOF(events), next_timeout(e));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                dispatch_batch(e, events, n);
        }
        return e->exit_code;
}
