#!/bin/bash
# Every bad input: one line on stderr saying what is wrong with what, a documented
# exit code, and the host exactly as it was.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/badbox
make_busybox_tree "$TREE"
mkdir -p "$WORK/noinit/bin"
cp /bin/busybox "$WORK/noinit/bin/sh"
echo "not a directory" > "$WORK/file"
host_snapshot
# The tree's listing, less what machined-lite places in a tree that lacks it
# (/etc/resolv.conf and /etc/localtime follow the host's, as with systemd-nspawn).
tree_listing() {
        find "$TREE" -printf '%p %m %s %T@\n' | grep -Ev "^$TREE/etc(/resolv.conf|/localtime)? " | sort
}
tree_listing > "$WORK/tree-before"

# not_in_stderr STRING: what the last command printed on stderr lacks STRING.
# shellcheck disable=SC2317 # called through check
not_in_stderr() {
        ! grep -qF -- "$1" "$WORK/stderr"
}

# bad DESCRIPTION EXIT-CODE MESSAGE-REGEX COMMAND...: one line, that code, that message.
bad() {
        local what=$1
        one_line_error "$@"
        host_unchanged "$what"
}

bad "not root" 3 "Must be run as root" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$ML" run -D "$TREE" -- /bin/true
bad "missing -D" 4 "Machine tree $WORK/nope does not exist" \
        "$ML" run -D "$WORK/nope" -- /bin/true
bad "missing NAME under /var/lib/machines" 4 "Machine tree /var/lib/machines/ml-no-such-machine does not exist" \
        "$ML" boot ml-no-such-machine
bad "-D is a file" 4 "$WORK/file is not a directory" \
        "$ML" run -D "$WORK/file" -- /bin/true
bad "a tree with no init" 4 "$WORK/noinit has no init: looked for /usr/lib/systemd/systemd, /lib/systemd/systemd, /sbin/init \(use --init=PATH\)" \
        "$ML" boot -D "$WORK/noinit"
bad "--init that does not exist" 4 "Init /sbin/nope given with --init does not exist in $TREE" \
        "$ML" boot -D "$TREE" --init=/sbin/nope
bad "an init that is not executable" 4 "Init /etc/passwd in $TREE is not an executable file" \
        "$ML" boot -D "$TREE" --init=/etc/passwd
bad "an invalid machine name" 2 "Invalid machine name 'bad/name'" \
        "$ML" run -M bad/name -D "$TREE" -- /bin/true
bad "a machine name ending in .machine (a settings file's name)" 2 "Invalid machine name 'x.machine': .*nor ending in \.machine" \
        "$ML" run -M x.machine -D "$TREE" -- /bin/true
# What the user gave is echoed escaped, C-style: a newline or an escape sequence in it
# neither breaks the one line nor reaches the terminal.
bad "a machine name with a newline: shown escaped, in one line" 2 "Invalid machine name 'a\\\\nb': use " \
        "$ML" run -M $'a\nb' -D "$TREE" -- /bin/true
bad "a machine name with an escape sequence" 2 "Invalid machine name 'a\\\\x1b\\[31mb\\\\x7f'" \
        "$ML" run -M $'a\e[31mb\x7f' -D "$TREE" -- /bin/true
check "and no escape character reached stderr" not_in_stderr $'\e'
bad "status of a machine name with a newline: no machine can have it, exit 2, escaped" 2 \
        "Invalid machine name 'a\\\\nb\\\\tc'" \
        "$ML" status $'a\nb\tc'
bad "a tree path with a newline" 4 "Machine tree $WORK/no\\\\nsuch does not exist" \
        "$ML" run -D "$WORK/no"$'\n'"such" -- /bin/true
bad "a directory name that is no machine name" 4 "Directory name 'bad name' is not a valid machine name \(give one with -M NAME\)" \
        bash -c "mkdir -p '$WORK/bad name' && '$ML' run -D '$WORK/bad name' -- /bin/true; rc=\$?; rmdir '$WORK/bad name'; exit \$rc"
bad "an unknown option" 2 "Unknown option '--frobnicate' \\(see machined-lite --help\\)" \
        "$ML" run --frobnicate -D "$TREE" -- /bin/true
bad "an unknown short option" 2 "Unknown option '-Z'" \
        "$ML" run -Z -D "$TREE" -- /bin/true
bad "an option without its value" 2 "Option '--directory' needs a value" \
        "$ML" run --directory
