/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervisor: clones the guest, has the file system helper build its mounts, places
 * it in its cgroups, registers it, and watches it in one event loop (exit, signals,
 * console, notify socket) until it is gone; then tears everything down. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/caps.h"
#include "guest/exec-settings.h"
#include "guest/fs-helper.h"
#include "guest/guest.h"
#include "host/cgroup-v1.h"
#include "host/cgroup.h"
#include "host/console.h"
#include "host/device-policy.h"
#include "host/ephemeral-dir.h"
#include "host/namespaces.h"
#include "host/register.h"
#include "host/state.h"
#include "host/supervisor.h"
#include "host/sweeper.h"
#include "host/userns.h"
#include "net/network.h"
#include "oci/config.h"
#include "util/event.h"
#include "util/libsystemd.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/missing.h"
#include "util/path.h"
#include "util/pidref.h"
#include "util/strv.h"
#include "util/time.h"

/* The guest's STATUS= lines reach the service manager at most this often. */
#define NOTIFY_STATUS_INTERVAL_USEC (100ULL * 1000ULL)

/* How long PID 1 has to shut down cleanly before all that is left gets SIGKILL. */
#define SHUTDOWN_TIMEOUT_USEC (15ULL * 1000000ULL)

struct supervisor {
        const struct machine *machine;
        enum console_mode console_mode;
        bool notify_ready; /* READY=1 waits for the guest's own */
        struct event *event;
        struct registration registration;
        struct guest_cgroup cgroup;
        int pidfd;
        pid_t pid;
        int master;           /* the console pty, until the relay takes it */
        int seccomp_listener; /* OCI: SCMP_ACT_NOTIFY's listener end, for the handoff */
        int notify_fd;        /* the guest's /run/host/notify */
        struct console_relay console;
        int name_lock; /* state.h: the machine's name is ours while we run */
        pid_t self;    /* we, as the sweeper knows us: PID and start time */
        uint64_t self_start;
        char *ephemeral_dir; /* ours under --ephemeral-dir: the overlays' upper layers */
        struct machine_network network;
        struct joined_namespaces joined; /* until the guest is in them */
        bool shutting_down;
        bool killed_by_user;
        int exec_failed; /* systemd-nspawn's COMMAND could not be run: 127 or 126 */
        bool ready_sent; /* READY=1 told to the service manager */
        uint64_t status_sent_usec;
        struct event_source *child_source, *signal_sources[3], *kill_timer, *notify_source;
};

static const int shutdown_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void kill_guest(struct supervisor *s)
{
        (void)pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0);
        (void)cgroup_kill(&s->cgroup);
}

static int on_kill_timeout(struct event_source *source _unused_, uint64_t usec _unused_, void *userdata)
{
        struct supervisor *s = userdata;

        log_error("Machine %s did not shut down in %llu s: killing it", s->machine->name,
                  SHUTDOWN_TIMEOUT_USEC / 1000000ULL);
        kill_guest(s);
        return 0;
}

static int on_shutdown_signal(struct event_source *source _unused_, const struct signalfd_siginfo *si, void *userdata)
{
        struct supervisor *s = userdata;
        int sig = machine_kill_signal(s->machine);

        if (s->shutting_down) {
                /* Asked twice: no more waiting. */
                kill_guest(s);
                return 0;
        }
        s->shutting_down = true;
        libsystemd_notify("STOPPING=1");
        log_info("Got %s: asking machine %s to shut down with %s", sigabbrev_np((int)si->ssi_signo), s->machine->name,
                 sig >= SIGRTMIN ? "SIGRTMIN+3" : sigabbrev_np(sig));
        if (pidfd_send_signal(s->pidfd, sig, NULL, 0) < 0)
                kill_guest(s);
        return event_add_time_relative(s->event, &s->kill_timer, SHUTDOWN_TIMEOUT_USEC, on_kill_timeout, s);
}

static void on_escape(void *userdata)
{
        struct supervisor *s = userdata;

        s->killed_by_user = true;
        kill_guest(s);
}

/* What PID 1's end means for our exit code. Container Interface: a PID 1 that calls
 * reboot() in a PID namespace dies of SIGHUP for a reboot and SIGINT for poweroff/halt. */
