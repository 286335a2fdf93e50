# The benchmark's section 11: machined-lite-oci against runc (Debian's, the OCI yardstick
# here), on the busybox tree as a bundle's root:
#   - create + start + wait + delete of a bundle running /bin/true, driven from this
#     process (made a child subreaper for it, as conmon is, so that it waits for the
#     container's init itself), OCI_RUNS rounds, interleaved, medians and the ratio;
#   - `podman run --rm IMAGE /bin/true` with --runtime each (the busybox tree imported as
#     an image into storage in the work directory), PODMAN_RUNS rounds, interleaved;
#   - what stays while a container runs (create + start of /bin/sleep): the processes
#     left running the runtime's binary beside the container's own, and their memory.
import ctypes
import glob
import json
import os
import shutil
import signal
import subprocess
import time

from runner import DEVNULL, fmt_ms, interleave, median_table, out, show_commands, summary

OCI_RUNS = 30
PODMAN_RUNS = 10
RUNC = "/usr/sbin/runc"
PR_SET_CHILD_SUBREAPER = 36
PODMAN_LIMITS = ["--network=none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def write_bundle(s, args, cgroup_parent):
    """A bundle whose root is the busybox tree (root.path absolute), in the work directory."""
    bundle = os.path.join(s.work, "oci-bundle")
    os.makedirs(bundle, exist_ok=True)
    config = {
        "ociVersion": "1.0.2",
        "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args, "env": ["PATH=/bin"], "cwd": "/",
                    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
                    "noNewPrivileges": True},
        "root": {"path": s.busybox, "readonly": True},
        "hostname": "bench",
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}],
        "linux": {"namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
                  "cgroupsPath": f"/{cgroup_parent}/ID"},
    }
    return bundle, config


def lifecycle(runtime, root, bundle, config, cid):
    """create (pid file) + start + wait for the init (ours: a subreaper's child) + delete;
    the time in ns."""
    config["linux"]["cgroupsPath"] = config["linux"]["cgroupsPath"].rsplit("/", 1)[0] + "/" + cid
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    pid_file = os.path.join(bundle, "init.pid")
    t0 = time.perf_counter_ns()
    subprocess.run([runtime, "--root", root, "create", "--bundle", bundle, "--pid-file", pid_file, cid],
                   stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL, check=True)
    with open(pid_file) as f:
        pid = int(f.read())
    subprocess.run([runtime, "--root", root, "start", cid], stdin=DEVNULL, stdout=DEVNULL, check=True)
    os.waitpid(pid, 0)
    subprocess.run([runtime, "--root", root, "delete", cid], stdin=DEVNULL, stdout=DEVNULL, check=True)
    return time.perf_counter_ns() - t0


