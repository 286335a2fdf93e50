#!/bin/bash
# -n/--network-veth and -p: a machine on a network of its own, addressed, routed, NATed
# and reached through forwarded ports, seen from inside the guest. Every packet stays in
# network namespaces this test makes: "host" stands in for the host machined-lite runs
# on, "world" for the internet beyond the host's uplink (documentation addresses, RFC 5737
# and RFC 3849, never routed anywhere else).
. "$(dirname "$0")/lib.sh"
require_root
command -v nsenter >/dev/null || skip "nsenter (util-linux) is not installed"
command -v nft >/dev/null || skip "nft (nftables) is not installed: the test reads our table with it"
make_work
TREE=$WORK/netbox
make_busybox_tree "$TREE"
cc -static -O2 -o "$TREE/udp-echo" "$TESTS_DIR/integration/udp-echo.c" 2>"$WORK/cc.log" ||
        skip "cannot build the static UDP service (cc -static): $(head -n 1 "$WORK/cc.log")"
host_snapshot

HOST_NS=mlt-host-$$
WORLD_NS=mlt-world-$$
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup_net() {
        [ -n "${UPSTREAM_PID:-}" ] && kill "$UPSTREAM_PID" 2>/dev/null
        # shellcheck disable=SC2086 # PIDs, one word each
        [ -n "${RESOLVER_PIDS:-}" ] && kill $RESOLVER_PIDS 2>/dev/null
        ip netns del "$HOST_NS" 2>/dev/null
        ip netns del "$WORLD_NS" 2>/dev/null
        cleanup_work
}
trap cleanup_net EXIT

if ! ip netns add "$HOST_NS" || ! ip netns add "$WORLD_NS"; then
        skip "cannot make network namespaces"
fi
ip -n "$HOST_NS" link add up0 type veth peer name wan0 netns "$WORLD_NS" || skip "no veth links"
ip -n "$HOST_NS" addr add 198.51.100.1/24 dev up0
ip -n "$HOST_NS" addr add 2001:db8::1/64 dev up0 nodad
ip -n "$HOST_NS" link set up0 up
ip -n "$HOST_NS" link set lo up
ip -n "$HOST_NS" route add default via 198.51.100.254
ip -n "$HOST_NS" -6 route add default via 2001:db8::254
ip -n "$WORLD_NS" addr add 198.51.100.254/24 dev wan0
ip -n "$WORLD_NS" addr add 2001:db8::254/64 dev wan0 nodad
ip -n "$WORLD_NS" link set wan0 up
ip -n "$WORLD_NS" link set lo up

in_host() { nsenter --net="/run/netns/$HOST_NS" "$@"; }
in_world() { nsenter --net="/run/netns/$WORLD_NS" "$@"; }

# The world's server: answers each TCP connection with the address it came from.
cat > "$WORK/upstream.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 8000))
s.listen(16)
print("listening", flush=True)
while True:
    c, peer = s.accept()
    c.sendall(("peer " + peer[0].removeprefix("::ffff:") + "\n").encode())
    c.close()
EOF
in_world python3 "$WORK/upstream.py" > "$WORK/upstream.log" 2>&1 &
UPSTREAM_PID=$!

# fetch NETNS-COMMAND HOST PORT [PROTO]: what a client gets back from HOST:PORT.
fetch() {
        local python='import socket,sys
h, p, proto = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in h else socket.AF_INET
if proto == "udp":
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(3); s.sendto(b"ping\n", (h, p)); print(s.recv(100).decode().strip())
else:
    s = socket.create_connection((h, p), timeout=3); print(s.recv(100).decode().strip())'
        "$1" python3 -c "$python" "$2" "$3" "${4:-tcp}" 2>&1 | tail -n 1
}

ml() { in_host "$ML" "$@"; }
# What of ours is on the host: the machines' links, their tables.
# shellcheck disable=SC2317 # called through check_settles
machine_links() { ip -n "$HOST_NS" -br link show type veth | grep -v '^up0'; }
# shellcheck disable=SC2317 # called through check_settles
machine_tables() { in_host nft list tables | grep machined-lite; }

# 1. Addressing: host0 up with .2 of a /28 and a default route through .1, before the
# command runs, and the host's end ve-NAME with .1.
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(ml run -q --console=pipe -n -D "$TREE" -- /bin/sh -c \
        'ip -4 -o addr show dev host0 | awk "{print \$4}"; ip -4 route show default; cat /sys/class/net/host0/operstate' \
        </dev/null 2>"$WORK/stderr")
