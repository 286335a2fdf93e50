#!/bin/bash
# New trees in /var/lib/machines: import-tar unpacks a tarball (plain, gzip, xz, zstd,
# from a file or stdin) keeping what a tree's files carry, and the tree boots; hostile,
# corrupt and truncated tarballs are refused with one line and leave nothing; SIGINT
# removes the partial tree; progress on a terminal, in a log, and none with -q.
# bootstrap makes a Debian tree with mmdebstrap (or debootstrap) that boots systemd;
# bad input to it is refused with one line and leaves nothing.
. "$(dirname "$0")/lib.sh"
require_root
make_work
for tool in setfattr getfattr setcap getcap setfacl python3 script xz zstd gzip; do
        command -v $tool >/dev/null || PATH=$PATH:/sbin:/usr/sbin command -v $tool >/dev/null ||
                skip "$tool is not installed (attr, libcap2-bin, acl, python3, util-linux, xz-utils, zstd)"
done
PATH=$PATH:/sbin:/usr/sbin
MACHINES=/var/lib/machines
NAME=ml-import-test
BNAME=ml-bootstrap-test
# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
        pkill -KILL -f -- "-M $BNAME " 2>/dev/null
        pkill -KILL -f -- "bootstrap $BNAME" 2>/dev/null
        rm -rf "$MACHINES/${NAME:?}"* "$MACHINES/${BNAME:?}"* "$MACHINES/.#$NAME"* "$MACHINES/.#$BNAME"*
        cleanup_work
}
trap cleanup EXIT
mkdir -p "$MACHINES"

# What a run of ours may leave in /var/lib/machines: other tests share the directory
# meanwhile, so only names that ours can make are compared (a temporary .#NAME.XXXXXX,
# its .log, NAME itself).
machines_state() {
        # shellcheck disable=SC2010 # ls -A: dot names too, in ls's order
        ls -A "$MACHINES" | grep -E "^(\.#)?($NAME|$BNAME)" | tr '\n' ' '
}

# refused DESCRIPTION EXPECTED-STATUS REGEX COMMAND...: the command fails with that
# status and exactly one line on stderr matching REGEX, and leaves /var/lib/machines
# (our names) as it was.
refused() {
        local what=$1 status=$2 regex=$3 before after
        shift 3
        before=$(machines_state)
        "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
        check_eq "$what: exit $status" "$status" "$?"
        check_eq "$what: one line on stderr" 1 "$(wc -l <"$WORK/err")"
        check_match "$what: says why" "$regex" "$(cat "$WORK/err")"
        after=$(machines_state)
        check_eq "$what: /var/lib/machines as it was" "$before" "$after"
}

# The file tree as ls -l sees it: type, owner, mode, link count, size, mtime, link
# target, device numbers; then every xattr (ACLs and file capabilities are xattrs too).
tree_listing() {
        (
                cd "$1" || exit 1
                find . -printf '%p %y %U %G %m %n %s %T@ %l\n' | awk '{ sub(/\.[0-9]+$/, "", $8); print }' | sort
                find . \( -type c -o -type b \) -exec stat -c '%n rdev %t:%T' {} + | sort
                getfattr -R -h -d -m - . 2>/dev/null | awk '/^# file:/ { f = $3 } /=/ { print f, $0 }' | sort
        )
}

