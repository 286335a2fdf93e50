#!/bin/bash
# Signals to machined-lite: a clean shutdown asked of PID 1, SIGKILL as the last word,
# and nothing left behind when machined-lite itself is killed.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/sigbox
make_busybox_tree "$TREE"
host_snapshot

# start_run SCRIPT: a guest running SCRIPT in the background; sets SUP and LEADER.
start_run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null >"$WORK/out" 2>"$WORK/err" &
        SUP=$!
        LEADER=$(guest_leader $SUP)
        # Until the command's trap is set, a signal would end it the default way.
        for _ in $(seq 100); do grep -q ready "$WORK/out" 2>/dev/null && break; sleep 0.05; done
}

start_run -- /bin/sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
kill -TERM $SUP
wait $SUP
check_eq "SIGTERM reaches the command through PID 1; its exit status is ours" 7 "$?"
check "the command saw SIGTERM" grep -q got-term "$WORK/out"

start_run -- /bin/sh -c 'trap "echo got-int; exit 8" TERM; echo ready; while :; do sleep 0.1; done'
kill -INT $SUP
wait $SUP
check_eq "SIGINT to machined-lite asks the same clean shutdown" 8 "$?"

start_run --kill-signal=SIGUSR1 -- /bin/sh -c 'trap "echo got-usr1; exit 9" USR1; echo ready; while :; do sleep 0.1; done'
kill -TERM $SUP
wait $SUP
check_eq "--kill-signal=SIGUSR1 is what the guest gets" 9 "$?"

# A guest that ignores the polite signal: a second one kills it at once.
start_run -- /bin/sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
kill -TERM $SUP
sleep 0.5
check "a guest ignoring SIGTERM is still running after the first" kill -0 $SUP
kill -TERM $SUP
wait $SUP
check_eq "the second SIGTERM kills it: 128+SIGKILL" 137 "$?"

# SIGKILL of machined-lite itself: the guest dies too, the host keeps nothing of it.
start_run -- /bin/sh -c 'echo ready; sleep 100 & sleep 100'
check "the guest runs" kill -0 "$LEADER"
kill -KILL $SUP
wait $SUP 2>/dev/null
check "after SIGKILL of machined-lite, the guest's PID 1 is gone" wait_gone "$LEADER" 5
check "and no sleep of the guest survives" test -z "$(pgrep -x sleep -P "$LEADER")"
host_unchanged "after SIGKILL of machined-lite"

# The same while a booted init runs (busybox init, as PID 1).
"$ML" boot -q --console=read-only -D "$TREE" </dev/null >"$WORK/out" 2>&1 &
SUP=$!
LEADER=$(guest_leader $SUP)
for _ in $(seq 100); do grep -q busybox-init-booted "$WORK/out" && break; sleep 0.05; done
kill -KILL $SUP
wait $SUP 2>/dev/null
check "after SIGKILL of machined-lite, a booted init is gone" wait_gone "$LEADER" 5
host_unchanged "after SIGKILL of a booted machine"
finish
