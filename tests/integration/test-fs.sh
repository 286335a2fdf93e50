#!/bin/bash
# The guest's file system, as the guest sees it and as the host does.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/fsbox
make_busybox_tree "$TREE"
echo inside > "$TREE/tree-marker"
echo outside > "$WORK/host-marker"
host_snapshot

run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null 2>"$WORK/stderr"
}

# What is mounted, as the guest sees it: mount points only.
out=$(run -- /bin/sh -c 'cut -d" " -f5 /proc/self/mountinfo | sort | tr "\n" " "')
check_eq "the guest sees only its own mounts" \
        "/ /dev /dev/mqueue /dev/pts /dev/shm /proc $(for p in acpi asound bus fs irq kallsyms kcore key-users keys kmsg latency_stats sched_debug scsi sys sysrq-trigger timer_list timer_stats; do [ -e /proc/$p ] && printf '/proc/%s ' $p; done)/run /sys /sys/fs/cgroup " \
        "$out"
check_eq "/ is the tree" inside "$(run -- /bin/cat /tree-marker)"
check "a host file outside the tree is not reachable" test -z "$(run -- /bin/cat "$WORK/host-marker")"
out=$(run -- /bin/sh -c 'cut -d" " -f5 /proc/1/mountinfo | grep -c "^/$"')
check_eq "pivot_root: one root mount, the old root detached" 1 "$out"

# Container Interface: kernel knobs read-only, secrets masked.
out=$(run -- /bin/sh -c 'echo x > /proc/sys/kernel/hostname 2>/dev/null && echo writable; grep " /proc/sys " /proc/self/mountinfo | cut -d" " -f6')
check_match "/proc/sys is read-only" '^ro,' "$out"
out=$(run -- /bin/sh -c 'touch /sys/x 2>/dev/null && echo writable; grep " /sys " /proc/self/mountinfo | cut -d" " -f6')
check_match "/sys is read-only" '^ro,' "$out"
for f in keys timer_list kallsyms kmsg; do
        [ -e /proc/$f ] || continue
        out=$(run -- /bin/sh -c "wc -c < /proc/$f")
        check_eq "/proc/$f is masked (empty)" 0 "$out"
done
out=$(run -- /bin/sh -c 'cat /proc/self/status | grep -c ^Name')
check_eq "/proc is the guest's own, and works" 1 "$out"

# /run and /run/host.
out=$(run -- /bin/sh -c 'grep " /run " /proc/self/mountinfo | cut -d" " -f9; cat /run/host/container-manager; ls /run/host')
check_eq "/run is a tmpfs with /run/host/" "tmpfs
machined-lite
container-manager
container-uuid
notify
os-release" "$out"
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -- /bin/sh -c 'test -S /run/host/notify && echo "$NOTIFY_SOCKET"')
check_eq "the guest's init gets a notify socket: NOTIFY_SOCKET=/run/host/notify" /run/host/notify "$out"
check_eq "/run/host/os-release is the host's" "$(cat /etc/os-release)" "$(run -- /bin/cat /run/host/os-release)"

# /etc/resolv.conf and /etc/localtime follow the host where the guest has none.
rm -f "$TREE/etc/resolv.conf" "$TREE/etc/localtime"
out=$(run -- /bin/cat /etc/resolv.conf)
check_eq "a guest without resolv.conf gets the host's" "$(cat /etc/resolv.conf)" "$out"
if [ -e /etc/localtime ]; then
        check_eq "a guest without localtime gets the host's zone" "$(md5sum < /etc/localtime)" \
                "$(run -- /bin/cat /etc/localtime | md5sum)"
fi
echo "nameserver 192.0.2.1" > "$TREE/etc/resolv.conf"
check_eq "the guest's own resolv.conf wins" "nameserver 192.0.2.1" "$(run -- /bin/cat /etc/resolv.conf)"

# --read-only.
out=$(run --read-only -- /bin/sh -c 'touch /newfile 2>&1 >/dev/null | grep -c "Read-only"; touch /run/ok && echo run-writable')
check_eq "--read-only: / cannot be written, /run can" "1
run-writable" "$out"
check "--read-only left no file in the tree" test ! -e "$TREE/newfile"
run -- /bin/touch /newfile
check "without --read-only the tree is writable" test -e "$TREE/newfile"

# Nothing we mount for the guest, nor anything it mounts itself, reaches the host.
"$ML" run -q --console=pipe -D "$TREE" -- /bin/sh -c 'mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && sleep 2' \
        </dev/null >/dev/null 2>&1 &
sleep 1
out=$(grep -c "$TREE" /proc/self/mountinfo)
check_eq "while the guest runs, the host's mount table has nothing of it" 0 "$out"
wait

