#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/run-bench.sh: machined-lite against systemd-nspawn (and a bare
# unshare+chroot floor) on this host. Run as root:
#
#   bench/run-bench.sh [-n RUNS] [-b BOOT_RUNS] [-s SERVICE_RUNS] [--only=SECTIONS]
#
#   -n, --runs N         timed runs of /bin/true per command (default 30, env BENCH_RUNS)
#   -b, --boot-runs N    boots of the Debian tree per tool (default 3, env BENCH_BOOT_RUNS)
#   -s, --service-runs N starts and stops of each unit in the hostbox (default 3, env BENCH_SERVICE_RUNS)
#   -o, --only=SECTIONS  run only these of the sections below, a comma-separated list
#                        such as 7 or 1,3,7 (default all, env BENCH_ONLY); what only the
#                        others need (the busybox tree, the copy of the Debian tree, the
#                        disk image, the hostbox) is then not made
#
# The binary is $MACHINED_LITE, or build/machined-lite of this repository (built
# with ninja when missing). SYSTEMD_NSPAWN_UNIFIED_HIERARCHY defaults to 1 here, so
# that nspawn, like machined-lite, hands the guest a cgroup v2 hierarchy only; set
# it to "auto" to leave it unset and let nspawn pick (hybrid on a hybrid host).
#
# It measures:
#   1. /bin/true in a busybox tree: machined-lite run, systemd-nspawn, and
#      unshare -m -p -u -i -f chroot (the floor), interleaved, medians in ms;
#   2. resident memory of the supervisor while a guest runs /bin/sleep 3;
#   3. boot of the cached Debian bookworm tree until `systemctl is-system-running`
#      in the guest says running or degraded, interleaved, medians;
#   4. in a real systemd host (the hostbox of tests/system/hostbox.sh, booted with
#      systemd-nspawn, our build installed into it with meson install):
#      `systemctl start machine@NAME` (units/machine@.service) against
#      `systemctl start systemd-nspawn@NAME` (Debian's unit, with a drop-in that
#      gives it our isolation: no user namespace, no private network, and READY=1
#      passed on from the guest): until systemctl start returns, until the guest
#      says running or degraded, and `systemctl stop` until it returns (the unit
#      must end inactive with Result=success); interleaved, medians;
#   5. /bin/true from a GPT disk image (the busybox tree as the ext4 root partition,
#      made with mkfs.ext4 -d, sfdisk and dd) against the same tree as a directory,
#      interleaved, medians; and whether systemd-nspawn -i can run it here (tried
#      once: its reason when it cannot, measured alongside when it can);
#   6. ephemeral boot of the Debian tree (boot -x: an overlay on a tmpfs) until
#      running, against our boot without -x and `systemd-nspawn -x -b` (a copy of
#      the whole tree each time), interleaved, medians; and /bin/true in it with
#      run -x against run (RUNS rounds), and systemd-nspawn -x against systemd-nspawn
#      (in BOOT_RUNS of those rounds);
#   7. `import-tar` of an uncompressed tarball of the Debian tree (made once, with
#      its xattrs) into /var/lib/machines/ml-bench-import, against mkdir and
#      `tar --xattrs -xpf` of it into /var/lib/machines/ml-bench-tar, with a sync
#      before each run, the one after it timed apart, BOOT_RUNS runs each,
#      interleaved (not run when the binary has no import-tar verb);
#   8. `shell NAME -- /bin/true` in a busybox machine booted with boot -M
#      ml-bench-shell against `nsenter -a -t LEADER /bin/true`, interleaved, medians
#      (not run when the binary has no shell verb); and, measured in the hostbox
#      during section 4, `machinectl shell` of the machine of machine@ against
#      machined-lite shell (when it can run there) and nsenter -a.
# It is a benchmark, not a test: slow figures never fail it. It exits non-zero only
# when a command under test fails (or the setup does).
#
# Everything it makes lives in /var/tmp/ml-bench.XXXXXX (a busybox tree, a disk
# image of it, two copies of the Debian tree, so that the shared test cache is
# not written to, and section 7's tarball) and is removed at the end, together
# with section 7's trees in /var/lib/machines (when they were not there before),
# what systemd-nspawn leaves on a host without systemd (/run/systemd/nspawn, its
# payload/supervisor cgroups) when it was not there before, and the hostbox
# (machine ml-bench-PID, its cgroups NAME.hostbox, /run/systemd/nspawn/propagate/NAME).
# Only processes it started itself are ever signalled.

set -euo pipefail

RUNS=${BENCH_RUNS:-30}
BOOT_RUNS=${BENCH_BOOT_RUNS:-3}
SERVICE_RUNS=${BENCH_SERVICE_RUNS:-3}
ONLY=${BENCH_ONLY:-}

usage() {
        sed -n '4,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
        echo "run-bench: $*" >&2
        exit 1
}

while [ $# -gt 0 ]; do
        case $1 in
        -n|--runs) [ $# -ge 2 ] || die "$1 needs a number"; RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        -b|--boot-runs) [ $# -ge 2 ] || die "$1 needs a number"; BOOT_RUNS=$2; shift 2 ;;
        --boot-runs=*) BOOT_RUNS=${1#*=}; shift ;;
        -s|--service-runs) [ $# -ge 2 ] || die "$1 needs a number"; SERVICE_RUNS=$2; shift 2 ;;
        --service-runs=*) SERVICE_RUNS=${1#*=}; shift ;;
        -o|--only) [ $# -ge 2 ] || die "$1 needs a list of sections"; ONLY=$2; shift 2 ;;
        --only=*) ONLY=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "runs must be a positive number, not '$RUNS'"
[[ $BOOT_RUNS =~ ^[1-9][0-9]*$ ]] || die "boot runs must be a positive number, not '$BOOT_RUNS'"
[[ $SERVICE_RUNS =~ ^[1-9][0-9]*$ ]] || die "service runs must be a positive number, not '$SERVICE_RUNS'"
[[ -z $ONLY || $ONLY =~ ^[1-8](,[1-8])*$ ]] || die "--only takes section numbers 1-8 separated by commas, not '$ONLY'"
export BENCH_ONLY=$ONLY

# section_on N...: whether one of the sections N is to run (all without --only).
section_on() {
        local n
        [ -z "$ONLY" ] && return 0
        for n in "$@"; do
                [[ ,$ONLY, == *,$n,* ]] && return 0
        done
        return 1
}

[ "$(id -u)" = 0 ] || die "must be run as root (namespaces, mounts, cgroups)"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ -z "${MACHINED_LITE:-}" ]; then
        MACHINED_LITE=$REPO/build/machined-lite
        if [ ! -x "$MACHINED_LITE" ]; then
                echo "run-bench: $MACHINED_LITE is missing: building it" >&2
                (cd "$REPO" && { [ -f build/build.ninja ] || meson setup build >&2; } && ninja -C build >&2) ||
                        die "building machined-lite failed"
        fi
fi
[ -x "$MACHINED_LITE" ] || die "MACHINED_LITE=$MACHINED_LITE is not an executable"
MACHINED_LITE=$(realpath "$MACHINED_LITE")
export MACHINED_LITE

PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3) || die "python3 is needed"
for tool in systemd-nspawn unshare chroot nsenter mkfs.ext4 sfdisk; do
        command -v "$tool" >/dev/null || die "$tool is not installed"
done
export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=${SYSTEMD_NSPAWN_UNIFIED_HIERARCHY:-1}
[ "$SYSTEMD_NSPAWN_UNIFIED_HIERARCHY" = auto ] && unset SYSTEMD_NSPAWN_UNIFIED_HIERARCHY

# The test helpers: make_busybox_tree and debian_tree from lib.sh, the hostbox
# from hostbox.sh (hostbox_tree, hostbox_start, hostbox_install, in_hostbox,
# hostbox_stop). lib.sh sets WORK= and defines cleanup_work, which kills with
# pkill -f and removes $WORK as it is: we do not use it, but hostbox_start makes
# the EXIT trap 'hostbox_cleanup; cleanup_work', so it is redefined below to go
# through our own cleanup, and the trap is set back to ours once it returns.
# shellcheck disable=SC2034 # read by lib.sh
TESTS_DIR=$REPO/tests
# shellcheck source=SCRIPTDIR/../tests/integration/lib.sh
. "$REPO/tests/integration/lib.sh"
# shellcheck source=SCRIPTDIR/../tests/system/hostbox.sh
. "$REPO/tests/system/hostbox.sh"

# What systemd-nspawn leaves behind on a host without systemd as PID 1, noted
# before we start so that only what appeared during the run is removed.
nspawn_cgroups() {
        local m
        awk '$9 == "cgroup2" || ($9 == "cgroup" && $NF ~ /name=systemd/) { print $5 }' /proc/self/mountinfo |
                while read -r m; do
                        find "$m" -maxdepth 3 -type d \( -name payload -o -name supervisor \) 2>/dev/null
                done | sort
}
NSPAWN_RUN_DIR_EXISTED=0
[ -e /run/systemd/nspawn ] && NSPAWN_RUN_DIR_EXISTED=1
NSPAWN_CGROUPS_BEFORE=$(nspawn_cgroups)
# Section 7's trees in /var/lib/machines (ml-bench-import, import-tar's
# .#ml-bench-import.XXXXXX, ml-bench-tar): removed at the end when they were not
# there before (section 7 does not run when one is), and /var/lib/machines itself
# when we made it and it is empty again.
MACHINES_DIR=/var/lib/machines
import_trees() {
        find "$MACHINES_DIR" -mindepth 1 -maxdepth 1 \( -name ml-bench-import -o -name ml-bench-tar \
                -o -name '.#ml-bench-import.*' \) 2>/dev/null | sort
}
MACHINES_DIR_EXISTED=0
[ -e "$MACHINES_DIR" ] && MACHINES_DIR_EXISTED=1
IMPORT_TREES_BEFORE=$(import_trees)

WORK=$(mktemp -d /var/tmp/ml-bench.XXXXXX)
BENCH_RC=0
BENCH_EXIT=
PY_PID=
# The hostbox of section 4 and the machines in it (names inside the hostbox, whose
# systemd, machined and cgroups are its own; the hostbox's name is unique here).
HB_NAME=ml-bench-$$
ML_MACHINE=mlbench-ml
NS_MACHINE=mlbench-ns
NS_DROPIN=/etc/systemd/system/systemd-nspawn@$NS_MACHINE.service.d/ml-bench.conf
# Debian's ExecStart with -U (--private-users=pick, as machine@ has) but without
# --network-veth (machine@ shares the host's network), with
# --link-journal=no and --settings=no, and --notify-ready=yes: nspawn's default
# (no) sends READY=1 as soon as the guest's init is started, while machine@ waits
# for the guest's own READY=1; with yes, systemctl start returns at the same point
# for both.
NS_EXEC='systemd-nspawn --quiet --keep-unit --boot --link-journal=no --settings=no --notify-ready=yes -U --machine=%i'