static int guest_exit_code(const struct supervisor *s, const siginfo_t *si)
{
        if (si->si_code == CLD_EXITED)
                return si->si_status;
        if (s->machine->verb == VERB_BOOT) {
                if (si->si_status == SIGHUP)
                        return EXIT_REBOOT;
                if (si->si_status == SIGINT)
                        return 0;
        }
        return 128 + si->si_status;
}

static int on_guest_exit(struct event_source *source _unused_, const siginfo_t *si, void *userdata)
{
        struct supervisor *s = userdata;

        event_exit(s->event, guest_exit_code(s, si));
        return 0;
}

static pid_t clone_guest(struct supervisor *s)
{
        const struct machine *m = s->machine;
        struct clone3_args args = {
                /* No CLONE_NEWNS: the guest enters the mount namespace that the file
                 * system helper builds (guest/fs-helper.h). */
                /* With v1 cgroups to enter first, the guest makes its cgroup namespace
                 * itself once there (place_guest_v1()). */
                .flags = joined_namespaces_new_flags(&s->joined,
                                                     CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD |
                                                             CLONE_INTO_CGROUP |
                                                             (s->cgroup.v1.paths || m->cgroup_ns_off ? 0 : CLONE_NEWCGROUP) |
                                                             (m->private_network ? CLONE_NEWNET : 0) |
                                                             (m->private_users != PRIVATE_USERS_NO ? CLONE_NEWUSER : 0)),
                .pidfd = (uint64_t)(uintptr_t)&s->pidfd,
                .exit_signal = SIGCHLD,
                /* Entered at once: the guest runs nothing outside its cgroup, and its
                 * cgroup namespace is rooted there. */
                .cgroup = (uint64_t)s->cgroup.fd,
        };

        return joined_namespaces_clone(&s->joined, &args);
}

/* Reads a child's setup messages until it is done: EOF means that init (or the stub
 * init) runs, or that the file system helper has sent the mount namespace and exited;
 * an OCI container's init says it is ready and waits for start. */
static int wait_for_setup(struct supervisor *s, int sync_fd, int *mount_ns)
{
        struct guest_message message;
        int fd, r;

        for (;;) {
                r = guest_message_receive(sync_fd, &message, &fd);
                if (r < 0)
                        return log_error_errno(r, "Lost contact with the guest during setup: %m");
                if (r == 0)
                        return 0;
                if (message.type == GUEST_CONSOLE && fd >= 0 && s->master < 0)
                        s->master = fd;
                else if (message.type == GUEST_NOTIFY && fd >= 0 && s->notify_fd < 0)
                        s->notify_fd = fd;
                else if (message.type == GUEST_MOUNT_NS && fd >= 0 && mount_ns && *mount_ns < 0)
                        *mount_ns = fd;
                else if (message.type == GUEST_SECCOMP_LISTENER && fd >= 0 && s->seccomp_listener < 0)
                        s->seccomp_listener = fd;
                else if (message.type == GUEST_READY) {
                        if (fd >= 0)
                                close(fd);
                        return 0;
                } else if (message.type == GUEST_EXEC_FAILED) {
                        message.text[sizeof(message.text) - 1] = '\0';
                        s->exec_failed = message.error == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
                        return log_error_errno(-message.error, "%s: %m", message.text);
                } else if (message.type == GUEST_FAILED) {
                        message.text[sizeof(message.text) - 1] = '\0';
                        if (fd >= 0)
                                close(fd);
                        return log_error_errno(-message.error, "%s: %m", message.text);
                } else if (fd >= 0)
                        close(fd);
        }
}

/* A user namespace: the maps, and the guest's cgroup handed to its root. */
static int map_guest_users(struct supervisor *s)
{
        const struct machine *m = s->machine;
        int r;

        /* A user namespace joined has its maps (create checked them). */
        r = m->user_namespace_path ? 0 : userns_write_maps(s->pid, m);
        if (r < 0)
                return log_error_errno(r, "Cannot write the guest's UID/GID maps (%u:%u): %m", m->uid_base, m->uid_count);
        r = cgroup_chown(&s->cgroup, m->uid_base);
        if (r >= 0 && m->cgroup_legacy)
                r = cgroup_v1_chown_systemd(&s->cgroup.v1, m->uid_base);
        if (r < 0)
                return log_error_errno(r, "Cannot hand cgroup %s to the guest's root: %m", s->cgroup.path);
        return 0;
}

