/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Each argument evaluated once. */
#define MIN(a, b)                        \
        ({                               \
                __typeof__(a) _a_ = (a); \
                __typeof__(b) _b_ = (b); \
                _a_ < _b_ ? _a_ : _b_;   \
        })
#define MAX(a, b)                        \
        ({                               \
                __typeof__(a) _a_ = (a); \
                __typeof__(b) _b_ = (b); \
                _a_ > _b_ ? _a_ : _b_;   \
        })

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* Hand ownership on: returns the value and leaves the variable empty. */
#define TAKE_FD(fd)              \
        ({                       \
                int _fd_ = (fd); \
                (fd) = -EBADF;   \
                _fd_;            \
        })
#define TAKE_PTR(p)                      \
        ({                               \
                __typeof__(p) _p_ = (p); \
                (p) = NULL;              \
                _p_;                     \
        })

static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}
