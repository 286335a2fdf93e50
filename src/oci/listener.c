/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* linux.seccomp.listenerPath: the listener end of the container's SCMP_ACT_NOTIFY rules goes
 * to the unix socket there, with the container process state (config-linux.md, "The
 * container process state"): what a seccomp agent needs to answer for the container. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "oci/listener.h"
#include "util/json.h"
#include "util/log.h"
#include "util/macro.h"

int oci_listener_send(const struct oci_seccomp *seccomp, const struct oci_state *state, enum oci_status status,
                      pid_t pid, int notify_fd)
{
        _cleanup_close_ int sock = -EBADF;
        _cleanup_free_ char *text = NULL;
        struct sockaddr_un address = { .sun_family = AF_UNIX };
        size_t size = 0;
        FILE *f;
        union {
                struct cmsghdr header;
                char buffer[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov;
        struct msghdr message = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof(control.buffer)
        };

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "{\"ociVersion\": \"%s\", \"fds\": [\"seccompFd\"], \"pid\": %d, \"metadata\": ", oci_spec_version(),
                (int)pid);
        json_print_string(seccomp->listener_metadata ?: "", f);
        fputs(", \"state\": ", f);
        oci_state_print(f, state, status);
        fputs("}", f);
        if (fclose(f) != 0 || !text)
                return -ENOMEM;
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return log_error_errno(-errno, "Cannot make a socket for the seccomp listener: %m");
        /* (Its length was checked when config.json was read.) */
        strncpy(address.sun_path, seccomp->listener_path, sizeof(address.sun_path) - 1);
        if (connect(sock, (struct sockaddr *)&address, sizeof(address)) < 0)
                return log_error_errno(-errno, "Cannot reach the seccomp listener at %s (linux.seccomp.listenerPath): %m",
                                       seccomp->listener_path);
        iov = (struct iovec){ text, size };
        CMSG_FIRSTHDR(&message)->cmsg_level = SOL_SOCKET;
        CMSG_FIRSTHDR(&message)->cmsg_type = SCM_RIGHTS;
        CMSG_FIRSTHDR(&message)->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(CMSG_FIRSTHDR(&message)), &notify_fd, sizeof(int));
        if (sendmsg(sock, &message, MSG_NOSIGNAL) != (ssize_t)size)
                return log_error_errno(-errno, "Cannot hand the seccomp notifications to %s: %m", seccomp->listener_path);
        return 0;
}
