#!/bin/bash
# --private-users (-U): the guest's root is an unprivileged host UID, the tree stays
# root-owned through an idmapped mount, ranges are never shared, and the mounts we make
# for the guest are locked against its root.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/usbox
make_busybox_tree "$TREE"
# The tree's own resolv.conf and localtime, so that nothing needs placing in it.
cp /etc/resolv.conf "$TREE/etc/resolv.conf"
touch "$TREE/etc/localtime"
host_snapshot
ls -lnR "$TREE" > "$WORK/tree-before"

run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null 2>"$WORK/stderr"
}

out=$(run -U -- /bin/sh -c 'id -u; cut -c1-80 /proc/self/uid_map | tr -s " " | sed "s/^ //"; cat /proc/self/gid_map | tr -s " " | sed "s/^ //"')
base=$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f2)
check_match "-U: root in the guest, mapped to a 64K range of high host UIDs" "^0
0 [0-9]+ 65536
0 $base 65536$" "$out"
check "the range is above the host's users and below systemd's ($base)" test "$base" -ge $((0x80000)) -a "$base" -lt $((0x6FFF0000))
out2=$(run -U -- /bin/sh -c 'tr -s " " < /proc/self/uid_map | cut -d" " -f3')
check_eq "the same machine gets the same range again" "$base" "$out2"
check_eq "--oom-score-adjust with -U: set from the host (the guest, non-dumpable once its root, could not)" 500 \
        "$(run -U --oom-score-adjust=500 -- /bin/cat /proc/self/oom_score_adj)"

# From the host: the guest's processes run as that UID; what the guest makes outside
# the tree (its tmpfs) is that UID's; the tree stays root's, also what the guest writes.
"$ML" run -q -U --console=pipe -D "$TREE" -- /bin/sh -c 'touch /run/made-in-run /made-in-tree; sleep 2' </dev/null >/dev/null 2>&1 &
sup=$!
leader=$(guest_leader $sup)
sleep 0.5
check_eq "on the host, the guest's PID 1 runs as UID $base" "$base" "$(ps -o uid= -p "$leader" | tr -d ' ')"
check_eq "a file the guest made in its /run belongs to UID $base on the host" "$base" "$(stat -c %u "/proc/$leader/root/run/made-in-run")"
wait $sup
check_eq "a file the guest made in the tree is root's on disk (idmapped mount)" "0 0" "$(stat -c '%u %g' "$TREE/made-in-tree")"
rm -f "$TREE/made-in-tree"
ls -lnR "$TREE" > "$WORK/tree-after"
check "the tree itself stays root-owned, unchanged" cmp -s "$WORK/tree-before" "$WORK/tree-after"

