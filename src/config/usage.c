/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the command line says to its user: --help's text, and the one line a mistake gets
 * (pointing to --help, or kept for a settings file's own message). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "config/machine.h"
#include "config/usage.h"
#include "util/log.h"

/* --help, after its first line. */
static const char help_text[] =
        "\n"
        "Usage:\n"
        "  machined-lite boot [OPTIONS] [NAME] [-- INIT-ARGUMENTS...]\n"
        "  machined-lite run  [OPTIONS] [NAME] -- COMMAND [ARGUMENTS...]\n"
        "  machined-lite inspect [--json] -i IMAGE | NAME\n"
        "  machined-lite list [--json] | status NAME | stop NAME | reboot NAME\n"
        "  machined-lite kill NAME [--signal=SIG] [--kill-whom=leader|all]\n"
        "  machined-lite shell NAME [--uid=USER] [--setenv=VAR=VALUE]... [-- COMMAND...]\n"
        "  machined-lite import-tar FILE|- NAME [--force] [-q]\n"
        "  machined-lite bootstrap NAME [--distribution=D] [--release=R] [--include=PKG,...] [--mirror=URL] [--force] [-q]\n"
        "\n"
        "Verbs:\n"
        "  boot                     Run the tree's init (systemd, sysvinit, busybox) as PID 1\n"
        "  run                      Run one command as PID 2 under a small init; pass on its exit status\n"
        "  inspect                  Show what a raw disk image holds and what would mount where\n"
        "  list                     The running machines (--json for JSON)\n"
        "  status NAME              A running machine: root, leader, since, its processes\n"
        "  stop NAME                Power a machine off cleanly, and wait until it is gone\n"
        "  reboot NAME              Ask a machine's init to reboot\n"
        "  kill NAME                Send --signal= (default SIGTERM) to all its processes, or\n"
        "                           with --kill-whom=leader to its PID 1 only\n"
        "  shell NAME               A login shell (--uid=USER, default root) or -- COMMAND in a\n"
        "                           running machine, on a pty of its devpts; passes its status on\n"
        "  import-tar FILE NAME     Unpack a tarball (plain, gz, xz, zst; - for stdin) as\n"
        "                           " MACHINES_DIR "/NAME, atomically\n"
        "  bootstrap NAME           Make " MACHINES_DIR "/NAME with mmdebstrap (or debootstrap)\n"
        "\n"
        "NAME stands for -M NAME -D " MACHINES_DIR "/NAME, or -i " MACHINES_DIR "/NAME.raw when\n"
        "there is no such directory.\n"
        "\n"
        "Options:\n"
        "  -D, --directory=PATH     The machine's root directory\n"
        "  -i, --image=PATH         A raw disk image (GPT per the Discoverable Partitions\n"
        "                           Specification, MBR with one Linux partition, or a bare file\n"
        "                           system) or block device to boot instead\n"
        "      --json               inspect: print JSON\n"
        "  -x, --ephemeral          Boot an overlay on a tmpfs over the tree: the tree is never\n"
        "                           written, and what the guest writes is gone when it ends\n"
        "      --ephemeral-dir=DIR  With -x or --volatile=overlay: keep what the guest writes in a\n"
        "                           new directory under DIR (e.g. /var/tmp) instead of memory;\n"
        "                           it is removed when the machine ends\n"
        "      --volatile[=MODE]    yes: / a tmpfs with the tree's /usr read-only; state: the tree\n"
        "                           read-only, /var a tmpfs; overlay: like --ephemeral; no\n"
        "      --bind=SRC[:DST[:rbind|norbind]]  Bind a host path into the guest (\\: for a colon)\n"
        "      --bind-ro=SRC[:DST[:OPTS]]  The same, read-only\n"
        "      --tmpfs=PATH[:OPTIONS]  A tmpfs at PATH in the guest (default mode=0755)\n"
        "      --overlay=LOWER...:UPPER[:DST]  An overlay of host directories (+PATH: in the tree)\n"
        "                           at DST in the guest (default: UPPER), written to UPPER (empty:\n"
        "                           a temporary one, e.g. +/var::/var)\n"
        "      --overlay-ro=LAYER...:TOP[:DST]  The same, read-only, every layer a lower one\n"
        "      --settings=MODE      NAME.machine: yes (default: read it, the command line wins),\n"
        "                           no, trusted (a file next to the tree may grant more), override\n"
        "                           (the file wins)\n"
        "      --template=DIR|NAME  When the tree (-D) does not exist, make it a copy of this one\n"
        "      --oci-bundle=DIR     An OCI bundle as the machine: its root, and config.json's process\n"
        "                           (run's command), mounts, hostname, namespaces\n"
        "                           (a snapshot or reflinks where the file system can)\n"
        "  -M, --machine=NAME       Machine name (default: the directory's base name)\n"
        "      --hostname=NAME      Host name inside the guest (default: the machine name)\n"
        "      --console=MODE       interactive, read-only, passive, pipe or autopipe\n"
        "                           (default: interactive on a terminal, else read-only for boot\n"
        "                           and pipe for run when no standard fd is a terminal)\n"
        "      --read-only          Mount the tree read-only\n"
        "      --private-network    A network namespace of its own with only lo, up\n"
        "  -n, --network-veth       A network of its own: a veth pair ve-NAME (host, .1) and host0\n"
        "                           (guest, .2) on a /28 of its own, NAT to the world, DHCP\n"
        "      --network-zone=ZONE  host0's peer vb-NAME on the bridge vz-ZONE, which the zone's\n"
        "                           machines share (a /24 of its own), made and removed as needed\n"
        "      --network-bridge=BRIDGE  host0's peer vb-NAME on an existing bridge of the host's\n"
        "      --network-veth-extra=HOSTIF[:GUESTIF]  One more veth pair (not addressed)\n"
        "      --network-interface=IF[:GUESTIF]  Move a host link into the guest (back after)\n"
        "      --network-macvlan=IF[:GUESTIF]  A macvlan link on IF, mv-IF in the guest\n"
        "      --network-ipvlan=IF[:GUESTIF]  An ipvlan link on IF, iv-IF in the guest\n"
        "      --network-namespace-path=PATH  Join this network namespace (/run/netns/NAME)\n"
        "      --network-configure=MODE  Who addresses the veth: yes (machined-lite: addresses,\n"
        "                           routes, NAT, DHCP), no (systemd-networkd, as with nspawn), or\n"
        "                           auto (default: no when systemd-networkd runs on the host)\n"
        "  -p, --port=[PROTO:]HOSTPORT[:GUESTPORT]  Forward a host port (tcp or udp) to the guest\n"
        "                           (needs a veth: -n, --network-zone or --network-bridge)\n"
        "  -E, --setenv=VAR=VALUE   Set an environment variable for init or the command\n"
        "  -u, --user=USER          run: the command's user (a name or UID of the guest's)\n"
        "      --chdir=PATH         The command's (or init's) working directory in the guest\n"
        "      --uuid=UUID          The machine's $container_uuid\n"
        "      --rlimit=NAME=SOFT[:HARD]  A resource limit (RLIMIT_NOFILE=1024:4096)\n"
        "      --personality=ARCH   x86 (arm, ...): a 32-bit userland on a 64-bit host\n"
        "      --oom-score-adjust=N The guest's OOM score adjustment (-1000..1000)\n"
        "      --cpu-affinity=CPUS  The CPUs the guest runs on (0-3,6)\n"
        "      --resolv-conf=MODE   off, copy-host, replace-host, bind-host, delete or auto\n"
        "                           (default: the host's where the tree has none)\n"
        "      --timezone=MODE      off, copy, bind, symlink, delete or auto (default: the\n"
        "                           host's zone where the tree has no /etc/localtime)\n"
        "      --suppress-sync=BOOL yes: sync(), fsync() and the like return at once\n"
        "      --inaccessible=PATH  Hide PATH in the guest under an empty node of mode 000\n"
        "      --link-journal=MODE  The guest's journal seen from the host's /var/log/journal/ID:\n"
        "                           host (kept on the host, bound in), guest (kept in the tree,\n"
        "                           linked from the host), try-host, try-guest, no, or auto\n"
        "                           (default: bind what an earlier host left)\n"
        "      --set-credential=ID:VALUE  A credential for the guest ($CREDENTIALS_DIRECTORY/ID)\n"
        "      --load-credential=ID:PATH  The same, read from a file or AF_UNIX socket\n"
        "      --kill-signal=SIG    Signal that asks PID 1 to shut down (default: SIGRTMIN+3 for\n"
        "                           systemd, SIGUSR2 for busybox init, SIGTERM otherwise)\n"
        "      --init=PATH          The init to boot, a path inside the tree\n"
        "      --register=MODE      yes, no or auto: run in a scope machine-NAME.scope of systemd's and\n"
        "                           register with systemd-machined (auto: when the host runs systemd)\n"
        "      --keep-unit          Stay in the unit we were started in (machine@.service) instead of\n"
        "                           making a scope; it must have Delegate=yes\n"
        "      --slice=SLICE        The slice of our scope (default: machine.slice)\n"
        "      --property=NAME=VALUE  A setting of our scope, any systemd takes on a scope\n"
        "                           (MemoryMax=1G, CPUWeight=50, IODeviceWeight=\"/dev/sda 200\"...)\n"
        "      --notify-ready=BOOL  yes: tell the service manager we are ready only when the guest's\n"
        "                           init says READY=1 (default for boot); no: as soon as it runs\n"
        "      --capability=CAPS    Keep these capabilities too (comma-separated, or all)\n"
        "      --drop-capability=CAPS  Drop these of the default set\n"
        "      --no-new-privileges  setuid and file capabilities grant nothing in the guest\n"
        "      --system-call-filter=LIST  Allow (LIST or +LIST) or deny (~LIST) system calls and\n"
        "                           @groups, on top of the default deny list (which denies\n"
        "                           io_uring, unlike systemd-nspawn: allow it with @io-uring)\n"
        "  -U, --private-users=MODE  A user namespace: the guest's root is an unprivileged host UID.\n"
        "                           pick (-U): a free 64K range; yes: from the tree's owner;\n"
        "                           UID[:COUNT]; identity: the host's IDs 0-65535 as they are;\n"
        "                           no (default)\n"
        "      --private-users-ownership=MODE  How the guest's root owns the tree: map (an\n"
        "                           idmapped mount), chown (shift the files on disk), off, or\n"
        "                           auto (default: off if the tree is owned by the range, else\n"
        "                           map where the file system can, else chown)\n"
        "      --bind-user=NAME     With a user namespace: the host's user NAME in the guest, its\n"
        "                           home at /run/host/home/NAME, its UID and GID mapped to one\n"
        "                           from 60514, its records in /run/host/userdb (nss-systemd)\n"
        "  -q, --quiet              No informational messages\n"
        "  -h, --help               Show this help\n"
        "      --version            Show the version\n"
        "\n"
        "Exit codes: the command's status (run), 0 when the guest powered off and 133 when it\n"
        "rebooted (boot), 128+N when PID 1 died of signal N; otherwise 1 setup failed, 2 bad\n"
        "command line, 3 not root, 4 bad tree or image (missing, not a directory, no usable init,\n"
        "an image that cannot be dissected or mounted),\n"
        "5 that name, tree or image is in use, 6 no machine of that name is running,\n"
        "126/127 the command cannot be run / is not found.\n";

void usage_print_help(void)
{
        printf("machined-lite %s: boot a Linux tree as a lightweight machine\n", MACHINED_LITE_VERSION);
        fputs(help_text, stdout);
}

static const char *usage_program = "machined-lite";
static char *usage_buffer;
static size_t usage_buffer_size;

void usage_set_program(const char *name)
{
        usage_program = name;
}

void usage_capture(char *buffer, size_t size)
{
        usage_buffer = buffer;
        usage_buffer_size = size;
}

int usage_errorv(const char *format, va_list ap)
{
        char line[512];

        vsnprintf(line, sizeof(line), format, ap);
        if (usage_buffer)
                snprintf(usage_buffer, usage_buffer_size, "%s", line);
        else
                log_error("%s (see %s --help)", line, usage_program);
        return -EINVAL;
}

int usage_error(const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = usage_errorv(format, ap);
        va_end(ap);
        return r;
}
