/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The words of new trees' messages (messages.h): what a write error asks the user to
 * do, and names from archives and tools made fit for a terminal. Not the logging
 * itself (util/log.h). */
#include <errno.h>
#include <stdio.h>

#include "tree/messages.h"

bool is_write_error(int error)
{
        return error == -ENOSPC || error == -EDQUOT || error == -EIO || error == -EROFS || error == -EFBIG;
}

const char *write_error_hint(int error, const char *dir, char *buf, size_t size)
{
        switch (error) {
        case -ENOSPC:
                snprintf(buf, size, "free space in %s, or make room on its file system, and try again", dir);
                break;
        case -EDQUOT:
                snprintf(buf, size, "the disk quota on %s is used up: free some, or raise it", dir);
                break;
        case -EIO:
                snprintf(buf, size, "the disk under %s failed a write: see the kernel log (dmesg)", dir);
                break;
        case -EROFS:
                snprintf(buf, size, "%s is on a read-only file system: remount it read-write", dir);
                break;
        case -EFBIG:
                snprintf(buf, size, "a file too large for the file system of %s", dir);
                break;
        default:
                snprintf(buf, size, "nothing was made in %s", dir);
        }
        return buf;
}

/* A name from an archive or a tool, for a message on a terminal: no control characters. */
const char *printable(const char *s, char *buf, size_t size)
{
        size_t i;

        for (i = 0; s && s[i] && i + 1 < size; i++)
                buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        buf[i] = '\0';
        return buf;
}
