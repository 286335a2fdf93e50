/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* struct machine completed and checked: the tree or image named by the options, the
 * machine's name and host name, the template to make a missing tree from, then, on the
 * prepared root, its init and uuid. Nothing here changes the host: verbs/boot.c orders
 * the steps that do. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "config/guest-user.h"
#include "config/machine.h"
#include "util/libsystemd.h"
#include "util/log.h"
#include "util/path.h"
#include "util/strv.h"

static const char *const console_modes[] = {
        [CONSOLE_DEFAULT] = "default",     [CONSOLE_INTERACTIVE] = "interactive",
        [CONSOLE_READ_ONLY] = "read-only", [CONSOLE_PASSIVE] = "passive",
        [CONSOLE_PIPE] = "pipe",           [CONSOLE_AUTOPIPE] = "autopipe",
};

/* The index of S in NAMES (from FIRST on), or -EINVAL. */
static int lookup_name(const char *s, const char *const names[], size_t n, size_t first)
{
        for (size_t i = first; i < n; i++)
                if (names[i] && strcmp(s, names[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

int console_mode_from_string(const char *s)
{
        return lookup_name(s, console_modes, ELEMENTSOF(console_modes), CONSOLE_INTERACTIVE);
}

int ownership_from_string(const char *s)
{
        static const char *const names[] = {
                [OWNERSHIP_AUTO] = "auto",
                [OWNERSHIP_MAP] = "map",
                [OWNERSHIP_CHOWN] = "chown",
                [OWNERSHIP_OFF] = "off",
        };

        return lookup_name(s, names, ELEMENTSOF(names), 0);
}

int settings_mode_from_string(const char *s)
{
        static const char *const names[] = {
                [SETTINGS_YES] = "yes",
                [SETTINGS_NO] = "no",
                [SETTINGS_TRUSTED] = "trusted",
                [SETTINGS_OVERRIDE] = "override",
        };

        return lookup_name(s, names, ELEMENTSOF(names), 0);
}

void machine_done(struct machine *m)
{
        free(m->name);
        free(m->root);
        free(m->image);
        strv_free(m->image_mounts);
        free(m->template_tree);
        free(m->oci_bundle);
        free(m->ipc_namespace_path);
        free(m->uts_namespace_path);
        free(m->pid_namespace_path);
        free(m->user_namespace_path);
        free(m->time_namespace_path);
        free(m->mount_namespace_path);
        free(m->cgroup_namespace_path);
        free(m->template_path);
        free(m->ephemeral_dir);
        for (size_t i = 0; i < m->n_mounts; i++) {
                free(m->mounts[i].source);
                free(m->mounts[i].destination);
                free(m->mounts[i].options);
                free(m->mounts[i].fs_type);
                strv_free(m->mounts[i].lower);
                if (m->mounts[i].work_dir)
                        close(m->mounts[i].work_parent_fd);
                free(m->mounts[i].work_dir);
                free(m->mounts[i].temp_dir);
        }
        free(m->mounts);
        if (m->image_fd >= 0)
                close(m->image_fd);
        free(m->hostname);
        free(m->init);
        free(m->init_path);
        strv_free(m->setenv);
        free(m->user);
        if (m->run_user)
                guest_user_done(m->run_user);
        free(m->run_user);
        free(m->working_directory);
        free(m->rlimits);
        free(m->cpu_affinity);
        for (size_t i = 0; i < m->n_credentials; i++) {
                free(m->credentials[i].id);
                free(m->credentials[i].data);
        }
        free(m->credentials);
        for (size_t i = 0; i < m->n_bind_users; i++) {
                struct bind_user *u = &m->bind_users[i];

                free(u->name);
                free(u->home);
                free(u->user_record);
                free(u->group_record);
                free(u->privileged_record);
        }
        free(m->bind_users);
        free(m->cgroup_path);
        strv_free(m->arguments);
        free(m->slice);
        strv_free(m->syscall_allow);
        strv_free(m->syscall_deny);
        for (size_t i = 0; i < m->n_properties; i++)
                property_done(&m->properties[i]);
        free(m->properties);
        free(m->ports);
        strv_free(m->network_veth_extra);
        free(m->network_bridge);
        free(m->network_zone);
        strv_free(m->network_interfaces);
        strv_free(m->oci_net_devices);
        strv_free(m->network_macvlan);
        strv_free(m->network_ipvlan);
        free(m->network_namespace_path);
        *m = (struct machine){};
}

/* Where systemd and others install their init, in the order systemd-nspawn tries them. */
static const char *const init_candidates[] = {
        "/usr/lib/systemd/systemd",
        "/lib/systemd/systemd",
        "/sbin/init",
};

static enum init_kind init_kind_of(int init_fd)
{
        char link[FD_PATH_MAX], target[PATH_MAX];
        ssize_t n = readlink(fd_path(init_fd, link), target, sizeof(target) - 1);
        const char *base;

        if (n < 0)
                return INIT_OTHER;
        target[n] = '\0';
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        if (strcmp(base, "systemd") == 0)
                return INIT_SYSTEMD;
        if (strcmp(base, "busybox") == 0)
                return INIT_BUSYBOX;
        return INIT_OTHER;
}

/* Opens an init inside the tree and checks it can be executed. Returns 0, -ENOENT when
 * it is not there, or another -errno after logging why it cannot be used. */
static int check_init(struct machine *m, int root_fd, const char *path)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = open_in_root(root_fd, path, O_PATH, 0);
        if (fd == -ENOENT)
                return fd;
        if (fd < 0)
                return log_error_errno(fd, "Cannot open init %s in %s: %m", path, m->root);
        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "Cannot stat init %s in %s: %m", path, m->root);
        if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                return log_error_errno(-EACCES,
                                       "Init %s in %s is not an executable file (fix its mode, or use --init=PATH)",
                                       path, m->root);
        m->init_path = strdup(path);
        if (!m->init_path)
                return -ENOMEM;
        m->init_kind = init_kind_of(fd);
        return 0;
}

static int resolve_init(struct machine *m, int root_fd)
{
        int r;

        if (m->verb == VERB_RUN) {
                m->init_kind = INIT_STUB;
                return 0;
        }
        /* systemd-nspawn COMMAND: looked up in the guest's PATH when it runs. */
        if (m->verb == VERB_EXEC) {
                m->init_kind = INIT_OTHER;
                return 0;
        }
        if (m->init) {
                r = check_init(m, root_fd, m->init);
                if (r == -ENOENT)
                        return log_error_errno(r,
                                               "Init %s given with --init does not exist in %s (give a path inside the tree)",
                                               m->init, m->root);
                return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(init_candidates); i++) {
                r = check_init(m, root_fd, init_candidates[i]);
                if (r != -ENOENT)
                        return r;
        }
        return log_error_errno(-ENOENT, "%s has no init: looked for %s, %s, %s (use --init=PATH)", m->root,
                               init_candidates[0], init_candidates[1], init_candidates[2]);
}

/* Container Interface: $container_uuid is the guest's machine id when it has one, so that
 * the guest's view and ours agree; otherwise a random one that systemd then adopts. */
static void resolve_uuid(struct machine *m, int root_fd)
{
        /* The guest may have made it a FIFO or a device node: never blocked on, never read. */
        _cleanup_close_ int fd = open_in_root(root_fd, "/etc/machine-id", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
                                              0);
        struct stat st;
        char id[33];

        if (fd >= 0 && fstat(fd, &st) >= 0 && S_ISREG(st.st_mode) && read(fd, id, 32) == 32 && libsystemd_load() >= 0) {
                int r;

                id[32] = '\0';
                r = sym_sd_id128_from_string(id, &m->uuid);
                libsystemd_unload();
                if (r >= 0 && !sd_id128_is_null(m->uuid))
                        return;
        }
        /* A version 4 UUID, as sd_id128_randomize() makes it, straight from getrandom(2):
         * libsystemd is then not even loaded (bench/, section 2). */
        if (getrandom(m->uuid.bytes, sizeof(m->uuid.bytes), 0) != sizeof(m->uuid.bytes) && libsystemd_load() >= 0) {
                (void)sym_sd_id128_randomize(&m->uuid);
                libsystemd_unload();
        }
        m->uuid.bytes[6] = (m->uuid.bytes[6] & 0x0f) | 0x40;
        m->uuid.bytes[8] = (m->uuid.bytes[8] & 0x3f) | 0x80;
}

/* NAME alone means /var/lib/machines/NAME, as for machinectl, or NAME.raw there when
 * there is no such directory. */
static int resolve_name(struct machine *m)
{
        _cleanup_free_ char *raw = NULL;

        if (asprintf(&m->root, "%s/%s", MACHINES_DIR, m->name) < 0 ||
            asprintf(&raw, "%s/%s.raw", MACHINES_DIR, m->name) < 0)
                return -ENOMEM;
        if (access(m->root, F_OK) < 0 && errno == ENOENT && access(raw, F_OK) >= 0) {
                free(m->root);
                m->root = NULL;
                m->image = TAKE_PTR(raw);
        }
        return 0;
}

static int resolve_image(struct machine *m)
{
        char *absolute = realpath(m->image, NULL);

        if (!absolute) {
                if (errno == ENOENT)
                        return log_error_errno(-ENOENT,
                                               "Image %s does not exist (give an image file or block device with -i IMAGE)",
                                               m->image);
                return log_error_errno(-errno, "Cannot resolve image %s: %m", m->image);
        }
        free(m->image);
        m->image = absolute;
        if (!m->name) {
                char *suffix;

                m->name = path_last_component(m->image);
                if (!m->name)
                        return -ENOMEM;
                suffix = strrchr(m->name, '.');
                if (suffix && suffix != m->name && strcmp(suffix, ".raw") == 0)
                        *suffix = '\0';
                if (!machine_name_is_valid(m->name))
                        return log_error_errno(-EINVAL,
                                               "Image name '%s' is not a valid machine name (give one with -M NAME)",
                                               m->name);
        }
        return 0;
}

/* --template=DIR|NAME, when the tree does not exist yet: the template it is to be made
 * from, checked and kept in m->template_path (the boot's prepare-root step copies it). */
static int resolve_template(struct machine *m)
{
        _cleanup_free_ char *template = NULL;
        struct stat st;

        if (strchr(m->template_tree, '/'))
                template = strdup(m->template_tree);
        else if (asprintf(&template, "%s/%s", MACHINES_DIR, m->template_tree) < 0)
                template = NULL;
        if (!template)
                return -ENOMEM;
        if (stat(template, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error_errno(errno == ENOENT || !errno ? -ENOENT : -errno,
                                       "Template %s does not exist or is not a directory (give a tree with --template=DIR or NAME)",
                                       template);
        m->template_path = TAKE_PTR(template);
        return 0;
}

int machine_resolve_root(struct machine *m)
{
        _cleanup_free_ char *absolute = NULL;
        struct stat st;

        if (stat(m->root, &st) < 0) {
                if (errno == ENOENT)
                        return log_error_errno(-ENOENT, "Machine tree %s does not exist (create it, or give another %s)",
                                               m->root, m->oci ? "as config.json's root.path" : "with -D DIR");
                return log_error_errno(-errno, "Cannot access machine tree %s: %m", m->root);
        }
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(-ENOTDIR, "Machine tree %s is not a directory (give a directory %s)", m->root,
                                       m->oci ? "as config.json's root.path" : "with -D DIR, or an image with -i IMAGE");

        absolute = realpath(m->root, NULL);
        if (!absolute)
                return log_error_errno(-errno, "Cannot resolve machine tree %s: %m", m->root);
        if (strcmp(absolute, "/") == 0)
                return log_error_errno(-EINVAL,
                                       "Refusing to boot the host's own root directory as a machine (give a tree with -D DIR)");
        free(m->root);
        m->root = TAKE_PTR(absolute);
        return 0;
}

/* The tree: made absolute now, or, when it is to be made from its template, once made. */
static int resolve_root(struct machine *m)
{
        if (m->template_tree && access(m->root, F_OK) < 0 && errno == ENOENT)
                return resolve_template(m);
        return machine_resolve_root(m);
}

/* A missing bind source is said before anything is set up: the host's before the tree is
 * looked at (ROOT_FD -EBADF), +PATH once the tree is there (ROOT_FD). An empty one is a
 * temporary directory, made later. */
static int check_bind_sources(const struct machine *m, int root_fd)
{
        for (size_t i = 0; i < m->n_mounts; i++) {
                const struct custom_mount *c = &m->mounts[i];
                _cleanup_close_ int fd = -EBADF;

                if (c->type != CUSTOM_BIND || !c->source || c->optional || (c->source[0] == '+') != (root_fd >= 0))
                        continue;
                if (c->source[0] == '+')
                        fd = open_in_root(root_fd, c->source + 1, O_PATH, 0);
                else if ((fd = open(c->source, O_PATH | O_CLOEXEC)) < 0)
                        fd = negative_errno();
                if (fd < 0)
                        return log_error_errno(fd, "Bind source %s cannot be used: %m (give an existing %s to --bind%s)",
                                               c->source, c->source[0] == '+' ? "path in the tree after +" : "host path",
                                               c->read_only ? "-ro" : "");
        }
        return 0;
}

/* --ephemeral-dir is the host's: a missing one is said before anything is set up. Whether
 * its file system can hold an overlay's upper layer is tried when the supervisor makes
 * the machine's directory there (ephemeral-dir.h). */
static int resolve_ephemeral_dir(struct machine *m)
{
        struct stat st;
        char *absolute;

        if (!m->ephemeral_dir)
                return 0;
        if (stat(m->ephemeral_dir, &st) < 0)
                return log_error_errno(-errno,
                                       "--ephemeral-dir %s cannot be used: %m (give an existing directory, e.g. /var/tmp)",
                                       m->ephemeral_dir);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(-ENOTDIR,
                                       "--ephemeral-dir %s is not a directory (give a directory, e.g. /var/tmp)",
                                       m->ephemeral_dir);
        absolute = realpath(m->ephemeral_dir, NULL);
        if (!absolute)
                return log_error_errno(-errno, "Cannot resolve --ephemeral-dir %s: %m", m->ephemeral_dir);
        free(m->ephemeral_dir);
        m->ephemeral_dir = absolute;
        return 0;
}

int machine_resolve(struct machine *m)
{
        int r;

        r = check_bind_sources(m, -EBADF);
        if (r < 0)
                return r;
        r = resolve_ephemeral_dir(m);
        if (r < 0)
                return r;

        if (!m->root && !m->image) {
                r = resolve_name(m);
                if (r < 0)
                        return r;
        }
        r = m->image ? resolve_image(m) : resolve_root(m);
        if (r < 0)
                return r;
        if (!m->name) {
                m->name = path_last_component(m->root);
                if (!m->name)
                        return -ENOMEM;
                if (!machine_name_is_valid(m->name))
                        return log_error_errno(-EINVAL,
                                               "Directory name '%s' is not a valid machine name (give one with -M NAME)",
                                               m->name);
        }
        if (!m->hostname) {
                m->hostname = strdup(m->name);
                if (!m->hostname)
                        return -ENOMEM;
        }
        return 0;
}

int machine_check_root(struct machine *m)
{
        _cleanup_close_ int root_fd = -EBADF;
        int r;

        root_fd = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return log_error_errno(-errno, "Cannot open machine tree %s: %m", m->root);
        r = custom_mounts_check_overlays(m, root_fd);
        if (r >= 0)
                r = check_bind_sources(m, root_fd);
        if (r < 0)
                return r;
        if (m->volatile_mode == VOLATILE_YES) {
                _cleanup_close_ int usr = open_in_root(root_fd, "/usr", O_PATH | O_DIRECTORY, 0);

                if (usr < 0)
                        return log_error_errno(usr,
                                               "%s has no /usr directory: --volatile=yes boots the tree's /usr alone: %m "
                                               "(give a merged-/usr tree, or use --volatile=state)",
                                               m->root);
        }
        r = resolve_init(m, root_fd);
        if (r < 0)
                return r;
        if (m->user) {
                m->run_user = calloc(1, sizeof(*m->run_user));
                if (!m->run_user)
                        return -ENOMEM;
                /* Logged: no such user, or no /etc/passwd to read. */
                r = guest_user_load(root_fd, m->name, m->user, m->run_user);
                if (r < 0)
                        return r;
        }
        if (!m->uuid_given)
                resolve_uuid(m, root_fd);
        return 0;
}

bool machine_writes_tree(const struct machine *m)
{
        return !m->read_only && !m->ephemeral && m->volatile_mode == VOLATILE_NO;
}

int machine_kill_signal(const struct machine *m)
{
        if (m->kill_signal > 0)
                return m->kill_signal;
        switch (m->init_kind) {
        case INIT_SYSTEMD:
                return SIGRTMIN + 3; /* Container Interface: systemd powers off on SIGRTMIN+3 */
        case INIT_BUSYBOX:
                return SIGUSR2; /* busybox init: SIGUSR2 is poweroff */
        case INIT_STUB:
        case INIT_OTHER:
        default:
                return SIGTERM;
        }
}
