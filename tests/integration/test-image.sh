#!/bin/bash
# Raw disk images (-i): GPT images per the Discoverable Partitions Specification, an MBR
# image and bare file systems, made here from the busybox and Debian trees, each booted
# through loop devices of our own (this kernel has no partition parser and no udev
# runs), looked at from inside the guest; bad images refused with one line; and no
# loop device or mount left behind, however machined-lite ends.
. "$(dirname "$0")/lib.sh"
require_root
make_work
for tool in sfdisk mkfs.ext4 mksquashfs mkfs.erofs losetup; do
        command -v $tool >/dev/null || PATH=$PATH:/sbin:/usr/sbin command -v $tool >/dev/null ||
                skip "$tool is not installed (fdisk, e2fsprogs, squashfs-tools, erofs-utils, mount)"
done
PATH=$PATH:/sbin:/usr/sbin
trap 'pkill -KILL -f -- "-M ml-img" 2>/dev/null; rm -f /var/lib/machines/ml-img-byname.raw; cleanup_work' EXIT

ROOT_X86_64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
ROOT_ARM64=B921B045-1DF0-41C3-AF44-4C6F280D3FAE
USR_X86_64=8484680C-9521-48C6-9C11-B0720656F69E
HOME=933AC7E1-2EB4-4F13-B844-0E14E2AEF915
SRV=3B8F8425-20E0-4F3B-907F-1A25A76F98E8
VAR=4D21B016-B534-45C2-A9FB-5C16E091FD2D
ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B

# fs_image TYPE DIR FILE [MiB]: a file system of TYPE holding DIR's files.
fs_image() {
        case $1 in
        ext4) truncate -s "${4:-16}M" "$3" && mkfs.ext4 -q -F -d "$2" "$3" ;;
        squashfs) mksquashfs "$2" "$3" -quiet -noappend -no-progress >/dev/null ;;
        erofs) mkfs.erofs "$3" "$2" >/dev/null 2>&1 ;;
        vfat) truncate -s "${4:-8}M" "$3" && mkfs.vfat "$3" >/dev/null ;;
        zeros) truncate -s "${4:-8}M" "$3" ;;
        esac
}

# disk_image LABEL DISK TYPE:NAME:FILE[:ATTRS]...: a partition table (gpt or dos) with one
# partition for each file system image, 1 MiB aligned, the images copied in.
disk_image() {
        local label=$1 disk=$2 start=2048 script part type name file attrs size
        shift 2
        script="label: $label"$'\n'
        for part in "$@"; do
                IFS=: read -r type name file attrs <<<"$part"
                # shellcheck disable=SC2017 # rounded up to whole MiB first, on purpose
                size=$(( ($(stat -c %s "$file") + 1048575) / 1048576 * 2048 ))
                script+="start=$start, size=$size, type=$type"
                [ "$label" = gpt ] && script+=", name=$name"
                [ -n "$attrs" ] && script+=", attrs=\"GUID:$attrs\""
                script+=$'\n'
                start=$((start + size))
        done
        truncate -s $(( (start + 2048) * 512 )) "$disk"
        printf '%s' "$script" | sfdisk -q --no-reread --no-tell-kernel "$disk" >/dev/null || return 1
        start=2048
        for part in "$@"; do
                IFS=: read -r type name file attrs <<<"$part"
                dd if="$file" of="$disk" bs=512 seek=$start conv=notrunc status=none
                # shellcheck disable=SC2017 # likewise
                start=$((start + ($(stat -c %s "$file") + 1048575) / 1048576 * 2048))
        done
}

# The busybox tree, split: /usr, /home, /srv and /var each on a partition of its own
# (a marker file in each), the rest on the root partition with empty mount points.
make_busybox_tree "$WORK/bb"
P=$WORK/parts
mkdir -p "$P/root"
cp -a "$WORK/bb/." "$P/root/"
for d in usr home srv var; do
        mkdir -p "$P/$d" "$P/root/$d"
        echo "$d" > "$P/$d/marker"