/* Runs the file system helper (guest/fs-helper.h) to its end; returns the guest's mount
 * namespace or -errno (logged). */
/* On a hybrid host: the guest into its v1 cgroups (cgroup-v1.h), then told to make its
 * cgroup namespace, which the file system helper joins once it is there. */
static int place_guest_v1(struct supervisor *s, int guest_sync_fd)
{
        struct guest_message message = { .type = GUEST_CGROUP_NS };
        int r;

        if (!s->cgroup.v1.paths)
                return 0;
        r = cgroup_v1_move(&s->cgroup.v1, s->pid);
        /* (A cgroup namespace joined, an OCI pod's, is the guest's already.) */
        if (r < 0 || s->machine->cgroup_ns_off || s->machine->cgroup_namespace_path)
                return r;
        r = guest_message_send(guest_sync_fd, &message, -1);
        if (r < 0)
                return log_error_errno(r, "Cannot tell the guest to make its cgroup namespace: %m");
        return 0;
}

static int build_guest_fs(struct supervisor *s, int guest_sync_fd)
{
        char nameserver[INET_ADDRSTRLEN];
        struct guest_fs_setup setup = {
                .machine = s->machine,
                .with_console = s->console_mode != CONSOLE_PIPE,
                .supervisor_pid = getpid(),
                .guest_pid = s->pid,
                .guest_pidfd = s->pidfd,
                .ephemeral_dir = s->ephemeral_dir,
                .nameserver = network_guest_nameserver(&s->network, nameserver, sizeof(nameserver)),
        };
        int pair[2], mount_ns = -EBADF, status, r;
        pid_t helper;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(-errno, "Cannot create the file system helper's socket: %m");
        /* An OCI container's in the container's cgroup (v2 and v1), where what it writes
         * into the tmpfs mounts it makes is charged: what tmpcopyup copies counts against
         * the container's memory, not its caller's. */
        if (s->machine->oci) {
                struct clone3_args args = { .flags = CLONE_INTO_CGROUP,
                                            .exit_signal = SIGCHLD,
                                            .cgroup = (uint64_t)s->cgroup.fd };

                helper = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
        } else
                helper = fork();
        if (helper > 0 && s->machine->oci && cgroup_v1_move(&s->cgroup.v1, helper) < 0) {
                (void)kill(helper, SIGKILL);
                (void)waitpid(helper, NULL, 0);
                close(pair[0]);
                close(pair[1]);
                return -EIO;
        }
        if (helper < 0) {
                r = -errno;
                close(pair[0]);
                close(pair[1]);
                return log_error_errno(r, "Cannot start the file system helper: %m");
        }
        if (helper == 0) {
                close(pair[0]);
                setup.sync_fd = pair[1];
                guest_fs_main(&setup);
        }
        close(pair[1]);
        /* While the helper works: the wait it costs is spent meanwhile. */
        r = place_guest_v1(s, guest_sync_fd);
        if (r >= 0)
                r = wait_for_setup(s, pair[0], &mount_ns);
        close(pair[0]);
        if (r < 0)
                (void)kill(helper, SIGKILL);
        while (waitpid(helper, &status, 0) < 0)
                if (errno != EINTR) {
                        r = r < 0 ? r : -errno;
                        break;
                }
        if (r >= 0 && mount_ns < 0)
                r = log_error_errno(-EPROTO, "The file system helper ended without the guest's mount namespace");
        if (r < 0) {
                if (mount_ns >= 0)
                        close(mount_ns);
                return r;
        }
        return mount_ns;
}

