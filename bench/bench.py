#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/bench.py: the benchmark (bench/run-bench.sh runs it): its options, the trees,
# image and hostbox it makes, the order of its sections, the summary, the cleanup.
"""bench/run-bench.sh: machined-lite against systemd-nspawn (and a bare
unshare+chroot floor) on this host. Run as root:

  bench/run-bench.sh [-n RUNS] [-b BOOT_RUNS] [-s SERVICE_RUNS] [--only=SECTIONS]

  -n, --runs N         timed runs of /bin/true per command (default 30, env BENCH_RUNS)
  -b, --boot-runs N    boots of the Debian tree per tool (default 3, env BENCH_BOOT_RUNS)
  -s, --service-runs N starts and stops of each unit in the hostbox (default 3, env BENCH_SERVICE_RUNS)
  -o, --only=SECTIONS  run only these of the sections below (1-11), a comma-separated
                       list such as 9 or 1,3,7 (default all, env BENCH_ONLY); what only
                       the others need (the busybox tree, the copy of the Debian tree,
                       the disk image, the hostbox) is then not made

The binary is $MACHINED_LITE, or build/machined-lite of this repository (built
with ninja when missing). SYSTEMD_NSPAWN_UNIFIED_HIERARCHY defaults to 1 here, so
that nspawn, like machined-lite, hands the guest a cgroup v2 hierarchy only; set
it to "auto" to leave it unset and let nspawn pick (hybrid on a hybrid host)."""
#
# It measures (sections.py: 1, 2, 3, 5, 6; hostbox.py: 4; verbs.py: 7, 8; network.py: 9):
#   1. /bin/true in a busybox tree: machined-lite run, systemd-nspawn, and
#      unshare -m -p -u -i -f chroot (the floor), interleaved, medians in ms;
#   2. resident memory of the supervisor while a guest runs /bin/sleep 3;
#   3. boot of the cached Debian bookworm tree until `systemctl is-system-running`
#      in the guest says running or degraded, interleaved, medians;
#   4. in a real systemd host (the hostbox of tests/system/hostbox.sh, booted with
#      systemd-nspawn, our build installed into it with meson install):
#      `systemctl start machine@NAME` (units/machine@.service) against
#      `systemctl start systemd-nspawn@NAME` (Debian's unit, with a drop-in that
#      gives it our isolation: no user namespace, no private network, and READY=1
#      passed on from the guest): until systemctl start returns, until the guest
#      says running or degraded, and `systemctl stop` until it returns (the unit
#      must end inactive with Result=success); interleaved, medians;
#   5. /bin/true from a GPT disk image (the busybox tree as the ext4 root partition,
#      made with mkfs.ext4 -d, sfdisk and dd) against the same tree as a directory,
#      interleaved, medians; and whether systemd-nspawn -i can run it here (tried
#      once: its reason when it cannot, measured alongside when it can);
#   6. ephemeral boot of the Debian tree (boot -x: an overlay on a tmpfs) until
#      running, against our boot without -x and `systemd-nspawn -x -b` (a copy of
#      the whole tree each time), interleaved, medians; and /bin/true in it with
#      run -x against run (RUNS rounds), and systemd-nspawn -x against systemd-nspawn
#      (in BOOT_RUNS of those rounds);
#   7. `import-tar` of an uncompressed tarball of the Debian tree (made once, with
#      its xattrs) into /var/lib/machines/ml-bench-import, against mkdir and
#      `tar --xattrs -xpf` of it into /var/lib/machines/ml-bench-tar, with a sync
#      before each run, the one after it timed apart, BOOT_RUNS runs each,
#      interleaved (not run when the binary has no import-tar verb);
#   8. `shell NAME -- /bin/true` in a busybox machine booted with boot -M
#      ml-bench-shell against `nsenter -a -t LEADER /bin/true`, interleaved, medians
#      (not run when the binary has no shell verb); and, measured in the hostbox
#      during section 4, `machinectl shell` of the machine of machine@ against
#      machined-lite shell (when it can run there) and nsenter -a;
#   9. a machine's network (-n), everything in a network namespace of its own
#      (ip netns add ml-bench-net-PID, entered with nsenter --net, deleted after):
#      run -n /bin/true in the busybox tree against run without -n (target <= 1.3x)
#      and systemd-nspawn -n against nspawn without -n, interleaved, medians; the
#      supervisor's memory with -n and without, as in section 2; TCP throughput with
#      iperf3 for 3 s each way, 2 rounds, over run -n's veth pair (the host's /usr
#      bound into a copy of the busybox tree) against the same veth pair made by hand
#      to a plain unshare --net namespace (not run without ip, or a binary without -n);
#      100 machines on one zone; and, measured in the hostbox during section 4 with
#      systemd-networkd running there, the Debian tree booted with a veth by machine@
#      and systemd-nspawn@ until running with host0 addressed;
#  11. machined-lite-oci against runc (bench/oci.py): create + start + wait + delete of a
#      bundle (the busybox tree as its root) running /bin/true, medians and the ratio;
#      podman run --rm IMAGE /bin/true with each as --runtime; the processes of the
#      runtime that stay while a container runs, and their memory;
#  10. systemd-nspawn -q -D TREE --as-pid2 --register=no /bin/true through machined-lite's
#      systemd-nspawn entry point against Debian's systemd-nspawn, 100 runs each,
#      interleaved, medians and the ratio (mock's and makechrootpkg's short commands).
# It is a benchmark, not a test: slow figures never fail it. It exits non-zero only
# when a command under test fails (or the setup does).
#
# Everything it makes lives in /var/tmp/ml-bench.XXXXXX (a busybox tree, a disk
# image of it, two copies of the Debian tree, so that the shared test cache is
# not written to, and section 7's tarball) and is removed at the end, together
# with section 7's trees in /var/lib/machines (when they were not there before),
# what systemd-nspawn leaves on a host without systemd (/run/systemd/nspawn, its
# payload/supervisor cgroups) when it was not there before, the hostbox
# (machine ml-bench-PID, its cgroups NAME.hostbox, /run/systemd/nspawn/propagate/NAME),
# and section 9's network namespace and /run/netns, which ip netns add makes and
# mounts on itself (when it was not there before and nothing else is in it).
# Only processes it started itself are ever signalled.
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True    # no __pycache__ in the work tree, written as root

