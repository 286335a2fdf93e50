/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* list, status, stop, reboot and kill: the running machines found through their state
 * files, acted on only through pidfds of the exact processes. shell is verbs/shell.c's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config/machine.h"
#include "config/options.h"
#include "host/cgroup-signal.h"
#include "host/state.h"
#include "util/json.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/pidref.h"
#include "verbs/containers.h"
#include "verbs/control.h"
#include "verbs/running.h"

/* How long stop waits for the machine to power off: the supervisor's own limit (15 s)
 * and some. */
#define STOP_TIMEOUT_MS 30000
/* How long an OCI container has to end after SIGTERM: podman stop's default. */
#define OCI_STOP_TIMEOUT_MS 10000

/* The verbs here take NAME and a few options of their own; argv[0] is the verb. */
struct verb_arguments {
        const char *name;
        bool json;
        int signal;
        bool leader_only;
};

static int parse_verb_arguments(int argc, char *argv[], bool takes_name, struct verb_arguments *a);

/* Returns 0 to go on, EXIT_USAGE after one line, or -1 after --help (exit 0). */
static int parse_verb(int argc, char *argv[], bool takes_name, struct verb_arguments *a)
{
        int r = parse_verb_arguments(argc, argv, takes_name, a);

        return r < 0 ? EXIT_USAGE : r > 0 ? -1 : 0;
}

static int parse_verb_arguments(int argc, char *argv[], bool takes_name, struct verb_arguments *a)
{
        static const struct option options[] = { { "json", no_argument, NULL, 'j' },
                                                 { "signal", required_argument, NULL, 's' },
                                                 { "kill-whom", required_argument, NULL, 'w' },
                                                 { "quiet", no_argument, NULL, 'q' },
                                                 { "help", no_argument, NULL, 'h' },
                                                 {} };
        int c;

        *a = (struct verb_arguments){ .signal = SIGTERM };
        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":s:qh", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        if (strcmp(argv[0], "list") != 0)
                                return usage_error("--json is for list");
                        a->json = true;
                        break;
                case 's':
                        if (strcmp(argv[0], "kill") != 0)
                                return usage_error("--signal is for kill");
                        a->signal = signal_from_string(optarg);
                        if (a->signal <= 0)
                                return usage_error("Unknown signal '%s' (give a name such as SIGUSR1, or a number)",
                                                   optarg);
                        break;
                case 'w':
                        if (strcmp(argv[0], "kill") != 0)
                                return usage_error("--kill-whom is for kill");
                        if (strcmp(optarg, "leader") != 0 && strcmp(optarg, "all") != 0)
                                return usage_error("--kill-whom takes leader or all, not '%s'", optarg);
                        a->leader_only = strcmp(optarg, "leader") == 0;
                        break;
                case 'q':
                        log_quiet = true;
                        break;
                case 'h':
                        printf("Usage: machined-lite %s\n", !strcmp(argv[0], "list") ? "list [--json]"
                                                            : !strcmp(argv[0], "kill")
                                                                    ? "kill NAME [--signal=SIG] [--kill-whom=leader|all]"
                                                            : !strcmp(argv[0], "status") ? "status NAME"
                                                            : !strcmp(argv[0], "stop")   ? "stop NAME"
                                                                                         : "reboot NAME");
                        return 1;
                case ':':
                        return usage_error("Option '%s' needs a value", argv[optind - 1]);
                default:
                        return usage_error("Unknown option '%s' for %s", argv[optind - 1], argv[0]);
                }
        if (takes_name) {
                if (optind >= argc)
                        return usage_error("%s needs the NAME of a running machine (machined-lite list shows them)",
                                           argv[0]);
                a->name = argv[optind++];
        }
        if (optind < argc)
                return usage_error("Unexpected argument '%s' for %s", argv[optind], argv[0]);
        return 0;
}

