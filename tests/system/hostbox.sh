# shellcheck shell=bash
# The "hostbox": a Debian bookworm machine with systemd as PID 1, a system bus and
# systemd-machined, booted with systemd-nspawn, for the system tests: those that
# need a real systemd host (registration with systemd and systemd-machined,
# units/machine@.service), which the machine running the tests need not be.
# Sourced after tests/integration/lib.sh (it uses skip, fail, cgroup2_mount,
# guest_leader, wait_running and $WORK, $CACHE_DIR, $ML from there).
#
#       make_work
#       host_snapshot
#       hostbox_start ml-hostbox-$$ || finish   # sets HOSTBOX_PID, HOSTBOX_DIR
#       hostbox_install || finish                # our build, on PATH in the hostbox
#       make_busybox_tree "$HOSTBOX_DIR/busybox"
#       hostbox_run machined-lite run --console=pipe -D "$HOSTBOX_DIR/busybox" -- /bin/true
#       hostbox_stop
#       host_unchanged "after the hostbox"
#
# One hostbox per test script at a time. The cached tree is never written to: the
# hostbox's root is an overlayfs with a tmpfs on top (systemd-nspawn
# --volatile=overlay), so every boot starts from the same pristine tree and any
# number of hostboxes (of this and of concurrent test runs) can share it.
#
# Inside the hostbox: all capabilities (the host's bounding set), no seccomp filter
# (unless HOSTBOX_SECCOMP=1: see hostbox_start), a network namespace of its own with
# only lo, cgroup v2 only (rooted at its own cgroup, with controllers), its host
# name is its machine name. $HOSTBOX_DIR (a directory under $WORK) is bound
# read-write at the same path inside, for guest trees and files shared with the test.

HOSTBOX_PACKAGES=systemd,systemd-sysv,dbus,systemd-container,libmount1,procps,util-linux,libasan8,libubsan1
HOSTBOX_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOSTBOX_NAME=
HOSTBOX_PID=
HOSTBOX_NSPAWN=
HOSTBOX_WATCHER=
HOSTBOX_CGROUP=
HOSTBOX_CGROUP_V1=
HOSTBOX_DIR=
HOSTBOX_CONSOLE=
# 1: hostbox_start keeps systemd-nspawn's default seccomp filter (bpf(), among others,
# fails with EPERM inside, as in a container of a real host); 0: no filter.
HOSTBOX_SECCOMP=${HOSTBOX_SECCOMP:-0}

