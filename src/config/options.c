/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line of boot, run and inspect (getopt_long), and its --help: each option
 * fills struct machine; checks across options are parse_check()'s (the --help text and the
 * usage lines: config/usage.c). Values with a syntax
 * of their own are parsed in custom-mount.c, property.c, caps.c and syscall-filter.c. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/custom-mount.h"
#include "config/exec-options.h"
#include "config/network.h"
#include "config/options.h"
#include "config/usage.h"
#include "guest/caps.h"
#include "guest/syscall-filter.h"
#include "host/userns.h"
#include "util/log.h"
#include "util/path.h"
#include "util/strv.h"

/* --private-users= and PrivateUsers=: no, pick, yes, identity, or BASE[:COUNT]; -EINVAL for
 * others. */
int userns_parse(const char *value, struct machine *m)
{
        char *end;
        unsigned long base, count = USERNS_RANGE_SIZE;

        if (strcmp(value, "no") == 0) {
                m->private_users = PRIVATE_USERS_NO;
                return 0;
        }
        if (strcmp(value, "pick") == 0) {
                m->private_users = PRIVATE_USERS_PICK;
                return 0;
        }
        if (strcmp(value, "yes") == 0) {
                m->private_users = PRIVATE_USERS_TREE_OWNER;
                return 0;
        }
        if (strcmp(value, "identity") == 0) {
                m->private_users = PRIVATE_USERS_IDENTITY;
                m->uid_base = 0;
                m->uid_count = USERNS_RANGE_SIZE;
                return 0;
        }
        errno = 0;
        base = strtoul(value, &end, 10);
        if (errno != 0 || end == value || (*end != '\0' && *end != ':'))
                return -EINVAL;
        if (*end == ':') {
                const char *count_text = end + 1;

                count = strtoul(count_text, &end, 10);
                if (errno != 0 || end == count_text || *end != '\0')
                        return -EINVAL;
        }
        /* Root of the host may not be the guest's: that is no user namespace at all. */
        if (base == 0 || count == 0 || base > UINT32_MAX - count || count > UINT32_MAX)
                return -EINVAL;
        m->private_users = PRIVATE_USERS_FIXED;
        m->uid_base = (uid_t)base;
        m->uid_count = (uint32_t)count;
        return 0;
}

int signal_from_string(const char *s)
{
        char *end;
        long n;

        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        if (strncmp(s, "RTMIN", 5) == 0 || strncmp(s, "RTMAX", 5) == 0) {
                bool min = s[3] == 'I';
                long offset = 0;

                if (s[5] == '+' || s[5] == '-') {
                        offset = strtol(s + 5, &end, 10);
                        if (*end != '\0')
                                return -EINVAL;
                } else if (s[5] != '\0')
                        return -EINVAL;
                n = min ? SIGRTMIN + offset : SIGRTMAX + offset;
                return (n >= SIGRTMIN && n <= SIGRTMAX) ? (int)n : -EINVAL;
        }
        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *abbrev = sigabbrev_np(sig);

                if (abbrev && strcmp(abbrev, s) == 0)
                        return sig;
        }
        n = strtol(s, &end, 10);
        if (end != s && *end == '\0' && n > 0 && n < NSIG)
                return (int)n;
        return -EINVAL;
}

static int set_string(char **target, const char *value)
{
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        free(*target);
        *target = copy;
        return 0;
}