# Processes of ours still alive: those whose command line names our work directory
# (machined-lite, its ml-sweeper, systemd-nspawn, unshare/chroot). Zombies do not count.
# shellcheck disable=SC2317 # called from the EXIT trap
our_processes() {
        local dir pid
        for dir in /proc/[0-9]*; do
                pid=${dir#/proc/}
                [ "$pid" = $$ ] && continue
                grep -qs "^State:[[:space:]]*Z" "$dir/status" && continue
                tr '\0' ' ' 2>/dev/null < "$dir/cmdline" | grep -qF -- "$WORK/" || continue
                echo "$pid"
        done
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
        local rc=${BENCH_EXIT:-$?} pids pid i new
        # Not to be cut short: a second Ctrl-C would leave trees and processes behind.
        trap '' INT TERM
        trap - EXIT
        set +e
        # A hostbox still up (interrupted, or a failure in section 4): everything in
        # its cgroup is killed at once, its cgroups and propagate directory removed.
        hostbox_cleanup
        pids=$(our_processes)
        if [ -n "$pids" ]; then
                for pid in $pids; do
                        echo "run-bench: cleanup: stopping leftover process $pid: $(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline")" >&2
                        kill -TERM "$pid" 2>/dev/null
                done
                for i in $(seq 300); do
                        [ -z "$(our_processes)" ] && break
                        sleep 0.1
                done
                for pid in $(our_processes); do
                        echo "run-bench: cleanup: killing process $pid" >&2
                        kill -KILL "$pid" 2>/dev/null
                done
                sleep 0.5
        fi
        # Section 7's trees, once nothing of ours runs (import-tar and tar name $WORK/debian.tar).
        for i in $(comm -13 <(echo "$IMPORT_TREES_BEFORE") <(import_trees)); do
                echo "run-bench: cleanup: removing $i" >&2
                rm -rf --one-file-system "$i"
        done
        [ "$MACHINES_DIR_EXISTED" = 0 ] && rmdir "$MACHINES_DIR" 2>/dev/null
        if awk -v w="$WORK/" 'index($5, w) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
                echo "run-bench: cleanup: something is still mounted under $WORK: not removing it" >&2
        else
                rm -rf --one-file-system "$WORK"
        fi
        # systemd-nspawn's droppings, when they were not there before and no nspawn runs.
        if ! pgrep -x systemd-nspawn >/dev/null; then
                if [ "$NSPAWN_RUN_DIR_EXISTED" = 0 ] && [ -d /run/systemd/nspawn ]; then
                        rm -rf --one-file-system /run/systemd/nspawn
                fi
                new=$(comm -13 <(echo "$NSPAWN_CGROUPS_BEFORE") <(nspawn_cgroups))
                for i in $new; do
                        find "$i" -depth -type d -exec rmdir {} + 2>/dev/null
                done
        fi
        exit "$rc"
}
# hostbox_start's EXIT trap is 'hostbox_cleanup; cleanup_work': while it runs, a
# signal (on_signal sets BENCH_EXIT) still ends in our cleanup with its status.
# shellcheck disable=SC2317 # called from hostbox_start's EXIT trap
cleanup_work() {
        BENCH_EXIT=${BENCH_EXIT:-1}
        cleanup
}
# A signal turns errexit off before exiting: hostbox_cleanup, which that trap runs
# before our cleanup, was written for set -u only (its wait for the watcher it has
# just killed returns 137, and set -e would end the shell there, in the trap,
# with the hostbox still up).
# shellcheck disable=SC2317 # the INT and TERM traps
on_signal() {
        set +e
        BENCH_EXIT=$1
        exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

echo "== machined-lite benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host: $(uname -sr), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "machined-lite: $MACHINED_LITE ($("$MACHINED_LITE" --version))"
if [ -n "$(find "$REPO/src" -newer "$MACHINED_LITE" -name '*.[ch]' 2>/dev/null | head -1)" ]; then
        echo "  WARNING: sources in $REPO/src are newer than the binary (run ninja -C build)"
fi
echo "systemd-nspawn: $(systemd-nspawn --version | head -1), SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=${SYSTEMD_NSPAWN_UNIFIED_HIERARCHY:-(unset)}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs: $RUNS per command for /bin/true, $BOOT_RUNS boots per tool, $SERVICE_RUNS starts per unit in the hostbox; work directory $WORK"
[ -n "$ONLY" ] && echo "sections: $ONLY only (--only)"

# The busybox tree. systemd-nspawn refuses a tree without /usr ("doesn't look like
# it has an OS tree"), which make_busybox_tree does not make: an empty one is added.
BUSYBOX_TREE=$WORK/ml-bench-busybox
if section_on 1 2 5 8; then
        make_busybox_tree "$BUSYBOX_TREE"
        mkdir -p "$BUSYBOX_TREE/usr"
fi

# The Debian tree: a private copy of the cached one (both tools write into the tree
# they boot: journal, random seed, resolv.conf), named ml-bench-debian.
DEBIAN_SRC=$(debian_tree) || die "no Debian tree: $DEBIAN_SRC"
[ -x "$DEBIAN_SRC/lib/systemd/systemd" ] || die "no Debian tree: $DEBIAN_SRC"
DEBIAN_TREE=$WORK/ml-bench-debian
# Section 7 only reads the cached tree (tar -c): no copy when no section boots it.
if section_on 3 4 6; then
        cp -a --reflink=auto "$DEBIAN_SRC" "$DEBIAN_TREE"
        echo "trees: $BUSYBOX_TREE (busybox), $DEBIAN_TREE (copy of $DEBIAN_SRC)"
else
        echo "trees: $(section_on 1 2 5 8 && echo "$BUSYBOX_TREE (busybox), ")$DEBIAN_SRC (the cached Debian tree, not copied)"
fi

# Section 5's disk image: the busybox tree as an ext4 file system of 16 MiB
# (mkfs.ext4 -d), the root partition (the type the Discoverable Partitions
# Specification gives this architecture's root) of a GPT disk with 1 MiB before and
# after it. Made once; empty IMAGE (no root type known here): section 5 is not run.
IMAGE=$WORK/ml-bench-image.raw
IMAGE_SECTORS=$((16 * 1024 * 1024 / 512))
case $(uname -m) in
x86_64) IMAGE_ROOT_TYPE=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 ;;
aarch64) IMAGE_ROOT_TYPE=B921B045-1DF0-41C3-AF44-4C6F280D3FAE ;;
*) IMAGE_ROOT_TYPE= ;;
esac
if ! section_on 5; then
        IMAGE=
elif [ -n "$IMAGE_ROOT_TYPE" ]; then
        mkfs.ext4 -q -F -d "$BUSYBOX_TREE" "$WORK/root.ext4" 16M >"$WORK/mkfs.out" 2>&1 ||
                { cat "$WORK/mkfs.out" >&2; die "mkfs.ext4 -d $BUSYBOX_TREE failed"; }
        truncate -s $(((2048 + IMAGE_SECTORS + 2048) * 512)) "$IMAGE"
        printf 'label: gpt\nstart=2048, size=%d, type=%s, name=root\n' "$IMAGE_SECTORS" "$IMAGE_ROOT_TYPE" |
                sfdisk -q --no-reread --no-tell-kernel "$IMAGE" || die "sfdisk $IMAGE failed"
        dd if="$WORK/root.ext4" of="$IMAGE" bs=512 seek=2048 conv=notrunc status=none || die "dd to $IMAGE failed"
        rm -f "$WORK/root.ext4" "$WORK/mkfs.out"
        echo "image: $IMAGE (GPT, partition 1 of type $IMAGE_ROOT_TYPE, root of $(uname -m):" \
                "ext4 of 16 MiB made from $BUSYBOX_TREE)"
else
        IMAGE=
        echo "image: none (no root partition type known for $(uname -m)): section 5 is not run"
fi
# Section 4: the hostbox's tree (cached, made with debootstrap once), and the meson
# build directory hostbox_install installs from.
if section_on 4; then
        HOSTBOX_TREE=$(hostbox_tree) || die "no hostbox tree: $HOSTBOX_TREE"
        [ -x "$HOSTBOX_TREE/lib/systemd/systemd" ] || die "no hostbox tree: $HOSTBOX_TREE"
fi
HB_BUILD=${MESON_BUILD_ROOT:-$(dirname "$MACHINED_LITE")}

cat > "$WORK/bench.py" <<'PYTHON'
import fcntl
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

ML = os.environ["MACHINED_LITE"]
BUSYBOX = os.environ["BENCH_BUSYBOX_TREE"]
DEBIAN = os.environ["BENCH_DEBIAN_TREE"]
RUNS = int(os.environ["BENCH_RUNS"])
BOOT_RUNS = int(os.environ["BENCH_BOOT_RUNS"])
SERVICE_RUNS = int(os.environ["BENCH_SERVICE_RUNS"])
WORK = os.environ["BENCH_WORK"]
# This script runs in phases, one process each: "host" (sections 1-3), "hostbox"
# (section 4, and section 8's part in the hostbox, while run-bench.sh keeps the
# hostbox up), "image" (section 5), "extra" (sections 6-8), "summary". What the
# summary (and section 8) needs is kept in STATE between them.
PHASE = os.environ.get("BENCH_PHASE", "host")
ONLY = {int(n) for n in os.environ.get("BENCH_ONLY", "").split(",") if n}


def section_on(n):
    """Whether section N is to run (all of them without --only)."""
    return not ONLY or n in ONLY

STATE = os.path.join(WORK, "bench-state.json")

TARGET_RUN_RATIO = 0.25   # machined-lite run /bin/true, as a fraction of nspawn
TARGET_RSS_MIB = 3.0      # supervisor VmRSS while a guest runs
TARGET_EPHEMERAL_RATIO = 1.2  # boot -x to running, as a multiple of boot without -x
TARGET_IMPORT_RATIO = 1.1     # import-tar, as a multiple of tar -x of the same tarball

NSPAWN = shutil.which("systemd-nspawn")
UNSHARE = shutil.which("unshare")
CHROOT = shutil.which("chroot")
NSENTER = shutil.which("nsenter")
ENV = dict(os.environ)    # one environment for every command
DEVNULL = subprocess.DEVNULL
PIPE = subprocess.PIPE
NS_PER_MS = 1e6
MIB = 1024.0              # /proc/PID/status counts kB

live = []                 # Popen objects that may still run
warnings = []
summary = []
later = {}                # measured in one phase, printed in another (section 8's part in the hostbox)


class CommandFailed(Exception):
    pass


def out(line=""):
    print(line, flush=True)


# ---- /proc helpers ---------------------------------------------------------

def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def status(pid):
    text = read(f"/proc/{pid}/status")
    if text is None:
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def alive(pid):
    st = status(pid)
    return st is not None and not st.get("State", "").startswith("Z")


def comm(pid):
    return (read(f"/proc/{pid}/comm") or "?").strip()


def cmdline(pid):
    return (read(f"/proc/{pid}/cmdline") or "").replace("\0", " ").strip()


def children(pid):
    kids = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        kids += [int(k) for k in (read(f"/proc/{pid}/task/{tid}/children") or "").split()]
    return kids


def kb(fields, key):
    return int(fields.get(key, "0 kB").split()[0])


def pss_kb(pid):
    for line in (read(f"/proc/{pid}/smaps_rollup") or "").splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return None


def ns_inode(pid, ns):
    try:
        return os.readlink(f"/proc/{pid}/ns/{ns}")
    except OSError:
        return None


def pipes(pid):
    found = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("pipe:"):
            found.add(target)
    return found


def our_leftovers(tree):
    """Live processes (not us) whose command line names the tree: supervisors, sweepers."""
    me = {os.getpid(), os.getppid()}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in me:
            continue
        pid = int(entry)
        if (tree + " ") in (cmdline(pid) + " ") and alive(pid):
            found.append(pid)
    return found


def cgroup2_mount():
    for line in (read("/proc/self/mountinfo") or "").splitlines():
        fields = line.split()
        sep = fields.index("-")
        if fields[sep + 1] == "cgroup2":
            return fields[4]
    return None


def machine_cgroup(name):
    mount = cgroup2_mount()
    own = "/"
    for line in (read("/proc/self/cgroup") or "").splitlines():
        if line.startswith("0::"):
            own = line[3:]
    if mount is None:
        return None
    return os.path.normpath(f"{mount}/{own}/machine-{name}")


def settle(tree, timeout=10.0, name=None):
    """Waits until nothing of a previous command is left: no process naming the tree
    (machined-lite's ml-sweeper lives on a little after the supervisor), no machine
    cgroup (machine-NAME, NAME the tree's base name unless given). What is still
    there after the timeout is reported, not waited for."""
    cgroup = machine_cgroup(name or os.path.basename(tree))
    deadline = time.monotonic() + timeout
    while True:
        procs = our_leftovers(tree)
        cg_left = cgroup is not None and os.path.isdir(cgroup)
        if not procs and not cg_left:
            return
        if time.monotonic() > deadline:
            what = [f"process {p} ({comm(p)}: {cmdline(p)})" for p in procs]
            if cg_left:
                what.append(f"cgroup {cgroup}")
            warn(f"left behind {timeout:.0f} s after the command ended: " + "; ".join(what))
            return
        time.sleep(0.005)


