#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted commands are expanded by the container's shell
# machined-lite-oci's linux.netDevices: a link of the runtime's network namespace moved
# into the container's under its new name, its permanent global addresses with it, up,
# seen with ip from inside; gone from where it was, and not taken back. All of it in a
# network namespace the test makes to stand for the host (no packet leaves it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
command -v ip >/dev/null || skip "iproute2 is not installed (ip)"
unshare --net sleep 600 &
HOSTNS=$!
# shellcheck disable=SC2317 # the EXIT trap
cleanup_net() {
        kill "$HOSTNS" 2>/dev/null
        cleanup_containers
}
trap cleanup_net EXIT
for _ in $(seq 50); do [ "$(readlink "/proc/$HOSTNS/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
in_host() { nsenter --net="/proc/$HOSTNS/ns/net" "$@"; }
in_host ip link add ml-dev-a type veth peer name ml-dev-b
in_host ip address add 192.0.2.5/24 dev ml-dev-a
in_host ip address add 2001:db8::5/64 dev ml-dev-a nodad
in_host ip link add ml-dev-c type veth peer name ml-dev-d

bundle '["/bin/sh", "-c", "cat /sys/class/net/eth7/flags; ip -o address show dev eth7 scope global | awk \"{ print \\$4 }\"; ip -o link show | grep -c ml-dev-c"]' \
        '' '' '"netDevices": { "ml-dev-a": { "name": "eth7" }, "ml-dev-c": {} }'
sed -i 's|${ID:-ctr}|netdev|' "$BUNDLE/config.json"
in_host "$OCI" --root "$ROOT" create --bundle "$BUNDLE" netdev </dev/null >"$WORK/netdev.out" 2>&1
in_host "$OCI" --root "$ROOT" start netdev
for _ in $(seq 100); do [ "$(oci state netdev | json_field status)" = stopped ] && break; sleep 0.05; done
flags=$(sed -n 1p "$WORK/netdev.out")
check_eq "netDevices: ml-dev-a is eth7 in the container, up (IFF_UP in its flags, $flags)" 1 "$(( ${flags:-0} & 1 ))"
check_eq "...with its permanent global addresses, IPv4 and IPv6" "192.0.2.5/24 2001:db8::5/64" "$(sed -n '2,3p' "$WORK/netdev.out" | tr '\n' ' ' | sed 's/ $//')"
check_eq "a device without a name keeps its own" 1 "$(sed -n 4p "$WORK/netdev.out")"
check_eq "both gone from the namespace they were in" "" "$(in_host ip -o link show | grep -E 'ml-dev-(a|c)[@:]')"
oci delete netdev
# (The kernel takes a network namespace down in a work queue of its own, a moment after.)
for _ in $(seq 100); do in_host ip -o link show | grep -q 'ml-dev-' || break; sleep 0.02; done
check_eq "delete takes nothing back: the veths died with the container's namespace, peers and all" "" \
        "$(in_host ip -o link show | grep -E 'ml-dev-')"

check_eq "features says so: netDevices enabled" True \
        "$(oci features | python3 -c 'import json, sys; print(json.load(sys.stdin)["linux"]["netDevices"]["enabled"])' 2>&1)"

in_host ip link add ml-dev-e type veth peer name ml-dev-f
bundle '["/bin/true"]' '' '' '"netDevices": { "ml-dev-e": { "name": "lo" } }'
one_line_error "netDevices to a name the container has (lo): exit 1, the link stays" 1 \
        "linux.netDevices: the container has a link lo already" \
        in_host "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
check_eq "...where it was" 1 "$(in_host ip -o link show | grep -c 'ml-dev-e@')"
# Two links asked under one name: the second cannot be named so; the first, moved and
# named already, goes back where it was with its address, the second too.
in_host ip link add ml-dev-g type veth peer name ml-dev-i
in_host ip address add 192.0.2.7/24 dev ml-dev-g
in_host ip link add ml-dev-h type veth peer name ml-dev-j
bundle '["/bin/true"]' '' '' '"netDevices": { "ml-dev-g": { "name": "eth8" }, "ml-dev-h": { "name": "eth8" } }'
one_line_error "netDevices naming two links the same: exit 1" 1 "linux.netDevices: cannot name link ml-dev-h eth8 in the container: File exists" \
        in_host "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
check_eq "...both links back where they were, the first with its address" "ml-dev-g 192.0.2.7/24 ml-dev-h" \
        "$(in_host ip -o link show | grep -o 'ml-dev-[gh]@' | tr -d @ | head -n 1) $(in_host ip -o -4 address show dev ml-dev-g | awk '{ print $4 }') $(in_host ip -o link show | grep -o 'ml-dev-h@' | tr -d @)"
bundle '["/bin/true"]' '' '' '"netDevices": { "ml-dev-x": {} }'
one_line_error "netDevices of a link the host has not: exit 1" 1 "linux.netDevices=ml-dev-x: the host has no link ml-dev-x" \
        in_host "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"netDevices": { "ml/dev": {} }'
one_line_error "netDevices of no link name: exit 2" 2 "linux.netDevices: 'ml/dev' is no link name" \
        in_host "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"netDevices": { "ml-dev-e": {} }'
sed -i 's|{ "type": "network" }, ||' "$BUNDLE/config.json"
one_line_error "netDevices without a network namespace of its own: exit 2" 2 \
        "linux.netDevices: needs a network namespace in linux.namespaces" \
        in_host "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
check "after the refusals: no container in the state directory" test -z "$(oci list -q)"
kill "$HOSTNS"
wait "$HOSTNS" 2>/dev/null
rmdir "$CG/ml-oci-test" 2>/dev/null
host_unchanged "after the moved links"
finish
