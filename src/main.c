/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verbs/control.h"
#include "config/custom-mount.h"
#include "verbs/import.h"
#include "verbs/shell.h"
#include "image/image.h"
#include "util/log.h"
#include "config/machine.h"
#include "config/options.h"
#include "config/settings.h"
#include "host/supervisor.h"
#include "host/userns.h"
#include "util/proctitle.h"

/* Verbs that work on machines rather than boot one parse their own options: the verb
 * comes first, and the function gets the arguments from the verb on. */
static const struct {
        const char *name;
        int (*run)(int argc, char *argv[]);
} verbs[] = {
        { "list", verb_list },
        { "status", verb_status },
        { "stop", verb_stop },
        { "reboot", verb_reboot },
        { "kill", verb_kill },
        { "shell", verb_shell },
        { "import-tar", verb_import_tar },
        { "bootstrap", verb_bootstrap },
};

/* NAME.machine under the command line: the file's settings first, then the command line
 * again on top, so that what it says wins (--settings=override: the other way round).
 * Returns 0, or the exit code after a line. */
static int apply_settings(struct machine *m, int argc, char *argv[])
{
        struct machine from_file = MACHINE_INIT;
        int r;

        if (m->settings_mode == SETTINGS_OVERRIDE) {
                r = settings_load(m, m);
                return r < 0 ? EXIT_USAGE : 0;
        }
        r = settings_load(m, &from_file);
        if (r <= 0) {
                machine_done(&from_file);
                return r < 0 ? (machine_done(m), EXIT_USAGE) : 0;
        }
        r = parse_argv_only(argc, argv, &from_file);
        /* -x and --volatile say the same thing two ways: given on the command line, one
         * of them replaces what the file says with either. */
        if (r == PARSE_CONTINUE && (m->ephemeral || m->volatile_mode != VOLATILE_NO)) {
                from_file.ephemeral = m->ephemeral;
                from_file.volatile_mode = m->volatile_mode;
        }
        machine_done(m);
        *m = from_file;
        return r == PARSE_CONTINUE ? 0 : EXIT_USAGE;
}

int main(int argc, char *argv[])
{
        struct machine m = MACHINE_INIT;
        _cleanup_close_ int userns_lock = -EBADF;
        int r;

        for (size_t i = 0; argc > 1 && i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);

        proctitle_init(argc, argv);
        r = parse_argv_only(argc, argv, &m);
        if (r == PARSE_CONTINUE && m.verb != VERB_INSPECT) {
                r = apply_settings(&m, argc, argv);
                if (r != 0)
                        return r;
        }
        if (r == PARSE_CONTINUE)
                r = parse_check(&m);
        if (r != PARSE_CONTINUE) {
                machine_done(&m);
                return r == PARSE_EXIT ? 0 : EXIT_USAGE;
        }
        if (m.verb == VERB_INSPECT) {
                _cleanup_free_ char *path = NULL;

                if (!m.image && asprintf(&path, "%s/%s.raw", MACHINES_DIR, m.name) < 0)
                        return EXIT_SETUP_FAILED;
                if (!m.image && access(path, F_OK) < 0 && errno == ENOENT) {
                        /* NAME of a directory machine: say so rather than that NAME.raw is missing. */
                        struct stat st;

                        path[strlen(path) - strlen(".raw")] = '\0';
                        if (stat(path, &st) >= 0 && S_ISDIR(st.st_mode)) {
                                log_error("Machine %s is a directory tree (%s): inspect reads raw disk images only "
                                          "(give -i IMAGE, or the NAME of %s/NAME.raw)", m.name, path, MACHINES_DIR);
                                machine_done(&m);
                                return EXIT_BAD_TREE;
                        }
                        strcat(path, ".raw");
                }
                r = image_inspect(m.image ?: path, m.json);
                machine_done(&m);
                return r < 0 ? EXIT_BAD_TREE : 0;
        }
        if (geteuid() != 0) {
                log_error("Must be run as root: creating namespaces and mounts needs it (try sudo machined-lite ...)");
                machine_done(&m);
                return EXIT_NOT_ROOT;
        }
        r = machine_resolve(&m);
        if (r < 0) {
                machine_done(&m);
                return r == -ENOMEM || r == -ECANCELED ? EXIT_SETUP_FAILED : r == -EBUSY ? EXIT_BUSY : EXIT_BAD_TREE;
        }

        /* The UID range is held (a lock) for as long as we run. */
        if (m.private_users != PRIVATE_USERS_NO) {
                r = userns_choose(&m, &userns_lock);
                if (r < 0) {
                        machine_done(&m);
                        return r == -EBUSY ? EXIT_BUSY : EXIT_SETUP_FAILED;
                }
        }

        /* Made before the guest starts and removed when it has ended, whichever way: the
         * supervisor is this process, and it outlives the guest. */
        r = custom_mounts_prepare(&m);
        if (r < 0) {
                machine_done(&m);
                return EXIT_SETUP_FAILED;
        }
        r = supervisor_run(&m);
        custom_mounts_cleanup(&m);
        machine_done(&m);
        return r;
}
