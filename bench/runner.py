# What every section of the benchmark shares: its settings, output, warnings and
# summary, running and timing commands, waiting for them to be gone, the table of medians.
import dataclasses
import os
import shutil
import signal
import statistics
import subprocess
import time

import procfs

NSPAWN = shutil.which("systemd-nspawn")
UNSHARE = shutil.which("unshare")
CHROOT = shutil.which("chroot")
NSENTER = shutil.which("nsenter")
DEVNULL = subprocess.DEVNULL
PIPE = subprocess.PIPE
STDOUT = subprocess.STDOUT
NS_PER_MS = 1e6
MIB = 1024.0              # /proc/PID/status counts kB

live = []                 # Popen objects that may still run
warnings = []
summary = []
later = {}                # measured in one section, printed in another (section 8's part in the hostbox)


@dataclasses.dataclass
class Settings:
    ml: str               # the machined-lite binary
    repo: str
    work: str             # /var/tmp/ml-bench.XXXXXX
    runs: int
    boot_runs: int
    service_runs: int
    only: str             # the sections to run (--only as given); empty: all
    busybox: str = ""     # the busybox tree
    debian: str = ""      # our copy of the Debian tree (not made when no section boots it)
    debian_src: str = ""  # the cached Debian tree
    image: str = ""       # section 5's disk image; empty: none

    def section_on(self, *sections):
        """Whether one of the sections is to run (all of them without --only)."""
        return not self.only or any(str(n) in self.only.split(",") for n in sections)


class CommandFailed(Exception):
    pass


def out(line=""):
    print(line, flush=True)


def warn(text):
    warnings.append(text)
    out(f"  WARNING: {text}")


def fmt_ms(ns):
    return f"{ns / NS_PER_MS:.2f}"


def met(value, target):
    return "met" if value <= target else "NOT met"


def lines_of(path):
    return (procfs.read(path) or "").splitlines()


def explain_failure(name, argv, rc, log=None):
    out(f"  FAILED: {name} exited with status {rc}: {' '.join(argv)}")
    if log:
        out("  its output ended with:")
        for line in log[-15:]:
            out(f"    | {line}")
    raise CommandFailed(name)


def rerun_for_errors(argv):
    r = subprocess.run(argv, stdin=DEVNULL, stdout=PIPE, stderr=STDOUT)
    return r.returncode, r.stdout.decode(errors="replace").splitlines()


