/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* boot, run and inspect: the command line and NAME.machine read into one struct machine,
 * then the boot as a sequence of named steps, each returning our exit code. What each
 * step does lives in config/, tree/, image/, host/; this file only orders them. */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "config/machine.h"
#include "config/nspawn-options.h"
#include "config/oci-bundle.h"
#include "config/options.h"
#include "config/settings.h"
#include "host/bind-user.h"
#include "host/journal-link.h"
#include "host/overlay-dirs.h"
#include "host/supervisor.h"
#include "host/userns.h"
#include "image/image.h"
#include "tree/copy.h"
#include "util/log.h"
#include "util/proctitle.h"
#include "verbs/boot.h"
#include "verbs/inspect.h"

/* A command line's parser: machined-lite's own, or systemd-nspawn's. */
typedef int (*parse_fn)(int argc, char *argv[], struct machine *m);

/* NAME.machine (NAME.nspawn) under the command line: the file's settings first, then the
 * command line again on top, so that what it says wins (--settings=override: the other
 * way round). Returns 0, or the exit code after a line. */
static int apply_settings(struct machine *m, int argc, char *argv[], parse_fn parse)
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
                return r < 0 ? EXIT_USAGE : 0;
        }
        r = parse(argc, argv, &from_file);
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

/* --oci-bundle: the bundle's config.json under the command line, which is read again on
 * top of it (its -D or -i would name a second root). Returns 0, or the exit code. */
static int apply_oci_bundle(struct machine *m, int argc, char *argv[], parse_fn parse)
{
        struct machine base = MACHINE_INIT;
        int r;

        if (!m->nspawn && (m->root || m->image)) {
                usage_error("--oci-bundle=%s names the root already: no -D or -i with it", m->oci_bundle);
                return EXIT_USAGE;
        }
        r = oci_bundle_load(m->oci_bundle, m->verb, &base);
        if (r < 0) {
                machine_done(&base);
                return r == -ENOMEM ? EXIT_SETUP_FAILED : EXIT_USAGE;
        }
        r = parse(argc, argv, &base);
        machine_done(m);
        *m = base;
        return r == PARSE_CONTINUE ? 0 : EXIT_USAGE;
}

/* The command line, NAME.machine under it (not for inspect), and their checks. Returns
 * true to go on, or false with the exit code in *EXIT_CODE: 0 after --help or --version. */
static bool parse_machine(struct machine *m, int argc, char *argv[], parse_fn parse, int *exit_code)
{
        int r = parse(argc, argv, m);

        if (r == PARSE_CONTINUE && m->oci_bundle) {
                *exit_code = apply_oci_bundle(m, argc, argv, parse);
                if (*exit_code != 0)
                        return false;
        }

        if (r == PARSE_CONTINUE && m->verb != VERB_INSPECT) {
                *exit_code = apply_settings(m, argc, argv, parse);
                if (*exit_code != 0)
                        return false;
        }
        if (r == PARSE_CONTINUE)
                r = parse_check(m);
        *exit_code = r == PARSE_CONTINUE || r == PARSE_EXIT ? 0 : EXIT_USAGE;
        return r == PARSE_CONTINUE;
}

/* Step 1: what the options name, checked, and the struct completed; nothing changed yet. */
static int resolve(struct machine *m)
{
        int r;

        if (geteuid() != 0) {
                log_error("Must be run as root: creating namespaces and mounts needs it (try sudo machined-lite ...)");
                return EXIT_NOT_ROOT;
        }
        r = machine_resolve(m);
        if (r < 0)
                return r == -ENOMEM ? EXIT_SETUP_FAILED : EXIT_BAD_TREE;
        return 0;
}

/* Step 2: the root to boot: a tree made from its --template when it does not exist yet,
 * or the image's file systems mounted; then the root's own checks (its init, ...). */
static int prepare_root(struct machine *m)
{
        int r = 0;

        if (m->template_path) {
                /* copy_tree() says what failed: a setup step, not a bad tree. */
                if (copy_tree(m->template_path, m->root, log_quiet) < 0)
                        return EXIT_SETUP_FAILED;
                r = machine_resolve_root(m);
        } else if (m->image)
                r = image_mount(m);
        if (r >= 0)
                r = machine_check_root(m);
        if (r < 0)
                return r == -ENOMEM  ? EXIT_SETUP_FAILED
                       : r == -EBUSY ? EXIT_BUSY
                       : r == -ESRCH ? EXIT_USAGE /* -u names no user of the guest's */
                                     : EXIT_BAD_TREE;
        return 0;
}

/* Step 2b: --link-journal's directory or link on the host. */
static int link_journal(struct machine *m)
{
        int r = journal_link_prepare(m);

        return r == -EINVAL ? EXIT_USAGE : r < 0 ? EXIT_SETUP_FAILED : 0;
}

/* Step 3: -U: a free UID range, locked (*LOCK_FD) for as long as we run, and the users
 * --bind-user maps into it. */
static int choose_uid_range(struct machine *m, int *lock_fd)
{
        int r;

        if (m->private_users == PRIVATE_USERS_NO)
                return 0;
        r = userns_choose(m, lock_fd);
        if (r < 0)
                return r == -EBUSY ? EXIT_BUSY : EXIT_SETUP_FAILED;
        /* --bind-user's IDs go into that range's maps. */
        r = bind_users_prepare(m);
        if (r < 0)
                return r == -ENOMEM ? EXIT_SETUP_FAILED : EXIT_USAGE;
        return 0;
}

/* Steps 4 and 5: what the custom mounts need on the host (overlays' work directories,
 * empty upper layers), made before the guest starts; then the supervisor, this very
 * process, runs the machine to its end; then they are removed, whichever way it ended. */
static int supervise(struct machine *m)
{
        int r;

        if (custom_mounts_prepare(m) < 0)
                return EXIT_SETUP_FAILED;
        r = supervisor_run(m);
        custom_mounts_cleanup(m);
        return r;
}

static int boot_with(int argc, char *argv[], parse_fn parse)
{
        _cleanup_(machine_donep) struct machine m = MACHINE_INIT;
        _cleanup_close_ int uid_range_lock = -EBADF;
        int r;

        proctitle_init(argc, argv);
        if (!parse_machine(&m, argc, argv, parse, &r))
                return r;
        if (m.verb == VERB_INSPECT)
                return verb_inspect(&m);

        r = resolve(&m);
        if (r == 0)
                r = prepare_root(&m);
        if (r == 0)
                r = link_journal(&m);
        if (r == 0)
                r = choose_uid_range(&m, &uid_range_lock);
        if (r == 0)
                r = supervise(&m);
        return r;
}

int verb_boot(int argc, char *argv[])
{
        return boot_with(argc, argv, parse_argv_only);
}

int verb_nspawn(int argc, char *argv[])
{
        return boot_with(argc, argv, nspawn_parse_argv);
}
