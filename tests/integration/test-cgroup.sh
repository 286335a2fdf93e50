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
check_eq "the guest's PID 1 is in it" "0::$OWN/machine-cgbox" "$(grep ^0:: "/proc/$leader/cgroup")"
# (Once the init has started the command: read before, the two would disagree.)
for _ in $(seq 50); do [ -n "$(pgrep -P "$leader")" ] && break; sleep 0.1; done
procs=$(sort -n "$GUEST_CG/cgroup.procs" | tr '\n' ' ')
check_eq "it holds the guest's init and command, nothing else" "$leader $(pgrep -P "$leader") " "$procs"
check "the supervisor stays outside it" test "$(grep ^0:: /proc/$sup/cgroup)" != "0::$OWN/machine-cgbox"
wait $sup
check "after the guest exits, its cgroup is gone" test ! -e "$GUEST_CG"

# A stale, empty cgroup of that name (left by a crash) does not block the next start.
mkdir -p "$GUEST_CG/leftover"
run -- /bin/true
check_eq "a stale empty cgroup is taken over" 0 "$?"
check "and removed afterwards" test ! -e "$GUEST_CG"

# A hybrid host's v1 hierarchies: a guest root that mounts one (-U or not) sees its own
# empty cgroup there, none of the host's (a marker cgroup of ours stands for them). Its
# processes, shell's too, are inside it on each hierarchy; it is gone after the machine.
v1_dirs() { # the machine's cgroups on the v1 hierarchies, as the host sees them
        local line path
        while read -r line; do
                path=${line#*:}
                path=${path%%:*}
                path=/sys/fs/cgroup/${path#name=}${line##*:}
                echo "${path%/}/machine-$1"
        done < <(grep -v '^0::' /proc/self/cgroup)
}
if [ "$(stat -f -c %T /sys/fs/cgroup/pids 2>/dev/null)" = cgroupfs ]; then
        pids_own=$(sed -n 's/^[0-9]*:pids://p' /proc/self/cgroup)
        marker=/sys/fs/cgroup/pids${pids_own%/}/ml-test-host-cgroup
        mkdir -p "$marker"
        for opts in "" "-U"; do
                out=$(run $opts -M ml-cg-v1 -- /bin/sh -c 'mkdir -p /run/v1 && mount -t cgroup -o pids cgroup /run/v1 && ls -d /run/v1/*/ 2>/dev/null; echo listed; grep -v ^0:: /proc/self/cgroup | grep -vc ":/$"')
                check_eq "run ${opts:+$opts }: a guest mounting the v1 pids hierarchy sees no cgroup of the host's, and is at the root of each v1 hierarchy" "listed
0" "$out"
        done
        "$ML" run -q --console=pipe -M ml-cg-v1 -D "$TREE" -- /bin/sleep 3 </dev/null >/dev/null 2>&1 &
        sup=$!
        leader=$(guest_leader $sup)
        sleep 0.3
        missing=
        for d in $(v1_dirs ml-cg-v1); do
                grep -qx "$leader" "$d/cgroup.procs" 2>/dev/null || missing="$missing $d"
        done
        check_eq "while it runs, its PID 1 is in machine-NAME on every v1 hierarchy" "" "$missing"
        out=$("$ML" shell ml-cg-v1 -- /bin/sh -c 'grep -v ^0:: /proc/self/cgroup | grep -vc ":/$"' </dev/null 2>&1)
        check_eq "a shell in it is at the root of each v1 hierarchy too" "0" "$out"
        kill -KILL $sup
        wait $sup 2>/dev/null
        for _ in $(seq 100); do
                left=$(for d in $(v1_dirs ml-cg-v1); do [ -e "$d" ] && echo "$d"; done)
                [ -z "$left" ] && break
                sleep 0.1
        done
        check_eq "after its supervisor is killed, the sweeper removes its v1 cgroups" "" "$left"
        rmdir "$marker"
else
        echo "SKIP (part): not a hybrid host, no cgroup v1 hierarchy at /sys/fs/cgroup/pids"
fi

host_unchanged "after all runs"
finish
