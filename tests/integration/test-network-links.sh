#!/bin/bash
# The network options besides -n: --network-zone (machines of a zone see each other, other
# zones do not see them, the bridge goes with the zone's last machine), --network-bridge,
# --network-veth-extra, --network-interface (moved in and back), --network-macvlan,
# --network-ipvlan (refused: this kernel has none), --network-namespace-path, -p to an
# address systemd-networkd would give (--network-configure=no), seen from inside the guest. Every packet stays in network namespaces this test makes.
. "$(dirname "$0")/lib.sh"
require_root
command -v nsenter >/dev/null || skip "nsenter (util-linux) is not installed"
make_work
TREE=$WORK/linkbox
make_busybox_tree "$TREE"
host_snapshot

HOST_NS=mlt-links-$$
OTHER_NS=mlt-other-$$
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup_net() {
        ip netns del "$HOST_NS" 2>/dev/null
        ip netns del "$OTHER_NS" 2>/dev/null
        cleanup_work
}
trap cleanup_net EXIT
if ! ip netns add "$HOST_NS" || ! ip netns add "$OTHER_NS"; then
        skip "cannot make network namespaces"
fi
ip -n "$HOST_NS" link set lo up

# The guest's links, one name a line (busybox's ip has no -brief).
LINKS='ip link | sed -n "s/^[0-9]*: \([^:@]*\).*/\1/p" | tr "\n" " "; echo'
# The host's links but lo, sorted, on one line.
# shellcheck disable=SC2317 # called through check_settles
host_links() {
        ip -n "$HOST_NS" -o link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | grep -v '^lo$' | sort | tr '\n' ' '
}
# shellcheck disable=SC2317 # called through check
has_link() { ip -n "$HOST_NS" link show dev "$1" >/dev/null 2>&1; }

# shellcheck disable=SC2317 # called through check
# machine NAME ZONE: boots a copy of the tree on zone ZONE, waits until its address is up.
machine() {
        local name=$1 zone=$2
        [ -d "$WORK/$name" ] || cp -a "$TREE" "$WORK/$name"
        nsenter --net="/run/netns/$HOST_NS" "$ML" boot -q --console=passive --network-zone="$zone" -M "$name" \
                -D "$WORK/$name" </dev/null >"$WORK/$name.out" 2>&1 &
        for _ in $(seq 100); do
                [ -n "$(address_of "$name")" ] && return 0
                sleep 0.1
        done
        cat "$WORK/$name.out"
        return 1
}
address_of() {
        "$ML" shell -q "$1" -- /bin/sh -c 'ip -4 -o addr show dev host0' 2>/dev/null | awk '{ sub("/.*", "", $4); print $4 }'
}
# shellcheck disable=SC2317 # called through check
reaches() { # FROM-MACHINE ADDRESS: one ping answered
        "$ML" shell -q "$1" -- ping -c 1 -W 1 "$2" 2>/dev/null | grep -q '1 packets received'
}
# shellcheck disable=SC2317 # called through check
unreachable() { ! reaches "$@"; }

# Zones: a and b on lab, c on other.
check "machine a starts on zone lab" machine a lab
check "machine b starts on zone lab" machine b lab
check "machine c starts on zone other" machine c other
a=$(address_of a) b=$(address_of b) c=$(address_of c)
check_match "a has an address of a /24" '^192\.168\.[0-9]+\.[0-9]+$' "$a"
check_eq "a and b share the zone's /24" "${a%.*}" "${b%.*}"
check "a and b differ" test "$a" != "$b"
check "the zone's bridge vz-lab is on the host with .1" \
        sh -c "ip -n $HOST_NS -4 -o addr show dev vz-lab | grep -q ' ${a%.*}.1/24'"
# Every member's DHCP server hears every client on the bridge: each answers its own guest.
for m in a b; do
        cat > "$WORK/$m/udhcpc.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip"
exit 0
EOF
        chmod +x "$WORK/$m/udhcpc.sh"
done
check_eq "a's DHCP client is given a's address" "ip=$a" \
        "$("$ML" shell -q a -- udhcpc -i host0 -n -q -f -s /udhcpc.sh -t 3 -T 1 2>/dev/null | grep '^ip=')"
check_eq "b's is given b's" "ip=$b" \
        "$("$ML" shell -q b -- udhcpc -i host0 -n -q -f -s /udhcpc.sh -t 3 -T 1 2>/dev/null | grep '^ip=')"
