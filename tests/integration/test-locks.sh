#!/bin/bash
# machined-lite's locks are out of every guest's reach, and the verbs never signal a
# process that took the PID of a dead machine's:
# - a -U guest squats the abstract socket names that once were the machine-name and
#   UID-range locks (lock-squatter.c): a crashed machine is still seen as gone, its
#   name can be booted again, and -U machines still find a UID range;
# - the killed supervisor's PID, reused by an unrelated host process (ns_last_pid),
#   survives `stop NAME`, `reboot NAME` and `kill NAME`;
# - a guest holding flock(2) on another machine's tree (given by a bind) keeps nobody
#   from booting it;
# - two given UID ranges that overlap do not run at once.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/tree
make_busybox_tree "$TREE"
cc -static -O2 -o "$TREE/squat" "$TESTS_DIR/integration/lock-squatter.c" 2>"$WORK/cc.log" ||
        skip "cannot build the static squatter probe: $(head -1 "$WORK/cc.log")"
trap 'pkill -KILL -f -- "-M ml-lock" 2>/dev/null; kill -KILL $REUSED 2>/dev/null; cleanup_work' EXIT
REUSED=
host_snapshot

# The victim: a machine whose supervisor is killed outright.
"$ML" boot -q --console=read-only -M ml-lock-victim -D "$TREE" --read-only </dev/null >"$WORK/victim" 2>&1 &
victim=$!
guest_leader $victim >/dev/null
for _ in $(seq 100); do [ -e /run/machined-lite/machines/ml-lock-victim ] && break; sleep 0.05; done
kill_leaving_state ml-lock-victim $victim
check "the killed machine's state file is there, stale" test -e /run/machined-lite/machines/ml-lock-victim

# The attacker: a -U guest that binds every old lock name, the victim's among them.
"$ML" run -q -U --console=pipe -M ml-lock-squatter -D "$TREE" --read-only -- /squat ml-lock-victim \
        </dev/null >"$WORK/squat" 2>&1 &
squatter=$!
for _ in $(seq 300); do grep -q squatted "$WORK/squat" && break; sleep 0.1; done
check_match "the guest squatted the old lock names (1 name lock, 28663 UID range locks)" "squatted 28664 names" "$(cat "$WORK/squat")"

# An unrelated host process takes the dead supervisor's PID.
for _ in $(seq 50); do
        echo $((victim - 1)) > /proc/sys/kernel/ns_last_pid
        sleep 1000 &
        REUSED=$!
        [ "$REUSED" = "$victim" ] && break
        kill -KILL $REUSED; wait $REUSED 2>/dev/null; REUSED=
done
[ -n "$REUSED" ] || fail "could not make a process take PID $victim (ns_last_pid)"

out=$("$ML" list)
check_eq "list does not show the crashed machine" "" "$(grep ml-lock-victim <<<"$out")"
for verb in stop reboot kill; do
        "$ML" $verb ml-lock-victim 2>"$WORK/err"
        check_eq "$verb of the crashed machine: not running, exit 6" 6 "$?"
done
check_match "with one line saying so" "^machined-lite: No machine ml-lock-victim is running" "$(cat "$WORK/err")"
check "the process that took its supervisor's PID lives on" kill -0 "$REUSED"

"$ML" run -q --console=pipe -M ml-lock-victim -D "$TREE" --read-only -- /bin/true </dev/null >/dev/null 2>"$WORK/err"
check_eq "the crashed machine's name boots again: exit 0" 0 "$?"
"$ML" run -q -U --console=pipe -M ml-lock-userns -D "$TREE" --read-only -- /bin/true </dev/null >/dev/null 2>"$WORK/err"
check_eq "a -U machine still finds a UID range: exit 0" "0 " "$? $(cat "$WORK/err")"

kill -KILL $squatter
wait $squatter 2>/dev/null
kill -KILL "$REUSED"; wait "$REUSED" 2>/dev/null; REUSED=

