#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted commands are expanded by the container's shell
# machined-lite-oci's mounts: a bind's options as the specification lists them (its
# flags on its top mount or, r-options, on each of its mounts; its propagation), seen
# from inside the container in /proc/self/mountinfo and by a mount the host makes while
# it runs; what a bind cannot be refused in one line, nothing left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"
# shellcheck disable=SC2317 # the EXIT trap
cleanup_mounts() {
        umount -R "$WORK/shared" 2>/dev/null
        umount "$WORK/rosrc" 2>/dev/null
        cleanup_containers
}
trap cleanup_mounts EXIT
# shell_bundle COMMAND NAME MOUNTS: a bundle running COMMAND with sh, in cgroup NAME, with
# the JSON list MOUNTS after its own mounts.
shell_bundle() {
        bundle '["/bin/true"]'
        python3 - "$BUNDLE/config.json" "$1" "$2" "$3" <<'EOT'
import json, sys
path, command, name, mounts = sys.argv[1:]
config = json.load(open(path))
config["process"]["args"] = ["/bin/sh", "-c", command]
config["linux"]["cgroupsPath"] = "/ml-oci-test/" + name
config["mounts"] += json.loads(mounts)
json.dump(config, open(path, "w"), indent=2)
EOT
}

# A shared mount on the host (its root may be private, as here): the binds of it are
# slaves of it unless a bind asks otherwise.
mkdir -p "$WORK/shared"
mount -t tmpfs -o size=1m ml-oci-shared "$WORK/shared"
mount --make-shared "$WORK/shared"
mkdir "$WORK/shared/sub" "$WORK/shared/deep" "$WORK/rosrc"
# A read-only, nosuid, noexec mount of the host's: no option of a bind lifts that.
mount -t tmpfs -o ro,nosuid,noexec,size=1m ml-oci-ro "$WORK/rosrc"
mount -t tmpfs -o size=1m ml-oci-deep "$WORK/shared/deep"
# mountinfo's fields of a mount point: its options, then the optional fields (propagation).
cmd='while [ ! -e /def/go ]; do sleep 0.05; done
for m in /opts /opts/deep /rec /rec/deep /def /priv /unb /rwro /hostro; do
        awk -v m=$m '"'"'$5 == m { o = ""; for (i = 7; $i != "-"; i++) o = o " " $i; print m, $6 (o == "" ? " private" : o) }'"'"' /proc/self/mountinfo | sed "s/:[0-9]*//g"
