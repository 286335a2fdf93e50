# The benchmark's sections on this host's trees and image: 1 (/bin/true), 2 (the
# supervisor's memory), 3 (boot), 5 (a GPT disk image), 6 (ephemeral boot and run).
import fcntl
import os
import signal
import statistics
import subprocess
import time

import procfs
from runner import (CHROOT, DEVNULL, MIB, NSENTER, NSPAWN, PIPE, STDOUT, UNSHARE, CommandFailed, abandon,
                    explain_failure, fmt_ms, host_true_ms, interleave, lines_of, live, median_table, met, out,
                    settle, show_commands, start_logged, summary, warn)

TARGET_RUN_RATIO = 0.25   # machined-lite run /bin/true, as a fraction of nspawn
TARGET_RSS_MIB = 3.0      # supervisor VmRSS while a guest runs
TARGET_EPHEMERAL_RATIO = 1.2  # boot -x to running, as a multiple of boot without -x

NSPAWN_RUN = [NSPAWN, "-q", "--register=no", "--keep-unit"]


def ml_true(s, *options):
    """machined-lite run of /bin/true, as every section times it."""
    return [s.ml, "run", "-q", "--console=pipe", *options, "--", "/bin/true"]


# ---- 1. /bin/true ----------------------------------------------------------

def section_1(s):
    out()
    out(f"== 1. /bin/true in the busybox tree: {s.runs} runs each, interleaved")
    commands = [
        ("machined-lite", ml_true(s, "-D", s.busybox)),
        ("nspawn", NSPAWN_RUN + ["-D", s.busybox, "/bin/true"]),
        ("floor", [UNSHARE, "-m", "-p", "-u", "-i", "-f", CHROOT, s.busybox, "/bin/true"]),
    ]
    show_commands(commands)
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each)")
    times = interleave(commands, s.runs, after=lambda name, i: settle(s.busybox))
    harness = host_true_ms(s.runs)
    med = median_table(times)
    out(f"  (spawning /bin/true on the host the same way takes {harness} ms, included in each figure)")
    r_ns = med["machined-lite"] / med["nspawn"]
    r_floor = med["machined-lite"] / med["floor"]
    out(f"  machined-lite / nspawn: {r_ns:.2f}x")
    out(f"  machined-lite / floor:  {r_floor:.2f}x")
    summary.append(
        f"run /bin/true: machined-lite {fmt_ms(med['machined-lite'])} ms, nspawn {fmt_ms(med['nspawn'])} ms, "
        f"floor {fmt_ms(med['floor'])} ms: {r_ns:.2f}x nspawn (target <= {TARGET_RUN_RATIO:.2f}x: "
        f"{met(r_ns, TARGET_RUN_RATIO)}), {r_floor:.2f}x floor")


# ---- 2. supervisor memory --------------------------------------------------

def find_sweeper(supervisor):
    """machined-lite's ml-sweeper holds the read end of a pipe the supervisor writes to."""
    ours = procfs.pipes(supervisor)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and procfs.comm(int(entry)) == "ml-sweeper" and procfs.alive(int(entry)):
            if procfs.pipes(int(entry)) & ours:
                return int(entry)
    return None


def memory_line(label, pid):
    st = procfs.status(pid)
    if st is None:
        return None, f"  {label}: process {pid} is gone"
    rss, hwm, pss = procfs.kb(st, "VmRSS"), procfs.kb(st, "VmHWM"), procfs.pss_kb(pid)
    dirty = procfs.rollup_kb(pid, "Private_Dirty")
    pss_text = f", Pss {pss / MIB:.2f} MiB" if pss is not None else ""
    # What is the process's alone (heap, stack, written data); the rest of VmRSS is
    # library and program text that every process mapping it shares.
    pss_text += f", Private_Dirty {dirty / MIB:.2f} MiB" if dirty is not None else ""
    return rss, (f"  {label} (PID {pid}, {procfs.comm(pid)}): VmRSS {rss / MIB:.2f} MiB, "
                 f"VmHWM {hwm / MIB:.2f} MiB{pss_text}")


def sleeping_guest(name, argv):
    """Starts a supervisor whose guest runs /bin/sleep 3; its Popen, 1 s later."""
    out(f"  {' '.join(argv)}")
    p = subprocess.Popen(argv, stdin=DEVNULL, stdout=DEVNULL, stderr=PIPE)
    live.append(p)
    time.sleep(1.0)
    if p.poll() is not None:
        explain_failure(name, argv, p.returncode, p.stderr.read().decode(errors="replace").splitlines())
    return p


