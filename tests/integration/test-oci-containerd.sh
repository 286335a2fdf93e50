#!/bin/bash
# machined-lite-oci under containerd (Debian's 1.6, the road to Kubernetes): a containerd
# of the test's own (its state, socket and snapshots in the work directory), its runc
# shim (io.containerd.runc.v2) told to use our entry point as its runc binary, driven
# with ctr as a user would: run with the output and the exit status, run -d, task exec,
# ps, metrics, kill and delete; nothing of ours left after.
. "$(dirname "$0")/lib.sh"
require_root
{ command -v containerd && command -v ctr; } >/dev/null || skip "containerd is not installed (apt-get install containerd)"
command -v podman >/dev/null || skip "podman is not installed: it makes the image here (apt-get install podman)"
make_work
mkdir -p "$WORK/bin" "$WORK/ctrd"
ln -s "$ML" "$WORK/bin/machined-lite-oci"
OCI=$WORK/bin/machined-lite-oci
CTRD=$WORK/ctrd
# The shim keeps its sockets, and ctr its FIFOs, under /run/containerd whatever the
# daemon's state directory: removed after if this test made it.
run_containerd_made=
[ -e /run/containerd ] || run_containerd_made=yes
# ...and the runc shim puts a container of namespace "default" in the cgroup /default,
# which nobody removes: removed after if this test made it.
CG=$(cgroup2_mount)
default_cgroups_before=$(ls -d "$CG/default" /sys/fs/cgroup/*/default 2>/dev/null)
# shellcheck disable=SC2317 # the EXIT trap
cleanup_containerd() {
        [ -n "${CTRD_PID:-}" ] && kill "$CTRD_PID" 2>/dev/null && wait "$CTRD_PID" 2>/dev/null
        [ -n "$run_containerd_made" ] && rm -rf /run/containerd
        for d in "$CG/default" /sys/fs/cgroup/*/default; do
                [ -d "$d" ] && ! grep -qxF "$d" <<<"$default_cgroups_before" && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        cleanup_work
}
trap cleanup_containerd EXIT
# no_failed_cleanup: containerd's log (where its shims' warnings go) has no failed
# "delete --force" of the shim's cleanup, the lines printed if it has. One form is left
# out: "exit status 255" with no output, the shim losing its child's exit status to its
# own reaper (it comes with runc itself, 4 runs in 30 here; our exit codes are 0 to 7).
# shellcheck disable=SC2317 # called through check
no_failed_cleanup() {
        ! grep -F "failed to remove runc container" "$CTRD/containerd.log" | grep -vF 'exit status 255: \"' >&2
}
host_snapshot

cat > "$CTRD/config.toml" <<EOF
version = 2
root = "$CTRD/root"
state = "$CTRD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.opt"]
[grpc]
  address = "$CTRD/containerd.sock"
[ttrpc]
  address = "$CTRD/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
containerd --config "$CTRD/config.toml" >"$CTRD/containerd.log" 2>&1 &
CTRD_PID=$!
CTR=(ctr -a "$CTRD/containerd.sock")
for _ in $(seq 100); do "${CTR[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${CTR[@]}" version >/dev/null 2>&1 || { fail "containerd did not start: $(tail -n 3 "$CTRD/containerd.log")"; finish; }

# The image: the busybox tree, through podman into a docker archive that ctr imports.
make_busybox_tree "$WORK/rootfs"
PODMAN=(podman --root "$WORK/podman" --runroot "$WORK/podman-run" --storage-driver vfs)
tar -C "$WORK/rootfs" -c . | "${PODMAN[@]}" import - localhost/ml-ctr-test >/dev/null 2>&1
"${PODMAN[@]}" save --format docker-archive -o "$WORK/image.tar" localhost/ml-ctr-test:latest >/dev/null 2>&1
"${PODMAN[@]}" rmi -af >/dev/null 2>&1
"${CTR[@]}" images import --snapshotter native "$WORK/image.tar" >/dev/null 2>&1
check_eq "the image is in containerd" localhost/ml-ctr-test:latest "$("${CTR[@]}" images ls -q)"
IMAGE=localhost/ml-ctr-test:latest
RUNC=(--snapshotter native --runc-binary "$OCI" --runc-root "$WORK/runc-root")

out=$(timeout 60 "${CTR[@]}" run --rm "${RUNC[@]}" "$IMAGE" ml-ctr-a /bin/sh -c 'echo hello; hostname; tr "\0" " " < /proc/1/cmdline; exit 3' </dev/null 2>&1)
rc=$?
# (No hostname in ctr's spec: the host's, in a UTS namespace of its own, as with runc.)
check_eq "ctr run --rm: the output (PID 1 is the command), and the exit status 3" \
        "hello $(hostname) /bin/sh -c echo hello; hostname; tr \"\\0\" \" \" < /proc/1/cmdline; exit 3 3" \
        "$(tr '\n' ' ' <<<"$out" | sed 's/ *$//') $rc"
check "the state directory under --runc-root is gone with it" test -z "$(ls -A "$WORK/runc-root/default" 2>/dev/null)"

timeout 60 "${CTR[@]}" run -d "${RUNC[@]}" "$IMAGE" ml-ctr-b /bin/sleep 60 </dev/null >/dev/null 2>&1
check_eq "ctr run -d: the task runs" RUNNING "$("${CTR[@]}" task ls | awk '$1 == "ml-ctr-b" { print $3 }')"
pid=$("${CTR[@]}" task ls | awk '$1 == "ml-ctr-b" { print $2 }')
check_eq "its PID is our container's init, /bin/sleep 60 on the host" "sleep" "$(cat "/proc/$pid/comm" 2>&1)"
out=$(timeout 30 "${CTR[@]}" task exec --exec-id e1 ml-ctr-b /bin/sh -c 'echo in-exec; readlink /proc/self/ns/pid; exit 4' </dev/null 2>&1)
rc=$?
check_eq "ctr task exec: the output, in the task's PID namespace, and the exit status 4" \
        "in-exec $(readlink "/proc/$pid/ns/pid") 4" "$(tr '\n' ' ' <<<"$out" | sed 's/ *$//') $rc"
check_match "ctr task ps lists the init" "^$pid " "$("${CTR[@]}" task ps ml-ctr-b | tail -n +2)"
check_match "ctr task metrics reads its cgroup" "memory" "$("${CTR[@]}" task metrics ml-ctr-b 2>&1)"
"${CTR[@]}" task kill -s SIGKILL ml-ctr-b
for _ in $(seq 100); do [ "$("${CTR[@]}" task ls | awk '$1 == "ml-ctr-b" { print $3 }')" = STOPPED ] && break; sleep 0.1; done
check_eq "ctr task kill -s SIGKILL: stopped" STOPPED "$("${CTR[@]}" task ls | awk '$1 == "ml-ctr-b" { print $3 }')"
"${CTR[@]}" task delete ml-ctr-b >/dev/null 2>&1
check_eq "ctr task delete: exit 0" 0 "$?"
"${CTR[@]}" container rm ml-ctr-b
check "...and nothing of it under --runc-root" test -z "$(ls -A "$WORK/runc-root/default" 2>/dev/null)"
check "no cleanup of containerd's failed on our runtime" no_failed_cleanup
check "delete --force of the container gone, as the shim's cleanup runs it: exit 0" \
        "$OCI" --root "$WORK/runc-root/default" delete --force ml-ctr-b

"${CTR[@]}" images rm "$IMAGE" >/dev/null 2>&1
kill "$CTRD_PID"
wait "$CTRD_PID" 2>/dev/null
CTRD_PID=
host_unchanged "after containerd"
finish
