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

# nspawn's cgroup switches, through its command line: systemd comes up on the v1
# hierarchies (with -U: the guest's root owns its name=systemd cgroup), and with no cgroup
# namespace, in its own cgroup of the host's tree.
mkdir -p "$WORK/bin"
ln -s "$ML" "$WORK/bin/systemd-nspawn"
# nspawn_boot ENVIRONMENT... -- OPTIONS...: boots the tree with systemd-nspawn -b.
nspawn_boot() {
        local environment=()
        while [ "$1" != -- ]; do environment+=("$1"); shift; done
        shift
        env "${environment[@]}" "$WORK/bin/systemd-nspawn" -q -b -M ml-debian --console=read-only -D "$DEBIAN" "$@" \
                </dev/null >"$WORK/console" 2>&1 &
        SUP=$!
        LEADER=$(guest_leader $SUP)
}
if grep -qv '^0::' /proc/self/cgroup; then
        nspawn_boot SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 -- -U
        state=$(wait_running "$LEADER")
        check_match "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 -U: systemd reaches running or degraded on cgroup v1" \
                '^(running|degraded)$' "$state"
        # shellcheck disable=SC2016 # expanded by the guest's shell
        check_eq "in its own cgroups of the name=systemd hierarchy, on a tmpfs" "/init.scope tmpfs" \
                "$(in_guest "$LEADER" /bin/sh -c 'echo $(sed -n "s/^[0-9]*:name=systemd://p" /proc/1/cgroup) $(stat -f -c %T /sys/fs/cgroup)')"
        kill -TERM $SUP
        wait $SUP
        check_eq "and powers off: exit 0" 0 "$?"
        host_unchanged "after the boot on cgroup v1 (the cgroups systemd made there are gone too)"
else
        echo "SKIP (one boot): SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 needs a host with cgroup v1 hierarchies; this one has v2 alone"
fi
nspawn_boot SYSTEMD_NSPAWN_USE_CGNS=0 --
state=$(wait_running "$LEADER")
check_match "SYSTEMD_NSPAWN_USE_CGNS=0: systemd reaches running or degraded" '^(running|degraded)$' "$state"
check_match "managing its cgroup at its path in the host's tree" '^0::/.+/init\.scope$' \
        "$(in_guest "$LEADER" /bin/grep '^0::' /proc/1/cgroup)"
kill -TERM $SUP
wait $SUP
check_eq "and powers off: exit 0" 0 "$?"
host_unchanged "after the boot without a cgroup namespace"

# --volatile=yes: only the tree's /usr, under the links a merged-/usr tree needs.
out=$("$ML" run -q --console=pipe -M ml-debian -D "$DEBIAN" --volatile=yes -- /usr/bin/sh -c \
        'readlink /lib64 /bin; /usr/bin/ls /etc/passwd 2>/dev/null || echo no-passwd' </dev/null 2>&1)
check_eq "--volatile=yes: dynamic programs of the tree's /usr run (/lib64, /bin link to /usr), /etc starts empty" "usr/lib64
usr/bin
no-passwd" "$out"
host_unchanged "after --volatile=yes"
# The guest's notify socket: what it says reaches the service manager that runs us
# (NOTIFY_SOCKET, here a listener of the test's), but a guest saying much is cut down: READY=1
# once, and of its STATUS= lines the last of a datagram, at most one each 100 ms.
python3 - "$WORK/notify.sock" "$WORK/notified" <<'EOT' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(8)
seen = []
try:
    while True:
        seen.append(s.recv(4096).decode(errors="replace"))
        if seen[-1] == "STATUS=done":
            break
except socket.timeout:
    pass
open(sys.argv[2], "w").write("\n".join(seen) + "\n")
EOT
listener=$!
for _ in $(seq 50); do [ -S "$WORK/notify.sock" ] && break; sleep 0.05; done
# shellcheck disable=SC2016 # expanded by the guest's shell
NOTIFY_SOCKET=$WORK/notify.sock "$ML" run -q -x --notify-ready=yes --console=pipe -M ml-notify -D "$DEBIAN" -- /bin/sh -c '
        systemd-notify READY=1; systemd-notify READY=1
        for i in $(seq 30); do systemd-notify $(for k in $(seq 40); do printf "STATUS=flood-%s-%s " $i $k; done); done
        sleep 0.2; systemd-notify STATUS=done' </dev/null >/dev/null 2>&1
wait $listener
check_eq "READY=1 reached the service manager once" 1 "$(grep -c '^READY=1$' "$WORK/notified")"
check "a flood of STATUS= lines (30 datagrams of 40) is cut down to a few" \
        test "$(grep -c '^STATUS=flood' "$WORK/notified")" -le 20
check_eq "...each the last line of its datagram" 0 "$(grep '^STATUS=flood' "$WORK/notified" | grep -vc -- '-40$')"
check_eq "the last status after a pause still goes through" "STATUS=done" "$(tail -n 1 "$WORK/notified")"
host_unchanged "after the notify flood"
finish
