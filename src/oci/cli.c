/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machined-lite-oci: the OCI runtime command line (runc's, as podman, conmon, CRI-O and
 * containerd's shim call it): global options, then a verb and its own. Every container is
 * a machine built by the same code as `run` (host/supervisor.c's supervisor_create()). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/machine.h"
#include "config/usage.h"
#include "host/cgroup-signal.h"
#include "host/cgroup.h"
#include "oci/cli.h"
#include "oci/config.h"
#include "oci/enter.h"
#include "oci/hooks.h"
#include "oci/state.h"
#include "oci/verbs.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/path.h"
#include "util/pidref.h"
#include "util/sealed-exe.h"
#include "util/strv.h"
#include "util/time.h"

#ifndef MACHINED_LITE_VERSION
#define MACHINED_LITE_VERSION "0.1.0"
#endif


static const char *oci_program = "machined-lite-oci";

int oci_usage(const char *format, ...)
{
        va_list ap;

        usage_set_program(oci_program);
        va_start(ap, format);
        (void)usage_errorv(format, ap);
        va_end(ap);
        return OCI_EXIT_USAGE;
}

static void help(void)
{
        printf("%s [GLOBAL OPTIONS] VERB [OPTIONS] ID\n\n"
               "The OCI runtime of machined-lite: each container a machine.\n\n"
               "Global options:\n"
               "      --root DIR           State directory (default " OCI_DEFAULT_ROOT ")\n"
               "      --log FILE           Messages go to FILE instead of stderr\n"
               "      --log-format FORMAT  text or json (one object a line, as runc's)\n"
               "      --systemd-cgroup     cgroupsPath is slice:prefix:name\n"
               "      --debug, --rootless=BOOL\n"
               "  -v, --version            Show the version\n\n"
               "Verbs:\n"
               "  create [--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] [--preserve-fds N]\n"
               "         [--no-pivot] [--no-new-keyring] ID\n"
               "  start ID\n"
               "  exec [--process FILE | --env VAR=VALUE --cwd DIR --user UID[:GID] --additional-gids GID\n"
               "       --cap CAP --tty --no-new-privs] [--detach] [--pid-file FILE] [--console-socket SOCKET]\n"
               "       [--preserve-fds N] [--ignore-paused] [--cgroup [CONTROLLER,...:]PATH] ID [COMMAND...]\n"
               "  state ID\n"
               "  kill [--all] ID [SIGNAL]\n"
               "  delete [--force] ID\n"
               "  list [--format table|json] [--quiet]\n"
               "  ps [--format table|json] ID\n"
               "  pause ID, resume ID\n"
               "  features\n"
               "  spec [--bundle DIR]      Write a config.json to start a bundle from\n",
               oci_program);
}

/* The verb's options, runc's spelling (one dash or two, as urfave/cli takes them). */
int oci_parse_verb_options(int argc, char *argv[], const struct option *options,
                           int (*apply)(int c, const char *value, void *userdata), void *userdata)
{
        int c, r;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long_only(argc, argv, "+", options, NULL)) >= 0) {
                if (c == '?')
                        return oci_usage("%s: unknown option '%s'", argv[0], argv[optind - 1]);
                if (c == ':')
                        return oci_usage("%s: option '%s' needs a value", argv[0], argv[optind - 1]);
                r = apply(c, optarg, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

int oci_parse_preserve_fds(const char *verb, const char *value, unsigned *ret)
{
        char *end;
        long n;

        errno = 0;
        n = strtol(value, &end, 10);
        if (errno || end == value || *end || n < 0 || n > OCI_PRESERVE_FDS_MAX)
                return oci_usage("%s: --preserve-fds takes a number from 0 to %d, not '%s'", verb, OCI_PRESERVE_FDS_MAX,
                                 value);
        for (int fd = 3; fd < 3 + n; fd++) {
                int flags = fcntl(fd, F_GETFD);

                /* Not open: an fd of ours would take its place, and go into the container. */
                if (flags < 0)
                        return oci_usage("%s: --preserve-fds=%ld: fd %d is not open (the caller passes fds 3 to %ld)",
                                         verb, n, fd, 2 + n);
                if ((flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                        return log_error_errno(-errno, "%s: cannot keep fd %d open for the container: %m", verb, fd),
                               OCI_EXIT_FAILED;
        }
        *ret = (unsigned)n;
        return 0;
}

/* The one ID a verb works on, its last argument. */
int oci_take_id(int argc, char *argv[], int first, const char **ret)
{
        if (first >= argc)
                return oci_usage("%s: no container ID given", argv[0]);
        if (!oci_id_is_valid(argv[first]))
                return oci_usage("%s: '%s' is no container ID (letters, digits, '_', '-' and '.', at most 128)",
                                 argv[0], argv[first]);
        *ret = argv[first];
        return 0;
}

/* A verb whose one option is the flag NAME (--NAME or -LETTER, as runc spells them), then
 * the ID: sets *FLAG, and the ID, at optind. */
static int parse_flag_and_id(int argc, char *argv[], const char *name, bool *flag, const char **ret_id)
{
        const struct option options[] = {
                { name, no_argument, NULL, 'x' },
                { (const char[]){ name[0], '\0' }, no_argument, NULL, 'x' },
                {},
        };

        int c;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long_only(argc, argv, "+", options, NULL)) >= 0) {
                if (c != 'x')
                        return oci_usage("%s: unknown option '%s' (--%s is its only one)", argv[0], argv[optind - 1],
                                         name);
                *flag = true;
        }
        return oci_take_id(argc, argv, optind, ret_id);
}


/* A container that exists, with its state; logs and returns our exit code otherwise. */
int oci_load_state(const struct oci_global *g, const char *id, struct oci_state *ret)
{
        int r = oci_state_read(g->root, id, ret);

        if (r == -ENOENT) {
                log_error("container %s does not exist (machined-lite-oci list shows those in %s)", id, g->root);
                return OCI_EXIT_NO_SUCH;
        }
        if (r == -EAGAIN) {
                log_error("container %s is being created (or its create died: delete --force %s)", id, id);
                return OCI_EXIT_STATE;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot read the state of container %s: %m", id);
                return OCI_EXIT_FAILED;
        }
        return 0;
}

/* The container of the ID at ARGV[FIRST], that exists: its state. */
int oci_load_container(const struct oci_global *g, int argc, char *argv[], int first, const char **ret_id,
                       struct oci_state *ret)
{
        int r = oci_take_id(argc, argv, first, ret_id);

        return r != 0 ? r : oci_load_state(g, *ret_id, ret);
}

/* --- start, state, kill, delete, pause, resume, ps, list ---------------------------- */

/* The container's saved hooks (oci/hooks.h); logs and returns our exit code when they
 * cannot be read. */
static int load_hooks(const struct oci_global *g, const struct oci_state *s, struct oci_hooks *ret)
{
        _cleanup_free_ char *state_dir = NULL;

        if (asprintf(&state_dir, "%s/%s", g->root, s->id) < 0)
                return OCI_EXIT_FAILED;
        return oci_hooks_parse(state_dir, s->hooks, ret) < 0 ? OCI_EXIT_FAILED : 0;
}

/* startContainer, in the container's namespaces before its process runs: one that
 * fails stops the container (config.md). */
static int run_start_hooks(const struct oci_global *g, const struct oci_hooks *hooks, const struct oci_state *s)
{
        struct oci_container_entry entry = OCI_CONTAINER_ENTRY_INIT;
        _cleanup_(machine_donep) struct machine m = MACHINE_INIT;
        struct oci_container c = OCI_CONTAINER_INIT;
        int r;

        if (hooks->n[OCI_HOOK_START_CONTAINER] == 0)
                return 0;
        /* The container as created (its config.json kept in our state), whose privileges
         * the hooks run with. */
        c.bundle = strdup(s->bundle);
        r = c.bundle && asprintf(&c.config_file, "%s/%s/config.json", g->root, s->id) >= 0 ? 0 : -ENOMEM;
        if (r >= 0)
                r = oci_config_load(&c, &m);
        m.oci = &c;
        if (r >= 0)
                r = oci_container_open(s, &entry);
        if (r >= 0)
                r = oci_hooks_run(hooks, OCI_HOOK_START_CONTAINER, s, OCI_CREATED, &entry, &m);
        m.oci = NULL;
        oci_container_done(&c);
        if (r < 0 && entry.pidfd >= 0)
                (void)pidfd_send_signal(entry.pidfd, SIGKILL, NULL, 0);
        oci_container_entry_done(&entry);
        return r;
}

static int verb_start(const struct oci_global *g, int argc, char *argv[])
{
        _cleanup_(oci_state_done) struct oci_state s = {};
        _cleanup_(oci_hooks_done) struct oci_hooks hooks = {};
        _cleanup_free_ char *fifo = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *id;
        char byte;
        int r;

        r = oci_load_container(g, argc, argv, 1, &id, &s);
        if (r != 0)
                return r;
        if (oci_state_status(g->root, &s) != OCI_CREATED) {
                log_error("container %s is %s: only a created container starts", id,
                          oci_status_name(oci_state_status(g->root, &s)));
                return OCI_EXIT_STATE;
        }
        r = load_hooks(g, &s, &hooks);
        if (r != 0)
                return r;
        /* A startContainer hook runs in the container, our binary until it execs: from a
         * sealed copy, as create and exec always are (start begins again there). */
        if (hooks.n[OCI_HOOK_START_CONTAINER] > 0 && sealed_exe_reexec(g->argv) < 0)
                return OCI_EXIT_FAILED;
        if (run_start_hooks(g, &hooks, &s) < 0)
                return OCI_EXIT_FAILED;
        if (asprintf(&fifo, "%s/%s/exec.fifo", g->root, id) < 0)
                return OCI_EXIT_FAILED;
        /* Not blocking: an init that died meanwhile never opens its end. */
        fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m", fifo), OCI_EXIT_FAILED;
        for (uint64_t deadline = now_usec() + 10ULL * 1000000ULL;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, 100) > 0 && (n = read(fd, &byte, 1)) == 1)
                        break;
                if (oci_state_status(g->root, &s) == OCI_STOPPED || now_usec() > deadline) {
                        log_error("container %s did not start: its init is gone", id);
                        return OCI_EXIT_FAILED;
                }
        }
        (void)unlink(fifo);
        /* poststart: one that fails is a warning; the container runs on (config.md). */
        if (oci_hooks_run(&hooks, OCI_HOOK_POSTSTART, &s, OCI_RUNNING, NULL, NULL) < 0)
                log_warning("container %s runs, but a poststart hook failed", id);
        return 0;
}

static int verb_state(const struct oci_global *g, int argc, char *argv[])
{
        _cleanup_(oci_state_done) struct oci_state s = {};
        const char *id;
        int r;

        r = oci_load_container(g, argc, argv, 1, &id, &s);
        if (r != 0)
                return r;
        oci_state_print(stdout, &s, oci_state_status(g->root, &s));
        return 0;
}

/* A signal as runc takes it: a number, KILL, or SIGKILL. */
static int parse_signal(const char *value)
{
        char *end;
        long n;

        errno = 0;
        n = strtol(value, &end, 10);
        if (!errno && !*end && end != value)
                return n > 0 && n < _NSIG ? (int)n : -EINVAL;
        if (strncasecmp(value, "SIG", 3) == 0)
                value += 3;
        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *name = sigabbrev_np(sig);

                if (name && strcasecmp(name, value) == 0)
                        return sig;
        }
        return -EINVAL;
}

