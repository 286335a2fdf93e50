# shellcheck shell=bash
# Shared helpers for the integration tests (sourced, POSIX sh + bash features).
# Each test prints one line per check and exits 0 (all passed), 1 (a check failed)
# or 77 (SKIP: the reason is printed).

set -u
# shellcheck disable=SC2034 # read by the scripts that source this file
ML=${MACHINED_LITE:?MACHINED_LITE must point to the machined-lite binary}
TESTS_DIR=${TESTS_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
CACHE_DIR=${MACHINED_LITE_TEST_CACHE:-/var/cache/machined-lite-test}
FAILURES=0
WORK=

skip() {
        echo "SKIP: $*"
        exit 77
}

fail() {
        echo "FAIL: $*"
        FAILURES=$((FAILURES + 1))
}

pass() {
        echo "ok: $*"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
        if [ "$2" = "$3" ]; then
                pass "$1"
        else
                fail "$1: expected [$2], got [$3]"
                return 1
        fi
}

# check_settles DESCRIPTION EXPECTED COMMAND...: the command prints EXPECTED within 5 s
# (SETTLE_TRIES tenths of a second, when set). For what machined-lite finishes just after it
# exits: a machine's network is taken down by a child of its own, which outlives it by some
# milliseconds.
check_settles() {
        local what=$1 expected=$2 actual
        shift 2
        for _ in $(seq "${SETTLE_TRIES:-50}"); do
                actual=$("$@" 2>&1)
                [ "$actual" = "$expected" ] && break
                sleep 0.1
        done
        check_eq "$what" "$expected" "$actual"
}

# check_match DESCRIPTION EXTENDED-REGEX TEXT
check_match() {
        if printf '%s\n' "$3" | grep -Eq -- "$2"; then
                pass "$1"
        else
                fail "$1: [$3] does not match /$2/"
        fi
}

finish() {
        if [ "$FAILURES" -gt 0 ]; then
                echo "$FAILURES check(s) failed"
                exit 1
        fi
        exit 0
}

require_root() {
        [ "$(id -u)" = 0 ] || skip "needs root (namespaces, mounts, cgroups)"
}

cleanup_work() {
        # Anything this test left running is killed before its files go (only ours:
        # other machines on the host are not the test's business).
        [ -n "$WORK" ] && pkill -KILL -f -- "-D $WORK/" 2>/dev/null
        [ -n "$WORK" ] && rm -rf "$WORK"
}

# one_line_error DESCRIPTION EXIT-REGEX MESSAGE-REGEX COMMAND...: the command fails with
# an exit code that matches EXIT-REGEX and says so in one line matching MESSAGE-REGEX.
one_line_error() {
        local what=$1 code=$2 regex=$3 rc lines
        shift 3
        "$@" </dev/null >"$WORK/stdout" 2>"$WORK/stderr"
        rc=$?
        lines=$(wc -l < "$WORK/stderr")
        if [[ $rc =~ ^($code)$ ]] && [ "$lines" = 1 ] && grep -Eq -- "$regex" "$WORK/stderr"; then
                pass "$what: exit $rc: $(cat "$WORK/stderr")"
        else
                fail "$what: expected exit $code and one line matching /$regex/, got exit $rc and $lines line(s): $(cat "$WORK/stderr")"
        fi
}

# drive NAME [HARNESS-OPTIONS] -- COMMAND...: runs COMMAND on a fresh pty with the
# harness script (pty-harness.py) from stdin. OUT is the harness's report, RC its exit
# status (the command's, or 255 when a step failed); what the command printed is in
# $WORK/NAME.log.
HARNESS=$TESTS_DIR/integration/pty-harness.py
drive() {
        local name=$1
        shift
        OUT=$(timeout 40 python3 "$HARNESS" --timeout 25 --log "$WORK/$name.log" "$@")
        # shellcheck disable=SC2034 # read by the caller
        RC=$?
        if printf '%s\n' "$OUT" | grep -q '^harness-fail:'; then
                printf '%s\n' "$OUT" | grep '^harness-fail:' | sed "s/^/# $name: /"
        fi
}

# field KEY [N]: the Nth (default first) "KEY: value" line of the harness's report.
field() {
        printf '%s\n' "$OUT" | sed -n "s/^$1: //p" | sed -n "${2:-1}p"
}

# A scratch directory for this test, removed at exit.
make_work() {
        WORK=$(mktemp -d /var/tmp/ml-test.XXXXXX)
        trap cleanup_work EXIT
}

# make_busybox_tree DIR: a minimal tree from Debian's busybox-static, with
# busybox init as /sbin/init and an inittab that starts a shell on the console.
make_busybox_tree() {
        local dir=$1 applet
        [ -x /bin/busybox ] || skip "busybox-static is not installed (/bin/busybox)"
        mkdir -p "$dir"/bin "$dir"/sbin "$dir"/etc/init.d "$dir"/proc "$dir"/sys "$dir"/dev "$dir"/run \
                "$dir"/tmp "$dir"/root "$dir"/var/tmp
        cp /bin/busybox "$dir"/bin/busybox
        for applet in $(/bin/busybox --list); do
                [ "$applet" = busybox ] && continue
                [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
        done
        ln -sf ../bin/busybox "$dir"/sbin/init
        echo 'root:x:0:0:root:/root:/bin/sh' > "$dir"/etc/passwd
        echo 'root:x:0:' > "$dir"/etc/group
        cat > "$dir"/etc/inittab <<'EOT'
::sysinit:/etc/init.d/rcS
::askfirst:-/bin/sh
::shutdown:/bin/echo busybox-init-shutdown
EOT
        printf '#!/bin/sh\necho busybox-init-booted\n' > "$dir"/etc/init.d/rcS
        chmod +x "$dir"/etc/init.d/rcS
}

# debian_tree: prints the path of a Debian bookworm tree with systemd, made with
# debootstrap once (about 35 s) and cached in $CACHE_DIR between runs.
debian_tree() {
        local tree=$CACHE_DIR/bookworm
        if [ ! -x "$tree/lib/systemd/systemd" ]; then
                command -v debootstrap >/dev/null || skip "debootstrap is not installed"
                mkdir -p "$CACHE_DIR"
                (
                        flock 9
                        if [ ! -x "$tree/lib/systemd/systemd" ]; then
                                rm -rf "$tree.tmp"
                                echo "making the cached Debian tree $tree with debootstrap (once)" >&2
                                debootstrap --variant=minbase --include=systemd,dbus bookworm "$tree.tmp" \
                                        http://deb.debian.org/debian >"$CACHE_DIR/debootstrap.log" 2>&1 ||
                                        { tail -5 "$CACHE_DIR/debootstrap.log" >&2; exit 1; }
                                # Container Interface: an empty machine-id is filled by the guest's systemd.
                                : > "$tree.tmp/etc/machine-id"
                                rm -f "$tree.tmp/var/lib/dbus/machine-id"
                                mv "$tree.tmp" "$tree"
                        fi
                ) 9>"$CACHE_DIR/.lock" || skip "debootstrap of the Debian tree failed (is deb.debian.org reachable?)"
        fi
        echo "$tree"
}

cgroup2_mount() {
        awk '$9 == "cgroup2" { print $5 }' /proc/self/mountinfo | grep -m1 -E '^/sys/fs/cgroup(/unified)?$'
}

# What of the host a machine could leave behind: mounts, our processes, machine
# cgroups (v2, and each v1 hierarchy of a hybrid host, under whatever cgroup the test
# runs in there), loop devices, state files, temporary trees in /var/lib/machines.
# host_unchanged compares with a snapshot taken before. With HOST_STATE_ONLY (an
# extended regex) set, only the lines that match it count, processes with their
# arguments: a test that names its machines alike need not mind other machines on the
# host.
host_state() {
        local cg
        cg=$(cgroup2_mount)
        {
                awk '{ print $5 }' /proc/self/mountinfo | sort
                echo "--- processes"
                # Zombies hold nothing; this VM's PID 1 reaps orphans only now and then.
                # Machines inside a hostbox (a systemd host booted by a system test, maybe
                # someone else's: its cgroup is NAME.hostbox) are that host's, not this one's.
                ps -eo pid=,stat=,comm=,args= | awk '$2 !~ /Z/ && ($3 == "machined-lite" || $3 == "ml-sweeper" || $3 == "ml-init")' |
                        while read -r pid stat comm args; do
                                grep -q '^0::.*\.hostbox/' "/proc/$pid/cgroup" 2>/dev/null ||
                                        echo "$pid $stat $comm${HOST_STATE_ONLY:+ $args}"
                        done
                echo "--- cgroups"
                [ -n "$cg" ] && find "$cg" -path '*.hostbox' -prune -o -name 'machine-*' -type d -print | sort
                for h in /sys/fs/cgroup/*/; do
                        [ "$(stat -f -c %T "$h" 2>/dev/null)" = cgroupfs ] || continue
                        find "$h" -path '*.hostbox' -prune -o -name 'machine-*' -type d -print
                done | sort
                echo "--- loop devices"
                losetup -a 2>/dev/null
                echo "--- state files"
                # shellcheck disable=SC2010 # names machined-lite makes, in ls -A's order, dot names included
                ls -A /run/machined-lite/machines 2>/dev/null | grep -v '\.machine$'
                echo "--- temporary trees"
                # shellcheck disable=SC2010 # likewise
                ls -A /var/lib/machines 2>/dev/null | grep '^\.#'
        } | if [ -n "${HOST_STATE_ONLY:-}" ]; then grep -E -- "^--- |$HOST_STATE_ONLY"; else cat; fi
}

host_snapshot() {
        host_state > "$WORK/host-before"
}

# host_unchanged DESCRIPTION: compares, giving the sweeper time to finish (after a
# SIGKILL of machined-lite it waits for the host's init to reap the guest's PID 1,
# which this VM's init does only every few seconds).
host_unchanged() {
        for _ in $(seq 300); do
                host_state > "$WORK/host-after"
                cmp -s "$WORK/host-before" "$WORK/host-after" && break
                sleep 0.1
        done
        if cmp -s "$WORK/host-before" "$WORK/host-after"; then
                pass "$1: host unchanged"
        else
                fail "$1: host changed: $(diff "$WORK/host-before" "$WORK/host-after" | grep '^[<>]' | tr '\n' ' ')"
        fi
}

# guest_leader SUPERVISOR-PID: the guest's PID 1 as the host sees it: the child of
# the supervisor that lives in another PID namespace (a short-lived fork of the
# supervisor's own, before the guest exists, does not count).
guest_leader() {
        local pid own
        own=$(readlink /proc/self/ns/pid)
        for _ in $(seq 200); do
                for pid in $(pgrep -P "$1"); do
                        if [ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" != "$own" ] &&
                                [ -e "/proc/$pid/ns/pid" ]; then
                                echo "$pid"
                                return 0
                        fi
                done
                sleep 0.05
        done
        return 1
}

# wait_listed NAME: waits until machine NAME's supervisor has written its state (status
# finds it), for at most 5 s: its guest exists a moment before.
wait_listed() {
        for _ in $(seq 100); do
                "$ML" status "$1" >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        return 1
}

# wait_running LEADER-PID: polls systemctl is-system-running inside the guest until
# it says running or degraded (printed), for at most 60 s. Until the guest's systemd
# has made /run/systemd/system, systemctl says "offline"; that is not an answer yet.
wait_running() {
        local state
        for _ in $(seq 600); do
                state=$(in_guest "$1" /bin/systemctl is-system-running 2>/dev/null)
                case $state in
                running | degraded | maintenance | stopping)
                        echo "$state"
                        return 0
                        ;;
                esac
                sleep 0.1
        done
        echo "${state:-no answer} after 60 s"
        return 1
}

# in_guest LEADER-PID COMMAND...: runs a command inside a running machine.
in_guest() {
        local leader=$1
        shift
        nsenter -t "$leader" -a "$@"
}

# kill_leaving_state NAME SUPERVISOR-PID: SIGKILL of machine NAME's supervisor as a
# pkill -9 or the OOM killer would do it, its sweeper with it: the sweeper would remove
# the state file once the machine is gone, so it is put back afterwards, stale.
kill_leaving_state() {
        local state=/run/machined-lite/machines/$1
        cp "$state" "$WORK/$1.state"
        kill -KILL "$2"
        wait "$2" 2>/dev/null
        for _ in $(seq 100); do [ -e "$state" ] || break; sleep 0.1; done
        cp "$WORK/$1.state" "$state"
}

# wait_gone PID TIMEOUT-SECONDS: waits for a process to end.
wait_gone() {
        for _ in $(seq $(($2 * 10))); do
                kill -0 "$1" 2>/dev/null || return 0
                sleep 0.1
        done
        return 1
}