# hostbox_tree: prints the path of the cached hostbox tree, made with debootstrap
# once (about 50 s) in $CACHE_DIR/hostbox. Remade when HOSTBOX_PACKAGES changes
# ($CACHE_DIR/hostbox.packages records what the cached tree was made with).
# Libasan8 and libubsan1 are there for the AddressSanitizer build: the same binary
# as on the host runs inside (both are Debian 12).
hostbox_tree() {
        local tree=$CACHE_DIR/hostbox stamp=$CACHE_DIR/hostbox.packages
        if [ ! -x "$tree/lib/systemd/systemd" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$HOSTBOX_PACKAGES" ]; then
                command -v debootstrap >/dev/null || skip "debootstrap is not installed"
                mkdir -p "$CACHE_DIR"
                (
                        flock 9
                        if [ ! -x "$tree/lib/systemd/systemd" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$HOSTBOX_PACKAGES" ]; then
                                rm -rf "$tree" "$tree.tmp"
                                echo "making the cached hostbox tree $tree with debootstrap (once)" >&2
                                debootstrap --variant=minbase --include="$HOSTBOX_PACKAGES" bookworm "$tree.tmp" \
                                        http://deb.debian.org/debian >"$CACHE_DIR/hostbox-debootstrap.log" 2>&1 ||
                                        { tail -5 "$CACHE_DIR/hostbox-debootstrap.log" >&2; exit 1; }
                                # Container Interface: an empty machine-id is filled by the guest's systemd
                                # (from $container_uuid); no /etc/hostname: the machine name is the host name
                                # (debootstrap copies the host's).
                                : > "$tree.tmp/etc/machine-id"
                                rm -f "$tree.tmp/var/lib/dbus/machine-id" "$tree.tmp/etc/hostname"
                                # systemd-machined is D-Bus activatable (org.freedesktop.machine1.service,
                                # shipped by systemd-container): nothing to enable.
                                [ -e "$tree.tmp/usr/share/dbus-1/system-services/org.freedesktop.machine1.service" ] ||
                                        { echo "the hostbox tree has no D-Bus activatable systemd-machined" >&2; exit 1; }
                                mv "$tree.tmp" "$tree" && echo "$HOSTBOX_PACKAGES" > "$stamp"
                        fi
                ) 9>"$CACHE_DIR/.lock" || skip "debootstrap of the hostbox tree failed (is deb.debian.org reachable?)"
        fi
        echo "$tree"
}

# in_hostbox COMMAND...: runs a command in the hostbox's namespaces (mount, UTS, IPC,
# network, PID, cgroup; its root and working directory), with a clean environment
# and a sane PATH, stdin, stdout, stderr passed as they are; its exit status is
# returned. The command stays in the cgroup of the caller on this host, which is
# outside the hostbox's cgroup tree (/proc/self/cgroup says 0::/..): good for
# looking (systemctl, busctl, cat), not for starting machines (machined-lite
# cannot make its cgroup there): use hostbox_run for that.
in_hostbox() {
        [ -n "$HOSTBOX_PID" ] || { echo "in_hostbox: no hostbox running" >&2; return 1; }
        nsenter -t "$HOSTBOX_PID" -m -u -i -n -p -C -r -w \
                /usr/bin/env -i PATH="$HOSTBOX_PATH" HOME=/root LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# hostbox_run [-p PROPERTY=VALUE | -E VAR=VALUE | --OPTION=VALUE]... [--] COMMAND...:
# runs a command as a transient service of the hostbox's systemd (systemd-run
# --wait --pipe), so that it is a child of the hostbox's PID 1 in a cgroup of its
# own inside the hostbox (system.slice/run-uN.service), as on a real systemd host.
# Its stdin (unless a terminal: then /dev/null), stdout and stderr are the
# caller's; returns the command's exit status (systemd-run passes exit codes on;
# a death by signal gives 0 for SIGHUP, SIGINT, SIGTERM, SIGPIPE, which systemd
# counts as clean, and 255 for others). -p, -E and --OPTION=VALUE go to
# systemd-run (e.g. -p Delegate=yes; --unit=NAME to know the unit's name). The
# arguments are passed literally ("$" is escaped from systemd's own $VARIABLE
# expansion of command lines; "%" is not expanded for transient units). The
# sanitizer options of the caller's environment (ASAN_OPTIONS, UBSAN_OPTIONS,
# LSAN_OPTIONS) are passed on.
hostbox_run() {
        local options=() arguments=() argument variable
        while [ $# -gt 0 ]; do
                case $1 in
                -p | -E) options+=("$1" "$2"); shift 2 ;;
                --?*=*) options+=("$1"); shift ;;
                --) shift; break ;;
                *) break ;;
                esac
        done
        for variable in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
                [ -n "${!variable:-}" ] && options+=(-E "$variable=${!variable}")
        done
        for argument in "$@"; do
                arguments+=("${argument//\$/\$\$}")
        done
        if [ -t 0 ]; then
                in_hostbox systemd-run --wait --pipe --quiet --collect --service-type=exec "${options[@]}" \
                        -- "${arguments[@]}" </dev/null
        else
                in_hostbox systemd-run --wait --pipe --quiet --collect --service-type=exec "${options[@]}" \
                        -- "${arguments[@]}"
        fi
}