/* Every process in the container's cgroup, for kill --all and ps. */
static int cgroup_pids(const char *cgroup, pid_t **ret, size_t *ret_n)
{
        _cleanup_free_ char *path = NULL;
        FILE *f;
        pid_t *pids = NULL;
        size_t n = 0;
        int pid;

        if (asprintf(&path, "%s/cgroup.procs", cgroup) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (fscanf(f, "%d", &pid) == 1) {
                pid_t *grown = realloc(pids, (n + 1) * sizeof(*pids));

                if (!grown) {
                        fclose(f);
                        free(pids);
                        return -ENOMEM;
                }
                pids = grown;
                pids[n++] = pid;
        }
        fclose(f);
        *ret = pids;
        *ret_n = n;
        return 0;
}

static int verb_kill(const struct oci_global *g, int argc, char *argv[])
{
        _cleanup_(oci_state_done) struct oci_state s = {};
        _cleanup_close_ int pidfd = -EBADF;
        bool all = false;
        const char *id;
        int sig = SIGTERM, r;

        r = parse_flag_and_id(argc, argv, "all", &all, &id);
        if (r != 0)
                return r;
        if (optind + 1 < argc && (sig = parse_signal(argv[optind + 1])) < 0)
                return oci_usage("kill: '%s' is no signal (a number, KILL or SIGKILL)", argv[optind + 1]);
        r = oci_load_state(g, id, &s);
        if (r != 0)
                return r;
        /* --all: every process of its cgroup, held by pidfds (a PID may be reused), its
         * init gone or not: in a PID namespace it shares (the host's, a pod's) what it
         * started outlives it, and containerd's shim sends them SIGKILL so, as runc's. */
        if (all) {
                if (access(s.cgroup, F_OK) < 0 && errno == ENOENT)
                        return 0;
                r = sig == SIGKILL ? cgroup_kill_all(s.cgroup) : cgroup_signal(s.cgroup, sig, 0);
                if (r < 0)
                        return log_error_errno(r, "Cannot signal the processes of container %s: %m", id), OCI_EXIT_FAILED;
                return 0;
        }
        if (oci_state_status(g->root, &s) == OCI_STOPPED) {
                log_error("container %s is stopped: no process to signal", id);
                return OCI_EXIT_STATE;
        }
        pidfd = pidfd_open_exact(s.pid, s.pid_start);
        if (pidfd < 0 || pidfd_send_signal(pidfd, sig, NULL, 0) < 0) {
                log_error("container %s: cannot signal its init (PID %d): %s", id, (int)s.pid,
                          strerror(pidfd < 0 ? -pidfd : errno));
                return OCI_EXIT_FAILED;
        }
        return 0;
}

/* Its cgroups on a v2 host (and the v1 ones of a hybrid host, named as ours are): every
 * process killed, then removed. */
static int remove_container_cgroup(const struct oci_state *s)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!s->cgroup || !s->cgroup[0])
                return 0;
        fd = open(s->cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        {
                struct guest_cgroup cg = GUEST_CGROUP_INIT;

                cg.fd = fd;
                cg.path = s->cgroup;
                (void)cgroup_kill(&cg);
        }
        cgroup_wait_unpopulated(fd);
        /* A systemd scope's (--systemd-cgroup) is systemd's to remove once it is empty:
         * removed under it, the unit would never hear that it emptied, and stay active. */
        if (strlen(s->cgroup) > 6 && strcmp(s->cgroup + strlen(s->cgroup) - 6, ".scope") == 0)
                return 0;
        /* A killed init the caller has not reaped yet (a zombie) keeps its cgroups busy
         * though they show no process: conmon reaps at once, other callers later. */
        for (int i = 0; i < 200; i++) {
                bool busy = false;

                for (size_t k = 0; s->cgroup_v1 && s->cgroup_v1[k]; k++)
                        if (cgroup_remove_tree(AT_FDCWD, s->cgroup_v1[k]) == -EBUSY)
                                busy = true;
                r = cgroup_remove_tree(AT_FDCWD, s->cgroup);
                if (r != -EBUSY && !busy)
                        break;
                if (r == -EBUSY || busy)
                        r = -EBUSY;
                (void)usleep(50 * 1000);
        }
        return r == -ENOENT ? 0 : r;
}

