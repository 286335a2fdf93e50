#!/bin/bash
# Faults in start-up (issue 12): SIGKILL of machined-lite at random moments of start-up
# and after it, for a directory tree, a GPT disk image (-i), a user namespace (-U) and an
# ephemeral overlay (-x, in memory and with --ephemeral-dir); SIGKILL of a --template copy
# in the middle; no space left while the state file is written (a full /run) and in
# --ephemeral-dir. After each fault nothing of the machine is left: no mount, loop device,
# cgroup (v2 and every v1 hierarchy), state file, process, temporary tree or ephemeral
# directory; the name is free again (a new machine of that name runs, list does not show
# the dead one).
#
# The delays are random but reproducible: FAULTS_SEED=N replays a run (its seed is the
# first line).
. "$(dirname "$0")/lib.sh"
require_root
make_work
PATH=$PATH:/sbin:/usr/sbin
for tool in sfdisk mkfs.ext4 losetup unshare; do
        command -v $tool >/dev/null || skip "$tool is not installed (fdisk, e2fsprogs, mount, util-linux)"
done
trap 'pkill -KILL -f -- "-M ml-fault-" 2>/dev/null; cleanup_work' EXIT
SEED=${FAULTS_SEED:-$(date +%s)}
RANDOM=$SEED
echo "# seed $SEED (FAULTS_SEED=$SEED replays the delays below)"
# Only what is named after this test's machines or lies in its directory counts: other
# machines may come and go on the host meanwhile.
HOST_STATE_ONLY="ml-fault-|$WORK|/run/machined-lite/image-root"
export HOST_STATE_ONLY

# A tree for the kinds that write it, one each (a tree has one writer at a time), and one
# that the ephemeral kinds share.
TREE=$WORK/tree
make_busybox_tree "$TREE"
mkdir -p "$TREE/home"
cp -a "$TREE" "$WORK/tree-dir"
cp -a "$TREE" "$WORK/tree-userns"
# A GPT image of the same tree: the root and /home on partitions of their own, so that
# two loop devices are attached.
ROOT_X86_64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
HOME_PART=933AC7E1-2EB4-4F13-B844-0E14E2AEF915
truncate -s 16M "$WORK/root.ext4" && mkfs.ext4 -q -F -d "$TREE" "$WORK/root.ext4"
mkdir -p "$WORK/home" && echo home > "$WORK/home/marker"
truncate -s 8M "$WORK/home.ext4" && mkfs.ext4 -q -F -d "$WORK/home" "$WORK/home.ext4"
IMAGE=$WORK/disk.raw
truncate -s 26M "$IMAGE"
printf 'label: gpt\nstart=2048, size=32768, type=%s, name=root\nstart=34816, size=16384, type=%s, name=home\n' \
        $ROOT_X86_64 $HOME_PART | sfdisk -q --no-reread --no-tell-kernel "$IMAGE" >/dev/null
dd if="$WORK/root.ext4" of="$IMAGE" bs=512 seek=2048 conv=notrunc status=none
dd if="$WORK/home.ext4" of="$IMAGE" bs=512 seek=34816 conv=notrunc status=none
mkdir "$WORK/ephemeral"
host_snapshot

# The guest's command, marked so that any process of it that outlives the machine is found.
MARK=ml-fault-guest
GUEST=(/bin/sh -c "sleep 1000; : $MARK")
KINDS=(dir img userns eph ephdir)
# machine_args KIND: ARGS, the options of machine ml-fault-KIND.
machine_args() {
        case $1 in
        dir) ARGS=(-D "$WORK/tree-dir") ;;
        img) ARGS=(-i "$IMAGE") ;;
        userns) ARGS=(-U -D "$WORK/tree-userns") ;;
        eph) ARGS=(-x -D "$TREE") ;;
        ephdir) ARGS=(-x --ephemeral-dir="$WORK/ephemeral" -D "$TREE") ;;
        esac
        ARGS=(run -q --console=pipe -M "ml-fault-$1" "${ARGS[@]}")
}
# machine KIND COMMAND...: runs machine ml-fault-KIND.
machine() {
        machine_args "$1"
        shift
        "$ML" "${ARGS[@]}" "$@"
}
# sleep_ms MS
sleep_ms() {
        sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}
