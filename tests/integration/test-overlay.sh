#!/bin/bash
# --overlay and --overlay-ro, seen from inside the guest: layers stacked in the order
# given (the higher wins), writes in the upper layer on the host, a read-only overlay
# refusing writes, the two-path form, +PATH layers in the tree, an empty upper layer
# that is a temporary directory gone with the machine, a destination planted as a
# symlink out of the tree not followed, bad values refused in one line before anything
# starts, and Overlay= in a trusted settings file but not in one next to the tree.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/ovl
make_busybox_tree "$TREE"
cp /etc/resolv.conf "$TREE/etc/resolv.conf"
touch "$TREE/etc/localtime"
ETCDIR=/etc/machined-lite/machines
etcdir_made=
[ -d "$ETCDIR" ] || etcdir_made=yes
trap 'pkill -KILL -f -- "-M ml-ovl" 2>/dev/null; rm -f "$ETCDIR"/ml-ovl-*.machine "$TREE.machine";
      [ -n "$etcdir_made" ] && rmdir "$ETCDIR" 2>/dev/null; cleanup_work' EXIT
host_snapshot

run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null 2>"$WORK/stderr"
}
# The temporary upper layers (and nothing else of ours) under /var/tmp.
temporaries() {
        ls -d /var/tmp/machined-lite-overlay.* 2>/dev/null
}
# Work directories made next to the upper layers.
work_dirs() {
        find "$WORK" -name '.#machined-lite-work.*' 2>/dev/null
}

mkdir -p "$WORK/low1" "$WORK/low2" "$WORK/up"
echo low1 > "$WORK/low1/only-low1"
echo low1 > "$WORK/low1/clash-12"
echo low1 > "$WORK/low1/clash-all"
echo low2 > "$WORK/low2/clash-12"
echo low2 > "$WORK/low2/clash-all"
echo up > "$WORK/up/clash-all"
echo up > "$WORK/up/only-up"

