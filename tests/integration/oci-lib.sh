#!/bin/bash
# The setup the machined-lite-oci tests share (sourced, after lib.sh): a work directory,
# our entry point linked in it as $OCI, its state under $ROOT, a busybox bundle in
# $BUNDLE, bundle() to write its config.json, and what a failed check left deleted at exit.
require_root
make_work
mkdir -p "$WORK/bin"
ln -s "$ML" "$WORK/bin/machined-lite-oci"
OCI=$WORK/bin/machined-lite-oci
ROOT=$WORK/state
CG=$(cgroup2_mount)
[ -n "$CG" ] || skip "no cgroup2 hierarchy is mounted"
# Whatever a failed check left: deleted, and its cgroup's parent.
# shellcheck disable=SC2317 # the EXIT trap
cleanup_containers() {
        local id
        "$OCI" --root "$ROOT" list -q 2>/dev/null | while read -r id; do "$OCI" --root "$ROOT" delete --force "$id"; done
        "$OCI" delete --force ml-oci-listed 2>/dev/null
        rmdir "$CG/ml-oci-test" 2>/dev/null
        cleanup_work
}
trap cleanup_containers EXIT
host_snapshot

BUNDLE=$WORK/bundle
make_busybox_tree "$BUNDLE/rootfs"
mkdir -p "$WORK/data"
echo from-the-host > "$WORK/data/file"

# bundle ARGS-JSON [EXTRA-PROCESS-JSON] [EXTRA-TOP-JSON] [EXTRA-LINUX-JSON]: writes
# $BUNDLE/config.json.
bundle() {
        cat > "$BUNDLE/config.json" <<EOF
{
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": $1,
    "env": ["PATH=/bin:/sbin", "GREETING=hello"],
    "cwd": "/tmp",
    "capabilities": { "bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"],
                      "permitted": ["CAP_CHOWN", "CAP_KILL"] },
    "noNewPrivileges": true${2:+,
    $2}
  },
  "root": { "path": "rootfs" },
  "hostname": "ocibox",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755"] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec"] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "ro"] },
    { "destination": "/data", "type": "bind", "source": "$WORK/data", "options": ["rbind", "ro"] },
    { "destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=1777"] }
  ],
  "linux": {
    "namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" } ],
    "cgroupsPath": "/ml-oci-test/\${ID:-ctr}"${4:+,
    $4}
  },
  "annotations": { "org.example.test": "yes" }${3:+,
  $3}
}
EOF
}
oci() { "$OCI" --root "$ROOT" "$@"; }
flat() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; }
json_field() { sed -n "s/^  \"$1\": \"\\{0,1\\}\\([^\",]*\\).*/\\1/p"; }
