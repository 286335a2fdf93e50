#!/bin/bash
# Clean roots: --ephemeral leaves the tree byte for byte as it was and two ephemeral
# machines of one tree do not see each other; --volatile's writable/read-only split;
# --bind, --bind-ro and --tmpfs seen from inside, a planted symlink target not followed,
# bad binds refused before anything starts.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/eph
make_busybox_tree "$TREE"
cp /etc/resolv.conf "$TREE/etc/resolv.conf"
touch "$TREE/etc/localtime"
trap 'pkill -KILL -f -- "-M ml-eph" 2>/dev/null; cleanup_work' EXIT
host_snapshot

# Everything about the tree: contents, owners, modes, times, link counts.
tree_sum() {
        (cd "$TREE" && find . -printf '%p %U %G %m %y %n %s %T@ %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 md5sum) | md5sum
}
run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null 2>"$WORK/stderr"
}

before=$(tree_sum)
out=$(run -x -M ml-eph-1 -- /bin/sh -c 'echo new > /new; echo changed > /etc/hostname; rm /bin/ls; mkdir /var/made; chmod 700 /etc; echo done')
check_eq "--ephemeral: the guest writes, deletes and changes modes" "done" "$out"
check_eq "the tree is byte for byte, owner for owner, as it was" "$before" "$(tree_sum)"
out=$(run -x -M ml-eph-1 -- /bin/sh -c 'ls /new 2>&1; ls /bin/ls')
check_match "a second ephemeral boot starts from the tree again" "No such file.*
/bin/ls$" "$out"
check_match "/ is an overlay" "^overlay$" "$(run -x -- /bin/sh -c 'grep " / / " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1')"
out=$(run -x -U -- /bin/sh -c 'echo x > /u; stat -c "%u %g" /u /bin/busybox')
check_eq "-x with -U: the guest's root owns the tree and what it writes" "0 0
0 0" "$out"
check_eq "and the tree is still as it was" "$before" "$(tree_sum)"

# Two ephemeral machines of one tree at once: each sees its own writes only.
"$ML" run -q --console=pipe -x -M ml-eph-a -D "$TREE" -- /bin/sh -c 'echo a > /mine; sleep 1.5; cat /mine; ls /theirs 2>/dev/null; true' \
        </dev/null >"$WORK/a" 2>&1 &
pa=$!
"$ML" run -q --console=pipe -x -M ml-eph-b -D "$TREE" -- /bin/sh -c 'echo b > /mine; echo b > /theirs; sleep 1.5; cat /mine' \
        </dev/null >"$WORK/b" 2>&1 &
pb=$!
wait $pa; sa=$?
wait $pb; sb=$?
check_eq "two ephemeral machines of one tree run side by side" "0 0" "$sa $sb"
check_eq "each sees its own writes, not the other's" "a b" "$(cat "$WORK/a") $(cat "$WORK/b")"
check_eq "and the tree is still as it was" "$before" "$(tree_sum)"

# --volatile.
out=$(run --volatile=state -- /bin/sh -c 'touch /x 2>/dev/null || echo root-ro; touch /var/x && echo var-rw')
check_eq "--volatile=state: / read-only, /var writable" "root-ro
var-rw" "$out"
out=$(run --volatile=overlay -- /bin/sh -c 'touch /x && echo root-rw')
check_eq "--volatile=overlay: / writable" "root-rw" "$out"
check "and the tree not written" test ! -e "$TREE/x"
mkdir -p "$TREE/usr/bin"
cp /bin/busybox "$TREE/usr/bin/busybox"
for a in sh ls touch cat; do ln -sf busybox "$TREE/usr/bin/$a"; done
out=$(run --volatile=yes -- /usr/bin/sh -c 'ls /; touch /usr/x 2>/dev/null || echo usr-ro; touch /x && echo root-rw; readlink /bin; stat -c %a /tmp /root')
check_eq "--volatile=yes: / a tmpfs with only /usr of the tree, read-only, its merged-/usr links and empty top directories" "bin
dev
etc
home
proc
root
run
srv
sys
tmp
usr
var
usr-ro
root-rw
usr/bin
1777
700" "$out"
rm -rf "${TREE:?}/usr"
one_line_error "--volatile=yes of a tree without /usr" 4 "has no /usr directory: --volatile=yes boots the tree's /usr alone" \
        "$ML" run -q -D "$TREE" --volatile=yes -- /bin/true
before=$(tree_sum)

