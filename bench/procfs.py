# What the benchmark reads of processes, mounts and cgroups in /proc and /sys:
# plain readers, no side effects.
import os


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def status(pid):
    text = read(f"/proc/{pid}/status")
    if text is None:
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def alive(pid):
    """Whether a process exists and is not a zombie (zombies hold nothing)."""
    st = status(pid)
    return st is not None and not st.get("State", "").startswith("Z")


def comm(pid):
    return (read(f"/proc/{pid}/comm") or "?").strip()


def cmdline(pid):
    return (read(f"/proc/{pid}/cmdline") or "").replace("\0", " ").strip()


def children(pid):
    kids = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        kids += [int(k) for k in (read(f"/proc/{pid}/task/{tid}/children") or "").split()]
    return kids


def kb(fields, key):
    """A /proc/PID/status figure in kB."""
    return int(fields.get(key, "0 kB").split()[0])


def rollup_kb(pid, key):
    """A figure of /proc/PID/smaps_rollup in kB (Pss, Private_Dirty...), or None."""
    for line in (read(f"/proc/{pid}/smaps_rollup") or "").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def pss_kb(pid):
    return rollup_kb(pid, "Pss")


def ns_inode(pid, ns):
    try:
        return os.readlink(f"/proc/{pid}/ns/{ns}")
    except OSError:
        return None


def pipes(pid):
    found = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("pipe:"):
            found.add(target)
    return found


def processes_naming(text, exclude=()):
    """Live processes, but those in EXCLUDE, whose command line (its arguments joined
    by spaces, a space after the last) contains TEXT."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in exclude:
            continue
        pid = int(entry)
        if text in (cmdline(pid) + " ") and alive(pid):
            found.append(pid)
    return found


def guest_leader(supervisor):
    """The supervisor's child that lives in another PID namespace (nspawn's short-lived
    outer child does not)."""
    mine = ns_inode(supervisor, "pid")
    for kid in children(supervisor):
        theirs = ns_inode(kid, "pid")
        if theirs is not None and theirs != mine and alive(kid):
            return kid
    return None


def mounts():
    """/proc/self/mountinfo: (mount point, file system type, super options) per line."""
    found = []
    for line in (read("/proc/self/mountinfo") or "").splitlines():
        fields = line.split()
        sep = fields.index("-")
        found.append((fields[4], fields[sep + 1], fields[-1]))
    return found


def cgroup2_mount():
    for point, fstype, _ in mounts():
        if fstype == "cgroup2":
            return point
    return None


def machine_cgroup(name):
    mount = cgroup2_mount()
    own = "/"
    for line in (read("/proc/self/cgroup") or "").splitlines():
        if line.startswith("0::"):
            own = line[3:]
    if mount is None:
        return None
    return os.path.normpath(f"{mount}/{own}/machine-{name}")


def nspawn_cgroups():
    """The payload and supervisor cgroups that systemd-nspawn makes (and leaves on a
    host without systemd as PID 1), at most three levels into the cgroup2 hierarchy
    and the name=systemd one of a hybrid host; sorted."""
    found = []

    def walk(path, depth):
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                if e.name in ("payload", "supervisor"):
                    found.append(e.path)
                if depth < 3:
                    walk(e.path, depth + 1)

    for point, fstype, options in mounts():
        if fstype == "cgroup2" or (fstype == "cgroup" and "name=systemd" in options):
            walk(point, 1)
    return sorted(found)
