/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running a helper program for bootstrap (run-tool.h): where it is, its environment,
 * its process group and mount namespace, its output split in lines, stopping it on an
 * interrupt. Not what its lines mean, which is bootstrap.c's to know. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tree/new-tree.h"
#include "tree/run-tool.h"
#include "util/macro.h"
#include "util/strv.h"

/* The programs and the apt they run need sbin, whatever our PATH. */
#define TOOL_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The tool that does the work, found where it is installed. */
char *find_program(const char *name)
{
        _cleanup_free_ char *path = strdup(TOOL_PATH);
        char *save = NULL;

        if (!path)
                return NULL;
        for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *candidate = NULL;

                if (asprintf(&candidate, "%s/%s", dir, name) < 0)
                        return NULL;
                if (access(candidate, X_OK) >= 0)
                        return candidate;
                free(candidate);
        }
        return NULL;
}

/* The tool's output on its way to the log and, a line at a time, to LINE. */
struct tool_output {
        int log_fd;
        void (*line)(const char *line, void *userdata);
        void *userdata;
        char buffer[1024];
        size_t length;
};

static void tool_output(struct tool_output *out, const char *data, size_t size)
{
        if (out->log_fd >= 0)
                (void)!write(out->log_fd, data, size);
        for (size_t i = 0; i < size; i++) {
                if (data[i] == '\n' || data[i] == '\r' || out->length == sizeof(out->buffer) - 1) {
                        out->buffer[out->length] = '\0';
                        out->line(out->buffer, out->userdata);
                        out->length = 0;
                        if (data[i] == '\n' || data[i] == '\r')
                                continue;
                }
                out->buffer[out->length++] = data[i];
        }
}

/* Ends the tool and everything it started (its own process group): asks first, as it
 * unmounts what it mounted and stops what it started, then insists. */
static void tool_stop(pid_t pid)
{
        bool reaped = false;
        int status;

        (void)kill(-pid, SIGTERM);
        for (int i = 0; i < 100 && !reaped; i++) {
                reaped = waitpid(pid, &status, WNOHANG) != 0;
                if (!reaped)
                        (void)usleep(100 * 1000);
        }
        /* What is left of its group, and the tool itself if it would not go. */
        (void)kill(-pid, SIGKILL);
        if (!reaped)
                (void)waitpid(pid, &status, 0);
}

static _noreturn_ void tool_child(char *const argv[], char *const env[], int output_fd)
{
        sigset_t mask;
        int null_fd;

        /* Its mounts (/proc, /sys, /dev in the new tree) stay in a mount namespace of its
         * own: they cannot outlive it, nor can our removal of a failed tree ever reach
         * through them into the host's /dev. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                dprintf(output_fd, "machined-lite: cannot make a mount namespace for %s: %m\n", argv[0]);
                _exit(127);
        }
        /* A group of its own, so that we can stop all of it; and it dies with us. */
        (void)setpgid(0, 0);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        interrupt_mask(&mask);
        (void)sigprocmask(SIG_UNBLOCK, &mask, NULL);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(output_fd, STDOUT_FILENO) < 0 ||
            dup2(output_fd, STDERR_FILENO) < 0 || chdir("/") < 0)
                _exit(127);
        execve(argv[0], argv, env);
        dprintf(STDERR_FILENO, "machined-lite: cannot execute %s: %m\n", argv[0]);
        _exit(127);
}

/* Ours, but for what makes its output ours to read: in English, and nothing asks
 * questions. NULL when out of memory. */
static char **tool_environment(void)
{
        extern char **environ;
        char **env = NULL;
        int r = 0;

        for (char **e = environ; e && *e; e++)
                if (strv_extend(&env, *e) < 0)
                        r = -ENOMEM;
        if (r < 0 || strv_env_set(&env, "LC_ALL=C") < 0 || strv_env_set(&env, "DEBIAN_FRONTEND=noninteractive") < 0 ||
            strv_env_set(&env, "PATH=" TOOL_PATH) < 0) {
                strv_free(env);
                return NULL;
        }
        return env;
}

/* Reads the output of the tool PID from OUTPUT_FD until it ends, then waits for the tool
 * to exit: its status, or -EINTR. Closes OUTPUT_FD. */
static int tool_follow(pid_t pid, int output_fd, int signal_fd, struct tool_output *out)
{
        int status = 0, r;

        for (;;) {
                char buffer[16384];
                ssize_t n;

                r = wait_fd_or_interrupt(output_fd, POLLIN, signal_fd, 1000);
                if (r == -EINTR) {
                        close(output_fd);
                        tool_stop(pid);
                        return -EINTR;
                }
                if (r <= 0)
                        continue;
                n = read(output_fd, buffer, sizeof(buffer));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                tool_output(out, buffer, (size_t)n);
        }
        close(output_fd);
        if (out->length > 0)
                tool_output(out, "\n", 1);
        /* Its output ended; it may take a moment more to exit. */
        while (waitpid(pid, &status, WNOHANG) == 0) {
                if (interrupt_pending(signal_fd)) {
                        tool_stop(pid);
                        return -EINTR;
                }
                (void)usleep(20 * 1000);
        }
        (void)kill(-pid, SIGKILL);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

int tool_run(char *const argv[], int signal_fd, int log_fd, void (*line)(const char *line, void *userdata), void *userdata)
{
        struct tool_output out = { .log_fd = log_fd, .line = line, .userdata = userdata };
        char **env = tool_environment();
        int pipe_fds[2];
        pid_t pid;

        if (!env)
                return -ENOMEM;
        if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
                strv_free(env);
                return negative_errno();
        }
        pid = fork();
        if (pid == 0)
                tool_child(argv, env, pipe_fds[1]);
        strv_free(env);
        close(pipe_fds[1]);
        if (pid < 0) {
                close(pipe_fds[0]);
                return negative_errno();
        }
        (void)setpgid(pid, pid);
        return tool_follow(pid, pipe_fds[0], signal_fd, &out);
}
