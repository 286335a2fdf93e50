/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-nspawn's own command line, for the entry point of that name (src/main.c):
 * [OPTIONS...] [COMMAND [ARGS...]] with nspawn's meaning, into the same struct machine
 * that machined-lite's verbs fill. Every option of systemd-nspawn 252 is listed here:
 * those machined-lite has take their values as its own command line does
 * (option_apply()), the few it does not have are refused by name. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "config/nspawn-options.h"
#include "config/options.h"
#include "guest/caps.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/strv.h"

/* The version of systemd-nspawn whose command line this is. */
#define NSPAWN_VERSION "252"

enum {
        NS_AS_PID2 = 'a',
        NS_BOOT = 'b',
        NS_PIPE = 'P',
        NS_LINK_JOURNAL_TRY_GUEST = 'j',
        NS_NO_PAGER = 0x1000,
        NS_PRIVATE_USERS_CHOWN,
        NS_REFUSED, /* an option of nspawn's that machined-lite does not have */
};

static const struct option nspawn_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "quiet", no_argument, NULL, 'q' },
        { "no-pager", no_argument, NULL, NS_NO_PAGER },
        { "settings", required_argument, NULL, ARG_SETTINGS },
        /* Image */
        { "directory", required_argument, NULL, 'D' },
        { "template", required_argument, NULL, ARG_TEMPLATE },
        { "ephemeral", no_argument, NULL, 'x' },
        { "image", required_argument, NULL, 'i' },
        { "oci-bundle", required_argument, NULL, ARG_OCI_BUNDLE },
        { "read-only", no_argument, NULL, ARG_READ_ONLY },
        { "volatile", optional_argument, NULL, ARG_VOLATILE },
        { "root-hash", required_argument, NULL, NS_REFUSED },
        { "root-hash-sig", required_argument, NULL, NS_REFUSED },
        { "verity-data", required_argument, NULL, NS_REFUSED },
        { "pivot-root", required_argument, NULL, NS_REFUSED },
        /* Execution */
        { "as-pid2", no_argument, NULL, NS_AS_PID2 },
        { "boot", no_argument, NULL, NS_BOOT },
        { "chdir", required_argument, NULL, ARG_CHDIR },
        { "setenv", required_argument, NULL, 'E' },
        { "user", required_argument, NULL, 'u' },
        { "kill-signal", required_argument, NULL, ARG_KILL_SIGNAL },
        { "notify-ready", required_argument, NULL, ARG_NOTIFY_READY },
        { "suppress-sync", required_argument, NULL, ARG_SUPPRESS_SYNC },
        /* System identity */
        { "machine", required_argument, NULL, 'M' },
        { "hostname", required_argument, NULL, ARG_HOSTNAME },
        { "uuid", required_argument, NULL, ARG_UUID },
        /* Properties */
        { "slice", required_argument, NULL, ARG_SLICE },
        { "property", required_argument, NULL, ARG_PROPERTY },
        { "register", required_argument, NULL, ARG_REGISTER },
        { "keep-unit", no_argument, NULL, ARG_KEEP_UNIT },
        /* User namespacing */
        { "private-users", optional_argument, NULL, ARG_PRIVATE_USERS },
        { "private-users-ownership", required_argument, NULL, ARG_PRIVATE_USERS_OWNERSHIP },
        { "private-users-chown", no_argument, NULL, NS_PRIVATE_USERS_CHOWN },
        /* Networking */
        { "private-network", no_argument, NULL, ARG_PRIVATE_NETWORK },
        { "network-interface", required_argument, NULL, ARG_NETWORK_INTERFACE },
        { "network-macvlan", required_argument, NULL, ARG_NETWORK_MACVLAN },
        { "network-ipvlan", required_argument, NULL, ARG_NETWORK_IPVLAN },
        { "network-veth", no_argument, NULL, 'n' },
        { "network-veth-extra", required_argument, NULL, ARG_NETWORK_VETH_EXTRA },
        { "network-bridge", required_argument, NULL, ARG_NETWORK_BRIDGE },
        { "network-zone", required_argument, NULL, ARG_NETWORK_ZONE },
        { "network-namespace-path", required_argument, NULL, ARG_NETWORK_NAMESPACE_PATH },
        { "port", required_argument, NULL, 'p' },
        /* Security */
        { "capability", required_argument, NULL, ARG_CAPABILITY },
        { "drop-capability", required_argument, NULL, ARG_DROP_CAPABILITY },
        { "ambient-capability", required_argument, NULL, NS_REFUSED },
        { "no-new-privileges", required_argument, NULL, ARG_NO_NEW_PRIVILEGES },
        { "system-call-filter", required_argument, NULL, ARG_SYSTEM_CALL_FILTER },
        { "selinux-context", required_argument, NULL, NS_REFUSED },
        { "selinux-apifs-context", required_argument, NULL, NS_REFUSED },
        /* Resources */
        { "rlimit", required_argument, NULL, ARG_RLIMIT },
        { "oom-score-adjust", required_argument, NULL, ARG_OOM_SCORE_ADJUST },
        { "cpu-affinity", required_argument, NULL, ARG_CPU_AFFINITY },
        { "personality", required_argument, NULL, ARG_PERSONALITY },
        /* Integration */
        { "resolv-conf", required_argument, NULL, ARG_RESOLV_CONF },
        { "timezone", required_argument, NULL, ARG_TIMEZONE },
        { "link-journal", required_argument, NULL, ARG_LINK_JOURNAL },
        /* Mounts */
        { "bind", required_argument, NULL, ARG_BIND },
        { "bind-ro", required_argument, NULL, ARG_BIND_RO },
        { "inaccessible", required_argument, NULL, ARG_INACCESSIBLE },
        { "tmpfs", required_argument, NULL, ARG_TMPFS },
        { "overlay", required_argument, NULL, ARG_OVERLAY },
        { "overlay-ro", required_argument, NULL, ARG_OVERLAY_RO },
        { "bind-user", required_argument, NULL, ARG_BIND_USER },
        /* Input/Output */
        { "console", required_argument, NULL, ARG_CONSOLE },
        { "pipe", no_argument, NULL, NS_PIPE },
        /* Credentials */
        { "set-credential", required_argument, NULL, ARG_SET_CREDENTIAL },
        { "load-credential", required_argument, NULL, ARG_LOAD_CREDENTIAL },
        {}
};

