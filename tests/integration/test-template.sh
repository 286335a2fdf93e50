#!/bin/bash
# --template: a tree that does not exist yet is made a faithful copy of a template (owners,
# modes, times, xattrs, ACLs, file capabilities, device nodes, FIFOs, sockets, symlinks,
# hard links, holes), then booted; atomically: a failed or interrupted copy leaves nothing.
. "$(dirname "$0")/lib.sh"
require_root
make_work
for tool in setfattr getfattr setfacl getfacl setcap python3; do
        command -v $tool >/dev/null || PATH=$PATH:/sbin:/usr/sbin command -v $tool >/dev/null ||
                skip "$tool is not installed (attr, acl, libcap2-bin, python3)"
done
PATH=$PATH:/sbin:/usr/sbin
NAMED=/var/lib/machines/ml-template-test
trap 'umount "$WORK/tmpl/mnt" "$WORK/small" "$WORK/btrfs" 2>/dev/null; rm -rf "$NAMED"; cleanup_work' EXIT

# The template: a busybox tree and one of every kind of file, with every attribute.
T=$WORK/tmpl
make_busybox_tree "$T"
# What machined-lite would add to a tree lacking them: present, so the copy stays as made.
echo "nameserver 192.0.2.1" > "$T/etc/resolv.conf"
cp /etc/localtime "$T/etc/localtime" 2>/dev/null || touch "$T/etc/localtime"
mknod "$T/null" c 1 3
mkfifo "$T/fifo"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/socket"
echo setuid > "$T/setuid" && chmod 4755 "$T/setuid"
mkdir "$T/setgid-dir" && chmod 2775 "$T/setgid-dir"
echo owned > "$T/owned" && chown 1234:5678 "$T/owned"
echo linked > "$T/link1" && ln "$T/link1" "$T/etc/link2"
truncate -s 100M "$T/sparse" && echo data | dd of="$T/sparse" bs=1 seek=50000000 conv=notrunc status=none
echo xattr > "$T/xattr" && setfattr -n user.test -v x "$T/xattr" && setfattr -n trusted.test -v y "$T/xattr"
echo acl > "$T/acl" && setfacl -m u:1234:rx,g:5678:r "$T/acl"
mkdir "$T/acl-dir" && setfacl -d -m u:1234:rwx "$T/acl-dir" && touch "$T/acl-dir/inherits"
cp /bin/busybox "$T/ping" && setcap cap_net_raw=ep "$T/ping"
ln -s /etc/shadow "$T/out-absolute" && ln -s ../../../../../../etc/shadow "$T/out-relative"
mkdir -p "$T/old/dir" && touch "$T/old/dir/file" && touch -d 2001-02-03T04:05:06.123456789 "$T/old/dir" "$T/old"
touch -h -d 2002-03-04 "$T/out-absolute"
# A file system mounted inside the template is not the template's: an empty directory, as cp -x.
mkdir "$T/mnt" && mount -t tmpfs -o mode=0750 ml-template-mnt "$T/mnt" && echo elsewhere > "$T/mnt/file"

# listing DIR: all of each file that a copy keeps; directory sizes are the file system's.
listing() {
        (
                cd "$1" || exit
                find . -xdev ! -type d -printf '%P %U %G %m %y %n %s %T@ %l\n'
                find . -xdev -type d -printf '%P %U %G %m %y %n %T@\n'
        ) | sort
}
xattrs() {
        (cd "$1" && find . -xdev -print0 | sort -z | xargs -0 getfattr -h -d -m - -e hex 2>/dev/null)
}
acls() {
        (cd "$1" && find . -xdev ! -type l -print0 | sort -z | xargs -0 getfacl -p 2>/dev/null)
}
# shellcheck disable=SC2317 # called through check
no_temporary() {
        test -z "$(find "$1" -maxdepth 1 -name '.#*')"
}
listing "$T" > "$WORK/template-before"
host_snapshot

