#!/bin/bash
# A hostile guest, from inside: the capabilities it keeps, the system calls it may not
# make (natively and through the i386 and x32 entries), no_new_privs, and what of the
# host it can reach through /proc and inherited fds.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/secbox
make_busybox_tree "$TREE"
command -v cc >/dev/null || skip "no C compiler to build the probe (apt-get install gcc)"
cc -static -O2 -o "$TREE/probe" "$TESTS_DIR/integration/syscall-probe.c" 2>"$WORK/cc.log" ||
        skip "cannot build the static probe: $(head -3 "$WORK/cc.log")"
ML_SUM=$(md5sum < "$ML")
host_snapshot

run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null 2>"$WORK/stderr"
}
status_field() {
        run "${@:2}" -- /bin/sh -c "grep '^$1:' /proc/self/status | cut -f2"
}
# mask CAP-NUMBER...: the hex mask of these capabilities.
mask() {
        local m=0 c
        for c in "$@"; do m=$((m | (1 << c))); done
        printf '%016x' "$m"
}
HOST_BND=$((16#$(grep '^CapBnd:' /proc/self/status | cut -f2)))
within_host() {
        printf '%016x' $((16#$1 & HOST_BND))
}

# systemd-nspawn's default set, by number (capability.h): CHOWN 0, DAC_OVERRIDE 1,
# DAC_READ_SEARCH 2, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7, SETPCAP 8,
# LINUX_IMMUTABLE 9, NET_BIND_SERVICE 10, NET_BROADCAST 11, NET_RAW 13, IPC_OWNER 15,
# SYS_CHROOT 18, SYS_PTRACE 19, SYS_ADMIN 21, SYS_BOOT 22, SYS_NICE 23,
# SYS_RESOURCE 24, SYS_TTY_CONFIG 26, MKNOD 27, LEASE 28, AUDIT_WRITE 29,
# AUDIT_CONTROL 30, SETFCAP 31. (This host may lack some: the guest cannot get more
# than its supervisor has.)
DEFAULT=$(mask 0 1 2 3 4 5 6 7 8 9 10 11 13 15 18 19 21 22 23 24 26 27 28 29 30 31)
check_eq "bounding set: systemd-nspawn's default list" "$(within_host "$DEFAULT")" "$(status_field CapBnd)"
check_eq "effective set: the same" "$(within_host "$DEFAULT")" "$(status_field CapEff)"
check_eq "inheritable set empty" 0000000000000000 "$(status_field CapInh)"
check_eq "ambient set empty" 0000000000000000 "$(status_field CapAmb)"
check_eq "CAP_NET_ADMIN (12) only with a private network" \
        "$(within_host "$(printf '%x' $((16#$DEFAULT | 1 << 12)))")" "$(status_field CapBnd --private-network)"
check_eq "--capability=CAP_SYS_TIME adds it (25), --drop-capability=mknod drops CAP_MKNOD (27)" \
        "$(within_host "$(printf '%x' $(((16#$DEFAULT | 1 << 25) & ~(1 << 27))))")" \
        "$(status_field CapBnd --capability=CAP_SYS_TIME --drop-capability=mknod)"
check_eq "--capability=all keeps everything this host has" "$(printf '%016x' $HOST_BND)" "$(status_field CapBnd --capability=all)"
check_eq "--drop-capability=all leaves nothing" 0000000000000000 "$(status_field CapBnd --drop-capability=all)"
check_eq "no_new_privs is off by default (setuid programs work)" 0 "$(status_field NoNewPrivs)"
check_eq "--no-new-privileges sets it" 1 "$(status_field NoNewPrivs --no-new-privileges)"
check_eq "a seccomp filter is in place" 2 "$(status_field Seccomp)"

# The default deny list, seen from inside: every call fails with EPERM, through every
# entry. --capability=all, so that EPERM comes from the filter and not from a missing
# capability.
DENIED="init_module finit_module delete_module swapoff adjtimex clock_settime kexec_load open_by_handle_at bpf
        perf_event_open keyctl add_key ioperm iopl syslog quotactl userfaultfd acct
        io_uring_setup io_uring_enter io_uring_register"
for call in $DENIED; do
        out=$(run --capability=all -- /probe "$call" "i386:$call" "x32:$call" | tr '\n' ' ')
        expected="$call EPERM i386:$call EPERM x32:$call EPERM "
        case $out in *" none "*) expected=$(printf '%s' "$out" | sed 's/[a-z0-9_:]* [A-Z]*/&/g') ;; esac
        check_eq "$call is denied: native, i386 and x32 entries all get EPERM" "$expected" "$out"
done
check_eq "an allowed call works through every entry (control)" "getpid ok i386:getpid ok " \
        "$(run -- /probe getpid i386:getpid | tr '\n' ' ')"

# It is the filter: allowing a group lets the calls through to the kernel.
out=$(run --capability=all --system-call-filter='@module @clock' -- /probe init_module x32:init_module clock_settime | tr '\n' ' ')
check_match "--system-call-filter=@module @clock takes them off the deny list" \
        '^init_module (ENOSYS|EFAULT|ENOEXEC|EINVAL) x32:init_module (ENOSYS|EFAULT|ENOEXEC|EINVAL) clock_settime (EFAULT|EINVAL) $' "$out"
# io_uring, denied by default (unlike systemd-nspawn), allowed by its group or by name:
# a ring is made (ok), enter and register reach the kernel (EBADF, EINVAL: no ring).
# x32: ENOSYS on a kernel built without it.
IO_URING=(io_uring_setup i386:io_uring_setup x32:io_uring_setup io_uring_enter i386:io_uring_enter
        x32:io_uring_enter io_uring_register i386:io_uring_register x32:io_uring_register)
IO_URING_ALLOWED='^io_uring_setup ok i386:io_uring_setup ok x32:io_uring_setup (ok|ENOSYS) io_uring_enter EBADF i386:io_uring_enter EBADF x32:io_uring_enter (EBADF|ENOSYS) io_uring_register (EBADF|EINVAL) i386:io_uring_register (EBADF|EINVAL) x32:io_uring_register (EBADF|EINVAL|ENOSYS) $'
if [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 2 ]; then
        echo "SKIP: io_uring allowed by --system-call-filter: this host turns io_uring off (kernel.io_uring_disabled=2)"
else
        out=$(run --system-call-filter=@io-uring -- /probe "${IO_URING[@]}" | tr '\n' ' ')
        check_match "--system-call-filter=@io-uring allows io_uring: a ring is made, through every entry" "$IO_URING_ALLOWED" "$out"
        out=$(run --system-call-filter='io_uring_setup,io_uring_enter io_uring_register' -- /probe "${IO_URING[@]}" | tr '\n' ' ')
        check_match "--system-call-filter with the three calls by name allows them too" "$IO_URING_ALLOWED" "$out"
        out=$(run --system-call-filter=io_uring_setup -- /probe io_uring_setup i386:io_uring_setup io_uring_enter | tr '\n' ' ')
        check_eq "--system-call-filter=io_uring_setup allows that call only" \
                "io_uring_setup ok i386:io_uring_setup ok io_uring_enter EPERM " "$out"
fi
out=$(run --system-call-filter='~ptrace' -- /probe ptrace i386:ptrace | tr '\n' ' ')
check_eq "--system-call-filter=~ptrace denies one more" "ptrace EPERM i386:ptrace EPERM " "$out"
out=$(run --system-call-filter='~@clock' --system-call-filter='+@clock' --capability=all -- /probe adjtimex | tr '\n' ' ')
check_eq "a deny wins over an allow of the same call" "adjtimex EPERM " "$out"

# Tools a hostile root would reach for.
out=$(run -- /bin/sh -c '(echo 1 > /proc/sys/kernel/sysrq) 2>/dev/null || echo proc-refused; (echo x > /sys/kernel/uevent_helper) 2>/dev/null || echo sys-refused')
check_eq "kernel knobs in /proc/sys and /sys cannot be written" "proc-refused
sys-refused" "$out"
if [ -e /proc/sysrq-trigger ]; then
        out=$(run -- /bin/sh -c 'echo h > /proc/sysrq-trigger 2>/dev/null || echo refused')
        check_eq "/proc/sysrq-trigger cannot be written" refused "$out"
fi
out=$(run -- /bin/sh -c 'readlink /proc/1/root; ls /proc/1/root/ | grep -c probe')
check_eq "/proc/1/root is the guest's own root" "/
1" "$out"
# With a console (no stdio of ours passed on), every fd of every guest process.
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run --console=read-only -- /bin/sh -c 'for p in /proc/[0-9]*; do for f in $p/fd/*; do readlink $f; done; done 2>/dev/null | sort -u | tr "\n" " "' | tr -d '\r')
check_match "no process of the guest holds an fd to anything of the host's (only its console, pipes, anon inodes, /proc)" \
        '^((anon_inode:[^ ]*|pipe:\[[0-9]+\]|socket:\[[0-9]+\]|/dev/console|/dev/pts/[0-9]+|/dev/null|/proc/[^ ]*) )*$' "$out"

# /proc/1/exe of run's init (the runc /proc/self/exe attack): a sealed memfd copy, not
# the host's machined-lite; it cannot be written, and it is no host file.
out=$(run --capability=all -- /bin/sh -c '(echo x >> /proc/1/exe) 2>/dev/null && echo written; readlink /proc/1/exe')
check_eq "/proc/1/exe is ml-init's sealed memfd: not writable, not a host binary" "/memfd:ml-init (deleted)" "$out"
check "machined-lite's binary is unchanged" test "$(md5sum < "$ML")" = "$ML_SUM"

# Devices: a guest root (with CAP_MKNOD) can make nodes, but the guest's device policy
# lets it create and open none but a container's own, even a node planted in the tree.
ROOTDEV=$(stat -c '%d' /)
MAJOR=$((ROOTDEV >> 8)) MINOR=$((ROOTDEV & 0xff))
mknod "$TREE/planted-disk" b "$MAJOR" "$MINOR"
out=$(run -- /bin/sh -c "mknod /tmp/disk b $MAJOR $MINOR 2>/dev/null && echo made; mknod /tmp/mem c 1 1 2>/dev/null && echo made-mem; \
        head -c 1 /planted-disk >/dev/null 2>&1 && echo read-planted; echo x > /dev/null && echo null-ok")
check_eq "no node of the host's disk ($MAJOR:$MINOR) nor /dev/mem can be made, a planted one not opened" "null-ok" "$out"
rm -f "$TREE/planted-disk"
out=$(run --capability=all -- /bin/sh -c "mknod /tmp/disk b $MAJOR $MINOR 2>/dev/null && echo made")
check_eq "not even with every capability: it is the device policy" "" "$out"

host_unchanged "after the hostile probes"
finish