/* nspawn's short options; '+': its options end at the first argument that is not one
 * (the COMMAND), as nspawn's own getopt_long() has it. */
#define NSPAWN_SHORT_OPTIONS "+:hD:u:abL:M:jS:Z:qi:xp:nUE:P"

static const char help_text[] = "\n"
                                "The command line of systemd-nspawn " NSPAWN_VERSION ", as machined-lite takes it: the\n"
                                "guest runs as machined-lite runs its machines (see machined-lite --help, and the\n"
                                "README's option table for what each option does here).\n"
                                "\n"
                                "  -h --help                 Show this help\n"
                                "     --version              Print the version (systemd " NSPAWN_VERSION ", and ours)\n"
                                "  -q --quiet                No informational messages\n"
                                "     --no-pager             (no pager is ever used)\n"
                                "     --settings=BOOLEAN     Read NAME.nspawn (yes, no, trusted, override)\n"
                                "\n"
                                "Image:\n"
                                "  -D --directory=PATH       The root directory (default: the current one)\n"
                                "     --template=PATH        Make a missing root directory a copy of this one\n"
                                "     --oci-bundle=PATH      An OCI bundle: its root, and config.json's process,\n"
                                "                            mounts and namespaces\n"
                                "  -x --ephemeral            Run on an overlay of the tree, gone at the end\n"
                                "  -i --image=PATH           A raw disk image or block device\n"
                                "     --read-only            Mount the root read-only\n"
                                "     --volatile[=MODE]      yes, state, overlay or no\n"
                                "\n"
                                "Execution:\n"
                                "  -a --as-pid2              A stub init as PID 1, the command as PID 2\n"
                                "  -b --boot                 Boot the tree's init, ARGS its arguments\n"
                                "     --chdir=PATH           The command's working directory\n"
                                "  -E --setenv=NAME[=VALUE]  An environment variable for PID 1 (NAME alone: ours)\n"
                                "  -u --user=USER            The command's user, from the guest's /etc/passwd\n"
                                "     --kill-signal=SIGNAL   The signal that shuts PID 1 down (default: SIGRTMIN+3\n"
                                "                            with -b, else SIGKILL)\n"
                                "     --notify-ready=BOOLEAN Ready when the guest's init says READY=1\n"
                                "     --suppress-sync=BOOLEAN sync(), fsync() and the like do nothing\n"
                                "\n"
                                "System Identity:\n"
                                "  -M --machine=NAME         The machine name\n"
                                "     --hostname=NAME        The host name in the guest\n"
                                "     --uuid=UUID            The machine's UUID ($container_uuid)\n"
                                "\n"
                                "Properties:\n"
                                "  -S --slice=SLICE          The slice of the machine's scope\n"
                                "     --property=NAME=VALUE  A property of the scope\n"
                                "     --register=BOOLEAN     Register with systemd-machined\n"
                                "     --keep-unit            Stay in the unit we run in, make no scope\n"
                                "\n"
                                "User Namespacing:\n"
                                "     --private-users[=MODE] no, yes, pick, identity or UIDBASE[:NUIDS]\n"
                                "     --private-users-ownership=MODE  off, chown, map or auto\n"
                                "     --private-users-chown  --private-users-ownership=chown\n"
                                "  -U                        --private-users=pick --private-users-ownership=auto\n"
                                "\n"
                                "Networking:\n"
                                "     --private-network      Only a loopback link\n"
                                "     --network-interface=INTERFACE    Move a host link into the guest\n"
                                "     --network-macvlan=INTERFACE      A macvlan link on a host link\n"
                                "     --network-ipvlan=INTERFACE       An ipvlan link on a host link\n"
                                "  -n --network-veth         A veth pair between host and guest\n"
                                "     --network-veth-extra=HOSTIF[:CONTAINERIF]  One more veth pair\n"
                                "     --network-bridge=INTERFACE       The veth's host end on a host bridge\n"
                                "     --network-zone=NAME    The veth's host end on the zone's bridge vz-NAME\n"
                                "     --network-namespace-path=PATH    Join this network namespace\n"
                                "  -p --port=[PROTOCOL:]HOSTPORT[:CONTAINERPORT]  Forward a host port\n"
                                "\n"
                                "Security:\n"
                                "     --capability=CAP       Keep this capability too (help: list them)\n"
                                "     --drop-capability=CAP  Drop this capability of the default set\n"
                                "     --no-new-privileges=BOOLEAN  Set no_new_privs for the payload\n"
                                "     --system-call-filter=LIST|~LIST  Allow or deny system calls\n"
                                "\n"
                                "Resources:\n"
                                "     --rlimit=NAME=LIMIT    A resource limit for the payload\n"
                                "     --oom-score-adjust=VALUE  The payload's OOM score adjustment\n"
                                "     --cpu-affinity=CPUS    The payload's CPUs\n"
                                "     --personality=ARCH     The payload's personality (x86, arm, ...)\n"
                                "\n"
                                "Integration:\n"
                                "     --resolv-conf=MODE     off, copy-host, replace-host, bind-host, delete, auto\n"
                                "     --timezone=MODE        off, copy, bind, symlink, delete, auto\n"
                                "     --link-journal=MODE    no, host, try-host, guest, try-guest, auto\n"
                                "  -j                        --link-journal=try-guest\n"
                                "\n"
                                "Mounts:\n"
                                "     --bind=PATH[:PATH[:OPTIONS]]     Bind a host path into the guest\n"
                                "     --bind-ro=PATH[:PATH[:OPTIONS]]  The same, read-only\n"
                                "     --bind-user=NAME       A host user's home, UID and records in the guest (-U)\n"
                                "     --inaccessible=PATH    Hide PATH under an inaccessible node\n"
                                "     --tmpfs=PATH:[OPTIONS] A tmpfs at PATH\n"
                                "     --overlay=PATH[:PATH...]:PATH     An overlay of host directories\n"
                                "     --overlay-ro=PATH[:PATH...]:PATH  The same, read-only\n"
                                "\n"
                                "Credentials:\n"
                                "     --set-credential=ID:VALUE  A credential for PID 1 ($CREDENTIALS_DIRECTORY/ID)\n"
                                "     --load-credential=ID:PATH  The same, from a file or an AF_UNIX stream socket\n"
                                "\n"
                                "Input/Output:\n"
                                "     --console=MODE         interactive, read-only, passive, pipe, autopipe\n"
                                "  -P --pipe                 --console=pipe\n"
                                "\n"
                                "Not implemented by machined-lite (refused by name, exit 2):\n"
                                "--root-hash, --root-hash-sig, --verity-data, --pivot-root, --ambient-capability,\n"
                                "-Z/--selinux-context, -L/--selinux-apifs-context.\n";

