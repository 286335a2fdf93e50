#!/bin/bash
# The hostbox (tests/system/hostbox.sh), the real systemd host of the system tests:
# it boots to running with systemd as PID 1 and a D-Bus activatable
# systemd-machined, our build installs into it, machined-lite runs and boots
# machines inside it as services of its systemd, and it leaves nothing behind on
# this host nor in its cached tree.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/hostbox.sh"
require_root
make_work
NAME=ml-hostbox-$$
TREE=$(hostbox_tree) || exit $?
host_snapshot

hostbox_start "$NAME" || finish
check_eq "PID 1 in the hostbox is systemd" systemd "$(in_hostbox cat /proc/1/comm)"
check_match "its systemd is running" '^(running|degraded)$' "$(in_hostbox systemctl is-system-running)"
check_eq "its systemd sees a container" systemd-nspawn "$(in_hostbox systemd-detect-virt)"
check_eq "it has cgroup v2 only, at /sys/fs/cgroup" cgroup2fs "$(in_hostbox stat -f -c %T /sys/fs/cgroup)"
check_eq "its host name is its machine name" "$NAME" "$(in_hostbox hostname)"
check_match "it has a machine id of its own" '^[0-9a-f]{32}$' "$(in_hostbox cat /etc/machine-id)"
check_match "its root has every capability of this host's" "$(grep CapBnd /proc/self/status)" \
        "$(grep CapBnd "/proc/$HOSTBOX_PID/status")"
check_match "no seccomp filter" '^Seccomp:[[:space:]]+0$' "$(grep '^Seccomp:' "/proc/$HOSTBOX_PID/status")"

# The system bus and systemd-machined, started on demand.
check_match "org.freedesktop.machine1 is activatable on its system bus" '^org\.freedesktop\.machine1 ' \
        "$(in_hostbox busctl list --activatable --no-legend)"
in_hostbox busctl call org.freedesktop.machine1 /org/freedesktop/machine1 org.freedesktop.machine1.Manager \
        ListMachines >/dev/null
check_eq "a call to org.freedesktop.machine1 starts systemd-machined" active \
        "$(in_hostbox systemctl is-active systemd-machined.service)"
check_match "busctl status org.freedesktop.machine1 shows systemd-machined" '^Comm=systemd-machine' \
        "$(in_hostbox busctl status org.freedesktop.machine1)"
check_eq "machinectl list works and lists no machine" "" "$(in_hostbox machinectl list --no-legend)"

# Our build, installed.
hostbox_install || finish
check_eq "machined-lite is on PATH in the hostbox" /usr/local/bin/machined-lite "$(in_hostbox sh -c 'command -v machined-lite')"
check_eq "machined-lite --version works inside" "$("$ML" --version)" "$(in_hostbox machined-lite --version 2>&1)"
mapfile -t units < <(find "$WORK/hostbox-install" -path '*/systemd/system/*' -type f -printf '%f\n')
for unit in "${units[@]}"; do
        check_match "the installed $unit is in the hostbox's unit path" "^$unit " \
                "$(in_hostbox systemctl list-unit-files --no-legend --plain "$unit")"
done

# hostbox_run: a service of the hostbox's systemd, exit status and output passed on.
# shellcheck disable=SC2016 # expanded by the hostbox's shell
out=$(hostbox_run /bin/sh -c 'grep "^0::" /proc/self/cgroup; echo "ppid=$PPID"' </dev/null)
check_match "hostbox_run runs a transient service, a child of the hostbox's systemd" \
        '^0::/system\.slice/run-u[0-9]+\.service
ppid=1$' "$out"
# shellcheck disable=SC2016 # literally: what hostbox_run must not expand
out=$(hostbox_run /bin/echo '$HOME ${HOME} $$ %n' </dev/null)
# shellcheck disable=SC2016 # likewise
check_eq "hostbox_run passes arguments literally" '$HOME ${HOME} $$ %n' "$out"
out=$(hostbox_run /bin/sh -c 'echo out; echo err >&2; exit 3' </dev/null 2>"$WORK/err")
check_eq "hostbox_run passes stdout, stderr and the exit status on" "3 out err" "$? $out $(cat "$WORK/err")"

# machined-lite inside: run and boot, as services of the hostbox's systemd.
make_busybox_tree "$HOSTBOX_DIR/busybox"
hostbox_run machined-lite run --register=no --console=pipe -D "$HOSTBOX_DIR/busybox" -- /bin/sh -c 'exit 42' </dev/null
check_eq "machined-lite run in the hostbox passes exit 42 on" 42 "$?"
out=$(hostbox_run machined-lite run --register=no --console=pipe -D "$HOSTBOX_DIR/busybox" -- /bin/true </dev/null 2>&1)
check_eq "machined-lite run -- /bin/true in the hostbox: exit 0, no output" "0 " "$? $out"
out=$(hostbox_run machined-lite boot -q --register=no --console=pipe -D "$HOSTBOX_DIR/busybox" --init=/bin/sh \
        -- -c 'echo pid=$$; exit 7' </dev/null 2>&1)
check_eq "machined-lite boot --init=/bin/sh in the hostbox" "7 pid=1" "$? $out"

hostbox_run --unit="ml-boot-$$" machined-lite boot -q --register=no --console=read-only \
        -D "$HOSTBOX_DIR/busybox" </dev/null >"$WORK/boot-console" 2>&1 &
BOOT=$!
for _ in $(seq 100); do grep -q busybox-init-booted "$WORK/boot-console" && break; sleep 0.05; done
check "machined-lite boot of busybox init in the hostbox comes up" grep -q busybox-init-booted "$WORK/boot-console"
check_match "its machine's cgroup is under the service, in the hostbox's cgroup tree" \
        "^/sys/fs/cgroup/system\.slice/ml-boot-$$\.service/machine-busybox$" \
        "$(in_hostbox find /sys/fs/cgroup -type d -name 'machine-*')"
in_hostbox systemctl kill --kill-whom=main --signal=SIGTERM "ml-boot-$$.service"
wait $BOOT
check_eq "SIGTERM to machined-lite in the hostbox powers busybox off: exit 0" 0 "$?"
check "busybox init ran its shutdown actions" grep -q busybox-init-shutdown "$WORK/boot-console"
check_eq "no machine cgroup is left in the hostbox" "" "$(in_hostbox find /sys/fs/cgroup -type d -name 'machine-*')"
check_eq "no failed unit in the hostbox" "" "$(in_hostbox systemctl --failed --no-legend --plain)"

hostbox_stop
check_eq "the cached tree is pristine: its /etc/machine-id is still empty" 0 "$(stat -c %s "$TREE/etc/machine-id")"
check "the cached tree is pristine: nothing in it is newer than its package list" \
        test -z "$(find "$TREE" -newer "$CACHE_DIR/hostbox.packages" -print -quit)"
host_unchanged "after the hostbox"
finish
