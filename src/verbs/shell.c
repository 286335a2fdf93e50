/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shell NAME [COMMAND]: a command or login shell in a running machine, entered through
 * pidfds and setns, with a pty relayed to the caller's terminal, and its status passed
 * on. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
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
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/guest-user.h"
#include "config/machine.h"
#include "config/options.h"
#include "guest/caps.h"
#include "guest/guest.h"
#include "guest/syscall-filter.h"
#include "host/cgroup-v1.h"
#include "host/cgroup.h"
#include "host/console.h"
#include "host/state.h"
#include "util/event.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/path.h"
#include "util/pidref.h"
#include "util/sealed-exe.h"
#include "util/strv.h"
#include "verbs/running.h"
#include "verbs/shell.h"

#define SHELL_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct shell_arguments {
        const char *name;
        const char *user; /* --uid=, a name or a number; root by default */
        char **setenv;    /* --setenv= assignments, in order */
        char **command;   /* after NAME (and "--"): what to run instead of a login shell */
};

struct shell {
        struct machine_state state;
        const struct shell_arguments *arguments;
        struct guest_user user;
        char **syscall_allow, **syscall_deny;
        int leader_pidfd;  /* the machine's PID 1 */
        int proc_fd;       /* its /proc/PID */
        int root_fd;       /* its root directory */
        bool join_user_ns; /* its user namespace is not ours */
        int cgroup_fd;     /* where the shell starts (see open_leader_cgroup()) */
        int master, peer;  /* the pty, or -1 for none */
        bool on_pty[3];    /* which of stdin, stdout, stderr the command gets as the pty */
        pid_t pid;
        int pidfd;   /* the shell's */
        int sync_fd; /* our end of the socket the shell reports failures on */
        struct event *event;
        struct console_relay relay;
        struct event_source *child_source, *signal_sources[3];
        bool escaped;
};

#define SHELL_INIT                                                                                           \
        {                                                                                                    \
                .leader_pidfd = -1, .proc_fd = -1, .root_fd = -1, .cgroup_fd = -1, .master = -1, .peer = -1, \
                .pidfd = -1, .sync_fd = -1, .relay = {                                                       \
                        .master = -1                                                                         \
                }                                                                                            \
        }

/* What we are asked to end with, handed on to the shell: it decides (an interactive
 * shell ignores SIGTERM and SIGINT, as it would on any terminal). */
static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void shell_arguments_done(struct shell_arguments *a)
{
        strv_free(a->setenv);
        a->setenv = NULL;
}

/* Whether a word that is no option comes before "--" (the NAME): getopt moves it behind
 * "--", where it looks like the command's first word. */
static bool name_before_dashes(int argc, char *argv[])
{
        for (int i = 1; i < argc; i++) {
                const char *word = argv[i];

                if (strcmp(word, "--") == 0)
                        return false;
                if (word[0] != '-' || word[1] == '\0')
                        return true;
                /* An option whose value is the next word. */
                if (strcmp(word, "--uid") == 0 || strcmp(word, "--setenv") == 0 || strcmp(word, "-E") == 0)
                        i++;
        }
        return true;
}

static int parse_shell_arguments(int argc, char *argv[], struct shell_arguments *a)
{
        static const struct option options[] = { { "uid", required_argument, NULL, 'u' },
                                                 { "setenv", required_argument, NULL, 'E' },
                                                 { "quiet", no_argument, NULL, 'q' },
                                                 { "help", no_argument, NULL, 'h' },
                                                 {} };
        bool has_name = name_before_dashes(argc, argv); /* before getopt reorders ARGV */
        int c;

        *a = (struct shell_arguments){};
        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":E:qh", options, NULL)) >= 0)
                switch (c) {
                case 'u':
                        if (!optarg[0] || strchr(optarg, ':') || strchr(optarg, '\n'))
                                return usage_error("--uid takes a user name or number, not '%s'", optarg);
                        a->user = optarg;
                        break;
                case 'E':
                        if (!strchr(optarg, '=') || optarg[0] == '=')
                                return usage_error("--setenv takes VAR=VALUE, not '%s'", optarg);
                        if (strv_env_set(&a->setenv, optarg) < 0)
                                return log_error("Out of memory"), EXIT_SETUP_FAILED;
                        break;
                case 'q':
                        log_quiet = true;
                        break;
                case 'h':
                        printf("Usage: machined-lite shell NAME [--uid=USER] [--setenv=VAR=VALUE]... [-- COMMAND [ARGUMENTS...]]\n");
                        return 1;
                case ':':
                        return usage_error("Option '%s' needs a value", argv[optind - 1]);
                default:
                        return usage_error("Unknown option '%s' for %s (a command for the machine goes after --)",
                                           argv[optind - 1], argv[0]);
                }
        if (optind >= argc || !has_name)
                return usage_error("%s needs the NAME of a running machine before -- (machined-lite list shows them)",
                                   argv[0]);
        a->name = argv[optind++];
        /* getopt has moved NAME before what followed "--": the rest is the command. */
        if (optind < argc)
                a->command = argv + optind;
        return 0;
}


