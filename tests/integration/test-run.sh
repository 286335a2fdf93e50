#!/bin/bash
# `run`: one command as PID 2 in fresh namespaces, its exit status passed on.
. "$(dirname "$0")/lib.sh"
require_root
make_work
TREE=$WORK/runbox
make_busybox_tree "$TREE"
host_snapshot

run() {
        "$ML" run -q --console=pipe -D "$TREE" "$@" </dev/null 2>"$WORK/stderr"
}

out=$(run -- /bin/sh -c 'exit 42')
check_eq "exit 42 in the guest is our exit status" 42 "$?"
out=$(run -- /bin/true)
check_eq "exit 0 passed on" 0 "$?"
out=$(run -- /bin/sh -c 'kill -TERM $$')
check_eq "a command killed by SIGTERM gives 128+15" 143 "$?"

out=$(run -- /bin/sh -c 'echo $$; cat /proc/1/status | grep -m1 "^PPid"')
check_eq "the command is PID 2, under a PID 1 with no parent in the guest" "2
PPid:	0" "$out"

out=$(run -- /bin/sh -c 'cd /proc && echo [0-9]*')
check_eq "only the guest's processes are visible: init and the command" "1 2" "$out"

out=$(run -- /bin/sh -c 'cat /proc/1/comm; readlink /proc/1/exe; tr "\0" "\n" < /proc/1/cmdline | head -3 | tr "\n" " "')
check_eq "PID 1 is ml-init, run from a memfd: no host binary behind /proc/1/exe, not our host command line" "ml-init
/memfd:ml-init (deleted)
ml-init --no-console -- " "$out"

out=$(run -- /bin/hostname)
check_eq "host name is the tree's base name" runbox "$out"
out=$(run -M try1 -- /bin/hostname)
check_eq "-M sets the machine name and host name" try1 "$out"
out=$(run --hostname=other -- /bin/hostname)
check_eq "--hostname sets the host name" other "$out"
check "the host's own host name is untouched" test "$(hostname)" != runbox

# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -- /bin/sh -c 'echo "$container"; echo "$container_uuid"; echo "$PATH"')
check_match "Container Interface environment" '^machined-lite
[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}
/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$' "$out"
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -- /bin/sh -c '[ "$(cat /run/host/container-uuid)" = "$container_uuid" ] && echo same')
check_eq "/run/host/container-uuid matches \$container_uuid" same "$out"
# A tree with a machine id keeps it as its uuid, so both views agree.
echo 0123456789abcdef0123456789abcdef > "$TREE/etc/machine-id"
# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run -- /bin/sh -c 'echo $container_uuid')
check_eq "\$container_uuid comes from the tree's /etc/machine-id" 01234567-89ab-cdef-0123-456789abcdef "$out"
rm "$TREE/etc/machine-id"

# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(run --setenv=FOO=bar -E BAZ=qux -E FOO=again -- /bin/sh -c 'echo $FOO $BAZ')
check_eq "--setenv/-E reach the command, the last one wins" "again qux" "$out"

out=$(run -- /bin/sh -c 'id -u; cat /proc/self/uid_map | tr -s " "')
check_eq "root in the guest (no user namespace yet)" "0
 0 0 4294967295" "$out"

# The stub init reaps orphans: a grandchild whose parent exited is not left a zombie.
out=$(run -- /bin/sh -c '( sleep 0.2 & ) ; sleep 0.6; ps -o stat | grep -c "^Z"')
check_eq "orphans are reaped by PID 1" 0 "$out"

# Arguments are passed as they are, including ones that look like our options.
out=$(run -- /bin/echo --help -D "two words")
check_eq "arguments after -- are the command's" "--help -D two words" "$out"

# Network: shared by default, private on request with only lo, up.
host_links=$(compgen -G '/sys/class/net/*' | wc -l)
out=$(run -- /bin/sh -c 'ls /sys/class/net | wc -l')
check_eq "network shared with the host by default" "$host_links" "$out"
out=$(run --private-network -- /bin/sh -c 'ls /sys/class/net; cat /sys/class/net/lo/flags; ping -c1 -W1 127.0.0.1 >/dev/null && echo pong')
check_eq "--private-network: only lo, up, and it answers" "lo
0x9
pong" "$out"

# --property sets the systemd scope, which a host without systemd gets none of: said in one
# line, and the machine runs.
if [ ! -d /run/systemd/system ]; then
        "$ML" run -q --console=pipe --property=MemoryMax=100M -D "$TREE" -- /bin/true </dev/null >/dev/null 2>"$WORK/note"
        check_eq "--property without systemd: exit 0" 0 "$?"
        check_match "...and one line saying it is not applied" \
                "^machined-lite: Note: --property=MemoryMax is a setting of the systemd scope machine-.*\.scope, which this host has no systemd to make: not applied$" \
                "$(cat "$WORK/note")"
fi
host_unchanged "after all runs"
finish