def sleeping_guest_done(s, name, argv, p):
    """Waits for the supervisor of sleeping_guest() to exit 0, and for nothing of it to be left."""
    rc = p.wait()
    err = p.stderr.read().decode(errors="replace").splitlines()
    live.remove(p)
    if rc != 0:
        explain_failure(name, argv, rc, err)
    settle(s.busybox)


def section_2(s):
    out()
    out("== 2. resident memory of the supervisor, 1 s into a guest running /bin/sleep 3")

    argv = [s.ml, "run", "--console=pipe", "-D", s.busybox, "--", "/bin/sleep", "3"]
    p = sleeping_guest("machined-lite", argv)
    kids = procfs.children(p.pid)
    guest = f"guest leader PID {kids[0]} ({procfs.comm(kids[0])}, children: " \
            f"{', '.join(procfs.comm(k) for k in procfs.children(kids[0])) or 'none'})" if kids else "no guest found"
    ml_rss, line = memory_line("machined-lite supervisor", p.pid)
    out(line)
    out(f"    its children: {len(kids)}: {guest}")
    sweeper = find_sweeper(p.pid)
    sw_rss = None
    if sweeper is None:
        out("  ml-sweeper: not found")
    else:
        sw_rss, line = memory_line("ml-sweeper helper", sweeper)
        out(line)
    sleeping_guest_done(s, "machined-lite", argv, p)

    argv = NSPAWN_RUN + ["-D", s.busybox, "/bin/sleep", "3"]
    p = sleeping_guest("nspawn", argv)
    kids = procfs.children(p.pid)
    ns_rss, line = memory_line("systemd-nspawn supervisor", p.pid)
    out(line)
    out(f"    its children: {len(kids)}: " + ", ".join(f"PID {k} ({procfs.comm(k)})" for k in kids))
    sleeping_guest_done(s, "nspawn", argv, p)

    if ml_rss is None or ns_rss is None:
        raise CommandFailed("memory")
    ratio = ml_rss / ns_rss
    out(f"  machined-lite / nspawn supervisor VmRSS: {ratio:.2f}x")
    summary.append(
        f"supervisor RSS: machined-lite {ml_rss / MIB:.2f} MiB vs nspawn {ns_rss / MIB:.2f} MiB: {ratio:.2f}x "
        f"(target <= {TARGET_RSS_MIB:.0f} MiB: {met(ml_rss / MIB, TARGET_RSS_MIB)})")
    if sw_rss is not None:
        summary.append(
            f"ml-sweeper RSS: {sw_rss / MIB:.2f} MiB more (machined-lite total "
            f"{(ml_rss + sw_rss) / MIB:.2f} MiB of RSS, shared pages counted twice)")


# ---- 3. boot ---------------------------------------------------------------

POWER_OFF_MARKERS = ("Powering off.", "Halting system.", "System Power Off", "Reached target System Power Off")


