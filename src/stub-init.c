/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev.h"
#include "guest.h"
#include "util/proctitle.h"

/* The signals a shell or a service manager sends to ask for something; PID 1 ignores
 * them by default, so we catch them and hand them on to the command. */
static const int forwarded_signals[] = {
        SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM,
};

_noreturn_ static void run_command(char **argv, char **envp, const sigset_t *original_mask, bool with_console)
{
        if (with_console) {
                /* The command gets a session of its own with the console as its
                 * controlling terminal, so that a shell has job control. */
                (void)setsid();
                (void)ioctl(STDIN_FILENO, TIOCSCTTY, 0);
        }
        (void)sigprocmask(SIG_SETMASK, original_mask, NULL);
        /* PATH from the guest environment, as a shell would look it up there. */
        environ = envp;
        execvp(argv[0], argv);
        fprintf(stderr, "machined-lite: cannot run %s in the guest: %s (the command is looked up inside the tree, with PATH=%s)\n",
                argv[0], strerror(errno), getenv("PATH") ?: "");
        _exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

_noreturn_ void stub_init_main(char **argv, char **envp, bool with_console)
{
        sigset_t mask, original_mask;
        int signal_fd, status = 0;
        pid_t command;

        /* What the guest's ps shows for PID 1, instead of our host command line. */
        proctitle_set("ml-init");
        if (with_console && dev_console_attach() < 0)
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
                run_command(argv, envp, &original_mask, with_console);

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
