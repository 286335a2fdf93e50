#!/bin/bash
# NAME.machine settings files: each key in use has its effect inside the guest, the
# command line wins over them, a file next to the tree cannot grant a bind or a network
# (unless --settings=trusted), a bad key is one line naming file, line and key; and each
# example in machines/ boots. The [Network] keys run in a network namespace the test
# makes: no link, rule or packet of theirs reaches the host's.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/set
make_busybox_tree "$TREE"
cp /etc/resolv.conf "$TREE/etc/resolv.conf"
touch "$TREE/etc/localtime"
RUNDIR=/run/machined-lite/machines
mkdir -p "$RUNDIR"
NET_NS=ml-set-$$
trap 'pkill -KILL -f -- "-M ml-set" 2>/dev/null; ip netns del "$NET_NS" 2>/dev/null; rm -f $RUNDIR/ml-set-*.machine "$TREE.machine"; cleanup_work' EXIT
host_snapshot
mkdir -p "$WORK/share"
echo shared > "$WORK/share/file"

run() {
        "$ML" run -q --console=pipe "$@" </dev/null 2>"$WORK/stderr"
}

# A trusted file (/run/machined-lite/machines/NAME.machine): every key has its effect.
cat > "$RUNDIR/ml-set-a.machine" <<EOF
# a comment
[Exec]
Boot=yes
Parameters=/bin/sh -c "echo from-parameters"
Environment=FOO=from-file
Environment=BAR=a;b
Hostname=filehost
KillSignal=SIGUSR1
NoNewPrivileges=yes
DropCapability=CAP_NET_RAW
PrivateUsers=pick

[Files]
ReadOnly=yes
BindReadOnly=$WORK/share:/srv/share
TemporaryFileSystem=/scratch:mode=1777

[Network]
Private=yes
EOF
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -M ml-set-a -D "$TREE" -- /bin/sh -c '
        echo "$FOO $BAR"; hostname; grep NoNewPrivs /proc/self/status | tr -d "\t"
        grep -q "^CapBnd:.*" /proc/self/status && (grep CapBnd /proc/self/status | cut -f2)
        touch /x 2>/dev/null || echo root-ro; cat /srv/share/file; stat -c %a /scratch
        ls /sys/class/net | tr "\n" " "; echo; tr -s " " < /proc/self/uid_map | cut -d" " -f2-')
bnd_default=$(run -D "$TREE" -- /bin/sh -c 'grep CapBnd /proc/self/status | cut -f2')
check_match "Environment= (with a ';' in a value)" "^from-file a;b$" "$(sed -n 1p <<<"$out")"
check_eq "Hostname=" filehost "$(sed -n 2p <<<"$out")"
check_eq "NoNewPrivileges=yes" "NoNewPrivs:1" "$(sed -n 3p <<<"$out")"
check_eq "DropCapability=CAP_NET_RAW: bit 13 is out of the bounding set (it is in by default)" "0 8192" \
        "$(( 0x$(sed -n 4p <<<"$out") & (1 << 13) )) $(( 0x$bnd_default & (1 << 13) ))"
check_eq "ReadOnly=yes" root-ro "$(sed -n 5p <<<"$out")"
check_eq "BindReadOnly= from a trusted file" shared "$(sed -n 6p <<<"$out")"
check_eq "TemporaryFileSystem= with options" 1777 "$(sed -n 7p <<<"$out")"
check_eq "Private=yes: only lo" "lo " "$(sed -n 8p <<<"$out")"
check_match "PrivateUsers=pick" "^0 [0-9]+ 65536$" "$(sed -n 9p <<<"$out")"
out=$(run -M ml-set-a -D "$TREE")
check_eq "Parameters= is the command when none is given after --" from-parameters "$out"

# The command line wins.
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -M ml-set-a -D "$TREE" --hostname=cli -E FOO=cli -- /bin/sh -c 'echo "$FOO"; hostname')
check_eq "--hostname and --setenv win over Hostname= and Environment=" "cli
cli" "$out"
printf '[Exec]\nHostname=filehost\n' > "$RUNDIR/ml-set-o.machine"
out=$(run --settings=override -M ml-set-o -D "$TREE" --hostname=cli -- /bin/hostname)
check_eq "--settings=override: the file wins" filehost "$out"
out=$(run --settings=no -M ml-set-a -D "$TREE" -- /bin/hostname)
check_eq "--settings=no: the file is not read" ml-set-a "$out"
printf '[Exec]\nEphemeral=yes\n' > "$RUNDIR/ml-set-e.machine"
out=$(run -M ml-set-e -D "$TREE" --volatile=state -- /bin/sh -c 'touch /x 2>/dev/null || echo root-ro; touch /var/v && echo var-rw')
check_eq "--volatile on the command line replaces Ephemeral= of the file" "root-ro
var-rw" "$out"
printf '[Files]\nVolatile=state\n' > "$RUNDIR/ml-set-e.machine"
out=$(run -M ml-set-e -D "$TREE" -x -- /bin/sh -c 'touch /x && echo root-rw')
check_eq "and -x replaces Volatile=" "root-rw" "$out"
check "with the tree not written" test ! -e "$TREE/x" -a ! -e "$TREE/var/v"

