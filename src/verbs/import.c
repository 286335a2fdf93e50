/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs import-tar and bootstrap (verbs/import.h): their command lines, --help, the
 * [Bootstrap] settings under the command line, and exit codes. Not the making of the
 * trees (tree/import-tar.c, tree/bootstrap.c). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/machine.h"
#include "config/settings.h"
#include "tree/bootstrap.h"
#include "tree/import-tar.h"
#include "tree/new-tree.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"
#include "verbs/import.h"

enum {
        ARG_FORCE = 0x100,
        ARG_DISTRIBUTION,
        ARG_RELEASE,
        ARG_INCLUDE,
        ARG_MIRROR,
};

/* The end of both verbs' --help: what exit_status() returns. */
#define EXIT_CODES_HELP                                                                 \
        "\n"                                                                            \
        "Exit codes: 0 done, 1 failed (nothing is left behind), 2 bad command line,\n"  \
        "3 not root, 5 NAME exists (without --force) or is running, 128+N stopped by\n" \
        "signal N (nothing is left behind).\n"

static int exit_status(int r)
{
        if (r >= 0)
                return 0;
        if (r == -EEXIST || r == -EBUSY)
                return EXIT_BUSY;
        if (r == -EINTR)
                return 128 + new_tree_interrupt_signal();
        return EXIT_SETUP_FAILED;
}

_printf_(2, 3) static int verb_usage_error(const char *verb, const char *format, ...)
{
        char line[512];
        va_list ap;

        va_start(ap, format);
        vsnprintf(line, sizeof(line), format, ap);
        va_end(ap);
        log_error("%s (see machined-lite %s --help)", line, verb);
        return EXIT_USAGE;
}

static int unknown_option(const char *verb, int c, const char *argument)
{
        if (c == ':')
                return verb_usage_error(verb, "Option '%s' needs a value", argument);
        return verb_usage_error(verb, "Unknown option '%s'", argument);
}

static int require_root(const char *verb)
{
        if (geteuid() == 0)
                return 0;
        log_error("Must be run as root: %s makes trees in %s owned by any user (try sudo machined-lite %s ...)", verb,
                  MACHINES_DIR, verb);
        return EXIT_NOT_ROOT;
}

int verb_import_tar(int argc, char *argv[])
{
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                                                 { "force", no_argument, NULL, ARG_FORCE },
                                                 { "quiet", no_argument, NULL, 'q' },
                                                 {} };
        bool force = false, quiet = false;
        int c, r;

        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":hq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: machined-lite import-tar FILE|- NAME [--force] [-q]\n"
                               "\n"
                               "Unpacks a tarball (plain, gzip, xz, zstd, bzip2 or lz4, told by its content;\n"
                               "- reads standard input) into " MACHINES_DIR "/NAME, keeping owners, modes,\n"
                               "times, xattrs, ACLs, file capabilities, character devices and hard links (block\n"
                               "devices are skipped). An entry that would land outside the tree, or a write\n"
                               "error, fails the import. NAME appears whole or not at all.\n"
                               "\n"
                               "      --force   Replace an existing NAME (not while a machine runs in it)\n"
                               "  -q, --quiet   No progress and no informational messages\n" EXIT_CODES_HELP);
                        return 0;
                case ARG_FORCE:
                        force = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                default:
                        return unknown_option(argv[0], c, argv[optind - 1]);
                }
        if (argc - optind != 2)
                return verb_usage_error(argv[0],
                                        "import-tar needs a tarball (or - for standard input) and a machine name");
        if (!machine_name_is_valid(argv[optind + 1]))
                return verb_usage_error(argv[0], "Invalid machine name '%s': use " MACHINE_NAME_RULES, argv[optind + 1]);
        r = require_root(argv[0]);
        if (r != 0)
                return r;
        log_quiet = quiet;
        return exit_status(import_tar(argv[optind], argv[optind + 1], force, quiet));
}

