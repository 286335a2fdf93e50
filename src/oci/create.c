/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machined-lite-oci create: the container's machine built and left waiting for start, and
 * what the runtime's caller is handed when it is (the pty over the console socket, the pid
 * file, the state), all before create returns. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config/machine.h"
#include "host/overlay-dirs.h"
#include "host/register.h"
#include "host/supervisor.h"
#include "host/userns.h"
#include "oci/config.h"
#include "oci/enter.h"
#include "oci/hooks.h"
#include "oci/listener.h"
#include "oci/state.h"
#include "oci/verbs.h"
#include "util/log.h"
#include "util/macro.h"

struct create_args {
        const char *bundle, *pid_file, *console_socket;
        unsigned preserve_fds;
};

enum {
        CREATE_BUNDLE = 0x100,
        CREATE_PID_FILE,
        CREATE_CONSOLE_SOCKET,
        CREATE_NO_PIVOT,
        CREATE_NO_NEW_KEYRING,
        CREATE_PRESERVE_FDS
};

static int create_option(int c, const char *value, void *userdata)
{
        struct create_args *a = userdata;

        switch (c) {
        case CREATE_BUNDLE:
                a->bundle = value;
                return 0;
        case CREATE_PID_FILE:
                a->pid_file = value;
                return 0;
        case CREATE_CONSOLE_SOCKET:
                a->console_socket = value;
                return 0;
        case CREATE_NO_PIVOT:
        case CREATE_NO_NEW_KEYRING:
                /* Always so here: the root is entered with pivot_root (a tree on ramfs cannot
                 * be), and no session keyring is made. */
                return 0;
        case CREATE_PRESERVE_FDS:
                return oci_parse_preserve_fds("create", value, &a->preserve_fds);
        }
        return oci_usage("create: unknown option");
}

struct handoff_ctx {
        const struct oci_global *g;
        const struct oci_container *c;
        const struct machine *m;
};

void oci_set_console_size(const struct oci_container *c, int master)
{
        struct winsize size = { .ws_row = c->console_rows, .ws_col = c->console_columns };

        if (c->console_rows && c->console_columns)
                (void)ioctl(master, TIOCSWINSZ, &size);
}

int oci_send_console(const char *socket_path, int master)
{
        struct sockaddr_un address = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        char control[CMSG_SPACE(sizeof(int))] = {}, name[] = "/dev/console";
        struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) - 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

        if (strlen(socket_path) >= sizeof(address.sun_path))
                return log_error_errno(-ENAMETOOLONG, "--console-socket %s: the path is too long", socket_path);
        strcpy(address.sun_path, socket_path);
        if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0)
                return log_error_errno(-errno, "Cannot connect to the console socket %s: %m", socket_path);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
        if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
                return log_error_errno(-errno, "Cannot send the terminal to the console socket %s: %m", socket_path);
        return 0;
}

int oci_write_pid_file(const char *path, pid_t pid)
{
        _cleanup_free_ char *temporary = NULL;
        _cleanup_close_ int fd = -EBADF;
        char text[32];
        int n = snprintf(text, sizeof(text), "%d", (int)pid);

        /* Whole or not at all: conmon reads it as soon as create exits. */
        if (asprintf(&temporary, "%s.#ml%d", path, (int)getpid()) < 0)
                return -ENOMEM;
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, text, (size_t)n) != n || rename(temporary, path) < 0) {
                int r = negative_errno();

                (void)unlink(temporary);
                return log_error_errno(r, "Cannot write the pid file %s: %m", path);
        }
        return 0;
}