COPY=$WORK/copy
out=$("$ML" run -q --console=pipe --template="$T" -D "$COPY" -- /bin/cat /link1 </dev/null 2>"$WORK/stderr")
check_eq "--template makes the tree and boots it" "linked" "$out"
check_eq "-q: nothing on stderr" "" "$(cat "$WORK/stderr")"
check_eq "owners, modes, types, link counts, sizes, mtimes and symlinks are kept" "$(listing "$T")" "$(listing "$COPY")"
check_eq "xattrs are kept: user.*, trusted.*, security.capability, ACLs" "$(xattrs "$T")" "$(xattrs "$COPY")"
check_match "the file capability is there" 'security.capability=0x' "$(getfattr -h -d -m - -e hex "$COPY/ping" 2>&1)"
check_eq "POSIX ACLs are kept" "$(acls "$T")" "$(acls "$COPY")"
check_eq "the device node is the same device" "c 1:3" "$(stat -c '%F' "$COPY/null" | cut -c1) $(stat -c '%Hr:%Lr' "$COPY/null")"
check_eq "a hard link pair stays one file" "$(stat -c %i "$COPY/link1")" "$(stat -c %i "$COPY/etc/link2")"
check "the sparse file stays sparse (du -k < 1000)" test "$(du -k "$COPY/sparse" | cut -f1)" -lt 1000
check_eq "the sparse file's data is where it was" "data" "$(dd if="$COPY/sparse" bs=1 skip=50000000 count=4 status=none)"
check_eq "a symlink out of the tree is copied as a symlink, not followed" "/etc/shadow ../../../../../../etc/shadow" \
        "$(readlink "$COPY/out-absolute") $(readlink "$COPY/out-relative")"
check_eq "a mounted file system in the template is left out, as with cp -x" "" "$(ls -A "$COPY/mnt")"
check "no temporary directory is left next to the copy" no_temporary "$WORK"

# An existing tree is booted as it is: no second copy.
touch "$COPY/marker"
"$ML" run -q --console=pipe --template="$T" -D "$COPY" -- /bin/true </dev/null >/dev/null 2>&1
check_eq "an existing -D tree is booted, not copied again" "0 marker kept" "$? $([ -e "$COPY/marker" ] && echo marker kept)"

# The template by NAME: /var/lib/machines/NAME.
rm -rf "$NAMED"
make_busybox_tree "$NAMED"
echo by-name > "$NAMED/marker"
out=$("$ML" run -q --console=pipe --template=ml-template-test -D "$WORK/copy2" -- /bin/cat /marker </dev/null 2>&1)
check_eq "--template=NAME copies /var/lib/machines/NAME" "by-name" "$out"
rm -rf "$NAMED"

# bad DESCRIPTION EXIT-REGEX MESSAGE-REGEX COMMAND...: one line, that exit code, that message.
bad() {
        one_line_error "$@"
}

bad "a template that does not exist" 4 \
        "Template $WORK/nope does not exist or is not a directory \(give a tree with --template=DIR or NAME\)" \
        "$ML" run -q --console=pipe --template="$WORK/nope" -D "$WORK/copy3" -- /bin/true
check "... and nothing is made at -D" test ! -e "$WORK/copy3"
bad "a template NAME that does not exist" 4 "Template /var/lib/machines/ml-no-such-template does not exist" \
        "$ML" run -q --console=pipe --template=ml-no-such-template -D "$WORK/copy3" -- /bin/true
check "... and nothing is made at -D" test ! -e "$WORK/copy3"

# A copy that fails half-way: the target's file system fills up (busybox alone is 2 MB).
mkdir "$WORK/small"
mount -t tmpfs -o size=1M ml-template-small "$WORK/small"
bad "a copy that runs out of space" 1 \
        "^machined-lite: Cannot write [^ ]+ of $WORK/small/copy \(a copy of template $T\): No space left on device \(free space in $WORK/small, " \
        "$ML" run -q --console=pipe --template="$T" -D "$WORK/small/copy" -- /bin/true
check_eq "... and neither the copy nor its temporary directory is left" "" "$(ls -A "$WORK/small")"
umount "$WORK/small"

# A large template, to catch the copy in the middle: a 300 MB file.
BIG=$WORK/big
make_busybox_tree "$BIG"
dd if=/dev/zero of="$BIG/large" bs=1M count=300 status=none