static void help(void)
{
        printf("systemd-nspawn [OPTIONS...] [COMMAND [ARGS...]]\n"
               "systemd-nspawn --boot [OPTIONS...] [ARGS...]\n\n"
               "Spawn a command or boot an OS tree in a machine of machined-lite %s.\n",
               MACHINED_LITE_VERSION);
        fputs(help_text, stdout);
}

/* -E NAME: the value we have of NAME (nspawn's), nothing when we have none. */
static int setenv_option(const char *value, const char *current, struct machine *m)
{
        _cleanup_free_ char *assignment = NULL;
        const char *ours;

        if (strchr(value, '='))
                return option_apply('E', value, current, m);
        ours = getenv(value);
        if (!ours || value[0] == '\0')
                return 0;
        if (asprintf(&assignment, "%s=%s", value, ours) < 0)
                return -ENOMEM;
        return option_apply('E', assignment, current, m);
}

/* nspawn's booleans where machined-lite's own line takes yes or no (or auto). */
static int boolean_option(int c, const char *value, const char *current, struct machine *m)
{
        int b = parse_boolean(value);

        if (b < 0)
                return usage_error("%s takes a boolean (yes or no), not '%s'", current, value);
        return option_apply(c, b ? "yes" : "no", current, m);
}

struct nspawn_parse {
        bool boot, as_pid2;
};