def warn(text):
    warnings.append(text)
    out(f"  WARNING: {text}")


# ---- running commands ------------------------------------------------------

def explain_failure(name, argv, rc, log=None):
    out(f"  FAILED: {name} exited with status {rc}: {' '.join(argv)}")
    if log:
        out("  its output ended with:")
        for line in log[-15:]:
            out(f"    | {line}")
    raise CommandFailed(name)


def rerun_for_errors(argv):
    r = subprocess.run(argv, stdin=DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV)
    return r.returncode, r.stdout.decode(errors="replace").splitlines()


def timed_ns(argv):
    # The same spawn path, environment and redirections for every command measured.
    t0 = time.perf_counter_ns()
    rc = subprocess.call(argv, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL, env=ENV)
    t1 = time.perf_counter_ns()
    return rc, t1 - t0


def fmt_ms(ns):
    return f"{ns / NS_PER_MS:.2f}"


def stop(p, timeout=60.0):
    """SIGTERM, then SIGKILL; returns the exit status."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


# ---- 1. /bin/true ----------------------------------------------------------

def bench_true():
    out()
    out(f"== 1. /bin/true in the busybox tree: {RUNS} runs each, interleaved")
    commands = [
        ("machined-lite", [ML, "run", "-q", "--console=pipe", "-D", BUSYBOX, "--", "/bin/true"]),
        ("nspawn", [NSPAWN, "-q", "--register=no", "--keep-unit", "-D", BUSYBOX, "/bin/true"]),
        ("floor", [UNSHARE, "-m", "-p", "-u", "-i", "-f", CHROOT, BUSYBOX, "/bin/true"]),
    ]
    for name, argv in commands:
        out(f"  {name:13} {' '.join(argv)}")
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each)")

    times = {name: [] for name, _ in commands}
    for i in range(RUNS + 1):
        for name, argv in commands:
            rc, ns = timed_ns(argv)
            if rc != 0:
                rc2, log = rerun_for_errors(argv)
                explain_failure(name, argv, rc, [f"(run again to show its output: status {rc2})"] + log)
            settle(BUSYBOX)
            if i > 0:
                times[name].append(ns)

    # The harness's own cost, included in every figure above alike.
    harness = []
    for _ in range(RUNS):
        rc, ns = timed_ns(["/bin/true"])
        harness.append(ns)

    med = {name: statistics.median(v) for name, v in times.items()}
    out()
    out(f"  {'command':13} {'median ms':>10} {'min ms':>9} {'max ms':>9}")
    for name, _ in commands:
        v = times[name]
        out(f"  {name:13} {fmt_ms(med[name]):>10} {fmt_ms(min(v)):>9} {fmt_ms(max(v)):>9}")
    out(f"  (spawning /bin/true on the host the same way takes {fmt_ms(statistics.median(harness))} ms, "
        "included in each figure)")
    r_ns = med["machined-lite"] / med["nspawn"]
    r_floor = med["machined-lite"] / med["floor"]
    out(f"  machined-lite / nspawn: {r_ns:.2f}x")
    out(f"  machined-lite / floor:  {r_floor:.2f}x")
    summary.append(
        f"run /bin/true: machined-lite {fmt_ms(med['machined-lite'])} ms, nspawn {fmt_ms(med['nspawn'])} ms, "
        f"floor {fmt_ms(med['floor'])} ms: {r_ns:.2f}x nspawn (target <= {TARGET_RUN_RATIO:.2f}x: "
        f"{'met' if r_ns <= TARGET_RUN_RATIO else 'NOT met'}), {r_floor:.2f}x floor")


# ---- 2. supervisor memory --------------------------------------------------

def find_sweeper(supervisor):
    """machined-lite's ml-sweeper holds the read end of a pipe the supervisor writes to."""
    ours = pipes(supervisor)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and comm(int(entry)) == "ml-sweeper" and alive(int(entry)):
            if pipes(int(entry)) & ours:
                return int(entry)
    return None


def memory_line(label, pid):
    st = status(pid)
    if st is None:
        return None, f"  {label}: process {pid} is gone"
    rss, hwm, pss = kb(st, "VmRSS"), kb(st, "VmHWM"), pss_kb(pid)
    pss_text = f", Pss {pss / MIB:.2f} MiB" if pss is not None else ""
    return rss, (f"  {label} (PID {pid}, {comm(pid)}): VmRSS {rss / MIB:.2f} MiB, "
                 f"VmHWM {hwm / MIB:.2f} MiB{pss_text}")


def bench_memory():
    out()
    out("== 2. resident memory of the supervisor, 1 s into a guest running /bin/sleep 3")

    argv = [ML, "run", "--console=pipe", "-D", BUSYBOX, "--", "/bin/sleep", "3"]
    out(f"  {' '.join(argv)}")
    p = subprocess.Popen(argv, stdin=DEVNULL, stdout=DEVNULL, stderr=subprocess.PIPE, env=ENV)
    live.append(p)
    time.sleep(1.0)
    if p.poll() is not None:
        explain_failure("machined-lite", argv, p.returncode, p.stderr.read().decode(errors="replace").splitlines())
    kids = children(p.pid)
    guest = f"guest leader PID {kids[0]} ({comm(kids[0])}, children: " \
            f"{', '.join(comm(k) for k in children(kids[0])) or 'none'})" if kids else "no guest found"
    ml_rss, line = memory_line("machined-lite supervisor", p.pid)
    out(line)
    out(f"    its children: {len(kids)}: {guest}")
    sweeper = find_sweeper(p.pid)
    sw_rss = None
    if sweeper is None:
        out("  ml-sweeper: not found")
    else:
        sw_rss, line = memory_line("ml-sweeper helper", sweeper)
        out(line)
    rc = p.wait()
    err = p.stderr.read().decode(errors="replace").splitlines()
    live.remove(p)
    if rc != 0:
        explain_failure("machined-lite", argv, rc, err)
    settle(BUSYBOX)

    argv = [NSPAWN, "-q", "--register=no", "--keep-unit", "-D", BUSYBOX, "/bin/sleep", "3"]
    out(f"  {' '.join(argv)}")
    p = subprocess.Popen(argv, stdin=DEVNULL, stdout=DEVNULL, stderr=subprocess.PIPE, env=ENV)
    live.append(p)
    time.sleep(1.0)
    if p.poll() is not None:
        explain_failure("nspawn", argv, p.returncode, p.stderr.read().decode(errors="replace").splitlines())
    kids = children(p.pid)
    ns_rss, line = memory_line("systemd-nspawn supervisor", p.pid)
    out(line)
    out(f"    its children: {len(kids)}: " + ", ".join(f"PID {k} ({comm(k)})" for k in kids))
    rc = p.wait()
    err = p.stderr.read().decode(errors="replace").splitlines()
    live.remove(p)
    if rc != 0:
        explain_failure("nspawn", argv, rc, err)
    settle(BUSYBOX)

    if ml_rss is None or ns_rss is None:
        raise CommandFailed("memory")
    ratio = ml_rss / ns_rss
    out(f"  machined-lite / nspawn supervisor VmRSS: {ratio:.2f}x")
    sw_text = f" (+ ml-sweeper {sw_rss / MIB:.2f} MiB, a separate process)" if sw_rss is not None else ""
    summary.append(
        f"supervisor RSS: machined-lite {ml_rss / MIB:.2f} MiB vs nspawn {ns_rss / MIB:.2f} MiB: {ratio:.2f}x "
        f"(target <= {TARGET_RSS_MIB:.0f} MiB: {'met' if ml_rss / MIB <= TARGET_RSS_MIB else 'NOT met'})")
    if sw_rss is not None:
        summary.append(
            f"ml-sweeper RSS: {sw_rss / MIB:.2f} MiB more (machined-lite total "
            f"{(ml_rss + sw_rss) / MIB:.2f} MiB of RSS, shared pages counted twice)")


# ---- 3. boot ---------------------------------------------------------------

def guest_leader(supervisor):
    """The supervisor's child that lives in another PID namespace (nspawn's short-lived
    outer child does not)."""
    mine = ns_inode(supervisor, "pid")
    for kid in children(supervisor):
        theirs = ns_inode(kid, "pid")
        if theirs is not None and theirs != mine and alive(kid):
            return kid
    return None


def boot_once(name, argv, log_path, timeout=120.0):
    with open(log_path, "wb") as log:
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(argv, stdin=DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=ENV)
    live.append(p)
    state, polls = "", 0
    while True:
        leader = guest_leader(p.pid)
        if leader is not None:
            r = subprocess.run([NSENTER, "-t", str(leader), "-m", "-u", "-i", "-p", "-r", "-w",
                                "/bin/systemctl", "is-system-running"],
                               stdin=DEVNULL, stdout=subprocess.PIPE, stderr=DEVNULL, env=ENV)
            polls += 1
            state = r.stdout.decode(errors="replace").strip()
            if state in ("running", "degraded"):
                t1 = time.perf_counter_ns()
                break
        if p.poll() is not None:
            explain_failure(name, argv, p.returncode, (read(log_path) or "").splitlines())
        if time.perf_counter_ns() - t0 > timeout * 1e9:
            stop(p, 20)
            live.remove(p)
            explain_failure(name, argv, f"none: no running/degraded after {timeout:.0f} s "
                            f"(last answer: {state or 'none'})", (read(log_path) or "").splitlines())
        time.sleep(0.02)

    t2 = time.perf_counter_ns()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        stop(p, 5)
        live.remove(p)
        explain_failure(name, argv, "none: did not end within 60 s of SIGTERM", (read(log_path) or "").splitlines())
    t3 = time.perf_counter_ns()
    live.remove(p)
    if rc != 0:
        explain_failure(name, argv, rc, (read(log_path) or "").splitlines())
    if alive(leader):
        warn(f"{name}: guest PID 1 ({leader}) still alive after the supervisor ended")
    log = read(log_path) or ""
    clean = any(m in log for m in ("Powering off.", "Halting system.", "System Power Off", "Reached target System Power Off"))
    settle(DEBIAN, timeout=20.0)
    return t1 - t0, t3 - t2, state, polls, clean


def bench_boot():
    out()
    out(f"== 3. boot of the Debian tree until `systemctl is-system-running` says running or degraded: "
        f"{BOOT_RUNS} boots each, interleaved")
    tools = [
        ("machined-lite", [ML, "boot", "-D", DEBIAN, "--console=read-only"]),
        ("nspawn", [NSPAWN, "-b", "-q", "--register=no", "--keep-unit", "--console=read-only", "-D", DEBIAN]),
    ]
    for name, argv in tools:
        out(f"  {name:13} {' '.join(argv)}")
    out("  (console output to a log file; polled every 20 ms with nsenter -t LEADER -m -u -i -p -r -w "
        "/bin/systemctl is-system-running; then SIGTERM to the supervisor, waited for)")
    boot = {name: [] for name, _ in tools}
    down = {name: [] for name, _ in tools}
    for i in range(BOOT_RUNS):
        for name, argv in tools:
            ns, down_ns, state, polls, clean = boot_once(name, argv, f"{WORK}/boot-{name}-{i + 1}.log")
            boot[name].append(ns)
            down[name].append(down_ns)
            out(f"  {name:13} boot {i + 1}: {fmt_ms(ns):>9} ms to '{state}' ({polls} polls), "
                f"SIGTERM to exit 0 in {fmt_ms(down_ns)} ms"
                f"{'' if clean else ' (no clean power-off message in its console log)'}")
    med = {name: statistics.median(boot[name]) for name, _ in tools}
    dmed = {name: statistics.median(down[name]) for name, _ in tools}
    ratio = med["machined-lite"] / med["nspawn"]
    dratio = dmed["machined-lite"] / dmed["nspawn"]
    out()
    out(f"  median boot to running: machined-lite {fmt_ms(med['machined-lite'])} ms, "
        f"nspawn {fmt_ms(med['nspawn'])} ms: {ratio:.2f}x")
    out(f"  median SIGTERM to exit: machined-lite {fmt_ms(dmed['machined-lite'])} ms, "
        f"nspawn {fmt_ms(dmed['nspawn'])} ms: {dratio:.2f}x")
    summary.append(
        f"boot Debian to running: machined-lite {fmt_ms(med['machined-lite'])} ms, nspawn "
        f"{fmt_ms(med['nspawn'])} ms: {ratio:.2f}x nspawn (no target set)")
    summary.append(
        f"shutdown on SIGTERM: machined-lite {fmt_ms(dmed['machined-lite'])} ms, nspawn "
        f"{fmt_ms(dmed['nspawn'])} ms: {dratio:.2f}x nspawn (no target set)")