static void format_since(uint64_t since, char *buf, size_t size)
{
        time_t t = (time_t)(since / 1000000ULL);
        struct tm tm;
        struct timespec now;
        long ago;
        size_t n;

        localtime_r(&t, &tm);
        n = strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", &tm);
        clock_gettime(CLOCK_REALTIME, &now);
        ago = (long)(now.tv_sec - t);
        if (ago < 0)
                ago = 0;
        if (ago < 120)
                snprintf(buf + n, size - n, "; %lds ago", ago);
        else if (ago < 7200)
                snprintf(buf + n, size - n, "; %ldmin ago", ago / 60);
        else
                snprintf(buf + n, size - n, "; %ldh %ldmin ago", ago / 3600, ago / 60 % 60);
}

/* The next of a state file's space-separated addresses at *CURSOR: its start in *RET,
 * its length, or 0 after the last. */
static size_t next_address(const char **cursor, const char **ret)
{
        const char *p = *cursor + strspn(*cursor, " ");
        size_t length = strcspn(p, " ");

        *ret = p;
        *cursor = p + length;
        return length;
}

static void print_list_json(const struct machine_state *list, size_t n)
{
        fputc('[', stdout);
        for (size_t i = 0; i < n; i++) {
                const struct machine_state *s = &list[i];

                fputs(i ? ", {\"name\": " : "{\"name\": ", stdout);
                json_print_string(s->name, stdout);
                fputs(", \"class\": ", stdout);
                json_print_string(s->class, stdout);
                fputs(", \"state\": \"running\", \"init\": ", stdout);
                json_print_string(s->init, stdout);
                printf(", \"leader\": %d, \"supervisor\": %d, \"root\": ", (int)s->leader, (int)s->supervisor);
                json_print_string(s->root, stdout);
                fputs(", \"image\": ", stdout);
                if (s->image)
                        json_print_string(s->image, stdout);
                else
                        fputs("null", stdout);
                fputs(", \"unit\": ", stdout);
                if (s->unit)
                        json_print_string(s->unit, stdout);
                else
                        fputs("null", stdout);
                /* Only a machine on a network of its own has the key: the others' objects
                 * stay as they were. */
                if (s->addresses) {
                        const char *cursor = s->addresses, *start;
                        char address[64];
                        size_t length;

                        fputs(", \"addresses\": [", stdout);
                        for (bool first = true; (length = next_address(&cursor, &start)) > 0; first = false) {
                                snprintf(address, sizeof(address), "%.*s", (int)length, start);
                                fputs(first ? "" : ", ", stdout);
                                json_print_string(address, stdout);
                        }
                        fputc(']', stdout);
                }
                printf(", \"since\": %llu}", (unsigned long long)s->since);
        }
        containers_print_json(n == 0);
        fputs("]\n", stdout);
}

static void print_list_table(const struct machine_state *list, size_t n)
{
        size_t width = MAX((size_t)16, containers_name_width());
        bool addresses = false;

        /* The ADDRESS column (the first address, as machinectl's list shows) only when a
         * machine listed has one: without, the table stays as it was. NAME as wide as the
         * longest (a container's ID may have 64 characters). */
        for (size_t i = 0; i < n; i++) {
                addresses = addresses || list[i].addresses;
                width = MAX(width, strlen(list[i].name));
        }
        printf("%-*s %-10s %-8s %-8s %8s  ", (int)width, "NAME", "CLASS", "STATE", "INIT", "LEADER");
        if (addresses)
                printf("%-18s ", "ADDRESS");
        printf("%-32s %s\n", "ROOT", "SINCE");
        for (size_t i = 0; i < n; i++) {
                const struct machine_state *s = &list[i];
                const char *cursor = s->addresses ?: "", *first;
                size_t length = next_address(&cursor, &first);
                char since[96];

                format_since(s->since, since, sizeof(since));
                printf("%-*s %-10s %-8s %-8s %8d  ", (int)width, s->name, s->class ?: "container", "running",
                       s->init ?: "-", (int)s->leader);
                if (addresses)
                        printf("%-18.*s ", length > 0 ? (int)length : 1, length > 0 ? first : "-");
                printf("%-32s %s\n", s->image ?: s->root, since);
        }
        /* And machined-lite-oci's containers, machines too. */
        n += containers_print_table(addresses, (int)width);
        printf("\n%zu machine%s listed.\n", n, n == 1 ? "" : "s");
}

