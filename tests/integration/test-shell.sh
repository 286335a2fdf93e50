#!/bin/bash
# shell: a command or a login shell inside a running machine, with neither
# systemd-machined nor systemd in the guest. What the command finds there: the
# machine's PID namespace, host name and cgroup, the user asked for, the bounding set,
# seccomp filter and no_new_privs of the machine's init, a pty of the guest's own devpts
# (driven through a real pty by pty-harness.py); exit statuses passed on; pipes and files
# handed over as they are; a Debian guest with systemd; bad input; nothing left behind.
. "$(dirname "$0")/lib.sh"
require_root
command -v python3 >/dev/null || skip "python3 is not installed (pty-harness.py)"
[ -r "$HARNESS" ] || skip "$HARNESS is missing"
make_work
TREE=$WORK/shell
make_busybox_tree "$TREE"
echo 'builder:x:1000:1000::/home/builder:/bin/sh' >> "$TREE/etc/passwd"
echo 'builder:x:1000:' >> "$TREE/etc/group"
echo 'wheel:x:10:root,builder' >> "$TREE/etc/group"
mkdir -p "$TREE/home/builder"
chown 1000:1000 "$TREE/home/builder"
cp -a "$TREE" "$WORK/shell-userns"
trap 'pkill -KILL -f -- "shell ml-shell-" 2>/dev/null; pkill -KILL -f -- "-M ml-shell-" 2>/dev/null; cleanup_work' EXIT
host_snapshot

# start_boot NAME TREE [OPTIONS]: busybox init as PID 1, up; SUP and LEADER set.
start_boot() {
        local name=$1 tree=$2
        shift 2
        "$ML" boot -q --console=read-only -M "$name" -D "$tree" "$@" </dev/null >"$WORK/console-$name" 2>&1 &
        SUP=$!
        LEADER=$(guest_leader $SUP) || { fail "machine $name did not start: $(cat "$WORK/console-$name")"; finish; }
        for _ in $(seq 100); do grep -q busybox-init-booted "$WORK/console-$name" && break; sleep 0.05; done
}


# The machine's init gets a bounding set without CAP_NET_RAW, no_new_privs, and a
# filter that also denies mknod: the shell must get the same, not the defaults.
start_boot ml-shell-bb "$TREE" --drop-capability=CAP_NET_RAW --no-new-privileges \
        --system-call-filter='~mknod mknodat'
bb_sup=$SUP bb_leader=$LEADER

# --- What a command finds
out=$("$ML" shell ml-shell-bb -- /bin/sh -c 'echo $$; cat /proc/1/comm; hostname; id -u' </dev/null 2>&1)
check_eq "shell -- COMMAND: exit 0" 0 "$?"
pid=$(printf '%s\n' "$out" | sed -n 1p)
check_match "its PID is one of the machine's PID namespace (small): $pid" '^[0-9]$|^[1-9][0-9]$' "$pid"
check_eq "its PID 1 is the machine's init" init "$(printf '%s\n' "$out" | sed -n 2p)"
check_eq "its host name is the machine's" ml-shell-bb "$(printf '%s\n' "$out" | sed -n 3p)"
check_eq "it runs as root by default" 0 "$(printf '%s\n' "$out" | sed -n 4p)"

"$ML" shell ml-shell-bb -- /bin/sh -c 'exit 7' </dev/null
check_eq "the command's exit status is ours (exit 7)" 7 "$?"

# shellcheck disable=SC2016 # expanded by the guest's shell
out=$("$ML" shell ml-shell-bb --uid=builder -- /bin/sh -c 'id -u; id -G; pwd; echo $HOME $USER $LOGNAME $SHELL' </dev/null 2>&1)
check_eq "--uid=builder: UID 1000, its groups, in its home, its environment" \
        "1000|1000 10|/home/builder|/home/builder builder builder /bin/sh" "$(printf '%s\n' "$out" | tr '\n' '|' | sed 's/|$//')"
out=$("$ML" shell ml-shell-bb --uid=1000 -- /bin/id -un </dev/null 2>&1)
check_eq "--uid=1000 (a number) is the same user" builder "$out"

# shellcheck disable=SC2016 # expanded by the guest's shell
out=$("$ML" shell ml-shell-bb --setenv=FOO=bar -E BAZ=1 -- /bin/sh -c 'echo $FOO $BAZ $container $PATH; env | grep -c ^MACHINED_LITE' </dev/null 2>&1)
check_eq "--setenv= and -E are seen, with container= and the standard PATH; nothing of our environment" \
        "bar 1 machined-lite /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|0" \
        "$(printf '%s\n' "$out" | tr '\n' '|' | sed 's/|$//')"