check "a reaches b on the zone" reaches a "$b"
check "b reaches a" reaches b "$a"
check "a does not reach c on another zone" unreachable a "$c"
check "c does not reach a" unreachable c "$a"
"$ML" stop a >/dev/null 2>&1
check "vz-lab stays while b is on it" has_link vz-lab
"$ML" stop b >/dev/null 2>&1
"$ML" stop c >/dev/null 2>&1
wait
check_settles "the zones' bridges go with their last machines" "" ip -n "$HOST_NS" -o link show type bridge
# A zone's only machine whose supervisor is killed with SIGKILL: the sweeper removes the bridge.
check "machine k starts on zone kill" machine k kill
{ kill -KILL $! && wait $!; } 2>/dev/null
# The sweeper goes on once the guest is reaped, which this VM's init does only every few
# seconds (as host_unchanged allows for; up to a minute under ASan, whose sweeper is slower).
SETTLE_TRIES=600 check_settles "after SIGKILL of the zone's only supervisor, vz-kill is gone" "" \
        ip -n "$HOST_NS" -o link show type bridge

# The extra links, each as nspawn makes them, in one machine on a host bridge.
ip -n "$HOST_NS" link add br0 type bridge
ip -n "$HOST_NS" link set br0 up
ip -n "$HOST_NS" link add uplink0 type veth peer name phys0
ip -n "$HOST_NS" link set uplink0 up
out=$(nsenter --net="/run/netns/$HOST_NS" "$ML" run -q --console=pipe -M extra -D "$TREE" --network-bridge=br0 \
        --network-veth-extra=xh0:xc0 --network-interface=phys0:eth7 --network-macvlan=uplink0 -- \
        /bin/sh -c "$LINKS; cat /sys/class/net/host0/address" </dev/null 2>&1)
check_eq "host0, the extra pair's end, the moved link renamed and the macvlan are in the guest" \
        "lo host0 xc0 mv-uplink0 eth7 " "$(printf '%s\n' "$out" | sed -n 1p)"
check_match "host0 has a locally administered MAC, as nspawn derives it" '^[0-9a-f][26ae]:' "$(printf '%s\n' "$out" | sed -n 2p)"
check_settles "the moved link is back on the host under its name, vb-extra and xh0 are gone" "br0 phys0 uplink0 " \
        host_links


# A guest that renames the link it was lent and makes another in its name's place: the
# host gets its own link back (by its index), not the guest's.
nsenter --net="/run/netns/$HOST_NS" "$ML" run -q --console=pipe -M swap -D "$TREE" --network-interface=phys0:eth7 -- \
        /bin/sh -c 'ip link set eth7 name real0; ip link add eth7 type veth peer name eth7p' </dev/null >/dev/null 2>&1
# shellcheck disable=SC2317 # called through check_settles
phys0_peer() { ip -n "$HOST_NS" -o link show dev phys0 2>&1 | grep -o 'phys0@[a-z0-9]*'; }
check_settles "a lent link renamed and replaced in the guest: the host's own comes back" phys0@uplink0 phys0_peer

# -p where machined-lite gives no address (--network-configure=no: systemd-networkd's job,
# done by hand here as networkd would): the forward follows the address the guest's host0
# gets, and the next one when it changes.
printf 'HTTP/1.0 200 OK\r\n\r\nfollowed\n' > "$TREE/index.html"
nsenter --net="/run/netns/$HOST_NS" "$ML" boot -q --console=passive -n --network-configure=no -p 8090:80 -M fol \
        -D "$TREE" </dev/null >"$WORK/fol.out" 2>&1 &
FOL_PID=$!
for _ in $(seq 100); do
        has_link ve-fol && break
        sleep 0.1
done
check_eq "--network-configure=no: ve-fol has no address of ours" "" \
        "$(ip -n "$HOST_NS" -4 -o addr show dev ve-fol 2>&1)"
ip -n "$HOST_NS" addr add 10.77.0.1/24 dev ve-fol
ip -n "$HOST_NS" link set ve-fol up
"$ML" shell -q fol -- /bin/sh -c 'ip addr add 10.77.0.2/24 dev host0; ip link set host0 up
        (while true; do nc -l -p 80 < /index.html; done) >/dev/null 2>&1 &' </dev/null