# Binds and tmpfs.
mkdir -p "$WORK/share"
echo data > "$WORK/share/file"
echo conf > "$WORK/single.conf"
out=$(run --bind="$WORK/share:/srv/www" --bind-ro="$WORK/share:/mnt/ro" --bind-ro="$WORK/single.conf:/etc/single.conf" \
        --tmpfs=/scratch:mode=1777 -- /bin/sh -c '
        cat /srv/www/file; echo w > /srv/www/from-guest && echo rw-ok
        echo w > /mnt/ro/no 2>/dev/null || echo ro-refused
        cat /etc/single.conf; stat -c "%a %F" /scratch; grep " /scratch " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1')
check_eq "binds and tmpfs seen from inside: writable, read-only, a file, a tmpfs" "data
rw-ok
ro-refused
conf
1777 directory
tmpfs" "$out"
check "what the guest wrote through --bind is on the host" test -e "$WORK/share/from-guest"
check "nothing got through --bind-ro" test ! -e "$WORK/share/no"
out=$(run -U --capability=all --bind-ro="$WORK/share:/mnt/ro" -- /bin/sh -c 'mount -o remount,rw /mnt/ro 2>/dev/null; echo x > /mnt/ro/no 2>/dev/null || echo still-ro')
check_eq "with -U, a --bind-ro stays read-only even for a root with every capability" "still-ro" "$out"
rm -f "$WORK/share/from-guest"

# A bind target planted as a symlink that leads out of the tree is resolved inside the
# tree, where its target does not exist: refused, and the host directory untouched.
mkdir -p "$WORK/outside"
ln -s "$WORK/outside" "$TREE/planted"
run --bind-ro="$WORK/share:/planted/x" -- /bin/true
check_eq "a bind through a planted symlink out of the tree: exit 1" 1 "$?"
check_match "saying which mount point failed" "^machined-lite: Failed to make the mount point /planted/x in the guest" "$(cat "$WORK/stderr")"
check "nothing was mounted or made in the host directory the link points at" test -z "$(ls -A "$WORK/outside")"
rm -f "$TREE/planted"

# Bad binds: one line, before anything starts.
run --bind="$WORK/nonexistent:/x" -- /bin/true
check_eq "a bind source that does not exist: exit 4" 4 "$?"
check_match "saying which" "^machined-lite: Bind source $WORK/nonexistent cannot be used: No such file or directory" "$(cat "$WORK/stderr")"
(cd "$WORK" && run --bind=relative:/x -- /bin/true)
check_eq "a relative bind source is the current directory's (systemd-nspawn's): missing here, exit 4" 4 "$?"
check_match "saying which" "^machined-lite: Bind source $WORK/relative cannot be used" "$(cat "$WORK/stderr")"
run --tmpfs=/../etc -- /bin/true
check_eq "a tmpfs path with ..: exit 2" 2 "$?"
run -x --volatile=state -- /bin/true
check_eq "--ephemeral with --volatile: exit 2" 2 "$?"

# --ephemeral-dir: what the guest writes lands on disk under DIR while it runs, in a
# directory of the machine's own, and nothing of it is left afterwards, however it ends.
EDIR=$WORK/ephemeral-dir
mkdir -p "$EDIR"
# upper_file NAME: the guest's /NAME as the host sees it under $EDIR, waited for.
upper_file() {
        local f
        for _ in $(seq 100); do
                f=$(find "$EDIR" -path "*/root/upper/$1" 2>/dev/null | head -1)
                [ -n "$f" ] && { echo "$f"; return 0; }
                sleep 0.1
        done
        return 1
}
ephemeral_dir_run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null >"$WORK/out" 2>"$WORK/stderr" &
        sup=$!
}
before=$(tree_sum)
ephemeral_dir_run -x --ephemeral-dir="$EDIR" -M ml-eph-dir -- /bin/sh -c 'head -c 1048576 /dev/zero > /big; echo on-disk > /etc/note; sleep 2; cat /etc/note'
f=$(upper_file etc/note)
check_eq "--ephemeral-dir: the guest's writes are on disk under DIR while it runs" "on-disk" "$(cat "$f" 2>/dev/null)"
check_eq "a file of 1 MiB written in the guest is there whole" 1048576 "$(stat -c %s "$(upper_file big)" 2>/dev/null)"
check_match "in a directory of the machine's own, mode 0700, root's" "^700 0 .*/machined-lite-ml-eph-dir\.[A-Za-z0-9]{6}$" \
        "$(stat -c '%a %u %n' "$EDIR"/machined-lite-ml-eph-dir.* 2>/dev/null)"
wait $sup
check_eq "and the guest sees them: exit 0" "0 on-disk" "$? $(cat "$WORK/out")"
check_eq "when the machine ends, DIR has nothing left" "" "$(ls -A "$EDIR")"
check_eq "and the tree is still as it was" "$before" "$(tree_sum)"

