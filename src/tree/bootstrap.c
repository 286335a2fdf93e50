/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bootstrap's work (bootstrap.h): a Debian or Ubuntu tree made by mmdebstrap or
 * debootstrap, what their output says when they fail, and the tree prepared to boot.
 * Not the running of the tool (run-tool.c), the mirror (mirror.c), nor the verb's
 * command line (verbs/import.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/machine.h"
#include "tree/bootstrap.h"
#include "tree/messages.h"
#include "tree/mirror.h"
#include "tree/new-tree.h"
#include "tree/progress.h"
#include "tree/run-tool.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

static const struct distribution {
        const char *name;
        const char *pretty_name;
        const char *default_release;
        const char *default_mirror;
        const char *keyring; /* what apt checks the archive's signature with */
        const char *keyring_package;
} distributions[] = {
        { "debian", "Debian", "bookworm", "http://deb.debian.org/debian",
          "/usr/share/keyrings/debian-archive-keyring.gpg", "debian-archive-keyring" },
        { "ubuntu", "Ubuntu", "noble", "http://archive.ubuntu.com/ubuntu",
          "/usr/share/keyrings/ubuntu-archive-keyring.gpg", "ubuntu-keyring" },
};

/* What systemd needs to boot and be talked to: on top of minbase. */
#define BOOTSTRAP_PACKAGES "systemd,systemd-sysv,dbus"

/* Lines of the tool's output kept to be shown when it fails. */
#define TAIL_LINES 8

static const struct distribution *distribution_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(distributions); i++)
                if (strcmp(distributions[i].name, name) == 0)
                        return &distributions[i];
        return NULL;
}

static bool word_is_valid(const char *s, const char *extra, size_t max)
{
        size_t n = strlen(s);

        if (n == 0 || n > max || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr(extra, s[i])))
                        return false;
        return true;
}

/* These end up on the tool's command line and in an HTTP request: nothing but what a
 * release, a package or a URL is made of. */
int bootstrap_options_check(const struct bootstrap_options *o)
{
        if (!machine_name_is_valid(o->name))
                return log_error_errno(-EINVAL, "Invalid machine name '%s': use " MACHINE_NAME_RULES, o->name ?: "");
        if (o->distribution && !distribution_find(o->distribution))
                return log_error_errno(-EINVAL, "Unknown distribution '%s': use debian or ubuntu", o->distribution);
        if (o->release && !word_is_valid(o->release, "-._", 64))
                return log_error_errno(-EINVAL, "Invalid release '%s': a code name such as bookworm", o->release);
        for (char **p = o->include; p && *p; p++)
                if (!word_is_valid(*p, "+-.", 128))
                        return log_error_errno(-EINVAL,
                                               "Invalid package name '%s' in --include: lower case letters, digits, + - .",
                                               *p);
        if (o->mirror) {
                if (strncmp(o->mirror, "http://", 7) != 0 && strncmp(o->mirror, "https://", 8) != 0 &&
                    strncmp(o->mirror, "file:/", 6) != 0)
                        return log_error_errno(-EINVAL, "Invalid mirror '%s': an http://, https:// or file:/ URL",
                                               o->mirror);
                for (const char *c = o->mirror; *c; c++)
                        if ((unsigned char)*c <= ' ' || *c == 0x7f)
                                return log_error_errno(-EINVAL,
                                                       "Invalid mirror '%s': a URL has no spaces or control characters",
                                                       o->mirror);
        }
        return 0;
}

/* What we learn from the tool's output while it runs. */
struct tool_findings {
        const char *tool;
        struct progress *progress;
        uint64_t packages;
        char tail[TAIL_LINES][256];
        size_t tail_count;
        bool release_missing;
        bool unreachable;
        char missing_package[130];
        char network_error[256];
        int write_error;            /* -errno the tool could not write the tree for */
        char write_error_path[256]; /* where in the tree, when its line says */
};

/* The errors of a file system that cannot store the tree (is_write_error()), as the
 * tool's lines spell them: LC_ALL=C. */
static const int tool_write_errors[] = { ENOSPC, EDQUOT, EIO, EROFS, EFBIG };

/* The path in LINE that TOOL could not write, inside the tree: tar's (mmdebstrap and
 * debootstrap unpack with it) "tar: ./usr/bin/x: Cannot write: ...", dpkg's "cannot copy
 * extracted data for './usr/bin/x' to ...". Empty when the line names none. */