static int start_guest(struct supervisor *s)
{
        struct guest_message go = { .type = GUEST_GO }, mount_ns_message = { .type = GUEST_MOUNT_NS };
        int pair[2], mount_ns, r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(-errno, "Cannot create the guest's sync socket: %m");

        s->pid = clone_guest(s);
        if (s->pid < 0) {
                r = -errno;
                close(pair[0]);
                close(pair[1]);
                if (r == -ECANCELED) /* (said) */
                        return r;
                if (r == -EINVAL || r == -E2BIG || r == -ENOSYS)
                        return log_error_errno(r,
                                               "clone3 with CLONE_INTO_CGROUP failed: %m (Linux 5.12 or newer is needed)");
                return log_error_errno(r, "Cannot create the guest's namespaces: %m");
        }
        if (s->pid == 0) {
                struct guest_setup setup = {
                        .machine = s->machine,
                        .with_console = s->console_mode != CONSOLE_PIPE,
                        .sync_fd = pair[1],
                };

                close(pair[0]);
                guest_main(&setup);
        }
        close(pair[1]);
        /* From the host, with its privileges: in its user namespace the guest could not
         * lower it. */
        r = exec_settings_oom_score(s->machine, s->pid);
        if (r < 0) {
                close(pair[0]);
                return log_error_errno(r, "Cannot set the OOM score adjustment %d (--oom-score-adjust): %m",
                                       s->machine->oom_score_adjust);
        }

        /* The child waits while we place it: its user namespace mapped, its file system
         * built, and registered with machined before it runs anything, so that
         * machinectl knows it from its first moment. */
        r = s->machine->private_users != PRIVATE_USERS_NO ? map_guest_users(s) : 0;
        if (r >= 0) {
                mount_ns = r = build_guest_fs(s, pair[0]);
                if (r >= 0) {
                        r = guest_message_send(pair[0], &mount_ns_message, mount_ns);
                        close(mount_ns);
                }
        }
        /* Before init runs, so that a guest with no network manager of its own finds
         * host0 addressed, up and routed. */
        if (r >= 0)
                r = network_setup(s->machine, &s->network, s->pid, s->pidfd);
        if (r >= 0 && s->registration.bus && !s->machine->no_machined)
                r = register_machine(s->machine, &s->registration, s->pid, s->network.ifindex);
        if (r >= 0)
                r = guest_message_send(pair[0], &go, -1);
        if (r >= 0)
                r = wait_for_setup(s, pair[0], NULL);
        close(pair[0]);
        return r;
}

/* The guest's init speaks sd_notify() to /run/host/notify: its READY=1 is our READY=1,
 * and its STATUS= is shown by the service manager that runs us. */
static int on_notify(struct event_source *source _unused_, int fd, uint32_t revents _unused_, void *userdata)
{
        struct supervisor *s = userdata;
        char buffer[4096], *line, *save = NULL;
        const char *status = NULL;
        bool ready = false;
        ssize_t n = recv(fd, buffer, sizeof(buffer) - 1, MSG_DONTWAIT);
        uint64_t now;

        if (n < 0)
                return 0;
        buffer[n] = '\0';
        for (line = strtok_r(buffer, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strcmp(line, "READY=1") == 0)
                        ready = true;
                else if (strncmp(line, "STATUS=", 7) == 0)
                        status = line;
        }
        /* The guest is not trusted to be brief: READY=1 goes on once, and of its STATUS=
         * lines the last of a datagram, at most one each 100 ms (each is a message to
         * the service manager). */
        if (ready && s->notify_ready && !s->ready_sent) {
                s->ready_sent = true;
                libsystemd_notify("READY=1");
        }
        now = now_usec();
        if (status && now - s->status_sent_usec >= NOTIFY_STATUS_INTERVAL_USEC) {
                s->status_sent_usec = now;
                libsystemd_notify(status);
        }
        return 0;
}

static int setup_event_loop(struct supervisor *s)
{
        int r;

        r = event_new(&s->event);
        if (r < 0)
                return r;
        /* By our pidfd: reaped by the source once it has seen the exit. */
        r = event_add_child_pidfd(s->event, &s->child_source, s->pidfd, on_guest_exit, s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(shutdown_signals); i++) {
                r = event_add_signal(s->event, &s->signal_sources[i], shutdown_signals[i], on_shutdown_signal, s);
                if (r < 0)
                        return r;
        }
        if (s->notify_fd >= 0) {
                r = event_add_io(s->event, &s->notify_source, s->notify_fd, EPOLLIN, on_notify, s);
                if (r < 0)
                        return r;
        }
        if (s->master >= 0) {
                s->console.on_escape = on_escape;
                s->console.userdata = s;
                r = console_relay_start(&s->console, s->event, TAKE_FD(s->master), s->console_mode);
                if (r < 0)
                        return r;
        }
        r = network_start(s->machine, &s->network, s->event, s->pidfd);
        if (r < 0)
                return r;
        /* A guest whose init does not speak sd_notify() is ready as soon as it runs. */
        if (!s->notify_ready)
                libsystemd_notify("READY=1");
        return 0;
}