# --- The security settings of the machine's init
status_line() {
        # shellcheck disable=SC2016 # expanded by the guest's shell
        printf 'for f in %s; do grep -E "^(CapBnd|Seccomp|NoNewPrivs):" $f | tr -s "\\t" " " | tr "\\n" " "; echo; done' "$*"
}
out=$("$ML" shell ml-shell-bb -- /bin/sh -c "$(status_line /proc/self/status /proc/1/status)" </dev/null 2>&1)
shell_status=$(printf '%s\n' "$out" | sed -n 1p)
init_status=$(printf '%s\n' "$out" | sed -n 2p)
check_eq "bounding set, seccomp mode and no_new_privs are init's" "$init_status" "$shell_status"
check_match "init's (and so the shell's): seccomp mode 2, no_new_privs 1" "NoNewPrivs: 1 Seccomp: 2" "$shell_status"
check "and CAP_NET_RAW (bit 13) is not in the shell's bounding set" \
        test $(( 0x$(printf '%s\n' "$shell_status" | sed -n 's/.*CapBnd: \([0-9a-f]*\).*/\1/p') & (1 << 13) )) -eq 0
out=$("$ML" shell ml-shell-bb -- /bin/mkfifo /tmp/fifo </dev/null 2>&1)
check_eq "init's filter holds in the shell: mkfifo (mknod) fails" 1 "$?"
check_match "with EPERM" "Operation not permitted" "$out"

# --- Cgroup and PID namespace, seen from the host
"$ML" shell ml-shell-bb -- /bin/sleep 30 </dev/null >/dev/null 2>&1 &
shell_sup=$!
# The command is the grandchild: our child relays its status from outside the guest.
for _ in $(seq 100); do cmd_pid=$(pgrep -P "$(pgrep -P $shell_sup)") && break; sleep 0.05; done
machine_cg=$("$ML" status ml-shell-bb | sed -n 's/^ *CGroup: //p')
cmd_cg=$(cgroup2_mount)$(sed -n 's/^0:://p' "/proc/$cmd_pid/cgroup")
check_eq "the command is in the machine's cgroup (its init's: a leaf)" "$machine_cg" "$cmd_cg"
check_eq "and in the machine's PID namespace" "$(readlink "/proc/$bb_leader/ns/pid")" "$(readlink "/proc/$cmd_pid/ns/pid")"
check_match "status shows it among the machine's processes" "[├└]─$cmd_pid /bin/sleep 30" "$("$ML" status ml-shell-bb)"
kill -TERM "$cmd_pid"
wait $shell_sup
check_eq "the command killed by SIGTERM: exit 143" 143 "$?"
check_eq "the machine's cgroup has no cgroup of ours inside" "" "$(find "$machine_cg" -mindepth 1 -type d)"

