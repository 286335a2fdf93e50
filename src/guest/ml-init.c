/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ml-init: PID 1 for `run`. A program of its own, linked statically and carried inside
 * machined-lite (the generated ml-init-blob.c); the guest execs it from a sealed memfd, so that
 * /proc/1/exe leads to that copy and never to a binary of the host's, and it needs
 * nothing of the guest's tree (no dynamic loader there, as in a busybox tree).
 *   ml-init --console|--no-console [--user=UID:GID:GROUP,...] [--login-shell] -- COMMAND [ARGUMENTS...]
 * (environment: the guest's; --user: the command's IDs, numbers only, read by machined-lite
 * from the guest's own files; --login-shell: COMMAND is ignored, and a login shell runs
 * instead, bash else sh, in $HOME (--login-shell-here: where we are, after --chdir), as
 * systemd-nspawn -a starts one without a command). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_SETUP_FAILED 1
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* The signals a shell or a service manager sends to ask for something; PID 1 ignores
 * them by default, so we catch them and hand them on to the command. */
static const int forwarded_signals[] = {
        SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM,
};

/* UID:GID:GROUP,GROUP...: the command's user; 0 or -1 (unparsable, or not taken). */
static int become_user(const char *spec)
{
        gid_t groups[NGROUPS_MAX];
        size_t n = 0;
        unsigned long uid, gid;
        char *end;

        uid = strtoul(spec, &end, 10);
        if (*end != ':')
                return -1;
        gid = strtoul(end + 1, &end, 10);
        if (*end != ':')
                return -1;
        for (const char *p = end + 1; *p && n < NGROUPS_MAX; p = *end ? end + 1 : end) {
                groups[n++] = (gid_t)strtoul(p, &end, 10);
                if (*end && *end != ',')
                        return -1;
        }
        if (setgroups(n, groups) < 0 || setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0 ||
            setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
                return -1;
        return 0;
}

__attribute__((noreturn)) static void run_command(char **argv, char **envp, const sigset_t *original_mask,
                                                  bool with_console, const char *user, int login_shell)
{
        if (with_console) {
                /* The command gets a session of its own with the console as its
                 * controlling terminal, so that a shell has job control. */
                (void)setsid();
                (void)ioctl(STDIN_FILENO, TIOCSCTTY, 0);
        }
        (void)sigprocmask(SIG_SETMASK, original_mask, NULL);
        if (user && become_user(user) < 0) {
                fprintf(stderr, "machined-lite: cannot become user %s in the guest: %s\n", user, strerror(errno));
                _exit(EXIT_SETUP_FAILED);
        }
        /* PATH from the guest environment, as a shell would look it up there. */
        environ = envp;
        if (login_shell) {
                if (login_shell == 1)
                        (void)chdir(getenv("HOME") ?: "/");
                execve("/bin/bash", (char *[]){ (char *)"-bash", NULL }, envp);
                execve("/bin/sh", (char *[]){ (char *)"-sh", NULL }, envp);
        }
        execvp(argv[0], argv);
        fprintf(stderr,
                "machined-lite: cannot run %s in the guest: %s (the command is looked up inside the tree, with PATH=%s)\n",
                argv[0], strerror(errno), getenv("PATH") ?: "");
        _exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

/* The guest's console as stdin, stdout and stderr, not as our controlling terminal. */
static int attach_console(void)
{
        int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

        if (fd < 0)
                return -1;
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0)
                        return -1;
        if (fd > 2)
                close(fd);
        return 0;
}

int main(int argc, char *argv[])
{
        sigset_t mask, original_mask;
        int signal_fd, status = 0;
        const char *user = NULL;
        bool with_console;
        int login_shell = 0; /* 1: in $HOME, 2: here */
        char **command_argv;
        int dashes = 2;
        pid_t command;

        for (; dashes < argc && strcmp(argv[dashes], "--") != 0; dashes++)
                if (strncmp(argv[dashes], "--user=", 7) == 0)
                        user = argv[dashes] + 7;
                else if (strcmp(argv[dashes], "--login-shell") == 0)
                        login_shell = 1;
                else if (strcmp(argv[dashes], "--login-shell-here") == 0)
                        login_shell = 2;
        if (argc < dashes + 2 || strcmp(argv[dashes], "--") != 0) {
                fprintf(stderr, "ml-init: usage: ml-init --console|--no-console [--user=UID:GID:GROUPS] -- COMMAND "
                                "[ARGUMENTS...]\n");
                return EXIT_SETUP_FAILED;
        }
        /* Run from a memfd, we would show as "memfd:ml-init". */
        (void)prctl(PR_SET_NAME, "ml-init");
        with_console = strcmp(argv[1], "--console") == 0;
        command_argv = argv + dashes + 1;
        if (with_console && attach_console() < 0)
                _exit(EXIT_SETUP_FAILED);

        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++)
                sigaddset(&mask, forwarded_signals[i]);
        sigaddset(&mask, SIGCHLD);
        (void)sigprocmask(SIG_BLOCK, &mask, &original_mask);
        signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (signal_fd < 0)
                _exit(EXIT_SETUP_FAILED);

        command = fork();
        if (command < 0)
                _exit(EXIT_SETUP_FAILED);
        if (command == 0)
                run_command(command_argv, environ, &original_mask, with_console, user, login_shell);

        for (;;) {
                struct signalfd_siginfo info;
                pid_t pid;

                if (read(signal_fd, &info, sizeof(info)) != sizeof(info)) {
                        if (errno == EINTR)
                                continue;
                        _exit(EXIT_SETUP_FAILED);
                }
                if (info.ssi_signo != SIGCHLD) {
                        (void)kill(command, (int)info.ssi_signo);
                        continue;
                }
                /* Reap every orphan that was handed to us; the command's end is ours too. */
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                        if (pid == command) {
                                if (WIFEXITED(status))
                                        _exit(WEXITSTATUS(status));
                                _exit(128 + WTERMSIG(status));
                        }
        }
}