# start_copy TARGET OPTIONS...: machined-lite copying BIG to TARGET in $WORK, in the background (SIGINT
# not ignored, as it is for background jobs of a script), stopped (SIGSTOP) as soon as the
# first file is in the temporary directory; sets SUP. Fails when the copy ended first.
start_copy() {
        local target=$1
        shift
        env --default-signal=INT,TERM "$ML" run --console=pipe --template="$BIG" -D "$target" "$@" -- /bin/true \
                </dev/null >/dev/null 2>"$WORK/stderr" &
        SUP=$!
        for _ in $(seq 1000); do
                if [ -n "$(find "$WORK" -mindepth 2 -maxdepth 2 -path "*/.#${target##*/}.*/*" -print -quit)" ]; then
                        kill -STOP $SUP
                        find "$WORK" -maxdepth 1 -name ".#${target##*/}.*" | grep -q . && return 0
                        kill -CONT $SUP
                        return 1
                fi
                sleep 0.005
        done
        return 1
}

# SIGINT in the middle of the copy: nothing left, exit non-zero, one line saying so.
if start_copy "$WORK/copy4" -q; then
        kill -INT $SUP
        kill -CONT $SUP
        wait $SUP
        rc=$?
        check "SIGINT during the copy: exit non-zero ($rc)" test "$rc" != 0
        check_eq "... one line on stderr" 1 "$(wc -l < "$WORK/stderr")"
        check_match "... saying it was interrupted" \
                "^machined-lite: Copying template $BIG to $WORK/copy4 was interrupted by SIGINT: the partial copy is removed$" \
                "$(cat "$WORK/stderr")"
        check_eq "... and nothing is left" "" "$(find "$WORK" -maxdepth 1 \( -name copy4 -o -name '.#copy4*' \))"
else
        fail "SIGINT during the copy: the copy ended before it could be interrupted"
fi

# Progress, on stderr that is no terminal: a plain line now and then (every 2 s) while the
# copy goes on (made to take over 2 s: stopped a while), and the total at the end.
if start_copy "$WORK/copy5"; then
        sleep 2.5
        kill -CONT $SUP
        wait $SUP
        check_eq "a copy with progress: exit 0" 0 "$?"
        check_match "... a progress line while copying" "^Copying template big to copy5: .* of .*\([0-9]+%\)" \
                "$(cat "$WORK/stderr")"
        check_match "... and the total at the end" "^Copying template big to copy5: 30[0-9]\.[0-9]M in [0-9.]+s$" \
                "$(cat "$WORK/stderr")"
else
        fail "a copy with progress: the copy ended before it could be stopped"
fi
"$ML" run -q --console=pipe --template="$BIG" -D "$WORK/copy6" -- /bin/true </dev/null >/dev/null 2>"$WORK/stderr"
check_eq "-q: no progress" "" "$(cat "$WORK/stderr")"

# On btrfs: a subvolume template becomes a snapshot; a plain directory's files reflinks
# (no new data blocks); a subvolume nested in a template is part of it, not a mount.
if command -v mkfs.btrfs >/dev/null && command -v btrfs >/dev/null && command -v filefrag >/dev/null; then
        B=$WORK/btrfs
        mkdir "$B" && truncate -s 1G "$WORK/btrfs.img" && mkfs.btrfs -q "$WORK/btrfs.img" >/dev/null 2>&1 &&
                mount -o loop "$WORK/btrfs.img" "$B"
        btrfs subvolume create "$B/subvolume" >/dev/null
        make_busybox_tree "$B/subvolume"
        cp -a "$T/etc/resolv.conf" "$T/etc/localtime" "$B/subvolume/etc/"
        "$ML" run -q --console=pipe --template="$B/subvolume" -D "$B/snapshot" -- /bin/true </dev/null >/dev/null 2>&1
        check_eq "btrfs: a subvolume template is snapshotted" "0 256" "$? $(stat -c %i "$B/snapshot")"
        check "... a subvolume indeed" btrfs subvolume show "$B/snapshot" >/dev/null
        check_eq "... with the same files" "$(listing "$B/subvolume")" "$(listing "$B/snapshot")"

        make_busybox_tree "$B/plain"
        cp -a "$T/etc/resolv.conf" "$T/etc/localtime" "$B/plain/etc/"
        dd if=/dev/urandom of="$B/plain/random" bs=1M count=50 status=none
        btrfs subvolume create "$B/plain/nested" >/dev/null && echo nested > "$B/plain/nested/file"
        sync
        "$ML" run -q --console=pipe --template="$B/plain" -D "$B/reflinked" -- /bin/true </dev/null >/dev/null 2>&1
        check_eq "btrfs: a directory template is copied" 0 "$?"
        check "... its files reflinked: their extents are shared" sh -c "filefrag -v '$B/reflinked/random' | grep -q shared"
        check_eq "... a nested subvolume's files are copied too" nested "$(cat "$B/reflinked/nested/file" 2>&1)"
        # (find -xdev stops at the nested subvolume: another device.)
        check_eq "... the same files" "$(listing "$B/plain" | grep -v '^nested')" \
                "$(listing "$B/reflinked" | grep -v '^nested')"
        umount "$B"
else
        echo "SKIP (part): the btrfs snapshot and reflink checks need btrfs-progs and filefrag (e2fsprogs)"
fi

check "no temporary directory is left anywhere" no_temporary "$WORK"
check_eq "the template is as it was" "$(cat "$WORK/template-before")" "$(listing "$T")"
host_unchanged "--template"
finish
