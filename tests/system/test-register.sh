#!/bin/bash
# Life inside systemd, checked with systemd's own tools in a real systemd host (the
# hostbox): machine-NAME.scope with Delegate= and Slice=, the guest's processes and
# cgroups in it, --property reaching the unit, machinectl on our machines,
# machine@.service started and stopped, a reboot restarting it, two machines of one
# name, a bus that refuses; and nothing left behind after any of it.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/hostbox.sh"
require_root
make_work
NAME=ml-reg-$$
BB=$WORK/hostbox/bb
host_snapshot
make_busybox_tree "$BB"
hostbox_start "$NAME" --bind="$(debian_tree)":/var/lib/machines/deb || finish
hostbox_install || finish

# What our machines may leave in the hostbox: scopes, machines, cgroups.
hostbox_leftovers() {
        in_hostbox systemctl list-units --all --no-legend --plain 'machine-*' 'machine@*' 'mlt-*'
        in_hostbox machinectl list --no-legend
        in_hostbox find /sys/fs/cgroup/machine.slice /sys/fs/cgroup/lab.slice -mindepth 1 -type d 2>/dev/null
}
nothing_left() {
        local left
        for _ in $(seq 50); do
                left=$(hostbox_leftovers)
                [ -z "$left" ] && break
                sleep 0.1
        done
        check_eq "$1: no scope, machine or cgroup left in the hostbox" "" "$left"
}

# guest_state LEADER: systemctl is-system-running in a guest of the hostbox, polled
# until it answers running or degraded (60 s at most).
guest_state() {
        local state
        for _ in $(seq 600); do
                state=$(in_hostbox nsenter -t "$1" -a /bin/systemctl is-system-running 2>/dev/null)
                case $state in running | degraded) break ;; esac
                sleep 0.1
        done
        echo "$state"
}

# start_machine UNIT ARGS...: machined-lite as a service of the hostbox's systemd, in
# the background; waits until machinectl lists the machine (-M must be in ARGS).
start_machine() {
        local unit=$1 machine
        shift
        machine=$(printf '%s\n' "$@" | sed -n 's/^-M//p; s/^--machine=//p' | head -1)
        [ -n "$machine" ] || machine=$(printf '%s\n' "$@" | grep -A1 -x -- -M | tail -1)
        hostbox_run --unit="$unit" -- machined-lite "$@" >"$WORK/$unit.out" 2>&1 &
        JOB=$!
        for _ in $(seq 100); do
                in_hostbox machinectl show "$machine" >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        fail "$unit: machine $machine never appeared: $(cat "$WORK/$unit.out")"
        return 1
}

# --- A machine started by hand: its scope, its cgroups, machinectl.
start_machine ml-a run -M a1 --console=pipe -D "$BB" -- /bin/sleep 30
show=$(in_hostbox systemctl show machine-a1.scope -p ActiveState -p Delegate -p Slice -p ControlGroup)
check_eq "machine-a1.scope is active, delegated, in machine.slice" "ActiveState=active
ControlGroup=/machine.slice/machine-a1.scope
Delegate=yes
Slice=machine.slice" "$(printf '%s\n' "$show" | sort)"
sup=$(in_hostbox cat /sys/fs/cgroup/machine.slice/machine-a1.scope/supervisor/cgroup.procs)
payload=$(in_hostbox cat /sys/fs/cgroup/machine.slice/machine-a1.scope/payload/cgroup.procs | tr '\n' ' ')
check_eq "the supervisor is alone in supervisor/" machined-lite "$(in_hostbox cat "/proc/$sup/comm")"
check_match "the guest (init and command) is in payload/" '^[0-9]+ [0-9]+ $' "$payload"
check "the scope's own cgroup holds no process" test -z "$(in_hostbox cat /sys/fs/cgroup/machine.slice/machine-a1.scope/cgroup.procs)"
status=$(for p in Class Service RootDirectory Unit State; do in_hostbox machinectl show a1 -p $p; done)
check_eq "machinectl knows a1: class container, service machined-lite, its root and unit" "Class=container
Service=machined-lite
RootDirectory=$BB
Unit=machine-a1.scope
State=running" "$status"
leader=$(in_hostbox machinectl show a1 -p Leader --value)
check_eq "machined's leader is the guest's PID 1 (ml-init)" ml-init "$(in_hostbox cat "/proc/$leader/comm")"
in_hostbox machinectl terminate a1
wait $JOB
check_eq "machinectl terminate ends it (the supervisor asks the guest to stop)" "" "$(in_hostbox machinectl list --no-legend)"
nothing_left "after terminate"