# Planted symlinks must not lead us out of the tree: /etc -> a path that climbs out of
# the tree to a host directory; resolved inside the tree, it lands on the tree's own
# directory of that name. And /run -> /: a mount there would cover the whole tree, so it
# is refused, with a line that names the mount.
mkdir -p "$WORK/escape" "$TREE$WORK/escape"
mv "$TREE/etc" "$TREE/etc.real"
ln -s "../../../../../../../..$WORK/escape" "$TREE/etc"
run -- /bin/true
check "a tree with /etc -> ../../host/dir still runs" test "$?" = 0
check "nothing was written into the host directory the link points at" test -z "$(ls -A "$WORK/escape")"
check "/etc/resolv.conf was placed inside the tree instead" test -f "$TREE$WORK/escape/resolv.conf"
mv "$TREE/run" "$TREE/run.real"
ln -s / "$TREE/run"
run -- /bin/true
check_eq "a tree with /run -> /: exit 1" 1 "$?"
check_match "saying which mount" "Failed to make the mount point /run in .*: Too many levels of symbolic links" "$(cat "$WORK/stderr")"
check "the host's /host was not created through /run -> /" test ! -e /host
rm -f "$TREE/run" "$TREE/etc"
mv "$TREE/run.real" "$TREE/run"
mv "$TREE/etc.real" "$TREE/etc"

# --bind=+PATH: a path of the tree's own, resolved inside it (a link in the tree to a host
# path stays in the tree); --bind=:DST: a new directory under /var/tmp, gone at the end.
mkdir -p "$TREE/srv/data" "$TREE/etc-alt"
echo tree-data > "$TREE/srv/data/file"
echo tree-hostname > "$TREE/etc-alt/hostname"
ln -s /etc-alt/hostname "$TREE/srv/link-to-etc"
check_eq "--bind=+/srv/data:/mnt/data: the tree's directory" tree-data "$(run --bind=+/srv/data:/mnt/data -- /bin/cat /mnt/data/file)"
check_eq "--bind-ro=+/srv/data/file:/mnt/one: a file of the tree's, read-only" "tree-data
ro" "$(run --bind-ro=+/srv/data/file:/mnt/one -- /bin/sh -c 'cat /mnt/one; grep " /mnt/one " /proc/self/mountinfo | cut -d" " -f6 | cut -d, -f1')"
check_eq "--bind=+/srv/link-to-etc: an absolute link in the tree leads into the tree, not the host" tree-hostname \
        "$(run --bind=+/srv/link-to-etc:/mnt/h -- /bin/cat /mnt/h)"
run -x --bind=+/srv/data:/mnt/data -- /bin/sh -c 'echo written > /mnt/data/new'
check "--bind=+PATH with -x: what the guest writes there stays in the throwaway layer, not the tree" \
        test ! -e "$TREE/srv/data/new"
ls -d /var/tmp/machined-lite-bind.* > "$WORK/temps-before" 2>/dev/null
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -U --bind=:/scratch -- /bin/sh -c 'echo x > /scratch/made && stat -c "%u %a" /scratch; grep " /scratch " /proc/self/mountinfo | cut -d" " -f4')
check_match "--bind=:/scratch with -U: a writable directory of the guest root's" "^0 700
/var/tmp/machined-lite-bind\.[A-Za-z0-9]{6}$" "$out"
ls -d /var/tmp/machined-lite-bind.* > "$WORK/temps-after" 2>/dev/null
check_eq "the temporary directory is gone with the machine" "" "$(comm -13 "$WORK/temps-before" "$WORK/temps-after")"
one_line_error "--bind=+/../etc: refused" 2 "\+PATH takes an absolute path in the tree, without \.\." \
        "$ML" run -q -D "$TREE" --bind=+/../etc:/mnt -- /bin/true
one_line_error "--bind=: without a destination: refused" 2 "an empty source \(a temporary directory\) needs a destination" \
        "$ML" run -q -D "$TREE" --bind= -- /bin/true
one_line_error "--bind=+/no/such: not in the tree" 4 "Bind source \+/no/such cannot be used: No such file or directory \(give an existing path in the tree after \+" \
        "$ML" run -q -D "$TREE" --bind=+/no/such:/mnt -- /bin/true
rm -rf "$TREE/srv" "$TREE/etc-alt"

# The guest may leave a FIFO or a device node where its machine id was: the next start
# neither blocks on it nor reads it.
mkfifo "$TREE/etc/machine-id"
timeout 20 "$ML" run -q --console=pipe -D "$TREE" -- /bin/true </dev/null
check_eq "a FIFO at /etc/machine-id: the next start does not block on it" 0 "$?"
timeout 20 "$ML" run -q --console=pipe -D "$TREE" --link-journal=try-guest -- /bin/true </dev/null
check_eq "...nor does --link-journal" 0 "$?"
rm -f "$TREE/etc/machine-id"

host_unchanged "after all runs"
finish