static void supervisor_done(struct supervisor *s)
{
        console_relay_stop(&s->console);
        s->notify_source = event_source_free(s->notify_source);
        s->child_source = event_source_free(s->child_source);
        for (size_t i = 0; i < ELEMENTSOF(s->signal_sources); i++)
                s->signal_sources[i] = event_source_free(s->signal_sources[i]);
        s->kill_timer = event_source_free(s->kill_timer);
        s->event = event_free(s->event);
        if (s->ephemeral_dir) {
                int r;

                /* Once the guest is gone (its mounts with it): its overlays write there
                 * until then. Before the sweeper is let go, which would remove it too. */
                if (s->pidfd >= 0)
                        (void)waitid(P_PIDFD, (id_t)s->pidfd, NULL, WEXITED);
                r = ephemeral_dir_remove(s->ephemeral_dir);
                if (r < 0)
                        log_error_errno(r, "Cannot remove %s, where machine %s wrote: %m (remove it by hand)",
                                        s->ephemeral_dir, s->machine->name);
                free(s->ephemeral_dir);
                s->ephemeral_dir = NULL;
        }
        network_done(&s->network);
        joined_namespaces_close(&s->joined);
        if (s->pidfd >= 0)
                close(s->pidfd);
        if (s->master >= 0)
                close(s->master);
        if (s->notify_fd >= 0)
                close(s->notify_fd);
        if (s->seccomp_listener >= 0)
                close(s->seccomp_listener);
        register_done(s->machine, &s->registration);
        (void)cgroup_remove(&s->cgroup);
        if (s->name_lock >= 0) {
                state_remove(s->machine->name);
                lock_release(s->name_lock);
                s->name_lock = -1;
        }
}

/* Setting up failed half-way: the guest, if it exists, goes first, then all else. */
static int setup_failed(struct supervisor *s, int exit_code)
{
        if (s->pid > 0) {
                kill_guest(s);
                (void)waitid(P_PIDFD, (id_t)s->pidfd, NULL, WEXITED);
        }
        supervisor_done(s);
        return exit_code;
}

/* In the sweeper, once the machine of a killed supervisor is gone: the state file it
 * wrote would else stay until a verb finds it stale, and a zone's bridge for ever. */
static void sweep_leftovers(void *userdata)
{
        const struct supervisor *s = userdata;

        state_remove_dead(s->machine->name, s->self, s->self_start);
        network_sweep(&s->network);
}

/* The guest's cgroup: inside the unit systemd gave us (our scope, or --keep-unit's
 * service), or, on a host without systemd, next to us with a sweeper to clean up. */