def timed_ns(argv):
    # The same spawn path, environment and redirections for every command measured.
    t0 = time.perf_counter_ns()
    rc = subprocess.call(argv, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
    t1 = time.perf_counter_ns()
    return rc, t1 - t0


def timed_or_fail(name, argv):
    """timed_ns() of a command that must exit 0: when it does not, it is run again to
    show its output, and the benchmark stops."""
    rc, ns = timed_ns(argv)
    if rc != 0:
        rc2, log = rerun_for_errors(argv)
        explain_failure(name, argv, rc, [f"(run again to show its output: status {rc2})"] + log)
    return ns


def host_true_ms(runs):
    """The harness's own cost, included in every figure alike: the median of spawning
    /bin/true on the host as every command is."""
    return fmt_ms(statistics.median(timed_ns(["/bin/true"])[1] for _ in range(runs)))


def show_commands(commands, width=13):
    for name, argv in commands:
        out(f"  {name:{width}} {' '.join(argv)}")


def interleave(commands, runs, after=None, rounds=None, no_warmup=()):
    """Runs each command once per round, in turn: an untimed warm-up round (but for
    the commands in NO_WARMUP), then RUNS timed ones (ROUNDS[name] for those named
    there); AFTER(name, round) after each run. The times in ns, by name."""
    rounds = rounds or {}
    times = {name: [] for name, _ in commands}
    for i in range(runs + 1):
        for name, argv in commands:
            if i > rounds.get(name, runs) or (i == 0 and name in no_warmup):
                continue
            ns = timed_or_fail(name, argv)
            if after is not None:
                after(name, i)
            if i > 0:
                times[name].append(ns)
    return times


def median_table(times, width=13, runs=False, emit=out, unit="ms", fmt=fmt_ms):
    """Prints (through EMIT) a blank line and the table of the commands' median, min
    and max (in UNIT, each value written by FMT: ms from ns unless told) and their
    number of runs with RUNS, a row for each command with times; returns the medians
    by name."""
    med = {name: statistics.median(v) for name, v in times.items() if v}
    heads = (f"median {unit}", f"min {unit}", f"max {unit}")
    cols = [max(len(h), least) for h, least in zip(heads, (10, 9, 9))]
    emit("")
    emit(f"  {'command':{width}} " + " ".join(f"{h:>{c}}" for h, c in zip(heads, cols))
         + (f" {'runs':>5}" if runs else ""))
    for name, v in times.items():
        if v:
            emit(f"  {name:{width}} " + " ".join(f"{fmt(x):>{c}}" for x, c in zip((med[name], min(v), max(v)), cols))
                 + (f" {len(v):>5}" if runs else ""))
    return med


def stop(p, timeout=60.0):
    """SIGTERM, then SIGKILL; returns the exit status."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def abandon(p, timeout):
    """stop() of a command that failed, no longer ours to wait for."""
    stop(p, timeout)
    live.remove(p)


def start_logged(argv, log_path):
    """Starts a command with its output to a log file; (its Popen, the ns it started at)."""
    with open(log_path, "wb") as log:
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(argv, stdin=DEVNULL, stdout=log, stderr=STDOUT)
    live.append(p)
    return p, t0


def settle(tree, timeout=10.0, name=None):
    """Waits until nothing of a previous command is left: no process naming the tree
    (machined-lite's ml-sweeper lives on a little after the supervisor), no ml-netdown
    (which takes a machine's network down after its supervisor, some 10 ms, while the
    next start would wait for it or for the kernel's locks it holds), no machine cgroup
    (machine-NAME, NAME the tree's base name unless given). What is still there after
    the timeout is reported, not waited for."""
    cgroup = procfs.machine_cgroup(name or os.path.basename(tree))
    me = {os.getpid(), os.getppid()}
    deadline = time.monotonic() + timeout
    while True:
        procs = procfs.processes_naming(tree + " ", me) + procfs.processes_naming("ml-netdown ", me)
        cg_left = cgroup is not None and os.path.isdir(cgroup)
        if not procs and not cg_left:
            return
        if time.monotonic() > deadline:
            what = [f"process {p} ({procfs.comm(p)}: {procfs.cmdline(p)})" for p in procs]
            if cg_left:
                what.append(f"cgroup {cgroup}")
            warn(f"left behind {timeout:.0f} s after the command ended: " + "; ".join(what))
            return
        time.sleep(0.005)


def lacks_verb(ml, verb, here=""):
    """Whether the binary lacks a verb (it says "Unknown verb", exit 2): then the
    section is not run, which it says, and the summary too."""
    r = subprocess.run([ml, verb, "--help"], stdin=DEVNULL, stdout=PIPE, stderr=STDOUT)
    text = r.stdout.decode(errors="replace").strip()
    if r.returncode != 2 or "Unknown verb" not in text:
        return False
    out(f"  not run{here}: {ml} has no {verb} verb (exit status 2: {text.splitlines()[-1]})")
    summary.append(f"{verb}: not run: the binary has no {verb} verb")
    return True


# The shell helpers of the tests (tests/integration/lib.sh: make_busybox_tree,
# debian_tree; tests/system/hostbox.sh: hostbox_tree, the hostbox), sourced by a bash
# that then runs what follows.
TEST_LIBS = '''
. "$TESTS_DIR/integration/lib.sh"
. "$TESTS_DIR/system/hostbox.sh"
'''


def tests_env(s, **more):
    return dict(os.environ, TESTS_DIR=os.path.join(s.repo, "tests"), **more)


def test_helper(s, *argv):
    """Runs a function of the tests' shell helpers: (its exit status, its stdout
    without its last newline); its stderr is ours."""
    r = subprocess.run(["bash", "-c", TEST_LIBS + '"$@"', "bench-helper", *argv], stdin=DEVNULL, stdout=PIPE,
                       env=tests_env(s))
    return r.returncode, r.stdout.decode(errors="replace").rstrip("\n")


def run_sections(s, sections):
    """Runs the sections (number, function of the settings) that are on, in order,
    until one fails; then stops what they left running. 0, 1 when a command under
    test failed, 130 when interrupted (SIGINT or SIGTERM)."""
    rc = 0
    try:
        for n, section in sections:
            if s.section_on(n):
                section(s)
    except CommandFailed as e:
        out(f"\nrun-bench: a command under test failed ({e}): stopping")
        rc = 1
    except KeyboardInterrupt:
        out("\nrun-bench: interrupted: stopping what runs")
        rc = 130
    finally:
        for p in list(live):
            stop(p, 30)
            live.remove(p)
    return rc
