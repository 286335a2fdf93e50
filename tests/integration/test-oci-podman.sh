#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted commands are expanded by the container's shell
# machined-lite-oci driven by a real runtime caller: podman (Debian's 4.3, through conmon)
# with our entry point as its runtime, on an image imported from a busybox tree, in
# storage of the test's own; this host needs the cgroupfs manager, file events and
# ulimits within its hard limits (README). In the clients suite: one build runs it.
. "$(dirname "$0")/lib.sh"
command -v podman >/dev/null || skip "podman is not installed (apt-get install podman)"
. "$(dirname "$0")/oci-lib.sh"
# podman's cgroupfs manager makes libpod_parent and never removes it: ours to remove
# if it was not there before.
libpod_before=$(ls -d "$CG/libpod_parent" /sys/fs/cgroup/*/libpod_parent 2>/dev/null)
PODMAN=(podman --root "$WORK/podman" --runroot "$WORK/podman-run" --storage-driver vfs
        --runtime "$OCI" --cgroup-manager=cgroupfs --events-backend=file)
LIMITS=(--network=none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
tar -C "$BUNDLE/rootfs" -c . | "${PODMAN[@]}" import - localhost/ml-oci-test >/dev/null 2>&1
out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" localhost/ml-oci-test /bin/sh -c 'echo hello; exit 3' 2>&1)
check_eq "podman run --rm: the output, and the exit status 3" "hello 3" "$out $?"
out=$(echo from-stdin | "${PODMAN[@]}" run --rm -i -e FOO=bar -w /tmp "${LIMITS[@]}" localhost/ml-oci-test \
        /bin/sh -c 'cat; echo $FOO; pwd' 2>&1)
check_eq "podman run -i -e -w: stdin, the environment, the working directory" "from-stdin bar /tmp" "$(flat "$out")"
out=$("${PODMAN[@]}" run --rm -t "${LIMITS[@]}" localhost/ml-oci-test /bin/sh -c 'tty; echo on-a-tty; exit 5' </dev/null 2>&1)
rc=$?
check_match "podman run -t: the container's process on a pty (process.terminal, the console socket); exit 5" \
        "^/dev/(console|pts/[0-9]+) on-a-tty 5$" "$(flat "$(tr -d '\r' <<<"$out")") $rc"
# -it through a real pty (pty-harness.py as the user's terminal): the shell has job
# control, Ctrl-C reaches what it runs, a resize reaches it, its status is podman's.
# The pty harness's script after a first command: Ctrl-C of a sleep, a resize, the size
# seen, exit STATUS.
interrupt_resize_exit() {
        printf '%s\n' 'sendline sleep 30' 'sleep 0.5' 'send \x03' 'expect (#|\$)[ ]' 'winsize 33 101' 'sleep 1' \
                'sendline stty size' 'expect ([0-9]+ [0-9]+)' "sendline exit $1" wait
}
# (Not a pipe into drive: it sets OUT and RC for the checks after it.)
drive run-it -- "${PODMAN[@]}" run --rm -it "${LIMITS[@]}" localhost/ml-oci-test sh < <(
        printf '%s\n' 'expect (#|\$)[ ]' 'sendline echo inside-$((6*7))' 'expect (inside-42)'
        interrupt_resize_exit 7
)
check_eq "podman run -it: a shell at the terminal, Ctrl-C, a resize, its exit status 7" \
        "inside-42 33 101 7" "$(field match 2) $(field match 4) $RC"
check "...with job control (no \"can't access tty\")" sh -c "! grep -q \"can't access tty\" '$WORK/run-it.log'"
out=$("${PODMAN[@]}" run --rm --read-only "${LIMITS[@]}" localhost/ml-oci-test \
        /bin/sh -c 'touch /tmp/x /var/tmp/x /run/x && echo tmpfs-rw; touch /x 2>&1 | grep -o "Read-only file system"' 2>&1)
check_eq "podman run --read-only: /tmp, /var/tmp and /run writable (tmpcopyup), the rest read-only" \
        "tmpfs-rw Read-only file system" "$(flat "$out")"
if [ -c /dev/net/tun ]; then
        out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" --device /dev/net/tun localhost/ml-oci-test stat -c '%n %t:%T %a' /dev/net/tun 2>&1)
        check_eq "podman run --device /dev/net/tun: the node, with the host's mode (linux.devices)" \
                "/dev/net/tun a:c8 $(stat -c %a /dev/net/tun)" "$out"
fi
if [ -c /dev/fuse ]; then
        out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" --device /dev/fuse localhost/ml-oci-test /bin/sh -c 'exec 3<>/dev/fuse && echo fuse-opened' 2>&1)
        check_eq "podman run --device /dev/fuse: a device beyond machined-lite's policy, opened (its allow rule)" \
                fuse-opened "$out"
        out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" localhost/ml-oci-test /bin/sh -c 'mknod /dev/f2 c 10 229 2>/dev/null || echo mknod-refused' 2>&1)
        check_eq "...and without --device, no such node for the container" mknod-refused "$out"
fi
out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" --pid=host --ipc=host localhost/ml-oci-test \
        /bin/sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; cat /proc/1/comm' 2>&1)
check_eq "podman run --pid=host --ipc=host: the host's PID and IPC namespaces, the host's processes in /proc" \
        "$(readlink /proc/self/ns/pid) $(readlink /proc/self/ns/ipc) $(cat /proc/1/comm)" "$(flat "$out")"
echo through-conmon > "$WORK/fd3-podman"
out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" --preserve-fds 1 localhost/ml-oci-test /bin/sh -c 'cat <&3' 3<"$WORK/fd3-podman" 2>&1)
check_eq "podman run --preserve-fds 1: fd 3 reaches the container's process" through-conmon "$out"
mkdir -p "$WORK/volume"
echo on-the-host > "$WORK/volume/f"
out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" -u 1000:1001 --hostname podhost -v "$WORK/volume:/vol" localhost/ml-oci-test \
        /bin/sh -c 'id -u; id -g; hostname; cat /vol/f' 2>&1)
check_eq "podman run -u, --hostname, -v: the user, the host name, the volume" "1000 1001 podhost on-the-host" "$(flat "$out")"
"${PODMAN[@]}" run --rm "${LIMITS[@]}" -v "$WORK/volume:/vol" localhost/ml-oci-test /bin/sh -c 'echo from-the-container > /vol/g' >/dev/null 2>&1
check_eq "...what root writes to the volume is on the host" from-the-container "$(cat "$WORK/volume/g" 2>&1)"
cid=$("${PODMAN[@]}" create "${LIMITS[@]}" localhost/ml-oci-test /bin/sh -c 'echo started; exit 6' 2>&1)
out=$("${PODMAN[@]}" start -a "$cid" 2>&1)
rc=$?
check_eq "podman create, then start -a: the output and the exit status 6" "started 6" "$out $rc"
check_eq "podman wait" 6 "$("${PODMAN[@]}" wait "$cid" 2>&1)"
out=$("${PODMAN[@]}" start -a "$cid" 2>&1)
rc=$?
check_eq "podman start -a of an exited container: it runs again (the runtime deletes and creates it anew)" "started 6" "$out $rc"
cid=$("${PODMAN[@]}" run -d "${LIMITS[@]}" localhost/ml-oci-test \
        /bin/sh -c 'trap "echo got-usr1; exit 9" USR1; echo ready; while :; do sleep 0.1; done' 2>&1)
for _ in $(seq 50); do "${PODMAN[@]}" logs "$cid" 2>/dev/null | grep -q ready && break; sleep 0.1; done
"${PODMAN[@]}" kill -s USR1 "$cid" >/dev/null 2>&1
check_eq "podman kill -s USR1: the signal reaches PID 1, which exits 9" "9 got-usr1" \
        "$("${PODMAN[@]}" wait "$cid" 2>&1) $("${PODMAN[@]}" logs "$cid" 2>&1 | grep got-)"
# podman's default network (its CNI bridge), all of it in a network namespace of
# the test's own standing for the host: the container joins the namespace podman
# made for it (linux.namespaces' path) and is reached from the "host" there.
NET_NS=ml-oci-net-$$
cni_made=
[ -e /var/lib/cni ] || cni_made=yes
if ip netns add "$NET_NS" 2>/dev/null; then
        ip -n "$NET_NS" link set lo up
        in_ns() { nsenter --net="/run/netns/$NET_NS" "$@"; }
        cid=$(in_ns "${PODMAN[@]}" run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/ml-oci-test \
                /bin/sh -c 'ip -4 -o addr show dev eth0 > /tmp/addr; sleep 60' 2>&1)
        address=$(in_ns "${PODMAN[@]}" inspect --format '{{.NetworkSettings.IPAddress}}' "$cid" 2>&1)
        check_match "podman run on its default bridge network: the container has its address" '^10\.88\.[0-9]+\.[0-9]+$' "$address"
        check_match "...on its eth0, seen from inside" "inet $address/16" \
                "$(in_ns "${PODMAN[@]}" exec "$cid" cat /tmp/addr 2>&1)"
        check "...and the host reaches it (ping, in the test's namespace)" in_ns busybox ping -c 1 -W 2 "$address"
        in_ns "${PODMAN[@]}" rm -f "$cid" >/dev/null 2>&1
        ip netns del "$NET_NS"
        [ -n "$cni_made" ] && rm -rf /var/lib/cni
else
        echo "SKIP (one check): cannot make a network namespace for podman's default network"
fi
id=$("${PODMAN[@]}" run -d "${LIMITS[@]}" localhost/ml-oci-test /bin/sleep 60 2>&1)
check_match "podman run -d, then ps: up" "Up" "$("${PODMAN[@]}" ps --filter "id=$id" --format '{{.Status}}' 2>&1)"
out=$("${PODMAN[@]}" exec "$id" /bin/sh -c 'echo in-exec; exit 4' 2>&1)
check_eq "podman exec: the output, and the exit status 4" "in-exec 4" "$out $?"
out=$(echo piped | "${PODMAN[@]}" exec -i -e E=v -w /tmp "$id" /bin/sh -c 'cat; echo $E; pwd' 2>&1)
check_eq "podman exec -i -e -w" "piped v /tmp" "$(flat "$out")"
out=$("${PODMAN[@]}" exec -t "$id" /bin/sh -c 'tty; echo on-a-tty' 2>&1 | tr -d '\r')
check_match "podman exec -t: the process has a pty of the container's" "^/dev/pts/[0-9]+ on-a-tty$" "$(flat "$out")"
drive exec-it -- "${PODMAN[@]}" exec -it "$id" sh < <(
        printf '%s\n' 'expect (#|\$)[ ]' 'sendline tty; echo $((6*7))' 'expect (/dev/[a-z/0-9]+)' 'expect (42)'
        interrupt_resize_exit 3
)
check_match "podman exec -it: a shell on a pty of the container's, Ctrl-C, a resize, its exit status 3" \
        "^/dev/pts/[0-9]+ 42 33 101 3$" "$(field match 2) $(field match 3) $(field match 5) $RC"
"${PODMAN[@]}" stop -t 1 "$id" >/dev/null 2>&1
check_eq "podman stop of a PID 1 that ignores SIGTERM: killed, 137" 137 \
        "$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$id" 2>&1)"
id=$("${PODMAN[@]}" run -d "${LIMITS[@]}" localhost/ml-oci-test /bin/sleep 61 2>&1)
out=$("${PODMAN[@]}" rm -f "$id" 2>&1)
rc=$?
check_eq "podman rm -f of a running container: exit 0, gone from podman ps -a, its process gone" "0 0 gone" \
        "$rc $("${PODMAN[@]}" ps -a -q --filter "id=$id" 2>/dev/null | wc -l) $(pgrep -fx '/bin/sleep 61' >/dev/null && echo alive || echo gone)"
"${PODMAN[@]}" rm -af >/dev/null 2>&1
"${PODMAN[@]}" rmi -af >/dev/null 2>&1
for d in "$CG/libpod_parent" /sys/fs/cgroup/*/libpod_parent; do
        [ -d "$d" ] && ! grep -qxF "$d" <<<"$libpod_before" && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
done

host_unchanged "after podman"
finish