bad "a bad --register value" 2 "--register takes yes, no or auto, not 'maybe'" \
        "$ML" run --register=maybe -D "$TREE" -- /bin/true
bad "an unknown verb" 2 "Unknown verb 'fly'" \
        "$ML" fly -D "$TREE"
bad "run without a command" 2 "run needs a command after --" \
        "$ML" run -D "$TREE"
bad "a command before --" 2 "Invalid machine name '/bin/true'.*a command goes after --" \
        "$ML" run "/bin/true"
bad "a bad console mode" 2 "Unknown console mode 'tty'" \
        "$ML" run --console=tty -D "$TREE" -- /bin/true
bad "a --property name that is none" 2 "^machined-lite: --property=memory-max=1G: 'memory-max' is not a property name \\(systemd's are like MemoryMax\\)" \
        "$ML" run --property=memory-max=1G -D "$TREE" -- /bin/true
bad "a bad kill signal" 2 "Unknown signal 'SIGNOPE'" \
        "$ML" boot --kill-signal=SIGNOPE -D "$TREE"
bad "--register=yes on a host without a system bus" 1 "--register=yes: cannot connect to the system bus: .*\\(is this host running systemd and dbus\\? use --register=no\\)" \
        "$ML" boot --register=yes -D "$TREE"
bad "a command that does not exist in the guest" 127 "cannot run /bin/nope in the guest: No such file or directory" \
        "$ML" run -q --console=pipe -D "$TREE" -- /bin/nope
bad "a command that is not executable in the guest" 126 "cannot run /etc/passwd in the guest: Permission denied" \
        "$ML" run -q --console=pipe -D "$TREE" -- /etc/passwd

# A host with no cgroup v2 hierarchy (only v1): its cgroup2 mount is hidden in a
# mount namespace of the test's own.
CG2=$(cgroup2_mount)
bad "a host without cgroup v2" 1 "cgroup v2 is needed: no cgroup2 hierarchy is mounted" \
        unshare -m sh -c "umount -l '$CG2' && exec '$ML' run -q --console=pipe -D '$TREE' -- /bin/true"

# A machine of the same name already running.
"$ML" run -q --console=pipe -D "$TREE" -- /bin/sleep 5 </dev/null >/dev/null 2>&1 &
sup=$!
guest_leader $sup >/dev/null
make_busybox_tree "$WORK/second"
"$ML" run -q --console=pipe -M badbox -D "$WORK/second" -- /bin/true </dev/null >/dev/null 2>"$WORK/stderr"
rc=$?
check_eq "a second machine of the same name (another tree): exit 5" 5 "$rc"
check_match "and says so" "^machined-lite: Machine badbox is already running \\(machined-lite list shows it" "$(cat "$WORK/stderr")"
check "the first machine is unharmed" kill -0 $sup
kill -TERM $sup
wait $sup
host_unchanged "after the name clash"

# The same tree under another name: one writer per tree; read-only machines share it.
"$ML" run -q --console=pipe -D "$TREE" -- /bin/sleep 5 </dev/null >/dev/null 2>&1 &
sup=$!
guest_leader $sup >/dev/null
"$ML" run -q --console=pipe -M other -D "$TREE" -- /bin/true </dev/null >/dev/null 2>"$WORK/stderr"
check_eq "the same tree under another name, while it runs: exit 5" 5 "$?"
check_match "and says the tree is in use" "Machine tree $TREE is in use by another machine" "$(cat "$WORK/stderr")"
kill -TERM $sup
wait $sup
"$ML" run -q --console=pipe --read-only -D "$TREE" -- /bin/sleep 3 </dev/null >/dev/null 2>&1 &
sup=$!
guest_leader $sup >/dev/null
"$ML" run -q --console=pipe --read-only -M other -D "$TREE" -- /bin/true </dev/null >/dev/null 2>"$WORK/stderr"
check_eq "two read-only machines share a tree" 0 "$?"
"$ML" run -q --console=pipe -M third -D "$TREE" -- /bin/true </dev/null >/dev/null 2>"$WORK/stderr"
check_eq "but a writable one is refused while a read-only one runs" 5 "$?"
kill -TERM $sup
wait $sup
host_unchanged "after the tree clashes"

tree_listing > "$WORK/tree-after"
check "no bad input changed the tree" cmp -s "$WORK/tree-before" "$WORK/tree-after"
finish