def boot_once(s, name, argv, log_path, timeout=120.0):
    """Boots the Debian tree until its systemd says running or degraded, then SIGTERM
    to the supervisor: (ns to running, ns from SIGTERM to exit 0, the state, polls,
    whether its console log has a clean power-off message)."""
    p, t0 = start_logged(argv, log_path)
    state, polls = "", 0
    while True:
        leader = procfs.guest_leader(p.pid)
        if leader is not None:
            r = subprocess.run([NSENTER, "-t", str(leader), "-m", "-u", "-i", "-p", "-r", "-w",
                                "/bin/systemctl", "is-system-running"],
                               stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
            polls += 1
            state = r.stdout.decode(errors="replace").strip()
            if state in ("running", "degraded"):
                t1 = time.perf_counter_ns()
                break
        if p.poll() is not None:
            explain_failure(name, argv, p.returncode, lines_of(log_path))
        if time.perf_counter_ns() - t0 > timeout * 1e9:
            abandon(p, 20)
            explain_failure(name, argv, f"none: no running/degraded after {timeout:.0f} s "
                            f"(last answer: {state or 'none'})", lines_of(log_path))
        time.sleep(0.02)

    t2 = time.perf_counter_ns()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        abandon(p, 5)
        explain_failure(name, argv, "none: did not end within 60 s of SIGTERM", lines_of(log_path))
    t3 = time.perf_counter_ns()
    live.remove(p)
    if rc != 0:
        explain_failure(name, argv, rc, lines_of(log_path))
    if procfs.alive(leader):
        warn(f"{name}: guest PID 1 ({leader}) still alive after the supervisor ended")
    log = procfs.read(log_path) or ""
    clean = any(m in log for m in POWER_OFF_MARKERS)
    settle(s.debian, timeout=20.0)
    return t1 - t0, t3 - t2, state, polls, clean


def boot_rounds(s, tools, width, after=None):
    """BOOT_RUNS boots of each tool, interleaved, each line printed (AFTER(name) once
    each has ended); the medians of boot to running and of SIGTERM to exit, by name."""
    boot = {name: [] for name, _ in tools}
    down = {name: [] for name, _ in tools}
    for i in range(s.boot_runs):
        for name, argv in tools:
            slug = name.replace(" ", "").replace("-x", "-ephemeral")
            ns, down_ns, state, polls, clean = boot_once(s, name, argv, f"{s.work}/boot-{slug}-{i + 1}.log")
            if after is not None:
                after(name)
            boot[name].append(ns)
            down[name].append(down_ns)
            out(f"  {name:{width}} boot {i + 1}: {fmt_ms(ns):>9} ms to '{state}' ({polls} polls), "
                f"SIGTERM to exit 0 in {fmt_ms(down_ns)} ms"
                f"{'' if clean else ' (no clean power-off message in its console log)'}")
    return ({name: statistics.median(v) for name, v in boot.items()},
            {name: statistics.median(v) for name, v in down.items()})


def ml_boot(s, *options):
    return [s.ml, "boot", *options, "-D", s.debian, "--console=read-only"]


def nspawn_boot(s, *options):
    return [NSPAWN, *options, "-b", "-q", "--register=no", "--keep-unit", "--console=read-only", "-D", s.debian]


BOOT_POLL = ("polled every 20 ms with nsenter -t LEADER -m -u -i -p -r -w /bin/systemctl is-system-running; "
             "then SIGTERM to the supervisor, waited for)")


def section_3(s):
    out()
    out(f"== 3. boot of the Debian tree until `systemctl is-system-running` says running or degraded: "
        f"{s.boot_runs} boots each, interleaved")
    tools = [("machined-lite", ml_boot(s)), ("nspawn", nspawn_boot(s))]
    show_commands(tools)
    out(f"  (console output to a log file; {BOOT_POLL}")
    med, dmed = boot_rounds(s, tools, 13)
    ratio = med["machined-lite"] / med["nspawn"]
    dratio = dmed["machined-lite"] / dmed["nspawn"]
    out()
    out(f"  median boot to running: machined-lite {fmt_ms(med['machined-lite'])} ms, "
        f"nspawn {fmt_ms(med['nspawn'])} ms: {ratio:.2f}x")
    out(f"  median SIGTERM to exit: machined-lite {fmt_ms(dmed['machined-lite'])} ms, "
        f"nspawn {fmt_ms(dmed['nspawn'])} ms: {dratio:.2f}x")
    summary.append(
        f"boot Debian to running: machined-lite {fmt_ms(med['machined-lite'])} ms, nspawn "
        f"{fmt_ms(med['nspawn'])} ms: {ratio:.2f}x nspawn (no target set)")
    summary.append(
        f"shutdown on SIGTERM: machined-lite {fmt_ms(dmed['machined-lite'])} ms, nspawn "
        f"{fmt_ms(dmed['nspawn'])} ms: {dratio:.2f}x nspawn (no target set)")


# ---- 5. a GPT disk image against the same tree as a directory ----------------

IMAGE_MACHINE = "ml-bench-image"
NSPAWN_PROBE_TIMEOUT = 20.0


def image_busy(image):
    """Why a run could not take the image now: a loop device still backed by it, or
    its BSD lock (machined-lite's, systemd-nspawn's) still held; None when free."""
    loops = []
    for dev in sorted(os.listdir("/sys/block")):
        backing = (procfs.read(f"/sys/block/{dev}/loop/backing_file") or "").strip()
        if backing == image or backing == image + " (deleted)":
            loops.append(f"/dev/{dev}")
    if loops:
        return f"loop device {', '.join(loops)} still attached to it"
    fd = os.open(image, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return "its lock still held"
    finally:
        os.close(fd)
    return None


def settle_image(image, name, timeout=10.0):
    """settle() for an image, then until the image is free again (its loop device goes
    away with the guest's mounts, asynchronously); the ns that all took."""
    t0 = time.perf_counter_ns()
    settle(image, timeout, name)
    deadline = time.monotonic() + timeout
    while True:
        busy = image_busy(image)
        if busy is None:
            return time.perf_counter_ns() - t0
        if time.monotonic() > deadline:
            warn(f"{image}: {timeout:.0f} s after the command ended: {busy}")
            return time.perf_counter_ns() - t0
        time.sleep(0.001)


def nspawn_probe(argv):
    """systemd-nspawn as ARGV (-i, -n), once: None when it ran /bin/true, else its one-line reason."""
    p = subprocess.Popen(argv, stdin=DEVNULL, stdout=PIPE, stderr=STDOUT)
    live.append(p)
    try:
        text, _ = p.communicate(timeout=NSPAWN_PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        abandon(p, 10)
        return f"no exit within {NSPAWN_PROBE_TIMEOUT:.0f} s (stopped)"
    live.remove(p)
    if p.returncode == 0:
        return None
    lines = [line.strip() for line in text.decode(errors="replace").splitlines() if line.strip()]
    return f"exit status {p.returncode}: {lines[-1] if lines else '(no output)'}"


def section_5(s):
    out()
    out(f"== 5. /bin/true from a GPT disk image against the same busybox tree as a directory: "
        f"{s.runs} runs each, interleaved")
    commands = [
        ("directory", ml_true(s, "-D", s.busybox)),
        ("image", ml_true(s, "-i", s.image, "-M", IMAGE_MACHINE)),
    ]
    show_commands(commands)
    probe = NSPAWN_RUN + ["-i", s.image, "/bin/true"]
    reason = nspawn_probe(probe)
    settle_image(s.image, IMAGE_MACHINE)
    if reason is None:
        commands.append(("nspawn -i", probe))
        out(f"  {'nspawn -i':13} {' '.join(probe)}")
    else:
        out(f"  {'nspawn -i':13} {' '.join(probe)}: cannot run here (tried once, "
            f"not measured): {reason}")
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each; after each image run, "
        "an untimed wait until the image's loop device is gone and its lock free)")

    freed = []

    def after(name, i):
        if name == "directory":
            settle(s.busybox)
        else:
            free_ns = settle_image(s.image, IMAGE_MACHINE)
            if name == "image" and i > 0:
                freed.append(free_ns)

    med = median_table(interleave(commands, s.runs, after=after))
    ratio = med["image"] / med["directory"]
    out(f"  image / directory: {ratio:.2f}x")
    out(f"  image - directory: +{fmt_ms(med['image'] - med['directory'])} ms, what the image path costs: "
        "attaching a loop device to the root partition, libblkid's dissection of the GPT and of the ext4 "
        "in it, and the mount are in the image figure")
    out(f"  (after machined-lite exited, the image was free again in a median {fmt_ms(statistics.median(freed))} ms: "
        "its loop device goes with the guest's mounts; not in the figure)")
    if reason is None:
        r_ns = med["image"] / med["nspawn -i"]
        out(f"  image / nspawn -i: {r_ns:.2f}x")
        ns_text = f"nspawn -i {fmt_ms(med['nspawn -i'])} ms: {r_ns:.2f}x nspawn -i"
    else:
        ns_text = f"nspawn -i cannot run here: {reason}"
    summary.append(
        f"run /bin/true from a GPT image: machined-lite {fmt_ms(med['image'])} ms, from the directory "
        f"{fmt_ms(med['directory'])} ms: {ratio:.2f}x directory (no target set); {ns_text}")


# ---- 6. ephemeral boot and run (-x) ---------------------------------------------

def tree_facts(path):
    """A tree's size in MiB (du) and the type of the file system it is on (findmnt)."""
    r = subprocess.run(["du", "-s", "-x", "--block-size=1M", path], stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
    size = r.stdout.decode().split()[0] if r.returncode == 0 and r.stdout else "?"
    r = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "-T", path], stdin=DEVNULL, stdout=PIPE,
                       stderr=DEVNULL)
    fs = " on ".join(r.stdout.decode().split()) if r.returncode == 0 else "?"
    return size, fs


def check_no_copies(name, tree):
    """What systemd-nspawn -x leaves next to the tree when its copy (.#machine.NAMEXXXX
    in the tree's directory) is not removed; and anything else named .#*."""
    parent = os.path.dirname(tree)
    left = sorted(os.path.join(parent, e) for e in os.listdir(parent) if e.startswith(".#"))
    if left:
        warn(f"{name}: left next to the tree after it ended: {', '.join(left)}")


def section_6(s):
    out()
    out(f"== 6. ephemeral (-x) boot of the Debian tree until running, against our boot without -x and "
        f"systemd-nspawn -x: {s.boot_runs} boots each, interleaved")
    size, fs = tree_facts(s.debian)
    out(f"  the tree: {s.debian}, {size} MiB, {fs} (systemd-nspawn -x copies it next to itself each time, "
        "machined-lite -x mounts an overlay with its upper layer on a tmpfs)")
    tools = [("machined-lite -x", ml_boot(s, "-x")), ("machined-lite", ml_boot(s)), ("nspawn -x", nspawn_boot(s, "-x"))]
    show_commands(tools, 16)
    out(f"  (as in section 3: console output to a log file; {BOOT_POLL}")
    med, dmed = boot_rounds(s, tools, 16, after=lambda name: check_no_copies(name, s.debian))
    eph, ours, nsx = med["machined-lite -x"], med["machined-lite"], med["nspawn -x"]
    ratio, ns_ratio = eph / ours, nsx / eph
    out()
    out(f"  median boot to running: machined-lite -x {fmt_ms(eph)} ms, machined-lite {fmt_ms(ours)} ms, "
        f"nspawn -x {fmt_ms(nsx)} ms")
    out(f"  median SIGTERM to exit: machined-lite -x {fmt_ms(dmed['machined-lite -x'])} ms, machined-lite "
        f"{fmt_ms(dmed['machined-lite'])} ms, nspawn -x {fmt_ms(dmed['nspawn -x'])} ms")
    out(f"  machined-lite -x / machined-lite: {ratio:.2f}x (target <= {TARGET_EPHEMERAL_RATIO:.2f}x: "
        f"{met(ratio, TARGET_EPHEMERAL_RATIO)})")
    out(f"  nspawn -x / machined-lite -x:     {ns_ratio:.2f}x")
    summary.append(
        f"boot Debian -x to running: machined-lite -x {fmt_ms(eph)} ms, without -x {fmt_ms(ours)} ms: "
        f"{ratio:.2f}x (target <= {TARGET_EPHEMERAL_RATIO:.2f}x: "
        f"{met(ratio, TARGET_EPHEMERAL_RATIO)}); nspawn -x {fmt_ms(nsx)} ms: "
        f"{ns_ratio:.2f}x ours -x")

    # /bin/true: cheap for us, more rounds; systemd-nspawn -x copies the tree each
    # time, so it (and nspawn without -x, for its own ratio) runs in the first
    # BOOT_RUNS rounds only.
    ns_rounds = min(s.boot_runs, s.runs)
    out()
    out(f"  /bin/true in the same tree: machined-lite run -x and run, {s.runs} runs each; systemd-nspawn -x and "
        f"without -x in the first {ns_rounds} of those rounds; interleaved")
    commands = [
        ("run -x", ml_true(s, "-x", "-D", s.debian)),
        ("run", ml_true(s, "-D", s.debian)),
        ("nspawn -x", NSPAWN_RUN + ["-x", "-D", s.debian, "/bin/true"]),
        ("nspawn", NSPAWN_RUN + ["-D", s.debian, "/bin/true"]),
    ]
    show_commands(commands, 16)
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each, but for nspawn -x)")

    def after(name, i):
        settle(s.debian)
        if name == "nspawn -x":
            check_no_copies(name, s.debian)

    times = interleave(commands, s.runs, after=after, rounds={"nspawn -x": ns_rounds, "nspawn": ns_rounds},
                       no_warmup=("nspawn -x",))
    med = median_table(times, 16, runs=True)
    r_ours, r_ns, r_x = med["run -x"] / med["run"], med["nspawn -x"] / med["nspawn"], med["nspawn -x"] / med["run -x"]
    out(f"  run -x / run:        {r_ours:.2f}x")
    out(f"  nspawn -x / nspawn:  {r_ns:.2f}x")
    out(f"  nspawn -x / run -x:  {r_x:.2f}x")
    summary.append(
        f"run /bin/true -x in the Debian tree: machined-lite -x {fmt_ms(med['run -x'])} ms, without -x "
        f"{fmt_ms(med['run'])} ms: {r_ours:.2f}x (no target set); nspawn -x {fmt_ms(med['nspawn -x'])} ms, "
        f"{r_ns:.2f}x its own {fmt_ms(med['nspawn'])} ms without -x, {r_x:.2f}x ours -x")