# ---- 4. machine@ and systemd-nspawn@ under the hostbox's systemd -------------

HOSTBOX_PID = os.environ.get("BENCH_HOSTBOX_PID", "")
HOSTBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ML_MACHINE = os.environ.get("BENCH_ML_MACHINE", "")
NS_MACHINE = os.environ.get("BENCH_NS_MACHINE", "")
GUEST_NS = ("user", "net", "mnt", "pid", "uts", "ipc", "cgroup")
DOWN_MARKERS = ("Halting system.", "Powering off.", "Reached target System Halt",
                "Reached target System Power Off", "System Halt", "System Power Off")


def hostbox_argv(argv):
    """What in_hostbox of tests/system/hostbox.sh runs: the command in the hostbox's
    namespaces, with a clean environment."""
    return [NSENTER, "-t", HOSTBOX_PID, "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w",
            "/usr/bin/env", "-i", f"PATH={HOSTBOX_PATH}", "HOME=/root", "LANG=C.UTF-8",
            "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"] + argv


def hb(argv, timeout=60.0):
    """Runs a command in the hostbox: (exit status or None on a timeout, stdout, stderr, ns taken)."""
    t0 = time.perf_counter_ns()
    try:
        r = subprocess.run(hostbox_argv(argv), stdin=DEVNULL, stdout=PIPE, stderr=PIPE, env=ENV, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", f"(no answer within {timeout:.0f} s)", time.perf_counter_ns() - t0
    t1 = time.perf_counter_ns()
    return (r.returncode, r.stdout.decode(errors="replace").strip(), r.stderr.decode(errors="replace").strip(),
            t1 - t0)


def unit_props(unit, *props):
    args = ["systemctl", "show", unit]
    for prop in props:
        args += ["-p", prop]
    _, text, _, _ = hb(args)
    return dict(line.partition("=")[::2] for line in text.splitlines())


def service_failure(name, unit, what):
    _, status_text, _, _ = hb(["systemctl", "status", unit, "--no-pager", "--full", "--lines=15"])
    explain_failure(name, ["systemctl", "...", unit], what, status_text.splitlines())


def guest_facts(leader):
    """The guest's PID 1 as the hostbox sees it: namespaces of its own and shared
    with the hostbox, capability bounding set, seccomp mode, UID map."""
    script = ('for n in ' + ' '.join(GUEST_NS) + '; do '
              'if [ "$(readlink /proc/$1/ns/$n)" = "$(readlink /proc/1/ns/$n)" ]; then echo "shared $n"; '
              'else echo "own $n"; fi; done; '
              'grep -E "^(CapBnd|Seccomp):" /proc/$1/status; '
              'echo "uid_map $(head -1 /proc/$1/uid_map | tr -s " " | sed "s/^ //")"')
    rc, text, err, _ = hb(["/bin/sh", "-c", script, "sh", str(leader)])
    own, shared, facts = [], [], {}
    for line in text.splitlines():
        key, _, value = line.replace("\t", " ").partition(" ")
        if key == "own":
            own.append(value)
        elif key == "shared":
            shared.append(value)
        else:
            facts[key.rstrip(":")] = value.strip()
    return own, shared, facts


def settle_service(unit, machine, timeout=10.0):
    """Waits until machined has forgotten the machine and the unit's cgroup is gone."""
    check = (f'machinectl show {machine} >/dev/null 2>&1 && echo "machine {machine} still registered"; '
             f'test -d "/sys/fs/cgroup/machine.slice/{unit}" && echo "cgroup machine.slice/{unit} still there"; true')
    deadline = time.monotonic() + timeout
    while True:
        _, left, _, _ = hb(["/bin/sh", "-c", check])
        if not left:
            return
        if time.monotonic() > deadline:
            warn(f"{unit}: {timeout:.0f} s after systemctl stop: " + "; ".join(left.splitlines()))
            return
        time.sleep(0.05)


def dependencies_before(unit):
    """For a unit with Wants= and After= on other services (Debian's systemd-nspawn@ on
    modprobe@tun, @loop, @dm_mod): how long after the first of them left inactive the
    unit itself did, in ns, with their names; None when it has no such service."""
    _, wants, _, _ = hb(["systemctl", "show", unit, "-p", "Wants", "--value"])
    deps = [u for u in wants.split() if u.endswith(".service")]
    if not deps:
        return None
    _, text, _, _ = hb(["systemctl", "show", "-p", "Id", "-p", "InactiveExitTimestampMonotonic", unit] + deps)
    stamps, ident = {}, None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "Id":
            ident = value
        elif key == "InactiveExitTimestampMonotonic" and ident is not None and value.isdigit():
            stamps[ident] = int(value)
    firsts = [stamps[d] for d in deps if stamps.get(d)]
    if not stamps.get(unit) or not firsts:
        return None
    return (stamps[unit] - min(firsts)) * 1000, deps


def service_once(name, unit, machine, timeout=120.0):
    before = unit_props(unit, "ActiveState")
    if before.get("ActiveState") not in ("inactive", "failed"):
        warn(f"{unit} is {before.get('ActiveState')} before systemctl start")
    t0 = time.perf_counter_ns()
    rc, _, err, _ = hb(["systemctl", "start", unit], timeout=timeout)
    t1 = time.perf_counter_ns()
    if rc != 0:
        service_failure(name, unit, f"{rc} from systemctl start {unit}: {err}")
    rc, leader, err, _ = hb(["machinectl", "show", machine, "-p", "Leader", "--value"])
    if rc != 0 or not leader.isdigit():
        service_failure(name, unit, f"{rc} from machinectl show {machine} -p Leader: {leader} {err}")
    state, first, polls = "", None, 0
    while True:
        _, state, _, _ = hb(["nsenter", "-t", leader, "-m", "-u", "-i", "-p", "-C", "-r", "-w",
                             "/bin/systemctl", "is-system-running"])
        polls += 1
        if first is None:
            first = state or "no answer"
        if state in ("running", "degraded"):
            t2 = time.perf_counter_ns()
            break
        if time.perf_counter_ns() - t0 > timeout * 1e9:
            service_failure(name, unit, f"none: the guest is not running/degraded {timeout:.0f} s after "
                            f"systemctl start (last answer: {state or 'none'})")
        time.sleep(0.02)
    invocation = unit_props(unit, "InvocationID").get("InvocationID", "")
    facts = guest_facts(leader)
    waited = dependencies_before(unit)
    settings = unit_settings(unit)

    t3 = time.perf_counter_ns()
    rc, _, err, _ = hb(["systemctl", "stop", unit], timeout=timeout)
    t4 = time.perf_counter_ns()
    if rc != 0:
        service_failure(name, unit, f"{rc} from systemctl stop {unit}: {err}")
    after = unit_props(unit, "ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    if after.get("ActiveState") != "inactive" or after.get("Result") != "success":
        service_failure(name, unit, f"none: after systemctl stop, ActiveState={after.get('ActiveState')} "
                        f"Result={after.get('Result')} ExecMainStatus={after.get('ExecMainStatus')}")
    # The guest's console is the unit's output: its last words, in the hostbox's journal.
    clean = False
    if invocation:
        deadline = time.monotonic() + 3.0
        while not clean and time.monotonic() < deadline:
            _, log, _, _ = hb(["journalctl", "--no-pager", "-o", "cat", f"_SYSTEMD_INVOCATION_ID={invocation}"])
            clean = any(m in log for m in DOWN_MARKERS)
            if not clean:
                time.sleep(0.1)
    settle_service(unit, machine)
    return {"start": t1 - t0, "running": t2 - t0, "stop": t4 - t3, "state": state, "first": first,
            "polls": polls, "after": after, "clean": clean, "facts": facts, "waited": waited,
            "settings": settings}


UNIT_PROPS = ("Type", "NotifyAccess", "KillMode", "Delegate", "Slice", "TasksMax", "DevicePolicy",
              "WatchdogUSec", "TimeoutStartUSec", "TimeoutStopUSec", "LimitNOFILE", "Wants", "After")
UNIT_LISTS = ("DeviceAllow",)


def unit_settings(unit):
    """Settings of a unit, as systemctl show has them while it runs (WatchdogUSec is
    filled in only then); each a list of values."""
    args = ["systemctl", "show", unit]
    for prop in UNIT_PROPS + UNIT_LISTS:
        args += ["-p", prop]
    _, text, _, _ = hb(args)
    values = {prop: [] for prop in UNIT_PROPS + UNIT_LISTS}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in values:
            values[key].append(value)
    # RequiresMountsFor=/var/lib/machines/%i: each its own mount unit, no difference.
    values["After"] = [" ".join(u for u in " ".join(values["After"]).split()
                                if not u.strip('"').startswith("var-lib-machines-"))]
    return values


def unit_differences(ml_unit, ns_unit, seen):
    """Lines naming the settings of the two units that differ."""
    props, lists = UNIT_PROPS, UNIT_LISTS
    lines = []
    for prop in props:
        a, b = " ".join(seen[ml_unit][prop]), " ".join(seen[ns_unit][prop])
        if prop in ("Wants", "After"):
            a_set, b_set = set(a.split()), set(b.split())
            only_a = sorted(a_set - b_set)
            only_b = sorted(b_set - a_set)
            if only_a or only_b:
                lines.append(f"{prop}=: only machine@: {' '.join(only_a) or '-'}; "
                             f"only systemd-nspawn@: {' '.join(only_b) or '-'}")
        elif a != b:
            lines.append(f"{prop}=: machine@ {a or '(empty)'}, systemd-nspawn@ {b or '(empty)'}")
    for prop in lists:
        a_set, b_set = set(seen[ml_unit][prop]), set(seen[ns_unit][prop])
        if a_set != b_set:
            lines.append(f"{prop}=: only machine@: {', '.join(sorted(a_set - b_set)) or '-'}; "
                         f"only systemd-nspawn@: {', '.join(sorted(b_set - a_set)) or '-'}")
    return lines or ["none among " + ", ".join(props + lists)]


def bench_services():
    units = [
        ("machined-lite", f"machine@{ML_MACHINE}.service", ML_MACHINE),
        ("nspawn", f"systemd-nspawn@{NS_MACHINE}.service", NS_MACHINE),
    ]
    _, version, _, _ = hb(["systemctl", "--version"])
    out(f"  the hostbox's systemd: {version.splitlines()[0] if version else '?'}")
    for name, unit, machine in units:
        props = unit_props(unit, "FragmentPath", "DropInPaths")
        _, cat, _, _ = hb(["systemctl", "cat", unit])
        execs = [line for line in cat.splitlines() if line.startswith("ExecStart=") and line != "ExecStart="]
        dropins = props.get("DropInPaths") or "none"
        out(f"  {name:13} {unit}: {execs[-1] if execs else 'ExecStart=?'}")
        out(f"  {'':13} (unit {props.get('FragmentPath', '?')}, drop-ins: {dropins}; "
            f"tree /var/lib/machines/{machine})")
    harness = sorted(hb(["/bin/true"])[3] for _ in range(10))
    out(f"  (each command below runs in the hostbox like in_hostbox: nsenter -t {HOSTBOX_PID} ... env -i ...; "
        f"that alone takes {fmt_ms(statistics.median(harness))} ms, included in every figure)")
    out("  (start: systemctl start until it returns; running: from the same start until "
        "`nsenter -t LEADER -m -u -i -p -C -r -w /bin/systemctl is-system-running` in the guest says "
        "running or degraded, LEADER from machinectl show NAME -p Leader, polled every 20 ms; "
        "stop: systemctl stop until it returns, then ActiveState=inactive and Result=success are checked)")

    res = {name: [] for name, _, _ in units}
    for i in range(SERVICE_RUNS):
        for name, unit, machine in units:
            r = service_once(name, unit, machine)
            res[name].append(r)
            after = r["after"]
            out(f"  {name:13} run {i + 1}: start returned in {fmt_ms(r['start']):>8} ms, "
                f"'{r['state']}' at {fmt_ms(r['running']):>8} ms ({r['polls']} poll{'s' if r['polls'] != 1 else ''}, "
                f"first answer '{r['first']}'); stop returned in {fmt_ms(r['stop']):>8} ms: "
                f"{after.get('ActiveState')}, Result={after.get('Result')}, "
                f"{after.get('ExecMainCode')}/{after.get('ExecMainStatus')}"
                f"{'' if r['clean'] else ' (no clean halt message in its journal)'}")
            if r["waited"] is not None:
                out(f"  {'':13}        (of its start: {fmt_ms(r['waited'][0])} ms from its Wants= services "
                    f"starting to the unit itself starting: {', '.join(r['waited'][1])})")

    # What the guests got, as the hostbox sees their PID 1 (from the first run).
    out()
    _, hb_caps, _, _ = hb(["/bin/sh", "-c", "grep '^CapBnd:' /proc/1/status"])
    out(f"  guest PID 1 (hostbox's own PID 1: {hb_caps.split(':')[-1].strip() or '?'} CapBnd):")
    for name, _, _ in units:
        own, shared, facts = res[name][0]["facts"]
        out(f"  {name:13} own namespaces: {' '.join(own) or 'none'}; the hostbox's: {' '.join(shared) or 'none'}; "
            f"CapBnd {facts.get('CapBnd', '?')}, Seccomp {facts.get('Seccomp', '?')}, "
            f"uid_map '{facts.get('uid_map', '?')}'")
    ml_facts, ns_facts = res["machined-lite"][0]["facts"], res["nspawn"][0]["facts"]
    if ml_facts[1] != ns_facts[1]:
        warn(f"the guests do not share the same namespaces with the hostbox: machined-lite {ml_facts[1]}, "
             f"nspawn {ns_facts[1]}")
    same, differ = [], []
    for key, label in (("CapBnd", "capability bounding set"), ("Seccomp", "seccomp mode"),
                       ("uid_map", "UID map")):
        a, b = ml_facts[2].get(key, "?"), ns_facts[2].get(key, "?")
        (same if a == b else differ).append(f"{label} {a}" if a == b else
                                            f"{label}: machined-lite {a}, nspawn {b}")
    if ml_facts[:2] == ns_facts[:2]:
        same.insert(0, "namespaces")
    out(f"  the same for both guests: {', '.join(same) or 'nothing compared'}"
        f"{' (the seccomp filters themselves are not compared)' if ml_facts[2].get('Seccomp') == '2' else ''}")
    if differ:
        out(f"  different: {'; '.join(differ)}")
    out("  the units' remaining differences (systemctl show):")
    for line in unit_differences(units[0][1], units[1][1],
                                 {unit: res[name][0]["settings"] for name, unit, _ in units}):
        out(f"    {line}")
    waited = [r["waited"][0] for r in res["nspawn"] if r["waited"] is not None]
    if waited:
        out(f"    systemd-nspawn@ starts after its Wants= services each time: median "
            f"{fmt_ms(statistics.median(waited))} ms from their start to its own, included in its figures")

    med = {}
    for key in ("start", "running", "stop"):
        med[key] = {name: statistics.median(r[key] for r in res[name]) for name, _, _ in units}
    out()
    labels = {"start": "systemctl start returned", "running": "start to running", "stop": "systemctl stop returned"}
    for key in ("start", "running", "stop"):
        m = med[key]
        ratio = m["machined-lite"] / m["nspawn"]
        out(f"  median {labels[key] + ':':25} machined-lite {fmt_ms(m['machined-lite'])} ms, "
            f"nspawn {fmt_ms(m['nspawn'])} ms: {ratio:.2f}x")
    summary_labels = {
        "start": "systemctl start (hostbox) until it returned",
        "running": "systemctl start (hostbox) to running",
        "stop": "systemctl stop (hostbox)",
    }
    for key in ("start", "running", "stop"):
        m = med[key]
        summary.append(
            f"{summary_labels[key]}: machine@ {fmt_ms(m['machined-lite'])} ms, systemd-nspawn@ "
            f"{fmt_ms(m['nspawn'])} ms: {m['machined-lite'] / m['nspawn']:.2f}x nspawn (no target set)")

    # Nothing of the machines left in the hostbox.
    _, left, _, _ = hb(["/bin/sh", "-c",
                        "systemctl list-units --all --no-legend --plain 'machine@*' 'systemd-nspawn@*' "
                        "| grep -v ' inactive '; machinectl list --no-legend; "
                        "find /sys/fs/cgroup/machine.slice -mindepth 1 -type d 2>/dev/null; true"])
    if left:
        warn("left in the hostbox after the last stop: " + "; ".join(left.splitlines()))


def hostbox_shell_once(argv, timeout=30.0):
    """A command in the hostbox, once: None when it exited 0, else its one-line reason."""
    rc, text, err, _ = hb(argv, timeout=timeout)
    if rc == 0:
        return None
    lines = [line.strip() for line in (err + "\n" + text).splitlines() if line.strip()]
    what = "no exit" if rc is None else f"exit status {rc}"
    return f"{what}: {lines[-1] if lines else '(no output)'}"


def bench_hostbox_shell():
    """Section 8's part in the hostbox (printed by section 8): machinectl shell MACHINE
    /bin/true for the machine of machine@, against machined-lite shell of the same
    machine and nsenter -a into it, interleaved; kept in later["hostbox_shell"]."""
    unit, machine = f"machine@{ML_MACHINE}.service", ML_MACHINE
    lines = []
    t0 = time.perf_counter_ns()
    rc, _, err, _ = hb(["systemctl", "start", unit], timeout=120.0)
    if rc != 0:
        service_failure("machined-lite", unit, f"{rc} from systemctl start {unit}: {err}")
    rc, leader, err, _ = hb(["machinectl", "show", machine, "-p", "Leader", "--value"])
    if rc != 0 or not leader.isdigit():
        service_failure("machined-lite", unit, f"{rc} from machinectl show {machine} -p Leader: {leader} {err}")
    state = ""
    while state not in ("running", "degraded"):
        if time.perf_counter_ns() - t0 > 120e9:
            service_failure("machined-lite", unit, f"none: the guest is not running/degraded 120 s after "
                            f"systemctl start (last answer: {state or 'none'})")
        time.sleep(0.02)
        _, state, _, _ = hb(["nsenter", "-t", leader, "-m", "-u", "-i", "-p", "-C", "-r", "-w",
                             "/bin/systemctl", "is-system-running"])
    lines.append(f"in the hostbox: systemctl start {unit}: '{state}' after "
                 f"{(time.perf_counter_ns() - t0) / 1e9:.2f} s (guest PID 1 in the hostbox: {leader})")
    commands = [
        ("machinectl shell", ["machinectl", "-q", "shell", machine, "/bin/true"]),
        ("machined-lite shell", ["machined-lite", "shell", machine, "--", "/bin/true"]),
        ("nsenter -a", ["nsenter", "-a", "-t", leader, "/bin/true"]),
    ]
    usable = []
    for name, argv in commands:
        reason = hostbox_shell_once(argv)
        if reason is None:
            usable.append((name, argv))
            lines.append(f"  {name:20} {' '.join(argv)}")
        else:
            lines.append(f"  {name:20} {' '.join(argv)}: cannot run here (tried once, not measured): {reason}")
    harness = sorted(hb(["/bin/true"])[3] for _ in range(10))
    lines.append(f"  (each through nsenter -t HOSTBOX ... env -i, as in section 4: that alone takes "
                 f"{fmt_ms(statistics.median(harness))} ms, included in every figure; "
                 f"one untimed warm-up run each; {RUNS} runs each, interleaved)")
    times = {name: [] for name, _ in usable}
    for i in range(RUNS + 1):
        for name, argv in usable:
            rc, text, err, ns = hb(argv, timeout=30.0)
            if rc != 0:
                lines.append(f"  {name}: run {i} failed ({'no exit within 30 s' if rc is None else f'exit status {rc}'}"
                             f"{': ' + err.splitlines()[-1] if err else ''}): not measured further")
                usable = [u for u in usable if u[0] != name]
                times.pop(name)
                break
            if i > 0:
                times[name].append(ns)
    rc, _, err, _ = hb(["systemctl", "stop", unit], timeout=120.0)
    if rc != 0:
        service_failure("machined-lite", unit, f"{rc} from systemctl stop {unit}: {err}")
    after = unit_props(unit, "ActiveState", "Result")
    if after.get("ActiveState") != "inactive" or after.get("Result") != "success":
        service_failure("machined-lite", unit, f"none: after systemctl stop, ActiveState={after.get('ActiveState')} "
                        f"Result={after.get('Result')}")
    settle_service(unit, machine)
    med = {name: statistics.median(v) for name, v in times.items() if v}
    lines.append("")
    lines.append(f"  {'command':20} {'median ms':>10} {'min ms':>9} {'max ms':>9}")
    for name, v in times.items():
        if v:
            lines.append(f"  {name:20} {fmt_ms(med[name]):>10} {fmt_ms(min(v)):>9} {fmt_ms(max(v)):>9}")
    text = None
    if "machinectl shell" in med:
        mc = med["machinectl shell"]
        if "machined-lite shell" in med:
            lines.append(f"  machined-lite shell / machinectl shell: {med['machined-lite shell'] / mc:.2f}x")
        if "nsenter -a" in med:
            lines.append(f"  machinectl shell / nsenter -a: {mc / med['nsenter -a']:.2f}x")
        text = (f"machinectl shell (hostbox, machine@) {fmt_ms(mc)} ms"
                + (f", machined-lite shell there {fmt_ms(med['machined-lite shell'])} ms: "
                   f"{med['machined-lite shell'] / mc:.2f}x machinectl" if "machined-lite shell" in med else ""))
    lines.append(f"in the hostbox: systemctl stop {unit}: {after.get('ActiveState')}, Result={after.get('Result')}")
    later["hostbox_shell"] = {"lines": lines, "summary": text}
    out()
    out("  (machinectl shell, section 8's part in the hostbox, measured now while it is up: printed in section 8)")


# ---- 5. a GPT disk image against the same tree as a directory ----------------

IMAGE = os.environ.get("BENCH_IMAGE", "")
IMAGE_MACHINE = "ml-bench-image"
NSPAWN_IMAGE_TIMEOUT = 20.0


def image_busy(image):
    """Why a run could not take the image now: a loop device still backed by it, or
    its BSD lock (machined-lite's, systemd-nspawn's) still held; None when free."""
    loops = []
    for dev in sorted(os.listdir("/sys/block")):
        backing = (read(f"/sys/block/{dev}/loop/backing_file") or "").strip()
        if backing == image or backing == image + " (deleted)":
            loops.append(f"/dev/{dev}")
    if loops:
        return f"loop device {', '.join(loops)} still attached to it"
    fd = os.open(image, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return "its lock still held"
    finally:
        os.close(fd)
    return None


def settle_image(image, name, timeout=10.0):
    """settle() for an image, then until the image is free again (its loop device goes
    away with the guest's mounts, asynchronously); the ns that all took."""
    t0 = time.perf_counter_ns()
    settle(image, timeout, name)
    deadline = time.monotonic() + timeout
    while True:
        busy = image_busy(image)
        if busy is None:
            return time.perf_counter_ns() - t0
        if time.monotonic() > deadline:
            warn(f"{image}: {timeout:.0f} s after the command ended: {busy}")
            return time.perf_counter_ns() - t0
        time.sleep(0.001)


def nspawn_image_probe(argv):
    """systemd-nspawn -i, once: None when it ran /bin/true, else its one-line reason."""
    p = subprocess.Popen(argv, stdin=DEVNULL, stdout=PIPE, stderr=subprocess.STDOUT, env=ENV)
    live.append(p)
    try:
        text, _ = p.communicate(timeout=NSPAWN_IMAGE_TIMEOUT)
    except subprocess.TimeoutExpired:
        stop(p, 10)
        live.remove(p)
        return f"no exit within {NSPAWN_IMAGE_TIMEOUT:.0f} s (stopped)"
    live.remove(p)
    if p.returncode == 0:
        return None
    lines = [line.strip() for line in text.decode(errors="replace").splitlines() if line.strip()]
    return f"exit status {p.returncode}: {lines[-1] if lines else '(no output)'}"


def bench_image():
    out()
    out(f"== 5. /bin/true from a GPT disk image against the same busybox tree as a directory: "
        f"{RUNS} runs each, interleaved")
    commands = [
        ("directory", [ML, "run", "-q", "--console=pipe", "-D", BUSYBOX, "--", "/bin/true"]),
        ("image", [ML, "run", "-q", "--console=pipe", "-i", IMAGE, "-M", IMAGE_MACHINE, "--", "/bin/true"]),
    ]
    for name, argv in commands:
        out(f"  {name:13} {' '.join(argv)}")
    probe = [NSPAWN, "-q", "--register=no", "--keep-unit", "-i", IMAGE, "/bin/true"]
    reason = nspawn_image_probe(probe)
    settle_image(IMAGE, IMAGE_MACHINE)
    if reason is None:
        commands.append(("nspawn -i", probe))
        out(f"  {'nspawn -i':13} {' '.join(probe)}")
    else:
        out(f"  {'nspawn -i':13} {' '.join(probe)}: cannot run here (tried once, "
            f"not measured): {reason}")
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each; after each image run, "
        "an untimed wait until the image's loop device is gone and its lock free)")

    times = {name: [] for name, _ in commands}
    freed = []
    for i in range(RUNS + 1):
        for name, argv in commands:
            rc, ns = timed_ns(argv)
            if rc != 0:
                rc2, log = rerun_for_errors(argv)
                explain_failure(name, argv, rc, [f"(run again to show its output: status {rc2})"] + log)
            if name == "directory":
                settle(BUSYBOX)
            else:
                free_ns = settle_image(IMAGE, IMAGE_MACHINE)
                if name == "image" and i > 0:
                    freed.append(free_ns)
            if i > 0:
                times[name].append(ns)

    med = {name: statistics.median(v) for name, v in times.items()}
    out()
    out(f"  {'command':13} {'median ms':>10} {'min ms':>9} {'max ms':>9}")
    for name, _ in commands:
        v = times[name]
        out(f"  {name:13} {fmt_ms(med[name]):>10} {fmt_ms(min(v)):>9} {fmt_ms(max(v)):>9}")
    ratio = med["image"] / med["directory"]
    out(f"  image / directory: {ratio:.2f}x")
    out(f"  image - directory: +{fmt_ms(med['image'] - med['directory'])} ms, what the image path costs: "
        "attaching a loop device to the root partition, libblkid's dissection of the GPT and of the ext4 "
        "in it, and the mount are in the image figure")
    out(f"  (after machined-lite exited, the image was free again in a median {fmt_ms(statistics.median(freed))} ms: "
        "its loop device goes with the guest's mounts; not in the figure)")
    if reason is None:
        r_ns = med["image"] / med["nspawn -i"]
        out(f"  image / nspawn -i: {r_ns:.2f}x")
        ns_text = f"nspawn -i {fmt_ms(med['nspawn -i'])} ms: {r_ns:.2f}x nspawn -i"
    else:
        ns_text = f"nspawn -i cannot run here: {reason}"
    summary.append(
        f"run /bin/true from a GPT image: machined-lite {fmt_ms(med['image'])} ms, from the directory "
        f"{fmt_ms(med['directory'])} ms: {ratio:.2f}x directory (no target set); {ns_text}")


# ---- 6. ephemeral boot and run (-x) ---------------------------------------------

def tree_facts(path):
    """A tree's size in MiB (du) and the type of the file system it is on (findmnt)."""
    r = subprocess.run(["du", "-s", "-x", "--block-size=1M", path], stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
    size = r.stdout.decode().split()[0] if r.returncode == 0 and r.stdout else "?"
    r = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "-T", path], stdin=DEVNULL, stdout=PIPE,
                       stderr=DEVNULL)
    fs = " on ".join(r.stdout.decode().split()) if r.returncode == 0 else "?"
    return size, fs


def nspawn_copies(tree):
    """What systemd-nspawn -x leaves next to the tree when its copy (.#machine.NAMEXXXX
    in the tree's directory) is not removed; and anything else named .#*."""
    parent = os.path.dirname(tree)
    return sorted(os.path.join(parent, e) for e in os.listdir(parent) if e.startswith(".#"))


def check_no_copies(name, tree):
    left = nspawn_copies(tree)
    if left:
        warn(f"{name}: left next to the tree after it ended: {', '.join(left)}")


def bench_ephemeral():
    out()
    out(f"== 6. ephemeral (-x) boot of the Debian tree until running, against our boot without -x and "
        f"systemd-nspawn -x: {BOOT_RUNS} boots each, interleaved")
    size, fs = tree_facts(DEBIAN)
    out(f"  the tree: {DEBIAN}, {size} MiB, {fs} (systemd-nspawn -x copies it next to itself each time, "
        "machined-lite -x mounts an overlay with its upper layer on a tmpfs)")
    tools = [
        ("machined-lite -x", [ML, "boot", "-x", "-D", DEBIAN, "--console=read-only"]),
        ("machined-lite", [ML, "boot", "-D", DEBIAN, "--console=read-only"]),
        ("nspawn -x", [NSPAWN, "-x", "-b", "-q", "--register=no", "--keep-unit", "--console=read-only", "-D", DEBIAN]),
    ]
    for name, argv in tools:
        out(f"  {name:16} {' '.join(argv)}")
    out("  (as in section 3: console output to a log file; polled every 20 ms with nsenter -t LEADER -m -u -i -p "
        "-r -w /bin/systemctl is-system-running; then SIGTERM to the supervisor, waited for)")
    boot = {name: [] for name, _ in tools}
    down = {name: [] for name, _ in tools}
    for i in range(BOOT_RUNS):
        for name, argv in tools:
            slug = name.replace(" ", "").replace("-x", "-ephemeral")
            ns, down_ns, state, polls, clean = boot_once(name, argv, f"{WORK}/boot-{slug}-{i + 1}.log")
            check_no_copies(name, DEBIAN)
            boot[name].append(ns)
            down[name].append(down_ns)
            out(f"  {name:16} boot {i + 1}: {fmt_ms(ns):>9} ms to '{state}' ({polls} polls), "
                f"SIGTERM to exit 0 in {fmt_ms(down_ns)} ms"
                f"{'' if clean else ' (no clean power-off message in its console log)'}")
    med = {name: statistics.median(boot[name]) for name, _ in tools}
    dmed = {name: statistics.median(down[name]) for name, _ in tools}
    eph, ours, nsx = med["machined-lite -x"], med["machined-lite"], med["nspawn -x"]
    ratio, ns_ratio = eph / ours, nsx / eph
    out()
    out(f"  median boot to running: machined-lite -x {fmt_ms(eph)} ms, machined-lite {fmt_ms(ours)} ms, "
        f"nspawn -x {fmt_ms(nsx)} ms")
    out(f"  median SIGTERM to exit: machined-lite -x {fmt_ms(dmed['machined-lite -x'])} ms, machined-lite "
        f"{fmt_ms(dmed['machined-lite'])} ms, nspawn -x {fmt_ms(dmed['nspawn -x'])} ms")
    out(f"  machined-lite -x / machined-lite: {ratio:.2f}x (target <= {TARGET_EPHEMERAL_RATIO:.2f}x: "
        f"{'met' if ratio <= TARGET_EPHEMERAL_RATIO else 'NOT met'})")
    out(f"  nspawn -x / machined-lite -x:     {ns_ratio:.2f}x")
    summary.append(
        f"boot Debian -x to running: machined-lite -x {fmt_ms(eph)} ms, without -x {fmt_ms(ours)} ms: "
        f"{ratio:.2f}x (target <= {TARGET_EPHEMERAL_RATIO:.2f}x: "
        f"{'met' if ratio <= TARGET_EPHEMERAL_RATIO else 'NOT met'}); nspawn -x {fmt_ms(nsx)} ms: "
        f"{ns_ratio:.2f}x ours -x")

    # /bin/true: cheap for us, more rounds; systemd-nspawn -x copies the tree each
    # time, so it (and nspawn without -x, for its own ratio) runs in the first
    # BOOT_RUNS rounds only.
    ns_rounds = min(BOOT_RUNS, RUNS)
    out()
    out(f"  /bin/true in the same tree: machined-lite run -x and run, {RUNS} runs each; systemd-nspawn -x and "
        f"without -x in the first {ns_rounds} of those rounds; interleaved")
    commands = [
        ("run -x", [ML, "run", "-q", "--console=pipe", "-x", "-D", DEBIAN, "--", "/bin/true"], RUNS),
        ("run", [ML, "run", "-q", "--console=pipe", "-D", DEBIAN, "--", "/bin/true"], RUNS),
        ("nspawn -x", [NSPAWN, "-q", "--register=no", "--keep-unit", "-x", "-D", DEBIAN, "/bin/true"], ns_rounds),
        ("nspawn", [NSPAWN, "-q", "--register=no", "--keep-unit", "-D", DEBIAN, "/bin/true"], ns_rounds),
    ]
    for name, argv, _ in commands:
        out(f"  {name:16} {' '.join(argv)}")
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each, but for nspawn -x)")
    times = {name: [] for name, _, _ in commands}
    for i in range(RUNS + 1):
        for name, argv, rounds in commands:
            if i > rounds or (i == 0 and name == "nspawn -x"):
                continue
            rc, ns = timed_ns(argv)
            if rc != 0:
                rc2, log = rerun_for_errors(argv)
                explain_failure(name, argv, rc, [f"(run again to show its output: status {rc2})"] + log)
            settle(DEBIAN)
            if name == "nspawn -x":
                check_no_copies(name, DEBIAN)
            if i > 0:
                times[name].append(ns)
    med = {name: statistics.median(v) for name, v in times.items()}
    out()
    out(f"  {'command':16} {'median ms':>10} {'min ms':>9} {'max ms':>9} {'runs':>5}")
    for name, _, _ in commands:
        v = times[name]
        out(f"  {name:16} {fmt_ms(med[name]):>10} {fmt_ms(min(v)):>9} {fmt_ms(max(v)):>9} {len(v):>5}")
    r_ours, r_ns, r_x = med["run -x"] / med["run"], med["nspawn -x"] / med["nspawn"], med["nspawn -x"] / med["run -x"]
    out(f"  run -x / run:        {r_ours:.2f}x")
    out(f"  nspawn -x / nspawn:  {r_ns:.2f}x")
    out(f"  nspawn -x / run -x:  {r_x:.2f}x")
    summary.append(
        f"run /bin/true -x in the Debian tree: machined-lite -x {fmt_ms(med['run -x'])} ms, without -x "
        f"{fmt_ms(med['run'])} ms: {r_ours:.2f}x (no target set); nspawn -x {fmt_ms(med['nspawn -x'])} ms, "
        f"{r_ns:.2f}x its own {fmt_ms(med['nspawn'])} ms without -x, {r_x:.2f}x ours -x")


