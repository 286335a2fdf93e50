/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.json's hooks (oci/hooks.h): read at create, saved with the state for start and
 * delete, and run as config.md says, each with the container's state on its stdin. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/hooks.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/strv.h"

static const char *const kind_names[_OCI_HOOK_MAX] = {
        [OCI_HOOK_PRESTART] = "prestart",
        [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
        [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
        [OCI_HOOK_START_CONTAINER] = "startContainer",
        [OCI_HOOK_POSTSTART] = "poststart",
        [OCI_HOOK_POSTSTOP] = "poststop",
};

void oci_hooks_done(struct oci_hooks *h)
{
        for (size_t k = 0; k < _OCI_HOOK_MAX; k++) {
                for (size_t i = 0; i < h->n[k]; i++) {
                        free(h->list[k][i].path);
                        strv_free(h->list[k][i].args);
                        strv_free(h->list[k][i].env);
                }
                free(h->list[k]);
        }
        *h = (struct oci_hooks){};
}

static int read_hook(const struct oci_reader *rd, json_object *v, const char *where, struct oci_hook *hook)
{
        const char *path = NULL;
        uint64_t timeout = 0;

        if (oci_want(rd, v, json_type_object, where) < 0 || oci_get_string(rd, v, "path", where, &path) < 0 ||
            oci_get_strv(rd, v, "args", where, &hook->args) < 0 || oci_get_strv(rd, v, "env", where, &hook->env) < 0 ||
            oci_get_uint(rd, v, "timeout", where, 24 * 3600, &timeout) < 0)
                return -EINVAL;
        if (!path || path[0] != '/')
                return oci_bad_key(rd, where, "path must be an absolute path");
        if (oci_member(v, "timeout") && timeout == 0)
                return oci_bad_key(rd, where, "timeout must be greater than zero");
        hook->timeout = (unsigned)timeout;
        hook->path = strdup(path);
        return hook->path ? 0 : -ENOMEM;
}

int oci_read_hooks(const struct oci_reader *rd, json_object *hooks, struct oci_hooks *h)
{
        if (!hooks)
                return 0;
        if (oci_want(rd, hooks, json_type_object, "hooks") < 0)
                return -EINVAL;
        for (size_t k = 0; k < _OCI_HOOK_MAX; k++) {
                json_object *list = oci_member(hooks, kind_names[k]);
                char where[64];
                size_t n;

                snprintf(where, sizeof(where), "hooks.%s", kind_names[k]);
                if (!list)
                        continue;
                if (oci_want(rd, list, json_type_array, where) < 0)
                        return -EINVAL;
                n = sym_json_object_array_length(list);
                h->list[k] = calloc(n ?: 1, sizeof(struct oci_hook));
                if (!h->list[k])
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        int r;

                        snprintf(where, sizeof(where), "hooks.%s[%zu]", kind_names[k], i);
                        h->n[k]++;
                        r = read_hook(rd, sym_json_object_array_get_idx(list, i), where, &h->list[k][i]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int read_saved(const struct oci_reader *rd, json_object *hooks, void *userdata)
{
        return oci_read_hooks(rd, hooks, userdata);
}

int oci_hooks_parse(const char *state_dir, const char *text, struct oci_hooks *h)
{
        _cleanup_free_ char *path = NULL;
        struct oci_reader rd = {};

        *h = (struct oci_hooks){};
        if (!text)
                return 0;
        if (asprintf(&path, "%s/hooks", state_dir) < 0)
                return -ENOMEM;
        rd.bundle = state_dir;
        rd.file = path;
        return oci_json_load_file(&rd, "the hooks saved at create", read_saved, h);
}

/* The state as the hooks read it (runtime.md), into a new string. */
static char *state_text(const struct oci_state *s, enum oci_status status, size_t *ret_size)
{
        char *text = NULL;
        FILE *f = open_memstream(&text, ret_size);

        if (!f)
                return NULL;
        oci_state_print(f, s, status);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

/* The hook's own process: its stdin the state, nothing else of ours but stdout and
 * stderr, its argv and environment as given. In the container (ENTERED), it is born in
 * its PID namespace: entered by us, then forked. */
_noreturn_ static void hook_child(const struct oci_hook *hook, int state_fd, const struct oci_container_entry *entered)
{
        char *const path_only[] = { hook->path, NULL };
        char *const no_env[] = { NULL };
        sigset_t none;

        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(state_fd, STDIN_FILENO) < 0)
                _exit(127);
        (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        if (entered) {
                const char *step;
                int status;
                pid_t pid;

                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (oci_container_enter(entered, &step) < 0)
                        _exit(126);
                pid = fork();
                if (pid < 0)
                        _exit(126);
                if (pid > 0) {
                        while (waitpid(pid, &status, 0) < 0)
                                if (errno != EINTR)
                                        _exit(126);
                        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                }
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        }
        execve(hook->path, hook->args ?: path_only, hook->env ?: no_env);
        _exit(errno == ENOENT ? 127 : 126);
}

static int run_hook(const struct oci_hook *hook, const char *kind, size_t index, const char *state, size_t size,
                    const struct oci_container_entry *entered)
{
        _cleanup_close_ int pidfd = -EBADF;
        int pipe_fds[2], status = 0;
        struct clone3_args args = {
                .flags = CLONE_PIDFD | (entered ? CLONE_INTO_CGROUP : 0),
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = entered ? (uint64_t)entered->cgroup_fd : 0,
        };
        siginfo_t info = {};
        pid_t pid;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return negative_errno();
        pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        if (pid == 0) {
                close(pipe_fds[1]);
                hook_child(hook, pipe_fds[0], entered);
        }
        close(pipe_fds[0]);
        if (pid < 0) {
                close(pipe_fds[1]);
                return log_error_errno(-errno, "Cannot run the %s hook %s: %m", kind, hook->path);
        }
        /* The state fits in the pipe; a hook that does not read it is not waited for. */
        (void)!write(pipe_fds[1], state, size);
        close(pipe_fds[1]);
        {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int n = poll(&p, 1, hook->timeout ? (int)hook->timeout * 1000 : -1);

                if (n == 0) {
                        (void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                        (void)waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED);
                        return log_error_errno(-ETIMEDOUT,
                                               "The %s hook %s (hooks.%s[%zu]) did not end within its "
                                               "timeout of %u s: killed",
                                               kind, hook->path, kind, index, hook->timeout);
                }
        }
        if (waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0)
                return log_error_errno(-errno, "Cannot wait for the %s hook %s: %m", kind, hook->path);
        status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
        if (status != 0)
                return log_error_errno(-EIO, "The %s hook %s (hooks.%s[%zu]) failed: exit status %d", kind, hook->path,
                                       kind, index, status);
        return 0;
}

int oci_hooks_run(const struct oci_hooks *h, enum oci_hook_kind kind, const struct oci_state *s, enum oci_status status,
                  const struct oci_container_entry *entered)
{
        _cleanup_free_ char *state = NULL;
        size_t size = 0;

        if (h->n[kind] == 0)
                return 0;
        state = state_text(s, status, &size);
        if (!state)
                return -ENOMEM;
        for (size_t i = 0; i < h->n[kind]; i++) {
                int r = run_hook(&h->list[kind][i], kind_names[kind], i, state, size, entered);

                if (r < 0)
                        return r;
        }
        return 0;
}