# KillSignal=: what SIGTERM to machined-lite sends the guest's PID 1.
cat > "$RUNDIR/ml-set-kill.machine" <<EOF
[Exec]
KillSignal=SIGUSR1
EOF
"$ML" run -q --console=pipe -M ml-set-kill -D "$TREE" -- /bin/sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done' \
        </dev/null >/dev/null 2>&1 &
sup=$!
guest_leader $sup >/dev/null
sleep 0.3
kill -TERM $sup
wait $sup
check_eq "KillSignal=SIGUSR1 reaches the command (it exits 42 on it)" 42 "$?"

# Next to the tree (TREE.machine): untrusted, so no bind is granted ...
cat > "$TREE.machine" <<EOF
[Exec]
Hostname=besidehost
[Files]
Bind=$WORK/share:/srv/share
EOF
out=$(run -D "$TREE" -- /bin/sh -c 'hostname; cat /srv/share/file 2>/dev/null || echo no-bind')
check_eq "a file next to the tree is read, but grants no bind" "besidehost
no-bind" "$out"
check_match "and says what it ignored" "Ignoring Bind= in \\[Files\\]" "$("$ML" run --console=pipe -D "$TREE" -- /bin/true </dev/null 2>&1)"
out=$(run --settings=trusted -D "$TREE" -- /bin/cat /srv/share/file)
check_eq "... unless --settings=trusted" shared "$out"

# [Network], in the test's own network namespace (nsenter, so that machined-lite itself
# runs there: its veths and port rules are made in it).
if ! command -v nsenter >/dev/null; then
        echo "SKIP: the [Network] keys: nsenter (util-linux) is not installed"
elif ! ip netns add "$NET_NS" 2>/dev/null; then
        echo "SKIP: the [Network] keys: cannot make a network namespace"