static void rfc3339_now(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;
        char base[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%09ldZ", base, ts.tv_nsec);
}

/* prestart and createRuntime in our namespaces, createContainer in the container's, its
 * root entered (config.md); the container is set up and its init waits for start. */
static int run_create_hooks(const struct oci_container *c, const struct machine *m, const struct oci_state *s)
{
        struct oci_container_entry entry = OCI_CONTAINER_ENTRY_INIT;
        int r;

        r = oci_hooks_run(&c->hooks, OCI_HOOK_PRESTART, s, OCI_CREATING, NULL, NULL);
        if (r >= 0)
                r = oci_hooks_run(&c->hooks, OCI_HOOK_CREATE_RUNTIME, s, OCI_CREATING, NULL, NULL);
        if (r < 0 || c->hooks.n[OCI_HOOK_CREATE_CONTAINER] == 0)
                return r;
        r = oci_container_open(s, &entry);
        if (r >= 0)
                r = oci_hooks_run(&c->hooks, OCI_HOOK_CREATE_CONTAINER, s, OCI_CREATING, &entry, m);
        oci_container_entry_done(&entry);
        return r;
}

static int handoff(const struct guest_handoff *h, void *userdata)
{
        const struct handoff_ctx *ctx = userdata;
        char created[64];
        struct oci_state s;
        int r;

        /* (Its linux.resources were written when its cgroup was made: supervisor.c.) */
        if (ctx->c->terminal) {
                oci_set_console_size(ctx->c, h->console_master);
                r = oci_send_console(ctx->c->console_socket, h->console_master);
                if (r < 0)
                        return r;
        }
        rfc3339_now(created, sizeof(created));
        s = (struct oci_state){
                .id = ctx->c->id,
                .pid = h->pid,
                .pid_start = h->pid_start,
                .bundle = ctx->c->bundle,
                .rootfs = ctx->m->root,
                .created = created,
                .cgroup = (char *)h->cgroup,
                .annotations = ctx->c->annotations,
                .hooks = ctx->c->hooks_json,
                .config = ctx->c->config_text,
                .owner = getuid(),
                .cgroup_v1 = (char **)h->cgroup_v1,
        };
        r = oci_state_write(ctx->c->state_dir, &s);
        if (r < 0)
                return log_error_errno(r, "Cannot write the state of container %s: %m", ctx->c->id);
        /* Before the hooks, as runc: a createContainer hook may need the agent answering. */
        if (h->seccomp_listener >= 0 &&
            oci_listener_send(ctx->c->seccomp, &s, OCI_CREATING, h->pid, h->seccomp_listener) < 0)
                return -ECANCELED;
        r = run_create_hooks(ctx->c, ctx->m, &s);
        if (r < 0)
                return r;
        if (ctx->c->pid_file && (r = oci_write_pid_file(ctx->c->pid_file, h->pid)) < 0)
                return r;
        /* In a scope of its own (--systemd-cgroup), it is a machine machinectl can see. In a
         * cgroup of the caller's (cgroupfs), machined could not tell which unit it is in. */
        if (ctx->m->cgroup_own)
                (void)register_container_machine(ctx->c->id, h->pid, ctx->m->root);
        return 0;
}

/* linux.namespaces without ipc, uts or pid: the runtime's own, which the container joins
 * (podman's --ipc=host, --uts=host, --pid=host; Kubernetes' hostIPC and hostPID); the
 * host's name is not the container's to set. In the host's PID namespace the container's
 * init is not PID 1 and its /proc shows the host's processes. (Without cgroup, a cgroup
 * namespace of its own all the same: every machine has one, its cgroup its root.) 0, or
 * our exit code after the line. */
static int share_host_namespaces(const struct oci_container *c, struct machine *m)
{
        static const char *const paths[] = { "/proc/self/ns/ipc", "/proc/self/ns/uts", "/proc/self/ns/pid" };
        char **targets[] = { &m->ipc_namespace_path, &m->uts_namespace_path, &m->pid_namespace_path };
        const bool host[] = { c->host_ipc, c->host_uts, c->host_pid };

        if (c->host_uts && (m->hostname || c->domainname))
                return oci_usage("create: config.json gives a %s, but the container's UTS namespace is the host's: "
                                 "its names are not the container's to set (add {\"type\": \"uts\"})",
                                 m->hostname ? "hostname" : "domainname");
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (host[i] && !*targets[i]) {
                        *targets[i] = strdup(paths[i]);
                        if (!*targets[i])
                                return OCI_EXIT_FAILED;
                }
        return 0;
}

/* What a container is beyond config.json: a machine named by its ID, PID 1 its process,
 * nothing of a machine's own set-up added (no resolv.conf, no time zone, no scope of
 * ours: the runtime caller has its own). */
static int container_machine(struct oci_container *c, struct machine *m)
{
        char hostname[HOST_NAME_MAX + 1] = "";

        m->name = strdup(c->id);
        if (!m->name)
                return -ENOMEM;
        m->verb = VERB_EXEC;
        m->oci = c;
        m->console = c->terminal ? CONSOLE_PASSIVE : CONSOLE_PIPE;
        m->register_mode = REGISTER_NO;
        m->settings_mode = SETTINGS_NO;
        m->resolv_conf = RESOLV_CONF_OFF;
        m->timezone = TIMEZONE_OFF;
        m->link_journal = LINK_JOURNAL_NO;
        /* No linux.seccomp: no filter, as the specification has it (a profile given is
         * refused, oci/config.c, until it is implemented). */
        m->seccomp_off = true;
        /* Its own UTS namespace, with the host's name unless config.json gives one; a
         * pod's, joined, keeps its own unless config.json gives one. */
        if (!m->hostname && !m->uts_namespace_path) {
                (void)gethostname(hostname, sizeof(hostname) - 1);
                m->hostname = strdup(hostname[0] ? hostname : c->id);
                if (!m->hostname)
                        return -ENOMEM;
        }
        return 0;
}

/* --systemd-cgroup's cgroupsPath, "slice:prefix:name" (runc's systemd driver): the scope
 * unit prefix-name.scope (name.scope without a prefix) in the slice (system.slice when
 * empty). 0, or our exit code after the line. */
static int systemd_scope_name(const char *path, char **ret_scope, char **ret_slice)
{
        static const char unit_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@";
        const char *first = strchr(path, ':'), *second = first ? strchr(first + 1, ':') : NULL;
        _cleanup_free_ char *slice = NULL, *prefix = NULL;
        const char *name;

        if (!first || !second || strchr(second + 1, ':'))
                return oci_usage("create: --systemd-cgroup: linux.cgroupsPath '%s' is not slice:prefix:name", path);
        slice = strndup(path, (size_t)(first - path));
        prefix = strndup(first + 1, (size_t)(second - first - 1));
        name = second + 1;
        if (!slice || !prefix)
                return OCI_EXIT_FAILED;
        if (!slice[0]) {
                free(slice);
                slice = strdup("system.slice");
                if (!slice)
                        return OCI_EXIT_FAILED;
        }
        if (!name[0] || strspn(name, unit_chars) != strlen(name) || strspn(prefix, unit_chars) != strlen(prefix) ||
            strspn(slice, unit_chars) != strlen(slice) || strlen(slice) < 7 ||
            strcmp(slice + strlen(slice) - 6, ".slice") != 0)
                return oci_usage("create: --systemd-cgroup: linux.cgroupsPath '%s': give SLICE.slice:PREFIX:NAME with "
                                 "unit name characters",
                                 path);
        if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".slice") == 0)
                return oci_usage("create: --systemd-cgroup: linux.cgroupsPath '%s' names a slice for the container: "
                                 "not implemented by machined-lite (a scope is made)",
                                 path);
        if (asprintf(ret_scope, "%s%s%s.scope", prefix, prefix[0] ? "-" : "", name) < 0)
                return OCI_EXIT_FAILED;
        *ret_slice = TAKE_PTR(slice);
        return 0;
}

