# The benchmark's section 4 (machine@ against systemd-nspawn@ under a real systemd:
# the hostbox of tests/system/hostbox.sh) and section 8's part in that hostbox.
import os
import statistics
import subprocess
import time

import procfs
from runner import (DEVNULL, NSENTER, PIPE, TEST_LIBS, explain_failure, fmt_ms, later, lines_of, median_table,
                    out, run_sections, summary, tests_env, warn)

# The machines in the hostbox (names inside it, whose systemd, machined and cgroups
# are its own; the hostbox's name is unique here).
ML_MACHINE = "mlbench-ml"
NS_MACHINE = "mlbench-ns"
NS_DROPIN = f"/etc/systemd/system/systemd-nspawn@{NS_MACHINE}.service.d/ml-bench.conf"
# Debian's ExecStart with -U (--private-users=pick) and --network-veth, as machine@ has,
# with --link-journal=no and
# --settings=no, and --notify-ready=yes: nspawn's default (no) sends READY=1 as soon
# as the guest's init is started, while machine@ waits for the guest's own READY=1;
# with yes, systemctl start returns at the same point for both.
NS_EXEC = ("systemd-nspawn --quiet --keep-unit --boot --link-journal=no --settings=no --notify-ready=yes -U "
           "--network-veth --machine=%i")
HOSTBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
GUEST_NS = ("user", "net", "mnt", "pid", "uts", "ipc", "cgroup")
DOWN_MARKERS = ("Halting system.", "Powering off.", "Reached target System Halt",
                "Reached target System Power Off", "System Halt", "System Power Off")
GUEST_RUNNING = ("/bin/systemctl", "is-system-running")

# The bash that keeps the hostbox: hostbox.sh keeps its state in shell variables,
# and its watcher kills the hostbox once the shell that started it is gone, so one
# shell (TEST_LIBS, then this) does it all: hostbox_start, then a verb a line on its
# stdin (install, stop: hostbox_VERB), each answered "VERB STATUS"; at the end of its
# stdin (ours closed, or we died) its EXIT trap kills what is left of the hostbox.
# lib.sh's cleanup_work (pkill -f, rm -rf $WORK) is not for us; Ctrl-C is ours to handle.
KEEPER = TEST_LIBS + r'''
WORK=$BENCH_WORK
cleanup_work() { :; }
trap '' INT
trap hostbox_cleanup EXIT
rc=0
hostbox_start "$@" >"$WORK/hostbox-start.out" 2>&1 || rc=1
echo "start $rc ${HOSTBOX_PID:--} ${HOSTBOX_NSPAWN:+up}"
while read -r verb; do
        rc=0
        "hostbox_$verb" >"$WORK/hostbox-$verb.out" 2>&1 || rc=1
        echo "$verb $rc"
done
'''