# hostbox_start NAME [NSPAWN-OPTIONS...]: boots the hostbox as machine NAME (unique
# on this host, e.g. ml-hostbox-$$) in the background, with any further options
# for systemd-nspawn (e.g. --bind-ro="$(debian_tree)":/var/lib/machines/debian),
# its console in $WORK/hostbox-NAME.console, and waits (at most 60 s) for its
# systemd to say running or degraded (failed units are printed then). Sets HOSTBOX_PID (its PID 1 on this host), HOSTBOX_DIR.
# With HOSTBOX_SECCOMP=1 (e.g. `HOSTBOX_SECCOMP=1 hostbox_start NAME`), systemd-nspawn's
# default seccomp filter stays on: a host that is itself a container (bpf() fails
# with EPERM in what hostbox_run starts; in_hostbox's nsenter does not enter the
# filter).
# systemd-nspawn runs in a cgroup of its own on this host, NAME.hostbox under the
# caller's (on cgroup2, and on the name=systemd hierarchy of a hybrid host), so
# its "payload" and "supervisor" cgroups (made even with --keep-unit) are not
# shared with anyone, and hostbox_stop can kill and remove everything there.
# The EXIT trap becomes hostbox_cleanup + cleanup_work; and since a test killed
# with SIGKILL (meson test's timeout: SIGTERM to the test's process group, SIGKILL
# half a second later) runs no trap and systemd-nspawn killed so leaves its
# container running, a watcher in a session of its own kills and removes the
# hostbox's cgroup when the test's shell is gone. Returns 1 (after a FAIL
# line and the console's end) when it does not come up; skips without
# systemd-nspawn.
hostbox_start() {
        local name=$1 tree cg2 own v1 state start
        shift
        command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed (apt-get install systemd-container)"
        command -v nsenter >/dev/null || skip "nsenter is not installed (util-linux)"
        tree=$(hostbox_tree) || exit $?
        cg2=$(cgroup2_mount) || skip "no cgroup2 hierarchy on this host"
        own=$(sed -n 's/^0:://p' /proc/self/cgroup)
        own=${own%/}
        HOSTBOX_NAME=$name
        HOSTBOX_CGROUP=$cg2$own/$name.hostbox
        v1=$(awk '$0 ~ / - cgroup / && $NF ~ /(^|,)name=systemd(,|$)/ { print $5 }' /proc/self/mountinfo | head -1)
        HOSTBOX_CGROUP_V1=${v1:+$v1$own/$name.hostbox}
        HOSTBOX_DIR=$WORK/hostbox
        HOSTBOX_CONSOLE=$WORK/hostbox-$name.console
        mkdir -p "$HOSTBOX_DIR"
        mkdir "$HOSTBOX_CGROUP" || { fail "hostbox $name: cannot make its cgroup $HOSTBOX_CGROUP"; return 1; }
        trap 'hostbox_cleanup; cleanup_work' EXIT
        start=$EPOCHREALTIME
        # SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: cgroup v2 only inside, even on a hybrid
        # host. SYSTEMD_SECCOMP=0 and --capability=all: the hostbox plays a host, its
        # root may do what root on a host does (HOSTBOX_SECCOMP=1: a host that is itself
        # a container, under systemd-nspawn's filter). --volatile=overlay: the tree stays
        # pristine (and is locked shared, not exclusively, so boots can run side by side).
        (
                echo "$BASHPID" > "$HOSTBOX_CGROUP/cgroup.procs" || exit 1
                exec env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_SECCOMP="$HOSTBOX_SECCOMP" \
                        systemd-nspawn --boot --quiet --register=no --keep-unit --machine="$name" \
                        --directory="$tree" --volatile=overlay --capability=all --private-network \
                        --bind="$HOSTBOX_DIR" --console=read-only "$@"
        ) </dev/null >"$HOSTBOX_CONSOLE" 2>&1 &
        HOSTBOX_NSPAWN=$!
        # setsid without a fork (a background subshell is no process group leader):
        # $! is the watcher.
        (
                # shellcheck disable=SC2016 # the watcher's own script, with its arguments
                exec setsid /bin/sh -c '
                        while :; do
                                case $(ps -o stat= -p "$1" 2>/dev/null) in "" | Z*) break ;; esac
                                sleep 0.5
                        done
                        echo 1 > "$2/cgroup.kill"
                        for i in 1 2 3 4 5 6 7 8 9 10; do
                                find "$2" $3 -depth -type d -exec rmdir {} + 2>/dev/null
                                [ -d "$2" ] || break
                                sleep 0.5
                        done
                        rmdir "/run/systemd/nspawn/propagate/$4"' hostbox-watcher \
                        "$$" "$HOSTBOX_CGROUP" "$HOSTBOX_CGROUP_V1" "$name"
        ) </dev/null >/dev/null 2>&1 &
        HOSTBOX_WATCHER=$!
        if ! HOSTBOX_PID=$(guest_leader "$HOSTBOX_NSPAWN"); then
                HOSTBOX_PID=
                fail "hostbox $name: systemd-nspawn started no PID 1: $(hostbox_console_tail 5)"
                return 1
        fi
        state=$(wait_running "$HOSTBOX_PID")
        case $state in
        running | degraded)
                echo "hostbox $name: $state $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s after systemd-nspawn started (PID 1: $HOSTBOX_PID)"
                [ "$state" = degraded ] &&
                        echo "hostbox $name: failed units: $(in_hostbox systemctl --failed --no-legend --plain | tr '\n' ' ')"
                return 0
                ;;
        esac
        fail "hostbox $name: systemd is $state; console: $(hostbox_console_tail 10)"
        return 1
}

