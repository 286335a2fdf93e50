# The benchmark's sections on daily verbs: 7 (import-tar against tar -x) and 8
# (shell NAME -- /bin/true against nsenter -a, and what section 4 measured of it).
import os
import statistics
import subprocess
import time

import procfs
from runner import (DEVNULL, NSENTER, PIPE, STDOUT, abandon, explain_failure, fmt_ms, host_true_ms, interleave,
                    lacks_verb, later, lines_of, live, median_table, met, out, rerun_for_errors, settle,
                    show_commands, start_logged, summary, timed_ns, warn)
from sections import tree_facts

TARGET_IMPORT_RATIO = 1.1     # import-tar, as a multiple of tar -x of the same tarball

# ---- 7. import-tar against tar -x ----------------------------------------------

MACHINES_DIR = "/var/lib/machines"
IMPORT_NAME = "ml-bench-import"
TAR_NAME = "ml-bench-tar"


def import_leftovers():
    """Section 7's names in /var/lib/machines: the two trees, import-tar's .#NAME.XXXXXX."""
    try:
        entries = os.listdir(MACHINES_DIR)
    except FileNotFoundError:
        return []
    return sorted(os.path.join(MACHINES_DIR, e) for e in entries
                  if e in (IMPORT_NAME, TAR_NAME) or e.startswith(f".#{IMPORT_NAME}."))