# --- Two machines of one name; a bus that refuses; properties systemd can use.
start_machine ml-b run -M dup --console=pipe -D "$BB" -- /bin/sleep 30
make_busybox_tree "$WORK/hostbox/bb2"
out=$(hostbox_run -- machined-lite run -M dup --console=pipe -D "$WORK/hostbox/bb2" -- /bin/true 2>&1)
check_eq "a second machine named dup: exit 5" 5 "$?"
check_match "with one line saying so" '^machined-lite: Machine dup is already running \(machined-lite list shows it; give another name with -M NAME\)$' "$out"
in_hostbox machinectl terminate dup
wait $JOB
nothing_left "after the name clash"

out=$(hostbox_run -E DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent -- machined-lite run --register=yes -M nobus \
        --console=pipe -D "$BB" -- /bin/true 2>&1)
check_eq "--register=yes and a bus that is not there: exit 1" 1 "$?"
check_match "with one line saying so" '^machined-lite: --register=yes: cannot connect to the system bus: .*use --register=no\)$' "$out"
out=$(hostbox_run -E DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent -- machined-lite run -M nobus2 \
        --console=pipe -D "$BB" -- /bin/sh -c 'echo ran' 2>&1)
check_eq "--register=auto without a bus still runs the machine" "0 ran" "$? $out"
out=$(hostbox_run -- machined-lite run -M refused --slice=x@.slice --console=pipe -D "$BB" -- /bin/true 2>&1)
check_eq "a scope systemd refuses: exit 1" 1 "$?"
check_match "with one line naming the scope and systemd's reason" '^machined-lite: systemd refused to create machine-refused.scope: ' "$out"
nothing_left "after the refusals"

# Registered, then the guest's setup fails half-way (a tree whose /proc is a file, no
# place to mount on): the scope and the registration go with it.
make_busybox_tree "$WORK/hostbox/noproc"
rmdir "$WORK/hostbox/noproc/proc"
touch "$WORK/hostbox/noproc/proc"
out=$(hostbox_run -- machined-lite run -M halfway --read-only --console=pipe -D "$WORK/hostbox/noproc" -- /bin/true 2>&1)
check_eq "a guest whose setup fails after registration: exit 1" 1 "$?"
check_match "with the step that failed" "^machined-lite: Failed to make the mount point /proc in $WORK/hostbox/noproc: Not a directory$" "$out"
nothing_left "after a failure half-way"

out=$(hostbox_run -- machined-lite run -M plain --register=no --console=pipe -D "$BB" -- /bin/sh -c 'cat /proc/1/cgroup | grep ^0::' 2>&1)
check_eq "--register=no: no scope, the guest's cgroup is its namespace root" "0::/" "$out"

start_machine ml-c run -M props --console=pipe --slice=lab.slice --property=MemoryMax=1G --property=CPUWeight=50 \
        --property=TasksMax=200 "--property=DeviceAllow=/dev/fuse rw" --property=AllowedCPUs=0 \
        --property=CPUQuota=150% --property=MemoryAccounting=on "--property=Description=Props machine" \
        --property=RuntimeMaxSec=5min --property=KillMode=mixed --property=SendSIGHUP=yes -D "$BB" -- /bin/sleep 30
show=$(in_hostbox systemctl show machine-props.scope -p Slice -p MemoryMax -p CPUWeight -p TasksMax -p DeviceAllow \
        -p AllowedCPUs -p CPUQuotaPerSecUSec -p MemoryAccounting -p Description -p RuntimeMaxUSec -p KillMode \
        -p SendSIGHUP)
check_eq "--slice and every --property reach the scope (systemctl show)" "AllowedCPUs=0
CPUQuotaPerSecUSec=1.500000s
CPUWeight=50
Description=Props machine
DeviceAllow=/dev/fuse rw
KillMode=mixed
MemoryAccounting=yes
MemoryMax=1073741824
RuntimeMaxUSec=5min
SendSIGHUP=yes
Slice=lab.slice
TasksMax=200" "$(printf '%s\n' "$show" | sort)"
in_hostbox machinectl terminate props
wait $JOB
nothing_left "after the properties"