static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "directory", required_argument, NULL, 'D' },
        { "image", required_argument, NULL, 'i' },
        { "json", no_argument, NULL, ARG_JSON },
        { "template", required_argument, NULL, ARG_TEMPLATE },
        { "oci-bundle", required_argument, NULL, ARG_OCI_BUNDLE },
        { "ephemeral", no_argument, NULL, 'x' },
        { "volatile", optional_argument, NULL, ARG_VOLATILE },
        { "ephemeral-dir", required_argument, NULL, ARG_EPHEMERAL_DIR },
        { "bind", required_argument, NULL, ARG_BIND },
        { "bind-ro", required_argument, NULL, ARG_BIND_RO },
        { "tmpfs", required_argument, NULL, ARG_TMPFS },
        { "overlay", required_argument, NULL, ARG_OVERLAY },
        { "overlay-ro", required_argument, NULL, ARG_OVERLAY_RO },
        { "settings", required_argument, NULL, ARG_SETTINGS },
        { "machine", required_argument, NULL, 'M' },
        { "hostname", required_argument, NULL, ARG_HOSTNAME },
        { "console", required_argument, NULL, ARG_CONSOLE },
        { "read-only", no_argument, NULL, ARG_READ_ONLY },
        { "private-network", no_argument, NULL, ARG_PRIVATE_NETWORK },
        { "network-veth", no_argument, NULL, 'n' },
        { "port", required_argument, NULL, 'p' },
        { "network-veth-extra", required_argument, NULL, ARG_NETWORK_VETH_EXTRA },
        { "network-bridge", required_argument, NULL, ARG_NETWORK_BRIDGE },
        { "network-zone", required_argument, NULL, ARG_NETWORK_ZONE },
        { "network-interface", required_argument, NULL, ARG_NETWORK_INTERFACE },
        { "network-macvlan", required_argument, NULL, ARG_NETWORK_MACVLAN },
        { "network-ipvlan", required_argument, NULL, ARG_NETWORK_IPVLAN },
        { "network-namespace-path", required_argument, NULL, ARG_NETWORK_NAMESPACE_PATH },
        { "network-configure", required_argument, NULL, ARG_NETWORK_CONFIGURE },
        { "setenv", required_argument, NULL, 'E' },
        { "kill-signal", required_argument, NULL, ARG_KILL_SIGNAL },
        { "init", required_argument, NULL, ARG_INIT },
        { "register", required_argument, NULL, ARG_REGISTER },
        { "keep-unit", no_argument, NULL, ARG_KEEP_UNIT },
        { "slice", required_argument, NULL, ARG_SLICE },
        { "property", required_argument, NULL, ARG_PROPERTY },
        { "notify-ready", required_argument, NULL, ARG_NOTIFY_READY },
        { "capability", required_argument, NULL, ARG_CAPABILITY },
        { "drop-capability", required_argument, NULL, ARG_DROP_CAPABILITY },
        { "no-new-privileges", optional_argument, NULL, ARG_NO_NEW_PRIVILEGES },
        { "system-call-filter", required_argument, NULL, ARG_SYSTEM_CALL_FILTER },
        { "private-users", required_argument, NULL, ARG_PRIVATE_USERS },
        { "private-users-ownership", required_argument, NULL, ARG_PRIVATE_USERS_OWNERSHIP },
        { "quiet", no_argument, NULL, 'q' },
        { "user", required_argument, NULL, 'u' },
        { "chdir", required_argument, NULL, ARG_CHDIR },
        { "uuid", required_argument, NULL, ARG_UUID },
        { "rlimit", required_argument, NULL, ARG_RLIMIT },
        { "personality", required_argument, NULL, ARG_PERSONALITY },
        { "oom-score-adjust", required_argument, NULL, ARG_OOM_SCORE_ADJUST },
        { "cpu-affinity", required_argument, NULL, ARG_CPU_AFFINITY },
        { "resolv-conf", required_argument, NULL, ARG_RESOLV_CONF },
        { "timezone", required_argument, NULL, ARG_TIMEZONE },
        { "suppress-sync", required_argument, NULL, ARG_SUPPRESS_SYNC },
        { "inaccessible", required_argument, NULL, ARG_INACCESSIBLE },
        { "set-credential", required_argument, NULL, ARG_SET_CREDENTIAL },
        { "load-credential", required_argument, NULL, ARG_LOAD_CREDENTIAL },
        { "bind-user", required_argument, NULL, ARG_BIND_USER },
        { "link-journal", required_argument, NULL, ARG_LINK_JOURNAL },
        {}
};

int parse_boolean(const char *v)
{
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
                return 1;
        if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
                return 0;
        return -EINVAL;
}

/* What an option group's parser returns for an option that is not one of its own. */
#define OPTION_OTHER INT_MIN

/* systemd-nspawn(1)'s execution and integration options that both command lines take:
 * config/exec-options.c. */
static int parse_integration_option(int c, const char *value, struct machine *m)
{
        int r = exec_option_apply(c, value, m);

        return r == -ENOENT ? OPTION_OTHER : r;
}