static void tool_write_error_path(const char *line, char *buf, size_t size)
{
        const char *start = NULL, *p;
        size_t n = 0;

        buf[0] = '\0';
        if (strncmp(line, "tar: ", 5) == 0 && (p = strstr(line, ": Cannot "))) {
                start = line + 5;
                n = (size_t)(p - start);
        } else if ((p = strstr(line, "extracted data for '"))) {
                start = p + strlen("extracted data for '");
                n = strcspn(start, "'");
        }
        /* "./usr/bin/x" and "/usr/bin/x" are usr/bin/x of the tree. */
        while (start && n > 0 && (start[0] == '/' || (n > 1 && start[0] == '.' && start[1] == '/'))) {
                size_t k = start[0] == '/' ? 1 : 2;

                start += k;
                n -= k;
        }
        if (start && n > 0 && n < size) {
                char raw[256];

                snprintf(raw, sizeof(raw), "%.*s", (int)n, start);
                printable(raw, buf, size);
        }
}

/* apt's (mmdebstrap) and debootstrap's words for a package that is not there. */
static const char *const missing_package_phrases[] = { "Unable to locate package ", "Couldn't find these debs: " };

static void tool_line(const char *line, void *userdata)
{
        struct tool_findings *findings = userdata;
        const char *p;

        if (line[0] == '\0')
                return;
        /* dpkg's (mmdebstrap) and debootstrap's lines for each package that is installed. */
        if (strncmp(line, "Setting up ", 11) == 0 || strncmp(line, "I: Configuring ", 15) == 0)
                progress_update(findings->progress, ++findings->packages);
        /* apt's (mmdebstrap) and debootstrap's words for what went wrong. */
        if (strstr(line, "does not have a Release file") || strstr(line, "Failed getting release file"))
                findings->release_missing = true;
        if (strstr(line, "Could not resolve") || strstr(line, "Temporary failure resolving") ||
            strstr(line, "Could not connect") || strstr(line, "Unable to connect") ||
            strstr(line, "Connection timed out") || strstr(line, "Network is unreachable") ||
            strstr(line, "Connection failed")) {
                if (!findings->unreachable)
                        printable(line, findings->network_error, sizeof(findings->network_error));
                findings->unreachable = true;
        }
        for (size_t i = 0; i < ELEMENTSOF(tool_write_errors) && !findings->write_error; i++)
                if (strstr(line, strerror(tool_write_errors[i]))) {
                        findings->write_error = -tool_write_errors[i];
                        tool_write_error_path(line, findings->write_error_path, sizeof(findings->write_error_path));
                }
        for (size_t i = 0; i < ELEMENTSOF(missing_package_phrases) && !findings->missing_package[0]; i++) {
                p = strstr(line, missing_package_phrases[i]);
                if (p) {
                        p += strlen(missing_package_phrases[i]);
                        snprintf(findings->missing_package, sizeof(findings->missing_package), "%.*s",
                                 (int)strcspn(p, " "), p);
                }
        }
        printable(line, findings->tail[findings->tail_count % TAIL_LINES], sizeof(findings->tail[0]));
        findings->tail_count++;
}

static int write_file_in_root(int root_fd, const char *path, const char *content, mode_t mode)
{
        _cleanup_close_ int fd = open_in_root(root_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NOCTTY, mode);
        size_t n = strlen(content);

        if (fd < 0)
                return fd;
        if (n > 0 && write(fd, content, n) != (ssize_t)n)
                return negative_errno();
        return 0;
}

static int read_file_in_root(int root_fd, const char *path, int flags, int *ret_fd, char **ret_content)
{
        _cleanup_close_ int fd = open_in_root(root_fd, path, flags | O_NOFOLLOW | O_NOCTTY, 0);
        _cleanup_free_ char *content = NULL;
        struct stat st;
        ssize_t n;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || st.st_size > 16 * 1024 * 1024)
                return -EBADF;
        content = malloc((size_t)st.st_size + 1);
        if (!content)
                return -ENOMEM;
        n = pread(fd, content, (size_t)st.st_size, 0);
        if (n < 0)
                return negative_errno();
        content[n] = '\0';
        *ret_content = TAKE_PTR(content);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* passwd -l: root gets no password. An empty field would let anyone log in as root on
 * the console; "*" or "!..." lets no one. */
static int lock_root_password(int root_fd)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *content = NULL, *locked = NULL;
        char *line, *field;
        size_t before;
        int r;

        r = read_file_in_root(root_fd, "/etc/shadow", O_RDWR, &fd, &content);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        line = strncmp(content, "root:", 5) == 0 ? content : strstr(content, "\nroot:");
        if (!line)
                return 0;
        field = line + (line[0] == '\n' ? 6 : 5);
        if (field[0] == '!' || field[0] == '*')
                return 0;
        before = (size_t)(field - content);
        if (asprintf(&locked, "%.*s!%s", (int)before, content, field) < 0)
                return -ENOMEM;
        if (pwrite(fd, locked, strlen(locked), 0) != (ssize_t)strlen(locked))
                return negative_errno();
        return 0;
}