# Properties outside our table go to systemd in the D-Bus type systemd gives them on a
# scope: device lists, lists of words, addresses, percentages (40% of 2^32-1 as systemd
# keeps it), *Sec spelled as in units. (systemd shows the addresses in no fixed order.)
start_machine ml-c2 run -M passed --console=pipe "--property=IODeviceWeight=/dev/loop0 200" \
        "--property=IOReadBandwidthMax=/dev/loop0 5M" "--property=IODeviceLatencyTargetSec=/dev/loop0 25ms" \
        --property=DisableControllers=io "--property=IPAddressDeny=10.0.0.0/8 localhost" \
        --property=ManagedOOMMemoryPressureLimit=40% "--property=Documentation=man:systemd-nspawn(1) man:machinectl(1)" -D "$BB" -- /bin/sleep 30
show=$(in_hostbox systemctl show machine-passed.scope -p IODeviceWeight -p IOReadBandwidthMax \
        -p IODeviceLatencyTargetUSec -p DisableControllers -p IPAddressDeny -p ManagedOOMMemoryPressureLimit \
        -p Documentation)
check_eq "--property names beyond our table reach the scope in systemd's types (systemctl show)" "DisableControllers=io
Documentation=\"man:systemd-nspawn(1)\" \"man:machinectl(1)\"
IODeviceLatencyTargetUSec=/dev/loop0 25ms
IODeviceWeight=/dev/loop0 200
IOReadBandwidthMax=/dev/loop0 5242880
IPAddressDeny=10.0.0.0/8 127.0.0.0/8 ::1/128 
ManagedOOMMemoryPressureLimit=1717986918" "$(printf '%s\n' "$show" | sort |
        while IFS= read -r line; do
                case $line in
                IPAddressDeny=*) echo "IPAddressDeny=$(printf '%s\n' "${line#*=}" | tr ' ' '\n' | sort | tr '\n' ' ')" ;;
                *) echo "$line" ;;
                esac
        done)"
in_hostbox machinectl terminate passed
wait $JOB
out=$(hostbox_run -- machined-lite run -M nosuch --console=pipe --property=NoSuchSetting=1 -D "$BB" -- /bin/true 2>&1)
check_eq "a property systemd does not have: exit 1" 1 "$?"
check_match "with systemd's own reason in one line" '^machined-lite: systemd refused to create machine-nosuch.scope: .*NoSuchSetting' "$out"
out=$(hostbox_run -- machined-lite run -M badval --console=pipe --property=IODeviceWeight=loop0 -D "$BB" -- /bin/true 2>&1)
check_eq "a value not of systemd's type: exit 1" 1 "$?"
check_eq "with one line saying what to give" "machined-lite: --property=IODeviceWeight=loop0: systemd takes IODeviceWeight as the D-Bus type a(st): give a device and a number, like \"/dev/sda 200\" or \"/dev/sda 5M\"" "$out"
nothing_left "after the properties passed to systemd"

# SIGKILL of the supervisor: systemd collects the scope, machined forgets the machine.
start_machine ml-d run -M killed --console=pipe -D "$BB" -- /bin/sleep 30
# shellcheck disable=SC2016 # expanded by the hostbox's shell
in_hostbox systemctl kill --signal=SIGKILL --kill-who=all machine-killed.scope 2>/dev/null ||
        in_hostbox sh -c 'kill -KILL $(cat /sys/fs/cgroup/machine.slice/machine-killed.scope/supervisor/cgroup.procs)'
wait $JOB
nothing_left "after SIGKILL"

# --- A booted Debian: its own systemd manages its slices inside our scope.
start_machine ml-e boot -M deb1 --console=read-only -D /var/lib/machines/deb
leader=$(in_hostbox machinectl show deb1 -p Leader --value)
state=$(guest_state "$leader")
check_match "the Debian guest reaches running" '^(running|degraded)$' "$state"
cgls=$(in_hostbox systemd-cgls --no-pager -u machine-deb1.scope)
check_match "host's systemd-cgls: the guest's services nest under machine-deb1.scope/payload" \
        'payload.*init\.scope.*system\.slice' "$(printf '%s' "$cgls" | tr '\n' ' ')"