# ---- 7. import-tar against tar -x ----------------------------------------------

MACHINES_DIR = "/var/lib/machines"
IMPORT_NAME = "ml-bench-import"
TAR_NAME = "ml-bench-tar"
DEBIAN_SRC = os.environ.get("BENCH_DEBIAN_SRC", "")


def verb_missing(verb):
    """None when the binary knows the verb; else what it said (an "Unknown verb" exit 2)."""
    r = subprocess.run([ML, verb, "--help"], stdin=DEVNULL, stdout=PIPE, stderr=subprocess.STDOUT, env=ENV)
    text = r.stdout.decode(errors="replace").strip()
    if r.returncode == 2 and "Unknown verb" in text:
        return f"exit status 2: {text.splitlines()[-1]}"
    return None


def import_leftovers():
    """Section 7's names in /var/lib/machines: the two trees, import-tar's .#NAME.XXXXXX."""
    try:
        entries = os.listdir(MACHINES_DIR)
    except FileNotFoundError:
        return []
    return sorted(os.path.join(MACHINES_DIR, e) for e in entries
                  if e in (IMPORT_NAME, TAR_NAME) or e.startswith(f".#{IMPORT_NAME}."))


def tree_manifest(path):
    """Every entry of a tree: name, type, mode, owner, group, size (not of directories),
    mtime, symlink target; sorted."""
    r = subprocess.run(["find", path, "-printf", "%P\\0%y\\0%m\\0%U\\0%G\\0%s\\0%T@\\0%l\\0\\0"],
                       stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
    entries = []
    for record in r.stdout.split(b"\0\0"):
        if not record:
            continue
        f = record.split(b"\0")
        if f[1] == b"d":
            f[5] = b"-"
        entries.append(b" ".join(f).decode(errors="replace"))
    return sorted(entries)


def bench_import():
    out()
    out(f"== 7. import-tar of an uncompressed tarball of the Debian tree against tar -x of it: "
        f"{BOOT_RUNS} runs each, interleaved")
    missing = verb_missing("import-tar")
    if missing:
        out(f"  not run: {ML} has no import-tar verb ({missing})")
        summary.append("import-tar: not run: the binary has no import-tar verb")
        return
    taken = import_leftovers()
    if taken:
        out(f"  not run: {', '.join(taken)} there already (not ours to replace)")
        summary.append(f"import-tar: not run: {', '.join(taken)} there already")
        return
    os.makedirs(MACHINES_DIR, mode=0o700, exist_ok=True)
    tree = DEBIAN_SRC or DEBIAN
    tarball = os.path.join(WORK, "debian.tar")
    tar_argv = ["tar", "-C", tree, "--xattrs", "--xattrs-include=*", "-cf", tarball, "."]
    t0 = time.perf_counter_ns()
    r = subprocess.run(tar_argv, stdin=DEVNULL, stdout=PIPE, stderr=subprocess.STDOUT, env=ENV)
    t1 = time.perf_counter_ns()
    if r.returncode != 0:
        explain_failure("tar -c", tar_argv, r.returncode, r.stdout.decode(errors="replace").splitlines())
    same_fs = os.stat(WORK).st_dev == os.stat(MACHINES_DIR).st_dev
    _, fs = tree_facts(MACHINES_DIR)
    out(f"  tarball: {tarball}, {os.path.getsize(tarball) / 1048576:.0f} MiB, uncompressed, made once with "
        f"{' '.join(tar_argv[:4])} '--xattrs-include=*' {' '.join(tar_argv[5:])} in {(t1 - t0) / 1e9:.2f} s (untimed); "
        f"{'on the same file system as' if same_fs else 'NOT on the same file system as'} {MACHINES_DIR} ({fs})")
    import_path = os.path.join(MACHINES_DIR, IMPORT_NAME)
    tar_path = os.path.join(MACHINES_DIR, TAR_NAME)
    commands = [
        ("import-tar", [ML, "import-tar", "-q", tarball, IMPORT_NAME], import_path),
        ("tar -x", ["/bin/sh", "-c", 'mkdir "$1" && exec tar --xattrs --xattrs-include="*" -xpf "$2" -C "$1"',
                    "sh", tar_path, tarball], tar_path),
    ]
    out(f"  {'import-tar':13} {' '.join(commands[0][1])}")
    out(f"  {'tar -x':13} mkdir {tar_path} && tar --xattrs --xattrs-include='*' -xpf {tarball} -C {tar_path}")
    out("  (stdin, stdout and stderr on /dev/null; sync before each run, untimed; the sync right after each run "
        "timed apart (import-tar syncs the file system itself before it renames the tree into place, tar does "
        "not); the tree removed after each run, untimed; no warm-up run: the tarball was just written, "
        "it is in the page cache)")
    times = {name: [] for name, _, _ in commands}
    synced = {name: [] for name, _, _ in commands}
    manifests = {}
    for i in range(BOOT_RUNS):
        for name, argv, path in commands:
            subprocess.call(["sync"])
            rc, ns = timed_ns(argv)
            _, sync_ns = timed_ns(["sync"])
            if rc != 0:
                subprocess.call(["rm", "-rf", "--one-file-system", path])
                rc2, log = rerun_for_errors(argv)
                subprocess.call(["rm", "-rf", "--one-file-system", path])
                explain_failure(name, argv, rc, [f"(run again to show its output: status {rc2})"] + log)
            if not os.path.isdir(path):
                explain_failure(name, argv, f"0, but no tree {path}")
            if i == 0:
                manifests[name] = tree_manifest(path)
            subprocess.call(["rm", "-rf", "--one-file-system", path])
            left = import_leftovers()
            if left:
                warn(f"{name}: left in {MACHINES_DIR} after its tree was removed: {', '.join(left)}")
            times[name].append(ns)
            synced[name].append(ns + sync_ns)
            out(f"  {name:13} run {i + 1}: {fmt_ms(ns):>9} ms, the sync after it {fmt_ms(sync_ns):>8} ms")
    a, b = manifests["import-tar"], manifests["tar -x"]
    if a == b:
        out(f"  the two trees (first run) match: {len(a)} entries, the same names, types, modes, owners, "
            "sizes, mtimes and symlink targets")
    else:
        sa, sb = set(a), set(b)
        only_a, only_b = sorted(sa - sb), sorted(sb - sa)
        warn(f"the trees of import-tar and tar -x differ: {len(only_a)} entries only in import-tar's "
             f"(first: {only_a[:2]}), {len(only_b)} only in tar's (first: {only_b[:2]})")
    med = {name: statistics.median(v) for name, v in times.items()}
    smed = {name: statistics.median(v) for name, v in synced.items()}
    ratio = med["import-tar"] / med["tar -x"]
    sratio = smed["import-tar"] / smed["tar -x"]
    out()
    out(f"  median: import-tar {fmt_ms(med['import-tar'])} ms, tar -x {fmt_ms(med['tar -x'])} ms: {ratio:.2f}x "
        f"(target <= {TARGET_IMPORT_RATIO:.2f}x: {'met' if ratio <= TARGET_IMPORT_RATIO else 'NOT met'})")
    out(f"  median with the sync after it: import-tar {fmt_ms(smed['import-tar'])} ms, tar -x "
        f"{fmt_ms(smed['tar -x'])} ms: {sratio:.2f}x")
    summary.append(
        f"import-tar of a {os.path.getsize(tarball) / 1048576:.0f} MiB tarball: machined-lite "
        f"{fmt_ms(med['import-tar'])} ms, tar -x {fmt_ms(med['tar -x'])} ms: {ratio:.2f}x tar (target <= "
        f"{TARGET_IMPORT_RATIO:.2f}x: {'met' if ratio <= TARGET_IMPORT_RATIO else 'NOT met'}); with the sync "
        f"after it {fmt_ms(smed['import-tar'])} ms against {fmt_ms(smed['tar -x'])} ms: {sratio:.2f}x")
    os.unlink(tarball)


# ---- 8. a command in a running machine: shell against nsenter -------------------

SHELL_MACHINE = "ml-bench-shell"
STATE_DIR = "/run/machined-lite/machines"


def state_file(name):
    text = read(os.path.join(STATE_DIR, name)) or ""
    return dict(line.partition("=")[::2] for line in text.splitlines() if "=" in line and not line.startswith("#"))


def bench_shell_host():
    if os.path.exists(os.path.join(STATE_DIR, SHELL_MACHINE)):
        out(f"  not run here: a machine {SHELL_MACHINE} runs already (not ours)")
        summary.append(f"shell: not run: a machine {SHELL_MACHINE} runs already")
        return
    argv = [ML, "boot", "-q", "--console=read-only", "-M", SHELL_MACHINE, "-D", BUSYBOX, "--read-only"]
    log_path = f"{WORK}/shell-console.log"
    out(f"  the machine: {' '.join(argv)}")
    with open(log_path, "wb") as log:
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(argv, stdin=DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=ENV)
    live.append(p)
    leader = None
    while True:
        if p.poll() is not None:
            live.remove(p)
            explain_failure("machined-lite boot", argv, p.returncode, (read(log_path) or "").splitlines())
        if leader is None:
            r = subprocess.run([ML, "status", SHELL_MACHINE], stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL, env=ENV)
            for line in r.stdout.decode(errors="replace").splitlines():
                key, _, value = line.strip().partition(":")
                if key == "Leader" and value.split() and value.split()[0].isdigit():
                    leader = int(value.split()[0])
        if leader is not None and "busybox-init-booted" in (read(log_path) or ""):
            break
        if time.perf_counter_ns() - t0 > 20e9:
            stop(p, 20)
            live.remove(p)
            explain_failure("machined-lite boot", argv, "none: not up 20 s after it started",
                            (read(log_path) or "").splitlines())
        time.sleep(0.01)
    st = state_file(SHELL_MACHINE)
    if st.get("LEADER") != str(leader):
        warn(f"{SHELL_MACHINE}: status says leader {leader}, {STATE_DIR}/{SHELL_MACHINE} LEADER={st.get('LEADER')}")
    cgroup = st.get("CGROUP", "")
    out(f"  up in {(time.perf_counter_ns() - t0) / 1e6:.0f} ms (untimed): leader PID {leader} "
        f"(machined-lite status; the state file agrees), cgroup {cgroup or '?'}")
    commands = [
        ("machined-lite shell", [ML, "shell", SHELL_MACHINE, "--", "/bin/true"]),
        ("nsenter -a", [NSENTER, "-a", "-t", str(leader), "/bin/true"]),
    ]
    for name, argv in commands:
        out(f"  {name:20} {' '.join(argv)}")
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each)")
    # What a shell could leave in the machine: a process, a cgroup in the machine's.
    def in_machine():
        found = {f"process {pid} ({cmdline(pid) or comm(pid)})" for pid in children(leader)}
        if cgroup and os.path.isdir(cgroup):
            found |= {f"cgroup {os.path.join(d, e)}" for d, dirs, _ in os.walk(cgroup) for e in dirs}
        return found
    before = in_machine()
    times = {name: [] for name, _ in commands}
    for i in range(RUNS + 1):
        for name, argv in commands:
            rc, ns = timed_ns(argv)
            if rc != 0:
                rc2, log = rerun_for_errors(argv)
                explain_failure(name, argv, rc, [f"(run again to show its output: status {rc2})"] + log)
            if i > 0:
                times[name].append(ns)
    harness = []
    for _ in range(RUNS):
        rc, ns = timed_ns(["/bin/true"])
        harness.append(ns)
    lingering = sorted(in_machine() - before)
    if lingering:
        warn(f"{SHELL_MACHINE}: in the machine after the last shell, not before the first: {'; '.join(lingering)}")

    t1 = time.perf_counter_ns()
    r = subprocess.run([ML, "stop", SHELL_MACHINE], stdin=DEVNULL, stdout=PIPE, stderr=subprocess.STDOUT, env=ENV)
    t2 = time.perf_counter_ns()
    if r.returncode != 0:
        stop(p, 20)
        live.remove(p)
        explain_failure("machined-lite stop", [ML, "stop", SHELL_MACHINE], r.returncode,
                        r.stdout.decode(errors="replace").splitlines())
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stop(p, 5)
        live.remove(p)
        explain_failure("machined-lite boot", argv, "none: still running 30 s after machined-lite stop returned",
                        (read(log_path) or "").splitlines())
    live.remove(p)
    if rc != 0:
        explain_failure("machined-lite boot", argv, rc, (read(log_path) or "").splitlines())
    settle(BUSYBOX, name=SHELL_MACHINE)
    if os.path.exists(os.path.join(STATE_DIR, SHELL_MACHINE)):
        warn(f"{STATE_DIR}/{SHELL_MACHINE} still there after the machine ended")

    med = {name: statistics.median(v) for name, v in times.items()}
    out()
    out(f"  {'command':20} {'median ms':>10} {'min ms':>9} {'max ms':>9}")
    for name, _ in commands:
        v = times[name]
        out(f"  {name:20} {fmt_ms(med[name]):>10} {fmt_ms(min(v)):>9} {fmt_ms(max(v)):>9}")
    out(f"  (spawning /bin/true on the host the same way takes {fmt_ms(statistics.median(harness))} ms, "
        "included in each figure)")
    ratio = med["machined-lite shell"] / med["nsenter -a"]
    out(f"  machined-lite shell / nsenter -a: {ratio:.2f}x")
    out(f"  machined-lite stop {SHELL_MACHINE}: returned in {fmt_ms(t2 - t1)} ms, the machine's supervisor "
        f"exited {rc}")
    summary.append(
        f"shell NAME -- /bin/true: machined-lite {fmt_ms(med['machined-lite shell'])} ms, nsenter -a "
        f"{fmt_ms(med['nsenter -a'])} ms: {ratio:.2f}x nsenter (no target set)")


