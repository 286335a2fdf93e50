#!/bin/bash
# Verbs on running machines, without systemd-machined: list (and --json), status, stop,
# reboot, kill; the name lock (two boots of one name: exactly one runs); a stale state
# file left by a killed supervisor is cleaned by the next list.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/ctl
make_busybox_tree "$TREE"
trap 'pkill -KILL -f -- "-M ml-ctl" 2>/dev/null; cleanup_work' EXIT
host_snapshot

start_boot() { # NAME: busybox init as PID 1, up
        "$ML" boot -q --console=read-only -M "$1" -D "$TREE" --read-only </dev/null >"$WORK/console-$1" 2>&1 &
        SUP=$!
        LEADER=$(guest_leader $SUP)
        for _ in $(seq 100); do grep -q busybox-init-booted "$WORK/console-$1" && break; sleep 0.05; done
}

# (Other machines of the host's may run too: only ours, ml-ctl-*, are looked at.)
out=$("$ML" list)
check_match "list works with none of ours running" "machines? listed.$" "$out"
check_eq "and shows none of ours" "" "$(grep ml-ctl <<<"$out")"

start_boot ml-ctl-a
sup_a=$SUP leader_a=$LEADER
out=$("$ML" list)
check_match "list shows the machine: name, class, state, init, leader, root" \
        "ml-ctl-a +container +running +busybox +$leader_a +$TREE " "$out"
check_match "and counts what it lists" "[1-9][0-9]* machines? listed.$" "$out"
echo "$out"
json=$("$ML" list --json)
check_eq "list --json: name, leader, supervisor, root" "ml-ctl-a $leader_a $sup_a $TREE" \
        "$(python3 -c 'import json, sys; m = [m for m in json.load(sys.stdin) if m["name"] == "ml-ctl-a"][0]; print(m["name"], m["leader"], m["supervisor"], m["root"])' <<<"$json")"
out=$("$ML" status ml-ctl-a)
check_match "status: root and leader" "Root: $TREE" "$out"
check_match "status: the leader's PID and init" "Leader: $leader_a \\(busybox\\)" "$out"
check_match "status: the processes as a tree, init first" "[├└]─$leader_a init" "$out"
echo "$out"

# One name, two boots at once: exactly one runs, the other is refused.
"$ML" run -q --console=pipe -M ml-ctl-race -D "$TREE" --read-only -- /bin/sleep 3 </dev/null >/dev/null 2>"$WORK/race1" &
r1=$!
"$ML" run -q --console=pipe -M ml-ctl-race -D "$TREE" --read-only -- /bin/sleep 3 </dev/null >/dev/null 2>"$WORK/race2" &
r2=$!
wait $r1; s1=$?
wait $r2; s2=$?
check_eq "two boots of one name at once: one ran (0), one was refused (5)" "0 5" "$(printf '%s\n' $s1 $s2 | sort | tr '\n' ' ' | sed 's/ $//')"
check_match "the refused one says so" "Machine ml-ctl-race is already running" "$(cat "$WORK/race1" "$WORK/race2")"

# kill: a signal to every process of the machine, or to its leader only.
"$ML" run -q --console=pipe -M ml-ctl-kill -D "$TREE" --read-only -- /bin/sh -c \
        'trap "echo usr1 >> /run/got" USR1; while :; do sleep 0.1; done' </dev/null >/dev/null 2>&1 &
sup_k=$!
leader_k=$(guest_leader $sup_k)
sleep 0.3
"$ML" kill ml-ctl-kill --signal=SIGUSR1
check_eq "kill --signal=SIGUSR1: exit 0" 0 "$?"
for _ in $(seq 50); do [ -e "/proc/$leader_k/root/run/got" ] && break; sleep 0.05; done
check "the machine's shell got SIGUSR1" test -e "/proc/$leader_k/root/run/got"
"$ML" kill ml-ctl-kill --kill-whom=leader --signal=KILL
wait $sup_k
check_eq "kill --kill-whom=leader --signal=KILL: PID 1 died of SIGKILL, exit 137" 137 "$?"

# stop: a clean poweroff, waited for.
"$ML" stop ml-ctl-a
check_eq "stop: exit 0" 0 "$?"
check "when stop returns, the supervisor is gone" test ! -e /proc/$sup_a
wait $sup_a
check_eq "the machine powered off cleanly: exit 0" 0 "$?"
check "its init ran its shutdown actions" grep -q busybox-init-shutdown "$WORK/console-ml-ctl-a"

# reboot: the machine ends with 133, which a unit restarts on.
start_boot ml-ctl-b
"$ML" reboot ml-ctl-b
check_eq "reboot: exit 0" 0 "$?"
wait $SUP
check_eq "the machine rebooted: exit 133" 133 "$?"

# A supervisor killed outright, with its sweeper, leaves its state file; the next list
# finds nobody holds the name and removes it.
start_boot ml-ctl-stale
kill_leaving_state ml-ctl-stale $SUP
check "the killed supervisor's state file is there" test -e /run/machined-lite/machines/ml-ctl-stale
out=$("$ML" list)
check_eq "list does not show the dead machine" "" "$(grep ml-ctl-stale <<<"$out")"
check "and has removed its state file" test ! -e /run/machined-lite/machines/ml-ctl-stale

# Bad input.
"$ML" status ml-ctl-nosuch 2>"$WORK/err"
check_eq "status of a machine that does not run: exit 6" 6 "$?"
check_match "with one line saying so" "^machined-lite: No machine ml-ctl-nosuch is running" "$(cat "$WORK/err")"
for verb in stop reboot kill; do
        "$ML" $verb ml-ctl-nosuch 2>/dev/null
        check_eq "$verb of a machine that does not run: exit 6" 6 "$?"
done
for verb in status stop shell; do
        one_line_error "$verb of a name no machine can have: exit 2" 2 "^machined-lite: Invalid machine name 'bad name'" \
                "$ML" $verb 'bad name'
done
"$ML" kill ml-ctl-nosuch --signal=SIGBOGUS 2>"$WORK/err"
check_eq "kill --signal=SIGBOGUS: exit 2" 2 "$?"
check_match "naming the signal" "Unknown signal 'SIGBOGUS'" "$(cat "$WORK/err")"
"$ML" status 2>/dev/null
check_eq "status without NAME: exit 2" 2 "$?"
"$ML" list extra 2>/dev/null
check_eq "list with an argument: exit 2" 2 "$?"
# shellcheck disable=SC2010 # ls -A: dot names too (.#NAME.PID, a state file being written)
check_eq "no state file of ours is left" "" "$(ls -A /run/machined-lite/machines 2>/dev/null | grep ml-ctl)"
host_unchanged "after the verbs"
finish