static int place_guest_cgroup(struct supervisor *s)
{
        const struct machine *m = s->machine;
        char **leftovers = NULL;
        size_t n = 0;
        int r;

        r = register_connect(m, &s->registration);
        if (r < 0)
                return EXIT_SETUP_FAILED;
        if (r > 0 && !m->keep_unit) {
                r = register_scope(m, &s->registration);
                if (r < 0)
                        return r == -EEXIST ? EXIT_BUSY : EXIT_SETUP_FAILED;
        }
        if (s->registration.bus || m->keep_unit) {
                r = cgroup_create_delegated(m->name, &s->cgroup);
                return r < 0 ? (r == -EBUSY ? EXIT_BUSY : EXIT_SETUP_FAILED) : 0;
        }
        /* Settings of a scope we do not make: said, not silently dropped (shown with -q too:
         * a limit asked for and not applied matters). --slice alone places nothing to say of. */
        if (m->n_properties > 0)
                log_error("Note: --property=%s%s is a setting of the systemd scope machine-%s.scope, which %s: not applied",
                          m->properties[0].name, m->n_properties > 1 ? " (and the others)" : "", m->name,
                          m->register_mode == REGISTER_NO ? "--register=no makes none"
                                                          : "this host has no systemd to make");
        /* What to remove if we are killed: the temporary upper layers and work directories
         * of overlays (custom-mount.h); the guest's cgroups, made next, and --ephemeral-dir's
         * directory, made later, are told to the sweeper as each is made, so that however
         * early we are killed, nothing of them stays. */
        leftovers = calloc(2 * m->n_mounts + 2, sizeof(*leftovers));
        if (!leftovers)
                return log_error_errno(-ENOMEM, "Out of memory"), EXIT_SETUP_FAILED;
        for (size_t i = 0; i < m->n_mounts; i++) {
                const struct custom_mount *c = &m->mounts[i];
                char parent[PATH_MAX], fd_link[FD_PATH_MAX];
                ssize_t k;

                if (c->temp_dir) {
                        if ((leftovers[n] = strdup(c->temp_dir)))
                                n++;
                } else if (c->work_dir &&
                           (k = readlink(fd_path(c->work_parent_fd, fd_link), parent, sizeof(parent) - 1)) > 0) {
                        parent[k] = '\0';
                        if (asprintf(&leftovers[n], "%s/%s", parent, c->work_dir) >= 0)
                                n++;
                        else
                                leftovers[n] = NULL;
                }
        }
        s->self = getpid();
        r = pid_start_time(s->self, &s->self_start);
        if (r >= 0)
                r = sweeper_start(&s->cgroup, m->name, leftovers, sweep_leftovers, s);
        strv_free(leftovers);
        if (r < 0)
                return log_error_errno(r, "Cannot start the cgroup sweeper: %m"), EXIT_SETUP_FAILED;
        r = m->cgroup_own    ? cgroup_open_own(m->name, &s->cgroup)
            : m->cgroup_path ? cgroup_create_at(m->cgroup_path, m->name, &s->cgroup)
                             : cgroup_create_guest(m->name, &s->cgroup);
        if (r < 0)
                return r == -EBUSY ? EXIT_BUSY : EXIT_SETUP_FAILED;
        /* An OCI container's linux.resources, before anything runs in its cgroup: the file
         * system helper too, whose tmpfs copies (tmpcopyup) count against them. */
        if (m->oci && cgroup_settings_apply(&m->oci->resources, s->cgroup.path, s->cgroup.v1.paths) < 0)
                return EXIT_SETUP_FAILED;
        return 0;
}

/* ephemeral_dir_make()'s: the sweeper knows of the directory from its first moment. */
static void tell_sweeper(const char *path, void *userdata)
{
        const struct supervisor *s = userdata;

        (void)sweeper_add(&s->cgroup, path);
}

/* Why bpf() may be refused here (devices_bpf_refused()), for the messages. */
static const char *bpf_refusal_guess(int error)
{
        return error == -ENOSYS ? "a kernel without bpf(), or a seccomp filter of the container machined-lite runs in?"
                                : "a seccomp filter of the container machined-lite runs in?";
}

/* The device program is loaded before anything is made, so that a refusal leaves the
 * host as it was. Where bpf() is refused (a container's seccomp filter: systemd-nspawn's,
 * Docker's), a guest with a user namespace starts without it, as it is safe: its root
 * has no CAP_MKNOD in the initial user namespace, so the kernel lets it make no device
 * node; every mount of its tree is nodev (guest/root.c), a flag locked in its user namespace,
 * and what it mounts itself is nodev by force; its /dev holds only the allowed nodes.
 * Without a user namespace its root is the host's, and could open any node it finds. */
static int place_guest(struct supervisor *s)
{
        const struct machine *m = s->machine;
        _cleanup_close_ int policy = m->oci ? devices_load(m->oci->resources.device_rules,
                                                           m->oci->resources.n_device_rules)
                                            : devices_load(NULL, 0);
        int r;

        if (policy < 0 && !devices_bpf_refused(policy))
                return log_error_errno(policy, "Cannot load the device policy of machine %s: %m", m->name),
                       EXIT_SETUP_FAILED;
        if (policy < 0 && m->private_users == PRIVATE_USERS_NO)
                return log_error_errno(policy,
                                       "Cannot confine the devices of machine %s: bpf() is refused here (%m: %s); "
                                       "without a user namespace its root could open any device node "
                                       "(use -U, or run machined-lite where bpf() is allowed)",
                                       m->name, bpf_refusal_guess(policy)),
                       EXIT_SETUP_FAILED;
        r = place_guest_cgroup(s);
        if (r != 0)
                return r;
        /* Made once the sweeper runs, which is told of it at once, with signals held
         * back: every way out from here, SIGKILL too, removes it. */
        if (s->machine->ephemeral_dir) {
                r = ephemeral_dir_make(s->machine->ephemeral_dir, s->machine->name, tell_sweeper, s, &s->ephemeral_dir);
                if (r < 0)
                        return r == -ENOMEM ? EXIT_SETUP_FAILED : EXIT_BAD_TREE;
        }
        if (policy < 0) {
                /* Not an informational message: shown with --quiet too (machine@.service). */
                (void)log_error_errno(policy,
                                      "Device policy not attached to cgroup %s: bpf() is refused here (%m: %s); "
                                      "with -U the guest's root can neither make device nodes nor open any but "
                                      "its /dev's",
                                      s->cgroup.path, bpf_refusal_guess(policy));
                return 0;
        }
        r = devices_attach(policy, s->cgroup.fd);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the device policy to cgroup %s: %m", s->cgroup.path),
                       EXIT_SETUP_FAILED;
        return 0;
}