def bench_shell():
    out()
    out(f"== 8. /bin/true in a running machine: machined-lite shell against nsenter -a into the busybox machine: "
        f"{RUNS} runs each, interleaved; machinectl shell in the hostbox")
    missing = verb_missing("shell")
    if missing:
        out(f"  not run here: {ML} has no shell verb ({missing})")
        summary.append("shell: not run: the binary has no shell verb")
    else:
        bench_shell_host()
    out()
    hbs = later.get("hostbox_shell")
    if hbs is None:
        out("  machinectl shell in the hostbox: not measured: section 4's hostbox did not run to its end")
        return
    out("  machinectl shell in the hostbox (measured during section 4, on its machine@ machine; "
        "through nsenter into the hostbox, as section 4's commands):")
    for line in hbs["lines"]:
        out(f"  {line}" if line else "")
    if hbs["summary"]:
        summary.append(f"shell in the hostbox: {hbs['summary']}")


def interrupted(signum, frame):
    # Once: a second signal must not cut the cleanup short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def load_state():
    try:
        with open(STATE) as f:
            state = json.load(f)
    except FileNotFoundError:
        return
    summary[:] = state["summary"]
    warnings[:] = state["warnings"]
    later.update(state.get("later", {}))


def save_state():
    with open(STATE + ".tmp", "w") as f:
        json.dump({"summary": summary, "warnings": warnings, "later": later}, f)
    os.replace(STATE + ".tmp", STATE)