/* The tree, image and file system options (systemd-nspawn(1)'s "Image" and "Mount" ones). */
static int parse_files_option(int c, const char *value, struct machine *m)
{
        int r;

        switch (c) {
        case 'D':
                if (value[0] == '\0')
                        return usage_error("--directory needs a path");
                return set_string(&m->root, value);
        case 'i':
                if (value[0] == '\0')
                        return usage_error("--image needs a path");
                return set_string(&m->image, value);
        case ARG_JSON:
                m->json = true;
                return 0;
        case 'x':
                m->ephemeral = true;
                return 0;
        case ARG_VOLATILE:
                r = volatile_mode_from_string(value);
                if (r < 0)
                        return usage_error("--volatile takes yes, state, overlay or no, not '%s'", value);
                m->volatile_mode = (enum volatile_mode)r;
                return 0;
        case ARG_EPHEMERAL_DIR:
                if (value[0] == '\0')
                        return usage_error("--ephemeral-dir needs a directory, e.g. --ephemeral-dir=/var/tmp");
                return set_string(&m->ephemeral_dir, value);
        case ARG_BIND:
        case ARG_BIND_RO:
        case ARG_TMPFS: {
                char error[512];

                r = c == ARG_TMPFS ? custom_mount_parse_tmpfs(value, m, error, sizeof(error))
                                   : custom_mount_parse_bind(value, c == ARG_BIND_RO, m, error, sizeof(error));
                if (r == -EINVAL)
                        return usage_error("%s", error);
                return r;
        }
        case ARG_OVERLAY:
        case ARG_OVERLAY_RO: {
                char error[512];

                r = custom_mount_parse_overlay(value, c == ARG_OVERLAY_RO, m, error, sizeof(error));
                if (r == -EINVAL)
                        return usage_error("%s", error);
                return r;
        }
        case ARG_SETTINGS:
                r = settings_mode_from_string(value);
                if (r < 0)
                        return usage_error("--settings takes yes, no, trusted or override, not '%s'", value);
                m->settings_mode = (enum settings_mode)r;
                return 0;
        case ARG_TEMPLATE:
                if (value[0] == '\0')
                        return usage_error("--template needs a directory or a machine name");
                return set_string(&m->template_tree, value);
        case ARG_OCI_BUNDLE:
                if (value[0] == '\0')
                        return usage_error("--oci-bundle needs a directory (config.json and its root)");
                return set_string(&m->oci_bundle, value);
        default:
                return OPTION_OTHER;
        }
}

/* How the machine runs: its name, console, environment, init, and its unit. */
static int parse_exec_option(int c, const char *value, struct machine *m)
{
        int r;

        switch (c) {
        case 'M':
                if (!machine_name_is_valid(value))
                        return usage_error("Invalid machine name '%s': use " MACHINE_NAME_RULES, value);
                return set_string(&m->name, value);
        case ARG_HOSTNAME:
                if (!host_name_is_valid(value))
                        return usage_error("Invalid host name '%s': use 1-64 characters of A-Z a-z 0-9 _ . -, not starting with . or -",
                                           value);
                return set_string(&m->hostname, value);
        case ARG_CONSOLE:
                r = console_mode_from_string(value);
                if (r < 0)
                        return usage_error("Unknown console mode '%s': use interactive, read-only, passive, pipe or autopipe",
                                           value);
                m->console = r;
                return 0;
        case ARG_READ_ONLY:
                m->read_only = true;
                return 0;
        case ARG_PRIVATE_NETWORK:
                m->private_network = true;
                return 0;
        case 'E':
                if (!strchr(value, '=') || value[0] == '=')
                        return usage_error("--setenv takes VAR=VALUE, not '%s'", value);
                return strv_env_set(&m->setenv, value);
        case ARG_KILL_SIGNAL:
                r = signal_from_string(value);
                if (r < 0)
                        return usage_error("Unknown signal '%s' for --kill-signal (try SIGTERM or SIGRTMIN+3)", value);
                m->kill_signal = r;
                return 0;
        case ARG_INIT:
                if (value[0] != '/')
                        return usage_error("--init takes an absolute path inside the tree, not '%s'", value);
                return set_string(&m->init, value);
        case ARG_REGISTER:
                if (strcmp(value, "yes") == 0)
                        m->register_mode = REGISTER_YES;
                else if (strcmp(value, "no") == 0)
                        m->register_mode = REGISTER_NO;
                else if (strcmp(value, "auto") == 0)
                        m->register_mode = REGISTER_AUTO;
                else
                        return usage_error("--register takes yes, no or auto, not '%s'", value);
                return 0;
        case ARG_KEEP_UNIT:
                m->keep_unit = true;
                return 0;
        case ARG_SLICE: {
                size_t n = strlen(value);
                bool suffixed = n > 6 && strcmp(value + n - 6, ".slice") == 0;
                _cleanup_free_ char *name = NULL;

                /* "lab" is lab.slice, as systemd (and nspawn) complete it. */
                if (n == 0 || strchr(value, '/') ||
                    strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") != n ||
                    (!suffixed && strchr(value, '.')))
                        return usage_error("--slice takes a slice unit name like lab.slice (or lab), not '%s'", value);
                if (asprintf(&name, "%s%s", value, suffixed ? "" : ".slice") < 0)
                        return -ENOMEM;
                return set_string(&m->slice, name);
        }
        case ARG_PROPERTY: {
                struct property *grown = realloc(m->properties, (m->n_properties + 1) * sizeof(*grown));
                char error[512];

                if (!grown)
                        return -ENOMEM;
                m->properties = grown;
                if (property_parse(value, &m->properties[m->n_properties], error, sizeof(error)) < 0)
                        return usage_error("%s", error);
                m->n_properties++;
                return 0;
        }
        case ARG_NOTIFY_READY:
                if (strcmp(value, "yes") == 0)
                        m->notify_ready = 1;
                else if (strcmp(value, "no") == 0)
                        m->notify_ready = 0;
                else
                        return usage_error("--notify-ready takes yes or no, not '%s'", value);
                return 0;
        default:
                return OPTION_OTHER;
        }
}