int verb_list(int argc, char *argv[])
{
        struct verb_arguments a;
        struct machine_state *list;
        size_t n;
        int r = parse_verb(argc, argv, false, &a);

        if (r != 0)
                return r < 0 ? 0 : r;
        r = state_list(&list, &n);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", STATE_DIR), EXIT_SETUP_FAILED;
        if (a.json)
                print_list_json(list, n);
        else
                print_list_table(list, n);
        for (size_t i = 0; i < n; i++)
                machine_state_done(&list[i]);
        free(list);
        return 0;
}

static void print_cmdline(pid_t pid)
{
        char path[64], buffer[256];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        n = fd >= 0 ? read(fd, buffer, sizeof(buffer) - 1) : -1;
        if (fd >= 0)
                close(fd);
        if (n <= 0) {
                printf("%d\n", (int)pid);
                return;
        }
        buffer[n] = '\0';
        while (n > 1 && (buffer[n - 1] == '\0' || buffer[n - 1] == ' '))
                buffer[--n] = '\0';
        for (ssize_t i = 0; i < n; i++)
                if (buffer[i] == '\0')
                        buffer[i] = ' ';
                else if ((unsigned char)buffer[i] < 0x20 || buffer[i] == 0x7f)
                        buffer[i] = '?';
        printf("%d %s\n", (int)pid, buffer);
}

static int compare_strings(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The machine's cgroup tree with its processes, drawn as systemd-cgls draws one: a
 * cgroup's own processes first, then its children, each with the guides of its parents
 * in PREFIX. */
static void print_cgroup_tree(const char *path, const char *prefix)
{
        char file[PATH_MAX], **children = NULL, child_prefix[512];
        pid_t *pids = NULL;
        size_t n_children = 0, n_pids = 0;
        DIR *d;
        FILE *f;
        int pid;

        snprintf(file, sizeof(file), "%s/cgroup.procs", path);
        f = fopen(file, "re");
        while (f && fscanf(f, "%d", &pid) == 1) {
                pid_t *grown = realloc(pids, (n_pids + 1) * sizeof(*pids));

                if (!grown)
                        break;
                pids = grown;
                pids[n_pids++] = pid;
        }
        if (f)
                fclose(f);
        d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
                char **grown;

                if (e->d_type != DT_DIR || e->d_name[0] == '.')
                        continue;
                grown = realloc(children, (n_children + 1) * sizeof(*children));
                if (!grown)
                        break;
                children = grown;
                children[n_children] = strdup(e->d_name);
                if (children[n_children])
                        n_children++;
        }
        if (d)
                closedir(d);
        if (n_children > 1)
                qsort(children, n_children, sizeof(*children), compare_strings);

        for (size_t i = 0; i < n_pids; i++) {
                printf("%s%s", prefix, i + 1 == n_pids && n_children == 0 ? "└─" : "├─");
                print_cmdline(pids[i]);
        }
        for (size_t i = 0; i < n_children; i++) {
                bool last = i + 1 == n_children;

                printf("%s%s%s\n", prefix, last ? "└─" : "├─", children[i]);
                snprintf(child_prefix, sizeof(child_prefix), "%s%s", prefix, last ? "  " : "│ ");
                snprintf(file, sizeof(file), "%s/%s", path, children[i]);
                print_cgroup_tree(file, child_prefix);
                free(children[i]);
        }
        free(children);
        free(pids);
}