done
echo sub: $(awk '"'"'$5 == "/def/sub" || $5 == "/priv/sub" { print $5 }'"'"' /proc/self/mountinfo)'
sh=$WORK/shared
shell_bundle "$cmd" binds "[
    {\"destination\": \"/opts\", \"type\": \"bind\", \"source\": \"$sh\",
     \"options\": [\"rbind\", \"ro\", \"nosuid\", \"noexec\", \"nosymfollow\", \"noatime\", \"nodiratime\"]},
    {\"destination\": \"/rec\", \"type\": \"bind\", \"source\": \"$sh\", \"options\": [\"rbind\", \"rnosuid\", \"rnoexec\", \"rnoatime\"]},
    {\"destination\": \"/def\", \"type\": \"bind\", \"source\": \"$sh\", \"options\": [\"rbind\"]},
    {\"destination\": \"/priv\", \"type\": \"bind\", \"source\": \"$sh\", \"options\": [\"rbind\", \"rprivate\"]},
    {\"destination\": \"/unb\", \"type\": \"bind\", \"source\": \"$sh\", \"options\": [\"bind\", \"unbindable\"]},
    {\"destination\": \"/rwro\", \"type\": \"bind\", \"source\": \"$sh\", \"options\": [\"rbind\", \"rw\", \"ro\"]},
    {\"destination\": \"/hostro\", \"type\": \"bind\", \"source\": \"$WORK/rosrc\", \"options\": [\"rbind\", \"rw\", \"suid\", \"exec\"]}]"
oci create --bundle "$BUNDLE" binds </dev/null > "$WORK/binds.out" 2>&1
oci start binds
# A mount made on the host once the container runs: a slave bind sees it, a private not.
mount -t tmpfs -o size=1m ml-oci-sub "$WORK/shared/sub"
touch "$WORK/shared/go"
for _ in $(seq 100); do [ "$(oci state binds | json_field status)" = stopped ] && break; sleep 0.05; done
mapfile -t seen < "$WORK/binds.out"
check_eq "ro, nosuid, noexec, nosymfollow, noatime, nodiratime on the bind's top mount (nodev: every bind's)" \
        "/opts ro,nosuid,nodev,noexec,noatime,nodiratime,nosymfollow master" "${seen[0]}"
check_eq "...not on the mount below it but ro and nodev (rbind; ro the whole tree's)" \
        "/opts/deep ro,nodev,relatime master" "${seen[1]}"
check_eq "rnosuid, rnoexec, rnoatime: the bind's top mount" "/rec rw,nosuid,nodev,noexec,noatime master" "${seen[2]}"
check_eq "...and the mount below it" "/rec/deep rw,nosuid,nodev,noexec,noatime master" "${seen[3]}"
check_eq "no propagation option: a slave of the host's shared mount" "/def rw,nodev,relatime master" "${seen[4]}"
check_eq "rprivate: private" "/priv rw,nodev,relatime private" "${seen[5]}"
check_eq "unbindable" "/unb rw,nodev,relatime unbindable" "${seen[6]}"
check_eq "rw then ro: ro, the last word" "/rwro ro,nodev,relatime master" "${seen[7]}"
check_eq "rw, suid, exec on a read-only, nosuid, noexec mount of the host's: as restricted as its source" \
        "/hostro ro,nosuid,nodev,noexec,relatime private" "${seen[8]}"
check_eq "the host's mount made while it runs reaches the slave bind, not the private one" "sub: /def/sub" "${seen[9]}"
oci delete binds
umount "$WORK/shared/sub"

# Mounts of other types, as mount(2) takes them: an overlay (podman's :O volumes), proc
# and mqueue elsewhere than their places, each nodev as every mount of a machine's.
mkdir -p "$WORK/low" "$WORK/up" "$WORK/ovwork"
echo from-lower > "$WORK/low/file"
cmd='cat /ov/file; echo written > /ov/new
awk '"'"'$5 == "/ov" || $5 == "/mq" { print $5, $6, $9 }'"'"' /proc/self/mountinfo'
shell_bundle "$cmd" typed "[
    {\"destination\": \"/ov\", \"type\": \"overlay\", \"source\": \"overlay\",
     \"options\": [\"lowerdir=$WORK/low\", \"upperdir=$WORK/up\", \"workdir=$WORK/ovwork\", \"private\"]},
    {\"destination\": \"/mq\", \"type\": \"mqueue\", \"source\": \"mqueue\", \"options\": [\"nosuid\", \"noexec\"]}]"
oci create --bundle "$BUNDLE" typed </dev/null > "$WORK/typed.out" 2>&1
oci start typed
for _ in $(seq 100); do [ "$(oci state typed | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "an overlay mount: the lower layer's file, a write that goes to the upper layer" \
        "from-lower written" "$(sed -n 1p "$WORK/typed.out") $(cat "$WORK/up/new" 2>&1)"
check_eq "...the overlay and an mqueue, nodev (mountinfo: point, options, type)" "/ov rw,nodev,relatime overlay
/mq rw,nosuid,nodev,noexec,relatime mqueue" "$(sed -n '2,3p' "$WORK/typed.out")"
oci delete typed
shell_bundle true bad '[{"destination": "/x", "type": "nosuchfs", "source": "none"}]'
one_line_error "a file system type no container mounts (nosuchfs): exit 2" 2 \
        "mounts\[6\]: a nosuchfs mount at /x: a container mounts file systems that hold files" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
shell_bundle true bad '[{"destination": "/x", "type": "cpuset", "source": "cpuset"}]'
one_line_error "cpuset (cgroup v1's, under another name): exit 2" 2 "mounts\[6\]: a cpuset mount at /x: a container mounts" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
shell_bundle true bad '[{"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m,dev"]}]'
one_line_error "dev after a comma in one option: exit 2" 2 "mounts\[6\]: options 'size=1m,dev': every mount of a machine's is nodev" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
shell_bundle true bad '[{"destination": "/x", "type": "devpts", "source": "devpts", "options": ["newinstance,shared"]}]'
one_line_error "a propagation flag after a comma: exit 2" 2 "mounts\[6\]: options 'newinstance,shared': remount, bind, move, rec and the propagation ones" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
shell_bundle true bad '[{"destination": "/x", "type": "proc", "source": "proc"}]'
one_line_error "a proc mount elsewhere than /proc (it would show the host's): exit 2" 2 \
        "mounts\[6\]: a proc mount at /x: .*the kernel's own \(proc, sysfs, cgroup...\) only where the machine has them" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
shell_bundle true bad '[{"destination": "/x", "type": "ext4", "source": "/dev/vda", "options": ["remount", "ro"]}]'
one_line_error "a mount that is a remount: exit 2" 2 "mounts\[6\]: options 'remount,ro': remount, bind, move, rec and the propagation ones change mounts there" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# linux.namespaces' mount with a path: the root built in that namespace and the container
# in it, as runc does (a holder's namespace here, made with unshare -m).
unshare -m --propagation private sleep 600 &
holder=$!
for _ in $(seq 50); do [ "$(readlink "/proc/$holder/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break; sleep 0.02; done
holder_ns=$(readlink "/proc/$holder/ns/mnt")
shell_bundle 'cat /data/file; readlink /proc/self/ns/mnt; test -e /bin/busybox && echo its-root' joinmnt '[]'
python3 - "$BUNDLE/config.json" "/proc/$holder/ns/mnt" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
for ns in config["linux"]["namespaces"]:
    if ns["type"] == "mount":
        ns["path"] = sys.argv[2]
json.dump(config, open(sys.argv[1], "w"), indent=2)
EOT
oci create --bundle "$BUNDLE" joinmnt </dev/null > "$WORK/joinmnt.out" 2>&1
oci start joinmnt
for _ in $(seq 100); do [ "$(oci state joinmnt | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a mount namespace joined by path: the container in it, in its own root, its binds there" \
        "from-the-host $holder_ns its-root" "$(tr '\n' ' ' < "$WORK/joinmnt.out" | sed 's/ $//')"
oci delete joinmnt
kill "$holder"
wait "$holder" 2>/dev/null
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["uidMappings"] = config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 1500000, "size": 65536}]
config["linux"]["namespaces"].append({"type": "user"})
json.dump(config, open(sys.argv[1], "w"), indent=2)
EOT
one_line_error "a mount namespace joined by path with a user namespace: exit 2" 2 \
        "linux.namespaces: a mount namespace joined by path takes no user namespace" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# What a bind cannot be: one line, exit 2, nothing made.
bad_bind() {
        shell_bundle true bad "[{\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"$WORK/shared\", \"options\": [\"rbind\", \"$1\"]}]"
}
bad_bind rshared
one_line_error "rshared (the container's mounts back to the host): exit 2" 2 \
        "mounts\[6\]: option 'rshared' would carry the container's mounts back to the host" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bad_bind dev
one_line_error "dev on a bind: exit 2" 2 "mounts\[6\]: option 'dev': every bind is nodev" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bad_bind sync
one_line_error "sync, the file system's own flag: exit 2" 2 "mounts\[6\]: option 'sync' is no option of a bind" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]'
sed -i 's|"options": \["size=1m", "mode=1777"\]|"options": ["size=1m", "mode=1777", "dev"]|' "$BUNDLE/config.json"
one_line_error "dev on a tmpfs: exit 2" 2 "mounts\[5\]: option 'dev': every mount of a machine's is nodev but devpts" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
check "after the refusals: no container in the state directory" test -z "$(oci list -q)"
umount -R "$WORK/shared"
umount "$WORK/rosrc"
rmdir "$CG/ml-oci-test"
host_unchanged "after the binds"
finish
