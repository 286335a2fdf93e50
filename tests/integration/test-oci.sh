#!/bin/bash
# shellcheck disable=SC2016 # the single-quoted commands are expanded by the container's shell
# machined-lite-oci, the OCI runtime command line, driven as runc's callers drive it: a
# bundle made here (a busybox root and config.json), create / start / state / kill /
# delete, what the container sees from inside, and each refusal in one line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oci-lib.sh"

out=$("$OCI" --version)
check_match "--version: 'machined-lite-oci version X', then the spec" "^machined-lite-oci version [0-9.]+
spec: 1\.[0-9.]+" "$out"
check_match "features: the versions it takes" '"ociVersionMax": "1\.3\.0"' "$(oci features)"
# spec: a config.json as runc spec writes one, which create takes as it is (but for the
# terminal and the command, changed here to run unattended).
mkdir -p "$WORK/specb"
ln -s "$BUNDLE/rootfs" "$WORK/specb/rootfs"
oci spec --bundle "$WORK/specb"
sed -i 's|"terminal": true|"terminal": false|; s|"args": \["sh"\]|"args": ["/bin/sh", "-c", "echo spec-ok; grep CapBnd /proc/self/status; touch /x 2>\&1 \| grep -o Read-only"]|' \
        "$WORK/specb/config.json"
oci create --bundle "$WORK/specb" specd </dev/null > "$WORK/specd.out" 2>&1
oci start specd
for _ in $(seq 100); do [ "$(oci state specd | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "spec's config.json: created and run (its capabilities, its read-only root)" "spec-ok CapBnd: 0000000020000420 Read-only" \
        "$(flat "$(tr '\t' ' ' < "$WORK/specd.out")")"
oci delete specd
one_line_error "spec where a config.json is: exit 1, nothing changed" 1 "spec: $WORK/specb/config.json exists" \
        "$OCI" --root "$ROOT" spec --bundle "$WORK/specb"
# What features says is asked of the readers create uses: every hook kind, seccomp's
# actions (every one, NOTIFY too: listenerPath), the flags it takes (WAIT_KILLABLE_RECV
# where the kernel has it, 5.19 on), the kernel's capabilities.
wait_killable=$(python3 -c 'import os; print(tuple(map(int, os.uname().release.split(".")[:2])) >= (5, 19))')
check_eq "features: hooks, seccomp actions and flags, capabilities, idmap mounts as create takes them" \
        "6 True True True $wait_killable True True" "$(oci features | python3 -c 'import json, sys
f = json.load(sys.stdin); s = f["linux"]["seccomp"]
print(len(f["hooks"]), "SCMP_ACT_ERRNO" in s["actions"], "SCMP_ACT_NOTIFY" in s["actions"],
      "SECCOMP_FILTER_FLAG_LOG" in s["supportedFlags"], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" in s["supportedFlags"],
      "CAP_SYS_ADMIN" in f["linux"]["capabilities"], f["linux"]["mountExtensions"]["idmap"]["enabled"])' 2>&1)"

# The lifecycle: create leaves the init waiting, a child of a subreaper caller (as conmon is).
bundle '["/bin/sh", "-c", "echo out; echo err >&2; exit 7"]'
sed -i 's|${ID:-ctr}|life|' "$BUNDLE/config.json"
python3 - "$OCI" "$ROOT" "$BUNDLE" "$WORK" > "$WORK/subreaper" <<'EOT'
import ctypes, os, subprocess, sys
oci, root, bundle, work = sys.argv[1:]
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER, as conmon
out = open(work + "/life.out", "w")
r = subprocess.run([oci, "--root", root, "create", "--bundle", bundle, "--pid-file", work + "/life.pid", "life"],
                   stdin=subprocess.DEVNULL, stdout=out, stderr=out)
pid = int(open(work + "/life.pid").read())
print(r.returncode, open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[1] == str(os.getpid()))
sys.stdout.flush()
subprocess.run([oci, "--root", root, "start", "life"])
print(os.waitpid(pid, 0)[1] >> 8)
EOT
check_eq "create: exit 0, the init a child of the subreaper that called it; start; its status 7" "0 True
7" "$(cat "$WORK/subreaper")"
check_eq "the container's stdout and stderr are create's" "out err" "$(sort -r "$WORK/life.out" | tr '\n' ' ' | sed 's/ $//')"
check_eq "state after the init is gone: stopped" stopped "$(oci state life | json_field status)"
oci delete life
check_eq "delete: the state is gone" 6 "$(oci state life >/dev/null 2>&1; echo $?)"
check "...and its cgroup" test ! -e "$CG/ml-oci-test/life"

# What the container sees: config.json applied.
bundle '["/bin/sh", "-c", "hostname; pwd; echo $GREETING; env | sort | tr \"\\n\" \" \"; echo; id -u; grep CapBnd /proc/self/status; grep NoNewPrivs /proc/self/status; cat /data/file; touch /data/x 2>/dev/null || echo data-ro; touch /scratch/x && echo scratch-rw; grep ^0:: /proc/self/cgroup; ls /sys/class/net | tr \"\\n\" \" \""]'
sed -i 's|${ID:-ctr}|see|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" see </dev/null > "$WORK/see.out" 2>&1
check_eq "create of a second container: created" created "$(oci state see | json_field status)"
pid=$(oci state see | sed -n 's/^  "pid": \([0-9]*\).*/\1/p')
check "its init is alive on the host, waiting (PID $pid)" test -d "/proc/$pid"
check_eq "state: bundle and annotations" "$BUNDLE {\"org.example.test\":\"yes\"}" \
        "$(oci state see | json_field bundle) $(oci state see | sed -n 's/^  "annotations": //p')"
check_eq "its cgroup is linux.cgroupsPath" "$pid" "$(cat "$CG/ml-oci-test/see/cgroup.procs")"
oci start see
for _ in $(seq 100); do [ "$(oci state see | json_field status)" = stopped ] && break; sleep 0.05; done
mapfile -t seen < "$WORK/see.out"
check_eq "hostname is config's" ocibox "${seen[0]}"
check_eq "cwd is process.cwd" /tmp "${seen[1]}"
check_eq "the environment is process.env, nothing added" "hello GREETING=hello PATH=/bin:/sbin PWD=/tmp SHLVL=1 " "${seen[2]} ${seen[3]}"
check_eq "root (process.user)" 0 "${seen[4]}"
check_eq "the bounding set is process.capabilities.bounding (CHOWN, KILL)" "CapBnd:	0000000000000021" "${seen[5]}"
check_eq "noNewPrivileges" "NoNewPrivs:	1" "${seen[6]}"
check_eq "a read-only bind mount from mounts" "from-the-host data-ro" "${seen[7]} ${seen[8]}"
check_eq "a tmpfs from mounts" scratch-rw "${seen[9]}"
check_eq "its cgroup is the root of its own cgroup namespace" "0::/" "${seen[10]}"
check_eq "its own network namespace: lo only" "lo " "${seen[11]}"
oci delete see

# process.capabilities' five sets: for a user other than root, effective, permitted,
# inheritable and ambient as given (the ambient ones survive its exec).
# set_process UID CAPABILITIES-JSON ID: config.json's user, capabilities and cgroup.
set_process() {
        python3 - "$BUNDLE/config.json" "$1" "$2" "$3" <<'EOT'
import json, sys
path, uid, caps, cid = sys.argv[1:]
config = json.load(open(path))
config["process"]["user"] = {"uid": int(uid), "gid": int(uid)}
config["process"]["capabilities"] = json.loads(caps)
config["linux"]["cgroupsPath"] = "/ml-oci-test/" + cid
json.dump(config, open(path, "w"))
EOT
}
bundle '["/bin/sh", "-c", "id -u; grep -E \"^Cap(Inh|Prm|Eff|Bnd|Amb)\" /proc/self/status | tr -s \"\\t\" \" \""]'
set_process 1000 '{ "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_NET_RAW"], "permitted": ["CAP_NET_RAW"],
                    "inheritable": ["CAP_NET_RAW"], "ambient": ["CAP_NET_RAW"] }' caps
oci create --bundle "$BUNDLE" caps </dev/null > "$WORK/caps.out" 2>&1
oci start caps
for _ in $(seq 100); do [ "$(oci state caps | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a user with process.capabilities' ambient set: it keeps them through its exec" \
        "1000 CapInh: 0000000000002000 CapPrm: 0000000000002000 CapEff: 0000000000002000 CapBnd: 0000000000002021 CapAmb: 0000000000002000" \
        "$(flat "$(cat "$WORK/caps.out")")"
oci delete caps
# Ambient ones outside permitted and inheritable (runc spec's default config has them, with
# no inheritable set): left out, as runc leaves them; for a user other than root, said.
set_process 1000 '{ "bounding": ["CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_KILL", "CAP_NET_RAW"], "permitted": ["CAP_KILL", "CAP_NET_RAW"],
                    "ambient": ["CAP_KILL", "CAP_NET_RAW"] }' noinh
oci create --bundle "$BUNDLE" noinh </dev/null > "$WORK/noinh.out" 2> "$WORK/noinh.err"
check_eq "ambient capabilities not inheritable: created, one line naming them" \
        "0 machined-lite-oci: process.capabilities.ambient: CAP_KILL, CAP_NET_RAW left out: not in both permitted and inheritable, the kernel keeps no such ambient capability" \
        "$? $(cat "$WORK/noinh.err")"
oci start noinh
for _ in $(seq 100); do [ "$(oci state noinh | json_field status)" = stopped ] && break; sleep 0.05; done
check_match "...and the user's process has none ambient" "CapAmb: 0000000000000000" "$(cat "$WORK/noinh.out")"
oci delete noinh

# process.ioPriority, scheduler and execCPUAffinity (runtime-spec 1.2), on the process and
# on what it starts; a real-time policy without the host's RLIMIT_RTPRIO is one line.
bundle '["/bin/sh", "-c", "cut -d\" \" -f19,41 /proc/self/stat; ionice -p $$; grep Cpus_allowed_list /proc/self/status | tr -d \"\\t\""]' \
        '"ioPriority": { "class": "IOPRIO_CLASS_BE", "priority": 6 }, "scheduler": { "policy": "SCHED_BATCH", "nice": 5 },
    "execCPUAffinity": { "initial": "0", "final": "'"$(($(nproc) - 1))"'" }'