inner=$(in_hostbox nsenter -t "$leader" -a /bin/systemd-cgls --no-pager 2>&1 | head -3 | tr '\n' ' ')
check_match "guest's own systemd-cgls: it sees its tree from its root" '^Control group /:' "$inner"
in_hostbox machinectl poweroff deb1
wait $JOB
check_eq "machinectl poweroff: the guest powers off, machined-lite exits 0" 0 "$?"
nothing_left "after poweroff"
# --- machine@.service: active once the guest is up, a reboot restarts it, stop powers off.
in_hostbox systemctl enable --quiet machine@deb
check_eq "systemctl enable machine@deb: wanted by machines.target" "enabled machine@deb.service" \
        "$(in_hostbox systemctl is-enabled machine@deb) $(in_hostbox systemctl list-dependencies --plain --no-legend machines.target | grep -o 'machine@deb.service')"
in_hostbox systemctl disable --quiet machine@deb
in_hostbox systemctl start machine@deb
check_eq "systemctl start machine@deb succeeds" 0 "$?"
leader=$(in_hostbox machinectl show deb -p Leader --value)
state=$(in_hostbox nsenter -t "$leader" -a /bin/systemctl is-system-running 2>&1)
check_match "when systemctl start returns, the guest's systemd is already up (READY=1 passed on)" \
        '^(running|degraded)$' "$state"
check_eq "the unit is active and registered with machined under its own name" "active machine@deb.service" \
        "$(in_hostbox systemctl is-active machine@deb) $(in_hostbox machinectl show deb -p Unit --value)"
# shellcheck disable=SC2016 # expanded by the hostbox's shell
check_eq "--keep-unit: supervisor/ and payload/ inside the unit's cgroup" "machined-lite systemd" \
        "$(in_hostbox sh -c 'cat /proc/$(cat /sys/fs/cgroup/machine.slice/machine@deb.service/supervisor/cgroup.procs)/comm; \
                cat /proc/$(head -1 /sys/fs/cgroup/machine.slice/machine@deb.service/payload/init.scope/cgroup.procs)/comm' | tr '\n' ' ' | sed 's/ $//')"
uid=$(in_hostbox ps -o uid= -p "$leader" | tr -d ' ')
check "machine@ boots with --private-users=pick: the guest's PID 1 runs as host UID $uid" test "$uid" -ge $((0x80000))
echo "--- systemctl status machine@deb, as printed:"
in_hostbox systemctl status machine@deb --no-pager --lines=0 | sed 's/^/    /'
echo "--- machinectl list, as printed:"
in_hostbox machinectl list --no-pager | sed 's/^/    /'

# shellcheck disable=SC2016 # expanded by the guest's shell
out=$(in_hostbox machinectl shell deb /bin/sh -c 'echo hello from $(hostname)' 2>&1 | tr -d '\r')
check_match "machinectl shell runs a command in our machine" 'hello from ' "$out"

out=$(in_hostbox sh -c 'printf "\n" | timeout 10 script -qfec "machinectl login deb" /dev/null' 2>&1 | tr -d '\r')
check_match "machinectl login reaches a getty in our machine" 'login: ' "$out"

in_hostbox machinectl reboot deb
for _ in $(seq 300); do
        restarts=$(in_hostbox systemctl show machine@deb -p NRestarts --value)
        [ "$restarts" = 1 ] && [ "$(in_hostbox systemctl is-active machine@deb)" = active ] && break
        sleep 0.1
done
check_eq "a reboot in the guest (exit 133) restarts the unit, which comes back active" "1 active" \
        "$restarts $(in_hostbox systemctl is-active machine@deb)"
check "the restarted guest has a new leader" test "$(in_hostbox machinectl show deb -p Leader --value)" != "$leader"

in_hostbox systemctl stop machine@deb
check_eq "systemctl stop powers the guest off: Result=success, exit 0" "success 0" \
        "$(in_hostbox systemctl show machine@deb -p Result --value) $(in_hostbox systemctl show machine@deb -p ExecMainStatus --value)"
journal=$(in_hostbox journalctl -u machine@deb --no-pager -o cat | tr '\n' ' ')
check_match "the guest shut down cleanly (its console, in the unit's journal)" 'Reached target .*System (Halt|Power Off)' "$journal"
nothing_left "after systemctl stop"

