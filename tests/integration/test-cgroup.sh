#!/bin/bash
# The guest's cgroup: its own on the cgroup v2 hierarchy, the root of its namespace,
# entered before the guest runs anything, gone with the machine.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/cgbox
make_busybox_tree "$TREE"
CG=$(cgroup2_mount)
[ -n "$CG" ] || skip "no cgroup2 hierarchy mounted on this host"
OWN=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ "$OWN" = / ] && OWN=
GUEST_CG=$CG$OWN/machine-cgbox
host_snapshot

run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null 2>"$WORK/stderr"
}

out=$(run -- /bin/sh -c 'grep " /sys/fs/cgroup " /proc/self/mountinfo | cut -d" " -f9; grep ^0:: /proc/self/cgroup; grep ^0:: /proc/1/cgroup')
check_eq "cgroup2 at /sys/fs/cgroup, and the guest's cgroup is its root" "cgroup2
0::/
0::/" "$out"
out=$(run -- /bin/sh -c 'mkdir /sys/fs/cgroup/child && echo $$ > /sys/fs/cgroup/child/cgroup.procs && grep ^0:: /proc/self/cgroup')
check_eq "a guest can make and enter cgroups of its own (as systemd does)" "0::/child" "$out"
check "the guest's cgroup and its children are removed after exit" test ! -e "$GUEST_CG"

# From the host while the guest runs: every guest process is in machine-NAME, from
# PID 1 on (clone3 CLONE_INTO_CGROUP), and none of ours is.
"$ML" run -q --console=pipe -D "$TREE" -- /bin/sleep 3 </dev/null >/dev/null 2>&1 &
sup=$!
leader=$(guest_leader $sup)
check "the guest's cgroup exists while it runs" test -d "$GUEST_CG"
check_eq "the guest's PID 1 is in it" "0::$OWN/machine-cgbox" "$(grep ^0:: /proc/$leader/cgroup)"
procs=$(sort -n "$GUEST_CG/cgroup.procs" | tr '\n' ' ')
check_eq "it holds the guest's init and command, nothing else" "$leader $(pgrep -P $leader) " "$procs"
check "the supervisor stays outside it" test "$(grep ^0:: /proc/$sup/cgroup)" != "0::$OWN/machine-cgbox"
wait $sup
check "after the guest exits, its cgroup is gone" test ! -e "$GUEST_CG"

# A stale, empty cgroup of that name (left by a crash) does not block the next start.
mkdir -p "$GUEST_CG/leftover"
run -- /bin/true
check_eq "a stale empty cgroup is taken over" 0 "$?"
check "and removed afterwards" test ! -e "$GUEST_CG"

host_unchanged "after all runs"
finish