# Given ranges that overlap: the second is refused while the first runs. (And list, which
# needs no root, shows a running machine to a user who may not look at the locks; the
# binary by an fd of ours, as the build directory may be closed to that user.)
"$ML" run -q --private-users=1000000:65536 --console=pipe -M ml-lock-range1 -D "$TREE" --read-only -- /bin/sleep 3 \
        </dev/null >/dev/null 2>&1 &
r1=$!
wait_listed ml-lock-range1
"$ML" run -q --private-users=1032768:65536 --console=pipe -M ml-lock-range2 -D "$TREE" --read-only -- /bin/true \
        </dev/null >/dev/null 2>"$WORK/err"
check_eq "a UID range overlapping a running machine's: refused, exit 5" 5 "$?"
check_match "list as an unprivileged user shows the running machine" "^ml-lock-range1 " \
        "$(setpriv --reuid=65534 --regid=65534 --clear-groups /proc/self/fd/9 list 9<"$ML")"
check_match "with one line saying so" "^machined-lite: UID range 1032768:65536 is in use by another machine, or overlaps a range in use" "$(cat "$WORK/err")"
wait $r1

# The tree lock is no lock on the tree's directory (a guest could take that one): a guest
# given another tree by a bind, holding flock(2) on it, keeps no machine from it.
OTHER=$WORK/other
make_busybox_tree "$OTHER"
"$ML" run -q --console=pipe -M ml-lock-flocker -D "$TREE" --read-only --bind="$OTHER:/other" -- \
        /squat --flock /other </dev/null >"$WORK/flocker" 2>&1 &
flocker=$!
for _ in $(seq 100); do grep -q locked "$WORK/flocker" && break; sleep 0.05; done
check_match "the guest holds flock(2) on the other tree" "^locked /other" "$(cat "$WORK/flocker")"
"$ML" run -q --console=pipe -M ml-lock-other -D "$OTHER" -- /bin/true </dev/null >/dev/null 2>"$WORK/err"
check_eq "a tree a guest holds flock(2) on still boots: exit 0" "0 " "$? $(cat "$WORK/err")"
kill -TERM $flocker
wait $flocker 2>/dev/null

# A machine that ended leaves no lock file of its name, tree or network behind (the
# directory would keep one of every name and tree there ever was); one of a machine that
# runs stays, held.
LOCKS=/run/machined-lite/locks
tree_lock=$(printf 'tree.%x.%x' "$(stat -c %d "$OTHER")" "$(stat -c %i "$OTHER")")
"$ML" run -q --console=pipe -M ml-lock-gone -D "$OTHER" -- /bin/true </dev/null >/dev/null 2>&1
check_eq "after a machine: no lock file of its name or tree is left" "gone gone" \
        "$([ -e "$LOCKS/machine.ml-lock-gone" ] && echo left || echo gone) $([ -e "$LOCKS/$tree_lock" ] && echo left || echo gone)"
# (-n in a network namespace of the test's own: its veth is made there.)
unshare -n "$ML" run -q -n --console=pipe -M ml-lock-net -D "$OTHER" -- /bin/true </dev/null >/dev/null 2>&1
for _ in $(seq 50); do [ -e "$LOCKS/network-ml-lock-net" ] || break; sleep 0.1; done
check "...nor of its network (after ml-netdown)" test ! -e "$LOCKS/network-ml-lock-net"
"$ML" boot -q --console=read-only -M ml-lock-held -D "$OTHER" </dev/null >/dev/null 2>&1 &
held=$!
for _ in $(seq 100); do [ -e /run/machined-lite/machines/ml-lock-held ] && break; sleep 0.05; done
check "...while a machine runs, its name's lock file is there" test -e "$LOCKS/machine.ml-lock-held"
"$ML" stop ml-lock-held >/dev/null 2>&1
wait $held 2>/dev/null
check "...and gone once it stopped" test ! -e "$LOCKS/machine.ml-lock-held"

host_unchanged "after the squatter, the crash and the reused PID"
finish