in_hostbox systemctl start machine@deb
in_hostbox machinectl kill deb --kill-whom=leader --signal=SIGKILL
for _ in $(seq 50); do [ "$(in_hostbox systemctl is-active machine@deb)" = failed ] && break; sleep 0.1; done
check_eq "machinectl kill --signal=SIGKILL of the leader: machined-lite exits 128+9, the unit fails" "failed 137" \
        "$(in_hostbox systemctl is-active machine@deb) $(in_hostbox systemctl show machine@deb -p ExecMainStatus --value)"
in_hostbox systemctl reset-failed machine@deb
nothing_left "after machinectl kill"

# An init that never says READY=1 (busybox): the unit waits for it by default, and
# with --notify-ready=no it is ready as soon as it runs.
bbunit() {
        in_hostbox systemd-run --quiet --unit="$1" -p Type=notify -p Delegate=yes -p KillMode=mixed -p Slice=machine.slice \
                -p TimeoutStartSec=3 -- /usr/local/bin/machined-lite boot --quiet --keep-unit -M "$2" "${@:3}" -D "$BB"
}
bbunit ml-bb1 bb1 --notify-ready=no
check_eq "--notify-ready=no: a busybox guest's unit is active at once" active "$(in_hostbox systemctl is-active ml-bb1)"
check_eq "and machined lists it under that unit" ml-bb1.service "$(in_hostbox machinectl show bb1 -p Unit --value)"
in_hostbox systemctl stop ml-bb1
check_eq "systemctl stop powers busybox off: Result=success" success "$(in_hostbox systemctl show ml-bb1 -p Result --value)"
bbunit ml-bb2 bb2 2>/dev/null
check_eq "without it, a guest that never notifies never makes the unit active (start times out)" "failed timeout" \
        "$(in_hostbox systemctl is-active ml-bb2) $(in_hostbox systemctl show ml-bb2 -p Result --value)"
in_hostbox systemctl reset-failed ml-bb2 2>/dev/null
nothing_left "after the busybox units"

# machined-lite-oci --systemd-cgroup (CRI-O's and podman's systemd cgroup manager): the
# container in a transient scope of its own, slice:prefix:name as runc's systemd driver.
OCIB=$WORK/hostbox/ocib
mkdir -p "$OCIB"
cat > "$OCIB/config.json" <<EOF
{ "ociVersion": "1.0.2", "process": { "user": { "uid": 0, "gid": 0 }, "args": ["/bin/sleep", "60"], "env": ["PATH=/bin"], "cwd": "/",
    "capabilities": { "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"] } },
  "root": { "path": "$BB" },
  "mounts": [ { "destination": "/proc", "type": "proc", "source": "proc" } ],
  "linux": { "namespaces": [ { "type": "pid" }, { "type": "mount" }, { "type": "ipc" }, { "type": "uts" } ],
             "cgroupsPath": "machine.slice:mlt:sd1" } }
EOF
hostbox_run -- machined-lite-oci --systemd-cgroup create --bundle "$OCIB" sd1 </dev/null >"$WORK/sd1.out" 2>&1
rc=$?
check_eq "--systemd-cgroup create: exit 0" "0" "$rc$(cat "$WORK/sd1.out")"
hostbox_run -- machined-lite-oci start sd1
show=$(in_hostbox systemctl show mlt-sd1.scope -p ActiveState -p Slice -p Delegate -p ControlGroup)
check_eq "the container is in the scope mlt-sd1.scope of machine.slice, delegated" "ActiveState=active
ControlGroup=/machine.slice/mlt-sd1.scope
Delegate=yes
Slice=machine.slice" "$(printf '%s\n' "$show" | sort)"
pid=$(hostbox_run -- machined-lite-oci state sd1 | sed -n 's/^  "pid": \([0-9]*\).*/\1/p')
check_eq "its init alone in the scope's cgroup" "$pid" "$(in_hostbox cat /sys/fs/cgroup/machine.slice/mlt-sd1.scope/cgroup.procs)"
check_eq "machinectl sees it: a container of machined-lite-oci, its init the leader, in its scope" \
        "Class=container Leader=$pid Service=machined-lite-oci Unit=mlt-sd1.scope" \
        "$(in_hostbox machinectl show sd1 -p Class -p Leader -p Service -p Unit | sort | tr '\n' ' ' | sed 's/ $//')"