/* One tree, one writer: a machine holds a lock on its tree for its whole life
 * (util/lock.h), shared with --read-only (several read-only machines may share a tree),
 * exclusive otherwise. The lock goes with our last fd, however we end. */
static int lock_machine_tree(const struct machine *m, int *ret_fd)
{
        _cleanup_close_ int dir = -EBADF;
        int fd;

        /* SYSTEMD_NSPAWN_LOCK=0 (nspawn's command line): the caller keeps trees apart. */
        if (m->tree_lock_off)
                return 0;
        dir = open(m->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return log_error_errno(-errno, "Cannot open machine tree %s: %m", m->root);
        fd = lock_tree(dir, machine_writes_tree(m));
        if (fd == -EBUSY)
                return log_error_errno(
                        -EBUSY,
                        "Machine tree %s is in use by another machine (several can share a tree only all with --read-only)",
                        m->root);
        if (fd < 0)
                return log_error_errno(fd, "Cannot lock machine tree %s: %m", m->root);
        *ret_fd = fd;
        return 0;
}

/* For the verbs that work on running machines (list, status, stop, shell, ...). */
static int write_state(struct supervisor *s)
{
        _cleanup_free_ char *unit = NULL;
        char addresses[128] = "";
        int r;

        if ((s->registration.bus || s->machine->keep_unit) && libsystemd_load() >= 0) {
                (void)sym_sd_pid_get_unit(0, &unit);
                libsystemd_unload();
        }
        /* The addresses we gave the guest, for list and status. systemd-machined needs none
         * from us: machinectl's GetAddresses() has machined enter the leader's network
         * namespace and read them there (src/machine/machined.c, machine_get_addresses():
         * a forked child in the container's netns, local_addresses()). */
        (void)network_guest_addresses(&s->network, addresses, sizeof(addresses));
        r = state_write(s->machine, s->pid, unit, s->cgroup.path, caps_for_guest(s->machine), addresses);
        if (r < 0)
                return log_error_errno(r, "Cannot write the state file %s/%s: %m", STATE_DIR, s->machine->name);
        return 0;
}

static int block_signals(void)
{
        sigset_t mask;

        /* The event loop receives these through a signalfd; the guest unblocks them. */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(shutdown_signals); i++)
                sigaddset(&mask, shutdown_signals[i]);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGWINCH);
        return sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? negative_errno() : 0;
}

#define SUPERVISOR_INIT(m)                                                                                           \
        {                                                                                                            \
                .machine = (m), .notify_ready = (m)->notify_ready >= 0 ? (m)->notify_ready : (m)->verb == VERB_BOOT, \
                .cgroup = GUEST_CGROUP_INIT, .pidfd = -1, .master = -1, .seccomp_listener = -1, .notify_fd = -1,     \
                .console = { .master = -1 }, .name_lock = -1, .network = MACHINE_NETWORK_INIT,                       \
                .joined = JOINED_NAMESPACES_INIT,                                                                    \
        }

/* Everything up to a guest that runs (an OCI container's: that waits for start): its name
 * and tree locked, its network prepared, it placed and started. 0, or our exit code with
 * all of it torn down. */