/* A network of its own (systemd-nspawn(1)'s "Networking Options"). */
static int parse_network_option(int c, const char *value, struct machine *m)
{
        switch (c) {
        case 'n':
                m->network_veth = m->private_network = true;
                return 0;
        case ARG_NETWORK_BRIDGE:
        case ARG_NETWORK_ZONE: {
                char error[256];

                if (network_link_name_check(c == ARG_NETWORK_ZONE ? "vz-" : "", value, error, sizeof(error)) < 0)
                        return usage_error("%s", error);
                m->private_network = true;
                return set_string(c == ARG_NETWORK_ZONE ? &m->network_zone : &m->network_bridge, value);
        }
        case ARG_NETWORK_VETH_EXTRA:
        case ARG_NETWORK_INTERFACE:
        case ARG_NETWORK_MACVLAN:
        case ARG_NETWORK_IPVLAN: {
                char error[256];

                if (network_link_pair_check(value, error, sizeof(error)) < 0)
                        return usage_error("%s", error);
                m->private_network = true;
                return strv_extend(c == ARG_NETWORK_VETH_EXTRA  ? &m->network_veth_extra
                                   : c == ARG_NETWORK_INTERFACE ? &m->network_interfaces
                                   : c == ARG_NETWORK_MACVLAN   ? &m->network_macvlan
                                                                : &m->network_ipvlan,
                                   value);
        }
        case ARG_NETWORK_NAMESPACE_PATH:
                if (value[0] != '/')
                        return usage_error("--network-namespace-path takes an absolute path, not '%s'", value);
                return set_string(&m->network_namespace_path, value);
        case ARG_NETWORK_CONFIGURE:
                if (strcmp(value, "yes") == 0)
                        m->network_configure = NETWORK_CONFIGURE_YES;
                else if (strcmp(value, "no") == 0)
                        m->network_configure = NETWORK_CONFIGURE_NO;
                else if (strcmp(value, "auto") == 0)
                        m->network_configure = NETWORK_CONFIGURE_AUTO;
                else
                        return usage_error("--network-configure takes yes, no or auto, not '%s'", value);
                return 0;
        case 'p': {
                struct port_forward *grown = realloc(m->ports, (m->n_ports + 1) * sizeof(*grown));
                char error[512];

                if (!grown)
                        return -ENOMEM;
                m->ports = grown;
                if (port_forward_parse(value, &m->ports[m->n_ports], error, sizeof(error)) < 0)
                        return usage_error("%s", error);
                for (size_t i = 0; i < m->n_ports; i++)
                        if (m->ports[i].protocol == grown[m->n_ports].protocol &&
                            m->ports[i].host_port == grown[m->n_ports].host_port)
                                return usage_error("Host port %s is forwarded twice", value);
                m->n_ports++;
                return 0;
        }
        default:
                return OPTION_OTHER;
        }
}