static int nspawn_option(int c, const char *value, const char *current, struct machine *m, struct nspawn_parse *p)
{
        switch (c) {
        case 'h':
                help();
                return PARSE_EXIT;
        case ARG_VERSION:
                /* Tools read "systemd NNN" from the first line (mkosi): the version of nspawn
                 * whose command line this is, then what we are. */
                printf("systemd %s (machined-lite %s: the command line of systemd-nspawn %s)\n", NSPAWN_VERSION,
                       MACHINED_LITE_VERSION, NSPAWN_VERSION);
                return PARSE_EXIT;
        case 'q':
                log_quiet = true;
                return 0;
        case NS_NO_PAGER:
                return 0;
        case NS_AS_PID2:
                p->as_pid2 = true;
                return 0;
        case NS_BOOT:
                p->boot = true;
                return 0;
        case NS_PIPE:
                return option_apply(ARG_CONSOLE, "pipe", current, m);
        case NS_LINK_JOURNAL_TRY_GUEST:
                return option_apply(ARG_LINK_JOURNAL, "try-guest", current, m);
        case 'S':
                return option_apply(ARG_SLICE, value, current, m);
        case NS_PRIVATE_USERS_CHOWN:
                return option_apply(ARG_PRIVATE_USERS_OWNERSHIP, "chown", current, m);
        case ARG_PRIVATE_USERS:
                if (!value)
                        value = "yes";
                else if (parse_boolean(value) >= 0)
                        value = parse_boolean(value) ? "yes" : "no";
                return option_apply(c, value, current, m);
        case ARG_SETTINGS:
                if (parse_boolean(value) >= 0)
                        value = parse_boolean(value) ? "yes" : "no";
                return option_apply(c, value, current, m);
        case 'E':
                return setenv_option(value, current, m);
        case ARG_REGISTER:
                /* nspawn's "no" leaves machined out, not systemd: the scope (and its
                 * --slice, --property) is made as ever (devtools passes --slice with it). */
                if (parse_boolean(value) < 0)
                        return usage_error("%s takes a boolean (yes or no), not '%s'", current, value);
                m->no_machined = !parse_boolean(value);
                m->register_mode = parse_boolean(value) ? REGISTER_YES : REGISTER_AUTO;
                return 0;
        case ARG_NOTIFY_READY:
        case ARG_NO_NEW_PRIVILEGES:
                return boolean_option(c, value, current, m);
        case ARG_CAPABILITY:
                if (strcmp(value, "help") == 0)
                        return caps_print_known() < 0 ? -EOPNOTSUPP : PARSE_EXIT;
                return option_apply(c, value, current, m);
        case 'Z':
        case 'L':
        case NS_REFUSED:
                /* "unrecognized option": what tools that probe nspawn's options look for
                 * (mkosi), so that they go on without it. */
                return usage_error("unrecognized option '%s': an option of systemd-nspawn's that machined-lite does "
                                   "not implement",
                                   current);
        case ':':
                return usage_error("Option '%s' needs a value", current);
        default: {
                int r = option_apply(c, value, current, m);

                return r == -ENOENT ? usage_error("unrecognized option '%s'", current) : r;
        }
        }
}