def print_summary(rc):
    # Warnings from run-bench.sh itself (the hostbox's setup or shutdown), one a line.
    for line in os.environ.get("BENCH_EXTRA_WARNINGS", "").splitlines():
        if line.strip():
            warnings.append(line.strip())
    out()
    out("== summary")
    for line in summary:
        out(f"  {line}")
    for w in warnings:
        out(f"  WARNING: {w}")
    if rc == 0 and not warnings:
        out("  nothing left behind by the commands measured")
    return rc


def main():
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    load_state()
    if PHASE == "summary":
        return print_summary(int(os.environ.get("BENCH_RC", "0")))
    rc = 0
    try:
        phases = {
            "host": [(1, bench_true), (2, bench_memory), (3, bench_boot)],
            "image": [(5, bench_image)],
            "extra": [(6, bench_ephemeral), (7, bench_import), (8, bench_shell)],
            "hostbox": [(4, bench_services), (4, bench_hostbox_shell)],
        }
        for n, bench in phases[PHASE]:
            if section_on(n):
                bench()
    except CommandFailed as e:
        out(f"\nrun-bench: a command under test failed ({e}): stopping")
        rc = 1
    except KeyboardInterrupt:
        out("\nrun-bench: interrupted: stopping what runs")
        rc = 130
    finally:
        for p in list(live):
            stop(p, 30)
        save_state()
    return rc


