/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"
#include "util/macro.h"

/* The parent and the guest child talk over a SOCK_SEQPACKET pair: the parent says "go"
 * once the child is placed (cgroup now; uid maps and registration later), the child
 * sends the console's pty master, or what failed. The child's end is O_CLOEXEC, so
 * a successful exec of init reads as EOF on the parent's end. */
enum guest_message_type {
        GUEST_GO = 1,           /* parent → child */
        GUEST_CONSOLE,          /* child → parent, with the pty master as SCM_RIGHTS */
        GUEST_NOTIFY,           /* child → parent, with the guest's notify socket as SCM_RIGHTS */
        GUEST_MOUNT_NS,         /* file system helper → parent → child, before "go": the guest's mount namespace */
        GUEST_FAILED,           /* child → parent: text says which step, error the errno */
        GUEST_CGROUP_NS,        /* parent → child, before "go", on a hybrid host: in its v1 cgroups now, it
                                 * makes its cgroup namespace (cgroup-v1.h) */
        GUEST_EXEC_FAILED,      /* child → parent: systemd-nspawn's COMMAND (PID 1) cannot be run */
        GUEST_READY,            /* child → parent (OCI): all set up, waiting for start (oci/state.h) */
        GUEST_SECCOMP_LISTENER, /* child → parent (OCI), before "ready": the SCMP_ACT_NOTIFY listener
                                 * end of its seccomp filter as SCM_RIGHTS, for listenerPath */
};

struct guest_message {
        int type;
        int error;
        char text[240];
};

/* Where the guest's init finds the socket for sd_notify() (Container Interface). */
#define GUEST_NOTIFY_SOCKET "/run/host/notify"

struct guest_setup {
        const struct machine *machine;
        bool with_console; /* allocate a pty as /dev/console (all modes but pipe) */
        int sync_fd;
};

/* Runs in the child after clone3, in the new namespaces: waits for its mount namespace
 * (see guest/fs-helper.h) and "go", enters it, and execs init (or ml-init for `run`) with the
 * capabilities and system call filter of a guest. Never returns. */
_noreturn_ void guest_main(const struct guest_setup *setup);

/* Tells the parent on SYNC_FD which step failed, and exits the child. */
_noreturn_ _printf_(3, 4) void guest_fail(int sync_fd, int error, const char *format, ...);

/* Hands FD (console pty master, notify socket, mount namespace) to the parent, and
 * closes it here. */
void guest_send_fd(int sync_fd, enum guest_message_type type, int fd);

int guest_message_send(int fd, const struct guest_message *message, int pass_fd);
/* Returns the bytes read (0 on EOF) or -errno; *ret_fd gets a passed fd, or -1. */
int guest_message_receive(int fd, struct guest_message *message, int *ret_fd);

/* The static ml-init (src/guest/ml-init.c), carried in our binary (the generated ml-init-blob.c). */
extern const char ml_init_binary[], ml_init_binary_end[];
