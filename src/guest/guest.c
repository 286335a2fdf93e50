/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's first process, from clone3 to exec: it waits for its mount namespace and
 * "go", enters its root, names itself, drops to the guest's filter and capabilities, and
 * execs init, or ml-init for run. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/caps.h"
#include "guest/dev.h"
#include "guest/exec-settings.h"
#include "guest/guest.h"
#include "guest/oci-start.h"
#include "guest/syscall-filter.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/sealed-exe.h"
#include "util/strv.h"

int guest_message_send(int fd, const struct guest_message *message, int pass_fd)
{
        union {
                struct cmsghdr header;
                char buffer[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *)message, .iov_len = sizeof(*message) };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (pass_fd >= 0) {
                struct cmsghdr *c;

                msg.msg_control = control.buffer;
                msg.msg_controllen = sizeof(control.buffer);
                c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
                return negative_errno();
        return 0;
}

int guest_message_receive(int fd, struct guest_message *message, int *ret_fd)
{
        union {
                struct cmsghdr header;
                char buffer[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = message, .iov_len = sizeof(*message) };
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof(control.buffer)
        };
        ssize_t n;

        *ret_fd = -1;
        do
                n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        return (int)n;
}

/* The child cannot log well: it tells the parent what failed, and the parent prints it. */
_noreturn_ _printf_(3, 4) void guest_fail(int sync_fd, int error, const char *format, ...)
{
        struct guest_message message = { .type = GUEST_FAILED, .error = error < 0 ? -error : error };

        va_list ap;

        va_start(ap, format);
        vsnprintf(message.text, sizeof(message.text), format, ap);
        va_end(ap);
        /* No parent to tell any more (an OCI container's create has returned): our stderr,
         * which its caller reads. */
        if (guest_message_send(sync_fd, &message, -1) < 0)
                fprintf(stderr, "machined-lite: %s: %s\n", message.text, strerror(message.error));
        _exit(EXIT_SETUP_FAILED);
}

/* Waits for "go"; before it the parent hands over the guest's mount namespace. */
static int wait_for_go(int sync_fd, int *ret_mount_ns)
{
        for (;;) {
                struct guest_message message;
                int fd, r;

                r = guest_message_receive(sync_fd, &message, &fd);
                if (r < 0)
                        return r;
                /* EOF: the parent died before letting us go. */
                if (r == 0)
                        return -ECANCELED;
                if (message.type == GUEST_MOUNT_NS && fd >= 0 && *ret_mount_ns < 0) {
                        *ret_mount_ns = fd;
                        continue;
                }
                if (message.type == GUEST_CGROUP_NS) {
                        if (fd >= 0)
                                close(fd);
                        if (unshare(CLONE_NEWCGROUP) < 0)
                                return negative_errno();
                        continue;
                }
                if (fd >= 0)
                        close(fd);
                return message.type == GUEST_GO ? 0 : -ECANCELED;
        }
}

static int loopback_up(void)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = { .ifr_name = "lo" };

        if (fd < 0)
                return negative_errno();
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return negative_errno();
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return negative_errno();
        return 0;
}