sys.exit(main())
PYTHON

# run_phase PHASE [VAR=VALUE...]: runs bench.py for one phase (host: sections 1-3;
# hostbox: section 4; image: section 5; summary), in the background, so that an INT
# or TERM to this script reaches it at once: it then stops the commands it started,
# and we wait for that. Returns its exit status.
run_phase() {
        local phase=$1 rc
        shift
        env BENCH_PHASE="$phase" BENCH_BUSYBOX_TREE="$BUSYBOX_TREE" BENCH_DEBIAN_TREE="$DEBIAN_TREE" \
                BENCH_RUNS="$RUNS" BENCH_BOOT_RUNS="$BOOT_RUNS" BENCH_SERVICE_RUNS="$SERVICE_RUNS" \
                BENCH_WORK="$WORK" "$@" "$PYTHON" "$WORK/bench.py" &
        PY_PID=$!
        trap 'kill -TERM "$PY_PID" 2>/dev/null' INT TERM
        while :; do
                rc=0
                wait "$PY_PID" || rc=$?
                kill -0 "$PY_PID" 2>/dev/null || break
        done
        PY_PID=
        trap 'on_signal 130' INT
        trap 'on_signal 143' TERM
        return "$rc"
}

# indent FILE: a file's lines as part of a section.
indent() {
        sed 's/^/  /' "$1"
}

# hostbox_setup: section 4's host: a copy of the Debian tree for systemd-nspawn@
# (of ours after section 3, so that both trees have been booted as often), the
# hostbox with both trees bound at /var/lib/machines/NAME, our build installed,
# the drop-in for systemd-nspawn@, systemd-machined started (D-Bus activated: not
# to be paid by the first unit measured). Returns 1 after saying why when it fails.
hostbox_setup() {
        local rc=0
        NS_DEBIAN_TREE=$WORK/ml-bench-debian-nspawn
        cp -a --reflink=auto "$DEBIAN_TREE" "$NS_DEBIAN_TREE" ||
                { echo "  copying $DEBIAN_TREE to $NS_DEBIAN_TREE failed"; return 1; }
        echo "  trees: $DEBIAN_TREE as /var/lib/machines/$ML_MACHINE, its copy $NS_DEBIAN_TREE as /var/lib/machines/$NS_MACHINE"
        # hostbox.sh is written for set -u, not set -e (see on_signal).
        set +e
        hostbox_start "$HB_NAME" --bind="$DEBIAN_TREE:/var/lib/machines/$ML_MACHINE" \
                --bind="$NS_DEBIAN_TREE:/var/lib/machines/$NS_MACHINE" >"$WORK/hostbox-start.out" 2>&1 || rc=1
        # hostbox_start set the EXIT trap to 'hostbox_cleanup; cleanup_work': ours again.
        trap cleanup EXIT
        set -e
        indent "$WORK/hostbox-start.out"
        [ "$rc" = 0 ] || return 1
        hostbox_install >"$WORK/hostbox-install.out" 2>&1 || rc=1
        indent "$WORK/hostbox-install.out"
        [ "$rc" = 0 ] || return 1
        if ! in_hostbox mkdir -p "$(dirname "$NS_DROPIN")" ||
                ! printf '[Service]\nExecStart=\nExecStart=%s\n' "$NS_EXEC" | in_hostbox tee "$NS_DROPIN" >/dev/null ||
                ! in_hostbox systemctl daemon-reload; then
                echo "  writing the drop-in $NS_DROPIN in the hostbox failed"
                return 1
        fi
        echo "  drop-in $NS_DROPIN: ExecStart=$NS_EXEC"
        if ! in_hostbox busctl call org.freedesktop.machine1 /org/freedesktop/machine1 \
                org.freedesktop.machine1.Manager ListMachines >/dev/null; then
                echo "  starting systemd-machined in the hostbox failed"
                return 1
        fi
        echo "  systemd-machined: $(in_hostbox systemctl is-active systemd-machined.service) (started beforehand)"
}

BENCH_RC=0
EXTRA_WARNINGS=
HOST_RC=0
if section_on 1 2 3; then
        run_phase host || HOST_RC=$?
fi
BENCH_RC=$HOST_RC
if [ "$BENCH_RC" = 0 ] && section_on 4; then
        echo
        echo "== 4. systemctl start and stop of machine@ and systemd-nspawn@ in a systemd host (the hostbox):" \
                "$SERVICE_RUNS runs each, interleaved"
        if [ ! -f "$HB_BUILD/meson-private/install.dat" ]; then
                echo "  not run: $HB_BUILD is not a meson build directory (set MESON_BUILD_ROOT)"
                EXTRA_WARNINGS="section 4 not run: $HB_BUILD is not a meson build directory"
                BENCH_RC=1
        elif ! hostbox_setup; then
                EXTRA_WARNINGS="section 4 not run: the hostbox's setup failed (see above)"
                BENCH_RC=1
        else
                run_phase hostbox BENCH_HOSTBOX_PID="$HOSTBOX_PID" BENCH_ML_MACHINE="$ML_MACHINE" \
                        BENCH_NS_MACHINE="$NS_MACHINE" || BENCH_RC=$?
        fi
        # Shut down cleanly (its systemd stops what still runs), and check that
        # nothing of it is left on this host.
        if [ -n "$HOSTBOX_NSPAWN" ]; then
                if hostbox_stop >"$WORK/hostbox-stop.out" 2>&1; then
                        echo "  hostbox $HB_NAME: shut down, nothing of it left on this host"
                else
                        indent "$WORK/hostbox-stop.out"
                        EXTRA_WARNINGS=$(printf '%s\n' "$EXTRA_WARNINGS"; sed -n 's/^FAIL: //p' "$WORK/hostbox-stop.out")
                fi
        fi
fi
# Section 5, once the hostbox is gone, whatever became of section 4 (unless it was
# interrupted: bench.py ends with 130 on INT and TERM alike).
if [ "$HOST_RC" = 0 ] && [ "$BENCH_RC" != 130 ] && section_on 5; then
        if [ -n "$IMAGE" ]; then
                IMAGE_RC=0
                run_phase image BENCH_IMAGE="$IMAGE" || IMAGE_RC=$?
                [ "$IMAGE_RC" = 0 ] || BENCH_RC=$IMAGE_RC
        else
                echo
                echo "== 5. /bin/true from a GPT disk image: not run: no root partition type known for $(uname -m)"
        fi
fi
# Sections 6-8 (8 prints what the hostbox phase measured of it), after section 5
# whatever became of 4 and 5, unless interrupted.
if [ "$HOST_RC" = 0 ] && [ "$BENCH_RC" != 130 ] && section_on 6 7 8; then
        EXTRA_RC=0
        run_phase extra BENCH_DEBIAN_SRC="$DEBIAN_SRC" || EXTRA_RC=$?
        [ "$EXTRA_RC" = 0 ] || BENCH_RC=$EXTRA_RC
fi
run_phase summary BENCH_RC="$BENCH_RC" BENCH_EXTRA_WARNINGS="$EXTRA_WARNINGS" || BENCH_RC=$?
exit "$BENCH_RC"