int verb_status(int argc, char *argv[])
{
        struct verb_arguments a;
        struct machine_state s;
        char since[96];
        size_t length;
        int r = parse_verb(argc, argv, true, &a);

        if (r != 0)
                return r < 0 ? 0 : r;
        /* The machine's state, read once; not a machine's: a container's of
         * machined-lite-oci's, if there is one; else read_running() says what is wrong. */
        r = machine_name_is_valid(a.name) ? state_read(a.name, &s) : containers_id_is_valid(a.name) ? -ENOENT : -EINVAL;
        if (r == -ENOENT && containers_print_status(a.name) == 0)
                return 0;
        if (r < 0) {
                r = read_running(a.name, &s);
                if (r != 0)
                        return r < 0 ? 0 : r;
        }
        format_since(s.since, since, sizeof(since));
        printf("%s (%s)\n", s.name, s.class ?: "container");
        printf("      State: running\n");
        printf("      Since: %s\n", since);
        printf("     Leader: %d (%s)\n", (int)s.leader, s.init ?: "init");
        printf(" Supervisor: %d (machined-lite)\n", (int)s.supervisor);
        printf("       Root: %s\n", s.root);
        if (s.image)
                printf("      Image: %s\n", s.image);
        /* One line an address, as machinectl status shows them (each with its prefix here). */
        for (const char *cursor = s.addresses ?: "", *address; (length = next_address(&cursor, &address)) > 0;)
                printf("    Address: %.*s\n", (int)length, address);
        if (s.unit)
                printf("       Unit: %s\n", s.unit);
        if (s.uid_count)
                printf("      Users: %u:%u (user namespace%s)\n", s.uid_base, s.uid_count,
                       s.uid_base == 0 ? ", identity" : "");
        printf("     CGroup: %s\n", s.cgroup);
        print_cgroup_tree(s.cgroup, "             ");
        machine_state_done(&s);
        return 0;
}

/* The start of the verbs that act on a machine: their arguments, root, and the state
 * of the running machine NAME. Returns 0 or the exit code. */
static int act_on_running(int argc, char *argv[], struct verb_arguments *a, struct machine_state *s)
{
        int r = parse_verb(argc, argv, true, a);

        if (r != 0)
                return r;
        if (geteuid() != 0)
                return log_error("Must be run as root to %s a machine (try sudo machined-lite %s ...)", argv[0], argv[0]),
                       EXIT_NOT_ROOT;
        /* A machine; else a container of machined-lite-oci's; else read_running() says
         * what is wrong. */
        r = machine_name_is_valid(a->name)    ? state_read(a->name, s)
            : containers_id_is_valid(a->name) ? -ENOENT
                                              : -EINVAL;
        if (r == -ENOENT && containers_read_state(a->name, s) == 0)
                return 0;
        return r < 0 ? read_running(a->name, s) : 0;
}

/* Signals a process of the machine through a pidfd of that very process (its PID and
 * start time as the state file has them), so that a PID reused since is never hit.
 * Returns the pidfd (to wait on), or -errno; -ESRCH: the process is gone. */
static int signal_exact(pid_t pid, uint64_t start_time, int sig)
{
        int fd = pidfd_open_exact(pid, start_time);

        if (fd < 0)
                return fd;
        if (pidfd_send_signal(fd, sig, NULL, 0) < 0) {
                int r = negative_errno();

                close(fd);
                return r;
        }
        return fd;
}

static int close_pidfd(int r)
{
        if (r < 0)
                return r;
        close(r);
        return 0;
}

/* Waits until the process of PIDFD has exited (for the supervisor: taken the machine
 * with it). */
static int wait_gone(int pidfd, int timeout_ms)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        while (poll(&p, 1, timeout_ms) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return p.revents & POLLIN ? 0 : -ETIMEDOUT;
}

/* An OCI container has no supervisor: SIGTERM to its init, and after
 * OCI_STOP_TIMEOUT_MS SIGKILL to all of it, as podman stop; its engine then sees it
 * stopped and deletes it. Once the init is gone, what it leaves (in a PID namespace it
 * joined, a pod's, its processes outlive it) gets SIGKILL too, as runc's. */