/* Whether this host has cgroup v1 hierarchies (a hybrid or legacy host): lines other than
 * "0::" in /proc/self/cgroup. */
static bool host_has_cgroup_v1(void)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        char line[512];
        bool v1 = false;

        while (f && !v1 && fgets(line, sizeof(line), f))
                v1 = strncmp(line, "0::", 3) != 0;
        if (f)
                fclose(f);
        return v1;
}

/* An environment switch of nspawn's that is a boolean: 1, 0, or -1 when unset. */
static int environment_boolean(const char *name, int *ret)
{
        const char *value = getenv(name);

        *ret = -1;
        if (!value)
                return 0;
        *ret = parse_boolean(value);
        return *ret < 0 ? usage_error("%s=%s: give 1 or 0 (yes or no)", name, value) : 0;
}

/* nspawn's environment switches, with nspawn's meaning: SYSTEMD_SECCOMP=0 turns the filter
 * off (mock sets it), SYSTEMD_NSPAWN_LOCK=0 leaves the tree unlocked,
 * SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 leaves /proc/sys and /sys writable ("network": only
 * /proc/sys/net with a private network, which is machined-lite's way anyway),
 * SYSTEMD_NSPAWN_USE_CGNS=0 gives no cgroup namespace, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0
 * the cgroup v1 hierarchies. (SYSTEMD_NSPAWN_TMPFS_TMP is nspawn_defaults()'.) */
static int nspawn_environment(struct machine *m)
{
        const char *api_vfs = getenv("SYSTEMD_NSPAWN_API_VFS_WRITABLE");
        int seccomp, lock, cgns, unified, r;

        r = environment_boolean("SYSTEMD_SECCOMP", &seccomp);
        if (r >= 0)
                r = environment_boolean("SYSTEMD_NSPAWN_LOCK", &lock);
        if (r >= 0)
                r = environment_boolean("SYSTEMD_NSPAWN_USE_CGNS", &cgns);
        if (r >= 0)
                r = environment_boolean("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY", &unified);
        if (r < 0)
                return r;
        m->seccomp_off = seccomp == 0;
        m->tree_lock_off = lock == 0;
        m->cgroup_ns_off = cgns == 0;
        m->cgroup_legacy = unified == 0;
        if (api_vfs && strcmp(api_vfs, "network") != 0) {
                r = parse_boolean(api_vfs);
                if (r < 0)
                        return usage_error("SYSTEMD_NSPAWN_API_VFS_WRITABLE=%s: give 1, 0 or network", api_vfs);
                m->api_vfs_writable = r > 0;
        }
        if (m->cgroup_legacy && m->cgroup_ns_off)
                return usage_error("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 with SYSTEMD_NSPAWN_USE_CGNS=0 is not implemented "
                                   "by machined-lite: the v1 hierarchies need the cgroup namespace (unset one)");
        if (m->cgroup_legacy && !host_has_cgroup_v1())
                return usage_error("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0: this host has no cgroup v1 hierarchies to give the "
                                   "guest (it has cgroup v2 alone): unset it");
        return 0;
}

