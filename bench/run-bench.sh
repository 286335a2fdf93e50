#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/run-bench.sh: machined-lite against systemd-nspawn (and a bare
# unshare+chroot floor) on this host. Run as root:
#
#   bench/run-bench.sh [-n RUNS] [-b BOOT_RUNS] [-s SERVICE_RUNS]
#
#   -n, --runs N         timed runs of /bin/true per command (default 30, env BENCH_RUNS)
#   -b, --boot-runs N    boots of the Debian tree per tool (default 3, env BENCH_BOOT_RUNS)
#   -s, --service-runs N starts and stops of each unit in the hostbox (default 3, env BENCH_SERVICE_RUNS)
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
#      must end inactive with Result=success); interleaved, medians.
# It is a benchmark, not a test: slow figures never fail it. It exits non-zero only
# when a command under test fails (or the setup does).
#
# Everything it makes lives in /var/tmp/ml-bench.XXXXXX (a busybox tree and two
# copies of the Debian tree, so that the shared test cache is not written to) and
# is removed at the end, together with what systemd-nspawn leaves on a host without
# systemd (/run/systemd/nspawn, its payload/supervisor cgroups) when it was not
# there before, and the hostbox (machine ml-bench-PID, its cgroups NAME.hostbox,
# /run/systemd/nspawn/propagate/NAME). Only processes it started itself are ever
# signalled.

set -euo pipefail

RUNS=${BENCH_RUNS:-30}
BOOT_RUNS=${BENCH_BOOT_RUNS:-3}
SERVICE_RUNS=${BENCH_SERVICE_RUNS:-3}

usage() {
        sed -n '4,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "runs must be a positive number, not '$RUNS'"
[[ $BOOT_RUNS =~ ^[1-9][0-9]*$ ]] || die "boot runs must be a positive number, not '$BOOT_RUNS'"
[[ $SERVICE_RUNS =~ ^[1-9][0-9]*$ ]] || die "service runs must be a positive number, not '$SERVICE_RUNS'"

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
for tool in systemd-nspawn unshare chroot nsenter; do
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
# Debian's ExecStart without -U (--private-users=pick) and --network-veth, with
# --link-journal=no and --settings=no, and --notify-ready=yes: nspawn's default
# (no) sends READY=1 as soon as the guest's init is started, while machine@ waits
# for the guest's own READY=1; with yes, systemctl start returns at the same point
# for both.
NS_EXEC='systemd-nspawn --quiet --keep-unit --boot --link-journal=no --settings=no --notify-ready=yes --machine=%i'

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
# shellcheck disable=SC2317 # the INT and TERM traps
on_signal() {
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

# The busybox tree. systemd-nspawn refuses a tree without /usr ("doesn't look like
# it has an OS tree"), which make_busybox_tree does not make: an empty one is added.
BUSYBOX_TREE=$WORK/ml-bench-busybox
make_busybox_tree "$BUSYBOX_TREE"
mkdir -p "$BUSYBOX_TREE/usr"

# The Debian tree: a private copy of the cached one (both tools write into the tree
# they boot: journal, random seed, resolv.conf), named ml-bench-debian.
DEBIAN_SRC=$(debian_tree) || die "no Debian tree: $DEBIAN_SRC"
[ -x "$DEBIAN_SRC/lib/systemd/systemd" ] || die "no Debian tree: $DEBIAN_SRC"
DEBIAN_TREE=$WORK/ml-bench-debian
cp -a --reflink=auto "$DEBIAN_SRC" "$DEBIAN_TREE"
echo "trees: $BUSYBOX_TREE (busybox), $DEBIAN_TREE (copy of $DEBIAN_SRC)"
# Section 4: the hostbox's tree (cached, made with debootstrap once), and the meson
# build directory hostbox_install installs from.
HOSTBOX_TREE=$(hostbox_tree) || die "no hostbox tree: $HOSTBOX_TREE"
[ -x "$HOSTBOX_TREE/lib/systemd/systemd" ] || die "no hostbox tree: $HOSTBOX_TREE"
HB_BUILD=${MESON_BUILD_ROOT:-$(dirname "$MACHINED_LITE")}

cat > "$WORK/bench.py" <<'PYTHON'
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
WORK = os.environ["BENCH_WORK"]

TARGET_RUN_RATIO = 0.25   # machined-lite run /bin/true, as a fraction of nspawn
TARGET_RSS_MIB = 3.0      # supervisor VmRSS while a guest runs

NSPAWN = shutil.which("systemd-nspawn")
UNSHARE = shutil.which("unshare")
CHROOT = shutil.which("chroot")
NSENTER = shutil.which("nsenter")
ENV = dict(os.environ)    # one environment for every command
DEVNULL = subprocess.DEVNULL
NS_PER_MS = 1e6
MIB = 1024.0              # /proc/PID/status counts kB

live = []                 # Popen objects that may still run
warnings = []
summary = []


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


def settle(tree, timeout=10.0):
    """Waits until nothing of a previous command is left: no process naming the tree
    (machined-lite's ml-sweeper lives on a little after the supervisor), no machine
    cgroup. What is still there after the timeout is reported, not waited for."""
    cgroup = machine_cgroup(os.path.basename(tree))
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


def interrupted(signum, frame):
    # Once: a second signal must not cut the cleanup short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main():
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    rc = 0
    try:
        bench_true()
        bench_memory()
        bench_boot()
    except CommandFailed as e:
        out(f"\nrun-bench: a command under test failed ({e}): stopping")
        rc = 1
    except KeyboardInterrupt:
        out("\nrun-bench: interrupted: stopping what runs")
        rc = 130
    finally:
        for p in list(live):
            stop(p, 30)
    out()
    out("== summary")
    for line in summary:
        out(f"  {line}")
    for w in warnings:
        out(f"  WARNING: {w}")
    if rc == 0 and not warnings:
        out("  nothing left behind by the commands measured")
    return rc


sys.exit(main())
PYTHON

# In the background, so that an INT or TERM to this script reaches it at once: it
# then stops the commands it started, and we wait for that before cleaning up.
BENCH_BUSYBOX_TREE=$BUSYBOX_TREE BENCH_DEBIAN_TREE=$DEBIAN_TREE BENCH_RUNS=$RUNS BENCH_BOOT_RUNS=$BOOT_RUNS \
        BENCH_WORK=$WORK "$PYTHON" "$WORK/bench.py" &
PY_PID=$!
trap 'kill -TERM "$PY_PID" 2>/dev/null' INT TERM
while :; do
        BENCH_RC=0
        wait "$PY_PID" || BENCH_RC=$?
        kill -0 "$PY_PID" 2>/dev/null || break
done
exit "$BENCH_RC"