static int bring_up(struct supervisor *s, int *tree_lock)
{
        const struct machine *m = s->machine;
        int r;

        s->name_lock = state_lock(m->name);
        if (s->name_lock == -EBUSY) {
                log_error("Machine %s is already running (machined-lite list shows it; give another name with -M NAME)",
                          m->name);
                return EXIT_BUSY;
        }
        if (s->name_lock < 0)
                return log_error_errno(s->name_lock, "Cannot lock the machine name %s: %m", m->name), EXIT_SETUP_FAILED;
        r = lock_machine_tree(m, tree_lock);
        if (r < 0)
                return r == -EBUSY ? EXIT_BUSY : EXIT_SETUP_FAILED;
        r = block_signals();
        if (r < 0)
                return log_error_errno(r, "Cannot block signals: %m"), EXIT_SETUP_FAILED;
        r = network_prepare(m, &s->network);
        if (r != 0)
                return setup_failed(s, r);
        r = joined_namespaces_open(m, &s->joined);
        if (r != 0)
                return setup_failed(s, r);
        r = place_guest(s);
        if (r != 0)
                return setup_failed(s, r);
        r = start_guest(s);
        if (r < 0)
                return setup_failed(s, s->exec_failed ?: r == -EEXIST ? EXIT_BUSY : EXIT_SETUP_FAILED);
        return 0;
}

int supervisor_run(const struct machine *m)
{
        struct supervisor s = SUPERVISOR_INIT(m);
        _cleanup_(lock_releasep) int tree_lock = -EBADF;
        int r, exit_code;

        s.console_mode = console_mode_pick(m->console, m->verb);
        if (s.console_mode == CONSOLE_PIPE && (isatty(STDIN_FILENO) || isatty(STDOUT_FILENO) || isatty(STDERR_FILENO))) {
                log_error("--console=pipe (--pipe) would hand the guest this terminal, and with it a way to type into the "
                          "host's shell (TIOCSTI): use --console=interactive, or redirect stdin, stdout and stderr away "
                          "from the terminal");
                return EXIT_USAGE;
        }
        r = bring_up(&s, &tree_lock);
        if (r != 0)
                return r;
        r = write_state(&s);
        if (r < 0)
                return setup_failed(&s, EXIT_SETUP_FAILED);
        register_let_go(&s.registration);
        r = setup_event_loop(&s);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the supervisor's event loop: %m");
                return setup_failed(&s, EXIT_SETUP_FAILED);
        }

        exit_code = event_loop(s.event);
        if (exit_code < 0) {
                log_error_errno(exit_code, "Event loop failed: %m");
                kill_guest(&s);
                exit_code = EXIT_SETUP_FAILED;
        }
        console_relay_stop(&s.console);
        if (s.killed_by_user)
                log_error("Machine %s killed: Ctrl-] was pressed three times", m->name);
        supervisor_done(&s);
        return exit_code;
}

int supervisor_create(const struct machine *m, int (*handoff)(const struct guest_handoff *h, void *userdata),
                      void *userdata)
{
        struct supervisor s = SUPERVISOR_INIT(m);
        _cleanup_(lock_releasep) int tree_lock = -EBADF;
        struct guest_handoff h;
        uint64_t start = 0;
        int r;

        /* With a terminal, the console's pty goes to the caller (the console socket), not to
         * a relay of ours: nothing of ours stays while the container runs. */
        s.console_mode = m->console == CONSOLE_PIPE ? CONSOLE_PIPE : CONSOLE_PASSIVE;
        r = bring_up(&s, &tree_lock);
        if (r != 0)
                return r;
        (void)pid_start_time(s.pid, &start);
        h = (struct guest_handoff){
                .pid = s.pid,
                .pid_start = start,
                .cgroup = s.cgroup.path,
                .cgroup_v1 = s.cgroup.v1.paths,
                .console_master = s.master,
                .seccomp_listener = s.seccomp_listener,
        };
        r = handoff(&h, userdata);
        if (r < 0)
                return setup_failed(&s, EXIT_SETUP_FAILED);
        /* The container is the caller's now: the sweeper goes without sweeping, and the
         * guest's cgroup stays until delete. */
        sweeper_release(&s.cgroup.sweeper_fd, true);
        register_let_go(&s.registration);
        /* What we held of the guest goes, the guest stays where it is. */
        close(s.cgroup.fd);
        free(s.cgroup.path);
        strv_free(s.cgroup.v1.paths);
        free(s.registration.scope);
        network_done(&s.network);
        joined_namespaces_close(&s.joined);
        for (size_t i = 0; i < 3; i++) {
                int fd = i == 0 ? s.pidfd : i == 1 ? s.master : s.seccomp_listener;

                if (fd >= 0)
                        close(fd);
        }
        lock_release(s.name_lock);
        return 0;
}
