/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.json's hooks (oci/hooks.h): read at create, saved with the state for start and
 * delete, and run as config.md says, each with the container's state on its stdin. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/caps.h"
#include "guest/guest.h"
#include "guest/oci-start.h"
#include "guest/syscall-filter.h"
#include "oci/hooks.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/strv.h"
#include "util/time.h"

static const char *const kind_names[_OCI_HOOK_MAX] = {
        [OCI_HOOK_PRESTART] = "prestart",
        [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
        [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
        [OCI_HOOK_START_CONTAINER] = "startContainer",
        [OCI_HOOK_POSTSTART] = "poststart",
        [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_kind_name(enum oci_hook_kind kind)
{
        return kind < _OCI_HOOK_MAX ? kind_names[kind] : NULL;
}

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
 * stderr, its argv and environment as given. In the container (ENTERED), a helper of ours
 * in our PID namespace (which the guest cannot see unless it is the host's too: then the
 * helper is not dumpable), enters it and takes on what the
 * container's process has (AS: its user, capabilities, seccomp profile, no_new_privs) as
 * exec does, and only then forks the hook into its PID namespace: a program the image put
 * at the hook's path gets no more than the container's own processes. */
_noreturn_ static void hook_child(const struct oci_hook *hook, int state_fd, const struct oci_container_entry *entered,
                                  const struct machine *as)
{
        char *const path_only[] = { hook->path, NULL };
        char *const no_env[] = { NULL };
        sigset_t none;

        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(state_fd, STDIN_FILENO) < 0)
                _exit(127);
        if (entered) {
                const struct guest_setup setup = { .machine = as, .sync_fd = -1 };
                const char *step;
                int status;
                pid_t pid;

                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                (void)prctl(PR_SET_DUMPABLE, 0);
                if (caps_load() < 0 || syscall_filter_load() < 0 || oci_container_enter(entered, &step) < 0)
                        _exit(126);
                (void)close_range(3, ~0U, 0);
                umask(oci_umask(as));
                oci_become_user(&setup);
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                pid = fork();
                if (pid < 0)
                        _exit(126);
                if (pid > 0) {
                        while (waitpid(pid, &status, 0) < 0)
                                if (errno != EINTR)
                                        _exit(126);
                        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                }
        } else
                (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        execve(hook->path, hook->args ?: path_only, hook->env ?: no_env);
        _exit(errno == ENOENT ? 127 : 126);
}

/* Writes the state into the hook's stdin while the hook runs, without blocking on a hook
 * that does not read it, nor dying of one that closes it (SIGPIPE); gives up at DEADLINE
 * (µs, 0: none). 1 when the hook ended meanwhile, 0, or -ETIMEDOUT. */
static int feed_state(int pipe_fd, int pidfd, const char *state, size_t size, uint64_t deadline)
{
        struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
        int r = 0;

        (void)sigaction(SIGPIPE, &ignore, &old);
        while (size > 0) {
                struct pollfd p[2] = { { .fd = pipe_fd, .events = POLLOUT }, { .fd = pidfd, .events = POLLIN } };
                int timeout = -1;
                ssize_t n;

                if (deadline) {
                        uint64_t now = now_usec();

                        if (now >= deadline) {
                                r = -ETIMEDOUT;
                                break;
                        }
                        timeout = (int)((deadline - now + 999) / 1000);
                }
                if (poll(p, 2, timeout) < 0 && errno != EINTR)
                        break;
                if (p[1].revents) {
                        r = 1;
                        break;
                }
                if (!(p[0].revents & POLLOUT))
                        continue;
                n = write(pipe_fd, state, size);
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        break; /* EPIPE: it closed its stdin, and runs on */
                if (n > 0) {
                        state += n;
                        size -= (size_t)n;
                }
        }
        (void)sigaction(SIGPIPE, &old, NULL);
        return r;
}

static int run_hook(const struct oci_hook *hook, const char *kind, size_t index, const char *state, size_t size,
                    const struct oci_container_entry *entered, const struct machine *as)
{
        _cleanup_close_ int pidfd = -EBADF;
        int pipe_fds[2], status = 0, r;
        struct clone3_args args = {
                .flags = CLONE_PIDFD | (entered ? CLONE_INTO_CGROUP : 0),
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = entered ? (uint64_t)entered->cgroup_fd : 0,
        };
        uint64_t deadline = hook->timeout ? now_usec() + (uint64_t)hook->timeout * 1000000ULL : 0;
        siginfo_t info = {};
        pid_t pid;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return negative_errno();
        pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        if (pid == 0) {
                close(pipe_fds[1]);
                hook_child(hook, pipe_fds[0], entered, as);
        }
        close(pipe_fds[0]);
        if (pid < 0) {
                close(pipe_fds[1]);
                return log_error_errno(-errno, "Cannot run the %s hook %s: %m", kind, hook->path);
        }
        (void)fcntl(pipe_fds[1], F_SETFL, O_NONBLOCK);
        r = feed_state(pipe_fds[1], pidfd, state, size, deadline);
        close(pipe_fds[1]);
        if (r != -ETIMEDOUT) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                uint64_t now = now_usec();
                int timeout = !deadline ? -1 : now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);

                r = poll(&p, 1, timeout) == 0 ? -ETIMEDOUT : 0;
        }
        if (r == -ETIMEDOUT) {
                (void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                (void)waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED);
                return log_error_errno(-ETIMEDOUT,
                                       "The %s hook %s (hooks.%s[%zu]) did not end within its timeout of %u s: killed",
                                       kind, hook->path, kind, index, hook->timeout);
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
                  const struct oci_container_entry *entered, const struct machine *as)
{
        _cleanup_free_ char *state = NULL;
        size_t size = 0;

        if (h->n[kind] == 0)
                return 0;
        state = state_text(s, status, &size);
        if (!state)
                return -ENOMEM;
        for (size_t i = 0; i < h->n[kind]; i++) {
                int r = run_hook(&h->list[kind][i], kind_names[kind], i, state, size, entered, as);

                if (r < 0)
                        return r;
        }
        return 0;
}

int oci_hooks_check_container(const struct oci_hooks *h, const struct machine *as, const char *id)
{
        if (h->n[OCI_HOOK_CREATE_CONTAINER] + h->n[OCI_HOOK_START_CONTAINER] == 0 ||
            as->private_users != PRIVATE_USERS_NO || !(caps_for_guest(as) & (UINT64_C(1) << CAP_SYS_PTRACE)))
                return 0;
        log_error("container %s has CAP_SYS_PTRACE and no user namespace: its root could take hold of machined-lite's "
                  "binary through a createContainer or startContainer hook before it runs; such hooks are refused for "
                  "it (give it a user namespace, or no CAP_SYS_PTRACE)",
                  id);
        return -EPERM;
}