done
echo root > "$P/root/marker"
# A shell in /usr too, for --volatile=yes (a tmpfs root with only the image's /usr).
mkdir -p "$P/usr/bin"
cp /bin/busybox "$P/usr/bin/busybox"
for a in sh ls cat touch; do ln -s busybox "$P/usr/bin/$a"; done
fs_image ext4 "$P/root" "$WORK/root.ext4"
for d in usr home srv var; do fs_image ext4 "$P/$d" "$WORK/$d.ext4" 8; done
fs_image vfat "" "$WORK/esp.vfat"
disk_image gpt "$WORK/full.raw" "$ESP:ESP:$WORK/esp.vfat" "$ROOT_X86_64:root:$WORK/root.ext4" \
        "$USR_X86_64:usr:$WORK/usr.ext4" "$HOME:home:$WORK/home.ext4" "$SRV:srv:$WORK/srv.ext4" "$VAR:var:$WORK/var.ext4"
host_snapshot

run() {
        "$ML" run -q --console=pipe "$@" </dev/null 2>"$WORK/stderr"
}
# What the guest sees mounted at each of its mount points: type, rw/ro, and whether
# the device is another than /'s.
# shellcheck disable=SC2016 # for the guest's awk
MOUNTS='awk "{ for (i = 7; \$i != \"-\"; i++); t[\$5] = \$(i + 1); o[\$5] = substr(\$6, 1, 2); d[\$5] = \$3 }
        END { for (m in t) if (m == \"/\" || m == \"/usr\" || m == \"/home\" || m == \"/srv\" || m == \"/var\")
                print m, t[m], o[m], (m == \"/\" || d[m] != d[\"/\"]) ? \"own\" : \"same\" }" /proc/self/mountinfo | sort'

out=$(run -i "$WORK/full.raw" -M ml-img-full -- /bin/sh -c "$MOUNTS; cat /marker /usr/marker /home/marker /srv/marker /var/marker | tr '\n' ' '")
check_eq "GPT: / is the root partition's ext4, /usr /home /srv /var each from its own partition" "/ ext4 rw own
/home ext4 rw own
/srv ext4 rw own
/usr ext4 rw own
/var ext4 rw own
root usr home srv var " "$out"
check "and ran with exit 0" test ! -s "$WORK/stderr"
host_unchanged "after the GPT image"

out=$("$ML" inspect -i "$WORK/full.raw")
check_match "inspect shows the root partition, its architecture, file system and mount point" \
        "root +x86-64 +ext4 .*/$" "$(grep -E '^ *2 ' <<<"$out")"
check_match "and the ESP as known, left alone" "esp .*vfat" "$out"
json=$("$ML" inspect --json -i "$WORK/full.raw")
check_eq "inspect --json: the partitions with their mount points" "esp:None root:/ usr:/usr home:/home srv:/srv var:/var" \
        "$(python3 -c 'import json, sys; d = json.load(sys.stdin); print(" ".join("%s:%s" % (p["designator"], p["mount_point"]) for p in d["partitions"]))' <<<"$json")"
echo "inspect of a test image:"; echo "$out"
made_machines_dir=
[ -d /var/lib/machines ] || { mkdir -m 0700 /var/lib/machines && made_machines_dir=1; }
mkdir /var/lib/machines/ml-img-dirmachine
one_line_error "inspect NAME of a directory machine" 4 "Machine ml-img-dirmachine is a directory tree .*: inspect reads raw disk images only" \
        "$ML" inspect ml-img-dirmachine
rmdir /var/lib/machines/ml-img-dirmachine
[ -z "$made_machines_dir" ] || rmdir /var/lib/machines

# The GPT read-only flag (bit 60) on the root partition.
disk_image gpt "$WORK/ro-flag.raw" "$ROOT_X86_64:root:$WORK/root.ext4:60"
out=$(run -i "$WORK/ro-flag.raw" -M ml-img-ro -- /bin/sh -c "$MOUNTS; touch /x 2>/dev/null && echo written")
check_eq "a root partition flagged read-only is mounted read-only" "/ ext4 ro own" "$out"

# Bare file systems, no partition table.
fs_image squashfs "$WORK/bb" "$WORK/bare.squashfs"
out=$(run -i "$WORK/bare.squashfs" -M ml-img-sq -- /bin/sh -c "$MOUNTS")
check_eq "a bare squashfs boots, read-only" "/ squashfs ro own" "$out"
fs_image erofs "$WORK/bb" "$WORK/bare.erofs"
out=$(run -i "$WORK/bare.erofs" -M ml-img-erofs -- /bin/sh -c "$MOUNTS")
check_eq "a bare erofs boots, read-only" "/ erofs ro own" "$out"
cp "$WORK/root.ext4" "$WORK/bare.ext4"
sum=$(md5sum < "$WORK/bare.ext4")
out=$(run --read-only -i "$WORK/bare.ext4" -M ml-img-ext4 -- /bin/sh -c "$MOUNTS; touch /x 2>/dev/null && echo written")
check_eq "a bare ext4 with --read-only: read-only, nothing written" "/ ext4 ro own" "$out"
check_eq "the image file is unchanged" "$sum" "$(md5sum < "$WORK/bare.ext4")"

# MBR with one Linux partition.
disk_image dos "$WORK/mbr.raw" "83::$WORK/root.ext4"
out=$(run -i "$WORK/mbr.raw" -M ml-img-mbr -- /bin/sh -c "$MOUNTS; cat /marker")
check_eq "an MBR image with one Linux partition boots" "/ ext4 rw own
root" "$out"

# A block device is taken as it is (here a loop device of the test's over the GPT image;
# its partitions are reached through loop devices of machined-lite's).
dev=$(losetup --find --show --read-only "$WORK/full.raw")
out=$(run -i "$dev" -M ml-img-blockdev -- /bin/sh -c "$MOUNTS")
check_eq "a block device holding a GPT boots, read-only as the device is" "/ ext4 ro own
/home ext4 ro own
/srv ext4 ro own
/usr ext4 ro own
/var ext4 ro own" "$out"
losetup -d "$dev"

# NAME alone finds /var/lib/machines/NAME.raw when there is no directory of that name.
mkdir -p /var/lib/machines
cp "$WORK/mbr.raw" /var/lib/machines/ml-img-byname.raw
out=$(run ml-img-byname -- /bin/hostname)
check_eq "run NAME boots /var/lib/machines/NAME.raw" "ml-img-byname" "$out"
rm -f /var/lib/machines/ml-img-byname.raw

# -U: the image's root mounted idmapped like a tree.
out=$(run -U -i "$WORK/mbr.raw" -M ml-img-userns -- /bin/sh -c 'stat -c %u /marker; touch /made; stat -c %u /made')
check_eq "-U on an ext4 image: the guest's root owns its files" "0
0" "$out"

# -x on an image with several file systems: each gets an overlay of its own (an overlay
# does not reach into other mounts), so /, /usr, /home, /srv, /var are all writable, all
# throwaway, and the image is never written: attached read-only.
sum=$(md5sum < "$WORK/full.raw")
"$ML" run -q --console=pipe -x -i "$WORK/full.raw" -M ml-img-x -- /bin/sh -c "
        for d in / /home /srv /usr /var; do echo \"written in \$d\" > \$d/new || echo \"\$d not writable\"; done
        rm /home/marker; $MOUNTS; cat /new /home/new /srv/new /usr/new /var/new /srv/marker; ls /home; sleep 2" \
        </dev/null >"$WORK/out" 2>"$WORK/stderr" &
sup=$!
guest_leader $sup >/dev/null
check_eq "-x: the image's loop devices are read-only" "$(losetup -n -O RO -j "$WORK/full.raw" | wc -l) x 1" \
        "$(losetup -n -O RO -j "$WORK/full.raw" | wc -l) x $(losetup -n -O RO -j "$WORK/full.raw" | sort -u | tr -d ' ')"
wait $sup
check_eq "-x on a GPT image with /usr /home /srv /var: each an overlay, writable, the writes seen" "0 / overlay rw own
/home overlay rw own
/srv overlay rw own
/usr overlay rw own
/var overlay rw own
written in /
written in /home
written in /srv
written in /usr
written in /var
srv
lost+found
new" "$? $(cat "$WORK/out")"
check_eq "and the image file is unchanged" "$sum" "$(md5sum < "$WORK/full.raw")"
out=$(run -x -i "$WORK/full.raw" -M ml-img-x -- /bin/sh -c 'ls /new /home/new /srv/new 2>&1 | grep -c "No such"; cat /home/marker')
check_eq "a second -x boot sees nothing of the first one's writes" "3
home" "$out"
out=$(run -x -U -i "$WORK/full.raw" -M ml-img-x -- /bin/sh -c 'echo x > /home/x; stat -c %u /home/x /home/marker /srv/marker /usr/marker')
check_eq "-x -U: the guest's root owns every file system of the image, and what it writes" "0
0
0
0" "$out"
out=$(run -U --read-only -i "$WORK/full.raw" -M ml-img-x -- /bin/sh -c 'cat /home/marker; stat -c %u /home/marker')
check_eq "-U on an image with several file systems: all of them there, the guest's root's" "home
0" "$out"
mkdir -p "$WORK/edir"
"$ML" run -q --console=pipe -x --ephemeral-dir="$WORK/edir" -i "$WORK/full.raw" -M ml-img-x -- /bin/sh -c \
        'echo h > /home/h; echo s > /srv/s; echo r > /r; sleep 2' </dev/null >/dev/null 2>"$WORK/stderr" &
sup=$!
guest_leader $sup >/dev/null
for _ in $(seq 50); do [ -e "$(echo "$WORK"/edir/*/srv/upper/s)" ] && break; sleep 0.1; done
check_eq "-x --ephemeral-dir: each file system's writes in an upper layer of its own under DIR" "r h s" \
        "$(cat "$WORK"/edir/*/root/upper/r "$WORK"/edir/*/home/upper/h "$WORK"/edir/*/srv/upper/s 2>&1 | tr '\n' ' ' | sed 's/ $//')"
wait $sup
check_eq "and nothing left in DIR after" "0 " "$? $(ls -A "$WORK/edir")"
out=$(run --volatile=state -i "$WORK/full.raw" -M ml-img-vol -- /bin/sh -c "$MOUNTS"'
        touch /x 2>/dev/null || echo root-ro; touch /home/x 2>/dev/null || echo home-ro; touch /var/x && echo var-rw
        cat /home/marker /usr/marker')
check_eq "--volatile=state on it: all of the image read-only, a tmpfs on /var" "/ ext4 ro own
/home ext4 ro own
/srv ext4 ro own
/usr ext4 ro own
/var tmpfs rw own
root-ro
home-ro
var-rw
home
usr" "$out"
out=$(run --volatile=yes -i "$WORK/full.raw" -M ml-img-vol -- /usr/bin/sh -c 'ls /; cat /usr/marker; touch /usr/x 2>/dev/null || echo usr-ro; touch /x && echo root-rw')
check_eq "--volatile=yes on it: a tmpfs root with the image's /usr partition, read-only" "bin
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
usr
usr-ro
root-rw" "$out"
out=$(run --volatile=overlay -i "$WORK/full.raw" -M ml-img-vol -- /bin/sh -c 'touch /x /home/x /srv/x /var/x /usr/x && echo all-rw')
check_eq "--volatile=overlay on it: every file system writable" "all-rw" "$out"
check_eq "and the image file is still unchanged" "$sum" "$(md5sum < "$WORK/full.raw")"
host_unchanged "after -x and --volatile on an image with several file systems"

# Two images at once, and one read-only image twice; a writable image in use is refused.
"$ML" run -q --console=pipe -i "$WORK/full.raw" -M ml-img-a -- /bin/sleep 3 </dev/null >/dev/null 2>&1 &
a=$!
"$ML" run -q --console=pipe -i "$WORK/mbr.raw" -M ml-img-b -- /bin/sleep 3 </dev/null >/dev/null 2>&1 &
b=$!
"$ML" run -q --console=pipe --read-only -i "$WORK/bare.ext4" -M ml-img-c -- /bin/sleep 3 </dev/null >/dev/null 2>&1 &
c=$!
"$ML" run -q --console=pipe --read-only -i "$WORK/bare.ext4" -M ml-img-d -- /bin/sleep 3 </dev/null >/dev/null 2>&1 &
d=$!
for sup in $a $b $c $d; do guest_leader "$sup" >/dev/null; done
check_eq "two images and one read-only image twice run at once" "4" \
        "$(for sup in $a $b $c $d; do kill -0 "$sup" 2>/dev/null && echo up; done | wc -l)"
run -i "$WORK/full.raw" -M ml-img-e -- /bin/true
check_eq "an image another machine holds writable: exit 5" 5 "$?"
check_match "saying so" "^machined-lite: Image .*/full.raw is in use by another machine" "$(cat "$WORK/stderr")"
wait $a $b $c $d
host_unchanged "after four machines on images"

# SIGKILL of machined-lite: its mount namespace, and with it the mounts and the loop
# devices, go with its last process.
"$ML" run -q --console=pipe -i "$WORK/full.raw" -M ml-img-kill -- /bin/sleep 30 </dev/null >/dev/null 2>&1 &
sup=$!
guest_leader $sup >/dev/null
check "while it runs, its loop devices exist" test -n "$(losetup -j "$WORK/full.raw")"
kill -KILL $sup
wait $sup 2>/dev/null
host_unchanged "after SIGKILL of machined-lite with an image"

# Bad images: one line each, exit 4, nothing left behind.
bad() {
        local what=$1 pattern=$2
        shift 2
        run -i "$@" -- /bin/true
        check_eq "$what: exit 4" 4 "$?"
        check_match "$what: one line saying what is wrong" "^machined-lite: $pattern" "$(cat "$WORK/stderr")"
        check_eq "$what: one line only" 1 "$(wc -l < "$WORK/stderr")"
}
: > "$WORK/empty.raw"
bad "an empty file" "Image .*/empty.raw: .*" "$WORK/empty.raw"
head -c 4M /dev/urandom > "$WORK/random.raw"
bad "random bytes" "Image .*/random.raw: .*" "$WORK/random.raw"
cp "$WORK/full.raw" "$WORK/truncated.raw"
truncate -s 20M "$WORK/truncated.raw"
bad "a truncated GPT image" "Image .*/truncated.raw: .*" "$WORK/truncated.raw"
cp "$WORK/full.raw" "$WORK/corrupt.raw"
# Both GPT headers (LBA 1 and the last LBA) overwritten: no table left to trust.
dd if=/dev/urandom of="$WORK/corrupt.raw" bs=512 seek=1 count=1 conv=notrunc status=none
dd if=/dev/urandom of="$WORK/corrupt.raw" bs=512 seek=$(( $(stat -c %s "$WORK/corrupt.raw") / 512 - 1 )) count=1 conv=notrunc status=none
bad "a corrupt GPT" "Image .*/corrupt.raw: .*" "$WORK/corrupt.raw"
disk_image gpt "$WORK/arm64.raw" "$ROOT_ARM64:root:$WORK/root.ext4"
bad "a GPT with a root partition for arm64 only" "Image .*/arm64.raw: .*arm64.*" "$WORK/arm64.raw"
disk_image gpt "$WORK/noroot.raw" "$HOME:home:$WORK/home.ext4"
bad "a GPT with no root partition" "Image .*/noroot.raw: .*" "$WORK/noroot.raw"
fs_image zeros "" "$WORK/zeros.img"
disk_image gpt "$WORK/unknownfs.raw" "$ROOT_X86_64:root:$WORK/zeros.img"
bad "a root partition with no file system known" "Image .*/unknownfs.raw: .*" "$WORK/unknownfs.raw"
# Tables sfdisk refuses to write, as a hostile image brings them (tests/gpt-edit.py
# patches an entry and the CRCs). start_lba/last_lba N: partition N of full.raw.
start_lba() { sfdisk -d "$WORK/full.raw" | sed -n "s|^$WORK/full.raw$1 : start= *\([0-9]*\),.*|\1|p"; }
last_lba() { echo $(( $(start_lba "$1") + $(sfdisk -d "$WORK/full.raw" | sed -n "s|^$WORK/full.raw$1 : .*size= *\([0-9]*\),.*|\1|p") - 1 )); }
# /usr on the very sectors of the root: the same ext4 would be mounted twice, writable.
cp "$WORK/full.raw" "$WORK/overlap.raw"
python3 "$TESTS_DIR/gpt-edit.py" "$WORK/overlap.raw" 3 "$(start_lba 2)" "$(last_lba 2)"
bad "a GPT whose /usr partition covers the root's sectors" \
        "Image .*/overlap.raw: partitions 2 \(root\) and 3 \(usr\) overlap \(sectors $(start_lba 2)-$(last_lba 2)\): the image is corrupt or hostile, fix its partition table$" \
        "$WORK/overlap.raw"
# A one-sector ESP inside /home: /home is mounted, the ESP is not; refused all the same.
cp "$WORK/full.raw" "$WORK/overlap-esp.raw"
python3 "$TESTS_DIR/gpt-edit.py" "$WORK/overlap-esp.raw" 1 "$(start_lba 4)" "$(start_lba 4)"
bad "a GPT with a one-sector ESP inside /home" \
        "Image .*/overlap-esp.raw: partitions 1 \(esp\) and 4 \(home\) overlap \(sectors $(start_lba 4)-$(start_lba 4)\)" \
        "$WORK/overlap-esp.raw"
# The root running past the end of the disk: libblkid leaves such an entry out.
cp "$WORK/full.raw" "$WORK/past-end.raw"
sectors=$(( $(stat -c %s "$WORK/past-end.raw") / 512 ))
python3 "$TESTS_DIR/gpt-edit.py" "$WORK/past-end.raw" 2 "$(start_lba 2)" $((sectors + 2047))
bad "a GPT whose root partition runs past the end of the disk" \
        "Image .*/past-end.raw: partition 2 \(root\) runs past the end of the disk \(sectors $(start_lba 2)-$((sectors + 2047)), the disk has $sectors sectors\): the image is corrupt or hostile" \
        "$WORK/past-end.raw"
check_eq "inspect refuses it too: exit 4" 4 "$("$ML" inspect -i "$WORK/past-end.raw" >/dev/null 2>&1; echo $?)"
bad "a missing image" "Image .*/missing.raw does not exist" "$WORK/missing.raw"
bad "a directory given as image" "Image .* is neither a regular file nor a block device" "$WORK"
host_unchanged "after the bad images"

# The Debian tree as a GPT image, booted to systemd running.
DEBIAN=$(debian_tree) || exit $?
kb=$(du -sk "$DEBIAN" | cut -f1)
# shellcheck disable=SC2017 # whole MiB first, on purpose
fs_image ext4 "$DEBIAN" "$WORK/debian.ext4" $((kb / 1024 * 3 / 2 + 64))
disk_image gpt "$WORK/debian.raw" "$ROOT_X86_64:root-debian:$WORK/debian.ext4"
rm -f "$WORK/debian.ext4"
"$ML" boot -q -M ml-img-debian --console=read-only -i "$WORK/debian.raw" </dev/null >"$WORK/console" 2>&1 &
sup=$!
leader=$(guest_leader $sup)
state=$(wait_running "$leader")
check_match "the Debian GPT image boots to systemd running or degraded" '^(running|degraded)$' "$state"
[ "$state" = degraded ] && echo "failed units: $(in_guest "$leader" /bin/systemctl --failed --no-legend --plain | tr '\n' ' ')"
check_match "its / is the image's ext4, writable" "^/ ext4 rw own$" "$(in_guest "$leader" /bin/sh -c "$MOUNTS")"
kill -TERM $sup
wait $sup
check_eq "and powers off on SIGTERM: exit 0" 0 "$?"
host_unchanged "after the Debian image"
finish