# hostbox_install: installs our build into the hostbox: meson install of the build
# directory (MESON_BUILD_ROOT, else the directory of $MACHINED_LITE) into
# $WORK/hostbox-install, copied over the hostbox's root (an overlay: the cached
# tree is untouched), so that what meson installs is where meson would put it on
# a real host: machined-lite on PATH (/usr/local/bin), units under
# /usr/local/lib/systemd/system or /lib/systemd/system (both in systemd's unit
# path); and libinih1, which machined-lite loads to read the NAME.machine files that
# meson installs (/etc/machined-lite/machines/debian.machine: machine@debian reads
# it) and the cached tree lacks, copied from this host (the same Debian 12); then
# systemctl daemon-reload. Returns 1 after a FAIL line when it fails.
hostbox_install() {
        local build=${MESON_BUILD_ROOT:-$(dirname "$ML")} dest=$WORK/hostbox-install package
        [ -n "$HOSTBOX_PID" ] || { fail "hostbox_install: no hostbox running"; return 1; }
        [ -f "$build/meson-private/install.dat" ] || { fail "hostbox_install: $build is not a meson build directory"; return 1; }
        rm -rf "$dest"
        mkdir -p "$dest"
        # --no-rebuild: the tests run on what was built; a rebuild here would race
        # with whoever else builds in the same directory.
        if ! meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$WORK/hostbox-install.log" 2>&1; then
                fail "hostbox_install: meson install failed: $(tail -5 "$WORK/hostbox-install.log" | tr '\n' ' ')"
                return 1
        fi
        # --keep-directory-symlink: /lib, /bin are symlinks into /usr in bookworm;
        # --no-overwrite-dir: the hostbox's own directories keep their owner and mode.
        if ! tar -C "$dest" -cf - . | in_hostbox tar -C / -xf - --keep-directory-symlink --no-overwrite-dir; then
                fail "hostbox_install: copying $dest into the hostbox failed"
                return 1
        fi
        # The libraries we dlopen() that a minbase tree lacks, from this host (the same Debian 12).
        for package in libinih1 libmnl0 libnftnl11; do
                if ! dpkg -L "$package" 2>/dev/null | sed -n 's|^/\(.*\.so.*\)|\1|p' | tar -C / -cf - --files-from=- |
                        in_hostbox tar -C / -xf - --keep-directory-symlink --no-overwrite-dir; then
                        fail "hostbox_install: copying this host's $package into the hostbox failed (apt-get install $package)"
                        return 1
                fi
        done
        if ! in_hostbox systemctl daemon-reload; then
                fail "hostbox_install: systemctl daemon-reload in the hostbox failed"
                return 1
        fi
        echo "hostbox $HOSTBOX_NAME: installed $(cd "$dest" && find . ! -type d | sed 's|^\.||' | tr '\n' ' ')"
}

# hostbox_remove_cgroups: kills what is left in the hostbox's cgroup on this host
# and removes it (and its name=systemd twin on a hybrid host), deepest first.
# Returns 1 when something could not be removed.
hostbox_remove_cgroups() {
        local cg left=
        for cg in "$HOSTBOX_CGROUP" "$HOSTBOX_CGROUP_V1"; do
                { [ -n "$cg" ] && [ -d "$cg" ]; } || continue
                [ "$cg" = "$HOSTBOX_CGROUP" ] && [ -e "$cg/cgroup.kill" ] && echo 1 > "$cg/cgroup.kill"
                for _ in $(seq 50); do
                        find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
                        [ -d "$cg" ] || break
                        sleep 0.1
                done
                [ -d "$cg" ] && left="$left $cg"
        done
        [ -z "$left" ] || { echo "cannot remove cgroups:$left" >&2; return 1; }
}

