/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machined-lite-oci exec: one more process in a running container (podman exec, CRI-O's
 * ExecSync, kubectl exec), as runc runs it: the container's namespaces, root, cgroups,
 * capabilities and seccomp profile (config.json's), with the process of --process or of
 * the command line. It is made by a helper in our PID namespace that enters the
 * container's and forks it, so that it is born inside; with --detach we are gone once it
 * runs (its caller, a subreaper like conmon, inherits it), else we wait and pass its
 * status on. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/guest-user.h"
#include "config/machine.h"
#include "config/options.h"
#include "guest/caps.h"
#include "guest/exec-settings.h"
#include "guest/guest.h"
#include "guest/oci-start.h"
#include "guest/syscall-filter.h"
#include "host/console.h"
#include "oci/config.h"
#include "oci/enter.h"
#include "oci/listener.h"
#include "oci/process.h"
#include "oci/state.h"
#include "oci/verbs.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/path.h"
#include "util/strv.h"

struct exec_args {
        const char *process, *cwd, *user, *pid_file, *console_socket;
        char **env, **caps, **gids, **cgroups;
        bool tty, detach, no_new_privs, ignore_paused;
        unsigned preserve_fds;
};

enum {
        EXEC_PROCESS = 0x100,
        EXEC_CWD,
        EXEC_ENV,
        EXEC_TTY,
        EXEC_USER,
        EXEC_ADDITIONAL_GIDS,
        EXEC_DETACH,
        EXEC_PID_FILE,
        EXEC_CONSOLE_SOCKET,
        EXEC_CAP,
        EXEC_NO_NEW_PRIVS,
        EXEC_IGNORE_PAUSED,
        EXEC_PRESERVE_FDS,
        EXEC_LABEL,
        EXEC_APPARMOR,
        EXEC_CGROUP,
};

static int exec_option(int c, const char *value, void *userdata)
{
        struct exec_args *a = userdata;

        switch (c) {
        case EXEC_PROCESS:
                a->process = value;
                return 0;
        case EXEC_CWD:
                a->cwd = value;
                return 0;
        case EXEC_ENV:
                if (!strchr(value, '=') || value[0] == '=')
                        return oci_usage("exec: --env takes VARIABLE=VALUE, not '%s'", value);
                return strv_extend(&a->env, value) < 0 ? OCI_EXIT_FAILED : 0;
        case EXEC_TTY:
                a->tty = true;
                return 0;
        case EXEC_USER:
                a->user = value;
                return 0;
        case EXEC_DETACH:
                a->detach = true;
                return 0;
        case EXEC_PID_FILE:
                a->pid_file = value;
                return 0;
        case EXEC_CONSOLE_SOCKET:
                a->console_socket = value;
                return 0;
        case EXEC_CAP:
                return strv_extend(&a->caps, value) < 0 ? OCI_EXIT_FAILED : 0;
        case EXEC_NO_NEW_PRIVS:
                a->no_new_privs = true;
                return 0;
        case EXEC_IGNORE_PAUSED:
                a->ignore_paused = true;
                return 0;
        case EXEC_PRESERVE_FDS:
                return oci_parse_preserve_fds("exec", value, &a->preserve_fds);
        case EXEC_ADDITIONAL_GIDS:
                return strv_extend(&a->gids, value) < 0 ? OCI_EXIT_FAILED : 0;
        case EXEC_LABEL:
                return oci_usage("exec: --process-label: this host has no SELinux for machined-lite to label with");
        case EXEC_APPARMOR:
                return oci_usage("exec: --apparmor: this host has no AppArmor for machined-lite to apply a profile with");
        case EXEC_CGROUP:
                return strv_extend(&a->cgroups, value) < 0 ? OCI_EXIT_FAILED : 0;
        }
        return oci_usage("exec: unknown option");
}

/* --user UID[:GID], numbers as runc takes them. */
static int parse_user(const char *value, struct machine *m)
{
        unsigned long uid, gid;
        char *end;

        errno = 0;
        uid = strtoul(value, &end, 10);
        gid = uid;
        if (!errno && end != value && *end == ':') {
                const char *g = end + 1;

                gid = strtoul(g, &end, 10);
                if (end == g)
                        errno = EINVAL;
        }
        if (errno || end == value || *end || uid >= UINT32_MAX || gid >= UINT32_MAX)
                return oci_usage("exec: --user takes UID[:GID] (numbers), not '%s'", value);
        /* The primary group replaced; config.json's additionalGids kept, as runc does. */
        m->run_user->uid = (uid_t)uid;
        m->run_user->gid = (gid_t)gid;
        return 0;
}

/* --additional-gids GID (or -g, as often as wanted): added to the process's groups. */
static int add_gids(char **gids, struct guest_user *u)
{
        for (size_t i = 0; gids && gids[i]; i++) {
                unsigned long gid;
                gid_t *grown;
                char *end;

                errno = 0;
                gid = strtoul(gids[i], &end, 10);
                if (errno || end == gids[i] || *end || gids[i][0] == '-' || gid >= UINT32_MAX)
                        return oci_usage("exec: --additional-gids takes a GID (a number), not '%s'", gids[i]);
                grown = realloc(u->groups, (u->n_groups + 1) * sizeof(*grown));
                if (!grown)
                        return OCI_EXIT_FAILED;
                u->groups = grown;
                u->groups[u->n_groups++] = (gid_t)gid;
        }
        return 0;
}

/* The command line's process on top of config.json's: COMMAND (after the ID), --env
 * added to its environment, --cwd, --user, --cap, --no-new-privs, --tty, as runc does. */
static int command_line_process(const struct exec_args *a, char **command, struct machine *m, struct oci_container *c)
{
        strv_free(m->arguments);
        m->arguments = NULL;
        for (size_t i = 0; command[i]; i++)
                if (strv_extend(&m->arguments, command[i]) < 0)
                        return OCI_EXIT_FAILED;
        for (size_t i = 0; a->env && a->env[i]; i++)
                if (strv_extend(&m->setenv, a->env[i]) < 0)
                        return OCI_EXIT_FAILED;
        if (a->cwd) {
                if (a->cwd[0] != '/')
                        return oci_usage("exec: --cwd takes an absolute path in the container, not '%s'", a->cwd);
                free(m->working_directory);
                m->working_directory = strdup(a->cwd);
                if (!m->working_directory)
                        return OCI_EXIT_FAILED;
        }
        if (a->user) {
                int r = parse_user(a->user, m);

                if (r != 0)
                        return r;
        }
        if (a->gids) {
                int r = add_gids(a->gids, m->run_user);

                if (r != 0)
                        return r;
        }
        for (size_t i = 0; a->caps && a->caps[i]; i++) {
                const char *bad = NULL;
                uint64_t mask;

                if (caps_parse(a->caps[i], &mask, &bad) < 0)
                        return oci_usage("exec: --cap %s: no capability this kernel has", bad ?: a->caps[i]);
                m->caps_add |= mask;
                m->caps_drop &= ~mask;
        }
        if (a->no_new_privs)
                m->no_new_privileges = true;
        c->terminal = a->tty;
        return 0;
}

/* The container as it was created, its process replaced by the one to run. */
static int exec_machine(const struct exec_args *a, char **command, const struct oci_global *g,
                        const struct oci_state *s, struct machine *m, struct oci_container *c)
{
        int r;

        c->id = strdup(s->id);
        c->bundle = strdup(s->bundle);
        /* config.json as create read it, kept in our state: the bundle's may have changed
         * since, and may be the container's own to write (root.path "."). */
        if (!c->id || !c->bundle || asprintf(&c->config_file, "%s/%s/config.json", g->root, s->id) < 0)
                return OCI_EXIT_FAILED;
        r = oci_config_load(c, m);
        if (r < 0)
                return r == -ENOMEM ? OCI_EXIT_FAILED : OCI_EXIT_USAGE;
        m->oci = c;
        c->preserve_fds = a->preserve_fds;
        if (a->process) {
                r = oci_process_load(c, m, a->process);
                if (r < 0)
                        return r == -ENOMEM ? OCI_EXIT_FAILED : OCI_EXIT_USAGE;
        } else {
                if (!command || !command[0])
                        return oci_usage("exec: no command given (after the ID, or --process FILE)");
                r = command_line_process(a, command, m, c);
                if (r != 0)
                        return r;
        }
        /* Until it execs, the process is machined-lite's binary: a guest root that may trace
         * it (CAP_SYS_PTRACE over the host's user namespace: granted, and no user namespace
         * of the container's) could open /proc/PID/exe and, once no process of ours runs
         * it, write the host's binary (runc's CVE-2019-5736). Not done. */
        if (m->private_users == PRIVATE_USERS_NO && (caps_for_guest(m) & (UINT64_C(1) << CAP_SYS_PTRACE))) {
                log_error("exec: container %s has CAP_SYS_PTRACE and no user namespace: its root could take hold of "
                          "machined-lite's binary through the process before it runs; exec is refused for such a "
                          "container (give it a user namespace, or no CAP_SYS_PTRACE)",
                          s->id);
                return OCI_EXIT_FAILED;
        }
        if (c->terminal != !!a->console_socket)
                return oci_usage(c->terminal ? "exec: a terminal is asked for: give --console-socket for its pty"
                                             : "exec: --console-socket given, but no terminal is asked for");
        return 0;
}

/* The process itself, in the container's PID namespace, which a guest root sees and may
 * trace: born with nothing more than the container gives (the helper made itself the
 * container's user, capabilities and filter first) and no fd but its stdio and the sync
 * socket (closed at exec). It takes the pty as its terminal and execs. */
_noreturn_ static void exec_process(const struct machine *m, int sync_fd, int peer)
{
        struct guest_message message = { .type = GUEST_EXEC_FAILED };
        sigset_t none;

        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        if (peer >= 0) {
                if (setsid() < 0 || ioctl(peer, TIOCSCTTY, 0) < 0)
                        guest_fail(sync_fd, -errno, "Failed to make the pty the process's terminal");
                for (int i = 0; i < 3; i++)
                        if (dup2(peer, i) < 0)
                                guest_fail(sync_fd, -errno, "Failed to attach the pty");
                close(peer);
        }
        execvpe(m->arguments[0], m->arguments, environ);
        message.error = errno;
        snprintf(message.text, sizeof(message.text), "Cannot run %s in the container (looked up with PATH=%s)",
                 m->arguments[0], getenv("PATH") ?: "");
        (void)guest_message_send(sync_fd, &message, -1);
        _exit(message.error == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

/* No fd of ours or of our caller's but stdio, --preserve-fds's PRESERVED (3 to 3+N-1),
 * the sync socket (moved to the next) and the pty's peer (the one after, or -1): the
 * container's init fds among them, which a guest root could take from the process before
 * it execs. Each is moved up out of the way first, so that neither lands on the other. */
static void keep_only_stdio(unsigned preserved, int *sync_fd, int *peer)
{
        int base = 3 + (int)preserved;
        int sync_high = fcntl(*sync_fd, F_DUPFD_CLOEXEC, base + 2);
        int peer_high = *peer >= 0 ? fcntl(*peer, F_DUPFD_CLOEXEC, base + 2) : -1;

        if (sync_high < 0 || (*peer >= 0 && peer_high < 0) || dup3(sync_high, base, O_CLOEXEC) < 0)
                guest_fail(*sync_fd, -errno, "Failed to move the sync socket");
        *sync_fd = base;
        if (*peer >= 0) {
                if (dup3(peer_high, base + 1, O_CLOEXEC) < 0)
                        guest_fail(*sync_fd, -errno, "Failed to move the pty");
                *peer = base + 1;
        }
        (void)close_range((unsigned)(*peer >= 0 ? base + 2 : base + 1), ~0U, 0);
}

/* The helper, in the container's cgroup (clone3) but in our PID namespace, where the guest
 * cannot see it (unless it is in the host's: the helper is not dumpable): the container's
 * v1 cgroups and namespaces and root, then all that the container's init did before its
 * exec (umask, rlimits and the like, the user, the capabilities, the seccomp profile), and
 * only then the process, which it reports by a pidfd; it waits for the process unless
 * DETACH, and exits with its status. */
_noreturn_ static void exec_helper(const struct machine *m, const struct oci_container_entry *e, int sync_fd, int peer,
                                   bool detach)
{
        struct guest_setup setup = { .machine = m };
        struct guest_message ready = { .type = GUEST_READY };
        const char *step = NULL;
        int process_fd, r, status;
        pid_t pid;

        (void)prctl(PR_SET_DUMPABLE, 0);
        if (caps_load() < 0 || syscall_filter_load() < 0)
                guest_fail(sync_fd, -EOPNOTSUPP, "Failed to load libcap.so.2 and libseccomp.so.2");
        if (oci_initial_cpu_affinity(m))
                exec_settings_cpu_affinity(sync_fd, oci_initial_cpu_affinity(m));
        /* Before the container's user namespace, where it could not go lower (inherited
         * by the process). */
        r = exec_settings_oom_score(m, 0);
        if (r < 0)
                guest_fail(sync_fd, r, "Failed to set the OOM score adjustment (process.oomScoreAdj)");
        r = oci_container_enter(e, &step);
        if (r < 0)
                guest_fail(sync_fd, r, "Failed to enter the %s of the container", step);
        keep_only_stdio(m->oci->preserve_fds, &sync_fd, &peer);
        setup.sync_fd = sync_fd;
        umask(oci_umask(m));
        exec_settings_apply(m, sync_fd);
        oci_apply_scheduling(&setup);
        oci_become_user(&setup);
        environ = oci_environment(m);
        /* After the change of user, which clears it. */
        if (!detach)
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        pid = fork();
        if (pid < 0)
                guest_fail(sync_fd, -errno, "Failed to fork the process");
        if (pid == 0)
                exec_process(m, sync_fd, peer);
        /* Told by a pidfd, not a number: the process holds the socket until it execs, and a
         * guest root that took it from there could send a PID, but no pidfd of a process
         * outside the container. */
        process_fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (process_fd < 0)
                guest_fail(sync_fd, -errno,
                           "Failed to open a pidfd of the process (does the container's seccomp profile refuse pidfd_open?)");
        oci_send_seccomp_listener(sync_fd);
        (void)guest_message_send(sync_fd, &ready, process_fd);
        close(process_fd);
        close(sync_fd);
        if (peer >= 0)
                close(peer);
        if (detach)
                _exit(0);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(EXIT_SETUP_FAILED);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* The PID, as we see it, of the process a pidfd is of (its fdinfo's "Pid:"). */
static pid_t pidfd_pid(int pidfd)
{
        char path[64], text[1024], *line;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        if (read_small_file(AT_FDCWD, path, text, sizeof(text)) < 0 || !(line = strstr(text, "\nPid:")))
                return -1;
        return (pid_t)strtol(line + 5, NULL, 10);
}

/* Until the sync socket's EOF (the process runs, or died): a pidfd of it and its PID, or
 * what failed. The first pidfd is the helper's; any later message is the guest's, and
 * can only end exec with a failure. Returns 0, or our exit code after the line. */
static int wait_for_process(int sync_fd, int *ret_process_fd, pid_t *ret_pid, int *ret_listener)
{
        struct guest_message message;
        int fd, r;

        for (;;) {
                r = guest_message_receive(sync_fd, &message, &fd);
                if (r < 0)
                        return log_error_errno(r, "Cannot hear from the exec helper: %m"), OCI_EXIT_FAILED;
                if (r == 0) {
                        /* (Its PID is -1 if it is gone already: a quick one, reaped.) */
                        if (*ret_process_fd >= 0)
                                return 0;
                        log_error("The exec helper died before the process ran");
                        return OCI_EXIT_FAILED;
                }
                if (message.type == GUEST_READY && *ret_process_fd < 0 && fd >= 0) {
                        *ret_process_fd = TAKE_FD(fd);
                        *ret_pid = pidfd_pid(*ret_process_fd);
                }
                if (message.type == GUEST_SECCOMP_LISTENER && *ret_process_fd < 0 && *ret_listener < 0 && fd >= 0)
                        *ret_listener = TAKE_FD(fd);
                if (fd >= 0)
                        close(fd);
                message.text[sizeof(message.text) - 1] = '\0';
                if (message.type == GUEST_EXEC_FAILED) {
                        log_error("%s: %s", message.text, strerror(message.error));
                        return message.error == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
                }
                if (message.type == GUEST_FAILED) {
                        log_error("%s: %s", message.text, strerror(message.error));
                        return OCI_EXIT_FAILED;
                }
        }
}

/* Without --detach: the signals we are sent go to the process, until the helper, which
 * waits for it, ends with its status. */
static int relay_until_exit(pid_t helper, int process_fd)
{
        static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
        sigset_t mask;
        int status;

        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&mask, forwarded[i]);
        sigaddset(&mask, SIGCHLD);
        for (;;) {
                int sig = sigwaitinfo(&mask, NULL);

                if (sig > 0 && sig != SIGCHLD)
                        (void)pidfd_send_signal(process_fd, sig, NULL, 0);
                if (waitpid(helper, &status, WNOHANG) == helper)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
}

static int run_exec(const struct exec_args *a, const struct oci_state *s, const struct machine *m,
                    const struct oci_container *c)
{
        static const int blocked[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD };
        struct oci_container_entry e = OCI_CONTAINER_ENTRY_INIT;
        _cleanup_close_ int master = -EBADF, peer = -EBADF, helper_fd = -EBADF, process_fd = -EBADF, listener = -EBADF;
        int pair[2] = { -1, -1 }, r;
        pid_t helper, process = 0;
        int clone_errno = 0;
        sigset_t mask, old;

        r = oci_container_open(s, &e);
        if (r < 0) {
                oci_container_entry_done(&e);
                return OCI_EXIT_STATE;
        }
        r = oci_container_sub_cgroups(&e, s, a->cgroups);
        if (r < 0) {
                oci_container_entry_done(&e);
                return r == -EINVAL ? OCI_EXIT_USAGE : OCI_EXIT_FAILED;
        }
        if (c->terminal) {
                r = console_open_guest_pty(e.root_fd, e.root_uid, &master, &peer);
                if (r < 0) {
                        oci_container_entry_done(&e);
                        return log_error_errno(r, "Cannot open a pty in /dev/pts of container %s: %m", s->id),
                               OCI_EXIT_FAILED;
                }
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
                oci_container_entry_done(&e);
                return log_error_errno(-errno, "Cannot make a socket pair: %m"), OCI_EXIT_FAILED;
        }
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(blocked); i++)
                sigaddset(&mask, blocked[i]);
        (void)sigprocmask(SIG_BLOCK, &mask, &old);
        {
                struct clone3_args args = {
                        .flags = CLONE_PIDFD | CLONE_INTO_CGROUP,
                        .pidfd = (uint64_t)(uintptr_t)&helper_fd,
                        .exit_signal = SIGCHLD,
                        .cgroup = (uint64_t)e.cgroup_fd,
                };

                helper = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
                clone_errno = errno;
                /* No process may join the container's cgroup any more: its init's, as
                 * runc falls back to (not for a sub-cgroup --cgroup named). */
                if (helper < 0 && clone_errno == EBUSY && !e.sub_cgroup && oci_container_use_init_cgroup(&e, s) == 0) {
                        args.cgroup = (uint64_t)e.cgroup_fd;
                        helper = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
                        clone_errno = errno;
                }
        }
        if (helper == 0) {
                close(pair[0]);
                exec_helper(m, &e, pair[1], peer, a->detach);
        }
        close(pair[1]);
        oci_container_entry_done(&e);
        if (helper < 0) {
                close(pair[0]);
                return log_error_errno(-clone_errno, "Cannot start a process in container %s's cgroup (%s%s): %m",
                                       s->id, s->cgroup, a->cgroups ? " or the sub-cgroup --cgroup names" : ""),
                       OCI_EXIT_FAILED;
        }
        if (peer >= 0)
                peer = (close(peer), -EBADF);
        r = wait_for_process(pair[0], &process_fd, &process, &listener);
        close(pair[0]);
        /* The exec'd process's own filter, as the container's init's went at create. */
        if (r == 0 && listener >= 0 && oci_listener_send(c->seccomp, s, OCI_RUNNING, process, listener) < 0)
                r = OCI_EXIT_FAILED;
        if (r == 0 && c->terminal) {
                oci_set_console_size(c, master);
                r = oci_send_console(a->console_socket, master) < 0 ? OCI_EXIT_FAILED : 0;
        }
        if (r == 0 && a->pid_file && process > 0)
                r = oci_write_pid_file(a->pid_file, process) < 0 ? OCI_EXIT_FAILED : 0;
        if (r != 0 || a->detach) {
                if (r != 0 && process_fd >= 0)
                        (void)pidfd_send_signal(process_fd, SIGKILL, NULL, 0);
                (void)waitpid(helper, NULL, 0);
                return r;
        }
        return relay_until_exit(helper, process_fd);
}

int oci_verb_exec(const struct oci_global *g, int argc, char *argv[])
{
        static const struct option options[] = {
                { "process", required_argument, NULL, EXEC_PROCESS },
                { "p", required_argument, NULL, EXEC_PROCESS },
                { "cwd", required_argument, NULL, EXEC_CWD },
                { "env", required_argument, NULL, EXEC_ENV },
                { "e", required_argument, NULL, EXEC_ENV },
                { "tty", no_argument, NULL, EXEC_TTY },
                { "t", no_argument, NULL, EXEC_TTY },
                { "user", required_argument, NULL, EXEC_USER },
                { "u", required_argument, NULL, EXEC_USER },
                { "additional-gids", required_argument, NULL, EXEC_ADDITIONAL_GIDS },
                { "g", required_argument, NULL, EXEC_ADDITIONAL_GIDS },
                { "detach", no_argument, NULL, EXEC_DETACH },
                { "d", no_argument, NULL, EXEC_DETACH },
                { "pid-file", required_argument, NULL, EXEC_PID_FILE },
                { "console-socket", required_argument, NULL, EXEC_CONSOLE_SOCKET },
                { "cap", required_argument, NULL, EXEC_CAP },
                { "c", required_argument, NULL, EXEC_CAP },
                { "no-new-privs", no_argument, NULL, EXEC_NO_NEW_PRIVS },
                { "ignore-paused", no_argument, NULL, EXEC_IGNORE_PAUSED },
                { "preserve-fds", required_argument, NULL, EXEC_PRESERVE_FDS },
                { "process-label", required_argument, NULL, EXEC_LABEL },
                { "apparmor", required_argument, NULL, EXEC_APPARMOR },
                { "cgroup", required_argument, NULL, EXEC_CGROUP },
                {},
        };
        _cleanup_(machine_donep) struct machine m = MACHINE_INIT;
        struct oci_container c = OCI_CONTAINER_INIT;
        struct exec_args a = {};
        struct oci_state s = {};
        enum oci_status status;
        const char *id;
        int r;

        r = oci_parse_verb_options(argc, argv, options, exec_option, &a);
        if (r == 0)
                r = oci_load_container(g, argc, argv, optind, &id, &s);
        if (r != 0)
                goto out;
        status = oci_state_status(g->root, &s);
        if (status == OCI_STOPPED || (status == OCI_PAUSED && !a.ignore_paused)) {
                log_error("container %s is %s: exec needs it created or running", id, oci_status_name(status));
                r = OCI_EXIT_STATE;
                goto out;
        }
        r = exec_machine(&a, argv + optind + 1, g, &s, &m, &c);
        if (r == 0)
                r = run_exec(&a, &s, &m, &c);
out:
        m.oci = NULL;
        oci_container_done(&c);
        oci_state_done(&s);
        strv_free(a.env);
        strv_free(a.caps);
        strv_free(a.gids);
        strv_free(a.cgroups);
        return r;
}
