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
out=$(run --volatile=yes -- /usr/bin/sh -c 'ls /; touch /usr/x 2>/dev/null || echo usr-ro; touch /x && echo root-rw')
check_eq "--volatile=yes: / a tmpfs with only /usr of the tree, read-only" "dev
proc
run
sys
usr
usr-ro
root-rw" "$out"
rm -rf "$TREE/usr"
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
run --bind=relative:/x -- /bin/true
check_eq "a relative bind source: exit 2" 2 "$?"
run --tmpfs=/../etc -- /bin/true
check_eq "a tmpfs path with ..: exit 2" 2 "$?"
run -x --volatile=state -- /bin/true
check_eq "--ephemeral with --volatile: exit 2" 2 "$?"
host_unchanged "after the ephemeral, volatile and bind runs"
finish