import hostbox   # noqa: E402 (after the line above)
import network   # noqa: E402
import nspawn    # noqa: E402
import oci       # noqa: E402
import procfs    # noqa: E402
import runner    # noqa: E402
import sections  # noqa: E402
import verbs     # noqa: E402
from runner import STDOUT, PIPE, Settings, out, run_sections, test_helper  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ("systemd-nspawn", "unshare", "chroot", "nsenter", "mkfs.ext4", "sfdisk")
NSPAWN_RUN_DIR = "/run/systemd/nspawn"
# The root partition's type that the Discoverable Partitions Specification gives
# each architecture (section 5 is not run on others).
IMAGE_ROOT_TYPES = {
    "x86_64": "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709",
    "aarch64": "B921B045-1DF0-41C3-AF44-4C6F280D3FAE",
}
IMAGE_SECTORS = 16 * 1024 * 1024 // 512


def die(text):
    print(f"run-bench: {text}", file=sys.stderr)
    sys.exit(1)


def usage(status):
    """The usage (this file's docstring): on stdout for -h, on stderr for a wrong option."""
    print(__doc__, end="\n\n", file=sys.stderr if status else sys.stdout)
    sys.exit(status)


def parse_options(argv):
    """The options as run-bench.sh always took them: (runs, boot runs, service runs,
    the sections as given); exits on -h and on what is not an option here."""
    values = {
        "runs": os.environ.get("BENCH_RUNS") or "30",
        "boot_runs": os.environ.get("BENCH_BOOT_RUNS") or "3",
        "service_runs": os.environ.get("BENCH_SERVICE_RUNS") or "3",
        "only": os.environ.get("BENCH_ONLY") or "",
    }
    names = {"-n": "runs", "--runs": "runs", "-b": "boot_runs", "--boot-runs": "boot_runs",
             "-s": "service_runs", "--service-runs": "service_runs", "-o": "only", "--only": "only"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        option, eq, value = arg.partition("=")
        if arg in ("-h", "--help"):
            usage(0)
        elif arg in names:
            if i + 1 >= len(argv):
                die(f"{arg} needs {'a list of sections' if names[arg] == 'only' else 'a number'}")
            values[names[arg]] = argv[i + 1]
            i += 2
        elif eq and option.startswith("--") and option in names:
            values[names[option]] = value
            i += 1
        else:
            usage(2)
    for key, label in (("runs", "runs"), ("boot_runs", "boot runs"), ("service_runs", "service runs")):
        if not re.fullmatch(r"[1-9][0-9]*", values[key]):
            die(f"{label} must be a positive number, not '{values[key]}'")
    if values["only"] and not re.fullmatch(r"([1-9]|1[01])(,([1-9]|1[01]))*", values["only"]):
        die(f"--only takes section numbers 1-11 separated by commas, not '{values['only']}'")
    return int(values["runs"]), int(values["boot_runs"]), int(values["service_runs"]), values["only"]


def find_binary():
    """$MACHINED_LITE, or build/machined-lite here (built when missing), resolved."""
    ml = os.environ.get("MACHINED_LITE")
    if not ml:
        ml = os.path.join(REPO, "build", "machined-lite")
        if not os.access(ml, os.X_OK):
            print(f"run-bench: {ml} is missing: building it", file=sys.stderr)
            if ((not os.path.isfile(os.path.join(REPO, "build", "build.ninja"))
                 and subprocess.call(["meson", "setup", "build"], cwd=REPO, stdout=sys.stderr) != 0)
                    or subprocess.call(["ninja", "-C", "build"], cwd=REPO, stdout=sys.stderr) != 0):
                die("building machined-lite failed")
    if not os.access(ml, os.X_OK):
        die(f"MACHINED_LITE={ml} is not an executable")
    return os.path.realpath(ml)


def host_before():
    """What of the host the cleanup may remove only when it was not there before:
    /var/lib/machines and section 7's trees in it, what systemd-nspawn leaves behind
    on a host without systemd as PID 1, /run/netns (section 9's ip netns add)."""
    return {
        "machines_dir": os.path.exists(verbs.MACHINES_DIR),
        "import_trees": verbs.import_leftovers(),
        "nspawn_run_dir": os.path.exists(NSPAWN_RUN_DIR),
        "nspawn_cgroups": procfs.nspawn_cgroups(),
        "netns_dir": os.path.exists(network.NETNS_DIR),
    }


def print_header(s):
    u = os.uname()
    mem_kb = int(procfs.read("/proc/meminfo").split("MemTotal:")[1].split()[0])
    version = subprocess.run([s.ml, "--version"], stdout=PIPE).stdout.decode(errors="replace").rstrip("\n")
    out(f"== machined-lite benchmark, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    out(f"host: {u.sysname} {u.release}, {len(os.sched_getaffinity(0))} CPUs, {mem_kb / 1048576:.1f} GiB")
    out(f"machined-lite: {s.ml} ({version})")
    built = os.stat(s.ml).st_mtime_ns
    if any(f.endswith((".c", ".h")) and os.stat(os.path.join(d, f)).st_mtime_ns > built
           for d, _, files in os.walk(os.path.join(s.repo, "src")) for f in files):
        out(f"  WARNING: sources in {s.repo}/src are newer than the binary (run ninja -C build)")
    nspawn = subprocess.run(["systemd-nspawn", "--version"], stdout=PIPE).stdout.decode(errors="replace")
    out(f"systemd-nspawn: {nspawn.splitlines()[0] if nspawn else ''}, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY="
        f"{os.environ.get('SYSTEMD_NSPAWN_UNIFIED_HIERARCHY') or '(unset)'}")
    out(f"load average: {' '.join(procfs.read('/proc/loadavg').split(' ')[:3])}")
    out(f"runs: {s.runs} per command for /bin/true, {s.boot_runs} boots per tool, {s.service_runs} starts per "
        f"unit in the hostbox; work directory {s.work}")
    if s.only:
        out(f"sections: {s.only} only (--only)")


def make_image(s, root_type):
    """Section 5's disk image: the busybox tree as an ext4 file system of 16 MiB
    (mkfs.ext4 -d), the root partition of a GPT disk (sfdisk) with 1 MiB before and
    after it (dd)."""
    image = os.path.join(s.work, "ml-bench-image.raw")
    root = os.path.join(s.work, "root.ext4")
    r = subprocess.run(["mkfs.ext4", "-q", "-F", "-d", s.busybox, root, "16M"], stdout=PIPE, stderr=STDOUT)
    if r.returncode != 0:
        sys.stderr.write(r.stdout.decode(errors="replace"))
        die(f"mkfs.ext4 -d {s.busybox} failed")
    with open(image, "wb") as f:
        f.truncate((2048 + IMAGE_SECTORS + 2048) * 512)
    table = f"label: gpt\nstart=2048, size={IMAGE_SECTORS}, type={root_type}, name=root\n"
    if subprocess.run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", image], input=table.encode()).returncode:
        die(f"sfdisk {image} failed")
    if subprocess.call(["dd", f"if={root}", f"of={image}", "bs=512", "seek=2048", "conv=notrunc", "status=none"]):
        die(f"dd to {image} failed")
    os.unlink(root)
    return image


def make_trees(s):
    """The busybox tree, the copy of the Debian tree, the disk image, the hostbox's
    tree: each only when a section to run needs it."""
    # systemd-nspawn refuses a tree without /usr ("doesn't look like it has an OS
    # tree"), which make_busybox_tree does not make: an empty one is added.
    s.busybox = os.path.join(s.work, "ml-bench-busybox")
    if s.section_on(1, 2, 5, 8, 9, 10, 11):
        rc, text = test_helper(s, "make_busybox_tree", s.busybox)
        if rc != 0:
            die(f"make_busybox_tree {s.busybox} failed: {text}")
        os.makedirs(os.path.join(s.busybox, "usr"), exist_ok=True)
    # The Debian tree: a private copy of the cached one (both tools write into the
    # tree they boot: journal, random seed, resolv.conf), named ml-bench-debian.
    # Section 7 only reads the cached tree (tar -c): no copy when no section boots it.
    rc, s.debian_src = test_helper(s, "debian_tree")
    if rc != 0 or not os.access(os.path.join(s.debian_src, "lib/systemd/systemd"), os.X_OK):
        die(f"no Debian tree: {s.debian_src}")
    s.debian = os.path.join(s.work, "ml-bench-debian")
    if s.section_on(3, 4, 6):
        if subprocess.call(["cp", "-a", "--reflink=auto", s.debian_src, s.debian]) != 0:
            die(f"copying {s.debian_src} to {s.debian} failed")
        out(f"trees: {s.busybox} (busybox), {s.debian} (copy of {s.debian_src})")
    else:
        out(f"trees: {s.busybox + ' (busybox), ' if s.section_on(1, 2, 5, 8, 9, 10, 11) else ''}{s.debian_src} "
            "(the cached Debian tree, not copied)")
    if s.section_on(5):
        machine = os.uname().machine
        root_type = IMAGE_ROOT_TYPES.get(machine)
        if root_type:
            s.image = make_image(s, root_type)
            out(f"image: {s.image} (GPT, partition 1 of type {root_type}, root of {machine}: "
                f"ext4 of 16 MiB made from {s.busybox})")
        else:
            out(f"image: none (no root partition type known for {machine}): section 5 is not run")
    # Section 4: the hostbox's tree (cached, made with debootstrap once).
    if s.section_on(4):
        rc, tree = test_helper(s, "hostbox_tree")
        if rc != 0 or not os.access(os.path.join(tree, "lib/systemd/systemd"), os.X_OK):
            die(f"no hostbox tree: {tree}")


def print_summary(rc, extra_warnings):
    """The summary: every section's result line, then every warning (those of the
    hostbox's setup and shutdown last)."""
    runner.warnings.extend(line.strip() for line in extra_warnings if line.strip())
    out()
    out("== summary")
    for line in runner.summary:
        out(f"  {line}")
    for w in runner.warnings:
        out(f"  WARNING: {w}")
    if rc == 0 and not runner.warnings:
        out("  nothing left behind by the commands measured")
    return rc


def run(s, box):
    """Everything between the work directory's making and its removal; the exit status."""
    print_header(s)
    make_trees(s)
    extra_warnings = []
    host_rc = run_sections(s, [(1, sections.section_1), (2, sections.section_2), (3, sections.section_3)])
    rc = host_rc
    if rc == 0 and s.section_on(4):
        rc = hostbox.section_4(s, box, extra_warnings)
    # Section 5, once the hostbox is gone, whatever became of section 4 (unless it was
    # interrupted); then sections 6-9 (8 prints what section 4 measured of it).
    if host_rc == 0 and rc != 130 and s.section_on(5):
        if s.image:
            rc = run_sections(s, [(5, sections.section_5)]) or rc
        else:
            out()
            out(f"== 5. /bin/true from a GPT disk image: not run: no root partition type known for "
                f"{os.uname().machine}")
    if host_rc == 0 and rc != 130:
        rc = run_sections(s, [(6, sections.section_6), (7, verbs.section_7), (8, verbs.section_8),
                              (9, network.section_9), (10, nspawn.section_10), (11, oci.section_11)]) or rc
    return print_summary(rc, extra_warnings)


def remove(path):
    subprocess.call(["rm", "-rf", "--one-file-system", path])


def rmdir_tree(path):
    """Removes a tree of empty directories (cgroups), deepest first, as far as it can."""
    for d, _, _ in os.walk(path, topdown=False):
        try:
            os.rmdir(d)
        except OSError:
            pass


def cleanup(s, box, before):
    # Not to be cut short: a second Ctrl-C would leave trees and processes behind.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A hostbox still up (interrupted, or a failure in section 4): everything in its
    # cgroup is killed at once, its cgroups and propagate directory removed.
    box.cleanup()
    # Processes of ours still alive: those whose command line names our work
    # directory (machined-lite, its ml-sweeper, systemd-nspawn, unshare/chroot).
    me = {os.getpid()}
    pids = procfs.processes_naming(s.work + "/", me)
    if pids:
        for pid in pids:
            print(f"run-bench: cleanup: stopping leftover process {pid}: {procfs.cmdline(pid)}", file=sys.stderr)
            signal_process(pid, signal.SIGTERM)
        for _ in range(300):
            if not procfs.processes_naming(s.work + "/", me):
                break
            time.sleep(0.1)
        for pid in procfs.processes_naming(s.work + "/", me):
            print(f"run-bench: cleanup: killing process {pid}", file=sys.stderr)
            signal_process(pid, signal.SIGKILL)
        time.sleep(0.5)
    # Section 9's network namespace (deleted by the section unless cut short) and /run/netns.
    network.cleanup(before["netns_dir"])
    # Section 7's trees, once nothing of ours runs (import-tar and tar name $WORK/debian.tar).
    for path in verbs.import_leftovers():
        if path not in before["import_trees"]:
            print(f"run-bench: cleanup: removing {path}", file=sys.stderr)
            remove(path)
    if not before["machines_dir"]:
        try:
            os.rmdir(verbs.MACHINES_DIR)
        except OSError:
            pass
    if any(point.startswith(s.work + "/") for point, _, _ in procfs.mounts()):
        print(f"run-bench: cleanup: something is still mounted under {s.work}: not removing it", file=sys.stderr)
    else:
        remove(s.work)
    # systemd-nspawn's droppings, when they were not there before and no nspawn runs.
    if not any(e.isdigit() and procfs.comm(e) == "systemd-nspawn" for e in os.listdir("/proc")):
        if not before["nspawn_run_dir"] and os.path.isdir(NSPAWN_RUN_DIR):
            remove(NSPAWN_RUN_DIR)
        for cgroup in procfs.nspawn_cgroups():
            if cgroup not in before["nspawn_cgroups"]:
                rmdir_tree(cgroup)


def signal_process(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def interrupted(signum, frame):
    # Once: a second signal must not cut the cleanup short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv):
    runs, boot_runs, service_runs, only = parse_options(argv)
    if os.geteuid() != 0:
        die("must be run as root (namespaces, mounts, cgroups)")
    ml = find_binary()
    os.environ["MACHINED_LITE"] = ml
    for tool in TOOLS:
        if shutil.which(tool) is None:
            die(f"{tool} is not installed")
    if not os.environ.get("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY"):
        os.environ["SYSTEMD_NSPAWN_UNIFIED_HIERARCHY"] = "1"
    if os.environ["SYSTEMD_NSPAWN_UNIFIED_HIERARCHY"] == "auto":
        del os.environ["SYSTEMD_NSPAWN_UNIFIED_HIERARCHY"]

    before = host_before()
    s = Settings(ml=ml, repo=REPO, work=tempfile.mkdtemp(prefix="ml-bench.", dir="/var/tmp"), runs=runs,
                 boot_runs=boot_runs, service_runs=service_runs, only=only)
    box = hostbox.Hostbox(s, f"ml-bench-{os.getpid()}")
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        rc = run(s, box)
    except KeyboardInterrupt:
        rc = 130
    finally:
        cleanup(s, box, before)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