# The guest's root is nobody on the host: the host's kernel settings stay out of its
# reach and it makes no device nodes, even with every capability.
before=$(cat /proc/sys/kernel/panic)
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -U --capability=all -- /bin/sh -c '
        (v=$(cat /proc/sys/kernel/panic); echo "$v" > /proc/sys/kernel/panic) 2>/dev/null && echo panic-written
        (echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null && echo caches-dropped
        mknod /tmp/null c 1 3 2>/dev/null && echo mknod
        echo done')
check_eq "with -U (even with every capability): no host kernel setting written, no mknod" "done" "$out"
check_eq "the host's kernel.panic is unchanged" "$before" "$(cat /proc/sys/kernel/panic)"

# What we mounted for the guest is locked (built in the host's user namespace, copied
# into the guest's): its root, with every capability, can neither make it writable nor
# take it away. Looked at in /proc/self/mountinfo after each try.
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -U --capability=all --read-only -- /bin/sh -c '
        mount -o remount,rw /proc/sys 2>/dev/null; mount -o remount,rw / 2>/dev/null
        mount -o remount,rw /sys 2>/dev/null
        for m in /proc/kallsyms /proc/keys /proc/sys /proc/sysrq-trigger /sys /proc; do umount -l $m 2>/dev/null; done
        touch /written-through-ro 2>/dev/null && echo root-written
        awk "\$5 == \"/\" || \$5 == \"/proc/sys\" || \$5 == \"/sys\" {print \$5, substr(\$6, 1, 2)}" /proc/self/mountinfo
        awk "\$5 == \"/proc/kallsyms\" || \$5 == \"/proc/keys\" {print \$5}" /proc/self/mountinfo
        echo done')
check_eq "with -U: /, /proc/sys and /sys stay read-only, the /proc masks stay, nothing is written" "/ ro
/proc/sys ro
/sys ro
/proc/kallsyms
/proc/keys
done" "$out"
check "and the tree has no file from the guest" test ! -e "$TREE/written-through-ro"

# Two machines at once never share a range.
"$ML" run -q -U -M us-a --console=pipe -D "$TREE" -- /bin/sleep 2 </dev/null >/dev/null 2>&1 &
a=$!
make_busybox_tree "$WORK/usbox2"
guest_leader $a >/dev/null
out=$("$ML" run -q -U -M us-a-clash --console=pipe -D "$WORK/usbox2" -- /bin/sh -c 'tr -s " " < /proc/self/uid_map | cut -d" " -f3' </dev/null 2>&1)
check "two machines running at once get two ranges" test "$out" != "$(tr -s ' ' < "/proc/$(guest_leader "$a")/uid_map" | cut -d' ' -f3)"
fixed=$(tr -s ' ' < "/proc/$(guest_leader "$a")/uid_map" | cut -d' ' -f3)
"$ML" run -q --private-users="$fixed:65536" -M us-b --console=pipe -D "$WORK/usbox2" -- /bin/true </dev/null >/dev/null 2>"$WORK/stderr"
check_eq "a range given by hand that another machine holds: exit 5" 5 "$?"
check_match "and says so" "UID range $fixed:65536 is in use by another machine" "$(cat "$WORK/stderr")"
wait $a

# --private-users-ownership=chown: the files themselves move into the range, keeping
# their setuid bits, file capabilities, hard links and the IDs in their ACLs (shifted);
# the guest sees them as root's. The next boot of the same range shifts nothing, and a
# boot with another range moves them on.
CT=$WORK/chownbox
make_busybox_tree "$CT"
cp /etc/resolv.conf "$CT/etc/resolv.conf"
touch "$CT/etc/localtime" "$CT/suid" "$CT/capped"
chmod 4755 "$CT/suid"
ln "$CT/suid" "$CT/suid-link"
chown 1000:1000 "$CT/etc/localtime"
setcap cap_net_raw=ep "$CT/capped"
setfacl -m u:1000:rw,g:1001:r "$CT/capped"
mkdir "$CT/shared" && setfacl -d -m u:1000:rwx "$CT/shared"
runc() { "$ML" run -q --console=pipe -D "$CT" "$@" </dev/null 2>"$WORK/stderr"; }
out=$(runc --private-users=2000000:65536 --private-users-ownership=chown -- /bin/sh -c 'ls -lnd / /suid /bin/busybox /etc/localtime | tr -s " " | cut -d" " -f1,3,4,9')
check_eq "chown: the guest sees its tree as root's (and UID 1000's file as 1000's)" "drwxr-xr-x 0 0 /
-rwxr-xr-x 0 0 /bin/busybox
-rw-r--r-- 1000 1000 /etc/localtime
-rwsr-xr-x 0 0 /suid" "$out"
check_eq "on disk, the tree is the range's now" "2000000 2000000 2001000" \
        "$(stat -c %u "$CT") $(stat -c %g "$CT/bin/busybox") $(stat -c %u "$CT/etc/localtime")"
check_eq "the setuid bit and the hard link are kept" "4755 2 2000000" "$(stat -c '%a %h %u' "$CT/suid-link")"
check_match "the file capability is kept" "cap_net_raw=ep" "$(getcap "$CT/capped")"
check_eq "the ACL's IDs are shifted too" "user:2001000:rw- group:2001001:r-- default:user:2001000:rwx" \
        "$(getfacl -n "$CT/capped" "$CT/shared" 2>/dev/null | grep -E '^(default:)?(user|group):[0-9]' | tr '\n' ' ' | sed 's/ $//')"
touch -d 2001-01-01 "$CT/suid"
runc --private-users=2000000:65536 -- /bin/true
check_eq "booted again with the same range (auto): nothing is shifted again" "2001-01-01 exit 0" \
        "$(stat -c %y "$CT/suid" | cut -d' ' -f1) exit $?"
check "and it says nothing about shifting" test ! -s "$WORK/stderr"
out=$(runc --private-users=3000000:65536 -- /bin/sh -c 'stat -c %u /suid')
check_eq "another range (auto): shifted on, the guest still sees root's" "0 3000000 3001000" \
        "$out $(stat -c %u "$CT/suid") $(stat -c %u "$CT/etc/localtime")"
out=$(runc --private-users=yes -- /bin/sh -c 'stat -c %u /suid; tr -s " " < /proc/self/uid_map | cut -d" " -f3')
check_eq "--private-users=yes takes the range from the shifted tree's owner, as it is" "0
3000000" "$out"
runc --private-users-ownership=bogus -- /bin/true
check_eq "--private-users-ownership=bogus: exit 2" 2 "$?"
rm -rf "$CT"

out=$(run --private-users=1000000:65536 -- /bin/sh -c 'tr -s " " < /proc/self/uid_map | cut -d" " -f2-')
check_eq "--private-users=UID:COUNT" "0 1000000 65536" "$out"
run --private-users=yes -- /bin/true
check_eq "--private-users=yes on a root-owned tree: exit 1" 1 "$?"
check_match "with a line saying what to do" "owned by root \\(use -U" "$(cat "$WORK/stderr")"
run --private-users=0:65536 -- /bin/true
check_eq "--private-users=0:... (host root as the guest's): exit 2" 2 "$?"

host_unchanged "after the user namespaces"
# identity: the host's IDs as they are, in a user namespace of the guest's own; no range is
# held apart, so two identity machines run at once; the tree stays root's and the guest's
# root owns it.
"$ML" run -q --private-users=identity --console=pipe -M ml-identity1 -D "$TREE" --read-only -- /bin/sleep 3 \
        </dev/null >/dev/null 2>&1 &
id1=$!
wait_listed ml-identity1
check_match "status of an identity machine says so" "Users: 0:65536 \(user namespace, identity\)" "$("$ML" status ml-identity1)"
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run --private-users=identity -M ml-identity2 --read-only -- /bin/sh -c 'tr -s " " < /proc/self/uid_map | sed "s/^ //"; stat -c %u /bin/busybox; readlink /proc/self/ns/user')
check_eq "a second identity machine beside the first: uid_map 0 0 65536, its tree root's" "0 0 65536
0" "$(printf '%s\n' "$out" | sed -n 1,2p)"
check "...in a user namespace of its own" test "$(printf '%s\n' "$out" | sed -n 3p)" != "$(readlink /proc/self/ns/user)"
wait $id1
finish