/* What the guest may do: capabilities, system calls, user namespace. */
static int parse_security_option(int c, const char *value, struct machine *m)
{
        int r;

        switch (c) {
        case ARG_CAPABILITY:
        case ARG_DROP_CAPABILITY: {
                const char *bad = NULL;
                uint64_t mask;

                if (caps_parse(value, &mask, &bad) < 0)
                        return usage_error("%s: unknown capability '%s' (see capabilities(7); or all)",
                                           c == ARG_CAPABILITY ? "--capability" : "--drop-capability", bad ?: value);
                if (c == ARG_CAPABILITY)
                        m->caps_add |= mask;
                else
                        m->caps_drop |= mask;
                return 0;
        }
        case ARG_NO_NEW_PRIVILEGES:
                if (!value || strcmp(value, "yes") == 0)
                        m->no_new_privileges = true;
                else if (strcmp(value, "no") == 0)
                        m->no_new_privileges = false;
                else
                        return usage_error("--no-new-privileges takes yes or no, not '%s'", value);
                return 0;
        case ARG_SYSTEM_CALL_FILTER: {
                char error[512];

                if (syscall_filter_parse(value, &m->syscall_allow, &m->syscall_deny, error, sizeof(error)) < 0)
                        return usage_error("%s", error);
                return 0;
        }
        case 'U':
                m->private_users = PRIVATE_USERS_PICK;
                return 0;
        case ARG_PRIVATE_USERS:
                if (userns_parse(value, m) < 0)
                        return usage_error("--private-users takes no, pick, yes or UID[:COUNT] (UID above 0), not '%s'",
                                           value);
                return 0;
        case ARG_PRIVATE_USERS_OWNERSHIP:
                r = ownership_from_string(value);
                if (r < 0)
                        return usage_error("--private-users-ownership takes auto, map, chown or off, not '%s'", value);
                m->ownership = (enum ownership)r;
                return 0;
        default:
                return OPTION_OTHER;
        }
}

int option_apply(int c, const char *value, const char *current _unused_, struct machine *m)
{
        int (*const groups[])(int c, const char *value, struct machine *m) = {
                parse_files_option,    parse_exec_option,        parse_network_option,
                parse_security_option, parse_integration_option,
        };

        for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
                int r = groups[i](c, value, m);

                if (r != OPTION_OTHER)
                        return r;
        }
        return -ENOENT;
}

static int parse_option(int c, const char *value, const char *argv_current, struct machine *m)
{
        int r;

        switch (c) {
        case 'h':
                usage_print_help();
                return PARSE_EXIT;
        case ARG_VERSION:
                printf("machined-lite %s\n", MACHINED_LITE_VERSION);
                return PARSE_EXIT;
        case 'q':
                log_quiet = true;
                return 0;
        case ':':
                return usage_error("Option '%s' needs a value", argv_current);
        }
        r = option_apply(c, value, argv_current, m);
        return r == -ENOENT ? usage_error("Unknown option '%s'", argv_current) : r;
}

int parse_argv_only(int argc, char *argv[], struct machine *m)
{
        int options_end = argc, c, r;
        const char *verb;

        /* What follows "--" is the guest's, never ours: cut it off before getopt sees it. */
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0) {
                        options_end = i;
                        break;
                }
        /* After "--": they replace Parameters= of a settings file. */
        if (options_end + 1 < argc) {
                strv_free(m->arguments);
                m->arguments = NULL;
        }
        for (int i = options_end + 1; i < argc; i++) {
                r = strv_extend(&m->arguments, argv[i]);
                if (r < 0)
                        return r;
        }

        /* We say what is wrong ourselves, in one line. */
        opterr = 0;
        optind = 0;
        while ((c = getopt_long(options_end, argv, ":hD:i:M:E:qUxnp:u:", options, NULL)) >= 0) {
                r = parse_option(c, optarg, argv[optind - 1], m);
                if (r != 0)
                        return r;
        }

        if (optind >= options_end)
                return usage_error("No verb given: use boot, run, inspect, list, status, stop, reboot, kill, ...");
        verb = argv[optind++];
        if (strcmp(verb, "boot") == 0)
                m->verb = VERB_BOOT;
        else if (strcmp(verb, "run") == 0)
                m->verb = VERB_RUN;
        else if (strcmp(verb, "inspect") == 0)
                m->verb = VERB_INSPECT;
        else
                return usage_error("Unknown verb '%s'", verb);

        if (optind < options_end) {
                const char *name = argv[optind++];

                if (m->root || m->image || m->name)
                        return usage_error("NAME '%s' given together with -D, -i or -M: give one of them (a command goes after --)",
                                           name);
                if (!machine_name_is_valid(name))
                        return usage_error("Invalid machine name '%s': use " MACHINE_NAME_RULES
                                           " (a command goes after --)",
                                           name);
                r = set_string(&m->name, name);
                if (r < 0)
                        return r;
        }
        if (optind < options_end)
                return usage_error("Unexpected argument '%s' (a command or init arguments go after --)", argv[optind]);
        return PARSE_CONTINUE;
}