static int verb_delete(const struct oci_global *g, int argc, char *argv[])
{
        _cleanup_(oci_state_done) struct oci_state s = {};
        _cleanup_(oci_hooks_done) struct oci_hooks hooks = {};
        bool force = false;
        enum oci_status status;
        const char *id;
        int r;

        r = parse_flag_and_id(argc, argv, "force", &force, &id);
        if (r != 0)
                return r;
        r = oci_state_read(g->root, id, &s);
        /* A create that died before writing its state: nothing runs; --force clears it.
         * And --force of one that is gone already is done, as runc has it (containerd's
         * shim deletes once more as it cleans up). */
        if (r == -EAGAIN && force)
                return oci_state_remove(g->root, id) < 0 ? OCI_EXIT_FAILED : 0;
        if (r == -ENOENT && force)
                return 0;
        if (r < 0) {
                oci_state_done(&s);
                return oci_load_state(g, id, &s);
        }
        status = oci_state_status(g->root, &s);
        if (status != OCI_STOPPED && !force) {
                log_error("container %s is %s: delete takes a stopped one (kill it first, or delete --force)", id,
                          oci_status_name(status));
                return OCI_EXIT_STATE;
        }
        /* Read before the state goes: poststop runs once it has. */
        (void)load_hooks(g, &s, &hooks);
        r = remove_container_cgroup(&s);
        if (r < 0)
                log_error_errno(r, "Cannot remove the cgroup %s of container %s: %m", s.cgroup, id);
        r = oci_state_remove(g->root, id);
        if (r < 0)
                return log_error_errno(r, "Cannot remove the state of container %s: %m", id), OCI_EXIT_FAILED;
        /* poststop: one that fails is a warning; the container is deleted (config.md). */
        if (oci_hooks_run(&hooks, OCI_HOOK_POSTSTOP, &s, OCI_STOPPED, NULL, NULL) < 0)
                log_warning("container %s is deleted, but a poststop hook failed", id);
        return 0;
}