/* Container Interface: what PID 1 finds in its environment. */
static char **guest_environment(const struct machine *m)
{
        char **env = NULL, uuid[80];
        const char *term = getenv("TERM");

        (void)strv_extend(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        (void)strv_extend(&env, "container=machined-lite");
        snprintf(uuid, sizeof(uuid), "container_uuid=" SD_ID128_UUID_FORMAT_STR, SD_ID128_FORMAT_VAL(m->uuid));
        (void)strv_extend(&env, uuid);
        (void)strv_extend(&env, "HOME=/root");
        (void)strv_extend(&env, "USER=root");
        (void)strv_extend(&env, "LOGNAME=root");
        (void)strv_extend(&env, "NOTIFY_SOCKET=" GUEST_NOTIFY_SOCKET);
        if (term) {
                char line[256];

                snprintf(line, sizeof(line), "TERM=%s", term);
                (void)strv_extend(&env, line);
        } else
                (void)strv_extend(&env, "TERM=vt220");
        exec_settings_host_environment(&env);
        if (m->n_credentials > 0)
                (void)strv_extend(&env, "CREDENTIALS_DIRECTORY=/run/host/credentials");
        exec_settings_environment(m, &env);
        for (size_t i = 0; m->setenv && m->setenv[i]; i++)
                (void)strv_env_set(&env, m->setenv[i]);
        return env;
}

void guest_send_fd(int sync_fd, enum guest_message_type type, int fd)
{
        struct guest_message message = { .type = type };

        if (guest_message_send(sync_fd, &message, fd) < 0)
                _exit(EXIT_SETUP_FAILED);
        close(fd);
}

_noreturn_ static void exec_init(const struct guest_setup *setup, char **env)
{
        const struct machine *m = setup->machine;
        char **argv = NULL;
        int r = setup->with_console ? dev_console_attach() : 0;

        if (r < 0)
                guest_fail(setup->sync_fd, r, "Failed to attach /dev/console");
        (void)strv_extend(&argv, m->init_path);
        for (size_t i = 0; m->arguments && m->arguments[i]; i++)
                (void)strv_extend(&argv, m->arguments[i]);
        execve(m->init_path, argv, env);
        guest_fail(setup->sync_fd, -errno, "Failed to execute init %s in the guest", m->init_path);
}

/* systemd-nspawn COMMAND (no -b, no -a): the command itself is PID 1, looked up in the
 * guest's PATH, as its user (-u). When it cannot be run, the supervisor is told why, and
 * exits 127 (not found) or 126. */
_noreturn_ static void exec_command(const struct guest_setup *setup, char **env)
{
        const struct machine *m = setup->machine;
        struct guest_message message = { .type = GUEST_EXEC_FAILED };
        int r = setup->with_console ? dev_console_attach() : 0;

        if (r < 0)
                guest_fail(setup->sync_fd, r, "Failed to attach /dev/console");
        /* No init to hand the console on: the command is the session's leader with the
         * console as its terminal, so that a shell has job control (podman run -it sh,
         * systemd-nspawn COMMAND, as both give it). */
        if (setup->with_console && ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to make /dev/console the command's terminal");
        if (!m->oci) /* an OCI container's became its user before its capabilities went */
                exec_settings_become_user(m, setup->sync_fd);
        /* execvpe() looks the name up in our own PATH: the guest's, from now on. */
        environ = env;
        if (m->login_shell) {
                /* nspawn's: bash as a login shell, else sh, in the user's home. */
                if (!m->working_directory)
                        (void)chdir(getenv("HOME") ?: "/");
                execve("/bin/bash", (char *[]){ (char *)"-bash", NULL }, env);
                execve("/bin/sh", (char *[]){ (char *)"-sh", NULL }, env);
        } else
                execvpe(m->arguments[0], m->arguments, env);
        message.error = errno;
        snprintf(message.text, sizeof(message.text), "Cannot run %s in the guest (looked up with PATH=%s)",
                 m->arguments[0], getenv("PATH") ?: "");
        /* An OCI container's create has returned by now: its caller reads our stderr. */
        if (m->oci)
                fprintf(stderr, "machined-lite-oci: %s: %s\n", message.text, strerror(message.error));
        (void)guest_message_send(setup->sync_fd, &message, -1);
        _exit(message.error == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

/* `run`: PID 1 is ml-init, from a sealed memfd copy of the one we carry, so that
 * /proc/1/exe leads the guest to that copy, never to a binary of the host's. */
_noreturn_ static void exec_ml_init(const struct guest_setup *setup, char **env)
{
        const struct machine *m = setup->machine;
        size_t size = (size_t)(ml_init_binary_end - ml_init_binary);
        char **argv = NULL;
        int fd;

        fd = exec_memfd_create("ml-init");
        if (fd < 0)
                guest_fail(setup->sync_fd, fd, "Failed to copy ml-init into a memfd");
        if (write(fd, ml_init_binary, size) != (ssize_t)size || exec_memfd_seal(fd) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to copy ml-init into a memfd");
        (void)strv_extend(&argv, "ml-init");
        (void)strv_extend(&argv, setup->with_console ? "--console" : "--no-console");
        if (m->run_user) {
                char *user = NULL;

                if (exec_settings_user_argument(m, &user) < 0 || strv_extend(&argv, user) < 0)
                        guest_fail(setup->sync_fd, -ENOMEM, "Failed to pass --user to ml-init");
                free(user);
        }
        /* systemd-nspawn -a without a command: a login shell, in $HOME unless --chdir. */
        if (m->login_shell && strv_extend(&argv, m->working_directory ? "--login-shell-here" : "--login-shell") < 0)
                guest_fail(setup->sync_fd, -ENOMEM, "Failed to pass --login-shell to ml-init");
        (void)strv_extend(&argv, "--");
        for (size_t i = 0; m->arguments && m->arguments[i]; i++)
                (void)strv_extend(&argv, m->arguments[i]);
        /* From here on the command reports its own failure, on its stderr. */
        syscall(SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH);
        guest_fail(setup->sync_fd, -errno, "Failed to execute ml-init in the guest");
}

/* Nothing of the supervisor's but the std fds and the sync socket comes along, and no
 * terminal: the guest is on its own, and dies with the supervisor, however it goes. */
static void leave_supervisor(const struct guest_setup *setup)
{
        const struct machine *m = setup->machine;
        /* An OCI container's create --preserve-fds: the caller's fds 3 to 3+N-1 (ours are
         * all above them) go on to its process. */
        int keep[2] = { setup->sync_fd, m->oci ? oci_start_fifo(m) : -1 },
            low = 3 + (m->oci ? (int)oci_preserved_fds(m) : 0);
        sigset_t all;

        /* wait_for_go()'s read catches the window before this was set. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* All but the sync socket (and an OCI container's FIFO for start), in order. */
        if (keep[1] >= 0 && keep[1] < keep[0]) {
                int t = keep[0];

                keep[0] = keep[1];
                keep[1] = t;
        }
        for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
                if (keep[i] < 0)
                        continue;
                if (keep[i] > low)
                        (void)close_range((unsigned)low, (unsigned)keep[i] - 1, 0);
                low = MAX(low, keep[i] + 1);
        }
        (void)close_range((unsigned)low, ~0U, 0);
        /* A session of our own, without a controlling terminal: else /dev/tty in the
         * guest would open the user's terminal, and TIOCSTI on it type into the host's
         * shell. Only the guest's own console pty can become its terminal. */
        if (setsid() < 0)
                _exit(EXIT_SETUP_FAILED);
        sigemptyset(&all);
        (void)sigprocmask(SIG_SETMASK, &all, NULL);
}

/* The guest root's credentials, and its mount namespace MOUNT_NS, whose root and
 * working directory become ours. */
static void enter_guest_root(const struct guest_setup *setup, int mount_ns)
{
        int sync_fd = setup->sync_fd;

        /* In a user namespace we still carry host root's credentials until we take the
         * guest root's, now that the parent has written the maps. */
        if (setup->machine->private_users != PRIVATE_USERS_NO &&
            (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0))
                guest_fail(sync_fd, -errno, "Failed to become root of the guest's user namespace");
        /* The change of credentials cleared it: the guest still dies with the supervisor. */
        if (setup->machine->private_users != PRIVATE_USERS_NO)
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (setns(mount_ns, CLONE_NEWNS) < 0)
                guest_fail(sync_fd, -errno, "Failed to enter the guest's mount namespace");
        close(mount_ns);
        if (chdir("/") < 0)
                guest_fail(sync_fd, -errno, "Failed to enter the guest's root directory");
}

/* Its host name, and with a network of its own, lo up. */
static void set_up_uts_and_network(const struct guest_setup *setup)
{
        const struct machine *m = setup->machine;
        int r;

        if (m->hostname && sethostname(m->hostname, strlen(m->hostname)) < 0)
                guest_fail(setup->sync_fd, -errno, "Failed to set the host name %s", m->hostname);
        if (m->private_network) {
                r = loopback_up();
                if (r < 0)
                        guest_fail(setup->sync_fd, r, "Failed to bring up lo in the private network");
        }
}

/* The filter first, while we still may load one; then the capabilities. */
static void lock_down(const struct guest_setup *setup)
{
        const struct machine *m = setup->machine;
        int r;

        /* SYSTEMD_SECCOMP=0 (systemd-nspawn's command line): no filter at all, as nspawn. */
        if (m->seccomp_off)
                r = m->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
        else
                r = syscall_filter_apply(m->syscall_allow, m->syscall_deny, m->no_new_privileges, m->suppress_sync);
        if (r < 0)
                guest_fail(setup->sync_fd, r, "Failed to install the system call filter");
        r = caps_apply(caps_for_guest(m));
        if (r < 0)
                guest_fail(setup->sync_fd, r, "Failed to drop capabilities");
}

_noreturn_ void guest_main(const struct guest_setup *setup)
{
        const struct machine *m = setup->machine;
        int sync_fd = setup->sync_fd, mount_ns = -EBADF, r;

        leave_supervisor(setup);
        /* A container's init waits for start as our binary (a sealed copy: util/sealed-exe.h),
         * holding the state's FIFO: in a PID namespace it shares (the host's, a pod's),
         * nothing without CAP_SYS_PTRACE may open its /proc files. Its exec of
         * process.args makes it dumpable again. */
        if (m->oci)
                (void)prctl(PR_SET_DUMPABLE, 0);
        /* process.execCPUAffinity.initial: where we run while we enter (final: later). */
        if (m->oci && oci_initial_cpu_affinity(m))
                exec_settings_cpu_affinity(sync_fd, oci_initial_cpu_affinity(m));
        r = wait_for_go(sync_fd, &mount_ns);
        if (r < 0 || mount_ns < 0)
                _exit(EXIT_SETUP_FAILED);
        /* Loaded here, while the host's libraries are still in reach; the supervisor
         * never keeps them (see util/dl.h). */
        if (caps_load() < 0 || syscall_filter_load() < 0)
                guest_fail(sync_fd, -EOPNOTSUPP, "Failed to load libcap.so.2 and libseccomp.so.2");
        if (m->oci) {
                oci_apply_sysctl(setup);
                oci_make_time_namespace(setup);
        }
        enter_guest_root(setup, mount_ns);
        set_up_uts_and_network(setup);
        if (m->oci)
                oci_set_domainname(setup);
        umask(m->oci ? oci_umask(m) : 0022);
        exec_settings_apply(m, sync_fd);
        if (m->oci) {
                oci_apply_scheduling(setup);
                oci_become_user(setup);
        } else
                lock_down(setup);

        if (m->verb == VERB_RUN)
                exec_ml_init(setup, guest_environment(m));
        if (m->oci)
                oci_wait_for_start(setup);
        if (m->verb == VERB_EXEC)
                exec_command(setup, m->oci ? oci_environment(m) : guest_environment(m));
        exec_init(setup, guest_environment(m));
}
