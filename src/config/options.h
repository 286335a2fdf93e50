/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/machine.h"
#include "config/usage.h"
#include "util/macro.h"

/* The options' codes for getopt_long() beside their short letters, shared by both command
 * lines (config/nspawn-options.c's takes the same values the same way). */
enum option_code {
        ARG_VERSION = 0x100,
        ARG_HOSTNAME,
        ARG_CONSOLE,
        ARG_READ_ONLY,
        ARG_PRIVATE_NETWORK,
        ARG_NETWORK_VETH_EXTRA,
        ARG_NETWORK_BRIDGE,
        ARG_NETWORK_ZONE,
        ARG_NETWORK_INTERFACE,
        ARG_NETWORK_MACVLAN,
        ARG_NETWORK_IPVLAN,
        ARG_NETWORK_NAMESPACE_PATH,
        ARG_NETWORK_CONFIGURE,
        ARG_KILL_SIGNAL,
        ARG_INIT,
        ARG_REGISTER,
        ARG_KEEP_UNIT,
        ARG_SLICE,
        ARG_PROPERTY,
        ARG_NOTIFY_READY,
        ARG_CAPABILITY,
        ARG_DROP_CAPABILITY,
        ARG_NO_NEW_PRIVILEGES,
        ARG_SYSTEM_CALL_FILTER,
        ARG_PRIVATE_USERS,
        ARG_PRIVATE_USERS_OWNERSHIP,
        ARG_JSON,
        ARG_TEMPLATE,
        ARG_OCI_BUNDLE,
        ARG_VOLATILE,
        ARG_EPHEMERAL_DIR,
        ARG_BIND,
        ARG_BIND_RO,
        ARG_TMPFS,
        ARG_SETTINGS,
        ARG_OVERLAY,
        ARG_OVERLAY_RO,
        /* systemd-nspawn(1)'s, for both command lines. */
        ARG_CHDIR,
        ARG_UUID,
        ARG_RLIMIT,
        ARG_PERSONALITY,
        ARG_OOM_SCORE_ADJUST,
        ARG_CPU_AFFINITY,
        ARG_RESOLV_CONF,
        ARG_TIMEZONE,
        ARG_SUPPRESS_SYNC,
        ARG_INACCESSIBLE,
        ARG_LINK_JOURNAL,
        ARG_SET_CREDENTIAL,
        ARG_LOAD_CREDENTIAL,
        ARG_BIND_USER,
};

enum parse_result {
        PARSE_CONTINUE = 0, /* the machine is described: go on */
        PARSE_EXIT = 1,     /* --help or --version was printed: exit 0 */
};

/* Fills M from the command line. Returns a parse_result, or -EINVAL after printing one
 * line that says what is wrong (exit code EXIT_USAGE). */
int parse_argv(int argc, char *argv[], struct machine *m);

/* parse_argv() in two steps, for a settings file to come in between: the options and
 * arguments, then the checks of the whole (a machine given, a command for run, ...). */
int parse_argv_only(int argc, char *argv[], struct machine *m);
int parse_check(const struct machine *m);

/* Option C (a letter or an option_code) with VALUE (NULL when it takes none) into M, as
 * both command lines take it. Returns 0, -EINVAL after one line (CURRENT, the option as
 * written, names it), -ENOMEM, or -ENOENT for a code that is not one of these. */
int option_apply(int c, const char *value, const char *current, struct machine *m);

/* yes/true/on/1: 1, no/false/off/0: 0, else -EINVAL. */
int parse_boolean(const char *v);

/* Parses "SIGTERM", "TERM", "RTMIN+3", "SIGRTMIN+3" or a number; -EINVAL if none. */
int signal_from_string(const char *s);

/* Parses --private-users's value into M. Returns 0 or -EINVAL. */
int userns_parse(const char *value, struct machine *m);