static int stop_container(const struct machine_state *s)
{
        _cleanup_close_ int pidfd = signal_exact(s->leader, s->leader_start, SIGTERM);
        int r;

        if (pidfd < 0 && pidfd != -ESRCH)
                return pidfd;
        r = pidfd >= 0 ? wait_gone(pidfd, OCI_STOP_TIMEOUT_MS) : 0;
        if (r == -ETIMEDOUT) {
                r = cgroup_kill_all(s->cgroup);
                if (r >= 0)
                        r = wait_gone(pidfd, STOP_TIMEOUT_MS);
        } else if (r >= 0)
                (void)cgroup_kill_all(s->cgroup);
        return r;
}

/* stop: as SIGTERM to the supervisor does, a clean poweroff; waits for it. */
int verb_stop(int argc, char *argv[])
{
        struct verb_arguments a;
        struct machine_state s;
        int r = act_on_running(argc, argv, &a, &s);

        if (r != 0)
                return r < 0 ? 0 : r;
        if (s.supervisor == 0) {
                r = stop_container(&s);
                if (r < 0)
                        log_error_errno(r, "Cannot stop container %s (PID %d): %m", s.name, (int)s.leader);
                machine_state_done(&s);
                return r < 0 ? EXIT_SETUP_FAILED : 0;
        }
        r = signal_exact(s.supervisor, s.supervisor_start, SIGTERM);
        if (r >= 0) {
                int pidfd = r;

                r = wait_gone(pidfd, STOP_TIMEOUT_MS);
                close(pidfd);
        } else if (r == -ESRCH)
                r = 0; /* gone meanwhile: stopped */
        if (r < 0)
                log_error_errno(r, "Cannot stop machine %s (supervisor %d): %m", s.name, (int)s.supervisor);
        machine_state_done(&s);
        return r < 0 ? EXIT_SETUP_FAILED : 0;
}

/* reboot: what makes the guest's init reboot: SIGINT for systemd and sysvinit
 * (ctrl-alt-del), SIGTERM for busybox init. The supervisor then ends with 133, which a
 * unit (machine@.service) restarts on. */
int verb_reboot(int argc, char *argv[])
{
        struct verb_arguments a;
        struct machine_state s;
        int r = act_on_running(argc, argv, &a, &s);

        if (r != 0)
                return r < 0 ? 0 : r;
        if (s.supervisor == 0) {
                log_error("%s is a container of machined-lite-oci, which cannot reboot: its engine starts it again "
                          "(podman restart), or use stop",
                          s.name);
                machine_state_done(&s);
                return EXIT_USAGE;
        }
        if (s.init && strcmp(s.init, "ml-init") == 0) {
                log_error("Machine %s runs a command (machined-lite run), which cannot reboot: use stop", s.name);
                machine_state_done(&s);
                return EXIT_USAGE;
        }
        r = close_pidfd(
                signal_exact(s.leader, s.leader_start, s.init && strcmp(s.init, "busybox") == 0 ? SIGTERM : SIGINT));
        if (r < 0)
                log_error_errno(r, "Cannot reboot machine %s (PID %d): %m", s.name, (int)s.leader);
        machine_state_done(&s);
        return r < 0 ? EXIT_SETUP_FAILED : 0;
}

/* kill: SIGNAL (default SIGTERM) to every process of the machine, or to its leader. */
int verb_kill(int argc, char *argv[])
{
        struct verb_arguments a;
        struct machine_state s;
        int r = act_on_running(argc, argv, &a, &s);

        if (r != 0)
                return r < 0 ? 0 : r;
        r = a.leader_only ? close_pidfd(signal_exact(s.leader, s.leader_start, a.signal))
                          : cgroup_signal(s.cgroup, a.signal, s.supervisor);
        if (r < 0)
                log_error_errno(r, "Cannot signal machine %s: %m", s.name);
        machine_state_done(&s);
        return r < 0 ? EXIT_SETUP_FAILED : 0;
}