# gone PID: no such process, or a zombie (this VM's init reaps only now and then).
gone() {
        [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# now_ms: a monotonic-enough clock in milliseconds.
now_ms() {
        echo $(($(date +%s%N) / 1000000))
}

# The start-up time of each kind: the longest of 3 whole runs of /bin/true (start-up and
# teardown).
declare -A STARTUP
for kind in "${KINDS[@]}"; do
        STARTUP[$kind]=0
        for _ in 1 2 3; do
                start=$(now_ms)
                machine "$kind" -- /bin/true </dev/null >>"$WORK/$kind.out" 2>&1
                rc=$?
                took=$(($(now_ms) - start))
                [ "$took" -gt "${STARTUP[$kind]}" ] && STARTUP[$kind]=$took
        done
        check_eq "ml-fault-$kind: /bin/true runs (at most ${STARTUP[$kind]} ms)" 0 "$rc"
done
host_unchanged "after one run of each kind"

# nothing_left WHAT KIND...: what a dead machine of each KIND must not leave behind.
nothing_left() {
        local what=$1 kind
        shift
        host_unchanged "$what"
        check_eq "$what: no guest process is left" "" "$(pgrep -f -- "$MARK" | tr '\n' ' ')"
        check_eq "$what: nothing left in --ephemeral-dir" "" "$(ls -A "$WORK/ephemeral")"
        for kind in "$@"; do
                check_eq "$what: list does not show ml-fault-$kind" "" "$("$ML" list 2>&1 | grep -w "ml-fault-$kind")"
        done
}

# ---- SIGKILL of machined-lite at random moments ----
ROUNDS=8
KILLED_RUNNING=0
for round in $(seq $ROUNDS); do
        declare -A DELAY=()
        line=
        for kind in "${KINDS[@]}"; do
                # Uniformly over the start-up time and a quarter more: some kills land
                # while the guest runs.
                DELAY[$kind]=$((RANDOM % (STARTUP[$kind] * 5 / 4 + 1)))
                line+=" $kind=${DELAY[$kind]}ms"
        done
        echo "# round $round: SIGKILL after$line"
        for kind in "${KINDS[@]}"; do
                (
                        machine_args "$kind"
                        "$ML" "${ARGS[@]}" -- "${GUEST[@]}" </dev/null >>"$WORK/$kind.out" 2>&1 &
                        pid=$!
                        sleep_ms "${DELAY[$kind]}"
                        # The guest's PID 1, if there is one yet: a child in a PID namespace of its own.
                        own=$(readlink /proc/self/ns/pid)
                        leaders=
                        for child in $(pgrep -P $pid); do
                                ns=$(readlink "/proc/$child/ns/pid" 2>/dev/null)
                                [ -n "$ns" ] && [ "$ns" != "$own" ] && leaders+=" $child"
                        done
                        kill -KILL $pid
                        wait $pid 2>/dev/null
                        echo "${leaders# }" > "$WORK/$kind.leaders"
                ) &
        done
        wait
        leaders=
        for kind in "${KINDS[@]}"; do leaders+=" $(cat "$WORK/$kind.leaders")"; done
        running=$(for l in $leaders; do echo "$l"; done | wc -l)
        KILLED_RUNNING=$((KILLED_RUNNING + running))
        for l in $leaders; do
                for _ in $(seq 100); do gone "$l" && break; sleep 0.05; done
                gone "$l" || fail "round $round: the guest's PID 1 ($l) outlives machined-lite"
        done
        nothing_left "round $round (guests born: $running)" "${KINDS[@]}"
        # The name is free again: the same machine runs to its end.
        for kind in "${KINDS[@]}"; do
                machine "$kind" -- /bin/true </dev/null >>"$WORK/$kind.out" 2>&1
                rc=$?
                [ $rc = 0 ] || fail "round $round: ml-fault-$kind after the kill: exit $rc: $(tail -1 "$WORK/$kind.out")"
        done
done
echo "# $KILLED_RUNNING of $((ROUNDS * 5)) kills came after the guest was born"
host_unchanged "after $ROUNDS rounds of kills and a run of each machine after them"

# ---- SIGKILL of a --template copy in the middle ----
TEMPLATE=$WORK/template
make_busybox_tree "$TEMPLATE"
# 200 MB in 10000 files, so that the copy takes a while (a second or so).
mkdir -p "$TEMPLATE/usr/share/ml-fault"
python3 -c 'import os, sys
data = os.urandom(20480)
for i in range(1, 10001):
    open("%s/file%d" % (sys.argv[1], i), "wb").write(data)' "$TEMPLATE/usr/share/ml-fault"
COPY=$WORK/copies/ml-fault-copy
mkdir "$WORK/copies"
COPY_RUN=("$ML" run -q --console=pipe --template="$TEMPLATE" -D "$COPY" -M ml-fault-copy -- /bin/true)
temporaries() {
        find "$WORK/copies" -mindepth 1 -maxdepth 1 -name '.#*' | sort
}
# How long the copy takes: from its temporary tree's appearing to its renaming.
"${COPY_RUN[@]}" </dev/null >>"$WORK/copy.out" 2>&1 &
pid=$!
for _ in $(seq 1000); do [ -n "$(temporaries)" ] && break; sleep 0.005; done
start=$(now_ms)
for _ in $(seq 2000); do [ -e "$COPY" ] && break; sleep 0.005; done
COPY_MS=$(($(now_ms) - start))
wait $pid
check_eq "a --template copy of 200 MB: exit 0 (the copy itself in $COPY_MS ms)" 0 "$?"
rm -rf "$COPY"
previous=
for i in 1 2 3; do
        # Once it has copied a random number of the files, at most 80% of them: it is
        # killed in the middle, however fast the copy is (a warm cache makes it faster
        # than the first one timed above).
        files=$((RANDOM % 8000 + 1))
        "${COPY_RUN[@]}" </dev/null >>"$WORK/copy.out" 2>&1 &
        pid=$!
        temporary=
        for _ in $(seq 200); do
                temporary=$(temporaries | grep -vxF -- "${previous:-/}" | head -1)
                [ -n "$temporary" ] && [ "$temporary" != "$previous" ] && break
                temporary=
                sleep 0.005
        done
        for _ in $(seq 2000); do
                [ "$(compgen -G "$temporary/usr/share/ml-fault/*" | wc -l)" -ge $files ] && break
                [ -e "$COPY" ] && break
                sleep 0.002
        done
        echo "# copy $i: SIGKILL once $files of its 10000 files were copied"
        kill -KILL $pid
        wait $pid 2>/dev/null
        check "copy $i: its temporary tree was there before the kill (${temporary#"$WORK"/copies/})" test -n "$temporary"
        check "copy $i: killed in the middle: no $COPY" test ! -e "$COPY"
        rm -rf "$COPY"
        if [ -n "$previous" ]; then
                check "copy $i: it removed the one copy $((i - 1)) left" test ! -e "$previous"
        fi
        previous=$temporary
done
"${COPY_RUN[@]}" </dev/null >>"$WORK/copy.out" 2>&1
check_eq "a copy after the kills: exit 0" 0 "$?"
check_eq "... it removed the last killed copy's temporary tree: none left" "" "$(temporaries)"
check_eq "... the copy is whole" 10000 "$(compgen -G "$COPY/usr/share/ml-fault/*" | wc -l)"
rm -rf "$COPY"
nothing_left "after the killed copies" copy

# ---- No space left on device ----
# In a mount namespace of its own: a full tmpfs over /run/machined-lite, and a tmpfs
# with few inodes as --ephemeral-dir. Only the machines run there see them.
cat > "$WORK/enospc.sh" <<'EOF'
# Sourced in a private mount namespace (unshare -m) with lib.sh's functions.
mkdir -p /run/machined-lite
mount -t tmpfs -o size=64k,mode=0755 ml-fault-run /run/machined-lite
head -c 1M /dev/zero > /run/machined-lite/filler 2>/dev/null
mkdir "$WORK/full"
host_snapshot
for kind in dir img; do
        one_line_error "a full /run/machined-lite, ml-fault-$kind" 1 \
                "^machined-lite: Cannot write the state file /run/machined-lite/machines/ml-fault-$kind: No space left on device$" \
                machine $kind -- /bin/true
        check_eq "... no state file (nor its temporary) is left" "" "$(ls -A /run/machined-lite/machines 2>&1)"
        host_unchanged "after the full /run, ml-fault-$kind"
done
rm /run/machined-lite/filler
umount /run/machined-lite

# --ephemeral-dir on a tmpfs that has room for N inodes: each step of making the
# machine's directory there, trying it and the overlays' upper layers runs out in turn.
for inodes in 1 2 3 4 5 6 7 8 9 10; do
        mount -t tmpfs -o nr_inodes=$inodes,mode=0755 ml-fault-full "$WORK/full"
        host_snapshot
        "$ML" run -q --console=pipe -M ml-fault-enospc -x --ephemeral-dir="$WORK/full" -D "$TREE" -- /bin/true </dev/null >"$WORK/stdout" 2>"$WORK/stderr"
        rc=$?
        if [ $rc = 0 ]; then
                pass "--ephemeral-dir with room for $inodes inodes: runs"
        elif [ $rc = 1 ] || [ $rc = 4 ] && [ "$(wc -l < "$WORK/stderr")" = 1 ] &&
                grep -q 'No space left on device' "$WORK/stderr"; then
                pass "--ephemeral-dir with room for $inodes inodes: exit $rc: $(cat "$WORK/stderr")"
        else
                fail "--ephemeral-dir with room for $inodes inodes: exit $rc: $(cat "$WORK/stderr")"
        fi
        check_eq "... nothing is left in it" "" "$(ls -A "$WORK/full")"
        host_unchanged "after --ephemeral-dir with room for $inodes inodes"
        umount "$WORK/full"
done
finish
EOF
cp "$WORK/host-before" "$WORK/host-before.main"
unshare -m --propagation private bash -c \
        ". \"$(dirname "$0")/lib.sh\"; $(declare -f machine_args machine); TREE=$TREE IMAGE=$IMAGE WORK=$WORK; . $WORK/enospc.sh" ||
        FAILURES=$((FAILURES + 1))
mv "$WORK/host-before.main" "$WORK/host-before"
nothing_left "after the full file systems" dir img enospc
finish