/* Holds the machine's PID 1 by a pidfd, checked to be the very process the state names
 * (a PID reused since is not entered), and opens its /proc directory: once the pidfd is
 * taken, a /proc/PID opened while the process still lives is that process's. */
static int open_leader(struct shell *sh)
{
        char path[64];
        struct stat ours, theirs;

        sh->leader_pidfd = pidfd_open_exact(sh->state.leader, sh->state.leader_start);
        if (sh->leader_pidfd == -ESRCH)
                return log_error_errno(-ESRCH, "PID 1 of machine %s (PID %d) is gone", sh->state.name,
                                       (int)sh->state.leader);
        if (sh->leader_pidfd < 0)
                return log_error_errno(sh->leader_pidfd, "Cannot open PID 1 of machine %s (PID %d): %m", sh->state.name,
                                       (int)sh->state.leader);
        snprintf(path, sizeof(path), "/proc/%d", (int)sh->state.leader);
        sh->proc_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (sh->proc_fd < 0 || pidfd_send_signal(sh->leader_pidfd, 0, NULL, 0) < 0)
                return log_error_errno(-ESRCH, "PID 1 of machine %s (PID %d) is gone: %m", sh->state.name,
                                       (int)sh->state.leader);
        sh->root_fd = openat(sh->proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (sh->root_fd < 0)
                return log_error_errno(-errno, "Cannot open the root directory of machine %s: %m", sh->state.name);
        /* setns() refuses to join the user namespace we are in already. */
        if (stat("/proc/self/ns/user", &ours) < 0 || fstatat(sh->proc_fd, "ns/user", &theirs, 0) < 0)
                return log_error_errno(-errno, "Cannot compare the user namespace of machine %s with ours: %m",
                                       sh->state.name);
        sh->join_user_ns = ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev;
        return 0;
}


static bool path_is_below(const char *path, const char *prefix)
{
        size_t n = strlen(prefix);

        return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The shell starts in the cgroup of the machine's PID 1. That one is sure to take
 * processes: cgroup v2 allows none in a cgroup that hands controllers to its children
 * ("no internal processes"), and a guest systemd does that in the root of its subtree
 * (the machine's cgroup), keeping itself in init.scope; PID 1 being there proves the
 * cgroup a leaf. We create nothing, so nothing is left to remove, however we end; we
 * stay out of the tree a guest systemd manages as its own; and the machine's limits,
 * its device policy and `machined-lite kill` reach the shell as they reach init.
 * CGROUP in the state is an absolute host path, the cgroup2 mount point (/sys/fs/cgroup,
 * or /sys/fs/cgroup/unified on a hybrid host) followed by what /proc/PID/cgroup shows
 * for the machine: PID 1's path must continue it. */
static int open_leader_cgroup(struct shell *sh)
{
        _cleanup_free_ char *relative = NULL, *path = NULL;
        const char *machine = sh->state.cgroup;
        struct statfs fs;
        size_t mount_length = SIZE_MAX;
        int r;

        r = cgroup_read_v2_path(sh->proc_fd, "cgroup", &relative);
        if (r < 0)
                return log_error_errno(r, "Cannot read the cgroup of machine %s's PID 1: %m", sh->state.name);
        /* The mount point ends where the rest of the machine's path leads to PID 1's. */
        for (size_t i = 0; machine[i]; i++)
                if (machine[i] == '/' && path_is_below(relative, machine + i)) {
                        mount_length = i;
                        break;
                }
        if (mount_length == SIZE_MAX)
                return log_error_errno(-EXDEV, "PID 1 of machine %s is in cgroup %s, outside the machine's cgroup %s",
                                       sh->state.name, relative, machine);
        if (asprintf(&path, "%.*s%s", (int)mount_length, machine, relative) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        sh->cgroup_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sh->cgroup_fd < 0)
                return log_error_errno(-errno, "Cannot open cgroup %s of machine %s: %m", path, sh->state.name);
        if (fstatfs(sh->cgroup_fd, &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
                return log_error_errno(-ENOTDIR, "%s is not a cgroup v2 directory", path);
        return 0;
}

/* The command gets the pty for each of our std fds that is a terminal, and any other
 * (a pipe, a file) as it is: `echo cmd | machined-lite shell NAME` and `... -- cmd > out`
 * then behave as they would on the host, with no \r\n in the file. A terminal of ours
 * is never handed in: the guest could type into the host's shell with TIOCSTI. */
static bool want_pty(struct shell *sh)
{
        bool any = false;

        for (int i = 0; i < 3; i++) {
                sh->on_pty[i] = isatty(i);
                any = any || sh->on_pty[i];
        }
        return any;
}

/* The pty is one of the guest's own devpts (host/console.h). */
static int open_guest_pty(struct shell *sh)
{
        int r = console_open_guest_pty(sh->root_fd, sh->state.uid_base, &sh->master, &sh->peer);

        if (r == -ENOTTY)
                return log_error_errno(r, "/dev/pts/ptmx of machine %s is not a pty multiplexer", sh->state.name);
        if (r < 0)
                return log_error_errno(r, "Cannot open a pty in /dev/pts of machine %s: %m", sh->state.name);
        return 0;
}

static int split_names(const char *list, char ***ret)
{
        _cleanup_free_ char *copy = list ? strdup(list) : NULL;
        char *name, *save = NULL;

        if (list && !copy)
                return -ENOMEM;
        for (name = copy ? strtok_r(copy, " ", &save) : NULL; name; name = strtok_r(NULL, " ", &save))
                if (strv_extend(ret, name) < 0)
                        return -ENOMEM;
        return 0;
}

static char **shell_environment(const struct shell *sh)
{
        const struct guest_user *u = &sh->user;
        const char *term = getenv("TERM");
        char **env = NULL, line[PATH_MAX + 16];

        snprintf(line, sizeof(line), "TERM=%s", term && term[0] ? term : "vt220");
        (void)strv_extend(&env, line);
        (void)strv_extend(&env, SHELL_PATH);
        snprintf(line, sizeof(line), "HOME=%s", u->home);
        (void)strv_extend(&env, line);
        snprintf(line, sizeof(line), "USER=%s", u->name);
        (void)strv_extend(&env, line);
        snprintf(line, sizeof(line), "LOGNAME=%s", u->name);
        (void)strv_extend(&env, line);
        snprintf(line, sizeof(line), "SHELL=%s", u->shell);
        (void)strv_extend(&env, line);
        (void)strv_extend(&env, "container=machined-lite");
        for (size_t i = 0; sh->arguments->setenv && sh->arguments->setenv[i]; i++)
                (void)strv_env_set(&env, sh->arguments->setenv[i]);
        return env;
}

/* Reports a command that cannot run as `run` does: 127 when it is not there, else 126. */
_noreturn_ static void exec_failed(int sync_fd, int error, const char *what, const char *name, const char *path)
{
        struct guest_message message = { .type = GUEST_FAILED, .error = error };

        /* A bare name was looked up in the command's PATH: say which. */
        if (strchr(what, '/'))
                snprintf(message.text, sizeof(message.text), "Cannot run %s in machine %s", what, name);
        else
                snprintf(message.text, sizeof(message.text), "Cannot run %s in machine %s (looked up with PATH=%s)",
                         what, name, path);
        (void)guest_message_send(sync_fd, &message, -1);
        _exit(error == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

/* COMMAND as execvp() finds it in PATH, into BUF; or the errno it would fail with
 * (ENOENT: nowhere; EACCES: found, not executable). Looked up before the command's
 * process exists, so that its failure is reported while we still have the sync socket. */
static int find_command(const char *command, const char *path, char *buf, size_t size)
{
        int error = ENOENT;

        if (strchr(command, '/')) {
                snprintf(buf, size, "%s", command);
                return access(buf, X_OK) < 0 ? errno : 0;
        }
        for (const char *dir = path; dir; dir = strchr(dir, ':') ? strchr(dir, ':') + 1 : NULL) {
                size_t length = strcspn(dir, ":");
                struct stat st;

                if ((size_t)snprintf(buf, size, "%.*s%s%s", (int)length, dir, length ? "/" : "", command) >= size)
                        continue;
                if (stat(buf, &st) < 0 || S_ISDIR(st.st_mode))
                        continue;
                if (access(buf, X_OK) == 0)
                        return 0;
                error = EACCES;
        }
        return error;
}

/* The command's own process, the only one of ours the guest ever sees: born with the
 * groups, user, capabilities, filter, root and working directory of the guest, and no
 * fd but its stdio (a guest root may take the fds and cwd of any process of its PID
 * namespace: pidfd_getfd(2), /proc/PID/cwd). */
_noreturn_ static void shell_command(const struct shell *sh, const char *path, char **argv, char **env)
{
        sigset_t none;

        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        /* It does not outlive the process that relays its status and signals, which is
         * in no PID namespace of the guest's: while it lives, our parent's PID reads 0. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != 0)
                _exit(EXIT_SETUP_FAILED);
        /* A session of our own, the guest's pty its terminal, so that the shell has job
         * control and Ctrl-C reaches what runs in it. */
        if (setsid() < 0)
                _exit(EXIT_SETUP_FAILED);
        for (int i = 0; i < 3; i++)
                if (sh->on_pty[i]) {
                        if (ioctl(i, TIOCSCTTY, 0) < 0)
                                _exit(EXIT_SETUP_FAILED);
                        break;
                }
        execve(path, argv, env);
        _exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

/* Relays until the command ends: the signals we forward to it, then its status as ours
 * (128+N for a signal, as the parent would have reported it). */
_noreturn_ static void relay_command(pid_t command)
{
        sigset_t mask;
        int status;

        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++)
                sigaddset(&mask, forwarded_signals[i]);
        sigaddset(&mask, SIGCHLD);
        for (;;) {
                int sig = sigwaitinfo(&mask, NULL);

                if (sig > 0 && sig != SIGCHLD)
                        (void)kill(command, sig);
                if (waitpid(command, &status, WNOHANG) == command)
                        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
}

/* The machine's cgroups and namespaces, and its root directory as ours. */
static void enter_machine(const struct shell *sh, int sync_fd)
{
        const char *name = sh->state.name;
        int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID, r;

        if (sh->join_user_ns)
                flags |= CLONE_NEWUSER;
        /* Into PID 1's cgroups on a hybrid host's v1 hierarchies as well (clone3 placed
         * us in its v2 one): the command is then inside the machine's on each. */
        r = cgroup_v1_join(sh->proc_fd);
        if (r < 0)
                guest_fail(sync_fd, r, "Failed to enter the v1 cgroups of machine %s", name);
        /* CLONE_NEWPID moves only the children to come: the command's process. */
        if (setns(sh->leader_pidfd, flags) < 0)
                guest_fail(sync_fd, -errno, "Failed to enter the namespaces of machine %s", name);
        /* setns() put us at the root of the mount namespace; PID 1's root is the guest's,
         * which a pivot_root() may have moved elsewhere. */
        if (fchdir(sh->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                guest_fail(sync_fd, -errno, "Failed to enter the root directory of machine %s", name);
}

/* The pty on the std fds that get it, and no other fd of ours but the sync socket, moved
 * to 3. Returns the sync socket's fd. */
static int keep_only_stdio(const struct shell *sh, int sync_fd)
{
        if (sh->peer >= 0) {
                /* As login does: the user's own terminal. It was made the guest root's
                 * (open_guest_pty()), so this works in a user namespace too. */
                if (sh->user.uid != 0)
                        (void)fchown(sh->peer, sh->user.uid, (gid_t)-1);
                for (int i = 0; i < 3; i++)
                        if (sh->on_pty[i] && dup2(sh->peer, i) < 0)
                                guest_fail(sync_fd, -errno, "Failed to attach the pty");
        }
        /* Nothing of ours comes along but the std fds, and until the command's process
         * is made, the sync socket. */
        if (sync_fd != 3) {
                if (dup3(sync_fd, 3, O_CLOEXEC) < 0)
                        guest_fail(sync_fd, -errno, "Failed to move the sync socket");
                sync_fd = 3;
        }
        (void)close_range(4, ~0U, 0);
        return sync_fd;
}

/* The filter while we may still load one (CAP_SYS_ADMIN), the groups, then the
 * capabilities while we may still drop from the bounding set (CAP_SETPCAP), and the
 * user last: what init got, and no more. */
static void become_user(const struct shell *sh, int sync_fd)
{
        const struct guest_user *u = &sh->user;
        int r;

        /* --suppress-sync is the machine's payload's, not a shell's. */
        r = syscall_filter_apply(sh->syscall_allow, sh->syscall_deny, sh->state.no_new_privileges, false);
        if (r < 0)
                guest_fail(sync_fd, r, "Failed to install the system call filter");
        if (setgroups(u->n_groups, u->groups) < 0 || setresgid(u->gid, u->gid, u->gid) < 0)
                guest_fail(sync_fd, -errno, "Failed to take the groups of user %s (GID %u)", u->name, (unsigned)u->gid);
        r = caps_apply(sh->state.capabilities);
        if (r < 0)
                guest_fail(sync_fd, r, "Failed to drop capabilities");
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                guest_fail(sync_fd, -errno, "Failed to become user %s (UID %u)", u->name, (unsigned)u->uid);
        /* As the user, so that a home it may not enter is not entered. */
        if (chdir(u->home) < 0 && chdir("/") < 0)
                guest_fail(sync_fd, -errno, "Failed to change to / in machine %s", sh->state.name);
}

/* What the command's process runs: its argv, and into PATH (SIZE bytes) the file. The
 * command given, or the user's login shell, with LOGIN_ARGV for its argv. A command that
 * cannot run is reported as `run` does. */
static char **find_what_to_run(const struct shell *sh, int sync_fd, char **env, char *path, size_t size,
                               char *login_argv[static 2])
{
        const struct guest_user *u = &sh->user;
        const char *name = sh->state.name, *base;
        int r;

        if (sh->arguments->command) {
                /* Looked up with the guest's PATH, as its shell would. */
                const char *command = sh->arguments->command[0], *search;

                environ = env;
                search = getenv("PATH") ?: "";
                r = find_command(command, search, path, size);
                if (r != 0)
                        exec_failed(sync_fd, r, command, name, search);
                return sh->arguments->command;
        }
        /* A login shell: argv[0] is its name with a leading "-". */
        base = strrchr(u->shell, '/');
        if (asprintf(&login_argv[0], "-%s", base ? base + 1 : u->shell) < 0)
                guest_fail(sync_fd, -ENOMEM, "Failed to make the shell's name");
        r = find_command(u->shell, "", path, size);
        if (r != 0)
                exec_failed(sync_fd, r, u->shell, name, "");
        return login_argv;
}

/* The child, in the machine's cgroup (clone3) but in our PID namespace, where the guest
 * cannot see it: the machine's namespaces, its root, the pty, the user, and only then
 * the command's process, in the machine's PID namespace with nothing of ours. */
_noreturn_ static void shell_child(const struct shell *sh, int sync_fd)
{
        char path[PATH_MAX], **env, **argv, *login_argv[2] = {};
        pid_t pid;

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void)prctl(PR_SET_DUMPABLE, 0);
        enter_machine(sh, sync_fd);
        sync_fd = keep_only_stdio(sh, sync_fd);
        umask(0022);
        become_user(sh, sync_fd);

        env = shell_environment(sh);
        if (!env)
                guest_fail(sync_fd, -ENOMEM, "Failed to make the environment");
        argv = find_what_to_run(sh, sync_fd, env, path, sizeof(path), login_argv);
        close(sync_fd);
        pid = fork();
        if (pid < 0)
                _exit(EXIT_SETUP_FAILED);
        if (pid == 0)
                shell_command(sh, path, argv, env);
        relay_command(pid);
}

static int on_shell_exit(struct event_source *source _unused_, const siginfo_t *si, void *userdata)
{
        struct shell *sh = userdata;

        event_exit(sh->event, si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status);
        return 0;
}

static int on_signal(struct event_source *source _unused_, const struct signalfd_siginfo *si, void *userdata)
{
        struct shell *sh = userdata;

        (void)pidfd_send_signal(sh->pidfd, (int)si->ssi_signo, NULL, 0);
        return 0;
}

/* Three Ctrl-] within a second: the way out of a shell that does not end. Its session
 * then gets SIGHUP from the kernel, as when a terminal goes away. */
static void on_escape(void *userdata)
{
        struct shell *sh = userdata;

        sh->escaped = true;
        (void)pidfd_send_signal(sh->pidfd, SIGKILL, NULL, 0);
}

static int block_signals(void)
{
        sigset_t mask;

        /* The event loop takes these through a signalfd; the child unblocks them. SIGPIPE too:
         * a write to a closed stdout then fails with EPIPE instead of killing us with
         * the terminal still raw. */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++)
                sigaddset(&mask, forwarded_signals[i]);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGPIPE);
        return sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? negative_errno() : 0;
}

static int start_shell(struct shell *sh)
{
        struct clone3_args args = {
                .flags = CLONE_PIDFD | CLONE_INTO_CGROUP,
                .pidfd = (uint64_t)(uintptr_t)&sh->pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)sh->cgroup_fd,
        };
        int pair[2];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(-errno, "Cannot create the shell's sync socket: %m");
        pid = clone3(&args);
        if (pid == 0) {
                close(pair[0]);
                shell_child(sh, pair[1]);
        }
        close(pair[1]);
        if (pid < 0) {
                close(pair[0]);
                return log_error_errno(-errno, "Cannot start a process in machine %s: %m", sh->state.name);
        }
        sh->pid = pid;
        sh->sync_fd = pair[0];
        return 0;
}

/* The pty's output goes where console.c writes, our stdout. When that is a file or a
 * pipe, the command has it as it is, and the pty's output (what it echoes, its stderr)
 * belongs on the terminal we have instead. */
static void point_stdout_at_terminal(void)
{
        if (isatty(STDOUT_FILENO))
                return;
        if (isatty(STDERR_FILENO))
                (void)dup2(STDERR_FILENO, STDOUT_FILENO);
        else if (isatty(STDIN_FILENO))
                (void)dup2(STDIN_FILENO, STDOUT_FILENO);
}

static int setup_event_loop(struct shell *sh)
{
        int r;

        r = event_new(&sh->event);
        if (r < 0)
                return r;
        r = event_add_child_pidfd(sh->event, &sh->child_source, sh->pidfd, on_shell_exit, sh);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++) {
                r = event_add_signal(sh->event, &sh->signal_sources[i], forwarded_signals[i], on_signal, sh);
                if (r < 0)
                        return r;
        }
        if (sh->master >= 0) {
                point_stdout_at_terminal();
                sh->relay.on_escape = on_escape;
                sh->relay.userdata = sh;
                /* Our keys go to the pty when stdin is the terminal; a stdin that is not
                 * went to the command as it is, and the pty is output only. */
                r = console_relay_start(&sh->relay, sh->event, TAKE_FD(sh->master),
                                        isatty(STDIN_FILENO) ? CONSOLE_INTERACTIVE : CONSOLE_READ_ONLY);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* After the shell ended: what it said failed before it could run the command. */
static void report_failure(struct shell *sh)
{
        struct guest_message message;
        int fd;

        if (sh->sync_fd < 0 || guest_message_receive(sh->sync_fd, &message, &fd) <= 0)
                return;
        if (fd >= 0)
                close(fd);
        if (message.type != GUEST_FAILED)
                return;
        message.text[sizeof(message.text) - 1] = '\0';
        log_error_errno(-message.error, "%s: %m", message.text);
}

static void shell_done(struct shell *sh)
{
        console_relay_stop(&sh->relay);
        sh->child_source = event_source_free(sh->child_source);
        for (size_t i = 0; i < ELEMENTSOF(sh->signal_sources); i++)
                sh->signal_sources[i] = event_source_free(sh->signal_sources[i]);
        sh->event = event_free(sh->event);
        if (sh->pid > 0 && sh->pidfd >= 0) {
                /* Setting up failed half-way: the shell does not outlive us. */
                (void)pidfd_send_signal(sh->pidfd, SIGKILL, NULL, 0);
                (void)waitid(P_PIDFD, (id_t)sh->pidfd, NULL, WEXITED);
        }
        closep(&sh->leader_pidfd);
        closep(&sh->proc_fd);
        closep(&sh->root_fd);
        closep(&sh->cgroup_fd);
        closep(&sh->master);
        closep(&sh->peer);
        closep(&sh->pidfd);
        closep(&sh->sync_fd);
        strv_free(sh->syscall_allow);
        strv_free(sh->syscall_deny);
        guest_user_done(&sh->user);
        machine_state_done(&sh->state);
}

/* Everything the child needs, found from the host before it starts, so that a mistake
 * (no such user) is reported before anything of the machine's is touched. */
static int prepare_shell(struct shell *sh)
{
        int r;

        r = open_leader(sh);
        if (r < 0)
                return r;
        r = guest_user_load(sh->root_fd, sh->state.name, sh->arguments->user ?: "root", &sh->user);
        if (r < 0)
                return r;
        r = open_leader_cgroup(sh);
        if (r < 0)
                return r;
        if (split_names(sh->state.syscall_allow, &sh->syscall_allow) < 0 ||
            split_names(sh->state.syscall_deny, &sh->syscall_deny) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        if (want_pty(sh)) {
                r = open_guest_pty(sh);
                if (r < 0)
                        return r;
        }
        /* Loaded while the host's /usr/lib is still ours to load from. */
        if (caps_load() < 0 || syscall_filter_load() < 0)
                return log_error_errno(-EOPNOTSUPP, "Cannot load libcap.so.2 and libseccomp.so.2: %m");
        return 0;
}

int verb_shell(int argc, char *argv[])
{
        struct shell_arguments a;
        struct shell sh = SHELL_INIT;
        char **line = NULL;
        int r, exit_code;

        /* Our command line as it came (getopt reorders argv), to run again sealed. */
        r = strv_extend(&line, "machined-lite");
        for (int i = 0; r >= 0 && i < argc; i++)
                r = strv_extend(&line, argv[i]);
        if (r < 0)
                return log_error("Out of memory"), EXIT_SETUP_FAILED;
        r = parse_shell_arguments(argc, argv, &a);
        if (r != 0) {
                strv_free(line);
                shell_arguments_done(&a);
                return r < 0 ? EXIT_USAGE : 0;
        }
        sh.arguments = &a;
        if (geteuid() != 0) {
                strv_free(line);
                shell_arguments_done(&a);
                return log_error("Must be run as root to enter a machine (try sudo machined-lite shell ...)"),
                       EXIT_NOT_ROOT;
        }
        /* Our child in the machine is its guest's to see until it execs: from a sealed
         * copy of us (util/sealed-exe.h), never the host's binary. */
        r = sealed_exe_reexec(line);
        strv_free(line);
        if (r < 0) {
                shell_arguments_done(&a);
                return EXIT_SETUP_FAILED;
        }
        r = read_running(a.name, &sh.state);
        if (r != 0) {
                shell_arguments_done(&a);
                return r;
        }
        r = prepare_shell(&sh);
        if (r >= 0)
                r = block_signals();
        if (r >= 0)
                r = start_shell(&sh);
        if (r >= 0) {
                closep(&sh.peer);
                sh.peer = -1;
                r = setup_event_loop(&sh);
                if (r < 0)
                        log_error_errno(r, "Cannot set up the event loop: %m");
        }
        if (r < 0) {
                shell_done(&sh);
                shell_arguments_done(&a);
                /* --uid= names no user of the guest's: a bad value, as -u's. */
                return r == -ESRCH ? EXIT_USAGE : EXIT_SETUP_FAILED;
        }

        exit_code = event_loop(sh.event);
        if (exit_code < 0) {
                log_error_errno(exit_code, "Event loop failed: %m");
                exit_code = EXIT_SETUP_FAILED;
        } else
                sh.pid = 0; /* reaped: nothing to kill */
        /* The terminal back as it was before anything is printed on it. */
        console_relay_stop(&sh.relay);
        if (sh.escaped)
                log_error("Ctrl-] was pressed three times: the shell in machine %s was killed", sh.state.name);
        else
                report_failure(&sh);
        shell_done(&sh);
        shell_arguments_done(&a);
        return exit_code;
}