static int set_frozen(const struct oci_global *g, int argc, char *argv[], bool frozen)
{
        _cleanup_(oci_state_done) struct oci_state s = {};
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        enum oci_status status;
        const char *id;
        int r;

        r = oci_load_container(g, argc, argv, 1, &id, &s);
        if (r != 0)
                return r;
        status = oci_state_status(g->root, &s);
        if (status != (frozen ? OCI_RUNNING : OCI_PAUSED)) {
                log_error("container %s is %s: %s takes a %s one", id, oci_status_name(status), argv[0],
                          frozen ? "running" : "paused");
                return OCI_EXIT_STATE;
        }
        /* The cgroup v2 freezer (cgroup.freeze). */
        if (asprintf(&path, "%s/cgroup.freeze", s.cgroup) < 0)
                return OCI_EXIT_FAILED;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, frozen ? "1" : "0", 1) != 1)
                return log_error_errno(-errno, "Cannot %s container %s (%s): %m", argv[0], id, path), OCI_EXIT_FAILED;
        return 0;
}

static int verb_pause(const struct oci_global *g, int argc, char *argv[])
{
        return set_frozen(g, argc, argv, true);
}

static int verb_resume(const struct oci_global *g, int argc, char *argv[])
{
        return set_frozen(g, argc, argv, false);
}