out=$(hostbox_run -- machined-lite-oci delete --force sd1 2>&1)
check_eq "delete --force of it: exit 0, silent" "0 " "$? $out"
for _ in $(seq 150); do in_hostbox systemctl is-active -q mlt-sd1.scope || break; sleep 0.1; done
check "delete --force: the scope is gone" test "$(in_hostbox systemctl is-active mlt-sd1.scope)" != active
check_eq "...and machinectl has forgotten it" "" "$(in_hostbox machinectl list --no-legend | grep sd1)"
# machinectl terminate of one (whose init ends on SIGTERM): systemd stops its scope; the
# engine sees it stopped.
sed -i "s|\"/bin/sleep\", \"60\"|\"/bin/sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 0.1; done\"|" "$OCIB/config.json"
hostbox_run -- machined-lite-oci --systemd-cgroup create --bundle "$OCIB" sd1 </dev/null >/dev/null 2>&1
hostbox_run -- machined-lite-oci start sd1
in_hostbox machinectl terminate sd1
for _ in $(seq 50); do [ "$(hostbox_run -- machined-lite-oci state sd1 | sed -n 's/^  "status": "\(.*\)",/\1/p')" = stopped ] && break; sleep 0.1; done
check_eq "machinectl terminate: the container is stopped" stopped \
        "$(hostbox_run -- machined-lite-oci state sd1 | sed -n 's/^  "status": "\(.*\)",/\1/p')"
hostbox_run -- machined-lite-oci delete sd1
# exec where no process may join the container's cgroup any more (its init moved to a
# leaf and a controller enabled below, as a systemd init does): the init's cgroup, as
# runc's; --cgroup names a sub-cgroup; CONTROLLER:PATH has no v1 hierarchy here.
hostbox_run -- machined-lite-oci --systemd-cgroup create --bundle "$OCIB" sd1 </dev/null >/dev/null 2>&1
hostbox_run -- machined-lite-oci start sd1
pid=$(hostbox_run -- machined-lite-oci state sd1 | sed -n 's/^  "pid": \([0-9]*\).*/\1/p')
scope=/sys/fs/cgroup/machine.slice/mlt-sd1.scope
controller=$(in_hostbox cat "$scope/cgroup.controllers" | awk '{ print $1 }')
if [ -n "$controller" ]; then
        in_hostbox sh -c "mkdir $scope/leaf && echo $pid > $scope/leaf/cgroup.procs && echo +$controller > $scope/cgroup.subtree_control"
        check_eq "exec into a container whose cgroup takes no process ($controller enabled below it): in its init's cgroup" \
                "0::/leaf" "$(hostbox_run -- machined-lite-oci exec sd1 /bin/grep ^0:: /proc/self/cgroup 2>&1)"
else
        echo "SKIP (one check): the scope has no controller to enable below it (this host's cgroup2 hierarchy has none)"
fi
in_hostbox mkdir -p "$scope/leaf"
check_eq "exec --cgroup leaf: in that sub-cgroup of the container's" \
        "0::/leaf" "$(hostbox_run -- machined-lite-oci exec --cgroup leaf sd1 /bin/grep ^0:: /proc/self/cgroup 2>&1)"
out=$(hostbox_run -- machined-lite-oci exec --cgroup pids:leaf sd1 /bin/true 2>&1)
check_match "exec --cgroup CONTROLLER:PATH on a cgroup v2 host: exit 2, one line" \
        "^machined-lite-oci: exec: --cgroup pids:leaf: CONTROLLER:PATH names a cgroup v1 hierarchy, and container sd1 has none" "$out"
hostbox_run -- machined-lite-oci delete --force sd1
sed -i 's|machine.slice:mlt:sd1|machine.slice:mlt:x.slice|' "$OCIB/config.json"
out=$(hostbox_run -- machined-lite-oci --systemd-cgroup create --bundle "$OCIB" sd2 </dev/null 2>&1)
check_match "--systemd-cgroup with a slice for the container: exit 2, one line" "^machined-lite-oci: create: --systemd-cgroup: linux.cgroupsPath 'machine.slice:mlt:x.slice' names a slice" "$out"
nothing_left "after the OCI container's scope"

hostbox_stop
host_unchanged "after the hostbox"

finish
