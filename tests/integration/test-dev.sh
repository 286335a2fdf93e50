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

# shellcheck disable=SC2016 # expanded by the guest's shell
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
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run pipe -- /bin/sh -c 'for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done | tr "\n" " "')
check_eq "links: ptmx to pts/ptmx, fd and std streams to /proc/self/fd" "pts/ptmx /proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 " "$out"

# shellcheck disable=SC2016 # expanded by the guest's shell
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

# A block device node of the host's own root disk, planted in the tree (a tarball or a
# copied tree can carry one): the guest can neither mount it nor open it, with or without
# -U, on an overlay (-x) or through a bind. The kernel would reuse the superblock of the
# host's mounted root for such a mount and check no device: nodev on every mount of the
# tree is what stops it.
root_dev=$(findmnt -n -o MAJ:MIN / | tr -d ' ')
root_fs=$(findmnt -n -o FSTYPE / | tr -d ' ')
mknod "$TREE/planted" b "${root_dev%%:*}" "${root_dev##*:}"
mkdir -p "$TREE/mnt" "$WORK/share"
mknod "$WORK/share/planted" b "${root_dev%%:*}" "${root_dev##*:}"
# shellcheck disable=SC2016 # $0 is the sh -c's, in the guest
mount_planted='mount -t '"$root_fs"' $0 /mnt 2>/dev/null && { ls /mnt/etc/shadow; echo MOUNTED; }; head -c1 $0 >/dev/null 2>&1 && echo OPENED; echo done'
for opts in "" "-U" "-x" "-U -x"; do
        # shellcheck disable=SC2086 # opts: none, one or two options, split on purpose
        out=$(run pipe $opts -- /bin/sh -c "$mount_planted" /planted)
        check_eq "run ${opts:+$opts }: a planted node of the host's root disk ($root_dev) neither mounts nor opens" "done" "$out"
done
out=$(run pipe --bind-ro="$WORK/share:/share" -- /bin/sh -c "$mount_planted" /share/planted)
check_eq "nor one planted in a bind's source" "done" "$out"
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run pipe -- /bin/sh -c 'awk "\$5 == \"/\" { print \$6 }" /proc/self/mountinfo | grep -o nodev; echo x > /dev/null && head -c1 /dev/zero | od -An -tx1')
check_eq "the root is nodev, while /dev/null and /dev/zero still work" "nodev
 00" "$out"
rm -f "$TREE/planted"

host_unchanged "after all runs"
finish
