#!/bin/bash
# -n with a real distribution: Debian's systemd boots with host0 addressed already, and
# when its systemd-networkd takes host0 over (Debian's 80-container-host0.network:
# DHCP=yes), it drops the address it did not set, asks our DHCP server, and ends with the
# same address, the router and a nameserver. Inside a network namespace the test makes.
. "$(dirname "$0")/lib.sh"
require_root
command -v nsenter >/dev/null || skip "nsenter (util-linux) is not installed"
make_work
DEBIAN=$(debian_tree) || exit $?
HOST_NS=mlt-deb-$$
trap 'pkill -KILL -f -- "-M ml-debnet "; ip netns del "$HOST_NS" 2>/dev/null; cleanup_work' EXIT
host_snapshot
ip netns add "$HOST_NS" || skip "cannot make network namespaces"
ip -n "$HOST_NS" link set lo up

# -x: the cached tree is never written (networkd's state, the lease).
nsenter --net="/run/netns/$HOST_NS" "$ML" boot -q -x -n -M ml-debnet --console=read-only -D "$DEBIAN" \
        </dev/null >"$WORK/console" 2>&1 &
SUP=$!
LEADER=$(guest_leader $SUP)
state=$(wait_running "$LEADER")
check_match "Debian with -n reaches running or degraded" '^(running|degraded)$' "$state"

host_end=$(ip -n "$HOST_NS" -4 -o addr show dev ve-ml-debnet | awk '{ print $4 }')
guest=$(in_guest "$LEADER" /bin/cat /proc/net/fib_trie | awk '/\/32 host LOCAL/ { print prev } { prev = $2 }' |
        grep -v '^127\.' | head -n 1)
check_match "host0 had its address from the first moment, with no network manager running" \
        '^192\.168\.[0-9]+\.[0-9]+$' "$guest"
host_address=${host_end%/28}
check_eq "the guest is .2 where the host's end is .1" "${host_address%.*}.$((${host_address##*.} + 1))" "$guest"

in_guest "$LEADER" /bin/systemctl start systemd-networkd >/dev/null 2>&1
lease=
for _ in $(seq 100); do
        lease=$(in_guest "$LEADER" /bin/sh -c 'cat /run/systemd/netif/leases/* 2>/dev/null')
        [ -n "$lease" ] && break
        sleep 0.1
done
check_eq "systemd-networkd's DHCP lease is the address host0 had" "ADDRESS=$guest" "$(printf '%s\n' "$lease" | grep '^ADDRESS=')"
check_eq "with the host's end as router" "ROUTER=${host_end%/28}" "$(printf '%s\n' "$lease" | grep '^ROUTER=')"
check_match "and a nameserver" '^DNS=' "$(printf '%s\n' "$lease" | grep '^DNS=')"
state=
for _ in $(seq 50); do
        state=$(in_guest "$LEADER" /bin/networkctl list --no-legend --no-pager 2>/dev/null | awk '$2 == "host0" { print $4 " " $5 }')
        [ "$state" = "routable configured" ] && break
        sleep 0.1
done
check_eq "networkd calls host0 routable and configured" "routable configured" "$state"
addresses=$(in_guest "$LEADER" /bin/cat /proc/net/fib_trie | awk '/\/32 host LOCAL/ { print prev } { prev = $2 }' |
        grep -v '^127\.' | sort -u | tr '\n' ' ')
check_eq "host0 has that one IPv4 address, no other" "$guest " "$addresses"

kill -TERM $SUP
wait $SUP
check_eq "SIGTERM powers it off: exit 0" 0 "$?"
# shellcheck disable=SC2317 # called through check_settles
machine_link() { ip -n "$HOST_NS" -o link show | grep -o ' ve-ml-debnet'; }
check_settles "ve-ml-debnet is gone" "" machine_link
ip netns del "$HOST_NS"
host_unchanged "after the Debian machine with -n"
finish
