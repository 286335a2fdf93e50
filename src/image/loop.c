/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loop devices over a partition's bytes of an image file (LOOP_CONFIGURE), direct I/O
 * where it can, autoclear, read-only when asked. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "image/loop.h"
#include "util/macro.h"

/* Before Linux 5.8 there is no LOOP_CONFIGURE: the device is set up in two steps. */
static int configure_old_way(int loop_fd, const struct loop_config *config)
{
        if (ioctl(loop_fd, LOOP_SET_FD, config->fd) < 0)
                return negative_errno();
        if (ioctl(loop_fd, LOOP_SET_STATUS64, &config->info) < 0) {
                int r = negative_errno();

                (void)ioctl(loop_fd, LOOP_CLR_FD);
                return r;
        }
        return 0;
}

static int configure(int loop_fd, struct loop_config *config)
{
        if (ioctl(loop_fd, LOOP_CONFIGURE, config) >= 0)
                return 0;
        if (errno == EINVAL && (config->info.lo_flags & LO_FLAGS_DIRECT_IO)) {
                /* The backing file cannot do direct I/O at this offset (tmpfs, say):
                 * the page cache it is. */
                config->info.lo_flags &= ~(uint32_t)LO_FLAGS_DIRECT_IO;
                return configure(loop_fd, config);
        }
        if (errno == EINVAL || errno == ENOTTY) {
                config->info.lo_flags &= ~(uint32_t)LO_FLAGS_DIRECT_IO;
                return configure_old_way(loop_fd, config);
        }
        return negative_errno();
}

int loop_attach(int backing_fd, uint64_t offset, uint64_t size, bool read_only, char ret_path[static LOOP_PATH_MAX])
{
        _cleanup_close_ int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

        if (control < 0)
                return negative_errno();
        /* Another process may take the free device between our asking and our
         * configuring it: then ask again. */
        for (int attempt = 0; attempt < 64; attempt++) {
                struct loop_config config = {
                        .fd = (uint32_t)backing_fd,
                        .info = {
                                .lo_offset = offset,
                                .lo_sizelimit = size,
                                .lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO | (read_only ? LO_FLAGS_READ_ONLY : 0),
                        },
                };
                int nr = ioctl(control, LOOP_CTL_GET_FREE), fd, r;

                if (nr < 0)
                        return negative_errno();
                snprintf(ret_path, LOOP_PATH_MAX, "/dev/loop%d", nr);
                fd = open(ret_path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
                if (fd < 0) {
                        if (errno == ENOENT || errno == ENXIO)
                                continue;
                        return negative_errno();
                }
                r = configure(fd, &config);
                if (r == 0)
                        return fd;
                close(fd);
                if (r != -EBUSY)
                        return r;
        }
        return -EBUSY;
}
