#!/bin/bash
# /dev as the guest sees it: exactly what a container needs, nothing of the host's.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/devbox
make_busybox_tree "$TREE"
host_snapshot

run() {
        local mode=$1
        shift
        "$ML" run -q --console="$mode" -D "$TREE" "$@" </dev/null 2>"$WORK/stderr" | tr -d '\r'
}

tun=
[ -c /dev/net/tun ] && tun=" net"
out=$(run read-only -- /bin/sh -c 'ls -A /dev | tr "\n" " "')
check_eq "the exact /dev list, with a console" "console fd full mqueue${tun} null ptmx pts random shm stderr stdin stdout tty urandom zero " "$out"
out=$(run pipe -- /bin/sh -c 'ls -A /dev | tr "\n" " "')
check_eq "no /dev/console in pipe mode, as in systemd-nspawn" "fd full mqueue${tun} null ptmx pts random shm stderr stdin stdout tty urandom zero " "$out"
if [ -n "$tun" ]; then
        out=$(run pipe -- /bin/sh -c 'ls /dev/net; stat -c "%t:%T" /dev/net/tun')
        check_eq "/dev/net/tun is the host's tun device" "tun
a:c8" "$out"
fi

out=$(run autopipe -- /bin/sh -c 'test -e /dev/console && echo console; echo direct')
check_eq "autopipe without a terminal is pipe: no console, output as it is" "direct" "$out"
out=$("$ML" run -q --console=passive -D "$TREE" -- /bin/sh -c 'test -c /dev/console && echo console-there > /dev/console; echo dropped; exit 3' </dev/null 2>&1)
check_eq "passive: a console exists, its output is dropped, the status passed on" "3 " "$? $out"

out=$(run pipe -- /bin/sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done')
check_eq "device nodes have the right numbers and modes" "/dev/null character special file 1:3 666
/dev/zero character special file 1:5 666
/dev/full character special file 1:7 666
/dev/random character special file 1:8 666
/dev/urandom character special file 1:9 666
/dev/tty character special file 5:0 666" "$out"
out=$(run pipe -- /bin/sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c')
check_eq "null, zero and urandom work" "4
8" "$out"
out=$(run pipe -- /bin/sh -c 'for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done | tr "\n" " "')
check_eq "links: ptmx to pts/ptmx, fd and std streams to /proc/self/fd" "pts/ptmx /proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 " "$out"

out=$(run pipe -- /bin/sh -c 'for m in /dev /dev/pts /dev/shm /dev/mqueue; do grep " $m " /proc/self/mountinfo | cut -d" " -f9; done | tr "\n" " "')
check_eq "/dev tmpfs, a devpts, shm tmpfs, mqueue" "tmpfs devpts tmpfs mqueue " "$out"
out=$(run pipe -- /bin/sh -c 'ls -A /dev/pts | tr "\n" " "')
check_eq "a new devpts instance: none of the host's ptys" "ptmx " "$out"
out=$(run read-only -- /bin/sh -c 'ls -A /dev/pts | tr "\n" " "; readlink /proc/self/fd/0')
check_eq "with a console: the guest's own pty 0, as /dev/console, is the command's stdin" "0 ptmx /dev/console" "$out"

# The guest can make a pty of its own in its devpts (what sshd or a terminal needs):
# opening /dev/ptmx gives a new pts next to the console's.
out=$(run read-only -- /bin/sh -c 'exec 3<>/dev/ptmx; ls -A /dev/pts | tr "\n" " "')
check_eq "the guest can allocate ptys of its own" "0 1 ptmx " "$out"

host_unchanged "after all runs"
finish
