#!/bin/bash
# machined-lite in a container whose seccomp filter refuses bpf() (systemd-nspawn's
# default filter, kept on the hostbox: HOSTBOX_SECCOMP=1), where the device policy
# cannot be attached. With -U the guest starts anyway, one line saying why that is
# safe, and the kernel indeed refuses it device nodes; without -U machined-lite
# refuses with one line, exit 1, nothing made. machine@debian (which has -U) boots
# a Debian guest to running, says so once in its journal, and stops cleanly.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/hostbox.sh"
require_root
make_work
NAME=ml-seccomp-$$
BB=$WORK/hostbox/bb
make_busybox_tree "$BB"
command -v cc >/dev/null || skip "no C compiler to build the probe (apt-get install gcc)"
cc -static -O2 -o "$BB/probe" "$TESTS_DIR/integration/syscall-probe.c" 2>"$WORK/cc.log" ||
        skip "cannot build the static probe: $(head -3 "$WORK/cc.log")"
# A node of the host's kernel log, open to all, planted in the tree: only nodev stops
# a guest from reading it when no device program is attached.
mknod -m 0666 "$BB/kmsg" c 1 11
host_snapshot
HOSTBOX_SECCOMP=1 hostbox_start "$NAME" --bind-ro="$(debian_tree)":/var/lib/machines/debian || finish
hostbox_install || finish

REFUSED='bpf\(\) is refused here \(Operation not permitted: a seccomp filter of the container machined-lite runs in\?\)'

# --- The hostbox is a container whose filter refuses bpf().
check_match "the hostbox's PID 1 is under a seccomp filter" '^Seccomp:[[:space:]]+2$' \
        "$(grep '^Seccomp:' "/proc/$HOSTBOX_PID/status")"
check_eq "bpf() in a service of the hostbox fails with EPERM (the filter)" "bpf EPERM" "$(hostbox_run "$BB/probe" bpf)"
check_eq "the same call outside the filter (nsenter) gets to the kernel: EINVAL" "bpf EINVAL" "$(in_hostbox "$BB/probe" bpf)"

# What a machine may leave in the hostbox: units, machines, cgroups, state, mounts.
hostbox_leftovers() {
        in_hostbox systemctl list-units --all --no-legend --plain 'machine-*' 'machine@*' | grep -v '^machine@debian\.service .* inactive dead'
        in_hostbox machinectl list --no-legend
        in_hostbox find /sys/fs/cgroup/machine.slice -mindepth 1 -type d 2>/dev/null
        in_hostbox find /run/machined-lite/machines -mindepth 1 2>/dev/null
        # shellcheck disable=SC2016 # awk's field
        in_hostbox awk '{ print $5 }' /proc/1/mountinfo | sort
}
before=$(hostbox_leftovers)
nothing_left() {
        local left
        for _ in $(seq 50); do
                left=$(hostbox_leftovers)
                [ "$left" = "$before" ] && break
                sleep 0.1
        done
        check_eq "$1: no unit, machine, cgroup, state file or mount left in the hostbox" "$before" "$left"
}

# --- Without -U the guest's root is the host's: refused before anything is made.
out=$(hostbox_run -- machined-lite run -M bare --console=pipe -D "$BB" -- /bin/true 2>&1)
check_eq "run without -U: exit 1" 1 "$?"
check_match "with one line saying why and what to do" "^machined-lite: Cannot confine the devices of machine bare: $REFUSED; without a user namespace its root could open any device node \(use -U, or run machined-lite where bpf\(\) is allowed\)$" "$out"
check_eq "no scope was ever made for it" 0 "$(in_hostbox journalctl --no-pager -o cat | grep -c 'machine-bare\.scope')"
nothing_left "after the refusal"

# --- With -U it starts, says so once, and the kernel refuses it devices all the same.
out=$(hostbox_run -- machined-lite run -U -M confined --console=pipe -D "$BB" -- /bin/sh -c '
        true < /kmsg && echo "/kmsg opened" || echo "/kmsg refused"
        mknod /tmp/disk b 8 0 && echo "disk node made" || echo "disk node refused"
        mknod /tmp/mem c 1 1 && echo "mem node made" || echo "mem node refused"' 2>&1)
check_eq "run -U: exit 0" 0 "$?"
check_match "one line: the policy is not attached, and why that is safe" "^machined-lite: Device policy not attached to cgroup /sys/fs/cgroup/machine\.slice/machine-confined\.scope/payload: $REFUSED; with -U the guest's root can neither make device nodes nor open any but its /dev's$" \
        "$(printf '%s\n' "$out" | grep '^machined-lite: ')"
check_eq "and only one" 1 "$(printf '%s\n' "$out" | grep -c '^machined-lite: ')"
check_match "a node planted in its tree cannot be opened (nodev)" '/kmsg: Permission denied' "$out"
check_eq "nor can its root make device nodes" "/kmsg refused
disk node refused
mem node refused" "$(printf '%s\n' "$out" | grep -E '(opened|refused|made)$')"
nothing_left "after run -U"

# --- machine@debian, with --private-users=pick: boots, warns once, stops cleanly.
in_hostbox systemctl start machine@debian
check_eq "systemctl start machine@debian succeeds" 0 "$?"
check_match "machined-lite list shows it running" '^debian +container +running +systemd ' \
        "$(in_hostbox machined-lite list | grep '^debian ')"
check_eq "machinectl knows it" "debian running" \
        "$(in_hostbox machinectl list --no-legend | awk '{ print $1 }') $(in_hostbox machinectl show debian -p State --value)"
check_match "the guest's systemd is up (machined-lite shell: systemctl is-system-running)" '^(running|degraded)$' \
        "$(in_hostbox machined-lite shell debian -- /bin/systemctl is-system-running 2>&1)"
check_match "in the guest, its root cannot make a disk's node" 'Operation not permitted' \
        "$(in_hostbox machined-lite shell debian -- /bin/mknod /run/disk b 8 0 2>&1)"
journal=$(in_hostbox journalctl -u machine@debian --no-pager -o cat)
check_match "the unit's journal has the one line" "^machined-lite: Device policy not attached to cgroup /sys/fs/cgroup/machine\.slice/machine@debian\.service/payload: $REFUSED; with -U" \
        "$(printf '%s\n' "$journal" | grep '^machined-lite: ')"
check_eq "and no other line of machined-lite's" 1 "$(printf '%s\n' "$journal" | grep -c '^machined-lite: ')"
in_hostbox systemctl stop machine@debian
check_eq "systemctl stop powers it off: Result=success, exit 0" "success 0" \
        "$(in_hostbox systemctl show machine@debian -p Result --value) $(in_hostbox systemctl show machine@debian -p ExecMainStatus --value)"
check_match "the guest shut down cleanly (its console, in the unit's journal)" 'Reached target .*System (Halt|Power Off)' \
        "$(in_hostbox journalctl -u machine@debian --no-pager -o cat | tr '\n' ' ')"
nothing_left "after systemctl stop"

hostbox_stop
host_unchanged "after the hostbox"
finish