class Hostbox:
    """The hostbox (machine NAME on this host), through a keeper bash (KEEPER)."""

    def __init__(self, s, name):
        self.s, self.name = s, name
        self.keeper = None
        self.pid = None       # its PID 1 on this host
        self.up = False       # its systemd-nspawn started, not yet stopped

    def start(self, *options):
        """hostbox_start NAME OPTIONS...; whether it came up."""
        self.keeper = subprocess.Popen(["bash", "-c", KEEPER, "hostbox-keeper", self.name, *options], stdin=PIPE,
                                       stdout=PIPE, text=True, env=tests_env(self.s, BENCH_WORK=self.s.work))
        words = self.keeper.stdout.readline().split()
        self.up = words[3:] == ["up"]
        if len(words) < 3 or words[:2] != ["start", "0"] or not words[2].isdigit():
            return False
        self.pid = words[2]
        return True

    def do(self, verb):
        """hostbox_VERB; whether it returned 0."""
        try:
            self.keeper.stdin.write(verb + "\n")
            self.keeper.stdin.flush()
        except OSError:
            return False
        return self.keeper.stdout.readline().split() == [verb, "0"]

    def output(self, verb):
        return lines_of(os.path.join(self.s.work, f"hostbox-{verb}.out"))

    def stop(self):
        """hostbox_stop: a clean shutdown, checked; whether nothing of it is left."""
        self.up = False
        return self.do("stop")

    def cleanup(self):
        """Ends the keeper, and with it a hostbox still up (killed)."""
        if self.keeper is None:
            return
        try:
            self.keeper.stdin.close()
        except OSError:
            pass
        try:
            self.keeper.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.keeper.kill()
            self.keeper.wait()
        self.keeper = None

    def argv(self, argv):
        """What in_hostbox of tests/system/hostbox.sh runs: the command in the hostbox's
        namespaces, with a clean environment."""
        return [NSENTER, "-t", self.pid, "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w",
                "/usr/bin/env", "-i", f"PATH={HOSTBOX_PATH}", "HOME=/root", "LANG=C.UTF-8",
                "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"] + list(argv)

    def run(self, argv, timeout=60.0):
        """Runs a command in the hostbox: (exit status or None on a timeout, stdout, stderr, ns taken)."""
        t0 = time.perf_counter_ns()
        try:
            r = subprocess.run(self.argv(argv), stdin=DEVNULL, stdout=PIPE, stderr=PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, "", f"(no answer within {timeout:.0f} s)", time.perf_counter_ns() - t0
        t1 = time.perf_counter_ns()
        return (r.returncode, r.stdout.decode(errors="replace").strip(), r.stderr.decode(errors="replace").strip(),
                t1 - t0)

    def ok(self, argv, text=None):
        """Runs a command in the hostbox with TEXT on its stdin, its stdout dropped,
        its stderr ours; whether it exited 0."""
        r = subprocess.run(self.argv(argv), input=(text or "").encode(), stdout=DEVNULL)
        return r.returncode == 0

    def harness_ms(self):
        """What running a command in the hostbox alone takes: the median of 10 /bin/true."""
        return fmt_ms(statistics.median(self.run(["/bin/true"])[3] for _ in range(10)))


def indent(lines):
    for line in lines:
        out(f"  {line}")


def set_up(s, box):
    """Section 4's host: a copy of the Debian tree for systemd-nspawn@ (of ours after
    section 3, so that both trees have been booted as often), the hostbox with both
    trees bound at /var/lib/machines/NAME, our build installed, the drop-in for
    systemd-nspawn@, systemd-machined started (D-Bus activated: not to be paid by the
    first unit measured). Says why when it fails (False)."""
    ns_tree = os.path.join(s.work, "ml-bench-debian-nspawn")
    if subprocess.call(["cp", "-a", "--reflink=auto", s.debian, ns_tree]) != 0:
        out(f"  copying {s.debian} to {ns_tree} failed")
        return False
    out(f"  trees: {s.debian} as /var/lib/machines/{ML_MACHINE}, its copy {ns_tree} as /var/lib/machines/{NS_MACHINE}")
    started = box.start(f"--bind={s.debian}:/var/lib/machines/{ML_MACHINE}",
                        f"--bind={ns_tree}:/var/lib/machines/{NS_MACHINE}")
    indent(box.output("start"))
    if not started:
        return False
    installed = box.do("install")
    indent(box.output("install"))
    if not installed:
        return False
    if not (box.ok(["mkdir", "-p", os.path.dirname(NS_DROPIN)])
            and box.ok(["tee", NS_DROPIN], f"[Service]\nExecStart=\nExecStart={NS_EXEC}\n")
            and box.ok(["systemctl", "daemon-reload"])):
        out(f"  writing the drop-in {NS_DROPIN} in the hostbox failed")
        return False
    out(f"  drop-in {NS_DROPIN}: ExecStart={NS_EXEC}")
    if not box.ok(["busctl", "call", "org.freedesktop.machine1", "/org/freedesktop/machine1",
                   "org.freedesktop.machine1.Manager", "ListMachines"]):
        out("  starting systemd-machined in the hostbox failed")
        return False
    out(f"  systemd-machined: {box.run(['systemctl', 'is-active', 'systemd-machined.service'])[1]} "
        "(started beforehand)")
    return True


def section_4(s, box, extra_warnings):
    """Section 4, and section 8's part in the hostbox, while it is up; then the hostbox
    shut down. Returns as run_sections() does; what the summary is to warn of is added
    to EXTRA_WARNINGS."""
    out()
    out(f"== 4. systemctl start and stop of machine@ and systemd-nspawn@ in a systemd host (the hostbox): "
        f"{s.service_runs} runs each, interleaved")
    build = os.environ.get("MESON_BUILD_ROOT") or os.path.dirname(s.ml)
    if not os.path.isfile(os.path.join(build, "meson-private", "install.dat")):
        out(f"  not run: {build} is not a meson build directory (set MESON_BUILD_ROOT)")
        extra_warnings.append(f"section 4 not run: {build} is not a meson build directory")
        return 1
    if set_up(s, box):
        parts = [(4, lambda s: measure_services(s, box)), (4, lambda s: measure_shell(s, box))]
        if s.section_on(9):
            parts.append((4, lambda s: measure_network_boot(s, box)))
        rc = run_sections(s, parts)
    else:
        extra_warnings.append("section 4 not run: the hostbox's setup failed (see above)")
        rc = 1
    # Shut down cleanly (its systemd stops what still runs), and check that nothing
    # of it is left on this host.
    if box.up:
        if box.stop():
            out(f"  hostbox {box.name}: shut down, nothing of it left on this host")
        else:
            indent(box.output("stop"))
            extra_warnings += [line[len("FAIL: "):] for line in box.output("stop") if line.startswith("FAIL: ")]
    return rc


# ---- the units -----------------------------------------------------------------

def unit_props(box, unit, *props):
    args = ["systemctl", "show", unit]
    for prop in props:
        args += ["-p", prop]
    _, text, _, _ = box.run(args)
    return dict(line.partition("=")[::2] for line in text.splitlines())


def service_failure(box, name, unit, what):
    _, status_text, _, _ = box.run(["systemctl", "status", unit, "--no-pager", "--full", "--lines=15"])
    explain_failure(name, ["systemctl", "...", unit], what, status_text.splitlines())


def start_unit(box, name, unit, machine, timeout=120.0):
    """systemctl start UNIT, then polls the guest every 20 ms until its systemd says
    running or degraded: ns until start returned and until running, the state, the
    first answer, the polls, the guest's PID 1 in the hostbox."""
    t0 = time.perf_counter_ns()
    rc, _, err, _ = box.run(["systemctl", "start", unit], timeout=timeout)
    t1 = time.perf_counter_ns()
    if rc != 0:
        service_failure(box, name, unit, f"{rc} from systemctl start {unit}: {err}")
    rc, leader, err, _ = box.run(["machinectl", "show", machine, "-p", "Leader", "--value"])
    if rc != 0 or not leader.isdigit():
        service_failure(box, name, unit, f"{rc} from machinectl show {machine} -p Leader: {leader} {err}")
    state, first, polls = "", None, 0
    while True:
        _, state, _, _ = box.run(["nsenter", "-t", leader, "-m", "-u", "-i", "-p", "-C", "-r", "-w", *GUEST_RUNNING])
        polls += 1
        if first is None:
            first = state or "no answer"
        if state in ("running", "degraded"):
            t2 = time.perf_counter_ns()
            break
        if time.perf_counter_ns() - t0 > timeout * 1e9:
            service_failure(box, name, unit, f"none: the guest is not running/degraded {timeout:.0f} s after "
                            f"systemctl start (last answer: {state or 'none'})")
        time.sleep(0.02)
    return {"start": t1 - t0, "running": t2 - t0, "state": state, "first": first, "polls": polls, "leader": leader,
            "t0": t0}


def stop_unit(box, name, unit, timeout=120.0):
    """systemctl stop UNIT, after which it must be inactive with Result=success: (the
    ns it took, the unit's ActiveState, Result, ExecMainCode, ExecMainStatus)."""
    t0 = time.perf_counter_ns()
    rc, _, err, _ = box.run(["systemctl", "stop", unit], timeout=timeout)
    t1 = time.perf_counter_ns()
    if rc != 0:
        service_failure(box, name, unit, f"{rc} from systemctl stop {unit}: {err}")
    after = unit_props(box, unit, "ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    if after.get("ActiveState") != "inactive" or after.get("Result") != "success":
        service_failure(box, name, unit, f"none: after systemctl stop, ActiveState={after.get('ActiveState')} "
                        f"Result={after.get('Result')} ExecMainStatus={after.get('ExecMainStatus')}")
    return t1 - t0, after


def guest_facts(box, leader):
    """The guest's PID 1 as the hostbox sees it: namespaces of its own and shared
    with the hostbox, capability bounding set, seccomp mode, UID map."""
    script = ('for n in ' + ' '.join(GUEST_NS) + '; do '
              'if [ "$(readlink /proc/$1/ns/$n)" = "$(readlink /proc/1/ns/$n)" ]; then echo "shared $n"; '
              'else echo "own $n"; fi; done; '
              'grep -E "^(CapBnd|Seccomp):" /proc/$1/status; '
              'echo "uid_map $(head -1 /proc/$1/uid_map | tr -s " " | sed "s/^ //")"')
    _, text, _, _ = box.run(["/bin/sh", "-c", script, "sh", str(leader)])
    own, shared, facts = [], [], {}
    for line in text.splitlines():
        key, _, value = line.replace("\t", " ").partition(" ")
        if key == "own":
            own.append(value)
        elif key == "shared":
            shared.append(value)
        else:
            facts[key.rstrip(":")] = value.strip()
    return own, shared, facts


def settle_service(box, unit, machine, timeout=10.0):
    """Waits until machined has forgotten the machine and the unit's cgroup is gone."""
    check = (f'machinectl show {machine} >/dev/null 2>&1 && echo "machine {machine} still registered"; '
             f'test -d "/sys/fs/cgroup/machine.slice/{unit}" && echo "cgroup machine.slice/{unit} still there"; true')
    deadline = time.monotonic() + timeout
    while True:
        _, left, _, _ = box.run(["/bin/sh", "-c", check])
        if not left:
            return
        if time.monotonic() > deadline:
            warn(f"{unit}: {timeout:.0f} s after systemctl stop: " + "; ".join(left.splitlines()))
            return
        time.sleep(0.05)


def dependencies_before(box, unit):
    """For a unit with Wants= and After= on other services (Debian's systemd-nspawn@ on
    modprobe@tun, @loop, @dm_mod): how long after the first of them left inactive the
    unit itself did, in ns, with their names; None when it has no such service."""
    _, wants, _, _ = box.run(["systemctl", "show", unit, "-p", "Wants", "--value"])
    deps = [u for u in wants.split() if u.endswith(".service")]
    if not deps:
        return None
    _, text, _, _ = box.run(["systemctl", "show", "-p", "Id", "-p", "InactiveExitTimestampMonotonic", unit] + deps)
    stamps, ident = {}, None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "Id":
            ident = value
        elif key == "InactiveExitTimestampMonotonic" and ident is not None and value.isdigit():
            stamps[ident] = int(value)
    firsts = [stamps[d] for d in deps if stamps.get(d)]
    if not stamps.get(unit) or not firsts:
        return None
    return (stamps[unit] - min(firsts)) * 1000, deps


def service_once(box, name, unit, machine):
    before = unit_props(box, unit, "ActiveState")
    if before.get("ActiveState") not in ("inactive", "failed"):
        warn(f"{unit} is {before.get('ActiveState')} before systemctl start")
    r = start_unit(box, name, unit, machine)
    invocation = unit_props(box, unit, "InvocationID").get("InvocationID", "")
    r["facts"] = guest_facts(box, r["leader"])
    r["waited"] = dependencies_before(box, unit)
    r["settings"] = unit_settings(box, unit)
    r["stop"], r["after"] = stop_unit(box, name, unit)
    # The guest's console is the unit's output: its last words, in the hostbox's journal.
    clean = False
    if invocation:
        deadline = time.monotonic() + 3.0
        while not clean and time.monotonic() < deadline:
            _, log, _, _ = box.run(["journalctl", "--no-pager", "-o", "cat", f"_SYSTEMD_INVOCATION_ID={invocation}"])
            clean = any(m in log for m in DOWN_MARKERS)
            if not clean:
                time.sleep(0.1)
    r["clean"] = clean
    settle_service(box, unit, machine)
    return r


UNIT_PROPS = ("Type", "NotifyAccess", "KillMode", "Delegate", "Slice", "TasksMax", "DevicePolicy",
              "WatchdogUSec", "TimeoutStartUSec", "TimeoutStopUSec", "LimitNOFILE", "Wants", "After")
UNIT_LISTS = ("DeviceAllow",)


def unit_settings(box, unit):
    """Settings of a unit, as systemctl show has them while it runs (WatchdogUSec is
    filled in only then); each a list of values."""
    args = ["systemctl", "show", unit]
    for prop in UNIT_PROPS + UNIT_LISTS:
        args += ["-p", prop]
    _, text, _, _ = box.run(args)
    values = {prop: [] for prop in UNIT_PROPS + UNIT_LISTS}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in values:
            values[key].append(value)
    # RequiresMountsFor=/var/lib/machines/%i: each its own mount unit, no difference.
    values["After"] = [" ".join(u for u in " ".join(values["After"]).split()
                                if not u.strip('"').startswith("var-lib-machines-"))]
    return values


def unit_differences(ml_unit, ns_unit, seen):
    """Lines naming the settings of the two units that differ."""
    lines = []
    for prop in UNIT_PROPS:
        a, b = " ".join(seen[ml_unit][prop]), " ".join(seen[ns_unit][prop])
        if prop in ("Wants", "After"):
            a_set, b_set = set(a.split()), set(b.split())
            only_a = sorted(a_set - b_set)
            only_b = sorted(b_set - a_set)
            if only_a or only_b:
                lines.append(f"{prop}=: only machine@: {' '.join(only_a) or '-'}; "
                             f"only systemd-nspawn@: {' '.join(only_b) or '-'}")
        elif a != b:
            lines.append(f"{prop}=: machine@ {a or '(empty)'}, systemd-nspawn@ {b or '(empty)'}")
    for prop in UNIT_LISTS:
        a_set, b_set = set(seen[ml_unit][prop]), set(seen[ns_unit][prop])
        if a_set != b_set:
            lines.append(f"{prop}=: only machine@: {', '.join(sorted(a_set - b_set)) or '-'}; "
                         f"only systemd-nspawn@: {', '.join(sorted(b_set - a_set)) or '-'}")
    return lines or ["none among " + ", ".join(UNIT_PROPS + UNIT_LISTS)]


def print_guests(box, res):
    """What the guests got, as the hostbox sees their PID 1 (from the first run), and
    how their units differ."""
    out()
    _, hb_caps, _, _ = box.run(["/bin/sh", "-c", "grep '^CapBnd:' /proc/1/status"])
    out(f"  guest PID 1 (hostbox's own PID 1: {hb_caps.split(':')[-1].strip() or '?'} CapBnd):")
    for name, r in res.items():
        own, shared, facts = r[0]["facts"]
        out(f"  {name:13} own namespaces: {' '.join(own) or 'none'}; the hostbox's: {' '.join(shared) or 'none'}; "
            f"CapBnd {facts.get('CapBnd', '?')}, Seccomp {facts.get('Seccomp', '?')}, "
            f"uid_map '{facts.get('uid_map', '?')}'")
    ml_facts, ns_facts = res["machined-lite"][0]["facts"], res["nspawn"][0]["facts"]
    if ml_facts[1] != ns_facts[1]:
        warn(f"the guests do not share the same namespaces with the hostbox: machined-lite {ml_facts[1]}, "
             f"nspawn {ns_facts[1]}")
    same, differ = [], []
    for key, label in (("CapBnd", "capability bounding set"), ("Seccomp", "seccomp mode"),
                       ("uid_map", "UID map")):
        a, b = ml_facts[2].get(key, "?"), ns_facts[2].get(key, "?")
        (same if a == b else differ).append(f"{label} {a}" if a == b else
                                            f"{label}: machined-lite {a}, nspawn {b}")
    if ml_facts[:2] == ns_facts[:2]:
        same.insert(0, "namespaces")
    out(f"  the same for both guests: {', '.join(same) or 'nothing compared'}"
        f"{' (the seccomp filters themselves are not compared)' if ml_facts[2].get('Seccomp') == '2' else ''}")
    if differ:
        out(f"  different: {'; '.join(differ)}")
    out("  the units' remaining differences (systemctl show):")
    ml_unit, ns_unit = f"machine@{ML_MACHINE}.service", f"systemd-nspawn@{NS_MACHINE}.service"
    for line in unit_differences(ml_unit, ns_unit, {ml_unit: res["machined-lite"][0]["settings"],
                                                    ns_unit: res["nspawn"][0]["settings"]}):
        out(f"    {line}")
    waited = [r["waited"][0] for r in res["nspawn"] if r["waited"] is not None]
    if waited:
        out(f"    systemd-nspawn@ starts after its Wants= services each time: median "
            f"{fmt_ms(statistics.median(waited))} ms from their start to its own, included in its figures")


def measure_services(s, box):
    units = [
        ("machined-lite", f"machine@{ML_MACHINE}.service", ML_MACHINE),
        ("nspawn", f"systemd-nspawn@{NS_MACHINE}.service", NS_MACHINE),
    ]
    _, version, _, _ = box.run(["systemctl", "--version"])
    out(f"  the hostbox's systemd: {version.splitlines()[0] if version else '?'}")
    for name, unit, machine in units:
        props = unit_props(box, unit, "FragmentPath", "DropInPaths")
        _, cat, _, _ = box.run(["systemctl", "cat", unit])
        execs = [line for line in cat.splitlines() if line.startswith("ExecStart=") and line != "ExecStart="]
        dropins = props.get("DropInPaths") or "none"
        out(f"  {name:13} {unit}: {execs[-1] if execs else 'ExecStart=?'}")
        out(f"  {'':13} (unit {props.get('FragmentPath', '?')}, drop-ins: {dropins}; "
            f"tree /var/lib/machines/{machine})")
    out(f"  (each command below runs in the hostbox like in_hostbox: nsenter -t {box.pid} ... env -i ...; "
        f"that alone takes {box.harness_ms()} ms, included in every figure)")
    out("  (start: systemctl start until it returns; running: from the same start until "
        "`nsenter -t LEADER -m -u -i -p -C -r -w /bin/systemctl is-system-running` in the guest says "
        "running or degraded, LEADER from machinectl show NAME -p Leader, polled every 20 ms; "
        "stop: systemctl stop until it returns, then ActiveState=inactive and Result=success are checked)")

    res = {name: [] for name, _, _ in units}
    for i in range(s.service_runs):
        for name, unit, machine in units:
            r = service_once(box, name, unit, machine)
            res[name].append(r)
            after = r["after"]
            out(f"  {name:13} run {i + 1}: start returned in {fmt_ms(r['start']):>8} ms, "
                f"'{r['state']}' at {fmt_ms(r['running']):>8} ms ({r['polls']} poll{'s' if r['polls'] != 1 else ''}, "
                f"first answer '{r['first']}'); stop returned in {fmt_ms(r['stop']):>8} ms: "
                f"{after.get('ActiveState')}, Result={after.get('Result')}, "
                f"{after.get('ExecMainCode')}/{after.get('ExecMainStatus')}"
                f"{'' if r['clean'] else ' (no clean halt message in its journal)'}")
            if r["waited"] is not None:
                out(f"  {'':13}        (of its start: {fmt_ms(r['waited'][0])} ms from its Wants= services "
                    f"starting to the unit itself starting: {', '.join(r['waited'][1])})")
    print_guests(box, res)

    out()
    labels = {
        "start": ("systemctl start returned", "systemctl start (hostbox) until it returned"),
        "running": ("start to running", "systemctl start (hostbox) to running"),
        "stop": ("systemctl stop returned", "systemctl stop (hostbox)"),
    }
    med = {key: {name: statistics.median(r[key] for r in res[name]) for name in res} for key in labels}
    for key, (label, _) in labels.items():
        m = med[key]
        out(f"  median {label + ':':25} machined-lite {fmt_ms(m['machined-lite'])} ms, "
            f"nspawn {fmt_ms(m['nspawn'])} ms: {m['machined-lite'] / m['nspawn']:.2f}x")
    for key, (_, label) in labels.items():
        m = med[key]
        summary.append(
            f"{label}: machine@ {fmt_ms(m['machined-lite'])} ms, systemd-nspawn@ "
            f"{fmt_ms(m['nspawn'])} ms: {m['machined-lite'] / m['nspawn']:.2f}x nspawn (no target set)")

    # Nothing of the machines left in the hostbox.
    _, left, _, _ = box.run(["/bin/sh", "-c",
                             "systemctl list-units --all --no-legend --plain 'machine@*' 'systemd-nspawn@*' "
                             "| grep -v ' inactive '; machinectl list --no-legend; "
                             "find /sys/fs/cgroup/machine.slice -mindepth 1 -type d 2>/dev/null; true"])
    if left:
        warn("left in the hostbox after the last stop: " + "; ".join(left.splitlines()))


# ---- section 8's part: machinectl shell ------------------------------------------

def shell_once(box, argv, timeout=30.0):
    """A command in the hostbox, once: None when it exited 0, else its one-line reason."""
    rc, text, err, _ = box.run(argv, timeout=timeout)
    if rc == 0:
        return None
    lines = [line.strip() for line in (err + "\n" + text).splitlines() if line.strip()]
    what = "no exit" if rc is None else f"exit status {rc}"
    return f"{what}: {lines[-1] if lines else '(no output)'}"


def measure_shell(s, box):
    """Section 8's part in the hostbox (printed by section 8): machinectl shell MACHINE
    /bin/true for the machine of machine@, against machined-lite shell of the same
    machine and nsenter -a into it, interleaved; kept in later["hostbox_shell"]."""
    name, unit, machine = "machined-lite", f"machine@{ML_MACHINE}.service", ML_MACHINE
    lines = []
    r = start_unit(box, name, unit, machine)
    leader = r["leader"]
    lines.append(f"in the hostbox: systemctl start {unit}: '{r['state']}' after "
                 f"{r['running'] / 1e9:.2f} s (guest PID 1 in the hostbox: {leader})")
    commands = [
        ("machinectl shell", ["machinectl", "-q", "shell", machine, "/bin/true"]),
        ("machined-lite shell", ["machined-lite", "shell", machine, "--", "/bin/true"]),
        ("nsenter -a", ["nsenter", "-a", "-t", leader, "/bin/true"]),
    ]
    usable = []
    for command, argv in commands:
        reason = shell_once(box, argv)
        if reason is None:
            usable.append((command, argv))
            lines.append(f"  {command:20} {' '.join(argv)}")
        else:
            lines.append(f"  {command:20} {' '.join(argv)}: cannot run here (tried once, not measured): {reason}")
    lines.append(f"  (each through nsenter -t HOSTBOX ... env -i, as in section 4: that alone takes "
                 f"{box.harness_ms()} ms, included in every figure; "
                 f"one untimed warm-up run each; {s.runs} runs each, interleaved)")
    times = {command: [] for command, _ in usable}
    for i in range(s.runs + 1):
        for command, argv in usable:
            rc, _, err, ns = box.run(argv, timeout=30.0)
            if rc != 0:
                what = "no exit within 30 s" if rc is None else f"exit status {rc}"
                lines.append(f"  {command}: run {i} failed ({what}{': ' + err.splitlines()[-1] if err else ''}): "
                             "not measured further")
                usable = [u for u in usable if u[0] != command]
                times.pop(command)
                break
            if i > 0:
                times[command].append(ns)
    _, after = stop_unit(box, name, unit)
    settle_service(box, unit, machine)
    med = median_table(times, 20, emit=lines.append)
    text = None
    if "machinectl shell" in med:
        mc = med["machinectl shell"]
        if "machined-lite shell" in med:
            lines.append(f"  machined-lite shell / machinectl shell: {med['machined-lite shell'] / mc:.2f}x")
        if "nsenter -a" in med:
            lines.append(f"  machinectl shell / nsenter -a: {mc / med['nsenter -a']:.2f}x")
        text = (f"machinectl shell (hostbox, machine@) {fmt_ms(mc)} ms"
                + (f", machined-lite shell there {fmt_ms(med['machined-lite shell'])} ms: "
                   f"{med['machined-lite shell'] / mc:.2f}x machinectl" if "machined-lite shell" in med else ""))
    lines.append(f"in the hostbox: systemctl stop {unit}: {after.get('ActiveState')}, Result={after.get('Result')}")
    later["hostbox_shell"] = {"lines": lines, "summary": text}
    out()
    out("  (machinectl shell, section 8's part in the hostbox, measured now while it is up: printed in section 8)")


# ---- section 9's part: booting with -n where systemd-networkd runs ---------------

ML_SETTINGS = f"/etc/machined-lite/machines/{ML_MACHINE}.machine"
NETWORKD_LINKS = (("multi-user.target.wants", "systemd-networkd.service"),
                  ("sockets.target.wants", "systemd-networkd.socket"))


def descends(pid, ancestor):
    """Whether process PID is ANCESTOR or one of its descendants."""
    for _ in range(64):
        if pid == ancestor:
            return True
        st = procfs.status(pid)
        if st is None or not st.get("PPid", "0").isdigit() or int(st["PPid"]) <= 1:
            return False
        pid = int(st["PPid"])
    return False


def host_pid(box, leader):
    """This host's PID of the hostbox's process LEADER (its NSpid's second number), or None."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            nspid = (procfs.status(int(entry)) or {}).get("NSpid", "").split()
            if len(nspid) >= 2 and nspid[1] == str(leader) and descends(int(entry), int(box.pid)):
                return int(entry)
    return None


def guest_address(pid):
    """The first IPv4 address of host0 in the network namespace of host PID, or ''."""
    r = subprocess.run([NSENTER, f"--net=/proc/{pid}/ns/net", "ip", "-4", "-o", "addr", "show", "dev", "host0"],
                       stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
    words = r.stdout.decode(errors="replace").split()
    return words[words.index("inet") + 1] if "inet" in words else ""


def networkd_in_trees(trees, on):
    """systemd-networkd enabled (ON) or not in the guest trees, as `systemctl enable` does."""
    for tree in trees:
        for wants, unit in NETWORKD_LINKS:
            link = os.path.join(tree, "etc/systemd/system", wants, unit)
            if on:
                os.makedirs(os.path.dirname(link), exist_ok=True)
                if not os.path.lexists(link):
                    os.symlink(f"/lib/systemd/system/{unit}", link)
            elif os.path.islink(link):
                os.remove(link)


def network_boot_once(box, name, unit, machine):
    """start_unit(), then host0 polled every 20 ms from this host (ip in the guest's
    network namespace) until it has an IPv4 address; then the unit stopped."""
    r = start_unit(box, name, unit, machine)
    pid = host_pid(box, r["leader"])
    address = ""
    while pid is not None and not address:
        address = guest_address(pid)
        t = time.perf_counter_ns()
        if not address:
            if t - r["t0"] > 60e9:
                service_failure(box, name, unit, "none: host0 has no IPv4 address 60 s after systemctl start")
            time.sleep(0.02)
    if pid is None:
        service_failure(box, name, unit, f"none: the guest's PID 1 ({r['leader']} in the hostbox) not found here")
    r["addressed"], r["address"] = t - r["t0"], address
    stop_unit(box, name, unit)
    settle_service(box, unit, machine)
    return r


def measure_network_boot(s, box):
    """Section 9's part in the hostbox (printed by section 9): with systemd-networkd
    running in the hostbox and enabled in both guests, machine@ (which leaves the
    addresses to networkd then, as nspawn does), machine@ with Configure=yes in
    NAME.machine (machined-lite addresses both ends before the guest's init) and
    systemd-nspawn@ (-n), interleaved: until the guest's systemd is running and host0
    has its address. Kept in later["hostbox_network"]."""
    lines = []
    trees = [s.debian, os.path.join(s.work, "ml-bench-debian-nspawn")]
    if not box.ok(["systemctl", "start", "systemd-networkd.service"]):
        later["hostbox_network"] = {"lines": ["not measured: systemd-networkd does not start in the hostbox"],
                                    "summary": None}
        return
    networkd_in_trees(trees, True)
    variants = [
        ("machine@ (networkd)", f"machine@{ML_MACHINE}.service", ML_MACHINE, None),
        ("machine@ (ours)", f"machine@{ML_MACHINE}.service", ML_MACHINE, "[Network]\nConfigure=yes\n"),
        ("systemd-nspawn@", f"systemd-nspawn@{NS_MACHINE}.service", NS_MACHINE, None),
    ]
    lines.append("in the hostbox, systemd-networkd running there and enabled in both guest trees "
                 f"(their {', '.join(u for _, u in NETWORKD_LINKS)} linked as systemctl enable links them); "
                 f"{s.service_runs} runs each, interleaved:")
    for label, unit, _, settings in variants:
        lines.append(f"  {label:20} systemctl start {unit}"
                     + (f", with {ML_SETTINGS}: {settings.strip()!r}" if settings else ""))
    lines.append("  (running: as section 4; addressed: from the same start until host0 in the guest has an "
                 "IPv4 address, `ip -4 addr show dev host0` from this host in its network namespace, polled every "
                 "20 ms once the guest is running)")
    res = {label: {"running": [], "addressed": []} for label, _, _, _ in variants}
    try:
        for _ in range(s.service_runs):
            for label, unit, machine, settings in variants:
                if settings and not box.ok(["tee", ML_SETTINGS], settings):
                    raise RuntimeError(f"cannot write {ML_SETTINGS} in the hostbox")
                try:
                    r = network_boot_once(box, label, unit, machine)
                finally:
                    if settings:
                        box.ok(["rm", "-f", ML_SETTINGS])
                res[label]["running"].append(r["running"])
                res[label]["addressed"].append(r["addressed"])
                lines.append(f"  {label:20} running at {fmt_ms(r['running']):>8} ms, host0 {r['address']} at "
                             f"{fmt_ms(r['addressed']):>8} ms")
    finally:
        networkd_in_trees(trees, False)
        box.ok(["systemctl", "stop", "systemd-networkd.service", "systemd-networkd.socket"])
    med = {label: {k: statistics.median(v) for k, v in r.items()} for label, r in res.items()}
    ns = med["systemd-nspawn@"]["addressed"]
    lines.append("")
    lines.append(f"  {'median':20} {'running ms':>11} {'addressed ms':>13} {'addressed / nspawn':>19}")
    for label in res:
        lines.append(f"  {label:20} {fmt_ms(med[label]['running']):>11} {fmt_ms(med[label]['addressed']):>13} "
                     f"{med[label]['addressed'] / ns:>18.2f}x")
    text = (f"boot Debian with a veth to running and host0 addressed, in the hostbox with systemd-networkd: "
            f"machine@ {fmt_ms(med['machine@ (networkd)']['addressed'])} ms (networkd addresses) and "
            f"{fmt_ms(med['machine@ (ours)']['addressed'])} ms (Configure=yes), systemd-nspawn@ {fmt_ms(ns)} ms: "
            f"{med['machine@ (networkd)']['addressed'] / ns:.2f}x and {med['machine@ (ours)']['addressed'] / ns:.2f}x "
            "nspawn (no target set)")
    later["hostbox_network"] = {"lines": lines, "summary": text}
    out()
    out("  (booting with a veth where systemd-networkd runs, section 9's part in the hostbox, measured now while "
        "it is up: printed in section 9)")