check_eq "run -n exits 0" 0 "$?"
addr=$(printf '%s\n' "$out" | sed -n 1p)
check_match "host0 has .2 of a /28 from 192.168.0.0/16" '^192\.168\.[0-9]+\.([0-9]+)/28$' "$addr"
guest=${addr%/28}
router=${guest%.*}.$((${guest##*.} - 1))
check_match "the default route goes through .1 on host0" "^default via $router dev host0" "$(printf '%s\n' "$out" | sed -n 2p)"
check_eq "host0 is up" up "$(printf '%s\n' "$out" | sed -n 3p)"
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(ml run -q --console=pipe -n -D "$TREE" -- /bin/sh -c 'ip -4 -o addr show dev host0 | awk "{print \$4}"' </dev/null 2>&1)
check_eq "the same subnet on the next boot (a hash of the name)" "$addr" "$out"
check_settles "the link is gone with the machine" "" machine_links
check_settles "so is its nftables table" "" machine_tables
# Starts of one machine in a row, each while the last one's network is still being taken
# down: its link (a name too long for 15 bytes, shortened, the full one its altname), its
# table and its port are free for the next at once, and nothing is left after.
rc=
for _ in 1 2 3 4 5; do
        ml run -q --console=pipe -n -p 8085:80 -M quite-a-long-machine-name -D "$TREE" -- /bin/true </dev/null \
                >>"$WORK/row.out" 2>&1
        rc="$rc$?"
done
check_eq "five starts in a row of a machine with a shortened link name and a port all exit 0" 00000 "$rc"
check_eq "and say nothing" "" "$(cat "$WORK/row.out")"
check_settles "after them: no link left" "" machine_links
check_settles "after them: no table left" "" machine_tables

# DNS: the guest is told of the host's nameservers and reaches them; when the host's only
# resolver is on loopback (systemd-resolved's stub, a local dnsmasq), the guest asks the
# host's end of its link, which leads there. A resolver that answers every A question
# with 203.0.113.7 (RFC 5737) stands in for both, and machined-lite reads a resolv.conf
# of the test's, bound over /etc/resolv.conf in a mount namespace of its own.
cat > "$WORK/resolver.py" <<'PYTHON'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    query, peer = s.recvfrom(512)
    end = 12
    while query[end] != 0:
        end += query[end] + 1
    question = query[12:end + 5]
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("203.0.113.7")
    s.sendto(query[:2] + b"\x81\x80" + struct.pack(">HHHH", 1, 1, 0, 0) + question + answer, peer)
PYTHON
# dns_run RESOLV.CONF: run -n with that as the host's resolv.conf; prints the guest's
# resolv.conf and the address it resolves example.test to. (The tree gets a resolv.conf
# the first time: it is removed before each run.)
dns_run() {
        rm -f "$TREE/etc/resolv.conf"
        # shellcheck disable=SC2016 # expanded by that shell
        unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$1" \
                nsenter --net="/run/netns/$HOST_NS" "$ML" run -q --console=pipe -n -M dnsbox -D "$TREE" -- \
                /bin/sh -c 'cat /etc/resolv.conf; nslookup example.test | sed -n "s/^Address: *//p" | tail -n 1' \
                </dev/null 2>&1
}
in_world python3 "$WORK/resolver.py" 198.51.100.254 > "$WORK/resolver-world.log" 2>&1 &
RESOLVER_PIDS=$!
echo "nameserver 198.51.100.254" > "$WORK/resolv-world.conf"
sleep 0.3
check_eq "a tree without resolv.conf gets the host's; its nameserver is reached through NAT" \
        "nameserver 198.51.100.254
203.0.113.7" "$(dns_run "$WORK/resolv-world.conf")"
# Only the loopback one runs now: an answer can have come from nowhere else.
# shellcheck disable=SC2086 # PIDs, one word each
kill $RESOLVER_PIDS
in_host python3 "$WORK/resolver.py" 127.0.0.53 > "$WORK/resolver-stub.log" 2>&1 &
RESOLVER_PIDS=$!
echo "nameserver 127.0.0.53" > "$WORK/resolv-stub.conf"
sleep 0.3
check_match "the host's resolver on loopback: the guest asks its router, which leads there" \
        '^nameserver 192\.168\.[0-9]+\.[0-9]+
203\.0\.113\.7$' "$(dns_run "$WORK/resolv-stub.conf")"
# shellcheck disable=SC2086 # PIDs, one word each
kill $RESOLVER_PIDS
RESOLVER_PIDS=

# 2. A long-running machine: the host sees its end, the world sees the host's address.
# shellcheck disable=SC2317 # called through check
start_machine() { # NAME [OPTIONS...]: boots busybox init, waits until host0 has its address
        local name=$1
        shift
        # nsenter execs machined-lite: $! is the supervisor.
        nsenter --net="/run/netns/$HOST_NS" "$ML" boot -q --console=passive -n -M "$name" -D "$TREE" "$@" \
                </dev/null >"$WORK/$name.out" 2>&1 &
        MACHINE_PID=$!
        for _ in $(seq 100); do
                ip -n "$HOST_NS" -4 -o addr show dev "ve-$name" 2>/dev/null | grep -q inet && return 0
                sleep 0.1
        done
        return 1
}
guest_sh() { # NAME COMMAND: a command in the running machine
        in_host "$ML" shell -q "$1" -- /bin/sh -c "$2" </dev/null 2>&1
}
stop_machine() { # NAME: stops it and waits for its supervisor
        in_host "$ML" stop "$1" >/dev/null 2>&1
        wait "$MACHINE_PID" 2>/dev/null
}

printf 'HTTP/1.0 200 OK\r\n\r\nguest-web\n' > "$TREE/index.html"
check "boot -n -p 8080:80 -p udp:5353:53 starts" start_machine web -p 8080:80 -p udp:5353:53
host_addr=$(ip -n "$HOST_NS" -4 -o addr show dev ve-web | awk '{print $4}')
check_match "ve-web has .1 of the machine's /28" '^192\.168\.[0-9]+\.[0-9]+/28$' "$host_addr"
check_eq "ve-web is up" UP "$(ip -n "$HOST_NS" -br link show dev ve-web | awk '{print $2}')"
guest_ip=$(guest_sh web 'ip -4 -o addr show dev host0' | awk '{print $4}')
guest_ip=${guest_ip%/28}
check_match "the guest can reach its host" '1 packets received' \
        "$(guest_sh web "ping -c 1 -W 2 ${host_addr%/28}")"
check_eq "egress is masqueraded: the world sees the host's uplink address" "peer 198.51.100.1" \
        "$(guest_sh web 'nc 198.51.100.254 8000 </dev/null' | head -n 1)"

# list and status show the addresses host0 has, as machinectl does.
guest_ip_re=${guest_ip//./\\.}
check_match "list shows web's address" "^web +.* $guest_ip_re/28 " "$(ml list)"
check_eq "list --json: web's first address" "$guest_ip/28" \
        "$(ml list --json | python3 -c 'import json, sys; print([m for m in json.load(sys.stdin) if m["name"] == "web"][0]["addresses"][0])')"
check_match "status web shows its address" "^ +Address: $guest_ip_re/28$" "$(ml status web)"
check_eq "status web: an Address line for each global address of host0" \
        "$(guest_sh web 'ip -o addr show dev host0 scope global' | awk '{print $4}')" \
        "$(ml status web | sed -n 's/^ *Address: //p')"

guest_sh web 'while true; do nc -l -p 80 < /index.html; done' >/dev/null &
guest_sh web '/udp-echo 53' >/dev/null &
sleep 0.5
check_eq "IPv6 egress is masqueraded too (NAT66): the world sees the host's uplink address" "peer 2001:db8::1" \
        "$(guest_sh web 'nc 2001:db8::254 8000 </dev/null' | head -n 1)"
check_eq "-p 8080:80 from the world to the host's IPv6 address" "guest-web" \
        "$(fetch in_world 2001:db8::1 8080 | tail -n 1)"
check_eq "-p 8080:80 from the world to the host's address" "guest-web" \
        "$(fetch in_world 198.51.100.1 8080 | tail -n 1)"
check_eq "-p 8080:80 from the host to its own address" "guest-web" "$(fetch in_host 198.51.100.1 8080 | tail -n 1)"
check_eq "-p 8080:80 from the host to 127.0.0.1" "guest-web" "$(fetch in_host 127.0.0.1 8080 | tail -n 1)"
check_eq "-p udp:5353:53 from the world to the host's address" "udp-pong" "$(fetch in_world 198.51.100.1 5353 udp)"
check_eq "the guest's own address is reached from the host directly" "guest-web" \
        "$(fetch in_host "$guest_ip" 80 | tail -n 1)"

# A LAN that routes the machine's subnet to the host reaches its forwarded ports, not the
# others: the guest's own port 80 from the world, directly, is not open.
ip -n "$WORLD_NS" route add "${guest_ip%.*}.0/24" via 198.51.100.1
check_match "the world with a route to the guest's subnet does not reach its unforwarded port 80" 'timed out' \
        "$(fetch in_world "$guest_ip" 80)"
ip -n "$WORLD_NS" route del "${guest_ip%.*}.0/24" via 198.51.100.1

# A hostile guest routes 127.0.0.2 through its router (ve-web has route_localnet for the
# forwards from 127.0.0.1): the host's loopback services stay out of its reach.
in_host python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.2", 9999)); s.listen(1)
while True:
    c, _ = s.accept(); c.sendall(b"host-loopback\n"); c.close()' >/dev/null 2>&1 &
LOOPBACK_PID=$!
sleep 0.3
out=$(guest_sh web "sysctl -qw net.ipv4.conf.host0.route_localnet=1 net.ipv4.conf.all.route_localnet=1
        ip route add 127.0.0.2/32 via ${host_addr%/28} dev host0 table 50
        ip rule add pref 10 to 127.0.0.2 lookup 50
        ip rule del pref 0 lookup local; ip rule add pref 100 lookup local
        nc -w 2 127.0.0.2 9999 </dev/null 2>&1")
check_eq "the host's 127.0.0.2:9999 is not reached from the guest through its router" "nc: timed out" "$out"
kill "$LOOPBACK_PID"

# Another tool's nft flush ruleset cannot remove the table the supervisor owns.
in_host nft flush ruleset 2>/dev/null
check_eq "after 'nft flush ruleset' the tables are still there" "table inet machined-lite-web/guard
table inet machined-lite-web" "$(in_host nft list tables | grep machined-lite)"
check_eq "and the forward still works" "guest-web" "$(fetch in_world 198.51.100.1 8080 | tail -n 1)"

# Bad input while web runs: each one line, an exit code, nothing left behind. (Another
# tree: web's is locked by web.)
OTHER=$WORK/other
make_busybox_tree "$OTHER"
one_line_error "a port another machine forwards" 5 "Port tcp:8080 is already forwarded by another running machine" \
        in_host "$ML" run -q --console=pipe -n -p 8080:80 -D "$OTHER" -- /bin/true
ip -n "$HOST_NS" link add ve-clash type veth peer name clash-peer
one_line_error "a link of the name the machine's would have" 5 "A link named ve-clash exists on the host already" \
        in_host "$ML" run -q --console=pipe -n -M clash -D "$OTHER" -- /bin/true
ip -n "$HOST_NS" link del ve-clash
one_line_error "-p without -n" 2 "give -n" "$ML" run -q --console=pipe -p 8080 -D "$TREE" -- /bin/true
one_line_error "a port out of range" 2 "Port out of range in '70000'" "$ML" run -q --console=pipe -n -p 70000 -D "$TREE" -- /bin/true
one_line_error "a port forward that is no port" 2 "Invalid port forward 'tcp:x'" "$ML" run -q --console=pipe -n -p tcp:x -D "$TREE" -- /bin/true

# DHCP: busybox's client asks and gets the address the guest has.
cat > "$TREE/udhcpc.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip mask=$mask router=$router lease=$lease"
exit 0
EOF
chmod +x "$TREE/udhcpc.sh"
out=$(guest_sh web 'udhcpc -i host0 -n -q -f -s /udhcpc.sh -t 3 -T 1 2>/dev/null')
check_eq "a DHCP client in the guest is given the address it has" "ip=$guest_ip mask=28 router=${host_addr%/28} lease=3600" \
        "$(printf '%s\n' "$out" | grep '^ip=')"

stop_machine web
check_settles "after stop: no ve- link left" "" machine_links
check_settles "after stop: no table left" "" machine_tables

# A supervisor killed with SIGKILL: the kernel removes the table (the socket that owns it
# closed), and the link goes with the guest's namespace.
check "boot -n -p 8081:80 starts" start_machine crash -p 8081:80
{ kill -KILL "$MACHINE_PID" && wait "$MACHINE_PID"; } 2>/dev/null
for _ in $(seq 50); do
        ip -n "$HOST_NS" link show dev ve-crash >/dev/null 2>&1 || break
        sleep 0.2
done
check_settles "after SIGKILL of the supervisor: no table left" "" machine_tables
check_settles "after SIGKILL of the supervisor: no link left" "" machine_links

kill "$UPSTREAM_PID"
UPSTREAM_PID=
ip netns del "$HOST_NS"
ip netns del "$WORLD_NS"
host_unchanged "the network test"
finish
