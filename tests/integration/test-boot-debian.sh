#!/bin/bash
# A real distribution: Debian bookworm with systemd as PID 1 boots to "running" (or
# "degraded"), then powers off on SIGTERM with exit 0; a reboot inside gives 133.
. "$(dirname "$0")/lib.sh"
require_root
make_work
DEBIAN=$(debian_tree) || exit $?
trap 'pkill -KILL -f -- "-M ml-debian "; cleanup_work' EXIT
host_snapshot

start_boot() {
        "$ML" boot -q -M ml-debian --console=read-only -D "$DEBIAN" "$@" </dev/null >"$WORK/console" 2>&1 &
        SUP=$!
        LEADER=$(guest_leader $SUP)
}

start_boot
state=$(wait_running "$LEADER")
check_match "systemd in the guest reaches running or degraded" '^(running|degraded)$' "$state"
[ "$state" = degraded ] && echo "failed units: $(in_guest "$LEADER" /bin/systemctl --failed --no-legend --plain | tr '\n' ' ')"
check_eq "PID 1 in the guest is systemd" systemd "$(in_guest "$LEADER" /bin/cat /proc/1/comm)"
check_eq "systemd sees a container" container-other "$(in_guest "$LEADER" /usr/bin/systemd-detect-virt)"
check_eq "the guest's host name is its /etc/hostname or the machine name" \
        "$(cat "$DEBIAN/etc/hostname" 2>/dev/null || echo ml-debian)" "$(in_guest "$LEADER" /bin/hostname)"
id=$(in_guest "$LEADER" /bin/cat /etc/machine-id)
check_eq "systemd took \$container_uuid as its machine id" \
        "$(in_guest "$LEADER" /bin/cat /run/host/container-uuid | tr -d '-')" "$id"
out=$(in_guest "$LEADER" /bin/sh -c 'grep "^0::" /proc/1/cgroup; ls /sys/fs/cgroup | grep -c "slice\|scope"')
check_match "systemd manages the guest's own cgroup tree" '^0::/init.scope
[1-9][0-9]*$' "$out"
check "systemd wrote to the console" grep -q "Debian GNU/Linux 12" "$WORK/console"

kill -TERM $SUP
wait $SUP
check_eq "SIGTERM powers systemd off (SIGRTMIN+3): exit 0" 0 "$?"
check "the guest shut down cleanly" grep -q "Reached target.*System Power Off\|Reached target.*System Shutdown\|Powering off\|Halting" "$WORK/console"
host_unchanged "after poweroff"

start_boot
wait_running "$LEADER" >/dev/null
in_guest "$LEADER" /bin/systemctl reboot || kill -KILL $SUP
wait $SUP
check_eq "systemctl reboot in the guest gives exit 133" 133 "$?"
host_unchanged "after reboot"

# The same tree with a user namespace: systemd comes up as an unprivileged host UID.
start_boot -U
state=$(wait_running "$LEADER")
check_match "with -U, systemd in the guest reaches running or degraded" '^(running|degraded)$' "$state"
[ "$state" = degraded ] && echo "failed units: $(in_guest "$LEADER" /bin/systemctl --failed --no-legend --plain | tr '\n' ' ')"
check "and runs as a high host UID" test "$(ps -o uid= -p "$LEADER" | tr -d ' ')" -ge $((0x80000))
check_eq "the tree on disk stays root's" "0" "$(stat -c %u "$DEBIAN/etc/passwd")"
kill -TERM $SUP
wait $SUP
check_eq "SIGTERM powers it off: exit 0" 0 "$?"
host_unchanged "after the -U boot"

# --volatile=yes: only the tree's /usr, under the links a merged-/usr tree needs.
out=$("$ML" run -q --console=pipe -M ml-debian -D "$DEBIAN" --volatile=yes -- /usr/bin/sh -c \
        'readlink /lib64 /bin; /usr/bin/ls /etc/passwd 2>/dev/null || echo no-passwd' </dev/null 2>&1)
check_eq "--volatile=yes: dynamic programs of the tree's /usr run (/lib64, /bin link to /usr), /etc starts empty" "usr/lib64
usr/bin
no-passwd" "$out"
host_unchanged "after --volatile=yes"
finish