# ---- A tree with everything a tarball has to carry ----
SRC=$WORK/src
make_busybox_tree "$SRC"
mknod "$SRC/dev/ml-null" c 1 3
# (No block device node: import-tar skips those, see test-new-tree-faults.sh.)
mkfifo "$SRC/run/ml-fifo"
ln "$SRC/bin/busybox" "$SRC/bin/busybox-hardlink"
cp "$SRC/bin/busybox" "$SRC/bin/ml-setuid" && chmod 4755 "$SRC/bin/ml-setuid"
cp "$SRC/bin/busybox" "$SRC/bin/ml-capped" && setcap cap_net_raw+ep "$SRC/bin/ml-capped"
setfattr -n user.x -v hello "$SRC/etc/passwd"
setfattr -n trusted.ml -v secret "$SRC/etc/group"
mkdir -m 0750 "$SRC/home" "$SRC/home/owned"
echo owned > "$SRC/home/owned/file"
chown -R 1234:5678 "$SRC/home/owned"
echo acl > "$SRC/etc/acl-file" && setfacl -m u:4321:r "$SRC/etc/acl-file"
chmod 1777 "$SRC/tmp"
touch -h -d '2001-02-03 04:05:06' "$SRC/etc/passwd" "$SRC/bin/sh"
# GNU tar as `docker export` writes: numeric IDs, every xattr namespace, ACLs.
tar --numeric-owner --xattrs --xattrs-include='*' --acls -C "$SRC" -cf "$WORK/tree.tar" .
gzip -c "$WORK/tree.tar" > "$WORK/tree.tar.gz"
xz -T0 -c "$WORK/tree.tar" > "$WORK/tree.tar.xz"
zstd -q -c "$WORK/tree.tar" > "$WORK/tree.tar.zst"
tree_listing "$SRC" > "$WORK/src.listing"
check "the source tree's listing has the capability, ACL and xattrs" \
        grep -q "security.capability" "$WORK/src.listing"
host_snapshot

for format in tar tar.gz tar.xz tar.zst; do
        suffix=${format#tar.}
        [ "$format" = tar ] && suffix=plain
        target=$MACHINES/$NAME-$suffix
        "$ML" import-tar -q "$WORK/tree.$format" "$(basename "$target")" 2>"$WORK/err"
        check_eq "import-tar of a .$format: exit 0, nothing on stderr with -q" "0 " "$? $(cat "$WORK/err")"
        tree_listing "$target" > "$WORK/imported.listing"
        if cmp -s "$WORK/src.listing" "$WORK/imported.listing"; then
                pass ".$format: owners, modes, link counts, times, device numbers, xattrs, ACLs, capabilities as in the source"
        else
                fail ".$format: the tree differs from the source: $(diff "$WORK/src.listing" "$WORK/imported.listing" | grep '^[<>]' | head -5 | tr '\n' ' ')"
        fi
done
T=$MACHINES/$NAME-plain
check_eq "the hard link is one file with two names" "2 $(stat -c %i "$T/bin/busybox")" \
        "$(stat -c '%h %i' "$T/bin/busybox-hardlink")"
check_eq "the file capability" "$T/bin/ml-capped cap_net_raw=ep" "$(getcap "$T/bin/ml-capped")"
check_eq "the device node" "character special file 1:3" "$(stat -c '%F %t:%T' "$T/dev/ml-null")"
check_eq "the setuid bit and 1234:5678" "4755 1234:5678" \
        "$(stat -c %a "$T/bin/ml-setuid") $(stat -c %u:%g "$T/home/owned/file")"
check_eq "the tree's root is 0755 root:root" "755 0:0" "$(stat -c '%a %u:%g' "$T")"
out=$("$ML" run -q --console=pipe -D "$T" -- /bin/sh -c 'cat /home/owned/file; /bin/true' </dev/null 2>&1)
check_eq "the imported tree runs: run -D $T -- /bin/true" "owned" "$out"
host_unchanged "after the imports and the run"

# From standard input.
"$ML" import-tar -q - $NAME-stdin < "$WORK/tree.tar.zst"
check_eq "import-tar - (zstd on stdin): exit 0" 0 "$?"
tree_listing "$MACHINES/$NAME-stdin" > "$WORK/imported.listing"
check "from stdin: the tree is as the source" cmp -s "$WORK/src.listing" "$WORK/imported.listing"

# ---- An existing target: exit 5 and untouched; --force replaces it ----
echo old-tree > "$T/marker"
before=$(tree_listing "$T" | md5sum)
refused "an existing target without --force" 5 "Machine $NAME-plain exists already .*--force" \
        "$ML" import-tar "$WORK/tree.tar" $NAME-plain
check_eq "the old tree is untouched" "$before" "$(tree_listing "$T" | md5sum)"
"$ML" import-tar -q --force "$WORK/tree.tar.gz" $NAME-plain
check_eq "--force: exit 0" 0 "$?"
check "--force: the old tree is replaced" test ! -e "$T/marker"
check_eq "--force: the new tree is the tarball's" "$(cat "$WORK/src.listing")" "$(tree_listing "$T")"
check_eq "--force: no temporary or old tree left" "" "$(cd "$MACHINES" && compgen -G ".#$NAME*")"
"$ML" run -q --console=pipe -D "$T" -- /bin/sleep 3 </dev/null >/dev/null 2>&1 &
sleep 1
refused "--force on a tree a running machine uses" 5 "is running .*stop it" \
        "$ML" import-tar --force "$WORK/tree.tar" $NAME-plain
wait
rm -rf "$MACHINES/$NAME-"*

# ---- Corrupt and truncated tarballs ----
head -c 300000 /dev/urandom > "$WORK/random.tar"
refused "random bytes" 1 "Cannot import .*random.tar: Unrecognized archive format" \
        "$ML" import-tar "$WORK/random.tar" $NAME
size=$(stat -c %s "$WORK/tree.tar")
head -c $((size / 2 + 1234)) "$WORK/tree.tar" > "$WORK/truncated.tar"
refused "a tarball cut in the middle" 1 "Cannot import .*truncated.tar: Truncated tar archive" \
        "$ML" import-tar "$WORK/truncated.tar" $NAME
size=$(stat -c %s "$WORK/tree.tar.xz")
head -c $((size / 2)) "$WORK/tree.tar.xz" > "$WORK/truncated.tar.xz"
refused "an xz tarball cut in the middle" 1 "Cannot import .*truncated.tar.xz: .*(runcated|damaged|Damaged)" \
        "$ML" import-tar "$WORK/truncated.tar.xz" $NAME
: > "$WORK/empty.tar"
refused "an empty file" 1 "Cannot import .*empty.tar" "$ML" import-tar "$WORK/empty.tar" $NAME
refused "a missing tarball" 1 "Tarball .*nonexistent.tar does not exist" \
        "$ML" import-tar "$WORK/nonexistent.tar" $NAME
refused "an invalid machine name" 2 "Invalid machine name '.bad'" "$ML" import-tar "$WORK/tree.tar" .bad
refused "an unknown option" 2 "Unknown option '--bogus'" "$ML" import-tar --bogus "$WORK/tree.tar" $NAME

# ---- Hostile tarballs ----
mkdir -p "$WORK/evil-target-dir"
echo host-secret > "$WORK/host-secret"
python3 - "$WORK" <<'EOF'
import io, sys, tarfile
work = sys.argv[1]

def regular(t, name, data=b"pwned\n"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))