else
        ip -n "$NET_NS" link set lo up
        in_ns() { nsenter --net="/run/netns/$NET_NS" "$@"; }
        # forwarded GUEST-PORT OPTIONS...: a guest that prints host0's IPv4 address, then
        # answers one TCP connection on GUEST-PORT; prints that address and what a client
        # in the namespace gets from 127.0.0.1:8080.
        forwarded() {
                local port=$1 sup answer
                shift
                : > "$WORK/guest.out"
                # shellcheck disable=SC2016 # expanded by the guest's shell
                in_ns timeout 30 "$ML" run -q --console=pipe "$@" -- /bin/sh -c \
                        'ip -4 -o addr show dev host0 | awk "{print \$4}"; echo from-guest | nc -l -p '"$port" \
                        </dev/null >"$WORK/guest.out" 2>"$WORK/stderr" &
                sup=$!
                for _ in $(seq 100); do
                        [ -s "$WORK/guest.out" ] && break
                        sleep 0.1
                done
                answer=$(in_ns python3 -c 'import socket, time
for _ in range(50):
    try:
        print(socket.create_connection(("127.0.0.1", 8080), timeout=2).recv(100).decode().strip())
        break
    except OSError:
        time.sleep(0.1)
else:
    print("no-answer")')
                [ "$answer" = no-answer ] && kill "$sup" 2>/dev/null
                wait "$sup"
                echo "$(head -n 1 "$WORK/guest.out") $answer"
        }

        cat > "$RUNDIR/ml-set-net.machine" <<EOF
[Network]
VirtualEthernet=yes
Port=tcp:8080:80
Configure=yes
EOF
        check_match "VirtualEthernet=yes, Configure=yes and Port=tcp:8080:80 from a trusted file: host0 addressed, 8080 reaches the guest's 80" \
                "^[0-9.]+/28 from-guest$" "$(forwarded 80 -M ml-set-net -D "$TREE")"
        check_match "and -p 8080:81 on the command line wins over Port= for that host port" \
                "^[0-9.]+/28 from-guest$" "$(forwarded 81 -M ml-set-net -D "$TREE" -p 8080:81)"

        printf '[Network]\nVirtualEthernet=no\nConfigure=no\n' > "$RUNDIR/ml-set-net.machine"
        out=$(in_ns "$ML" run -q --console=pipe -M ml-set-net -D "$TREE" -n -- /bin/sh -c \
                'ls /sys/class/net | tr "\n" " "; ip -4 -o addr show dev host0 | wc -l' </dev/null 2>&1)
        check_eq "-n on the command line wins over VirtualEthernet=no; Configure=no: host0 without an address" \
                "host0 lo 0" "$out"
        out=$(in_ns "$ML" run -q --console=pipe --settings=override -M ml-set-net -D "$TREE" -n -- /bin/sh -c \
                'test -e /sys/class/net/host0 && echo host0 || echo no-host0' </dev/null 2>&1)
        check_eq "--settings=override (as machine@.service): VirtualEthernet=no turns -n off" no-host0 "$out"

        printf '[Network]\nVirtualEthernet=yes\nPort=8080:80\n' > "$TREE.machine"
        out=$(in_ns "$ML" run --console=pipe -D "$TREE" -- /bin/sh -c \
                'test -e /sys/class/net/host0 && echo host0 || echo no-host0' </dev/null 2>"$WORK/stderr")
        check_eq "VirtualEthernet= from a file next to the tree is ignored: no host0" no-host0 "$out"
        check_eq "and says so, for it and for Port=" "2 2" \
                "$(grep -c '^machined-lite: Ignoring \(VirtualEthernet\|Port\)= in \[Network\]: a settings file next to the tree may not grant it' "$WORK/stderr") $(wc -l < "$WORK/stderr")"
        rm -f "$TREE.machine" "$RUNDIR/ml-set-net.machine"
        ip netns del "$NET_NS"
fi

# Bad files: one line naming file, line and key; exit 2; nothing started.
printf '[Exec]\nHostname=x\nBogusKey=1\n' > "$TREE.machine"
run -D "$TREE" -- /bin/true
check_eq "an unknown key: exit 2" 2 "$?"
check_eq "with one line naming file, line and key" "machined-lite: $TREE.machine:3: unknown key BogusKey= in [Exec]" "$(cat "$WORK/stderr")"
printf '[Files]\nReadOnly=perhaps\n' > "$TREE.machine"
run -D "$TREE" -- /bin/true
check_eq "a bad value: exit 2" 2 "$?"
check_eq "named" "machined-lite: $TREE.machine:2: bad value for ReadOnly=: 'perhaps'" "$(cat "$WORK/stderr")"
printf '[Nonsense]\nA=b\n' > "$TREE.machine"
run -D "$TREE" -- /bin/true
check_match "an unknown section: exit 2, named" "^machined-lite: $TREE.machine:2: A= in an unknown section \\[Nonsense\\]" "$(cat "$WORK/stderr")"
printf '[Network]\nPrivate=yes\nPort=tcp:http\n' > "$RUNDIR/ml-set-bad.machine"
one_line_error "a bad Port=" 2 "^machined-lite: $RUNDIR/ml-set-bad.machine:3: Port= in \[Network\]: Invalid port forward 'tcp:http': use \[tcp:\|udp:\]HOSTPORT\[:GUESTPORT\]" \
        "$ML" run -q --console=pipe -M ml-set-bad -D "$TREE" -- /bin/true
printf '[Network]\nPort=8080\nPort=8080:81\n' > "$RUNDIR/ml-set-bad.machine"
one_line_error "a host port twice" 2 "^machined-lite: $RUNDIR/ml-set-bad.machine:3: Port= in \[Network\]: host port tcp:8080 is forwarded twice$" \
        "$ML" run -q --console=pipe -M ml-set-bad -D "$TREE" -- /bin/true
printf '[Network]\nZone=a-name-too-long\n' > "$RUNDIR/ml-set-bad.machine"
one_line_error "a zone whose bridge name is too long" 2 "^machined-lite: $RUNDIR/ml-set-bad.machine:2: Zone= in \[Network\]: Invalid zone name 'a-name-too-long': at most 12 bytes" \
        "$ML" run -q --console=pipe -M ml-set-bad -D "$TREE" -- /bin/true
printf '[Network]\nConfigure=sometimes\n' > "$RUNDIR/ml-set-bad.machine"
one_line_error "a bad Configure=" 2 "^machined-lite: $RUNDIR/ml-set-bad.machine:2: bad value for Configure=: 'sometimes'$" \
        "$ML" run -q --console=pipe -M ml-set-bad -D "$TREE" -- /bin/true
# Two bad lines: the first one's number with the first one's message.
printf '[Exec]\nBogusKey=1\nOtherKey=2\n' > "$TREE.machine"
run -D "$TREE" -- /bin/true
check_eq "two bad keys: the first named, at its line" "2 machined-lite: $TREE.machine:2: unknown key BogusKey= in [Exec]" \
        "$? $(cat "$WORK/stderr")"
# A 100 kB line (libinih reads 200 bytes at a time and took the rest for more lines).
python3 -c 'import sys; print("[Exec]\nHostname=x\nEnvironment=A=" + "x" * 100000 + "\nKillSignal=SIGTERM")' > "$TREE.machine"
run -D "$TREE" -- /bin/true
check_match "a 100 kB line: exit 2, one line with its real number, its length and the limit" \
        "^2 machined-lite: $TREE.machine:3: the line is 100014 characters long, more than the [0-9]+ libinih reads: shorten it" \
        "$? $(cat "$WORK/stderr")"
check_eq "one line only" 1 "$(wc -l < "$WORK/stderr")"
# A long comment says nothing: it is no error.
python3 -c 'print("[Exec]\n# " + "c" * 1000 + "\nHostname=after-comment")' > "$TREE.machine"
out=$(run -D "$TREE" -- /bin/hostname)
check_eq "a 1000-character comment line is skipped, the next line read" "0 after-comment" "$? $out"
rm -f "$TREE.machine"

# [Bootstrap] is what `bootstrap NAME` takes when its command line says nothing else.
printf '[Bootstrap]\nRelease=nosuchrelease-ml\n' > "$RUNDIR/ml-set-bs.machine"
"$ML" bootstrap -q ml-set-bs 2>"$WORK/stderr"
check_eq "bootstrap takes Release= from [Bootstrap]: that release does not exist, exit 1" 1 "$?"
check_match "naming it" "Release nosuchrelease-ml not found" "$(cat "$WORK/stderr")"
check "and leaves nothing in /var/lib/machines" test ! -e /var/lib/machines/ml-set-bs

# The examples in machines/ boot.
EXAMPLES=$(dirname "$0")/../../machines
DEBIAN=$(debian_tree) || exit $?
cp "$EXAMPLES/debian.machine" "$RUNDIR/ml-set-debian.machine"
# Its VirtualEthernet=yes makes links: in a network namespace of the test's own.
ip netns add "$NET_NS" || skip "cannot make a network namespace for debian.machine's network"
nsenter --net="/run/netns/$NET_NS" "$ML" boot -q -M ml-set-debian --console=read-only -D "$DEBIAN" \
        </dev/null >"$WORK/console" 2>&1 &
sup=$!
leader=$(guest_leader $sup)
state=$(wait_running "$leader")
check_match "machines/debian.machine boots the Debian tree to systemd running" '^(running|degraded)$' "$state"
check "with its PrivateUsers=pick: PID 1 is a high host UID" test "$(ps -o uid= -p "$leader" | tr -d ' ')" -ge $((0x80000))
check_match "and with its VirtualEthernet=yes, host0 with an address" 'host0.*192\.168\.' \
        "$(nsenter -t "$leader" -n ip -4 -o addr show dev host0 2>&1)"
kill -TERM $sup
wait $sup
check_eq "and powers off: exit 0" 0 "$?"
check_settles "its link goes with it" "" sh -c "ip -n $NET_NS -o link show | grep -o ' ve-ml-set'"
ip netns del "$NET_NS"
cp "$EXAMPLES/build.machine" "$RUNDIR/ml-set-build.machine"
before=$(cd "$DEBIAN" && find . -printf '%p %U %m %s %T@\n' | sort | md5sum)
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -M ml-set-build -D "$DEBIAN" -- /bin/sh -c 'echo $DEBIAN_FRONTEND; touch /etc/made-by-build; stat -c %a /var/tmp')
check_eq "machines/build.machine: its environment and /var/tmp" "noninteractive
1777" "$out"
check_eq "and it is ephemeral: the tree is unchanged" "$before" "$(cd "$DEBIAN" && find . -printf '%p %U %m %s %T@\n' | sort | md5sum)"
host_unchanged "after the settings runs"
finish