int oci_verb_create(const struct oci_global *g, int argc, char *argv[])
{
        static const struct option options[] = {
                { "bundle", required_argument, NULL, CREATE_BUNDLE },
                { "b", required_argument, NULL, CREATE_BUNDLE },
                { "pid-file", required_argument, NULL, CREATE_PID_FILE },
                { "console-socket", required_argument, NULL, CREATE_CONSOLE_SOCKET },
                { "no-pivot", no_argument, NULL, CREATE_NO_PIVOT },
                { "no-new-keyring", no_argument, NULL, CREATE_NO_NEW_KEYRING },
                { "preserve-fds", required_argument, NULL, CREATE_PRESERVE_FDS },
                {},
        };
        _cleanup_(machine_donep) struct machine m = MACHINE_INIT;
        struct oci_container c = OCI_CONTAINER_INIT;
        struct create_args a = { .bundle = "." };
        _cleanup_close_ int range_lock = -EBADF;
        _cleanup_free_ char *scope = NULL, *slice = NULL;
        struct handoff_ctx ctx = { .g = g, .c = &c, .m = &m };
        const char *id;
        bool made = false;
        int r;

        r = oci_parse_verb_options(argc, argv, options, create_option, &a);
        if (r == 0)
                r = oci_take_id(argc, argv, optind, &id);
        if (r != 0)
                return r;
        if (optind + 1 < argc)
                return oci_usage("create: one container ID, not '%s' too", argv[optind + 1]);
        c.id = strdup(id);
        c.bundle = realpath(a.bundle, NULL);
        if (!c.id)
                return OCI_EXIT_FAILED;
        if (!c.bundle) {
                log_error_errno(-errno, "Bundle %s cannot be used: %m (a directory with config.json and the root)",
                                a.bundle);
                r = OCI_EXIT_USAGE;
                goto out;
        }
        c.systemd_cgroup = g->systemd_cgroup;
        c.preserve_fds = a.preserve_fds;
        if (a.pid_file && !(c.pid_file = a.pid_file[0] == '/' ? strdup(a.pid_file) : realpath(".", NULL))) {
                r = OCI_EXIT_FAILED;
                goto out;
        }
        if (a.pid_file && a.pid_file[0] != '/') {
                char *absolute = NULL;

                if (asprintf(&absolute, "%s/%s", c.pid_file, a.pid_file) < 0) {
                        r = OCI_EXIT_FAILED;
                        goto out;
                }
                free(c.pid_file);
                c.pid_file = absolute;
        }
        if (a.console_socket && !(c.console_socket = strdup(a.console_socket))) {
                r = OCI_EXIT_FAILED;
                goto out;
        }
        r = oci_config_load(&c, &m);
        if (r < 0) {
                r = r == -ENOMEM ? OCI_EXIT_FAILED : OCI_EXIT_USAGE;
                goto out;
        }
        if (c.terminal != !!c.console_socket) {
                r = oci_usage(c.terminal ? "create: process.terminal is true: give --console-socket for its pty"
                                         : "create: --console-socket given, but process.terminal is false");
                goto out;
        }
        if (g->systemd_cgroup && m.cgroup_path && strchr(m.cgroup_path, ':')) {
                r = systemd_scope_name(m.cgroup_path, &scope, &slice);
                if (r != 0)
                        goto out;
        }
        /* The paths the state keeps, and list and status print: no control character (a
         * newline would forge keys of the state, an escape would reach a terminal). */
        if (!oci_state_value_is_valid(c.bundle) || !oci_state_value_is_valid(m.root) ||
            !oci_state_value_is_valid(m.cgroup_path)) {
                r = oci_usage("create: the bundle's path, root.path or linux.cgroupsPath holds a control character "
                              "(a newline, an escape): give paths without");
                goto out;
        }
        r = share_host_namespaces(&c, &m);
        if (r != 0)
                goto out;
        r = container_machine(&c, &m);
        if (r < 0) {
                r = OCI_EXIT_FAILED;
                goto out;
        }
        if (oci_hooks_check_container(&c.hooks, &m, c.id) < 0) {
                r = OCI_EXIT_USAGE;
                goto out;
        }
        r = machine_resolve_root(&m);
        if (r >= 0)
                r = machine_check_root(&m);
        if (r < 0) {
                r = r == -ENOMEM ? OCI_EXIT_FAILED : OCI_EXIT_USAGE;
                goto out;
        }
        /* A pod's user namespace joined: its range is the pod's (held by its sandbox); the
         * map config.json gives is checked against the namespace's own when it is opened
         * (host/namespaces.c). */
        if (m.private_users != PRIVATE_USERS_NO && !m.user_namespace_path && userns_choose(&m, &range_lock) < 0) {
                r = OCI_EXIT_FAILED;
                goto out;
        }
        r = oci_state_make(g->root, c.id, m.private_users != PRIVATE_USERS_NO ? m.uid_base : 0, &c.state_dir);
        if (r < 0) {
                r = r == -EEXIST ? OCI_EXIT_EXISTS : OCI_EXIT_FAILED;
                goto out;
        }
        c.start_fifo = r;
        made = true;
        /* --systemd-cgroup: the scope systemd makes for the container, which we join
         * first, so that the container is made in its cgroup, as runc's systemd driver. */
        if (scope) {
                r = register_container_scope(scope, slice, c.id);
                if (r < 0) {
                        r = r == -EEXIST ? OCI_EXIT_EXISTS : OCI_EXIT_FAILED;
                        goto out;
                }
                m.cgroup_own = true;
        }
        if (custom_mounts_prepare(&m) < 0) {
                r = OCI_EXIT_FAILED;
                goto out;
        }
        r = supervisor_create(&m, handoff, &ctx);
        custom_mounts_cleanup(&m);
        r = r == 0 ? 0 : OCI_EXIT_FAILED;
out:
        if (r != 0 && made)
                (void)oci_state_remove(g->root, c.id);
        m.oci = NULL;
        oci_container_done(&c);
        return r;
}