# hostbox_console_tail N: the last N lines of the hostbox's console, on one line,
# without colour codes.
hostbox_console_tail() {
        tail -n "$1" "$HOSTBOX_CONSOLE" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | tr '\n' ' '
}

# hostbox_gone PID SECONDS: waits for a child of ours to end (a zombie counts).
hostbox_gone() {
        for _ in $(seq $(($2 * 10))); do
                case $(ps -o stat= -p "$1" 2>/dev/null) in
                "" | Z*) return 0 ;;
                esac
                sleep 0.1
        done
        return 1
}

# hostbox_stop: shuts the hostbox down (SIGTERM to systemd-nspawn, which asks its
# systemd to halt with SIGRTMIN+3: a clean shutdown) and waits at most 60 s; then
# checks that systemd-nspawn exited 0 and nothing of the hostbox is left on this
# host: no process in its cgroup, its cgroups removed, no
# /run/systemd/nspawn/propagate/NAME.
# A FAIL line (and a forced cleanup) otherwise; returns 1 then.
hostbox_stop() {
        local status ok=0 procs
        [ -n "$HOSTBOX_NSPAWN" ] || return 0
        hostbox_stop_watcher
        kill -TERM "$HOSTBOX_NSPAWN" 2>/dev/null
        if ! hostbox_gone "$HOSTBOX_NSPAWN" 60; then
                fail "hostbox $HOSTBOX_NAME: not shut down 60 s after SIGTERM: $(hostbox_console_tail 5)"
                ok=1
                echo 1 > "$HOSTBOX_CGROUP/cgroup.kill"
        fi
        wait "$HOSTBOX_NSPAWN"
        status=$?
        if [ "$ok" = 0 ] && [ "$status" != 0 ]; then
                fail "hostbox $HOSTBOX_NAME: systemd-nspawn exited $status, not 0: $(hostbox_console_tail 5)"
                ok=1
        fi
        procs=$(find "$HOSTBOX_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' ')
        if [ -n "$procs" ]; then
                fail "hostbox $HOSTBOX_NAME: processes left in its cgroup after the shutdown: $procs"
                ok=1
        fi
        hostbox_remove_cgroups || { fail "hostbox $HOSTBOX_NAME: cgroups left"; ok=1; }
        # systemd-nspawn cannot remove this one itself when /run is not a tmpfs (as on
        # this VM: "Attempted to remove disk file system ... and we can't allow that").
        rmdir "/run/systemd/nspawn/propagate/$HOSTBOX_NAME" 2>/dev/null
        if [ -e "/run/systemd/nspawn/propagate/$HOSTBOX_NAME" ]; then
                fail "hostbox $HOSTBOX_NAME: /run/systemd/nspawn/propagate/$HOSTBOX_NAME left"
                ok=1
        fi
        HOSTBOX_NSPAWN='' HOSTBOX_PID=''
        return $ok
}

# hostbox_stop_watcher: ends hostbox_start's watcher (the test is not gone: the
# hostbox is being stopped by the test itself).
hostbox_stop_watcher() {
        [ -n "$HOSTBOX_WATCHER" ] || return 0
        kill -KILL "$HOSTBOX_WATCHER" 2>/dev/null
        wait "$HOSTBOX_WATCHER" 2>/dev/null
        HOSTBOX_WATCHER=
}

# hostbox_cleanup: the EXIT trap's part: kills a hostbox still running (everything
# in its cgroup at once) and removes its cgroups; silent.
hostbox_cleanup() {
        [ -n "$HOSTBOX_NSPAWN" ] || return 0
        hostbox_stop_watcher
        [ -e "$HOSTBOX_CGROUP/cgroup.kill" ] && echo 1 > "$HOSTBOX_CGROUP/cgroup.kill"
        hostbox_gone "$HOSTBOX_NSPAWN" 10
        wait "$HOSTBOX_NSPAWN" 2>/dev/null
        hostbox_remove_cgroups 2>/dev/null
        rmdir "/run/systemd/nspawn/propagate/$HOSTBOX_NAME" 2>/dev/null
        HOSTBOX_NSPAWN='' HOSTBOX_PID=''
}