sed -i 's|${ID:-ctr}|sched|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" sched </dev/null > "$WORK/sched.out" 2>&1
oci start sched
for _ in $(seq 100); do [ "$(oci state sched | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "process.ioPriority, scheduler (SCHED_BATCH, nice 5) and execCPUAffinity.final" \
        "5 3 best-effort: prio 6 Cpus_allowed_list:$(($(nproc) - 1))" "$(flat "$(cat "$WORK/sched.out")")"
oci delete sched
bundle '["/bin/true"]' '"scheduler": { "policy": "SCHED_ISO" }'
one_line_error "process.scheduler with a policy the kernel has not: exit 2" 2 "process.scheduler.policy: 'SCHED_ISO' is no policy this kernel has" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# process.terminal with consoleSize, domainname, linux.personality: the pty comes over the
# console socket sized, and the container sees the rest (it stays 2 s: what it wrote is
# read before the last holder of its pty goes, which may drop what is not read yet).
bundle '["/bin/sh", "-c", "stty size; cat /proc/sys/kernel/domainname; uname -m; sleep 2"]' \
        '"consoleSize": { "height": 33, "width": 101 }' '"domainname": "ocidomain"' '"personality": { "domain": "LINUX32", "flags": [] }'
sed -i 's|${ID:-ctr}|tty|; s|"terminal": false|"terminal": true|' "$BUNDLE/config.json"
python3 - "$OCI" "$ROOT" "$BUNDLE" "$WORK" > "$WORK/tty.out" 2> "$WORK/tty.err" <<'EOT'
import array, fcntl, os, socket, struct, subprocess, sys, termios, time
oci, root, bundle, work = sys.argv[1:]
path = work + "/console.sock"
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
create = subprocess.Popen([oci, "--root", root, "create", "--bundle", bundle, "--console-socket", path, "tty"],
                          stdin=subprocess.DEVNULL)
conn, _ = server.accept()
fds = array.array("i")
msg, anc, flags, addr = conn.recvmsg(64, socket.CMSG_SPACE(4))
for level, kind, data in anc:
    fds.frombytes(data[:4])
master = fds[0]
os.set_blocking(master, True)
rows, cols = struct.unpack("HHHH", fcntl.ioctl(master, termios.TIOCGWINSZ, struct.pack("HHHH", 0, 0, 0, 0)))[:2]
print("create", create.wait(), "winsize", rows, cols)
subprocess.run([oci, "--root", root, "start", "tty"])
out = b""
end = time.time() + 10
errors = []
while time.time() < end and out.count(b"\n") < 3:
    try:
        chunk = os.read(master, 4096)
    except OSError as e:
        # (EIO while no process holds the pty's other end: said, and tried again.)
        errors.append(e.strerror)
        time.sleep(0.05)
        continue
    if not chunk:
        break
    out += chunk
print(out.decode().replace("\r", "").strip())
if errors:
    print("read errors:", len(errors), errors[0], file=sys.stderr)
EOT
check_eq "process.terminal: the pty over the console socket, sized as consoleSize; domainname; personality LINUX32" \
        "create 0 winsize 33 101 33 101 ocidomain i686" "$(flat "$(cat "$WORK/tty.out")")"
[ -s "$WORK/tty.err" ] && echo "(the pty harness said: $(flat "$(cat "$WORK/tty.err")"))"
for _ in $(seq 100); do [ "$(oci state tty | json_field status)" = stopped ] && break; sleep 0.05; done
oci delete --force tty

# hooks: each kind at its point, its state on stdin, the container's in its namespaces
# (their files land in the container's root: the bundle's rootfs here). The same script
# on the host and in the container writes KIND, its host name and the state's status.
cat > "$WORK/hook.sh" <<'EOF'
#!/bin/sh
echo "$1 $(hostname) $(tr -d '"' | sed -n 's/.*status: \([a-z]*\).*/\1/p')" >> "$2"
if [ -n "$3" ]; then grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status | tr -s '\t' ' ' >> "$2"; fi
EOF
chmod +x "$WORK/hook.sh"
cp "$WORK/hook.sh" "$BUNDLE/rootfs/hook.sh"
hook() { printf '{ "path": "%s", "args": ["hook.sh", "%s", "%s"%s] }' "$1" "$2" "$3" "${4:+, \"$4\"}"; }
rm -f "$WORK/hooks.log" "$BUNDLE/rootfs/tmp/hooks.log"
bundle '["/bin/cat", "/tmp/hooks.log"]' '' "\"hooks\": {
    \"prestart\": [ $(hook "$WORK/hook.sh" prestart "$WORK/hooks.log") ],
    \"createRuntime\": [ $(hook "$WORK/hook.sh" createRuntime "$WORK/hooks.log") ],
    \"createContainer\": [ $(hook /hook.sh createContainer /tmp/hooks.log) ],
    \"startContainer\": [ $(hook /hook.sh startContainer /tmp/hooks.log caps) ],
    \"poststart\": [ $(hook "$WORK/hook.sh" poststart "$WORK/hooks.log") ],
    \"poststop\": [ $(hook "$WORK/hook.sh" poststop "$WORK/hooks.log") ] }"
sed -i 's|${ID:-ctr}|hooked|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" hooked </dev/null > "$WORK/hooked.out" 2>&1
me=$(hostname)
check_eq "create runs prestart and createRuntime on the host, the state (creating) on their stdin" \
        "prestart $me creating createRuntime $me creating" "$(flat "$(cat "$WORK/hooks.log" 2>&1)")"
check_eq "...and createContainer in the container (its host name)" "createContainer ocibox creating" \
        "$(cat "$BUNDLE/rootfs/tmp/hooks.log" 2>&1)"
oci start hooked
for _ in $(seq 100); do [ "$(oci state hooked | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "start runs startContainer in the container before its process, which sees what it wrote; with the container's privileges (bounding set, no_new_privs), not ours" \
        "createContainer ocibox creating startContainer ocibox created CapEff: 0000000000000021 CapBnd: 0000000000000021 NoNewPrivs: 1" \
        "$(flat "$(cat "$WORK/hooked.out")")"
check_match "...and poststart on the host once it runs" "poststart $me running$" "$(flat "$(cat "$WORK/hooks.log")")"
oci delete hooked
check_match "delete runs poststop on the host" "poststop $me stopped$" "$(flat "$(cat "$WORK/hooks.log")")"
rm -f "$BUNDLE/rootfs/tmp/hooks.log" "$BUNDLE/rootfs/hook.sh"
bundle '["/bin/true"]' '' "\"hooks\": { \"createRuntime\": [ { \"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"exit 3\"] } ] }"
sed -i 's|${ID:-ctr}|badhook|' "$BUNDLE/config.json"
one_line_error "a createRuntime hook that fails: create fails, exit 1" 1 "The createRuntime hook /bin/sh \\(hooks.createRuntime\\[0\\]\\) failed: exit status 3" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" badhook
check_eq "...and leaves no container" 6 "$(oci state badhook >/dev/null 2>&1; echo $?)"
bundle '["/bin/true"]' '' "\"hooks\": { \"prestart\": [ { \"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"30\"], \"timeout\": 1 } ] }"
sed -i 's|${ID:-ctr}|slowhook|' "$BUNDLE/config.json"
one_line_error "a hook past its timeout: killed, create fails" 1 "The prestart hook /bin/sleep \\(hooks.prestart\\[0\\]\\) did not end within its timeout of 1 s: killed" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" slowhook
# A state bigger than a pipe holds (100 KB of annotations): a hook that does not read it
# neither blocks create past its timeout nor kills it with SIGPIPE.
big_state() {
        python3 - "$BUNDLE/config.json" "$1" <<'EOT'
import json, sys
path, hook = sys.argv[1:]
config = json.load(open(path))
config["annotations"] = {"big": "x" * 100000}
config["hooks"] = {"prestart": [json.loads(hook)]}
config["linux"]["cgroupsPath"] = "/ml-oci-test/bigstate"
json.dump(config, open(path, "w"))
EOT
}
bundle '["/bin/true"]'
big_state '{ "path": "/bin/true" }'
oci create --bundle "$BUNDLE" bigstate </dev/null >/dev/null 2>&1
check_eq "a hook that ends without reading a state bigger than a pipe: create goes on (no SIGPIPE)" "0 created" \
        "$? $(oci state bigstate 2>&1 | json_field status)"
oci delete --force bigstate
big_state '{ "path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1 }'
start_time=$(date +%s)
one_line_error "a hook that neither reads the big state nor ends: killed at its timeout" 1 "did not end within its timeout of 1 s" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bigstate
check "...within seconds, not blocked writing it" test $(($(date +%s) - start_time)) -lt 10
bundle '["/bin/true"]' '' '"hooks": { "poststop": [ { "path": "relative/hook" } ] }'
one_line_error "a hook with a relative path: exit 2" 2 "hooks.poststop\\[0\\]: path must be an absolute path" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# linux.seccomp's SCMP_ACT_NOTIFY with listenerPath: the listener end goes to a seccomp
# agent (tests/integration/seccomp-agent.py) with the container process state, at create
# and for an exec; the agent answers the container's mkdir with success, doing nothing.
AGENT=$TESTS_DIR/integration/seccomp-agent.py
python3 "$AGENT" "$WORK/agent.sock" "$WORK/agent.log" 2 &
agent=$!
for _ in $(seq 50); do [ -S "$WORK/agent.sock" ] && break; sleep 0.1; done
bundle '["/bin/sh", "-c", "mkdir /notified && echo mkdir-said-ok; test -d /notified || echo not-made; sleep 30"]' '' '' \
        "\"seccomp\": { \"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$WORK/agent.sock\", \"listenerMetadata\": \"m1\",
      \"syscalls\": [ { \"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\" } ] }"
sed -i 's|${ID:-ctr}|notified|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" notified </dev/null > "$WORK/notified.out" 2>&1
oci start notified
for _ in $(seq 50); do [ "$(wc -l < "$WORK/notified.out")" -ge 2 ] && break; sleep 0.1; done
check_eq "SCMP_ACT_NOTIFY: the agent answers the container's mkdir (success, nothing made)" "mkdir-said-ok not-made" \
        "$(flat "$(cat "$WORK/notified.out")")$(test -d "$BUNDLE/rootfs/notified" && echo ' made')"
check_eq "...exec's process has its own filter's listener handed over too" "said-ok not-made" \
        "$(oci exec notified /bin/sh -c 'mkdir /x && echo said-ok; test -d /x || echo not-made' </dev/null 2>&1 | tr '\n' ' ' | sed 's/ $//')"
oci delete --force notified
wait "$agent"
check_eq "...what the agent was handed: the state (creating, then running), the fd, the metadata" \
        "state creating fds seccompFd metadata m1 pid-given True received 1
state running fds seccompFd metadata m1 pid-given True received 1" "$(grep '^state' "$WORK/agent.log")"
# flags' SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: once the agent holds the notification of
# the shell's own chdir (cd), a signal it has a handler for does not end the call's wait;
# without the flag the same signal ends it (the call fails with EINTR, or is restarted as a
# new notification).
for flag in '"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"' ''; do
        rm -f "$WORK/hold.log" "$WORK/hold.log.go" "$WORK/hold.sock"
        python3 "$AGENT" "$WORK/hold.sock" "$WORK/hold.log" 1 hold &
        agent=$!
        for _ in $(seq 50); do [ -S "$WORK/hold.sock" ] && break; sleep 0.1; done
        bundle '["/bin/sh", "-c", "trap \"echo usr1\" USR1; cd /data && echo cd-said-ok"]' '' '' \
                "\"seccomp\": { \"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$WORK/hold.sock\", \"flags\": [$flag],
      \"syscalls\": [ { \"names\": [\"chdir\"], \"action\": \"SCMP_ACT_NOTIFY\" } ] }"
        sed -i 's|${ID:-ctr}|held|' "$BUNDLE/config.json"
        oci create --bundle "$BUNDLE" held </dev/null > "$WORK/held.out" 2>&1
        oci start held
        for _ in $(seq 100); do grep -q received "$WORK/hold.log" 2>/dev/null && break; sleep 0.05; done
        kill -USR1 "$(sed -n 's/^received //p' "$WORK/hold.log" | head -n 1)"
        sleep 0.3
        touch "$WORK/hold.log.go"
        for _ in $(seq 100); do [ "$(oci state held | json_field status)" = stopped ] && break; sleep 0.05; done
        oci delete --force held
        wait "$agent"
        held=$(flat "$(grep -E '^(received|valid|invalid|answered)' "$WORK/hold.log" | sed 's/ [0-9]*$//')")
        if [ -n "$flag" ]; then
                check_eq "seccomp flags WAIT_KILLABLE_RECV: a held notification outlives a handled signal (one, valid, answered)" \
                        "received valid answered / usr1 cd-said-ok" "$held / $(flat "$(sort -r "$WORK/held.out")")"
        else
                check_match "...without it, the signal ends the call's wait: the notification the agent holds is void" \
                        "^received invalid" "$held"
        fi
done
bundle '["/bin/true"]' '' '' '"seccomp": { "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_NOTIFY" } ] }'
one_line_error "SCMP_ACT_NOTIFY without a listenerPath: exit 2" 2 "linux.seccomp.listenerPath: is missing: a rule's SCMP_ACT_NOTIFY needs a listener" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# linux.seccomp through libseccomp: an errno for some calls, a rule on an argument; and
# maskedPaths and readonlyPaths where the container has them (the others skipped).
mkdir -p "$BUNDLE/rootfs/srv/ro" "$BUNDLE/rootfs/srv/masked"
bundle '["/bin/sh", "-c", "touch /tmp/f; chmod 600 /tmp/f 2>&1 | grep -o \"Permission denied\"; chown 1234 /tmp/f 2>&1 | grep -o \"Operation not permitted\"; chown 1235 /tmp/f && stat -c %u /tmp/f; touch /srv/ro/x 2>&1 | grep -o \"Read-only file system\"; ls /srv/masked 2>&1 | grep -o \"Permission denied\"; cat /proc/cpuinfo 2>&1 | grep -o \"Permission denied\""]' \
        '' '' '"seccomp": { "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "syscalls": [ { "names": ["chmod", "fchmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
                    { "names": ["chown", "lchown"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                      "args": [ { "index": 1, "value": 1234, "op": "SCMP_CMP_EQ" } ] },
                    { "names": ["fchownat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                      "args": [ { "index": 2, "value": 1234, "op": "SCMP_CMP_EQ" } ] },
                    { "names": ["no_such_call_here"], "action": "SCMP_ACT_ERRNO" } ] },
    "maskedPaths": ["/proc/cpuinfo", "/srv/masked", "/no/such/path"],
    "readonlyPaths": ["/srv/ro", "/no/such/either"]'
sed -i 's|${ID:-ctr}|filtered|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" filtered </dev/null > "$WORK/filtered.out" 2>&1
oci start filtered
for _ in $(seq 100); do [ "$(oci state filtered | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "seccomp: chmod fails with errnoRet 13; chown to 1234 (an argument rule) fails, to 1235 works; a path of readonlyPaths is read-only; maskedPaths hide a directory and /proc/cpuinfo" \
        "Permission denied Operation not permitted 1235 Read-only file system Permission denied Permission denied" \
        "$(tr '\n' ' ' < "$WORK/filtered.out" | sed 's/ $//')"
check "...and no mount point was made in the root for the paths it does not have" test ! -e "$BUNDLE/rootfs/no"
oci delete filtered
rm -rf "$BUNDLE/rootfs/srv"

# root.readonly of an image without /dev, /proc, /sys and /run (podman import of a bare
# tree): their mount points are made before the root turns read-only, as runc does.
cp -a "$BUNDLE/rootfs" "$WORK/bare"
rmdir "$WORK/bare/dev" "$WORK/bare/proc" "$WORK/bare/sys" "$WORK/bare/run"
bundle '["/bin/sh", "-c", "ls /proc/self/status /sys/kernel >/dev/null && touch /x 2>&1 | grep -o \"Read-only file system\""]'
sed -i "s|\${ID:-ctr}|bare|; s|\"root\": { \"path\": \"rootfs\" }|\"root\": { \"path\": \"$WORK/bare\", \"readonly\": true }|" "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" bare </dev/null > "$WORK/bare.out" 2>&1
oci start bare
for _ in $(seq 100); do [ "$(oci state bare | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "root.readonly of a tree without /dev, /proc, /sys and /run: they are made, the root read-only" \
        "Read-only file system  dev proc run sys" "$(cat "$WORK/bare.out") $(for d in dev proc run sys; do [ -d "$WORK/bare/$d" ] && printf ' %s' "$d"; done)"
oci delete bare
rm -rf "$WORK/bare"

# A config's own cgroup mount with ro (runc spec's default): /sys/fs/cgroup read-only.
bundle '["/bin/sh", "-c", "mkdir /sys/fs/cgroup/x 2>&1 | grep -o \"Read-only file system\"; grep -c \" /sys/fs/cgroup ro,\" /proc/self/mountinfo"]'
sed -i 's|${ID:-ctr}|cgro|; s|^    { "destination": "/scratch".*|&,\n    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "ro"] }|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" cgro </dev/null > "$WORK/cgro.out" 2>&1
oci start cgro
for _ in $(seq 100); do [ "$(oci state cgro | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a cgroup mount with ro in config.json: the container's cgroup file system is read-only" \
        "Read-only file system 1" "$(flat "$(cat "$WORK/cgro.out")")"
oci delete cgro

# tmpfs with tmpcopyup (podman --read-only's /run, /tmp, /var/tmp): what the tree has
# there is copied in, writable in the container, the tree untouched.
mkdir -p "$BUNDLE/rootfs/srv/seed/sub"
echo seeded > "$BUNDLE/rootfs/srv/seed/file"
ln -s file "$BUNDLE/rootfs/srv/seed/link"
chmod 750 "$BUNDLE/rootfs/srv/seed/sub"
chown 12:34 "$BUNDLE/rootfs/srv/seed/file"
truncate -s 1G "$BUNDLE/rootfs/srv/seed/sparse"
bundle '["/bin/sh", "-c", "cat /srv/seed/file; readlink /srv/seed/link; stat -c \"%a %u:%g\" /srv/seed/sub /srv/seed/file; stat -c \"%s %b\" /srv/seed/sparse; echo new > /srv/seed/new && echo written; touch /etc/x 2>&1 | grep -o \"Read-only file system\""]'
sed -i 's|${ID:-ctr}|copyup|; s|"root": { "path": "rootfs" }|"root": { "path": "rootfs", "readonly": true }|' "$BUNDLE/config.json"
sed -i 's|^    { "destination": "/scratch".*|&,\n    { "destination": "/srv/seed", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=755"] }|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" copyup </dev/null > "$WORK/copyup.out" 2>&1
oci start copyup
for _ in $(seq 100); do [ "$(oci state copyup | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "tmpcopyup: the tree's files, link, modes and owners in the tmpfs, writable in a read-only root" \
        "seeded file 750 0:0 644 12:34 1073741824 0 written Read-only file system" "$(flat "$(cat "$WORK/copyup.out")")"
check_eq "...a sparse file stays sparse (1 GiB, no block), and the tree is untouched" "file link sparse sub" \
        "$(find "$BUNDLE/rootfs/srv/seed" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//')"
oci delete copyup
# What tmpcopyup copies counts against the container's memory, not its caller's: 64 MiB
# of data to copy into a container limited to 32 MiB fails its create.
dd if=/dev/zero of="$BUNDLE/rootfs/srv/seed/big" bs=1M count=64 status=none
sed 's|ml-oci-test/copyup|ml-oci-test/copybig|; s|"cgroupsPath"|"resources": { "memory": { "limit": 33554432 } },\n    "cgroupsPath"|' \
        "$BUNDLE/config.json" > "$WORK/copybig.json"
cp "$BUNDLE/config.json" "$WORK/config.saved"
cp "$WORK/copybig.json" "$BUNDLE/config.json"
"$OCI" --root "$ROOT" create --bundle "$BUNDLE" copybig </dev/null >/dev/null 2>&1
check_eq "tmpcopyup of more than the container's memory limit: create fails, nothing left" "1 6" \
        "$? $(oci state copybig >/dev/null 2>&1; echo $?)"
cp "$WORK/config.saved" "$BUNDLE/config.json"
rm -f "$BUNDLE/rootfs/srv/seed/big"
# A symlink of the tree's at the destination, into the /proc mounted already: not copied.
mkdir -p "$BUNDLE/rootfs/proc/1/fd"
rm -rf "$BUNDLE/rootfs/srv/seed"
ln -s /proc/1/fd "$BUNDLE/rootfs/srv/seed"
sed -i 's|ml-oci-test/copyup|ml-oci-test/copyproc|; s|, "readonly": true||' "$BUNDLE/config.json"
one_line_error "tmpcopyup through a symlink into /proc: refused, exit 1" 1 "Failed to mount a tmpfs at /srv/seed in the guest: Invalid cross-device link" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" copyproc
rmdir "$BUNDLE/rootfs/proc/1/fd" "$BUNDLE/rootfs/proc/1"
rm -rf "$BUNDLE/rootfs/srv"
bundle '["/bin/true"]' '' '' '"seccomp": { "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["chmod"], "action": "SCMP_ACT_EXPLODE" } ] }'
one_line_error "a seccomp action libseccomp has none of: exit 2" 2 "linux.seccomp.syscalls\[0\]: action 'SCMP_ACT_EXPLODE' is no action" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
# linux.devices: the nodes the device policy lets a container use, and FIFOs, made as
# asked (type, mode, owner, at any depth below /dev); others that resources.devices
# allows (below); any other is refused by name.
bundle '["/bin/sh", "-c", "stat -c \"%n %F %t:%T %a %u:%g\" /dev/net/tun /dev/mine/null2 /dev/fifo0 /dev/null; echo x > /dev/mine/null2 && echo written"]' \
        '' '' '"devices": [ { "path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200, "fileMode": 8630, "uid": 0, "gid": 0 },
      { "path": "/dev/mine/null2", "type": "c", "major": 1, "minor": 3, "fileMode": 400, "uid": 0, "gid": 1001 },
      { "path": "/dev/fifo0", "type": "p", "fileMode": 420 },
      { "path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 438 } ]'
sed -i 's|${ID:-ctr}|nodes|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" nodes </dev/null > "$WORK/nodes.out" 2>&1
oci start nodes
for _ in $(seq 100); do [ "$(oci state nodes | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "linux.devices: net/tun, a null of its own below a directory, a FIFO, /dev/null as asked" \
        "/dev/net/tun character special file a:c8 666 0:0
/dev/mine/null2 character special file 1:3 620 0:1001
/dev/fifo0 fifo 0:0 644 0:0
/dev/null character special file 1:3 666 0:0
written" "$(cat "$WORK/nodes.out")"
oci delete nodes
bundle '["/bin/true"]' '' '' '"devices": [ { "path": "/dev/sda", "type": "b", "major": 8, "minor": 0 } ]'
one_line_error "linux.devices: a disk no device rule allows: exit 2" 2 "linux.devices\[0\]: /dev/sda \(b 8:0\) is a device neither machined-lite's device policy .* nor linux.resources.devices lets the container use" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"devices": [ { "path": "/dev/fd/../../etc/x", "type": "c", "major": 1, "minor": 3 } ]'
one_line_error "linux.devices: a path that leaves /dev: exit 2" 2 "linux.devices\[0\]: '/dev/fd/../../etc/x' is no path below /dev" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"devices": [ { "path": "/dev/shm/null", "type": "c", "major": 1, "minor": 3 } ]'
one_line_error "linux.devices: a node below another mount in /dev (shm): exit 1" 1 \
        "Failed to make /dev/shm/null \(linux.devices: it is below another mount in /dev" "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"devices": [ { "path": "/dev/x", "type": "c", "major": 1, "minor": 1048576 } ]'
one_line_error "linux.devices: a minor beyond what a dev_t holds: exit 2" 2 "linux.devices\[0\].minor: must be between 0 and 1048575" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# A user namespace (linux.namespaces' user, one mapping range from 0): root inside is an
# unprivileged host UID; its linux.devices nodes are the host's, bound (no mknod there).
bundle '["/bin/sh", "-c", "cat /proc/self/uid_map | tr -s \" \" \" \"; stat -c \"%n %t:%T\" /dev/net/tun; touch /x-owned; echo x > /dev/null && echo null-ok"]' \
        '' '' '"devices": [ { "path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200, "fileMode": 8630 } ],
    "uidMappings": [ { "containerID": 0, "hostID": 1500000, "size": 65536 } ],
    "gidMappings": [ { "containerID": 0, "hostID": 1500000, "size": 65536 } ]'
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["namespaces"].append({"type": "user"})
config["linux"]["cgroupsPath"] = "/ml-oci-test/userns"
json.dump(config, open(sys.argv[1], "w"))
EOT
oci create --bundle "$BUNDLE" userns </dev/null > "$WORK/userns.out" 2>&1
oci start userns
for _ in $(seq 100); do [ "$(oci state userns | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a user namespace: the mapping as given, linux.devices bound, root writes its root" \
        "$(printf ' 0 1500000 65536\n/dev/net/tun a:c8\nnull-ok')" "$(cat "$WORK/userns.out")"
check_eq "...through an idmapped mount of the root, which stays host root's on disk" 0 "$(stat -c %u "$BUNDLE/rootfs/x-owned" 2>&1)"
rm -f "$BUNDLE/rootfs/x-owned"
oci delete userns
python3 - "$BUNDLE/config.json" 70000 <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["devices"][0]["uid"] = int(sys.argv[2])
json.dump(config, open(sys.argv[1], "w"))
EOT
one_line_error "a user namespace: a node's owner outside its range: exit 2" 2 \
        "linux.devices: /dev/net/tun: uid and gid must be within uidMappings' range \(0 to 65535\)" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
sed -i 's/"uid": 70000/"uid": 0/' "$BUNDLE/config.json"
# A root the range owns already (as podman --userns prepares it) is used as it is, and one
# that neither root nor the range owns is never shifted on disk (runc's rule).
chown 1500000:1500000 "$BUNDLE/rootfs"
oci create --bundle "$BUNDLE" userns </dev/null > "$WORK/userns.out" 2>&1
oci start userns
for _ in $(seq 100); do [ "$(oci state userns | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a root the range owns: root in the container writes there as the range's root" 1500000 \
        "$(stat -c %u "$BUNDLE/rootfs/x-owned" 2>&1)"
rm -f "$BUNDLE/rootfs/x-owned"
oci delete userns
chown 4242:4242 "$BUNDLE/rootfs"
oci create --bundle "$BUNDLE" userns </dev/null > "$WORK/userns.out" 2>&1
oci start userns
for _ in $(seq 100); do [ "$(oci state userns | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a root of another owner: left as it is on disk (not chowned)" "4242 0" \
        "$(stat -c %u "$BUNDLE/rootfs") $(stat -c %u "$BUNDLE/rootfs/bin" 2>&1)"
chown 0:0 "$BUNDLE/rootfs"
rm -f "$BUNDLE/rootfs/x-owned"
oci delete userns

# create --preserve-fds: the caller's fds from 3 on reach the container's process (podman
# run --preserve-fds, socket activation); no other fd of the caller's or ours does.
bundle '["/bin/sh", "-c", "cat <&3; ls /proc/self/fd"]'
sed -i 's|${ID:-ctr}|preserved|' "$BUNDLE/config.json"
echo passed-to-create > "$WORK/fd3-create"
oci create --preserve-fds 1 --bundle "$BUNDLE" preserved </dev/null 3<"$WORK/fd3-create" 9</dev/null > "$WORK/preserved.out" 2>&1
oci start preserved
for _ in $(seq 100); do [ "$(oci state preserved | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "create --preserve-fds 1: fd 3 goes along (4 is ls's own), the caller's fd 9 not" "passed-to-create 0 1 2 3 4" \
        "$(flat "$(cat "$WORK/preserved.out")")"
oci delete preserved

# linux.resources.devices: runc's callers' default rules (deny all, mknod of any node, the
# nodes a container needs, /dev/console) are what machined-lite's own policy gives;
# anything beyond it is refused by name.
bundle '["/bin/sh", "-c", "echo x > /dev/null && echo null-ok"]' '' '' '"resources": { "devices": [
      { "allow": false, "access": "rwm" }, { "allow": true, "type": "c", "access": "m" }, { "allow": true, "type": "b", "access": "m" },
      { "allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm" }, { "allow": true, "type": "c", "major": 5, "minor": 1, "access": "rwm" },
      { "allow": true, "type": "c", "major": 136, "access": "rwm" }, { "allow": true, "type": "c", "major": 5, "minor": 2, "access": "rwm" } ] }'
sed -i 's|${ID:-ctr}|devices|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" devices </dev/null > "$WORK/devices.out" 2>&1
oci start devices
for _ in $(seq 100); do [ "$(oci state devices | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "resources.devices as containerd and podman send them: taken" null-ok "$(cat "$WORK/devices.out")"
oci delete devices
# An allow rule beyond machined-lite's policy widens the container's (podman's --device):
# fuse, and a disk (a loop device of the test's) read-only; what no rule allows stays shut.
truncate -s 1M "$WORK/blk.img"
printf 'on-the-disk' | dd of="$WORK/blk.img" conv=notrunc status=none
if blk=$(losetup --find --show "$WORK/blk.img" 2>/dev/null); then
        read -r bmaj bmin < <(stat -c '%t %T' "$blk" | { read -r ma mi; echo "$((16#$ma)) $((16#$mi))"; })
        bundle '["/bin/sh", "-c", "exec 3<>/dev/fuse && echo fuse-opened; head -c 11 /dev/xdisk; echo; echo x 2>/dev/null > /dev/xdisk || echo disk-write-refused; exec 4</dev/net/tun && echo tun-opened"]' \
                '' '' "\"devices\": [ { \"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 438 },
                          { \"path\": \"/dev/xdisk\", \"type\": \"b\", \"major\": $bmaj, \"minor\": $bmin, \"fileMode\": 432 } ],
    \"resources\": { \"devices\": [ { \"allow\": false, \"access\": \"rwm\" },
                   { \"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rwm\" },
                   { \"allow\": true, \"type\": \"b\", \"major\": $bmaj, \"minor\": $bmin, \"access\": \"r\" } ] }"
        sed -i 's|${ID:-ctr}|widened|' "$BUNDLE/config.json"
        oci create --bundle "$BUNDLE" widened </dev/null > "$WORK/widened.out" 2>&1
        oci start widened
        for _ in $(seq 100); do [ "$(oci state widened | json_field status)" = stopped ] && break; sleep 0.05; done
        check_eq "resources.devices' allow rules: /dev/fuse opens, the disk reads, not writes; tun as ever" \
                "fuse-opened on-the-disk disk-write-refused tun-opened" "$(tr '\n' ' ' < "$WORK/widened.out" | sed 's/ $//')"
        oci delete widened
        losetup -d "$blk"
else
        echo "SKIP (one check): no loop device for a disk's device rule"
fi
rm -f "$WORK/blk.img"
# A deny rule takes back what the policy or a rule before it gave, the last rule deciding.
bundle '["/bin/sh", "-c", "exec 2>/dev/zero; cat /dev/null && echo null-read; (echo x > /dev/null) || echo null-write-refused; (exec 3<>/dev/full) || echo full-refused; (exec 4<>/dev/zero) && echo zero-opened"]' \
        '' '' '"resources": { "devices": [ { "allow": false, "access": "rwm" }, { "allow": false, "type": "c", "major": 1, "minor": 3, "access": "w" },
      { "allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm" }, { "allow": false, "type": "c", "major": 1, "minor": 7, "access": "rw" },
      { "allow": false, "type": "c", "major": 1, "minor": 5, "access": "rw" }, { "allow": true, "type": "c", "major": 1, "minor": 5, "access": "rw" } ] }'
sed -i 's|${ID:-ctr}|denied|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" denied </dev/null > "$WORK/denied.out" 2>&1
oci start denied
for _ in $(seq 100); do [ "$(oci state denied | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "deny rules: null's write taken back, full allowed then denied, zero denied then allowed again" \
        "null-read null-write-refused full-refused zero-opened" "$(tr '\n' ' ' < "$WORK/denied.out" | sed 's/ $//')"
oci delete denied
check_eq "delete --force of an ID that is gone: exit 0, silent, as runc's (containerd's shim does it)" "0 " \
        "$(oci delete --force gone-already 2>&1; echo "$? ")"

# No ipc or uts in linux.namespaces: the runtime's own, joined (podman's --ipc=host,
# --uts=host); a host name is then not the container's to set.
bundle '["/bin/sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; hostname"]'
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["namespaces"] = [ns for ns in config["linux"]["namespaces"] if ns["type"] not in ("ipc", "uts")]
config["linux"]["cgroupsPath"] = "/ml-oci-test/hostns"
del config["hostname"]
json.dump(config, open(sys.argv[1], "w"), indent=2)
EOT
oci create --bundle "$BUNDLE" hostns </dev/null > "$WORK/hostns.out" 2>&1
oci start hostns
for _ in $(seq 100); do [ "$(oci state hostns | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "linux.namespaces without ipc and uts: the host's, joined, and its host name" \
        "$(readlink /proc/self/ns/ipc) $(readlink /proc/self/ns/uts) $(hostname)" "$(tr '\n' ' ' < "$WORK/hostns.out" | sed 's/ $//')"
oci delete hostns
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["hostname"] = "not-the-hosts"
json.dump(config, open(sys.argv[1], "w"), indent=2)
EOT
host_name_before=$(hostname)
one_line_error "a hostname without a UTS namespace of its own: exit 2, the host's name unchanged" 2 \
        "create: config.json gives a hostname, but the container's UTS namespace is the host's" "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
check_eq "...the host's name as it was" "$host_name_before" "$(hostname)"
for key in kernel.shmmni fs.mqueue.msg_max kernel.hostname; do
        python3 - "$BUNDLE/config.json" "$key" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config.pop("hostname", None)
config["linux"]["sysctl"] = {sys.argv[2]: "4000" if sys.argv[2] != "kernel.hostname" else "not-the-hosts"}
json.dump(config, open(sys.argv[1], "w"), indent=2)
EOT
        before=$(cat "/proc/sys/${key//.//}")
        one_line_error "linux.sysctl $key with the host's IPC and UTS namespaces: exit 2 (it would be the host's)" 2 \
                "linux.sysctl: '$key' is no sysctl of the container's own namespaces" "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
        check_eq "...the host's $key as it was" "$before" "$(cat "/proc/sys/${key//.//}")"
done
# ...and the host's namespaces given by path are the host's all the same.
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["namespaces"] += [{"type": "network", "path": "/proc/self/ns/net"}, {"type": "uts", "path": "/proc/self/ns/uts"}]
# (The host's own value: were it written, the host would not change.)
config["linux"]["sysctl"] = {"net.ipv4.tcp_keepalive_time": open("/proc/sys/net/ipv4/tcp_keepalive_time").read().strip()}
json.dump(config, open(sys.argv[1], "w"), indent=2)
EOT
one_line_error "linux.sysctl net.* with the host's network namespace given by path (after a new one: the last wins): exit 2" 2 \
        "linux.sysctl: 'net.ipv4.tcp_keepalive_time' is no sysctl of the container's own namespaces" "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
del config["linux"]["sysctl"]
config["hostname"] = "not-the-hosts"
json.dump(config, open(sys.argv[1], "w"), indent=2)
EOT
one_line_error "a hostname with the host's UTS namespace given by path: exit 2, the host's name unchanged" 2 \
        "create: config.json gives a hostname, but the container's UTS namespace is the host's" "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
check_eq "...the host's name as it was" "$host_name_before" "$(hostname)"

# No pid in linux.namespaces: the host's (podman's --pid=host, Kubernetes' hostPID). The
# init is no PID 1, its /proc is the host's; what it starts outlives it, until delete.
# (Killed, they are the host's init's zombies until it reaps them.)
running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
sleep 300 &
host_sleeper=$!
bundle '["/bin/sh", "-c", "echo $$ $(readlink /proc/self/ns/pid) $(cat /proc/1/comm); [ -d /proc/'"$host_sleeper"' ] && echo sees-host-process; sleep 200 & echo $! > /tmp/child; sleep 300"]'
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["namespaces"] = [ns for ns in config["linux"]["namespaces"] if ns["type"] != "pid"]
config["linux"]["cgroupsPath"] = "/ml-oci-test/hostpid"
json.dump(config, open(sys.argv[1], "w"), indent=2)
EOT
oci create --bundle "$BUNDLE" --pid-file "$WORK/hostpid.pid" hostpid </dev/null > "$WORK/hostpid.out" 2>&1
# Seen by every process of the host's namespace, the init waiting for start is a sealed
# copy of our binary, not the host's (CVE-2019-5736), and not dumpable.
check_match "...its init, created, runs a sealed memfd copy of machined-lite, not the host's binary" \
        '^/memfd:machined-lite \(deleted\)$' "$(readlink "/proc/$(cat "$WORK/hostpid.pid")/exe")"
check_eq "...not dumpable: a process of its user without CAP_SYS_PTRACE opens neither its exe nor its fds (the state's FIFO)" \
        "refused refused" \
        "$(setpriv --bounding-set=-sys_ptrace -- python3 -c 'import os, sys
def opened(path):
    try:
        os.close(os.open(path, os.O_PATH))
        return "opened"
    except OSError:
        return "refused"
proc = "/proc/" + sys.argv[1]
print(opened(proc + "/exe"), " ".join(sorted({opened(proc + "/fd/" + n) for n in os.listdir(proc + "/fd")})))' "$(cat "$WORK/hostpid.pid")" 2>&1)"
oci start hostpid
for _ in $(seq 100); do [ -s "$BUNDLE/rootfs/tmp/child" ] && break; sleep 0.05; done
check_eq "linux.namespaces without pid: the host's PID namespace; the init's PID the host's (no PID 1), the host's processes in its /proc" \
        "$(cat "$WORK/hostpid.pid") $(readlink /proc/self/ns/pid) $(cat /proc/1/comm) sees-host-process" "$(flat "$(cat "$WORK/hostpid.out")")"
oci exec --detach --pid-file "$WORK/hostpid-exec.pid" hostpid /bin/sh -c 'echo $$ > /tmp/exec-pid; exec sleep 200' </dev/null
for _ in $(seq 100); do [ -s "$BUNDLE/rootfs/tmp/exec-pid" ] && break; sleep 0.05; done
expid=$(cat "$WORK/hostpid-exec.pid")
check_eq "...exec: its process in the host's PID namespace too, the PID it sees the host's" \
        "$expid $(readlink /proc/self/ns/pid)" "$(cat "$BUNDLE/rootfs/tmp/exec-pid") $(readlink "/proc/$expid/ns/pid")"
child=$(cat "$BUNDLE/rootfs/tmp/child")
oci kill hostpid KILL
for _ in $(seq 100); do [ "$(oci state hostpid | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "...its init killed: stopped, what it started still runs (the host's PID namespace is not the container's to end)" \
        "stopped alive" "$(oci state hostpid | json_field status) $(running "$child" && echo alive)"
# (One hidden in a sub-cgroup whose name starts with a dot: --all reaches it too.)
mkdir "$CG/ml-oci-test/hostpid/.hidden"
echo "$child" > "$CG/ml-oci-test/hostpid/.hidden/cgroup.procs"
out=$(oci kill --all hostpid TERM 2>&1)
rc=$?
for _ in $(seq 100); do running "$child" || running "$expid" || break; sleep 0.05; done
check_eq "...kill --all of it, stopped: exit 0, what it (in .hidden too) and exec started gone (containerd's shim does it); the host's own untouched" \
        "0  gone gone alive" "$rc $out $(running "$child" && echo alive || echo gone) $(running "$expid" && echo alive || echo gone) $(running "$host_sleeper" && echo alive)"
oci delete hostpid
check_eq "...delete: its cgroup gone" gone "$([ -e "$CG/ml-oci-test/hostpid" ] && echo left || echo gone)"
kill "$host_sleeper"
rm -f "$BUNDLE/rootfs/tmp/child" "$BUNDLE/rootfs/tmp/exec-pid"

# A pod as CRI makes one: a container joins the IPC and UTS namespaces of the sandbox's
# (linux.namespaces' path), keeping its host name.
bundle '["/bin/sleep", "60"]'
sed -i 's|${ID:-ctr}|sandbox|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" sandbox </dev/null >/dev/null 2>&1
oci start sandbox
sandbox_pid=$(oci state sandbox | sed -n 's/^  "pid": \([0-9]*\).*/\1/p')
bundle '["/bin/sh", "-c", "hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts"]'
python3 - "$BUNDLE/config.json" "$sandbox_pid" <<'EOT'
import json, sys
path, pid = sys.argv[1:]
config = json.load(open(path))
del config["hostname"]
config["linux"]["namespaces"] = [{"type": "pid"}, {"type": "mount"}, {"type": "network"},
                                 {"type": "ipc", "path": f"/proc/{pid}/ns/ipc"}, {"type": "uts", "path": f"/proc/{pid}/ns/uts"}]
config["linux"]["cgroupsPath"] = "/ml-oci-test/podmember"
json.dump(config, open(path, "w"))
EOT
oci create --bundle "$BUNDLE" podmember </dev/null > "$WORK/podmember.out" 2>&1
oci start podmember
for _ in $(seq 100); do [ "$(oci state podmember | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a container joins the sandbox's IPC and UTS namespaces by path, and keeps its host name" \
        "ocibox $(readlink "/proc/$sandbox_pid/ns/ipc") $(readlink "/proc/$sandbox_pid/ns/uts")" "$(flat "$(cat "$WORK/podmember.out")")"
oci delete podmember
# ...and its PID and cgroup namespaces (a pod that shares its processes): the sandbox's init
# is PID 1 there, the member's init is not.
bundle '["/bin/sh", "-c", "cat /proc/1/cmdline | tr \"\\\\0\" \" \"; test $$ != 1 && echo not-pid-1; readlink /proc/self/ns/pid; readlink /proc/self/ns/cgroup"]'
python3 - "$BUNDLE/config.json" "$sandbox_pid" <<'EOT'
import json, sys
path, pid = sys.argv[1:]
config = json.load(open(path))
config["linux"]["namespaces"] = [{"type": "pid", "path": f"/proc/{pid}/ns/pid"}, {"type": "mount"}, {"type": "uts"},
                                 {"type": "cgroup", "path": f"/proc/{pid}/ns/cgroup"}]
config["linux"]["cgroupsPath"] = "/ml-oci-test/podmember"
json.dump(config, open(path, "w"))
EOT
oci create --bundle "$BUNDLE" podmember </dev/null > "$WORK/podmember.out" 2>&1
oci start podmember
for _ in $(seq 100); do [ "$(oci state podmember | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a container joins the sandbox's PID and cgroup namespaces by path: its init is not PID 1 there" \
        "/bin/sleep 60 not-pid-1 $(readlink "/proc/$sandbox_pid/ns/pid") $(readlink "/proc/$sandbox_pid/ns/cgroup")" \
        "$(flat "$(cat "$WORK/podmember.out")")"
check_eq "...and the sandbox runs on" running "$(oci state sandbox | json_field status)"
oci delete podmember
oci delete --force sandbox
# A time namespace of its own with linux.timeOffsets: its boot time a year on, an exec's too.
bundle '["/bin/sh", "-c", "cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time; sleep 30"]' '' '' \
        '"timeOffsets": { "boottime": { "secs": 31536000, "nanosecs": 0 }, "monotonic": { "secs": 86400 } }'
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["namespaces"].append({"type": "time"})
config["linux"]["cgroupsPath"] = "/ml-oci-test/timens"
json.dump(config, open(sys.argv[1], "w"))
EOT
oci create --bundle "$BUNDLE" timens </dev/null > "$WORK/timens.out" 2>&1
oci start timens
for _ in $(seq 50); do [ "$(wc -l < "$WORK/timens.out")" -ge 2 ] && break; sleep 0.1; done
host_uptime=$(cut -d. -f1 /proc/uptime)
read -r up ns < <(flat "$(cat "$WORK/timens.out")")
check "linux.namespaces' time with timeOffsets: the container's uptime is a year on, its time namespace its own" \
        test "$up" -ge $((host_uptime + 31536000 - 5)) -a "$ns" != "$(readlink /proc/self/ns/time)"
check_eq "...and exec's process is in it" "$ns" "$(oci exec timens /bin/readlink /proc/self/ns/time </dev/null 2>&1)"
# ...and a member of its pod joins it by path (its offsets the pod's).
timens_pid=$(oci state timens | sed -n 's/^  "pid": \([0-9]*\).*/\1/p')
bundle '["/bin/sh", "-c", "cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time"]'
python3 - "$BUNDLE/config.json" "$timens_pid" <<'EOT'
import json, sys
path, pid = sys.argv[1:]
config = json.load(open(path))
config["linux"]["namespaces"].append({"type": "time", "path": f"/proc/{pid}/ns/time"})
config["linux"]["cgroupsPath"] = "/ml-oci-test/timemember"
json.dump(config, open(path, "w"))
EOT
oci create --bundle "$BUNDLE" timemember </dev/null > "$WORK/timemember.out" 2>&1
oci start timemember
for _ in $(seq 100); do [ "$(oci state timemember | json_field status)" = stopped ] && break; sleep 0.05; done
read -r up2 ns2 < <(flat "$(cat "$WORK/timemember.out")")
check "a container joins that time namespace by path: a year on too, the same namespace" \
        test "${up2:-0}" -ge $((host_uptime + 31536000 - 5)) -a "$ns2" = "$ns"
oci delete timemember
oci delete --force timens
# ...and a pod's user namespace (Kubernetes' hostUsers: false): the member is in the
# sandbox's, whose map is the one config.json gives (checked: another is refused).
bundle '["/bin/sleep", "60"]' '"oomScoreAdj": 100' '' '"uidMappings": [ { "containerID": 0, "hostID": 1500000, "size": 65536 } ],
    "gidMappings": [ { "containerID": 0, "hostID": 1500000, "size": 65536 } ]'
usersandbox() {
        python3 - "$BUNDLE/config.json" "$@" <<'EOT'
import json, sys
path, cid = sys.argv[1:3]
config = json.load(open(path))
config["linux"]["namespaces"] = [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "user", **({"path": sys.argv[3]} if len(sys.argv) > 3 else {})}]
config["linux"]["cgroupsPath"] = "/ml-oci-test/" + cid
json.dump(config, open(path, "w"))
EOT
}
usersandbox usersandbox
oci create --bundle "$BUNDLE" usersandbox </dev/null >/dev/null 2>&1
oci start usersandbox
usersandbox_pid=$(oci state usersandbox | sed -n 's/^  "pid": \([0-9]*\).*/\1/p')
sed -i 's|"args": \["/bin/sleep", "60"\]|"args": ["/bin/sh", "-c", "readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u; cat /proc/self/oom_score_adj"]|' "$BUNDLE/config.json"
usersandbox usermember "/proc/$usersandbox_pid/ns/user"
oci create --bundle "$BUNDLE" usermember </dev/null > "$WORK/usermember.out" 2>&1
oci start usermember
for _ in $(seq 100); do [ "$(oci state usermember | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "a container joins the sandbox's user namespace by path: its root is the pod's range's; oomScoreAdj set" \
        "$(readlink "/proc/$usersandbox_pid/ns/user") 0 1500000 65536 0 100" "$(flat "$(tr -s ' ' ' ' < "$WORK/usermember.out" | sed 's/^ //')")"
check_eq "...and the sandbox's (a user namespace of its own) too" 100 "$(cat "/proc/$usersandbox_pid/oom_score_adj")"
oci delete usermember
sed -i 's|"hostID": 1500000|"hostID": 1700000|g' "$BUNDLE/config.json"
one_line_error "joining a user namespace whose map is not config.json's: exit 1" 1 \
        "The user namespace /proc/$usersandbox_pid/ns/user maps other IDs than linux.uidMappings says \(0 1700000 65536\)" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
oci delete --force usersandbox
bundle '["/bin/true"]'
python3 - "$BUNDLE/config.json" <<'EOT'
import json, sys
config = json.load(open(sys.argv[1]))
config["linux"]["namespaces"] = [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc", "path": "/proc/self/ns/net"}]
json.dump(config, open(sys.argv[1], "w"))
EOT
one_line_error "an IPC namespace path that is another namespace: exit 1" 1 "/proc/self/ns/net is not an IPC namespace" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# kill, delete of a running one, --force.
bundle '["/bin/sleep", "60"]'
sed -i 's|${ID:-ctr}|sleeper|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" sleeper </dev/null >/dev/null 2>&1
oci start sleeper
check_eq "started: running" running "$(oci state sleeper | json_field status)"
check_match "list shows it" "^sleeper +[0-9]+ +running" "$(oci list)"
one_line_error "delete of a running container: exit 7" 7 "container sleeper is running: delete takes a stopped one" \
        "$OCI" --root "$ROOT" delete sleeper
oci pause sleeper
check_eq "pause: paused (the cgroup v2 freezer)" paused "$(oci state sleeper | json_field status)"
oci resume sleeper
check_eq "resume: running" running "$(oci state sleeper | json_field status)"

# exec: one more process in the running container, as its init was made, or as the
# command line or --process says; its status passed on, or --detach and its PID.
init=$(oci state sleeper | sed -n 's/^  "pid": \([0-9]*\).*/\1/p')
out=$(oci exec sleeper /bin/sh -c 'echo $GREETING; pwd; id -u; grep CapBnd /proc/self/status; grep NoNewPrivs /proc/self/status; hostname; tr "\0" " " < /proc/1/cmdline; exit 9' </dev/null 2>&1)
rc=$?
check_eq "exec: config.json's process (env, cwd, user, capabilities, noNewPrivileges) in the container's namespaces; its status 9" \
        "hello /tmp 0 CapBnd: 0000000000000021 NoNewPrivs: 1 ocibox /bin/sleep 60 9" "$(flat "$out" | tr '\t' ' ') $rc"
check_eq "...its cgroup the container's, its PID namespace the init's" "0::/ $(readlink "/proc/$init/ns/pid")" \
        "$(oci exec sleeper /bin/sh -c 'grep ^0:: /proc/self/cgroup' </dev/null) $(oci exec sleeper /bin/sh -c 'readlink /proc/self/ns/pid' </dev/null)"
out=$(oci exec --env X=1 --cwd / --user 1000:1001 --cap CAP_NET_RAW sleeper /bin/sh -c 'echo $X $GREETING; pwd; id -u; id -g; grep CapBnd /proc/self/status' </dev/null 2>&1)
check_eq "exec --env --cwd --user --cap: added to config.json's" "1 hello / 1000 1001 CapBnd: 0000000000002021" "$(flat "$out" | tr '\t' ' ')"
check_eq "exec: no fd of its caller's but stdio (here the caller holds fd 9 too)" "0 1 2 3" \
        "$(oci exec sleeper /bin/sh -c 'ls /proc/self/fd' </dev/null 9</dev/null 2>&1 | tr '\n' ' ' | sed 's/ $//')"
check_eq "exec --user --additional-gids (twice, -g too): the groups exactly those (the primary one not added), as runc" \
        "1000 1001 Groups: 20 30" \
        "$(oci exec --user 1000:1001 --additional-gids 20 -g 30 sleeper /bin/sh -c 'id -u; id -g; grep Groups /proc/self/status' </dev/null 2>&1 |
                tr '\n\t' '  ' | sed 's/ *$//')"
one_line_error "exec --additional-gids of no GID: exit 2" 2 "exec: --additional-gids takes a GID \(a number\), not 'wheel'" \
        "$OCI" --root "$ROOT" exec --additional-gids wheel sleeper /bin/true
echo passed-in > "$WORK/fd3"
check_eq "exec --preserve-fds 2: fds 3 and 4 go along (5 is ls's own), the caller's fd 9 not" "passed-in 0 1 2 3 4 5" \
        "$(oci exec --preserve-fds 2 sleeper /bin/sh -c 'cat <&3; ls /proc/self/fd' 3<"$WORK/fd3" 4</dev/null 9</dev/null 2>&1 |
                tr '\n' ' ' | sed 's/ $//')"
one_line_error "exec --preserve-fds naming an fd that is not open: exit 2" 2 "exec: --preserve-fds=3: fd 5 is not open" \
        "$OCI" --root "$ROOT" exec --preserve-fds 3 sleeper /bin/true 3</dev/null 4</dev/null
# config.json as create read it: a bundle changed since (or by the container, when it is
# its root) grants an exec nothing more.
cp "$BUNDLE/config.json" "$WORK/config.saved"
sed -i 's|"bounding": \["CAP_CHOWN", "CAP_KILL"\]|"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"]|' "$BUNDLE/config.json"
check_eq "exec after config.json changed: the capabilities of the container as created" "CapBnd: 0000000000000021" \
        "$(oci exec sleeper /bin/sh -c 'grep CapBnd /proc/self/status' </dev/null 2>&1 | tr '\t' ' ')"
cp "$WORK/config.saved" "$BUNDLE/config.json"
echo from-stdin | oci exec sleeper /bin/cat > "$WORK/exec-stdin" 2>&1
check_eq "exec: stdin and stdout are the caller's" from-stdin "$(cat "$WORK/exec-stdin")"
cat > "$WORK/process.json" <<'EOF'
{ "args": ["/bin/sh", "-c", "echo $WHO; pwd; id -u"], "env": ["PATH=/bin", "WHO=from-process-json"], "cwd": "/data",
  "user": { "uid": 7, "gid": 7 }, "terminal": false }
EOF
out=$(oci exec --process "$WORK/process.json" sleeper </dev/null 2>&1)
check_eq "exec --process FILE: its args, env, cwd and user" "from-process-json /data 7" "$(flat "$out")"
oci exec --detach --pid-file "$WORK/exec.pid" sleeper /bin/sleep 30 </dev/null
check_eq "exec --detach: exit 0 at once" 0 "$?"
expid=$(cat "$WORK/exec.pid" 2>/dev/null)
check_eq "...the pid file names the process, in the container's PID namespace and cgroup" \
        "sleep $(readlink "/proc/$init/ns/pid") yes" \
        "$(cat "/proc/$expid/comm" 2>&1) $(readlink "/proc/$expid/ns/pid") $(grep -qx "$expid" "$CG/ml-oci-test/sleeper/cgroup.procs" && echo yes)"
check_eq "ps lists it beside the init" "2" "$(oci ps --format json sleeper | tr -cd ',' | wc -c | awk '{ print $1 + 1 }')"
# exec --cgroup: a sub-cgroup of the container's (v2: PATH; a hybrid host's v1:
# CONTROLLER:PATH), as runc's; one that is not there, or above it, refused.
mkdir "$CG/ml-oci-test/sleeper/sub"
check_eq "exec --cgroup PATH: the process in that sub-cgroup of the container's; --cgroup / its own" "0::/sub 0::/" \
        "$(oci exec --cgroup sub sleeper /bin/grep ^0:: /proc/self/cgroup </dev/null 2>&1) $(oci exec --cgroup / sleeper /bin/grep ^0:: /proc/self/cgroup </dev/null 2>&1)"
pids_v1=$(sed -n 's/^[0-9]*:pids:\(.*\)/\1/p' "/proc/$init/cgroup")
if [ -n "$pids_v1" ] && [ -d "/sys/fs/cgroup/pids$pids_v1" ]; then
        mkdir "/sys/fs/cgroup/pids$pids_v1/v1sub"
        check_eq "exec --cgroup pids:PATH (a hybrid host's v1 hierarchy) and PATH together: both sub-cgroups" ":pids:/v1sub 0::/sub" \
                "$(oci exec --cgroup pids:v1sub --cgroup sub sleeper /bin/sh -c 'grep -o ":pids:.*" /proc/self/cgroup; grep ^0:: /proc/self/cgroup' </dev/null 2>&1 | flat "$(cat)")"
        one_line_error "exec --cgroup of a controller the container has no v1 cgroup of: exit 2" 2 \
                "exec: --cgroup nosuch:sub: container sleeper has no cgroup on a v1 hierarchy of controller 'nosuch'" \
                "$OCI" --root "$ROOT" exec --cgroup nosuch:sub sleeper /bin/true
else
        one_line_error "exec --cgroup CONTROLLER:PATH on a host without v1 hierarchies: exit 2" 2 \
                "exec: --cgroup pids:sub: CONTROLLER:PATH names a cgroup v1 hierarchy, and container sleeper has none" \
                "$OCI" --root "$ROOT" exec --cgroup pids:sub sleeper /bin/true
fi
one_line_error "exec --cgroup of a sub-cgroup that is not there: exit 2" 2 "exec: --cgroup nope: container sleeper has no such sub-cgroup" \
        "$OCI" --root "$ROOT" exec --cgroup nope sleeper /bin/true
one_line_error "exec --cgroup above the container's: exit 2" 2 "exec: --cgroup sub/../..: the path must stay below the container's cgroup" \
        "$OCI" --root "$ROOT" exec --cgroup sub/../.. sleeper /bin/true
one_line_error "exec of a command the container does not have: exit 127" 127 "Cannot run /bin/nope in the container" \
        "$OCI" --root "$ROOT" exec sleeper /bin/nope
one_line_error "exec without a command: exit 2" 2 "exec: no command given" "$OCI" --root "$ROOT" exec sleeper
echo '{ "args": [], "cwd": "/" }' > "$WORK/bad-process.json"
one_line_error "exec --process with no args: exit 2" 2 "bad-process.json: process.args: is missing or empty" \
        "$OCI" --root "$ROOT" exec --process "$WORK/bad-process.json" sleeper
one_line_error "exec --tty without a console socket: exit 2" 2 "give --console-socket for its pty" \
        "$OCI" --root "$ROOT" exec --tty sleeper /bin/true
# A root that may trace the process before it execs (CAP_SYS_PTRACE, no user namespace)
# could take hold of our binary through it: refused.
sed 's|/ml-oci-test/sleeper"|/ml-oci-test/tracer"|; s|"bounding": \["CAP_CHOWN", "CAP_KILL"\]|"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SYS_PTRACE"]|' \
        "$BUNDLE/config.json" > "$WORK/tracer.json"
cp "$BUNDLE/config.json" "$WORK/config.saved"
cp "$WORK/tracer.json" "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" tracer </dev/null >/dev/null 2>&1
cp "$WORK/config.saved" "$BUNDLE/config.json"
one_line_error "exec into a container with CAP_SYS_PTRACE and no user namespace: refused, exit 1" 1 \
        "exec: container tracer has CAP_SYS_PTRACE and no user namespace" "$OCI" --root "$ROOT" exec tracer /bin/true
oci delete --force tracer
oci kill sleeper KILL
for _ in $(seq 100); do [ "$(oci state sleeper | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "kill ID KILL: stopped" stopped "$(oci state sleeper | json_field status)"
check "...and the exec'd process with it (the container's PID namespace is gone)" test ! -d "/proc/$expid"
one_line_error "exec in a stopped container: exit 7" 7 "container sleeper is stopped: exec needs it created or running" \
        "$OCI" --root "$ROOT" exec sleeper /bin/true
oci delete sleeper
oci create --bundle "$BUNDLE" sleeper </dev/null >/dev/null 2>&1
oci delete --force sleeper
check_eq "delete --force of a created one: gone, its init too" "6 gone" \
        "$(oci state sleeper >/dev/null 2>&1; echo $?) $(pgrep -f '^/bin/sleep 60$' >/dev/null && echo alive || echo gone)"

# linux.sysctl: those of the container's own namespaces, set in them; others refused.
bundle '["/bin/sh", "-c", "cat /proc/sys/net/ipv4/ping_group_range"]' '' '' '"sysctl": { "net.ipv4.ping_group_range": "0 1000" }'
sed -i 's|${ID:-ctr}|sysctl|' "$BUNDLE/config.json"
host_range=$(tr -s ' \t' ' ' < /proc/sys/net/ipv4/ping_group_range)
oci create --bundle "$BUNDLE" sysctl </dev/null > "$WORK/sysctl.out" 2>&1
oci start sysctl
for _ in $(seq 100); do [ "$(oci state sysctl | json_field status)" = stopped ] && break; sleep 0.05; done
check_eq "linux.sysctl net.ipv4.ping_group_range in its network namespace" "0 1000" "$(tr -s ' \t' ' ' < "$WORK/sysctl.out")"
check_eq "...the host's stays as it was" "$host_range" "$(tr -s ' \t' ' ' < /proc/sys/net/ipv4/ping_group_range)"
oci delete sysctl
bundle '["/bin/true"]' '' '' '"sysctl": { "vm.swappiness": "10" }'
one_line_error "a sysctl of no namespace of the container's: exit 2" 2 "linux.sysctl: 'vm.swappiness' is no sysctl of the container's own namespaces" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad

# One engine, one list: a container of the default --root is in machined-lite list and status.
bundle '["/bin/sleep", "60"]'
sed -i 's|${ID:-ctr}|ml-oci-listed|' "$BUNDLE/config.json"
"$OCI" create --bundle "$BUNDLE" ml-oci-listed </dev/null >/dev/null 2>&1
"$OCI" start ml-oci-listed
check_match "machined-lite list shows machined-lite-oci's container (class oci, its state, its init)" \
        "^ml-oci-listed +oci +running +- +$("$OCI" state ml-oci-listed | sed -n 's/^  "pid": \([0-9]*\).*/\1/p') +$BUNDLE/rootfs " \
        "$("$ML" list)"
# A Kubernetes container's 64-character ID: the NAME column as wide as the longest.
longid=ml-oci-$(printf '%058d' 7)
sed -i "s|\"/ml-oci-test/ml-oci-listed\"|\"/ml-oci-test/$longid\"|" "$BUNDLE/config.json"
"$OCI" create --bundle "$BUNDLE" "$longid" </dev/null >/dev/null 2>&1
list=$("$ML" list)
check_eq "list: a 64-character ID keeps the columns (CLASS where the header has it)" \
        "$(head -n 1 <<<"$list" | awk '{ print index($0, "CLASS") }')" "$(grep "^$longid " <<<"$list" | awk '{ print index($0, " oci ") + 1 }')"
"$OCI" delete --force "$longid"
check_eq "...and list --json" "ml-oci-listed oci running" \
        "$("$ML" list --json | python3 -c 'import json,sys; print(*[" ".join((m["name"], m["class"], m["state"])) for m in json.load(sys.stdin) if m["name"] == "ml-oci-listed"])')"
check_match "machined-lite status ID of a container" "^ml-oci-listed \(oci container of machined-lite-oci.*State: running.*Bundle: $BUNDLE" \
        "$("$ML" status ml-oci-listed | tr '\n' ' ')"
"$OCI" delete --force ml-oci-listed
check_eq "...gone from the list once deleted" "" "$("$ML" list | grep ml-oci-listed)"
# ...and machined-lite stop, kill and reboot act on it as on a machine.
bundle '["/bin/sh", "-c", "trap \"echo usr1 >> /got\" USR1; trap \"echo term >> /got; exit 0\" TERM; while :; do sleep 0.1; done"]'
sed -i 's|${ID:-ctr}|ml-oci-listed|' "$BUNDLE/config.json"
"$OCI" create --bundle "$BUNDLE" ml-oci-listed </dev/null >/dev/null 2>&1
"$OCI" start ml-oci-listed
sleep 0.3
"$ML" kill --kill-whom=leader --signal=USR1 ml-oci-listed
for _ in $(seq 50); do [ -s "$BUNDLE/rootfs/got" ] && break; sleep 0.1; done
check_eq "machined-lite kill --kill-whom=leader --signal=USR1 of a container: its init has it" usr1 "$(cat "$BUNDLE/rootfs/got" 2>&1)"
one_line_error "machined-lite reboot of a container: exit 2" 2 "ml-oci-listed is a container of machined-lite-oci, which cannot reboot" \
        "$ML" reboot ml-oci-listed
out=$("$ML" stop ml-oci-listed 2>&1)
check_eq "machined-lite stop of a container: exit 0 once its init has ended (SIGTERM), stopped" "0  stopped usr1 term" \
        "$? $out $("$OCI" state ml-oci-listed | json_field status) $(flat "$(cat "$BUNDLE/rootfs/got")")"
out=$("$OCI" delete ml-oci-listed 2>&1)
check_eq "...and its engine deletes it as any stopped one" "0 " "$? $out"
one_line_error "machined-lite stop of it, gone: exit 6" 6 "No machine ml-oci-listed is running" "$ML" stop ml-oci-listed
rm -f "$BUNDLE/rootfs/got"
# In a pod's PID namespace a container's processes outlive its init: stop takes them too.
bundle '["/bin/sleep", "60"]'
sed -i 's|${ID:-ctr}|ml-oci-pod|' "$BUNDLE/config.json"
"$OCI" create --bundle "$BUNDLE" ml-oci-pod </dev/null >/dev/null 2>&1
"$OCI" start ml-oci-pod
pod_pid=$("$OCI" state ml-oci-pod | sed -n 's/^  "pid": \([0-9]*\).*/\1/p')
bundle '["/bin/sh", "-c", "sleep 300 & trap \"exit 0\" TERM; while :; do sleep 0.1; done"]'
python3 - "$BUNDLE/config.json" "$pod_pid" <<'EOT'
import json, sys
path, pid = sys.argv[1:]
config = json.load(open(path))
config["linux"]["namespaces"] = [{"type": "pid", "path": f"/proc/{pid}/ns/pid"}, {"type": "mount"}, {"type": "uts"}]
config["linux"]["cgroupsPath"] = "/ml-oci-test/ml-oci-member"
json.dump(config, open(path, "w"))
EOT
"$OCI" create --bundle "$BUNDLE" ml-oci-member </dev/null >/dev/null 2>&1
"$OCI" start ml-oci-member
sleep 0.3
"$ML" stop ml-oci-member
check_eq "machined-lite stop of a container in a pod's PID namespace: what its init started is gone too" "" \
        "$(cat "$CG/ml-oci-test/ml-oci-member/cgroup.procs" 2>&1)"
"$OCI" delete --force ml-oci-member
"$OCI" delete --force ml-oci-pod

# --oci-bundle: the bundle as a machine (machined-lite run and boot, nspawn's command line),
# config.json's process, hostname and mounts, the command line on top.
bundle '["/bin/sh", "-c", "echo $GREETING; hostname; pwd; cat /data/file; echo pid=$$"]'
out=$("$ML" run -q --console=pipe --oci-bundle="$BUNDLE" </dev/null 2>&1)
check_eq "run --oci-bundle: config.json's command (PID 2 under ml-init), environment, host name, cwd, bind mount" \
        "hello ocibox /tmp from-the-host pid=2" "$(flat "$out")"
ln -sf "$ML" "$WORK/bin/systemd-nspawn"
out=$("$WORK/bin/systemd-nspawn" -q -P --register=no --oci-bundle="$BUNDLE" </dev/null 2>&1)
check_eq "systemd-nspawn --oci-bundle: the same, the command as PID 1" "hello ocibox /tmp from-the-host pid=1" "$(flat "$out")"
out=$("$ML" run -q --console=pipe --oci-bundle="$BUNDLE" --hostname=cli -- /bin/sh -c 'hostname; cat /data/file' </dev/null 2>&1)
check_eq "run --oci-bundle with a command and --hostname: the command line wins" "cli from-the-host" "$(flat "$out")"
out=$("$ML" boot -q --console=pipe --oci-bundle="$BUNDLE" --init=/bin/sh -- -c 'echo booted $(hostname) pid=$$' </dev/null 2>&1)
check_eq "boot --oci-bundle: the root's init (here --init), not the bundle's process" "booted ocibox pid=1" "$out"
set_process 0 '{ "bounding": ["CAP_SYS_MODULE", "CAP_KILL"] }' obcaps
check_eq "--oci-bundle: config.json's bounding set only narrows a machine's own (no CAP_SYS_MODULE)" "CapBnd: 0000000000000020" \
        "$("$ML" run -q --console=pipe --oci-bundle="$BUNDLE" -- /bin/sh -c 'grep CapBnd /proc/self/status' </dev/null 2>&1 | tr '\t' ' ')"
one_line_error "--oci-bundle with -D: exit 2" 2 "--oci-bundle=$BUNDLE names the root already: no -D or -i with it" \
        "$ML" run --oci-bundle="$BUNDLE" -D "$BUNDLE/rootfs" -- /bin/true
bundle '["/bin/true"]' '' '' '"sysctl": { "net.ipv4.ping_group_range": "0 1" }'
one_line_error "--oci-bundle of a config with what a machine does not take (linux.sysctl): exit 2" 2 \
        "config.json: linux.sysctl: --oci-bundle boots the bundle as a machine, which does not take it" \
        "$ML" run --oci-bundle="$BUNDLE" -- /bin/true
bundle '["/bin/true"]' '"scheduler": { "policy": "SCHED_BATCH" }'
one_line_error "--oci-bundle of a config with process.scheduler (a container's only): exit 2" 2 \
        "config.json: process.ioPriority, scheduler or execCPUAffinity.initial: --oci-bundle boots the bundle as a machine" \
        "$ML" run --oci-bundle="$BUNDLE" -- /bin/true
mkdir -p "$WORK/empty"
one_line_error "--oci-bundle of no bundle: exit 2" 2 "Cannot open $WORK/empty/config.json: No such file or directory" \
        "$ML" run --oci-bundle="$WORK/empty" -- /bin/true

# Refusals: one line, a documented exit code (README), nothing left.
one_line_error "state of an unknown ID: exit 6" 6 "container nosuch does not exist" "$OCI" --root "$ROOT" state nosuch
one_line_error "an ID that is no ID: exit 2" 2 "'a/b' is no container ID" "$OCI" --root "$ROOT" state a/b
mkdir -p "$WORK/empty" "$BUNDLE/rootfs
PID=1"
bundle '["/bin/true"]'
sed -i 's|"path": "rootfs"|"path": "rootfs\\nPID=1"|' "$BUNDLE/config.json"
one_line_error "a root.path with a newline (it would forge lines of the state): exit 2" 2 \
        "create: the bundle's path, root.path or linux.cgroupsPath holds a control character" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
rmdir "$BUNDLE/rootfs
PID=1"
one_line_error "a bundle without config.json: exit 2" 2 "Cannot open .*/empty/config.json: No such file or directory" \
        "$OCI" --root "$ROOT" create --bundle "$WORK/empty" bad
echo '{ "ociVersion": "1.0.2", "process": ' > "$WORK/empty/config.json"
one_line_error "a config.json that is not JSON: exit 2, where" 2 "config.json is not JSON: .* at offset [0-9]+" \
        "$OCI" --root "$ROOT" create --bundle "$WORK/empty" bad
bundle '["/bin/true"]'
sed -i 's/"1.0.2-dev"/"2.0.0"/' "$BUNDLE/config.json"
one_line_error "an ociVersion it does not implement: exit 2" 2 "ociVersion: '2.0.0' is not a version machined-lite implements" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]'
sed -i 's/{ "type": "ipc" }/{ "type": "ipx" }/' "$BUNDLE/config.json"
one_line_error "an unknown namespace type: exit 2" 2 "linux.namespaces\[2\]: 'ipx' is no namespace type" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]'
sed -i 's|"destination": "/scratch"|"destination": "/../../etc"|' "$BUNDLE/config.json"
one_line_error "a mount destination that escapes the root: exit 2" 2 "mounts\[5\]: destination '/../../etc' must be an absolute path without \.\." \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"intelRdt": { "closID": "x" }'
one_line_error "a key it knows and this host cannot honour (linux.intelRdt): exit 2" 2 "linux.intelRdt: this host has no Intel RDT" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"personality": { "domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"] }'
one_line_error "a personality flag (the specification defines none): exit 2" 2 \
        "linux.personality.flags: 'ADDR_NO_RANDOMIZE': the specification defines no flags yet" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"timeOffsets": { "monotonic": { "secs": 10 } }'
one_line_error "linux.timeOffsets without a time namespace: exit 2" 2 "linux.timeOffsets: needs a time namespace in linux.namespaces" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]'
sed -i 's/, { "type": "mount" }//' "$BUNDLE/config.json"
one_line_error "linux.namespaces without mount: exit 2" 2 \
        "linux.namespaces: a container without its own mount namespace is not implemented by machined-lite" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/true"]' '' '' '"seccomp": { "defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NO_SUCH"] }'
one_line_error "a seccomp flag it does not take: exit 2" 2 \
        "linux.seccomp.flags: 'SECCOMP_FILTER_FLAG_NO_SUCH' is not implemented by machined-lite" \
        "$OCI" --root "$ROOT" create --bundle "$BUNDLE" bad
bundle '["/bin/sleep", "60"]'
sed -i 's|${ID:-ctr}|taken|' "$BUNDLE/config.json"
oci create --bundle "$BUNDLE" taken </dev/null >/dev/null 2>&1
one_line_error "an ID in use: exit 5" 5 "Container taken exists already" "$OCI" --root "$ROOT" create --bundle "$BUNDLE" taken
one_line_error "--log-format=json: the error as one JSON object" 6 '^\{"level":"error","msg":"container nosuch does not exist.*","time":"[0-9T:.Z-]+"\}$' \
        "$OCI" --root "$ROOT" --log-format=json state nosuch
"$OCI" --root "$ROOT" --log "$WORK/log.json" --log-format json state nosuch 2>/dev/null
check_match "--log FILE: the JSON object goes there" '^\{"level":"error","msg":"container nosuch does not exist' "$(cat "$WORK/log.json")"
oci delete --force taken
check "no state is left of the refused creates" test -z "$(oci list -q)"
rmdir "$CG/ml-oci-test"
host_unchanged "after the OCI containers"
finish
