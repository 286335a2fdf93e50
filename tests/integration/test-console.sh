#!/bin/bash
# Console modes, driven through a real pty as a user at a terminal would:
# interactive (the default on a terminal), window size, terminal restored, Ctrl-]
# three times, read-only, pipe refused on a terminal (TIOCSTI), boot of busybox init.
# pty-harness.py starts machined-lite on a fresh pty and plays a script against it.

# shellcheck source=SCRIPTDIR/lib.sh
. "${TESTS_DIR:?}/integration/lib.sh"

require_root
command -v python3 >/dev/null || skip "python3 is not installed"
command -v timeout >/dev/null || skip "timeout (coreutils) is not installed"
[ -r "$HARNESS" ] || skip "$HARNESS is missing"
make_work
make_busybox_tree "$WORK/tree"
TREE=$WORK/tree

# A name of its own for each machine: another machine of the same name (a test run
# beside this one, or the sweeper of one just killed) must not get in the way.
MACHINE_SEQ=0
next_machine() {
        MACHINE_SEQ=$((MACHINE_SEQ + 1))
        MACHINE=mlc$$-$MACHINE_SEQ
}


log_has() {
        grep -Fq -- "$2" "$WORK/$1.log"
}

# --- 1-3: interactive run of a shell; window size; the terminal afterwards
next_machine
drive interactive --rows 37 --cols 101 -- "$ML" run -M "$MACHINE" -D "$TREE" -- /bin/sh <<'EOF'
prompt (/ #)\s
command echo $((6*7))
expect \n(42)\r
check-raw
command tty
expect \n(/dev/\S+)\r
command ls /dev/pts
expect ls /dev/pts\r\n([^\r]*)\r
command stat -c dev=%d /dev/console
expect \ndev=(\d+)\r
command stty size
expect \n(\d+ \d+)\r
# Like a terminal emulator: TIOCSWINSZ on the master, and the kernel sends SIGWINCH
# to the pty's foreground process group, which machined-lite leads here.
winsize 50 132
command for i in 1 2 3 4 5 6 7 8 9 10; do [ "$(stty size)" = "50 132" ] && break; sleep 0.2; done; stty size
expect \n(\d+ \d+)\r
command exit 3
wait 5
EOF
check_eq "interactive: a shell prompt appears" "/ #" "$(field prompt 1)"
check_eq "interactive: the terminal is in raw mode while the guest runs" "yes" "$(field raw)"
check_eq "interactive: echo \$((6*7)) typed in the guest prints 42" "42" "$(field match 1)"
check_match "interactive: tty in the guest is its console" '^/dev/(console|pts/0)$' "$(field match 2)"
check_match "interactive: the guest's devpts is its own (ls /dev/pts: only 0 and ptmx)" '^0[[:space:]]+ptmx[[:space:]]*$' \
        "$(field match 3)"
# The console is a pty of the guest's devpts instance, not of the one our pty is on.
host_pty=$(field pty)
host_dev=$(field pty-dev)
guest_dev=$(field match 4)
if [ -n "$guest_dev" ] && [ -n "$host_dev" ] && [ "$guest_dev" != "$host_dev" ]; then
        pass "interactive: the guest's console is not on the host's devpts (device $guest_dev, host's $host_dev)"
else
        fail "interactive: the guest's console is on device [$guest_dev], the host's pty $host_pty on [$host_dev]"
fi
check_eq "window size: 37x101 set before the start is the guest's (stty size)" "37 101" "$(field match 5)"
check_eq "window size: a change to 50x132 while running reaches the guest (SIGWINCH)" "50 132" "$(field match 6)"
check_eq "interactive: exit 3 in the shell ends machined-lite with status 3" "3" "$RC"
check_eq "terminal restored after a normal exit (termios as before)" "same" "$(field termios)"

# --- 4: Ctrl-] three times within a second
next_machine
drive escape -- "$ML" run -M "$MACHINE" -D "$TREE" -- /bin/sh <<'EOF'
prompt (/ #)\s
command sleep 100
sleep 0.3
# Two presses more than a second apart: no kill.
send \x1d
sleep 1.3
send \x1d
sleep 0.1
check-running
# Another key in between starts the count again (as in systemd-nspawn).
send \x1d
send a
send \x1d
sleep 0.3
check-running
sleep 1.2
send \x1d
sleep 0.1
send \x1d
sleep 0.1
send \x1d
timeout 3
expect (Ctrl-\] was pressed three times)
wait 3
EOF
check_eq "Ctrl-]: two presses more than a second apart do not kill the machine" "yes" "$(field running 1)"
check_eq "Ctrl-]: presses with another key in between do not kill the machine" "yes" "$(field running 2)"
check_eq "Ctrl-]: three presses within a second: the message, within 3 s" "Ctrl-] was pressed three times" \
        "$(field match 1)"
check_eq "Ctrl-]: machined-lite exits with 137" "137" "$RC"
check_eq "terminal restored after the Ctrl-] exit (termios as before)" "same" "$(field termios)"

# --- 5: read-only: output reaches the terminal, typed input does not reach the guest
next_machine
# shellcheck disable=SC2016 # expanded by the inner sh, in the guest
drive read-only -- "$ML" run --console=read-only -M "$MACHINE" -D "$TREE" -- \
        /bin/sh -c 'echo guest-says-ready; timeout 2 sh -c "read x; echo got:\$x"; echo read-ended; exit 5' <<'EOF'
expect (guest-says-ready)
check-raw
sendline typed-secret
timeout 6
expect (read-ended)
wait 5
EOF
check_eq "read-only: the guest's output reaches the terminal" "guest-says-ready" "$(field match 1)"
check_eq "read-only: the terminal is not put in raw mode" "no" "$(field raw)"
check_eq "read-only: the guest ran on to its end" "read-ended" "$(field match 2)"
if [ -s "$WORK/read-only.log" ] && ! log_has read-only "got:typed-secret"; then
        pass "read-only: typed input does not reach the guest"
else
        fail "read-only: typed input reached the guest (or nothing was logged): $(tr -d '\r' < "$WORK/read-only.log" | tr '\n' '|')"
fi
check_eq "read-only: the command's exit status is passed on" "5" "$RC"
check_eq "read-only: terminal as before" "same" "$(field termios)"

# --- 6: --console=pipe with a terminal among the std fds: refused (TIOCSTI)
# Sweepers of the machines above must be gone before the snapshot.
for _ in $(seq 50); do
        pgrep -x ml-sweeper -r R,S,D >/dev/null || break
        sleep 0.1
done
host_snapshot
next_machine
drive pipe -- "$ML" run --console=pipe -M "$MACHINE" -D "$TREE" -- /bin/echo guest-ran <<'EOF'
wait 5
EOF
check_eq "pipe on a terminal: refused with exit code 2" "2" "$RC"
check "pipe on a terminal: the message mentions TIOCSTI" log_has pipe "TIOCSTI"
check_eq "pipe on a terminal: the message is one line" "1" "$(grep -c . "$WORK/pipe.log")"
check "pipe on a terminal: the guest did not run" eval '! log_has pipe guest-ran'
# Only one of the three a terminal is enough to refuse.
# shellcheck disable=SC2016 # $0 and $@ of that sh -c
drive pipe-stdin -- sh -c 'exec "$@" >"$0" 2>&1' "$WORK/pipe-stdin.out" \
        "$ML" run --console=pipe -M "$MACHINE" -D "$TREE" -- /bin/echo guest-ran <<'EOF'
wait 5
EOF
check_eq "pipe with only stdin a terminal: refused with exit code 2" "2" "$RC"
check "pipe with only stdin a terminal: TIOCSTI named" grep -q TIOCSTI "$WORK/pipe-stdin.out"
# shellcheck disable=SC2016 # $0 and $@ of that sh -c
drive pipe-stderr -- sh -c 'exec "$@" </dev/null >"$0"' "$WORK/pipe-stderr.out" \
        "$ML" run --console=pipe -M "$MACHINE" -D "$TREE" -- /bin/echo guest-ran <<'EOF'
wait 5
EOF
check_eq "pipe with only stderr a terminal: refused with exit code 2" "2" "$RC"
check "pipe with only stderr a terminal: TIOCSTI named" log_has pipe-stderr "TIOCSTI"
check_eq "pipe with only stderr a terminal: nothing on stdout" "" "$(cat "$WORK/pipe-stderr.out")"
host_unchanged "pipe refused"
# And without a terminal, pipe mode runs: the refusal is about the terminal only.
out=$(timeout 20 "$ML" run --console=pipe -M "$MACHINE" -D "$TREE" -- /bin/echo guest-ran </dev/null 2>"$WORK/pipe-ok.err")
rc=$?
check_eq "pipe without a terminal: runs (exit 0)" "0" "$rc"
check_eq "pipe without a terminal: the guest writes to our stdout" "guest-ran" "$out"

# --- the guest never reaches the user's terminal through /dev/tty: machined-lite runs
# here in a session whose controlling terminal is the harness's pty, with its stdio
# away from it (pipe mode); the guest is in a session of its own, without a terminal.
next_machine
drive devtty -- /bin/sh -c "'$ML' run -M $MACHINE --console=pipe -D '$TREE' -- /bin/sh -c \
        'cut -d\" \" -f7 /proc/self/stat; (exec 3<>/dev/tty) 2>/dev/null && echo tty-opened || echo no-tty' \
        </dev/null >'$WORK/devtty.out' 2>&1" <<'EOF'
wait 10
EOF
check_eq "no terminal in the guest: tty_nr 0, /dev/tty does not open the user's terminal" "0
no-tty" "$(cat "$WORK/devtty.out")"

# --- 7: boot busybox init on an interactive console, shell, poweroff
next_machine
drive boot -- "$ML" boot -M "$MACHINE" -D "$TREE" <<'EOF'
timeout 10
expect (busybox-init-booted)
expect (Please press Enter to activate this console)
sendline
prompt (/ #)\s
command echo pid=$$
expect \npid=(\d+)\r
command cat /proc/1/comm
expect \n(\S+)\r
command sleep 30
sleep 0.5
send \x03
prompt (/ #)\s
command poweroff
expect (busybox-init-shutdown)
wait 15
EOF
check_eq "boot: rcS ran (busybox-init-booted)" "busybox-init-booted" "$(field match 1)"
check_eq "boot: init asks to press Enter" "Please press Enter to activate this console" "$(field match 2)"
check_eq "boot: Enter gives a shell prompt" "/ #" "$(field prompt 1)"
shell_pid=$(field match 3)
check_match "boot: the shell is not PID 1 (\$\$ = ${shell_pid:-?})" '^([2-9]|[1-9][0-9]+)$' "$shell_pid"
check_eq "boot: PID 1 is busybox init" "init" "$(field match 4)"
check_eq "boot: Ctrl-C interrupts the shell's foreground job (the console is its terminal)" "/ #" "$(field prompt 2)"
check "boot: the shell has job control (no \"can't access tty\")" sh -c "! grep -q \"can't access tty\" '$WORK/boot.log'"
check_eq "boot: poweroff runs init's shutdown actions" "busybox-init-shutdown" "$(field match 5)"
check_eq "boot: poweroff ends machined-lite with 0" "0" "$RC"
check_eq "boot: terminal as before" "same" "$(field termios)"

finish