def tree_manifest(path):
    """Every entry of a tree: name, type, mode, owner, group, size (not of directories),
    mtime, symlink target; sorted."""
    r = subprocess.run(["find", path, "-printf", "%P\\0%y\\0%m\\0%U\\0%G\\0%s\\0%T@\\0%l\\0\\0"],
                       stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
    entries = []
    for record in r.stdout.split(b"\0\0"):
        if not record:
            continue
        f = record.split(b"\0")
        if f[1] == b"d":
            f[5] = b"-"
        entries.append(b" ".join(f).decode(errors="replace"))
    return sorted(entries)


def remove_tree(path):
    subprocess.call(["rm", "-rf", "--one-file-system", path])


def section_7(s):
    out()
    out(f"== 7. import-tar of an uncompressed tarball of the Debian tree against tar -x of it: "
        f"{s.boot_runs} runs each, interleaved")
    if lacks_verb(s.ml, "import-tar"):
        return
    taken = import_leftovers()
    if taken:
        out(f"  not run: {', '.join(taken)} there already (not ours to replace)")
        summary.append(f"import-tar: not run: {', '.join(taken)} there already")
        return
    os.makedirs(MACHINES_DIR, mode=0o700, exist_ok=True)
    tarball = os.path.join(s.work, "debian.tar")
    tar_argv = ["tar", "-C", s.debian_src or s.debian, "--xattrs", "--xattrs-include=*", "-cf", tarball, "."]
    t0 = time.perf_counter_ns()
    r = subprocess.run(tar_argv, stdin=DEVNULL, stdout=PIPE, stderr=STDOUT)
    t1 = time.perf_counter_ns()
    if r.returncode != 0:
        explain_failure("tar -c", tar_argv, r.returncode, r.stdout.decode(errors="replace").splitlines())
    same_fs = os.stat(s.work).st_dev == os.stat(MACHINES_DIR).st_dev
    _, fs = tree_facts(MACHINES_DIR)
    out(f"  tarball: {tarball}, {os.path.getsize(tarball) / 1048576:.0f} MiB, uncompressed, made once with "
        f"{' '.join(tar_argv[:4])} '--xattrs-include=*' {' '.join(tar_argv[5:])} in {(t1 - t0) / 1e9:.2f} s (untimed); "
        f"{'on the same file system as' if same_fs else 'NOT on the same file system as'} {MACHINES_DIR} ({fs})")
    import_path = os.path.join(MACHINES_DIR, IMPORT_NAME)
    tar_path = os.path.join(MACHINES_DIR, TAR_NAME)
    commands = [
        ("import-tar", [s.ml, "import-tar", "-q", tarball, IMPORT_NAME], import_path),
        ("tar -x", ["/bin/sh", "-c", 'mkdir "$1" && exec tar --xattrs --xattrs-include="*" -xpf "$2" -C "$1"',
                    "sh", tar_path, tarball], tar_path),
    ]
    out(f"  {'import-tar':13} {' '.join(commands[0][1])}")
    out(f"  {'tar -x':13} mkdir {tar_path} && tar --xattrs --xattrs-include='*' -xpf {tarball} -C {tar_path}")
    out("  (stdin, stdout and stderr on /dev/null; sync before each run, untimed; the sync right after each run "
        "timed apart (import-tar syncs the file system itself before it renames the tree into place, tar does "
        "not); the tree removed after each run, untimed; no warm-up run: the tarball was just written, "
        "it is in the page cache)")
    times = {name: [] for name, _, _ in commands}
    synced = {name: [] for name, _, _ in commands}
    manifests = {}
    for i in range(s.boot_runs):
        for name, argv, path in commands:
            subprocess.call(["sync"])
            rc, ns = timed_ns(argv)
            _, sync_ns = timed_ns(["sync"])
            if rc != 0:
                remove_tree(path)
                rc2, log = rerun_for_errors(argv)
                remove_tree(path)
                explain_failure(name, argv, rc, [f"(run again to show its output: status {rc2})"] + log)
            if not os.path.isdir(path):
                explain_failure(name, argv, f"0, but no tree {path}")
            if i == 0:
                manifests[name] = tree_manifest(path)
            remove_tree(path)
            left = import_leftovers()
            if left:
                warn(f"{name}: left in {MACHINES_DIR} after its tree was removed: {', '.join(left)}")
            times[name].append(ns)
            synced[name].append(ns + sync_ns)
            out(f"  {name:13} run {i + 1}: {fmt_ms(ns):>9} ms, the sync after it {fmt_ms(sync_ns):>8} ms")
    a, b = manifests["import-tar"], manifests["tar -x"]
    if a == b:
        out(f"  the two trees (first run) match: {len(a)} entries, the same names, types, modes, owners, "
            "sizes, mtimes and symlink targets")
    else:
        sa, sb = set(a), set(b)
        only_a, only_b = sorted(sa - sb), sorted(sb - sa)
        warn(f"the trees of import-tar and tar -x differ: {len(only_a)} entries only in import-tar's "
             f"(first: {only_a[:2]}), {len(only_b)} only in tar's (first: {only_b[:2]})")
    med = {name: statistics.median(v) for name, v in times.items()}
    smed = {name: statistics.median(v) for name, v in synced.items()}
    ratio = med["import-tar"] / med["tar -x"]
    sratio = smed["import-tar"] / smed["tar -x"]
    target = f"target <= {TARGET_IMPORT_RATIO:.2f}x: {met(ratio, TARGET_IMPORT_RATIO)}"
    out()
    out(f"  median: import-tar {fmt_ms(med['import-tar'])} ms, tar -x {fmt_ms(med['tar -x'])} ms: {ratio:.2f}x "
        f"({target})")
    out(f"  median with the sync after it: import-tar {fmt_ms(smed['import-tar'])} ms, tar -x "
        f"{fmt_ms(smed['tar -x'])} ms: {sratio:.2f}x")
    summary.append(
        f"import-tar of a {os.path.getsize(tarball) / 1048576:.0f} MiB tarball: machined-lite "
        f"{fmt_ms(med['import-tar'])} ms, tar -x {fmt_ms(med['tar -x'])} ms: {ratio:.2f}x tar ({target}); "
        f"with the sync after it {fmt_ms(smed['import-tar'])} ms against {fmt_ms(smed['tar -x'])} ms: {sratio:.2f}x")
    os.unlink(tarball)


# ---- 8. a command in a running machine: shell against nsenter -------------------

SHELL_MACHINE = "ml-bench-shell"
STATE_DIR = "/run/machined-lite/machines"


def state_file(name):
    text = procfs.read(os.path.join(STATE_DIR, name)) or ""
    return dict(line.partition("=")[::2] for line in text.splitlines() if "=" in line and not line.startswith("#"))


def boot_shell_machine(s, argv, log_path):
    """Boots the busybox machine until machined-lite status names its leader and its
    init says it booted: (its Popen, the ns it started at, the leader's PID)."""
    p, t0 = start_logged(argv, log_path)
    leader = None
    while True:
        if p.poll() is not None:
            live.remove(p)
            explain_failure("machined-lite boot", argv, p.returncode, lines_of(log_path))
        if leader is None:
            r = subprocess.run([s.ml, "status", SHELL_MACHINE], stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
            for line in r.stdout.decode(errors="replace").splitlines():
                key, _, value = line.strip().partition(":")
                if key == "Leader" and value.split() and value.split()[0].isdigit():
                    leader = int(value.split()[0])
        if leader is not None and "busybox-init-booted" in (procfs.read(log_path) or ""):
            return p, t0, leader
        if time.perf_counter_ns() - t0 > 20e9:
            abandon(p, 20)
            explain_failure("machined-lite boot", argv, "none: not up 20 s after it started", lines_of(log_path))
        time.sleep(0.01)


def stop_shell_machine(s, p, argv, log_path):
    """machined-lite stop of the machine, which must end it with status 0: (the ns
    that stop took, the supervisor's exit status)."""
    t1 = time.perf_counter_ns()
    r = subprocess.run([s.ml, "stop", SHELL_MACHINE], stdin=DEVNULL, stdout=PIPE, stderr=STDOUT)
    t2 = time.perf_counter_ns()
    if r.returncode != 0:
        abandon(p, 20)
        explain_failure("machined-lite stop", [s.ml, "stop", SHELL_MACHINE], r.returncode,
                        r.stdout.decode(errors="replace").splitlines())
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        abandon(p, 5)
        explain_failure("machined-lite boot", argv, "none: still running 30 s after machined-lite stop returned",
                        lines_of(log_path))
    live.remove(p)
    if rc != 0:
        explain_failure("machined-lite boot", argv, rc, lines_of(log_path))
    settle(s.busybox, name=SHELL_MACHINE)
    if os.path.exists(os.path.join(STATE_DIR, SHELL_MACHINE)):
        warn(f"{STATE_DIR}/{SHELL_MACHINE} still there after the machine ended")
    return t2 - t1, rc


def shell_on_host(s):
    if os.path.exists(os.path.join(STATE_DIR, SHELL_MACHINE)):
        out(f"  not run here: a machine {SHELL_MACHINE} runs already (not ours)")
        summary.append(f"shell: not run: a machine {SHELL_MACHINE} runs already")
        return
    argv = [s.ml, "boot", "-q", "--console=read-only", "-M", SHELL_MACHINE, "-D", s.busybox, "--read-only"]
    log_path = f"{s.work}/shell-console.log"
    out(f"  the machine: {' '.join(argv)}")
    p, t0, leader = boot_shell_machine(s, argv, log_path)
    st = state_file(SHELL_MACHINE)
    if st.get("LEADER") != str(leader):
        warn(f"{SHELL_MACHINE}: status says leader {leader}, {STATE_DIR}/{SHELL_MACHINE} LEADER={st.get('LEADER')}")
    cgroup = st.get("CGROUP", "")
    out(f"  up in {(time.perf_counter_ns() - t0) / 1e6:.0f} ms (untimed): leader PID {leader} "
        f"(machined-lite status; the state file agrees), cgroup {cgroup or '?'}")
    commands = [
        ("machined-lite shell", [s.ml, "shell", SHELL_MACHINE, "--", "/bin/true"]),
        ("nsenter -a", [NSENTER, "-a", "-t", str(leader), "/bin/true"]),
    ]
    show_commands(commands, 20)
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each)")

    def in_machine():
        """What a shell could leave in the machine: a process, a cgroup in the machine's."""
        found = {f"process {pid} ({procfs.cmdline(pid) or procfs.comm(pid)})" for pid in procfs.children(leader)}
        if cgroup and os.path.isdir(cgroup):
            found |= {f"cgroup {os.path.join(d, e)}" for d, dirs, _ in os.walk(cgroup) for e in dirs}
        return found

    before = in_machine()
    times = interleave(commands, s.runs)
    harness = host_true_ms(s.runs)
    lingering = sorted(in_machine() - before)
    if lingering:
        warn(f"{SHELL_MACHINE}: in the machine after the last shell, not before the first: {'; '.join(lingering)}")
    stop_ns, rc = stop_shell_machine(s, p, argv, log_path)

    med = median_table(times, 20)
    out(f"  (spawning /bin/true on the host the same way takes {harness} ms, included in each figure)")
    ratio = med["machined-lite shell"] / med["nsenter -a"]
    out(f"  machined-lite shell / nsenter -a: {ratio:.2f}x")
    out(f"  machined-lite stop {SHELL_MACHINE}: returned in {fmt_ms(stop_ns)} ms, the machine's supervisor "
        f"exited {rc}")
    summary.append(
        f"shell NAME -- /bin/true: machined-lite {fmt_ms(med['machined-lite shell'])} ms, nsenter -a "
        f"{fmt_ms(med['nsenter -a'])} ms: {ratio:.2f}x nsenter (no target set)")


def section_8(s):
    out()
    out(f"== 8. /bin/true in a running machine: machined-lite shell against nsenter -a into the busybox machine: "
        f"{s.runs} runs each, interleaved; machinectl shell in the hostbox")
    if not lacks_verb(s.ml, "shell", " here"):
        shell_on_host(s)
    out()
    hbs = later.get("hostbox_shell")
    if hbs is None:
        out("  machinectl shell in the hostbox: not measured: section 4's hostbox did not run to its end")
        return
    out("  machinectl shell in the hostbox (measured during section 4, on its machine@ machine; "
        "through nsenter into the hostbox, as section 4's commands):")
    for line in hbs["lines"]:
        out(f"  {line}" if line else "")
    if hbs["summary"]:
        summary.append(f"shell in the hostbox: {hbs['summary']}")
