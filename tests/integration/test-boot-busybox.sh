#!/bin/bash
# `boot` with busybox init as PID 1: it comes up, powers off on SIGTERM with exit 0,
# and a reboot inside gives 133.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/bbinit
make_busybox_tree "$TREE"
host_snapshot

start_boot() {
        "$ML" boot -q --console=read-only -D "$TREE" </dev/null >"$WORK/console" 2>&1 &
        SUP=$!
        LEADER=$(guest_leader $SUP)
        for _ in $(seq 100); do grep -q busybox-init-booted "$WORK/console" && break; sleep 0.05; done
}

start_boot
check "busybox init ran its sysinit" grep -q busybox-init-booted "$WORK/console"
check_eq "PID 1 in the guest is busybox init" "init" "$(in_guest "$LEADER" /bin/cat /proc/1/comm)"
check_eq "the guest's host name is the machine name" bbinit "$(in_guest "$LEADER" /bin/hostname)"
kill -TERM $SUP
wait $SUP
check_eq "SIGTERM powers the guest off (SIGUSR2 to busybox init): exit 0" 0 "$?"
check "init ran its shutdown actions" grep -q busybox-init-shutdown "$WORK/console"

start_boot
in_guest "$LEADER" /bin/busybox reboot
wait $SUP
check_eq "a reboot inside the guest gives exit 133" 133 "$?"

start_boot
in_guest "$LEADER" /bin/busybox poweroff
wait $SUP
check_eq "poweroff inside the guest gives exit 0" 0 "$?"

# --init and init's arguments after --.
# shellcheck disable=SC2016 # expanded by the guest's init, /bin/sh
out=$("$ML" boot -q --console=pipe -D "$TREE" --init=/bin/sh -- -c 'echo pid=$$ args=$0; exit 5' </dev/null 2>&1)
check_eq "--init runs that program as PID 1, with the arguments after --" "5 pid=1 args=/bin/sh" "$? $out"

# NAME resolves to /var/lib/machines/NAME.
if [ ! -e /var/lib/machines/ml-test-bb ]; then
        mkdir -p /var/lib/machines
        ln -s "$TREE" /var/lib/machines/ml-test-bb
        out=$("$ML" boot -q --console=pipe ml-test-bb --init=/bin/hostname </dev/null 2>&1)
        check_eq "boot NAME finds /var/lib/machines/NAME and names the machine NAME" "ml-test-bb" "$out"
        rm /var/lib/machines/ml-test-bb
fi

host_unchanged "after all boots"
finish
