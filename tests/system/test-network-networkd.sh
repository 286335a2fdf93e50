#!/bin/bash
# -n on a host where systemd-networkd runs (the hostbox, a real systemd host in a network
# namespace of its own): machined-lite makes the links as systemd-nspawn does and leaves
# their addresses to networkd (80-container-ve.network: an address, a DHCP server, the
# masquerade); the guest's DHCP client gets its address from networkd, and -p follows it.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/hostbox.sh"
require_root
make_work
NAME=ml-nd-$$
BB=$WORK/hostbox/bb
host_snapshot
make_busybox_tree "$BB"
printf 'HTTP/1.0 200 OK\r\n\r\nbehind-networkd\n' > "$BB/index.html"
cat > "$BB/udhcpc.sh" <<'EOF'
#!/bin/sh
[ "$1" = bound ] || exit 0
ip addr add "$ip/$mask" dev "$interface"
echo "ip=$ip router=$router"
EOF
chmod +x "$BB/udhcpc.sh"
hostbox_start "$NAME" || finish
hostbox_install || finish

in_hostbox systemctl start systemd-networkd.service >/dev/null 2>&1
check_eq "systemd-networkd runs in the hostbox" active "$(in_hostbox systemctl is-active systemd-networkd.service)"

hostbox_run --unit=ml-nd-web -- machined-lite boot -q --console=passive -n -p 8080:80 -M web -D "$BB" \
        >"$WORK/web.out" 2>&1 &
JOB=$!
for _ in $(seq 100); do
        in_hostbox "$BB/bin/busybox" ip link show dev ve-web >/dev/null 2>&1 && break
        sleep 0.1
done
leader=$(in_hostbox machinectl show web -p Leader --value)
check_eq "host0 has no address of ours: networkd's to give" "" \
        "$(in_hostbox nsenter -t "$leader" -a /bin/ip -4 -o addr show dev host0)"
# host0 up, as the guest's own network manager would bring it; then its DHCP client.
in_hostbox nsenter -t "$leader" -a /bin/ip link set host0 up </dev/null
state=
for _ in $(seq 100); do
        state=$(in_hostbox networkctl list --no-legend --no-pager 2>/dev/null | awk '$2 == "ve-web" { print $5 }')
        [ "$state" = configured ] && break
        sleep 0.1
done
check_eq "networkd configured ve-web (80-container-ve.network)" configured "$state"
in_hostbox nsenter -t "$leader" -a /bin/udhcpc -i host0 -n -q -f -s /udhcpc.sh -t 5 -T 1 </dev/null \
        >"$WORK/udhcpc.out" 2>&1
out=$(grep '^ip=' "$WORK/udhcpc.out")
check_match "the guest's DHCP client gets an address from networkd's DHCP server" '^ip=[0-9.]+ router=[0-9.]+$' "$out"
# machined was told of ve-web (as nspawn tells it), and reads the guest's address itself.
check_eq "machined knows ve-web as the machine's link" "ai 1 $(in_hostbox cat /sys/class/net/ve-web/ifindex)" \
        "$(in_hostbox busctl get-property org.freedesktop.machine1 /org/freedesktop/machine1/machine/web \
                org.freedesktop.machine1.Machine NetworkInterfaces)"
ip=${out#ip=} ip=${ip%% *}
check_match "machinectl status shows the link and the guest's address" "Iface: ve-web.*Address: $ip" \
        "$(in_hostbox machinectl status web --no-pager 2>&1 | tr '\n' ' ')"
in_hostbox nsenter -t "$leader" -a /bin/sh -c '(while true; do nc -l -p 80 < /index.html; done) >/dev/null 2>&1 &'
# fetch: the hostbox's 127.0.0.1:8080, as a client there sees it (the hostbox has no
# client of its own: busybox's nc from the tree).
# shellcheck disable=SC2317 # called through check_settles
fetch() { in_hostbox "$BB/bin/busybox" nc 127.0.0.1 8080 </dev/null 2>&1 | tail -n 1; }
check_settles "-p 8080:80 follows that address: the hostbox's 127.0.0.1:8080 reaches the guest" behind-networkd fetch

in_hostbox machined-lite stop web >/dev/null 2>&1
wait "$JOB"
# shellcheck disable=SC2317 # called through check_settles
machine_link() { in_hostbox "$BB/bin/busybox" ip -o link show | grep -o ' ve-web'; }
check_settles "ve-web is gone" "" machine_link
hostbox_stop
host_unchanged "after networkd's machine"
finish