ephemeral_dir_run -x -U --ephemeral-dir="$EDIR" -M ml-eph-dir -- /bin/sh -c 'echo u > /u; sleep 2; stat -c "%u %g" /u /bin/busybox'
f=$(upper_file u)
check "with -U: the writes are under DIR" test -n "$f"
check_match "owned on disk by the guest's root's host UID, not by root" "^[1-9][0-9]* [1-9][0-9]*$" "$(stat -c '%u %g' "$f" 2>/dev/null)"
wait $sup
check_eq "and the guest's root owns the tree and what it wrote" "0 0 0
0 0" "$? $(cat "$WORK/out")"
check_eq "with -U too, DIR has nothing left" "" "$(ls -A "$EDIR")"

ephemeral_dir_run --volatile=overlay --ephemeral-dir="$EDIR" -M ml-eph-dir -- /bin/sh -c 'echo v > /v; sleep 30'
check "--volatile=overlay with --ephemeral-dir: the writes are under DIR" test -n "$(upper_file v)"
kill -TERM $sup
wait $sup
check_eq "SIGTERM of machined-lite: the command ends (143)" 143 "$?"
check_eq "and DIR has nothing left" "" "$(ls -A "$EDIR")"

# SIGKILL of machined-lite: the sweeper (always there with --register=no) removes it.
ephemeral_dir_run -x --register=no --ephemeral-dir="$EDIR" -M ml-eph-dir -- /bin/sh -c 'mkdir -p /a/b/c; echo k > /a/b/c/k; sleep 30'
check "before SIGKILL, the writes are under DIR" test -n "$(upper_file a/b/c/k)"
kill -KILL $sup
wait $sup 2>/dev/null
for _ in $(seq 100); do [ -z "$(ls -A "$EDIR")" ] && break; sleep 0.1; done
check_eq "SIGKILL of machined-lite: the sweeper removes its directory in DIR" "" "$(ls -A "$EDIR")"

# A guest that fails, and a setup that fails after the directory was made.
run -x --ephemeral-dir="$EDIR" -- /bin/sh -c 'echo x > /x; exit 3'
check_eq "a command that fails: its status (3), and DIR has nothing left" "3 " "$? $(ls -A "$EDIR")"
run -x --ephemeral-dir="$EDIR" --bind-ro="$WORK/share:/etc/passwd/x" -- /bin/true
check_eq "a setup that fails (a bind below a file): exit 1, and DIR has nothing left" "1 " "$? $(ls -A "$EDIR")"

# Bad --ephemeral-dir: one line, a documented exit code, nothing made.
bad_ephemeral_dir() {
        local what=$1 code=$2 pattern=$3
        shift 3
        run "$@" -- /bin/true
        check_eq "$what: exit $code" "$code" "$?"
        check_match "$what: one line saying what is wrong" "^machined-lite: $pattern" "$(cat "$WORK/stderr")"
        check_eq "$what: one line only" 1 "$(wc -l < "$WORK/stderr")"
}
bad_ephemeral_dir "--ephemeral-dir that does not exist" 4 "--ephemeral-dir $WORK/missing cannot be used: No such file or directory \(give an existing directory" \
        -x --ephemeral-dir="$WORK/missing"
bad_ephemeral_dir "--ephemeral-dir that is a file" 4 "--ephemeral-dir $WORK/single.conf is not a directory" \
        -x --ephemeral-dir="$WORK/single.conf"
bad_ephemeral_dir "--ephemeral-dir without -x" 2 "--ephemeral-dir=$EDIR is where --ephemeral or --volatile=overlay keep .*give -x or --volatile=overlay" \
        --ephemeral-dir="$EDIR"
bad_ephemeral_dir "--ephemeral-dir with --volatile=state" 2 "--ephemeral-dir=$EDIR is where" --volatile=state --ephemeral-dir="$EDIR"
# ramfs has no xattrs: a guest's replaced directories would show the tree's files again.
mkdir -p "$WORK/ramfs"
mount -t ramfs ramfs "$WORK/ramfs"
bad_ephemeral_dir "--ephemeral-dir on a file system that cannot be an overlay's upper layer (ramfs)" 4 \
        "--ephemeral-dir $WORK/ramfs is on a file system that cannot hold an overlay's upper layer \(no trusted.* extended attributes" \
        -x --ephemeral-dir="$WORK/ramfs"
check_eq "and nothing was left in it" "" "$(ls -A "$WORK/ramfs")"
umount "$WORK/ramfs"
mkdir -p "$WORK/ro"
mount -t tmpfs -o ro tmpfs "$WORK/ro"
bad_ephemeral_dir "--ephemeral-dir on a read-only file system" 4 "Cannot make a directory in --ephemeral-dir $WORK/ro: Read-only file system" \
        -x --ephemeral-dir="$WORK/ro"
umount "$WORK/ro"
host_unchanged "after the ephemeral, volatile and bind runs"
finish