# --- A real pty: an interactive login shell at a terminal
guest_pts_dev=$(stat -c %d "/proc/$bb_leader/root/dev/pts/ptmx")
drive interactive --rows 37 --cols 101 -- "$ML" shell ml-shell-bb <<'EOF'
prompt ([#$] )
command tty; stat -c dev=%d $(tty); echo $0; stty size
expect \n(/dev/pts/\d+)\r
expect \ndev=(\d+)\r
expect \n(-\S+)\r
expect \n(\d+ \d+)\r
check-raw
winsize 50 132
command for i in 1 2 3 4 5 6 7 8 9 10; do [ "$(stty size)" = "50 132" ] && break; sleep 0.2; done; stty size
expect \n(\d+ \d+)\r
command exit 3
wait 5
EOF
check_eq "interactive: exit 3 in the shell is our exit status" 3 "$RC"
check_match "interactive: a prompt appears" '^[#$] $' "$(field prompt 1)"
check_match "interactive: tty is a /dev/pts/N" '^/dev/pts/[0-9]+$' "$(field match 1)"
check_eq "of the guest's own devpts" "$guest_pts_dev" "$(field match 2)"
check "not of the host's devpts the harness is on" test "$(field match 2)" != "$(field pty-dev)"
check_eq "a login shell (\$0 is -sh)" -sh "$(field match 3)"
check_eq "the window size is our terminal's" "37 101" "$(field match 4)"
check_eq "our terminal is raw while the shell runs" yes "$(field raw)"
check_eq "a window size change reaches the shell (SIGWINCH)" "50 132" "$(field match 5)"
check_eq "the terminal's settings are restored" same "$(field termios)"

drive escape -- "$ML" shell ml-shell-bb -- /bin/sleep 100 <<'EOF'
sleep 0.3
send \x1d\x1d\x1d
expect (machined-lite: [^\r]*)\r
wait 5
EOF
check_eq "Ctrl-] three times kills the command: exit 137" 137 "$RC"
check_match "and says so" "Ctrl-] was pressed three times" "$(field match 1)"
check_eq "the terminal's settings are restored after Ctrl-]" same "$(field termios)"

# --- Pipes and files are handed over as they are
out=$(echo 'echo piped; id -u' | "$ML" shell ml-shell-bb 2>&1 | od -An -c | tr -s ' ' | tr -d '\n')
check_eq "echo CMD | shell NAME: the login shell reads the pipe, plain \\n lines" " p i p e d \n 0 \n" "$out"
"$ML" shell ml-shell-bb -- /bin/echo out </dev/null >"$WORK/out" 2>&1
check_eq "shell NAME -- cmd > file: exactly what it printed" "$(printf 'out\n' | od -An -c)" "$(od -An -c "$WORK/out")"
drive redirect -- /bin/sh -c "\"$ML\" shell ml-shell-bb -- /bin/sh -c 'echo out; echo err >&2; read x; echo got \$x' >\"$WORK/out2\"" <<'EOF'
expect (err)
sendline typed
wait 5
EOF
check_eq "at a terminal with stdout to a file: stderr on the terminal" err "$(field match 1)"
check_eq "keys typed reach the command, the file gets exactly its stdout" "out|got typed" "$(tr '\n' '|' <"$WORK/out2" | sed 's/|$//')"

# --- A machine with a user namespace
start_boot ml-shell-userns "$WORK/shell-userns" -U
userns_leader=$LEADER userns_sup=$SUP
out=$("$ML" shell ml-shell-userns -- /bin/sh -c 'id -u; cat /proc/self/uid_map | tr -s " "' </dev/null 2>&1)
check_eq "-U machine: root of its user namespace, the same map as init's" \
        "0|$(tr -s ' ' <"/proc/$userns_leader/uid_map")" "$(printf '%s\n' "$out" | tr '\n' '|' | sed 's/|$//')"
drive userns -- "$ML" shell ml-shell-userns --uid=builder <<'EOF'
prompt ([#$] )
command ls -ln $(tty) | cut -c1-10; id -u
expect \n(c[-rw]+)\r
expect \n(\d+)\r
command exit
wait 5
EOF
check_eq "-U machine, --uid=builder: the shell is its UID" 1000 "$(field match 2)"
check_eq "and its pty is its own, writable by its group tty (crw--w----)" "crw--w----" "$(field match 1)"
"$ML" stop ml-shell-userns
wait $userns_sup

# --- Bad input: one line, the exit code, nothing left
procs_before=$(sort -n "$machine_cg/cgroup.procs")
"$ML" shell ml-shell-nosuch -- /bin/true 2>"$WORK/err"
check_eq "unknown machine: exit 6" 6 "$?"
check_eq "with one line saying so" \
        "machined-lite: No machine ml-shell-nosuch is running (machined-lite list shows the running ones)" "$(cat "$WORK/err")"
"$ML" shell ml-shell-bb --uid=nosuchuser -- /bin/true </dev/null 2>"$WORK/err"
check_eq "unknown user: exit 2 (a bad value, as run -u's)" 2 "$?"
check_eq "with one line saying so" "machined-lite: No user nosuchuser in machine ml-shell-bb's /etc/passwd" "$(cat "$WORK/err")"
"$ML" shell ml-shell-bb -- /bin/nosuchcommand </dev/null 2>"$WORK/err"
check_eq "a command that is not in the guest: exit 127" 127 "$?"
check_match "with one line naming it" "^machined-lite: Cannot run /bin/nosuchcommand in machine ml-shell-bb: No such file or directory$" \
        "$(cat "$WORK/err")"
"$ML" shell ml-shell-bb -- nosuchcommand </dev/null 2>"$WORK/err"
check_eq "a bare command name not in the guest's PATH: exit 127" 127 "$?"
"$ML" shell ml-shell-bb --setenv=NOVALUE -- /bin/true </dev/null 2>"$WORK/err"
check_eq "--setenv without =: exit 2" 2 "$?"
"$ML" shell 2>/dev/null
check_eq "no NAME: exit 2" 2 "$?"
one_line_error "no NAME, only a command after --" 2 "shell needs the NAME of a running machine before --" \
        "$ML" shell -- /bin/true
one_line_error "with an option and its value before --" 2 "shell needs the NAME of a running machine before --" \
        "$ML" shell --uid 0 -- /bin/true
"$ML" shell --uid 0 ml-shell-bb -- /bin/true </dev/null 2>"$WORK/err"
check_eq "--uid VALUE NAME -- CMD: NAME is found after the option's value" "0 " "$? $(cat "$WORK/err")"
setpriv --reuid=65534 --regid=65534 --clear-groups "$ML" shell ml-shell-bb -- /bin/true </dev/null 2>/dev/null
check_eq "not root: exit 3" 3 "$?"
check_eq "after them the machine runs what it ran before, and has no cgroup of ours" "$procs_before" \
        "$(sort -n "$machine_cg/cgroup.procs"; find "$machine_cg" -mindepth 1 -type d)"

# --- How long entering takes, beside nsenter (information, not a check)
median_ms() {
        local start end
        for _ in $(seq 10); do
                start=$(date +%s%N)
                "$@" </dev/null >/dev/null 2>&1
                end=$(date +%s%N)
                echo $(((end - start) / 1000))
        done | sort -n | sed -n '5,6p' | awk '{ s += $1 } END { printf "%.1f", s / 2 / 1000 }'
}
echo "info: shell NAME -- true: median $(median_ms "$ML" shell ml-shell-bb -- true) ms;" \
        "nsenter -a -t LEADER true: median $(median_ms nsenter -a -t "$bb_leader" true) ms"

"$ML" stop ml-shell-bb
wait $bb_sup

# --- A Debian guest with systemd
if [ -x "$CACHE_DIR/bookworm/lib/systemd/systemd" ]; then
        DEBIAN=$(debian_tree)
        "$ML" boot -q -M ml-shell-debian --console=read-only -D "$DEBIAN" </dev/null >"$WORK/console-debian" 2>&1 &
        SUP=$!
        LEADER=$(guest_leader $SUP)
        wait_running "$LEADER" >/dev/null
        out=$("$ML" shell ml-shell-debian -- /bin/systemctl is-system-running </dev/null 2>&1)
        check_match "Debian: systemctl is-system-running in the shell says running or degraded" '^(running|degraded)$' "$out"
        out=$("$ML" shell ml-shell-debian -- /bin/grep ^0:: /proc/self/cgroup </dev/null 2>&1)
        check_eq "Debian: the shell is in init's cgroup (the guest's root cgroup has controllers)" "0::/init.scope" "$out"
        drive debian -- "$ML" shell ml-shell-debian <<'EOF'
prompt (# )
command echo $0; tty
expect [\r\n](-[a-z]+)\r
expect \n(/dev/pts/\d+)\r
command exit 0
wait 5
EOF
        check_eq "Debian: a login shell (\$0 is -bash)" -bash "$(field match 1)"
        check_match "Debian: on a pty of the guest" '^/dev/pts/[0-9]+$' "$(field match 2)"
        check_eq "Debian: exit 0" 0 "$RC"
        kill -TERM $SUP
        wait $SUP
        check_eq "Debian: powers off cleanly after: exit 0" 0 "$?"
else
        echo "SKIP (Debian part): no cached Debian tree in $CACHE_DIR/bookworm (test-boot-debian.sh makes it)"
fi

# --- A hostile guest racing the entries
# Its root spins on the PIDs the entries get and tries to take each entering process's
# fds and working directory (entry-racer.c). Over 50 entries it must get nothing: the
# process it can see is born with the guest's root and cwd and no fd but its stdio.
race_tree=$WORK/shell-race
cp -a "$TREE" "$race_tree"
if cc -static -O2 -o "$race_tree/racer" "$TESTS_DIR/integration/entry-racer.c" 2>"$WORK/cc.log"; then
        mkdir -p "$WORK/admin"
        touch "$WORK/admin/admin-cwd-marker"
        "$ML" run -q --console=pipe -M ml-shell-race -D "$race_tree" -- /racer admin-cwd-marker </dev/null >"$WORK/racer.out" 2>&1 &
        race_sup=$!
        guest_leader $race_sup >/dev/null
        sleep 0.3
        entered=0
        for _ in $(seq 50); do
                (cd "$WORK/admin" && "$ML" shell ml-shell-race -- /bin/true </dev/null >/dev/null 2>&1) && entered=$((entered + 1))
        done
        kill -TERM $race_sup
        wait $race_sup 2>/dev/null
        check_eq "50 shell entries into a machine whose root races them: all ran" 50 "$entered"
        saw=$(grep -c '^saw' "$WORK/racer.out")
        check "the racer caught the entering processes (saw $saw, of 50 entries and their relays' children)" test "$saw" -ge 25
        check_eq "and took no fd of theirs and no host cwd" "" "$(grep GRABBED "$WORK/racer.out" | sort | uniq -c | head -5)"
        check "nothing was written into the admin's cwd" test ! -e "$WORK/admin/written-by-guest"
else
        fail "cannot build the static racer probe: $(head -1 "$WORK/cc.log")"
fi

host_unchanged "after the shells"
finish
