#!/bin/bash
# New trees in /var/lib/machines when things go wrong (issue 12): a full file system
# fails import-tar, a --template copy and bootstrap with one line naming the file, and
# leaves nothing; a SIGKILLed import's temporary tree is removed by the next one, while
# one still being built is never touched; block device nodes of a tarball or template
# are not carried into the new tree, character devices are.
#
# All of it runs in a private mount namespace with a small tmpfs over /var/lib/machines:
# the host's /var/lib/machines (and other tests using it meanwhile) are never touched.
. "$(dirname "$0")/lib.sh"
require_root
if [ -z "${ML_PRIVATE_NAMESPACE:-}" ]; then
        command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
        ML_PRIVATE_NAMESPACE=1 exec unshare -m --propagation private "$0" "$@"
fi
make_work
PATH=$PATH:/sbin:/usr/sbin
MACHINES=/var/lib/machines
NAME=ml-faults
trap 'umount "$MACHINES/.#ml-faults-mnt.abcdef" 2>/dev/null; umount -R "$MACHINES" 2>/dev/null; cleanup_work' EXIT
mkdir -p "$MACHINES"
host_snapshot

# A fresh tmpfs of SIZE over /var/lib/machines (visible in this namespace only).
fresh_machines() {
        umount "$MACHINES" 2>/dev/null
        mount -t tmpfs -o "size=$1,mode=0700" ml-faults "$MACHINES"
}
# What is in /var/lib/machines, hidden entries too.
machines() {
        # shellcheck disable=SC2012 # ls -A: dot names too, in ls's order
        ls -A "$MACHINES" | tr '\n' ' '
}

# A tree bigger than a 20 MB tmpfs: 40 MB of random data in 8 files under usr/lib.
BIG=$WORK/big
make_busybox_tree "$BIG"
mkdir -p "$BIG/usr/lib/x86_64-linux-gnu"
for i in 1 2 3 4 5 6 7 8; do
        head -c 5M /dev/urandom > "$BIG/usr/lib/x86_64-linux-gnu/lib$i.so"
done
tar --numeric-owner -C "$BIG" -cf "$WORK/big.tar" .
zstd -q -c "$WORK/big.tar" > "$WORK/big.tar.zst" 2>/dev/null || cp "$WORK/big.tar" "$WORK/big.tar.zst"

# ---- A. A full file system ----
full_disk() {
        local what=$1 regex=$2
        shift 2
        fresh_machines 20m
        "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
        check_eq "$what: exit 1" 1 "$?"
        check_eq "$what: one line on stderr" 1 "$(wc -l <"$WORK/err")"
        check_match "$what: names the file and the error, says what to do" "$regex" "$(cat "$WORK/err")"
        check_eq "$what: nothing left in /var/lib/machines (no tree, no .#$NAME.*)" "" "$(machines)"
}
full_disk "import-tar of 40 MB into 20 MB" \
        "^machined-lite: Cannot write usr/lib/x86_64-linux-gnu/lib[0-9]\.so of $NAME: No space left on device \(free space in /var/lib/machines" \
        "$ML" import-tar -q "$WORK/big.tar" $NAME
full_disk "import-tar of 40 MB (zstd, from stdin) into 20 MB" \
        "^machined-lite: Cannot write usr/lib/x86_64-linux-gnu/lib[0-9]\.so of $NAME: No space left on device \(free space in /var/lib/machines" \
        sh -c "exec \"$ML\" import-tar -q - $NAME < \"$WORK/big.tar.zst\""
full_disk "--template copy of 40 MB into 20 MB" \
        "^machined-lite: Cannot write usr/lib/x86_64-linux-gnu/lib[0-9]\.so of $MACHINES/$NAME \(a copy of template $BIG\): No space left on device \(free space in /var/lib/machines" \
        "$ML" run -q --console=pipe --template="$BIG" -M $NAME -- /bin/true

# bootstrap: mmdebstrap needs a Debian mirror; first, with no packets sent, it is
# stood in for by a script bind-mounted over it (in this namespace only) that does what
# mmdebstrap does with a package's files, unpacks them with tar, here the 40 MB tree,
# and fails as it does (tar's line, then its own "E:").
MMDEBSTRAP=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v mmdebstrap)
if [ -z "$MMDEBSTRAP" ]; then
        echo "SKIP (part): bootstrap on a full disk: mmdebstrap is not installed"