# Two lower layers and an upper one: the higher layer wins a name clash.
out=$(run -M ml-ovl-a --overlay="$WORK/low1:$WORK/low2:$WORK/up:/srv/merged" -- /bin/sh -c '
        cd /srv/merged && cat only-low1 clash-12 clash-all only-up
        grep " /srv/merged " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1
        echo guest > written; echo changed > only-low1; rm clash-12; echo done')
check_eq "--overlay: three layers merged, the higher wins a clash" "low1
low2
up
up
overlay
done" "$out"
check_eq "what the guest wrote is in the upper layer on the host" "guest changed" \
        "$(cat "$WORK/up/written" 2>&1) $(cat "$WORK/up/only-low1" 2>&1)"
check_eq "the lower layers are untouched" "low1 low2" "$(cat "$WORK/low1/only-low1") $(cat "$WORK/low2/clash-12")"
check_eq "a deletion is a whiteout in the upper layer" "c 0,0" "$(stat -c '%F' "$WORK/up/clash-12" | cut -c1) $(stat -c '%t,%T' "$WORK/up/clash-12")"
check_eq "the work directory made next to the upper layer is gone" "" "$(work_dirs)"
out=$(run -M ml-ovl-a --overlay="$WORK/low1:$WORK/low2:$WORK/up:/srv/merged" -- /bin/sh -c 'cat /srv/merged/written; ls /srv/merged/clash-12 2>&1 | grep -c "No such"')
check_eq "the next machine sees them again" "guest
1" "$out"
rm -rf "$WORK/up"/* "$WORK/up"/.[!.]* 2>/dev/null
echo up > "$WORK/up/clash-all"

# Read-only: every layer is a lower one, the last given the highest; writing fails.
out=$(run -M ml-ovl-ro --overlay-ro="$WORK/low1:$WORK/low2:$WORK/up:/srv/ro" -- /bin/sh -c '
        cat /srv/ro/clash-12 /srv/ro/clash-all; echo x > /srv/ro/new || true; mkdir /srv/ro/d || true')
check_eq "--overlay-ro: merged, the last layer the highest" "low2
up" "$out"
check_match "and a write fails with EROFS" "can't create /srv/ro/new: Read-only file system" "$(cat "$WORK/stderr")"
check "nothing reached any layer" test ! -e "$WORK/up/new" -a ! -e "$WORK/low2/new" -a ! -e "$WORK/up/d"
check_eq "a read-only overlay makes no work directory" "" "$(work_dirs)"

# Two paths: the second is the upper layer and the destination.
mkdir -p "$WORK/two-up"
out=$(run -M ml-ovl-two --overlay="$WORK/low1:$WORK/two-up" -- /bin/sh -c "cat $WORK/two-up/only-low1; echo w > $WORK/two-up/w && echo written")
check_eq "the two-path form: mounted at the upper layer's path in the guest" "low1
written" "$out"
check_eq "and written to that upper layer on the host" w "$(cat "$WORK/two-up/w" 2>&1)"

# +PATH: layers inside the tree, resolved there.
mkdir -p "$TREE/srv/base" "$TREE/srv/top"
echo base > "$TREE/srv/base/f"
echo base > "$TREE/srv/base/g"
echo top > "$TREE/srv/top/g"
out=$(run -M ml-ovl-plus --overlay-ro="+/srv/base:$WORK/low2:+/srv/top:/opt/view" -- /bin/sh -c 'cat /opt/view/f /opt/view/g /opt/view/clash-12')
check_eq "+PATH layers are the tree's, mixed with host ones" "base
top
low2" "$out"
out=$(run -M ml-ovl-plus --overlay="+/srv/base:+/srv/top" -- /bin/sh -c 'cat /srv/top/f; echo new > /srv/top/new && echo written')
check_eq "two +PATH: the second is the upper layer and, less its +, the destination" "base
written" "$out"
check_eq "what the guest wrote is in the tree's upper directory" new "$(cat "$TREE/srv/top/new" 2>&1)"
check_eq "no work directory is left in the tree" "" "$(work_dirs)"
# A +PATH layer planted as a symlink out of the tree is resolved inside the tree.
mkdir -p "$WORK/outside"
echo host-secret > "$WORK/outside/secret"
ln -s "$WORK/outside" "$TREE/srv/evil"
run -M ml-ovl-plus --overlay-ro="+/srv/evil:+/srv/top:/mnt/x" -- /bin/cat /mnt/x/secret
check_eq "a +PATH layer through a planted symlink out of the tree: exit 4" 4 "$?"
check_match "saying which" "^machined-lite: Overlay layer \+/srv/evil cannot be used: No such file or directory" "$(cat "$WORK/stderr")"
rm -f "$TREE/srv/evil"

# An empty upper layer: a temporary directory under /var/tmp, gone with the machine.
mkdir -p "$TREE/var/lib"
echo tree > "$TREE/var/lib/state"
temps_before=$(temporaries)
out=$(run -M ml-ovl-tmp --read-only --overlay=+/var::/var -- /bin/sh -c '
        touch /x 2>/dev/null || echo root-ro; cat /var/lib/state; echo guest > /var/lib/state; echo new > /var/new; cat /var/lib/state')
check_eq "+/var::/var with --read-only: / read-only, /var writable" "root-ro
tree
guest" "$out"
check_eq "the tree's /var is untouched" "tree absent" "$(cat "$TREE/var/lib/state") $([ -e "$TREE/var/new" ] && echo present || echo absent)"
check_eq "the temporary upper layer is gone" "$temps_before" "$(temporaries)"
out=$(run -M ml-ovl-tmp --overlay=+/var::/var -- /bin/sh -c 'cat /var/lib/state; ls /var/new 2>/dev/null || echo no-new')
check_eq "what the last machine wrote did not survive" "tree
no-new" "$out"
# With -U the temporary layers are the guest root's.
"$ML" run -q --console=pipe -U -M ml-ovl-tmpu -D "$TREE" --overlay=+/var::/var -- /bin/sh -c 'touch /var/x; stat -c %u /var/x; sleep 3' \
        </dev/null >"$WORK/tmpu" 2>&1 &
sup=$!
leader=$(guest_leader $sup)
temp=
for i in $(seq 50); do
        temp=$(comm -13 <(echo "$temps_before") <(temporaries))
        [ -n "$temp" ] && [ -e "$temp/upper/x" ] && break
        sleep 0.1
done
base=$(awk '{ print $2 }' "/proc/$leader/uid_map" 2>/dev/null)
check_eq "with -U, the temporary upper and work directories and what the guest writes are its root's (UID $base)" \
        "$base:$base $base:$base $base" "$(stat -c %u:%g "$temp/upper" "$temp/work" 2>&1 | tr '\n' ' ')$(stat -c %u "$temp/upper/x" 2>&1)"
wait $sup
check_eq "and the guest's root owns what it wrote" 0 "$(head -1 "$WORK/tmpu")"
check_eq "the temporary upper layer is gone after -U too" "$temps_before" "$(temporaries)"

# SIGKILL of machined-lite: its ml-sweeper (there with --register=no) removes the
# temporary layer once the guest is gone.
mkdir -p "$TREE/opt"
"$ML" run -q --console=pipe --register=no -M ml-ovl-kill -D "$TREE" --overlay=+/var::/var \
        --overlay="$WORK/low1:$WORK/up:/srv/k" --overlay="$WORK/low1:+/opt" -- /bin/sh -c 'touch /var/k; sleep 30' \
        </dev/null >/dev/null 2>&1 &
sup=$!
leader=$(guest_leader $sup)
for i in $(seq 50); do
        temp=$(comm -13 <(echo "$temps_before") <(temporaries))
        [ -n "$temp" ] && [ -e "$temp/upper/k" ] && break
        sleep 0.1
done
check "before SIGKILL, the guest writes in the temporary layer" test -e "$temp/upper/k"
kill -KILL $sup
wait $sup 2>/dev/null
for i in $(seq 100); do [ "$(temporaries)" = "$temps_before" ] && break; sleep 0.1; done
check_eq "SIGKILL of machined-lite: the sweeper removes the temporary layer" "$temps_before" "$(temporaries)"
for i in $(seq 50); do [ -z "$(work_dirs)" ] && break; sleep 0.1; done
check_eq "and the work directories next to a host upper layer and to a +PATH one in the tree" "" "$(work_dirs)"

# The destination is resolved inside the tree: a symlink planted there that leads out
# of it is not followed. (Failing after the work directory and the temporary upper
# layer were made, these go too.)
ln -s "$WORK/outside" "$TREE/planted"
run -M ml-ovl-sym --overlay="$WORK/low1:$WORK/up:/planted/x" -- /bin/true
check_eq "an overlay through a planted symlink out of the tree: exit 1" 1 "$?"
check_match "saying which mount point failed" "^machined-lite: Failed to make the mount point /planted/x in the guest" "$(cat "$WORK/stderr")"
run -M ml-ovl-sym --overlay="$WORK/low1::/planted" -- /bin/true
check_eq "a planted symlink as the destination itself: exit 1" 1 "$?"
run -M ml-ovl-sym --overlay-ro="$WORK/low1:$WORK/low2:/planted" -- /bin/true
check_eq "nothing was mounted or made in the host directory the link points at" "secret" "$(ls -A "$WORK/outside")"
check_eq "and no work directory or temporary layer was left" "$temps_before" "$(work_dirs)$(temporaries)"
rm -f "$TREE/planted"

# Many layers: more than fit in one fsconfig() string.
layers=
for i in $(seq 20); do
        mkdir -p "$WORK/many/layer-$i"
        echo "$i" > "$WORK/many/layer-$i/n"
        echo "$i" > "$WORK/many/layer-$i/only-$i"
        layers="$layers$WORK/many/layer-$i:"
done
out=$(run -M ml-ovl-many --overlay-ro="${layers}/srv/many" -- /bin/sh -c 'cat /srv/many/n; ls /srv/many | grep -c only-')
check_eq "20 layers: the last one wins, all are there" "20
20" "$out"

# Bad values: one line, the documented exit code, nothing made.
bad() {
        local what=$1
        one_line_error "$@"
        check_eq "$what: no work directory or temporary layer left" "$temps_before" "$(work_dirs)$(temporaries)"
}
bad "one path only" 2 "^machined-lite: --overlay=$WORK/low1: give at least two paths, LOWER:UPPER or LOWER...:UPPER:DESTINATION" \
        "$ML" run -D "$TREE" --overlay="$WORK/low1" -- /bin/true
bad "a relative layer" 2 "^machined-lite: --overlay=low1:$WORK/up:/mnt: 'low1': each layer is an absolute host path, or \+PATH in the tree" \
        "$ML" run -D "$TREE" --overlay="low1:$WORK/up:/mnt" -- /bin/true
bad "a missing host layer" 4 "^machined-lite: Overlay layer $WORK/nope cannot be used: No such file or directory \(give an existing directory on the host to --overlay\)" \
        "$ML" run -D "$TREE" --overlay="$WORK/nope:$WORK/up:/mnt" -- /bin/true
bad "a missing upper layer" 4 "^machined-lite: Overlay layer $WORK/nope cannot be used: No such file or directory" \
        "$ML" run -D "$TREE" --overlay="$WORK/low1:$WORK/nope:/mnt" -- /bin/true
bad "a missing +PATH layer" 4 "^machined-lite: Overlay layer \+/nope cannot be used: No such file or directory \(give an existing directory in the tree after \+ to --overlay-ro\)" \
        "$ML" run -D "$TREE" --overlay-ro="+/nope:$WORK/low1:/mnt" -- /bin/true
bad "a file as a layer" 4 "^machined-lite: Overlay layer $WORK/low1/only-low1 cannot be used: Not a directory" \
        "$ML" run -D "$TREE" --overlay-ro="$WORK/low1/only-low1:$WORK/low2:/mnt" -- /bin/true
bad "an empty lower layer" 2 "only the uppermost layer may be empty" \
        "$ML" run -D "$TREE" --overlay=":$WORK/up:/mnt" -- /bin/true
bad "an empty layer in --overlay-ro" 2 "^machined-lite: --overlay-ro=\+/var::/var: a read-only overlay has no upper layer to leave empty" \
        "$ML" run -D "$TREE" --overlay-ro=+/var::/var -- /bin/true
bad "an empty upper of two paths" 2 "with two paths the upper layer is the destination too" \
        "$ML" run -D "$TREE" --overlay="$WORK/low1:" -- /bin/true
bad "the same layer twice" 2 "'\\+/var': the same layer twice: give each directory once" \
        "$ML" run -D "$TREE" --overlay=+/var:+/var:/var -- /bin/true
bad "a destination with .." 2 "the destination must be an absolute path in the guest, without \.\." \
        "$ML" run -D "$TREE" --overlay="$WORK/low1:$WORK/up:/srv/../etc" -- /bin/true
bad "a +PATH upper layer in a read-only tree" 2 "^machined-lite: The overlay upper layer \+/srv/top is in the tree, which --read-only, --ephemeral and --volatile keep unwritten" \
        "$ML" run -D "$TREE" --read-only --overlay=+/srv/base:+/srv/top:/mnt -- /bin/true
bad "a +PATH upper layer with --ephemeral" 2 "The overlay upper layer \+/srv/top is in the tree" \
        "$ML" run -D "$TREE" -x --overlay=+/srv/base:+/srv/top:/mnt -- /bin/true
bad "Overlay= with one path in a settings file" 2 "^machined-lite: $TREE.machine:2: --overlay=/srv: give at least two paths" \
        bash -c "printf '[Files]\nOverlay=/srv\n' > '$TREE.machine'; '$ML' run --settings=trusted -D '$TREE' -- /bin/true; rc=\$?; rm -f '$TREE.machine'; exit \$rc"

# Settings files: Overlay= has its effect from a trusted place ...
mkdir -p "$ETCDIR"
cat > "$ETCDIR/ml-ovl-set.machine" <<EOF
[Files]
Overlay=$WORK/low1:$WORK/low2:$WORK/up:/srv/set
OverlayReadOnly=+/srv/base:+/srv/top:/srv/set-ro
EOF
out=$(run -M ml-ovl-set -- /bin/sh -c 'cat /srv/set/clash-all /srv/set-ro/g; echo s > /srv/set/from-settings; echo x > /srv/set-ro/x 2>/dev/null || echo ro')
check_eq "Overlay= and OverlayReadOnly= in $ETCDIR/NAME.machine" "up
top
ro" "$out" || sed 's/^/  stderr: /' "$WORK/stderr"
check_eq "written to the upper layer" s "$(cat "$WORK/up/from-settings" 2>&1)"
rm -f "$ETCDIR/ml-ovl-set.machine"
# ... but from a file next to the tree it grants nothing, as Bind= does.
printf '[Exec]\nHostname=besidehost\n[Files]\nOverlay=%s:%s:/srv/beside\nOverlayReadOnly=%s:%s:/srv/beside-ro\n' \
        "$WORK/outside" "$WORK/up" "$WORK/outside" "$WORK/low1" > "$TREE.machine"
out=$(run -- /bin/sh -c 'hostname; ls /srv/beside /srv/beside-ro 2>/dev/null || echo no-overlay')
check_eq "a file next to the tree is read, but its Overlay= is ignored" "besidehost
no-overlay" "$out"
check_match "and says so" "Ignoring Overlay= in \\[Files\\]: a settings file next to the tree may not grant it" \
        "$("$ML" run --console=pipe -D "$TREE" -- /bin/true </dev/null 2>&1)"
check_match "OverlayReadOnly= too" "Ignoring OverlayReadOnly= in \\[Files\\]" \
        "$("$ML" run --console=pipe -D "$TREE" -- /bin/true </dev/null 2>&1)"
out=$(run --settings=trusted -- /bin/cat /srv/beside/secret)
check_eq "... unless --settings=trusted" host-secret "$out"
rm -f "$TREE.machine"

check_eq "no temporary upper layer or work directory is left at all" "$temps_before" "$(work_dirs)$(temporaries)"
host_unchanged "after the overlay runs"
finish