/* pam_securetty, where a tree still has it, lets root log in only on the terminals
 * listed: ours are /dev/console and, for machinectl login, pts/0. */
static int allow_console_login(int root_fd)
{
        static const char *const terminals[] = { "console", "pts/0" };
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *content = NULL;
        char missing[32] = "";
        size_t length;
        int r;

        r = read_file_in_root(root_fd, "/etc/securetty", O_RDWR, &fd, &content);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(terminals); i++) {
                size_t n = strlen(terminals[i]);
                bool listed = false;

                for (const char *p = content; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                        if (strncmp(p, terminals[i], n) == 0 && (p[n] == '\n' || p[n] == '\0'))
                                listed = true;
                if (!listed) {
                        strcat(missing, terminals[i]);
                        strcat(missing, "\n");
                }
        }
        if (!missing[0])
                return 0;
        length = strlen(content);
        if (lseek(fd, 0, SEEK_END) < 0 ||
            dprintf(fd, "%s%s", length > 0 && content[length - 1] != '\n' ? "\n" : "", missing) < 0)
                return negative_errno();
        return 0;
}

/* What machines/create-debian does after debootstrap, but root's password locked. */
static int prepare_tree(const char *root, const char *name)
{
        _cleanup_close_ int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dbus_fd = -EBADF;
        _cleanup_free_ char *hostname = NULL;
        int r;

        if (root_fd < 0)
                return log_error_errno(negative_errno(), "Cannot open %s: %m", root);
        /* Container Interface: an empty machine-id is filled in by the guest's systemd at
         * boot, from $container_uuid; dbus's copy of the bootstrap's would win otherwise. */
        r = write_file_in_root(root_fd, "/etc/machine-id", "", 0444);
        if (r < 0)
                return log_error_errno(r, "Cannot empty %s/etc/machine-id: %m", root);
        dbus_fd = open_in_root(root_fd, "/var/lib/dbus", O_PATH | O_DIRECTORY, 0);
        if (dbus_fd >= 0 && unlinkat(dbus_fd, "machine-id", 0) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "Cannot remove %s/var/lib/dbus/machine-id: %m", root);
        if (asprintf(&hostname, "%s\n", name) < 0)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = write_file_in_root(root_fd, "/etc/hostname", hostname, 0644);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s/etc/hostname: %m", root);
        r = lock_root_password(root_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot lock root's password in %s/etc/shadow: %m", root);
        r = allow_console_login(root_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot update %s/etc/securetty: %m", root);
        return 0;
}

/* The tool's command line. */
static int bootstrap_argv(const char *tool, const struct bootstrap_options *o, const struct distribution *d,
                          const char *release, const char *mirror, const char *target, char ***ret)
{
        _cleanup_free_ char *include = NULL, *include_option = NULL, *keyring_option = NULL;
        bool mmdebstrap = strcmp(strrchr(tool, '/') + 1, "mmdebstrap") == 0;
        char **argv = NULL;
        int r = 0;

        include = strdup(BOOTSTRAP_PACKAGES);
        for (char **p = o->include; include && p && *p; p++) {
                char *longer = NULL;

                if (asprintf(&longer, "%s,%s", include, *p) < 0)
                        longer = NULL;
                free(include);
                include = longer;
        }
        if (!include || asprintf(&include_option, "--include=%s", include) < 0 ||
            asprintf(&keyring_option, "--keyring=%s", d->keyring) < 0)
                return -ENOMEM;
        r |= strv_extend(&argv, tool);
        /* mmdebstrap: apt's and dpkg's lines too, which we count packages by; as root, in
         * the host's namespaces (ours, private mounts). */
        if (mmdebstrap)
                r |= strv_extend(&argv, "--verbose") | strv_extend(&argv, "--mode=root");
        r |= strv_extend(&argv, "--variant=minbase") | strv_extend(&argv, include_option) |
             strv_extend(&argv, keyring_option) | strv_extend(&argv, release) | strv_extend(&argv, target) |
             strv_extend(&argv, mirror);
        if (r < 0) {
                strv_free(argv);
                return -ENOMEM;
        }
        *ret = argv;
        return 0;
}

/* Says what went wrong, in one line where the tool's output tells. */
static int bootstrap_failed(const struct tool_findings *findings, int status, const char *name, const char *release,
                            const char *mirror, const char *log_path, bool *keep_log)
{
        char hint[256];

        /* First: a full disk makes the tool's later steps fail in other ways too. */
        if (findings->write_error && findings->write_error_path[0])
                return log_error_errno(findings->write_error, "Cannot write %s of %s: %m (%s)",
                                       findings->write_error_path, name,
                                       write_error_hint(findings->write_error, MACHINES_DIR, hint, sizeof(hint)));
        if (findings->write_error)
                return log_error_errno(findings->write_error, "Cannot write the tree of %s: %m (%s)", name,
                                       write_error_hint(findings->write_error, MACHINES_DIR, hint, sizeof(hint)));
        if (findings->missing_package[0])
                return log_error_errno(-ENOENT, "Package %s not found in release %s at %s: check --include",
                                       findings->missing_package, release, mirror);
        if (findings->release_missing)
                return log_error_errno(-ENOENT, "Release %s not found at %s: check --release", release, mirror);
        if (findings->unreachable)
                return log_error_errno(-EHOSTUNREACH, "Cannot reach %s (%s): is there a network?", mirror,
                                       findings->network_error);
        /* Nothing we know: its last lines, and the whole log kept. */
        for (size_t i = findings->tail_count > TAIL_LINES ? findings->tail_count - TAIL_LINES : 0;
             i < findings->tail_count; i++)
                fprintf(stderr, "  %s\n", findings->tail[i % TAIL_LINES]);
        *keep_log = true;
        return log_error_errno(-EPROTO, "%s failed (exit status %d): its last lines are above, all of them in %s",
                               findings->tool, status, log_path);
}

int bootstrap_tree(const struct bootstrap_options *o)
{
        _cleanup_(new_tree_done) struct new_tree tree = NEW_TREE_INIT;
        _cleanup_free_ char *tool = NULL, *host = NULL, *log_path = NULL, *what = NULL;
        _cleanup_close_ int log_fd = -EBADF;
        const struct distribution *d;
        const char *release, *mirror;
        struct tool_findings findings = {};
        char **argv = NULL;
        bool keep_log = false;
        int r;

        r = bootstrap_options_check(o);
        if (r < 0)
                return r;
        d = distribution_find(o->distribution ?: "debian");
        release = o->release ?: d->default_release;
        mirror = o->mirror;
        if (!mirror) {
                host = host_mirror(d->name);
                mirror = host ?: d->default_mirror;
        }
        tool = find_program("mmdebstrap");
        if (!tool)
                tool = find_program("debootstrap");
        if (!tool)
                return log_error_errno(-ENOENT,
                                       "Neither mmdebstrap nor debootstrap is installed: apt-get install mmdebstrap");
        r = new_tree_begin(&tree, o->name, o->force);
        if (r < 0)
                return r;
        r = probe_mirror(mirror, release, tree.signal_fd);
        if (r == -EINTR)
                return new_tree_interrupted(&tree, "made");
        if (r < 0)
                return r;
        if (access(d->keyring, R_OK) < 0)
                return log_error_errno(-ENOKEY,
                                       "%s's archive key %s is missing, without which its packages cannot be trusted: install %s",
                                       d->pretty_name, d->keyring, d->keyring_package);
        log_info("Bootstrapping %s: %s %s from %s with %s", o->name, d->name, release, mirror, strrchr(tool, '/') + 1);

        /* The tool's output, next to the tree: kept if it fails in a way we cannot tell. */
        if (asprintf(&log_path, "%s.log", tree.temp) < 0) {
                log_path = NULL;
                return log_error_errno(-ENOMEM, "Out of memory");
        }
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0600);
        if (log_fd < 0)
                return log_error_errno(negative_errno(), "Cannot create %s: %m", log_path);
        r = bootstrap_argv(tool, o, d, release, mirror, tree.temp, &argv);
        if (r < 0) {
                (void)unlink(log_path);
                return log_error_errno(r, "Out of memory");
        }
        if (asprintf(&what, "Bootstrapping %s", o->name) < 0)
                what = NULL;
        findings.tool = strrchr(tool, '/') + 1;
        findings.progress = progress_new(what ?: o->name, 0, "packages", o->quiet);
        r = tool_run(argv, tree.signal_fd, log_fd, tool_line, &findings);
        strv_free(argv);
        progress_done(TAKE_PTR(findings.progress), r == 0);
        if (r == 0)
                r = prepare_tree(tree.temp, o->name);
        else if (r > 0)
                r = bootstrap_failed(&findings, r, o->name, release, mirror, log_path, &keep_log);
        else if (r != -EINTR)
                r = log_error_errno(r, "Cannot run %s: %m", tool);
        if (r == 0)
                r = new_tree_commit(&tree);
        if (!keep_log)
                (void)unlink(log_path);
        if (r == -EINTR)
                return new_tree_interrupted(&tree, "made");
        if (r < 0)
                return r;
        log_info("Machine %s is ready in %s (machined-lite boot %s)", o->name, tree.path, o->name);
        return 0;
}