/* What nspawn does without an option saying otherwise, where machined-lite's own
 * defaults differ: the current directory as the root, SIGKILL for a command, the console
 * from the terminal, /etc files "auto", a tmpfs on /tmp. */
static int nspawn_defaults(struct machine *m, const struct nspawn_parse *p)
{
        const char *tmpfs_tmp = getenv("SYSTEMD_NSPAWN_TMPFS_TMP");
        char error[256];
        bool tmp_given = false;

        if (!m->root && !m->image && !m->name) {
                m->root = get_current_dir_name();
                if (!m->root)
                        return -ENOMEM;
        }
        if (!p->boot && m->kill_signal == 0)
                m->kill_signal = SIGKILL;
        if (m->console == CONSOLE_DEFAULT)
                m->console = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? CONSOLE_INTERACTIVE : CONSOLE_READ_ONLY;
        if (m->resolv_conf == RESOLV_CONF_DEFAULT)
                m->resolv_conf = RESOLV_CONF_AUTO;
        if (m->timezone == TIMEZONE_DEFAULT)
                m->timezone = TIMEZONE_AUTO;
        for (size_t i = 0; i < m->n_mounts; i++)
                if (strcmp(m->mounts[i].destination, "/tmp") == 0)
                        tmp_given = true;
        /* Unless the environment says no (mock does) or a mount of the command line's is there. */
        if (!tmp_given && (!tmpfs_tmp || parse_boolean(tmpfs_tmp) != 0) &&
            custom_mount_parse_tmpfs("/tmp:mode=1777", m, error, sizeof(error)) < 0)
                return -ENOMEM;
        return 0;
}

int nspawn_parse_argv(int argc, char *argv[], struct machine *m)
{
        struct nspawn_parse p = {};
        int c, r;

        usage_set_program("systemd-nspawn");
        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, NSPAWN_SHORT_OPTIONS, nspawn_options, NULL)) >= 0) {
                /* The option as typed: "-Z foo" names -Z, not its value. */
                const char *current = optarg && optind >= 2 && optarg == argv[optind - 1] ? argv[optind - 2]
                                                                                          : argv[optind - 1];

                if (c == '?')
                        return usage_error("unrecognized option '%s'", current);
                r = nspawn_option(c, optarg, current, m, &p);
                if (r != 0)
                        return r;
        }
        if (p.boot && p.as_pid2)
                return usage_error("--boot and --as-pid2 both say what PID 1 is: give one of them");
        if (p.boot && m->user)
                return usage_error("--user=%s is the user of a command: --boot runs the tree's init as root", m->user);
        /* Neither -b nor -a: NAME.nspawn's Boot=yes or ProcessTwo=yes, if it says. */
        if (!p.boot && !p.as_pid2 && m->settings_verb >= 0) {
                p.boot = m->settings_verb == VERB_BOOT;
                p.as_pid2 = m->settings_verb == VERB_RUN;
        }
        m->verb = p.boot ? VERB_BOOT : p.as_pid2 ? VERB_RUN : VERB_EXEC;
        m->nspawn = true;
        /* They replace Parameters= of a settings file. */
        if (optind < argc) {
                strv_free(m->arguments);
                m->arguments = NULL;
        }
        for (int i = optind; i < argc; i++) {
                r = strv_extend(&m->arguments, argv[i]);
                if (r < 0)
                        return r;
        }
        /* No command: a login shell, as nspawn starts one (exec-settings: bash, else sh). */
        if (!p.boot && !m->arguments) {
                m->login_shell = true;
                if (strv_extend(&m->arguments, "/bin/sh") < 0)
                        return -ENOMEM;
        }
        r = nspawn_environment(m);
        if (r < 0)
                return r;
        r = nspawn_defaults(m, &p);
        return r < 0 ? r : PARSE_CONTINUE;
}