/* --format json|table, for list and ps. */
static int parse_format(int argc, char *argv[], bool *json, bool *quiet)
{
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "f", required_argument, NULL, 'f' },
                { "quiet", no_argument, NULL, 'q' },
                { "q", no_argument, NULL, 'q' },
                {},
        };
        int c;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long_only(argc, argv, "+", options, NULL)) >= 0) {
                if (c == 'q' && quiet)
                        *quiet = true;
                else if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
                        *json = !strcmp(optarg, "json");
                else
                        return oci_usage("%s: '%s' is no option of it (--format table|json%s)", argv[0],
                                         argv[optind - 1], quiet ? ", --quiet" : "");
        }
        return 0;
}

static int verb_ps(const struct oci_global *g, int argc, char *argv[])
{
        _cleanup_(oci_state_done) struct oci_state s = {};
        _cleanup_free_ pid_t *pids = NULL;
        bool json = false;
        size_t n = 0;
        const char *id;
        int r;

        r = parse_format(argc, argv, &json, NULL);
        if (r == 0)
                r = oci_load_container(g, argc, argv, optind, &id, &s);
        if (r != 0)
                return r;
        r = cgroup_pids(s.cgroup, &pids, &n);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Cannot list the processes of container %s: %m", id), OCI_EXIT_FAILED;
        if (json) {
                fputc('[', stdout);
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", (int)pids[i]);
                fputs("]\n", stdout);
        } else {
                puts("PID");
                for (size_t i = 0; i < n; i++)
                        printf("%d\n", (int)pids[i]);
        }
        return 0;
}