int parse_check(const struct machine *m)
{
        const char *upper;

        if (!m->root && !m->image && !m->name)
                return usage_error("No machine given: use NAME, -D DIR or -i IMAGE");
        if (m->n_bind_users > 0 && m->private_users == PRIVATE_USERS_NO)
                return usage_error("--bind-user=%s maps the user's UID into the guest's user namespace: "
                                   "it needs -U (or --private-users=)",
                                   m->bind_users[0].name);
        if (m->root && m->image)
                return usage_error("-D DIR and -i IMAGE given together: a machine boots from one of them");
        if (m->ephemeral && m->volatile_mode != VOLATILE_NO)
                return usage_error(
                        "--ephemeral and --volatile both say what happens to what the guest writes: give one of them");
        if (m->ephemeral_dir && !m->ephemeral && m->volatile_mode != VOLATILE_OVERLAY)
                return usage_error("--ephemeral-dir=%s is where --ephemeral or --volatile=overlay keep what the guest writes: "
                                   "give -x or --volatile=overlay with it",
                                   m->ephemeral_dir);
        if (!machine_writes_tree(m) && (upper = custom_mount_upper_in_tree(m)))
                return usage_error("The overlay upper layer %s is in the tree, which --read-only, --ephemeral and --volatile keep "
                                   "unwritten: give a host directory, or leave it empty for a temporary one (+/var::/var)",
                                   upper);
        if (m->template_tree && m->image)
                return usage_error("--template makes a directory tree: give it with -D DIR or NAME, not with -i IMAGE");
        if (m->verb == VERB_INSPECT && !m->image && (m->root || !m->name))
                return usage_error(
                        "inspect looks at a raw disk image: give -i IMAGE or the NAME of /var/lib/machines/NAME.raw");
        if (m->json && m->verb != VERB_INSPECT)
                return usage_error("--json is for inspect");
        if (m->keep_unit && (m->slice || m->n_properties > 0))
                return usage_error(
                        "--slice and --property configure the scope that --keep-unit does not make: set them in the unit");
        if (m->register_mode == REGISTER_NO && (m->slice || m->n_properties > 0))
                return usage_error("--slice and --property need registration with systemd, not --register=no");
        if (m->n_ports > 0 && !m->network_veth && !m->network_zone && !m->network_bridge)
                return usage_error("-p forwards ports to a machine's own address: give -n (--network-veth), "
                                   "--network-zone or --network-bridge with it");
        if (m->network_zone && m->network_bridge)
                return usage_error(
                        "--network-zone and --network-bridge each name the bridge host0's peer joins: give one");
        if (m->network_namespace_path && (m->private_network || m->network_veth_extra || m->n_ports > 0))
                return usage_error("--network-namespace-path joins a network namespace that exists: "
                                   "it goes with no other network option");
        if (m->verb == VERB_RUN && !m->arguments)
                return usage_error("run needs a command after --, e.g. machined-lite run -D DIR -- /bin/sh");
        if (m->user && m->verb == VERB_BOOT)
                return usage_error("--user=%s is the user of a command: a booted init runs as root", m->user);
        return PARSE_CONTINUE;
}

int parse_argv(int argc, char *argv[], struct machine *m)
{
        int r = parse_argv_only(argc, argv, m);

        return r != PARSE_CONTINUE ? r : parse_check(m);
}