static void bootstrap_help(void)
{
        printf("Usage: machined-lite bootstrap NAME [OPTIONS]\n"
               "\n"
               "Makes " MACHINES_DIR "/NAME a minimal Debian or Ubuntu with systemd, with\n"
               "mmdebstrap (or debootstrap), ready to boot: empty machine-id, root locked,\n"
               "host name NAME. NAME appears whole or not at all.\n"
               "\n"
               "      --distribution=DIST  debian (default) or ubuntu\n"
               "      --release=RELEASE    Default: bookworm (debian), noble (ubuntu)\n"
               "      --include=PKG,...    More packages, besides systemd, systemd-sysv, dbus\n"
               "      --mirror=URL         Default: the host's apt mirror of DIST, else its archive\n"
               "      --force              Replace an existing NAME (not while a machine runs in it)\n"
               "  -q, --quiet              No progress and no informational messages\n" EXIT_CODES_HELP);
}

/* bootstrap's command line into O, its --include into *INCLUDE: -1 to go on, or the exit
 * status to return (0 after --help; else the line that says why is told). */
static int bootstrap_parse_argv(int argc, char *argv[], struct bootstrap_options *o, char ***include)
{
        static const struct option options[] = { { "help", no_argument, NULL, 'h' },
                                                 { "distribution", required_argument, NULL, ARG_DISTRIBUTION },
                                                 { "release", required_argument, NULL, ARG_RELEASE },
                                                 { "include", required_argument, NULL, ARG_INCLUDE },
                                                 { "mirror", required_argument, NULL, ARG_MIRROR },
                                                 { "force", no_argument, NULL, ARG_FORCE },
                                                 { "quiet", no_argument, NULL, 'q' },
                                                 {} };
        int c, r = 0;

        opterr = 0;
        optind = 0;
        while (r == 0 && (c = getopt_long(argc, argv, ":hq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        bootstrap_help();
                        return 0;
                case ARG_DISTRIBUTION:
                        o->distribution = optarg;
                        break;
                case ARG_RELEASE:
                        o->release = optarg;
                        break;
                case ARG_INCLUDE: {
                        _cleanup_free_ char *list = strdup(optarg);
                        char *save = NULL;

                        if (!list)
                                r = -ENOMEM;
                        for (char *p = list ? strtok_r(list, ",", &save) : NULL; p && r == 0;
                             p = strtok_r(NULL, ",", &save))
                                r = strv_extend(include, p);
                        break;
                }
                case ARG_MIRROR:
                        o->mirror = optarg;
                        break;
                case ARG_FORCE:
                        o->force = true;
                        break;
                case 'q':
                        o->quiet = true;
                        break;
                default:
                        return unknown_option(argv[0], c, argv[optind - 1]);
                }
        if (r < 0) {
                log_error_errno(r, "Out of memory");
                return EXIT_SETUP_FAILED;
        }
        if (argc - optind != 1)
                return verb_usage_error(argv[0], "bootstrap needs one machine name");
        o->name = argv[optind];
        return -1;
}

/* [Bootstrap] of NAME.machine, under the command line: what O leaves unset. */
static void bootstrap_options_merge(struct bootstrap_options *o, const struct bootstrap_settings *settings,
                                    char ***include)
{
        if (!o->distribution)
                o->distribution = settings->distribution;
        if (!o->release)
                o->release = settings->release;
        if (!o->mirror)
                o->mirror = settings->mirror;
        if (!*include && settings->include) {
                _cleanup_free_ char *list = strdup(settings->include);
                char *save = NULL;

                for (char *p = list ? strtok_r(list, ", ", &save) : NULL; p; p = strtok_r(NULL, ", ", &save))
                        if (strv_extend(include, p) < 0)
                                break;
        }
        o->include = *include;
}

int verb_bootstrap(int argc, char *argv[])
{
        struct bootstrap_options o = {};
        struct bootstrap_settings settings = {};
        char **include = NULL;
        int r;

        r = bootstrap_parse_argv(argc, argv, &o, &include);
        if (r >= 0) {
                strv_free(include);
                return r;
        }
        /* [Bootstrap] of NAME.machine, under the command line. */
        r = machine_name_is_valid(o.name) ? bootstrap_settings_load(o.name, &settings) : 0;
        if (r < 0)
                r = EXIT_USAGE;
        else {
                bootstrap_options_merge(&o, &settings, &include);
                if (bootstrap_options_check(&o) < 0)
                        r = EXIT_USAGE;
                else
                        r = require_root(argv[0]);
        }
        if (r == 0) {
                log_quiet = o.quiet;
                r = exit_status(bootstrap_tree(&o));
        }
        strv_free(include);
        bootstrap_settings_done(&settings);
        return r;
}