static int verb_list(const struct oci_global *g, int argc, char *argv[])
{
        _cleanup_(strv_freep) char **ids = NULL;
        bool json = false, quiet = false;
        int r;

        r = parse_format(argc, argv, &json, &quiet);
        if (r != 0)
                return r;
        r = oci_state_list(g->root, &ids);
        if (r < 0)
                return log_error_errno(r, "Cannot list %s: %m", g->root), OCI_EXIT_FAILED;
        if (json)
                fputc('[', stdout);
        else if (!quiet)
                printf("%-24s %-8s %-10s %-36s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
        for (size_t i = 0, shown = 0; ids && ids[i]; i++) {
                _cleanup_(oci_state_done) struct oci_state s = {};
                enum oci_status status;

                if (oci_state_read(g->root, ids[i], &s) < 0)
                        continue;
                status = oci_state_status(g->root, &s);
                if (json) {
                        if (shown++)
                                fputc(',', stdout);
                        oci_state_print(stdout, &s, status);
                } else if (quiet)
                        puts(s.id);
                else
                        printf("%-24s %-8d %-10s %-36s %s\n", s.id, status == OCI_STOPPED ? 0 : (int)s.pid,
                               oci_status_name(status), s.bundle, s.created);
        }
        if (json)
                fputs("]\n", stdout);
        return 0;
}

static const struct {
        const char *name;
        int (*run)(const struct oci_global *g, int argc, char *argv[]);
} oci_verbs[] = {
        { "create", oci_verb_create }, { "exec", oci_verb_exec }, { "start", verb_start },
        { "state", verb_state },       { "kill", verb_kill },     { "delete", verb_delete },
        { "pause", verb_pause },       { "resume", verb_resume }, { "ps", verb_ps },
        { "list", verb_list },         { "spec", oci_verb_spec }, { "features", oci_verb_features },
};

enum {
        GLOBAL_ROOT = 0x100,
        GLOBAL_LOG,
        GLOBAL_LOG_FORMAT,
        GLOBAL_SYSTEMD_CGROUP,
        GLOBAL_DEBUG,
        GLOBAL_ROOTLESS,
        GLOBAL_CRIU
};

int verb_oci(int argc, char *argv[])
{
        static const struct option options[] = {
                { "root", required_argument, NULL, GLOBAL_ROOT },
                { "log", required_argument, NULL, GLOBAL_LOG },
                { "log-format", required_argument, NULL, GLOBAL_LOG_FORMAT },
                { "systemd-cgroup", no_argument, NULL, GLOBAL_SYSTEMD_CGROUP },
                { "debug", no_argument, NULL, GLOBAL_DEBUG },
                { "rootless", required_argument, NULL, GLOBAL_ROOTLESS },
                { "criu", required_argument, NULL, GLOBAL_CRIU },
                { "version", no_argument, NULL, 'v' },
                { "v", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "h", no_argument, NULL, 'h' },
                {},
        };
        struct oci_global g = { .root = OCI_DEFAULT_ROOT };
        const char *log_path = NULL, *format = "text";
        FILE *log_file = NULL;
        int c, r = 0;

        opterr = 0;
        while ((c = getopt_long_only(argc, argv, "+", options, NULL)) >= 0) {
                switch (c) {
                case GLOBAL_ROOT:
                        g.root = optarg;
                        break;
                case GLOBAL_LOG:
                        log_path = optarg;
                        break;
                case GLOBAL_LOG_FORMAT:
                        format = optarg;
                        break;
                case GLOBAL_SYSTEMD_CGROUP:
                        g.systemd_cgroup = true;
                        break;
                case GLOBAL_DEBUG:
                case GLOBAL_CRIU:
                        break;
                case GLOBAL_ROOTLESS:
                        if (!strcmp(optarg, "true"))
                                r = oci_usage("--rootless=true: machined-lite-oci runs containers as root only");
                        else if (strcmp(optarg, "false") != 0 && strcmp(optarg, "auto") != 0)
                                r = oci_usage("--rootless takes true, false or auto, not '%s'", optarg);
                        break;
                case 'v':
                        printf("%s version %s\nspec: 1.3.0\nmachined-lite: %s\n", oci_program, MACHINED_LITE_VERSION,
                               MACHINED_LITE_VERSION);
                        return 0;
                case 'h':
                        help();
                        return 0;
                default:
                        r = oci_usage("unknown global option '%s'", argv[optind - 1]);
                }
                if (r != 0)
                        return r;
        }
        if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
                return oci_usage("--log-format takes text or json, not '%s'", format);
        if (log_path) {
                log_file = fopen(log_path, "ae");
                if (!log_file)
                        return log_error_errno(-errno, "Cannot open the log %s: %m", log_path), OCI_EXIT_FAILED;
        }
        log_set_output(log_file, oci_program, !strcmp(format, "json"));
        /* The verbs whose processes a container sees before they exec (its init until
         * start, exec's process, the createContainer hooks run in it): from a sealed copy
         * of us (the log is open: what fails goes there; its fd closes with the exec, to
         * open anew). start does it only for a startContainer hook. */
        g.argv = argv;
        if (optind < argc && geteuid() == 0 && (!strcmp(argv[optind], "create") || !strcmp(argv[optind], "exec")) &&
            sealed_exe_reexec(argv) < 0)
                return OCI_EXIT_FAILED;
        if (optind >= argc)
                return oci_usage(
                        "no verb given (create, start, exec, state, kill, delete, list, ps, pause, resume, features, spec)");
        /* (spec and features write or print what anyone may.) */
        if (geteuid() != 0 && strcmp(argv[optind], "spec") != 0 && strcmp(argv[optind], "features") != 0) {
                log_error("Must be run as root: a container's namespaces and mounts need it");
                return OCI_EXIT_NOT_ROOT;
        }
        for (size_t i = 0; i < ELEMENTSOF(oci_verbs); i++)
                if (!strcmp(argv[optind], oci_verbs[i].name))
                        return oci_verbs[i].run(&g, argc - optind, argv + optind);
        return oci_usage("unknown verb '%s' (create, start, exec, state, kill, delete, list, ps, pause, resume, features, spec)",
                         argv[optind]);
}