def staying(binary, exclude):
    """The processes running BINARY (but EXCLUDE), and their VmRSS in kB."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in exclude:
            continue
        try:
            if os.path.realpath(f"/proc/{name}/exe") != os.path.realpath(binary):
                continue
            with open(f"/proc/{name}/status") as f:
                rss = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
        found.append((int(name), rss))
    return found


def section_11(s):
    out()
    out(f"== 11. machined-lite-oci against runc {RUNC}: a bundle's lifecycle ({OCI_RUNS} rounds), podman run "
        f"({PODMAN_RUNS} rounds), what stays while a container runs")
    if not os.access(RUNC, os.X_OK):
        out(f"  not run: {RUNC} is not installed (apt-get install runc)")
        return 0
    ours = os.path.join(s.work, "oci-entry", "machined-lite-oci")
    os.makedirs(os.path.dirname(ours), exist_ok=True)
    if not os.path.lexists(ours):
        os.symlink(s.ml, ours)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    cgroup_parent = f"ml-bench-oci-{os.getpid()}"
    bundle, config = write_bundle(s, ["/bin/true"], cgroup_parent)
    roots = {"ours": os.path.join(s.work, "oci-state-ours"), "runc": os.path.join(s.work, "oci-state-runc")}
    runtimes = {"ours": ours, "runc": RUNC}
    try:
        out(f"  create --bundle B --pid-file P ID; start ID; waitpid(init); delete ID, with each runtime, "
            f"--root in the work directory; the bundle's root {s.busybox} read-only, /bin/true")
        times = {"ours": [], "runc": []}
        for i in range(OCI_RUNS + 1):
            for name in ("ours", "runc"):
                ns = lifecycle(runtimes[name], roots[name], bundle, config, f"{name}-{i}")
                if i > 0:
                    times[name].append(ns)
        med = median_table(times)
        ratio = med["ours"] / med["runc"]
        out(f"  ours / runc: {ratio:.2f}x")
        summary.append(f"OCI create+start+wait+delete of /bin/true: machined-lite-oci {fmt_ms(med['ours'])} ms, runc "
                       f"{fmt_ms(med['runc'])} ms: {ratio:.2f}x (target <= 1.00x: {'met' if ratio <= 1.0 else 'NOT met'})")

        # What stays: create + start of /bin/sleep 5; the runtime's own processes.
        out()
        config["process"]["args"] = ["/bin/sleep", "5"]
        for name in ("ours", "runc"):
            cid = f"{name}-stay"
            config["linux"]["cgroupsPath"] = f"/{cgroup_parent}/{cid}"
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(config, f)
            pid_file = os.path.join(bundle, "init.pid")
            subprocess.run([runtimes[name], "--root", roots[name], "create", "--bundle", bundle, "--pid-file",
                            pid_file, cid], stdin=DEVNULL, stdout=DEVNULL, check=True)
            with open(pid_file) as f:
                lifecycle_pid = int(f.read())
            subprocess.run([runtimes[name], "--root", roots[name], "start", cid], stdin=DEVNULL, check=True)
            time.sleep(0.3)
            left = staying(s.ml if name == "ours" else RUNC, {lifecycle_pid})
            out(f"  {name}: while its container runs, {len(left)} process(es) of the runtime's binary stay"
                + (f", VmRSS {sum(r for _, r in left)} kB in all" if left else ""))
            summary.append(f"OCI: what stays while a container runs: {name} {len(left)} process(es)"
                           + (f", {sum(r for _, r in left)} kB" if left else ""))
            os.kill(lifecycle_pid, signal.SIGKILL)
            os.waitpid(lifecycle_pid, 0)
            subprocess.run([runtimes[name], "--root", roots[name], "delete", cid], stdin=DEVNULL, check=True)
    finally:
        for name in ("ours", "runc"):
            if os.path.isdir(roots[name]):
                for cid in os.listdir(roots[name]):
                    subprocess.run([runtimes[name], "--root", roots[name], "delete", "--force", cid],
                                   stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
        # runc makes the parent in every v1 hierarchy of a hybrid host too.
        for parent in glob.glob(f"/sys/fs/cgroup/*/{cgroup_parent}") + glob.glob(f"/sys/fs/cgroup/{cgroup_parent}"):
            try:
                os.rmdir(parent)
            except OSError:
                pass
    podman_runs(s, ours)
    return 0


def podman_runs(s, ours):
    out()
    if not shutil.which("podman"):
        out("  podman run: not run: podman is not installed")
        return
    store = ["--root", os.path.join(s.work, "podman"), "--runroot", os.path.join(s.work, "podman-run"),
             "--storage-driver", "vfs"]
    # podman's cgroupfs manager makes libpod_parent in each hierarchy and never removes it.
    parents_before = set(glob.glob("/sys/fs/cgroup/*/libpod_parent") + glob.glob("/sys/fs/cgroup/libpod_parent"))
    tar = subprocess.Popen(["tar", "-C", s.busybox, "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", *store, "import", "-", "localhost/ml-bench"], stdin=tar.stdout, stdout=DEVNULL,
                   stderr=DEVNULL, check=True)
    tar.wait()
    commands = []
    for name, runtime in (("ours", ours), ("runc", RUNC)):
        commands.append((name, ["podman", *store, "--runtime", runtime, "--cgroup-manager=cgroupfs",
                                "--events-backend=file", "run", "--rm", "--pull=never", *PODMAN_LIMITS,
                                "localhost/ml-bench", "/bin/true"]))
    show_commands(commands)
    try:
        med = median_table(interleave(commands, PODMAN_RUNS))
        ratio = med["ours"] / med["runc"]
        out(f"  ours / runc: {ratio:.2f}x")
        summary.append(f"podman run --rm IMAGE /bin/true: with machined-lite-oci {fmt_ms(med['ours'])} ms, with runc "
                       f"{fmt_ms(med['runc'])} ms: {ratio:.2f}x (target <= 1.00x: {'met' if ratio <= 1.0 else 'NOT met'})")
    finally:
        subprocess.run(["podman", *store, "rm", "-af"], stdout=DEVNULL, stderr=DEVNULL)
        subprocess.run(["podman", *store, "rmi", "-af"], stdout=DEVNULL, stderr=DEVNULL)
        for parent in set(glob.glob("/sys/fs/cgroup/*/libpod_parent") + glob.glob("/sys/fs/cgroup/libpod_parent")):
            if parent in parents_before:
                continue
            for top, dirs, _ in os.walk(parent, topdown=False):
                try:
                    os.rmdir(top)
                except OSError:
                    pass
