#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one libFuzzer target of tests/fuzz/ for a bounded time on its corpus, which it seeds
# first: as tests/run-all and `meson test --suite fuzz` (a -Dfuzz=true build) run them. Not
# for replaying a crash: run the target itself on the crash-* file it wrote.
#
#     run-fuzzer.sh options|dissect|settings|oci-config FUZZER CORPUS-DIR [SECONDS]   (30 unless told)
#
# Exit status: the fuzzer's (0 when it found nothing).
set -u
[ $# -ge 3 ] || { echo "usage: $0 options|dissect|settings|oci-config FUZZER CORPUS-DIR [SECONDS]" >&2; exit 2; }
target=$1 fuzzer=$2 corpus=$3 seconds=${4:-30}
tests_dir=$(dirname "$0")/..
PATH=$PATH:/sbin:/usr/sbin
mkdir -p "$corpus" || exit 1
limits=()

case $target in
oci-config)
        # A config.json as runc spec writes one, and bits of one.
        printf '%s' '{"ociVersion":"1.0.2","process":{"terminal":false,"user":{"uid":0,"gid":0,"additionalGids":[5]},"args":["sh"],"env":["PATH=/bin"],"cwd":"/","capabilities":{"bounding":["CAP_KILL"]},"rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],"noNewPrivileges":true,"oomScoreAdj":-5},"root":{"path":"rootfs","readonly":true},"hostname":"x","mounts":[{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/d","type":"bind","source":"/tmp","options":["rbind","ro","nosuid"]},{"destination":"/t","type":"tmpfs","source":"tmpfs","options":["size=1m","mode=755"]}],"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/x"},{"type":"mount"},{"type":"user"}],"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"gidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"cgroupsPath":"/a/b","resources":{"devices":[{"allow":false,"access":"rwm"}]},"rootfsPropagation":"rprivate"},"annotations":{"k":"v"}}' > "$corpus/seed1"
        printf '%s' '{"ociVersion":"1.3.0","root":{"path":"/"},"process":{"args":[],"cwd":"x"},"linux":{"namespaces":[{"type":"ipx"}],"seccomp":{}}}' > "$corpus/seed2"
        ;;
options)
        printf 'boot\0debian\0--property=MemoryMax=1G' > "$corpus/seed1"
        printf 'run\0-D\0/t\0--system-call-filter=~@clock\0--capability=all\0--\0/bin/sh' > "$corpus/seed2"
        printf 'run\0-D\0/t\0--overlay=/a:/b\\:c:/up:/d\0--overlay=+/var::/var\0--overlay-ro=/a:+/b\0--\0/bin/sh' > "$corpus/seed3"
        ;;
dissect)
        # Seeds: a bare ext4, a small GPT whose root partition holds it, and that GPT with two
        # partitions on the same sectors. libblkid looks for no GPT on less than 1.4 MiB: hence
        # the 2 MiB image and -max_len.
        limits=(-max_len=2097152)
        if command -v sfdisk >/dev/null && command -v mkfs.ext4 >/dev/null; then
                [ -f "$corpus/ext4.raw" ] ||
                        { truncate -s 1M "$corpus/ext4.raw" && mkfs.ext4 -q -F "$corpus/ext4.raw" 2>/dev/null; }
                [ -f "$corpus/gpt.raw" ] ||
                        { truncate -s 2M "$corpus/gpt.raw" &&
                          printf 'label: gpt\nfirst-lba: 34\nstart=64, size=2048, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="root"\nstart=2112, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"\n' |
                          sfdisk -q --no-reread --no-tell-kernel "$corpus/gpt.raw" >/dev/null &&
                          dd if="$corpus/ext4.raw" of="$corpus/gpt.raw" bs=512 seek=64 conv=notrunc status=none; }
                # The same GPT with its ESP moved onto the root's sectors (a table sfdisk refuses).
                [ -f "$corpus/gpt-overlap.raw" ] ||
                        { cp "$corpus/gpt.raw" "$corpus/gpt-overlap.raw" &&
                          python3 "$tests_dir/gpt-edit.py" "$corpus/gpt-overlap.raw" 2 64 2111; }
        fi
        ;;
settings)
        cp "$tests_dir"/../machines/*.machine "$corpus/" 2>/dev/null
        printf '[Exec]\nParameters=/bin/sh -c "echo a b"\nEnvironment=A=b\n[Files]\nBind=/a:/b:norbind\nTemporaryFileSystem=/t:mode=1777\nOverlay=/a:+/b::/c\nOverlayReadOnly=/a:/b\n' \
                > "$corpus/seed"
        ;;
*)
        echo "$0: no fuzz target '$target' (options, dissect, settings)" >&2
        exit 2
        ;;
esac

exec "$fuzzer" -max_total_time="$seconds" "${limits[@]}" -close_fd_mask=3 -timeout=5 "$corpus"