def link(t, name, target, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    t.addfile(info)

with tarfile.open(work + "/dotdot.tar", "w") as t:
    regular(t, "etc/harmless")
    regular(t, "../../escape-test")
with tarfile.open(work + "/absolute.tar", "w") as t:
    regular(t, "etc/harmless")
    regular(t, "/tmp/abs-escape-test")
with tarfile.open(work + "/through-symlink.tar", "w") as t:
    link(t, "evil", work + "/evil-target-dir", tarfile.SYMTYPE)
    regular(t, "evil/pwned")
with tarfile.open(work + "/hardlink-absolute.tar", "w") as t:
    regular(t, "etc/harmless")
    link(t, "stolen", work + "/host-secret", tarfile.LNKTYPE)
with tarfile.open(work + "/hardlink-through-symlink.tar", "w") as t:
    link(t, "evil", work, tarfile.SYMTYPE)
    link(t, "stolen", "evil/host-secret", tarfile.LNKTYPE)
# A relative symlink that climbs out, reached by a path spelled otherwise.
with tarfile.open(work + "/relative-symlink.tar", "w") as t:
    info = tarfile.TarInfo("a")
    info.type = tarfile.DIRTYPE
    t.addfile(info)
    link(t, "a/up", "../../../../../../../.." + work + "/evil-target-dir", tarfile.SYMTYPE)
    regular(t, "./a//up/pwned")
# A hard link to a planted symlink is a symlink too.
with tarfile.open(work + "/hardlinked-symlink.tar", "w") as t:
    link(t, "evil", work + "/evil-target-dir", tarfile.SYMTYPE)
    link(t, "twin", "evil", tarfile.LNKTYPE)
    regular(t, "twin/pwned")
# A directory entry over a planted symlink replaces it: the host directory keeps its mode.
with tarfile.open(work + "/dir-over-symlink.tar", "w") as t:
    link(t, "evil", work + "/evil-target-dir", tarfile.SYMTYPE)
    info = tarfile.TarInfo("evil")
    info.type = tarfile.DIRTYPE
    info.mode = 0o777
    t.addfile(info)
    regular(t, "evil/inside")
# What makes a partial tree hard to remove: 3000 levels of directories, immutable and
# append-only files; then an entry that fails the import.
with tarfile.open(work + "/deep-frozen.tar", "w", format=tarfile.PAX_FORMAT) as t:
    deep = "/".join(["d"] * 3000)
    info = tarfile.TarInfo(deep)
    info.type = tarfile.DIRTYPE
    t.addfile(info)
    regular(t, deep + "/file")
    info = tarfile.TarInfo("frozen")
    info.size = 1
    info.pax_headers = {"SCHILY.fflags": "schg,sappnd"}
    t.addfile(info, io.BytesIO(b"x"))
    regular(t, "../bad")
EOF
evil_before=$(find "$WORK/evil-target-dir" -printf '%p %m %T@\n' | md5sum)
refused "an entry ../../escape-test" 1 "Refusing .*dotdot.tar: its entry '../../escape-test' is unsafe \\(Path contains '..'\\)" \
        "$ML" import-tar "$WORK/dotdot.tar" $NAME
check "no /var/lib/escape-test, /var/escape-test, /escape-test" \
        test ! -e /var/lib/escape-test -a ! -e /var/escape-test -a ! -e /escape-test
refused "an absolute entry /tmp/abs-escape-test" 1 "Refusing .*absolute.tar: its entry '/tmp/abs-escape-test' is unsafe \\(Path is absolute\\)" \
        "$ML" import-tar "$WORK/absolute.tar" $NAME
check "no /tmp/abs-escape-test" test ! -e /tmp/abs-escape-test
refused "evil -> a host directory, then evil/pwned" 1 "Refusing .*through-symlink.tar: its entry 'evil/pwned' .*symlink" \
        "$ML" import-tar "$WORK/through-symlink.tar" $NAME
check_eq "the host directory the symlink pointed to is untouched" "$evil_before" \
        "$(find "$WORK/evil-target-dir" -printf '%p %m %T@\n' | md5sum)"
refused "a hard link to an absolute host path" 1 "Refusing .*hardlink-absolute.tar: its entry 'stolen'" \
        "$ML" import-tar "$WORK/hardlink-absolute.tar" $NAME
refused "a hard link through a planted symlink" 1 "Refusing .*hardlink-through-symlink.tar: its entry 'stolen'" \
        "$ML" import-tar "$WORK/hardlink-through-symlink.tar" $NAME
check_eq "the host file has no new hard link" 1 "$(stat -c %h "$WORK/host-secret")"
refused "a/up -> ../../.. out of the tree, then ./a//up/pwned" 1 "Refusing .*relative-symlink.tar: its entry './a//up/pwned' .*symlink a/up" \
        "$ML" import-tar "$WORK/relative-symlink.tar" $NAME
refused "a hard link to a planted symlink, then a file through it" 1 "Refusing .*hardlinked-symlink.tar: its entry 'twin/pwned' .*symlink twin" \
        "$ML" import-tar "$WORK/hardlinked-symlink.tar" $NAME
"$ML" import-tar -q "$WORK/dir-over-symlink.tar" $NAME 2>"$WORK/err"
check_eq "a directory over a planted symlink: exit 0, nothing on stderr" "0 " "$? $(cat "$WORK/err")"
check "a directory over a planted symlink: it is a directory in the tree, with its file" \
        test -d "$MACHINES/$NAME/evil" -a ! -L "$MACHINES/$NAME/evil" -a -f "$MACHINES/$NAME/evil/inside"
rm -rf "${MACHINES:?}/$NAME"
check_eq "the host directory the symlinks pointed to is still untouched" "$evil_before" \
        "$(find "$WORK/evil-target-dir" -printf '%p %m %T@\n' | md5sum)"
refused "3000 levels deep, an immutable file, then ../bad" 1 "Refusing .*deep-frozen.tar: its entry '../bad'" \
        "$ML" import-tar -q "$WORK/deep-frozen.tar" $NAME

# ---- SIGINT and SIGTERM in the middle ----
# A large tarball: 200 MB of random data in 10240 files. Many small files, so that an
# import takes well over a second however fast the disk (these checks interrupt it after
# 0.3 s, and wait for the rate it shows after 0.5 s): 2000 files took 0.4 s here.
mkdir -p "$WORK/big"
for i in $(seq 20); do
        mkdir "$WORK/big/$i"
        head -c 10M /dev/urandom | split -b 20K - "$WORK/big/$i/part."
done
tar -C "$WORK/big" -cf "$WORK/big.tar" .
for signal in INT TERM; do
        "$ML" import-tar -q "$WORK/big.tar" $NAME-big 2>"$WORK/err" &
        pid=$!
        sleep 0.3
        kill -$signal $pid
        wait $pid
        status=$?
        expected=$((128 + $(kill -l $signal)))
        check_eq "SIG$signal after 0.3 s: exit $expected" $expected $status
        check_match "SIG$signal: one line that says the partial tree is removed" \
                "^machined-lite: Interrupted by SIG$signal: the partial tree is removed" "$(cat "$WORK/err")"
        check_eq "SIG$signal: no temporary directory and no target left" "" "$(machines_state)"
done

# ---- Progress ----
# slow_tarball PAUSE: the busybox tarball in four pieces, PAUSE seconds apart.
slow_tarball() {
        local piece=$(( ($(stat -c %s "$WORK/tree.tar") + 3) / 4 )) i
        for i in 0 1 2 3; do
                dd if="$WORK/tree.tar" bs=$piece skip=$i count=1 status=none
                sleep "$1"
        done
}
slow_tarball 0.7 | "$ML" import-tar - $NAME-progress 2>"$WORK/err"
lines=$(grep -c "^Importing $NAME-progress: " "$WORK/err")
check "stderr not a terminal: a plain progress line and a final one ($lines lines)" test "$lines" -ge 2
check_match "the final line says how much in how long" "^Importing $NAME-progress: [0-9.]+M in [0-9.]+s$" \
        "$(grep "^Importing" "$WORK/err" | tail -1)"
check_eq "no carriage return in a log" 0 "$(grep -c $'\r' "$WORK/err")"
echo "plain progress: $(grep "^Importing" "$WORK/err" | tr '\n' '|')"
rm -rf "$MACHINES/$NAME-progress"
slow_tarball 0.7 | "$ML" import-tar -q - $NAME-progress 2>"$WORK/err"
check_eq "-q: nothing on stderr" "" "$(cat "$WORK/err")"
rm -rf "$MACHINES/$NAME-progress"
# A terminal wide enough for the whole line: it is cut to the terminal's width, and
# script's pty may have 80 columns.
SHELL=/bin/bash script -qfec "stty cols 200; $ML import-tar $WORK/big.tar $NAME-progress-tty" /dev/null >"$WORK/tty" 2>&1
redraws=$(grep -o $'\r'"Importing $NAME-progress-tty: " "$WORK/tty" | wc -l)
check "on a terminal: the line is redrawn with \\r ($redraws times)" test "$redraws" -ge 2
check_match "on a terminal: done of total, percentage, rate, time left" \
        "Importing $NAME-progress-tty: [0-9.]+[KMG] of [0-9.]+[KMG] \([0-9]+%\), [0-9.]+[KMG]/s, [0-9]+s left" \
        "$(tr '\r' '\n' <"$WORK/tty")"
echo "terminal progress: $(tr '\r' '\n' <"$WORK/tty" | grep "^Importing" | grep -m1 left | sed 's/\x1b\[K//g')|$(tr '\r' '\n' <"$WORK/tty" | grep "^Importing" | tail -1 | sed 's/\x1b\[K//g')"
rm -rf "$MACHINES/$NAME-progress-tty"

# ---- bootstrap ----
refused "bootstrap of an unknown distribution" 2 "Unknown distribution 'gentoo'" \
        "$ML" bootstrap $BNAME --distribution=gentoo
refused "bootstrap with a bad package name" 2 "Invalid package name 'Bad;name'" \
        "$ML" bootstrap $BNAME --include='Bad;name'
refused "bootstrap of an unknown release" 1 "Release nosuchrelease not found at http" \
        "$ML" bootstrap $BNAME --release=nosuchrelease
refused "bootstrap without a network" 1 "Cannot reach http.*: .*network" \
        unshare -n "$ML" bootstrap $BNAME
refused "bootstrap of Ubuntu (no keyring or no archive here)" 1 "ubuntu|Ubuntu" \
        "$ML" bootstrap $BNAME --distribution=ubuntu
refused "bootstrap with a package that does not exist" 1 "Package no-such-package-ml not found in release bookworm" \
        "$ML" bootstrap -q $BNAME --include=no-such-package-ml

start=$(date +%s)
"$ML" bootstrap -q $BNAME 2>"$WORK/err"
status=$?
check_eq "bootstrap $BNAME -q: exit 0, nothing on stderr ($(($(date +%s) - start)) s)" "0 " "$status $(cat "$WORK/err")"
B=$MACHINES/$BNAME
if [ "$status" = 0 ]; then
        check_eq "/etc/machine-id is empty" 0 "$(stat -c %s "$B/etc/machine-id")"
        check "no /var/lib/dbus/machine-id" test ! -e "$B/var/lib/dbus/machine-id" -a ! -L "$B/var/lib/dbus/machine-id"
        check_match "root's password is locked in /etc/shadow" '^root:[*!]' "$(grep '^root:' "$B/etc/shadow")"
        check_eq "/etc/hostname is the name" $BNAME "$(cat "$B/etc/hostname")"
        check "no log or temporary directory left" test -z "$(cd "$MACHINES" && compgen -G ".#$BNAME*")"
        refused "bootstrap of an existing machine" 5 "Machine $BNAME exists already" "$ML" bootstrap $BNAME

        "$ML" boot -q -M $BNAME --console=read-only -D "$B" </dev/null >"$WORK/console" 2>&1 &
        SUP=$!
        LEADER=$(guest_leader $SUP)
        state=$(wait_running "$LEADER")
        check_match "the bootstrapped tree boots: systemd reaches running or degraded" '^(running|degraded)$' "$state"
        [ "$state" = degraded ] &&
                echo "failed units: $(in_guest "$LEADER" /bin/systemctl --failed --no-legend --plain | tr '\n' ' ')"
        check_eq "systemd filled in the machine id from \$container_uuid" \
                "$(in_guest "$LEADER" /bin/cat /run/host/container-uuid | tr -d '-')" \
                "$(in_guest "$LEADER" /bin/cat /etc/machine-id)"
        check_eq "the guest's host name is the name" $BNAME "$(in_guest "$LEADER" /bin/hostname)"
        kill -TERM $SUP
        wait $SUP
        check_eq "SIGTERM powers it off: exit 0" 0 "$?"
        rm -rf "$B"
fi

# Stopped in the middle: mmdebstrap and its mounts go too.
"$ML" bootstrap -q $BNAME 2>"$WORK/err" &
pid=$!
for i in $(seq 100); do
        ls -d "$MACHINES"/.#$BNAME.* >/dev/null 2>&1 && break
        sleep 0.1
done
sleep 4
kill -INT $pid
wait $pid
check_eq "bootstrap, SIGINT after 4 s: exit 130" 130 "$?"
check_match "SIGINT: one line" "^machined-lite: Interrupted by SIGINT: the partial tree is removed" "$(cat "$WORK/err")"
check_eq "SIGINT: nothing left in /var/lib/machines" "" "$(machines_state)"
check_eq "SIGINT: no mmdebstrap or debootstrap left" "" \
        "$(pgrep -f "(mmdebstrap|debootstrap) .*\.#$BNAME" | tr '\n' ' ')"
check_eq "SIGINT: no mount of the tree left" 0 "$(grep -c "$BNAME" /proc/self/mountinfo)"
finish