# shellcheck disable=SC2317 # called through check_settles
# fetch_local PORT: what the host's 127.0.0.1:PORT answers.
fetch_local() {
        nsenter --net="/run/netns/$HOST_NS" python3 -c 'import socket, sys
try:
    print(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).recv(100).decode().split("\n")[-2])
except OSError as e:
    print(e)' "$1"
}
check_settles "-p 8090:80 reaches the address the guest got" followed fetch_local 8090
"$ML" shell -q fol -- /bin/sh -c 'ip addr flush dev host0; ip addr add 10.77.0.3/24 dev host0' </dev/null
check_settles "and follows it when it changes" followed fetch_local 8090
check_match "the table forwards to the new address" 'dnat ip to 10\.77\.0\.3:80' \
        "$(nsenter --net="/run/netns/$HOST_NS" nft list table inet machined-lite-fol 2>&1)"
# A guest that names an address outside its link's subnet gets no forward to it: else the
# host's port would relay to any address it likes (another machine's guest, the LAN).
"$ML" shell -q fol -- /bin/sh -c 'ip addr flush dev host0; ip addr add 10.78.0.5/24 dev host0' </dev/null
check_settles "an address outside the link's subnet: no table, no forward" "" \
        sh -c "nsenter --net=/run/netns/$HOST_NS nft list tables | grep -x 'table inet machined-lite-fol'"
"$ML" stop fol >/dev/null 2>&1
wait "$FOL_PID"
check_settles "its table is gone with it" "" sh -c "nsenter --net=/run/netns/$HOST_NS nft list tables | grep machined-lite"

# Joining a network namespace that exists.
ip -n "$OTHER_NS" link add joined0 type veth peer name joined1
out=$("$ML" run -q --console=pipe -D "$TREE" --network-namespace-path="/run/netns/$OTHER_NS" -- \
        /bin/sh -c "ip link | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | sort | tr '\n' ' '; ls /sys/class/net | tr '\n' ' '" \
        </dev/null 2>&1)
check_eq "--network-namespace-path: the guest is in that namespace, /sys/class/net too" \
        "joined0 joined1 lo joined0 joined1 lo " "$out"

# Bad input: one line each, an exit code, nothing left.
bad() { one_line_error "$1" "$2" "$3" nsenter --net="/run/netns/$HOST_NS" "$ML" run -q --console=pipe -D "$TREE" "${@:4}" -- /bin/true; }
bad "an unknown bridge" 2 "--network-bridge=nobr: the host has no such bridge" --network-bridge=nobr
bad "an unknown interface" 2 "--network-interface=nope: the host has no link nope" --network-interface=nope
bad "a macvlan on an unknown link" 2 "--network-macvlan=nope: the host has no link nope" --network-macvlan=nope
bad "ipvlan on a kernel without it" 2 "this kernel has no ipvlan links" --network-ipvlan=uplink0
bad "a zone name too long for a link" 2 "Invalid zone name 'averylongzone': at most 12 bytes" --network-zone=averylongzone
bad "zone and bridge together" 2 "give one" --network-zone=lab --network-bridge=br0
bad "a namespace path that is none" 2 "is not a network namespace" --network-namespace-path=/etc/hostname
bad "a namespace path with another network option" 2 "goes with no other network option" \
        --network-namespace-path="/run/netns/$OTHER_NS" -n
ip -n "$HOST_NS" link add xh1 type veth peer name xh1p
bad "an extra pair whose host name is taken" 5 "the host has a link xh1 already" --network-veth-extra=xh1
bad "a host bridge that is no bridge" 2 "--network-bridge=uplink0: that link is no bridge" --network-bridge=uplink0
ip -n "$HOST_NS" link add vz-taken type veth peer name vz-takenp
bad "a zone whose bridge's name a link that is no bridge has" 5 "the host has a link vz-taken that is no bridge" \
        --network-zone=taken
ip -n "$HOST_NS" link add vz-foreign type bridge
bad "a zone whose bridge someone else made, without a /24" 5 "a bridge vz-foreign that machined-lite did not make" \
        --network-zone=foreign

check_settles "nothing of ours left on the host's links, and nothing of theirs removed" \
        "br0 phys0 uplink0 vz-foreign vz-taken vz-takenp xh1 xh1p " host_links

ip netns del "$HOST_NS"
ip netns del "$OTHER_NS"
host_unchanged "the network links test"
finish