elif [ ! -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
        echo "SKIP (part): bootstrap on a full disk: debian-archive-keyring is not installed"
else
        cat >"$WORK/mmdebstrap" <<EOF
#!/bin/sh
# mmdebstrap's stand-in: OPTIONS... RELEASE TARGET MIRROR
while [ \$# -gt 2 ]; do shift; done
echo "I: extracting archives..."
tar -C "$BIG" -c . | tar -C "\$1" -x || { echo "E: tar --extract failed"; exit 1; }
EOF
        chmod +x "$WORK/mmdebstrap"
        mount --bind "$WORK/mmdebstrap" "$MMDEBSTRAP"
        full_disk "bootstrap (mmdebstrap unpacking 40 MB) into 20 MB" \
                "^machined-lite: Cannot write usr/lib/x86_64-linux-gnu/lib[0-9]\.so of $NAME: No space left on device \(free space in /var/lib/machines" \
                "$ML" bootstrap -q $NAME --mirror=file:/nonexistent/debian
        umount "$MMDEBSTRAP"
fi
# And the real one, against Debian's mirror as test-import.sh's bootstraps use it (the
# one place packets go, as there): its downloads fill 20 MB long before a tree is made.
if [ -n "$MMDEBSTRAP" ] && "$ML" bootstrap --help >/dev/null 2>&1; then
        fresh_machines 20m
        "$ML" bootstrap -q $NAME </dev/null >"$WORK/out" 2>"$WORK/err"
        status=$?
        if grep -q "Cannot reach" "$WORK/err"; then
                echo "SKIP (part): real bootstrap on a full disk: $(cat "$WORK/err")"
        else
                check_eq "bootstrap with the real mmdebstrap into 20 MB: exit 1" 1 "$status"
                check_eq "bootstrap with the real mmdebstrap: one line on stderr" 1 "$(wc -l <"$WORK/err")"
                check_match "bootstrap with the real mmdebstrap: says the disk is full" \
                        "^machined-lite: Cannot write .* of $NAME: No space left on device" "$(cat "$WORK/err")"
                check_eq "bootstrap with the real mmdebstrap: nothing left in /var/lib/machines" "" "$(machines)"
        fi
fi

# ---- B. Temporary trees of killed imports ----
fresh_machines 400m
# slow_feed FILE PIECES PAUSE: FILE on stdout in PIECES pieces, PAUSE seconds apart.
slow_feed() {
        local piece=$(( ($(stat -c %s "$1") + $2 - 1) / $2 )) i
        for i in $(seq 0 $(($2 - 1))); do
                dd if="$1" bs="$piece" skip="$i" count=1 status=none
                sleep "$3"
        done
}
# wait_temporary NAME: waits until .#NAME.* exists with something in it; prints it.
wait_temporary() {
        local i t
        for i in $(seq 200); do
                t=$(find "$MACHINES" -mindepth 1 -maxdepth 1 -name ".#$1.*" ! -name '*.log' -print -quit)
                [ -n "$t" ] && [ -n "$(ls -A "$t")" ] && { echo "$t"; return 0; }
                sleep 0.05
        done
        return 1
}
# Five at once, so that none is there to sweep another's: each is SIGKILLed once its
# temporary tree has files in it.
for i in 1 2 3 4 5; do
        slow_feed "$WORK/big.tar" 8 0.5 | "$ML" import-tar -q - $NAME-kill$i 2>/dev/null &
done
killed=0
for i in 1 2 3 4 5; do
        if wait_temporary $NAME-kill$i >/dev/null; then
                kill -KILL "$(pgrep -f "import-tar -q - $NAME-kill$i\$" | head -1)"
                killed=$((killed + 1))
        fi
done
wait
check_eq "5 imports SIGKILLed in the middle, each with its .#$NAME-kill*.* there before" 5 "$killed"
check_eq "... their 5 temporary trees are left" 5 "$(compgen -G "$MACHINES/.#$NAME-kill*" | wc -l)"
check "... which machined-lite list does not show" sh -c "! \"$ML\" list 2>&1 | grep -q '\.#'"
# What a sweep must never take: a mount point named like a temporary tree, and an
# overlay's work directory (custom-mount.c) next to its upper layer.
mkdir "$MACHINES/.#ml-faults-mnt.abcdef" && mount -t tmpfs ml-faults-mnt "$MACHINES/.#ml-faults-mnt.abcdef" &&
        echo keep > "$MACHINES/.#ml-faults-mnt.abcdef/file"
mkdir "$MACHINES/.#machined-lite-work.0123456789abcdef"
"$ML" import-tar "$WORK/big.tar" $NAME-after </dev/null >"$WORK/out" 2>"$WORK/err"
check_eq "the next import-tar: exit 0" 0 "$?"
check_match "... says it removed the 5 partial trees" \
        "^machined-lite: Removed 5 partial trees left in /var/lib/machines by an interrupted import, bootstrap or copy$" \
        "$(cat "$WORK/err")"
check_eq "... and they are gone" 0 "$(compgen -G "$MACHINES/.#$NAME-kill*" | wc -l)"
check_eq "... a mount point named .#NAME.XXXXXX is left alone" keep "$(cat "$MACHINES/.#ml-faults-mnt.abcdef/file" 2>&1)"
check "... an overlay work directory is left alone" test -d "$MACHINES/.#machined-lite-work.0123456789abcdef"
umount "$MACHINES/.#ml-faults-mnt.abcdef"
rmdir "$MACHINES/.#ml-faults-mnt.abcdef" "$MACHINES/.#machined-lite-work.0123456789abcdef"
rm -rf "${MACHINES:?}/$NAME-after"

# One import still going on (from a slow pipe) is not touched by another's sweep.
slow_feed "$WORK/big.tar" 8 0.6 | "$ML" import-tar -q - $NAME-slow 2>"$WORK/slow-err" &
slow=$!
temporary=$(wait_temporary $NAME-slow)
check "an import from a slow pipe has its temporary tree ($temporary)" test -n "$temporary"
"$ML" import-tar -q "$WORK/big.tar" $NAME-other </dev/null 2>"$WORK/err"
check_eq "a second import-tar meanwhile: exit 0, nothing on stderr" "0 " "$? $(cat "$WORK/err")"
check "... the first one's temporary tree is still there" test -d "$temporary"
wait $slow
check_eq "... and the first import then succeeds" "0 " "$? $(cat "$WORK/slow-err")"
check_eq "... with all of the tarball" "$(cd "$BIG" && find . -type f -exec md5sum {} + | sort -k2)" \
        "$(cd "$MACHINES/$NAME-slow" 2>/dev/null && find . -type f -exec md5sum {} + | sort -k2)"
check_eq "... nothing but the two trees is left" "$NAME-other $NAME-slow " "$(machines)"
rm -rf "${MACHINES:?}/$NAME-other" "${MACHINES:?}/$NAME-slow"

# A --template copy sweeps too.
slow_feed "$WORK/big.tar" 4 0.3 | "$ML" import-tar -q - $NAME-kill1 2>/dev/null &
wait_temporary $NAME-kill1 >/dev/null && kill -KILL "$(pgrep -f "import-tar -q - $NAME-kill1\$" | head -1)"
wait
check_eq "another import SIGKILLed: its temporary tree is left" 1 "$(compgen -G "$MACHINES/.#$NAME-kill1*" | wc -l)"
"$ML" run -q --console=pipe --template="$BIG" -M $NAME-copy -- /bin/true </dev/null >/dev/null 2>"$WORK/err"
check_eq "a --template copy: exit 0" "0 " "$? $(cat "$WORK/err")"
check_eq "... and it removed that temporary tree" "$NAME-copy " "$(machines)"
rm -rf "${MACHINES:?}/$NAME-copy"

# ---- C. Block device nodes ----
NODES=$WORK/nodes
make_busybox_tree "$NODES"
mknod "$NODES/dev/ml-disk" b 7 200
ln "$NODES/dev/ml-disk" "$NODES/dev/ml-disk-link"
mknod "$NODES/dev/ml-null" c 1 3
tar --numeric-owner -C "$NODES" -cf "$WORK/nodes.tar" .
"$ML" import-tar -q "$WORK/nodes.tar" $NAME-nodes </dev/null >"$WORK/out" 2>"$WORK/err"
check_eq "import-tar of a tarball with a block device node (and a hard link to it): exit 0" 0 "$?"
check_match "... one line saying which were skipped" \
        "^machined-lite: Skipped 2 block device nodes of $WORK/nodes.tar \(dev/ml-disk, dev/ml-disk-link\): a machine gets its own /dev$" \
        "$(cat "$WORK/err")"
check_eq "... one line only" 1 "$(wc -l <"$WORK/err")"
check "... no block device node in the tree" test -z "$(find "$MACHINES/$NAME-nodes" -type b)"
check_eq "... the character device node is kept" "character special file 1:3" \
        "$(stat -c '%F %t:%T' "$MACHINES/$NAME-nodes/dev/ml-null" 2>&1)"
rm -rf "${MACHINES:?}/$NAME-nodes"

"$ML" run -q --console=pipe --template="$NODES" -D "$WORK/copy" -- /bin/true </dev/null >"$WORK/out" 2>"$WORK/err"
check_eq "--template of a tree with a block device node: exit 0" 0 "$?"
check_eq "... one line saying which were skipped" \
        "machined-lite: Skipped 2 block device nodes of template $NODES (dev/ml-disk, dev/ml-disk-link): a machine gets its own /dev" \
        "$(cat "$WORK/err")"
check "... no block device node in the copy" test -z "$(find "$WORK/copy" -type b)"
check_eq "... the character device node is kept" "character special file 1:3" \
        "$(stat -c '%F %t:%T' "$WORK/copy/dev/ml-null" 2>&1)"

umount "$MACHINES"
host_unchanged "after the full disks, the kills and the nodes"
finish
