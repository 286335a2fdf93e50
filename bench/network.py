# The benchmark's section 9: a machine's network (-n/--network-veth). Everything runs
# in a private network namespace the bench makes (ip netns add ml-bench-net-PID,
# entered with nsenter --net, never ip netns exec, which remounts /sys and hides the
# cgroup mounts) and deletes after, so that every packet stays in it and in the
# namespaces made from it:
#   - the start of run -n /bin/true in the busybox tree against run /bin/true without
#     -n (what addressing, NAT and the DHCP server cost the start; the target is <= 1.3x),
#     and systemd-nspawn -n against nspawn without -n (nspawn -n only makes the link:
#     without systemd-networkd nobody addresses it), interleaved, medians, ratios, each
#     run from a settled host (the last one's ml-netdown gone), which is what the target
#     is judged on; and then each BACK_TO_BACK times in a row, as a loop of runs sees it,
#     every -n start meeting the kernel still taking the last one's network down;
#   - the supervisor's resident memory, as section 2 measures it, with -n and without;
#   - TCP throughput with iperf3, guest to host and host to guest, over run -n's veth
#     pair (a copy of the busybox tree with the host's /usr bound read-only, for the
#     host's iperf3 and its libraries) against the same veth pair made by hand with ip
#     between the private namespace and a plain unshare --net one, interleaved, medians;
#   - ZONE_MACHINES busybox machines (run -x, sleeping) started at once on one zone: the
#     time until every one has its address, how many answer a ping from the host, and
#     the resident memory of their supervisors;
#   - measured by section 4 in its hostbox, with systemd-networkd running there: the
#     Debian tree booted by machine@ (networkd addresses it), by machine@ with
#     Configure=yes (we do) and by systemd-nspawn@ -n, until its systemd is running and
#     host0 has an address (hostbox.measure_network_boot()).
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time

import procfs
from runner import (DEVNULL, MIB, NS_PER_MS, NSENTER, PIPE, STDOUT, UNSHARE, CommandFailed, explain_failure, fmt_ms,
                    interleave, later, lines_of, live, median_table, met, out, settle, show_commands, start_logged,
                    stop, summary)
from sections import NSPAWN_RUN, memory_line, ml_true, nspawn_probe, sleeping_guest, sleeping_guest_done

TARGET_NETWORK_RATIO = 1.3    # run -n /bin/true, as a multiple of run without -n
BACK_TO_BACK = 10             # runs in a row, for the loop's view of the same
TARGET_NETWORK_RSS_MIB = 3.0  # the supervisor's VmRSS with -n
ZONE_MACHINES = 100
ZONE = "mlbench"

IP = shutil.which("ip")
# Debian's ping (iputils-ping) is not always installed; busybox-static's is, for the trees.
PING = shutil.which("ping") or "/bin/busybox"
IPERF3 = shutil.which("iperf3")
IPERF_SECONDS = 3
IPERF_ROUNDS = 2
IPERF_PORT = 5201
NETNS_DIR = "/run/netns"
NET_TREE = "ml-bench-net"
# The pair made by hand: documentation addresses (RFC 5737), only ever in our namespaces.
REF_HOST, REF_GUEST, REF_PREFIX = "192.0.2.1", "192.0.2.2", 28
# In the guest: iperf3 against the host's end of the veth, the gateway of its default route.
GUEST_IPERF = 'exec /usr/bin/iperf3 -c "$(ip route | awk \'/^default/ { print $3; exit }\')" "$@"'


def netns_name():
    return f"ml-bench-net-{os.getpid()}"


def in_netns(netns, argv):
    """ARGV in the network namespace at the path NETNS (nsenter execs it: its PID is ARGV's)."""
    return [NSENTER, f"--net={netns}", *argv]


def setup(argv):
    """A command of the setup, which must exit 0 (or the benchmark stops)."""
    r = subprocess.run(argv, stdin=DEVNULL, stdout=PIPE, stderr=STDOUT)
    if r.returncode != 0:
        explain_failure("setup", argv, r.returncode, r.stdout.decode(errors="replace").splitlines())


def delta_ms(a_ns, b_ns):
    """A - B in ms, signed."""
    return f"{(a_ns - b_ns) / NS_PER_MS:+.2f}"


def end(p):
    """Stops a process the section started (SIGTERM, then SIGKILL)."""
    stop(p, 10)
    live.remove(p)


@contextlib.contextmanager
def private_netns():
    """The section's "host": a network namespace of its own with lo up; its path."""
    setup([IP, "netns", "add", netns_name()])
    try:
        netns = os.path.join(NETNS_DIR, netns_name())
        setup(in_netns(netns, [IP, "link", "set", "lo", "up"]))
        yield netns
    finally:
        subprocess.call([IP, "netns", "del", netns_name()], stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)


def cleanup(netns_dir_was_there):
    """The bench's cleanup: the namespace, when the section could not delete it, and
    /run/netns (ip netns add makes it and mounts it on itself) when it was not there
    before and nothing else is in it."""
    if os.path.exists(os.path.join(NETNS_DIR, netns_name())):
        subprocess.call([IP or "ip", "netns", "del", netns_name()], stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
    if netns_dir_was_there or not os.path.isdir(NETNS_DIR) or os.listdir(NETNS_DIR):
        return
    if any(point == NETNS_DIR for point, _, _ in procfs.mounts()):
        subprocess.call(["umount", NETNS_DIR], stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
    try:
        os.rmdir(NETNS_DIR)
    except OSError:
        pass


def cannot_run(s):
    """Why the section cannot run here, or None."""
    if IP is None:
        return "ip (iproute2) is not installed"
    r = subprocess.run([s.ml, "run", "--help"], stdin=DEVNULL, stdout=PIPE, stderr=STDOUT)
    if b"--network-veth" not in r.stdout:
        return f"{s.ml} has no -n/--network-veth"
    return None


# ---- start of run -n /bin/true ---------------------------------------------------

def nspawn_commands(s, netns):
    """systemd-nspawn -n and without -n, when nspawn -n runs here (tried once; its
    reason printed when not)."""
    commands = [("nspawn -n", in_netns(netns, NSPAWN_RUN + ["-n", "-D", s.busybox, "/bin/true"])),
                ("nspawn", in_netns(netns, NSPAWN_RUN + ["-D", s.busybox, "/bin/true"]))]
    reason = nspawn_probe(commands[0][1])
    settle(s.busybox)
    if reason is None:
        show_commands(commands)
        return commands, None
    out(f"  {'nspawn -n':13} {' '.join(commands[0][1])}: cannot run here (tried once, not measured): {reason}")
    return [], reason


def start_times(s, netns):
    out(f"  start of /bin/true in the busybox tree: {s.runs} runs each, interleaved")
    commands = [("run -n", in_netns(netns, ml_true(s, "-n", "-D", s.busybox))),
                ("run", in_netns(netns, ml_true(s, "-D", s.busybox)))]
    show_commands(commands)
    nspawn, reason = nspawn_commands(s, netns)
    out("  (stdin, stdout and stderr on /dev/null; one untimed warm-up run each; run -n makes, addresses and "
        "routes the veth pair, NATs and serves DHCP, nspawn -n only makes the pair: nothing addresses it "
        "without systemd-networkd)")
    med = median_table(interleave(commands + nspawn, s.runs, after=lambda name, i: settle(s.busybox)))
    ratio = med["run -n"] / med["run"]
    target = f"target <= {TARGET_NETWORK_RATIO:.2f}x: {met(ratio, TARGET_NETWORK_RATIO)}"
    out(f"  run -n / run:        {ratio:.2f}x ({target}): {delta_ms(med['run -n'], med['run'])} ms for the network")
    if reason is None:
        r_ns, r_x = med["nspawn -n"] / med["nspawn"], med["run -n"] / med["nspawn -n"]
        out(f"  nspawn -n / nspawn:  {r_ns:.2f}x: {delta_ms(med['nspawn -n'], med['nspawn'])} ms for the link")
        out(f"  run -n / nspawn -n:  {r_x:.2f}x")
        ns_text = (f"nspawn -n {fmt_ms(med['nspawn -n'])} ms ({r_ns:.2f}x its own without -n, "
                   f"{fmt_ms(med['nspawn'])} ms): ours -n {r_x:.2f}x nspawn -n")
    else:
        ns_text = f"nspawn -n cannot run here: {reason}"
    summary.append(f"run -n /bin/true: machined-lite -n {fmt_ms(med['run -n'])} ms, without -n "
                   f"{fmt_ms(med['run'])} ms: {ratio:.2f}x ({target}); {ns_text}")
    back_to_back(s, commands)


def back_to_back(s, commands):
    """The same commands, each BACK_TO_BACK times in a row without settling: what a loop
    of runs sees, each -n start meeting the kernel still taking the last one's network
    namespace down (its locks: rtnl, nf_tables' commit mutex)."""
    out()
    out(f"  the same, each {BACK_TO_BACK} times in a row with nothing between (a loop's view), {s.runs} rounds, "
        "interleaved: the time per run")
    loops = [(name, [sys.executable, "-c", "import subprocess, sys\n"
                     f"for _ in range({BACK_TO_BACK}): subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, "
                     "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)", *argv])
             for name, argv in commands]
    times = interleave(loops, s.runs, after=lambda name, i: settle(s.busybox))
    per_run = {name: [ns / BACK_TO_BACK for ns in v] for name, v in times.items()}
    med = median_table(per_run)
    ratio = med["run -n"] / med["run"]
    out(f"  run -n / run, in a row: {ratio:.2f}x: {delta_ms(med['run -n'], med['run'])} ms a run")
    summary.append(f"run -n /bin/true {BACK_TO_BACK} times in a row: {fmt_ms(med['run -n'])} ms a run, without -n "
                   f"{fmt_ms(med['run'])} ms: {ratio:.2f}x (the target is judged on single starts above)")


# ---- the supervisor's memory with -n ---------------------------------------------

def sleeping_supervisor_kb(s, netns, label, options):
    """Section 2's measure of a supervisor whose guest sleeps: (VmRSS, VmHWM) in kB."""
    argv = in_netns(netns, [s.ml, "run", "--console=pipe", *options, "-D", s.busybox, "--", "/bin/sleep", "3"])
    p = sleeping_guest(label, argv)
    rss, line = memory_line(f"{label} supervisor", p.pid)
    st = procfs.status(p.pid)
    dirty = procfs.rollup_kb(p.pid, "Private_Dirty") or 0
    out(line)
    sleeping_guest_done(s, label, argv, p)
    if rss is None or st is None:
        raise CommandFailed(f"{label}: memory")
    return rss, procfs.kb(st, "VmHWM"), dirty


def supervisor_memory(s, netns):
    out()
    out("  resident memory of the supervisor, 1 s into a guest running /bin/sleep 3 (as section 2 measures it)")
    rss_n, hwm_n, dirty_n = sleeping_supervisor_kb(s, netns, "run -n", ["-n"])
    rss, hwm, dirty = sleeping_supervisor_kb(s, netns, "run", [])
    text = (f"VmRSS {rss_n / MIB:.2f} MiB with -n, {rss / MIB:.2f} MiB without: {rss_n / rss:.2f}x "
            f"(target <= {TARGET_NETWORK_RSS_MIB:.1f} MiB: {met(rss_n / MIB, TARGET_NETWORK_RSS_MIB)}); "
            f"peak (VmHWM) {hwm_n / MIB:.2f} MiB against {hwm / MIB:.2f} MiB: {hwm_n / hwm:.2f}x; "
            f"its own (Private_Dirty) {dirty_n:d} kB against {dirty:d} kB")
    out(f"  {text}")
    summary.append(f"supervisor memory with -n: {text}")


# ---- TCP throughput over the veth pair ---------------------------------------------

def make_net_tree(s):
    """A copy of the busybox tree whose /lib and /lib64 lead into its /usr, where the
    host's /usr is to be bound: the host's iperf3 and its libraries run in it."""
    tree = os.path.join(s.work, NET_TREE)
    setup(["cp", "-a", s.busybox, tree])
    for name in ("lib", "lib64"):
        os.symlink(f"usr/{name}", os.path.join(tree, name))
    return tree


def wait_for(what, ready, p, argv, log_path, timeout=5.0):
    """Polls READY() until true, while P runs; the benchmark stops when P ends or after TIMEOUT."""
    deadline = time.monotonic() + timeout
    while not ready():
        rc = p.poll()
        if rc is not None or time.monotonic() > deadline:
            end(p)
            explain_failure(what, argv, rc if rc is not None else f"none: not ready within {timeout:.0f} s",
                            lines_of(log_path))
        time.sleep(0.02)


def iperf_server(s, netns):
    """iperf3 -s in the private namespace, once it listens: its Popen."""
    argv = in_netns(netns, [IPERF3, "-s", "-p", str(IPERF_PORT)])
    log_path = f"{s.work}/iperf3-server.log"
    p, _ = start_logged(argv, log_path)
    listening = in_netns(netns, ["ss", "-Hltn", f"sport = :{IPERF_PORT}"])
    wait_for("iperf3 -s", lambda: subprocess.run(listening, stdin=DEVNULL, stdout=PIPE).stdout.strip(),
             p, argv, log_path)
    return p


def reference_pair(s, netns):
    """The veth pair made by hand: ve-ref (REF_HOST) in the private namespace, host0
    (REF_GUEST) in unshare --net's, which a sleep holds: (its Popen, its namespace's path)."""
    argv = in_netns(netns, [UNSHARE, "--net", "sleep", "600"])
    log_path = f"{s.work}/unshare-net.log"
    holder, _ = start_logged(argv, log_path)
    wait_for("unshare --net", lambda: procfs.comm(holder.pid) == "sleep", holder, argv, log_path)
    peer = f"/proc/{holder.pid}/ns/net"
    for where, command in ((netns, ["link", "add", "ve-ref", "type", "veth", "peer", "name", "host0",
                                    "netns", str(holder.pid)]),
                           (netns, ["addr", "add", f"{REF_HOST}/{REF_PREFIX}", "dev", "ve-ref"]),
                           (netns, ["link", "set", "ve-ref", "up"]),
                           (peer, ["addr", "add", f"{REF_GUEST}/{REF_PREFIX}", "dev", "host0"]),
                           (peer, ["link", "set", "host0", "up"]),
                           (peer, ["link", "set", "lo", "up"])):
        setup(in_netns(where, [IP, *command]))
    return holder, peer


def iperf_bps(name, argv):
    """An iperf3 client's run (-J): the bits per second its receiving end counted."""
    r = subprocess.run(argv, stdin=DEVNULL, stdout=PIPE, stderr=PIPE)
    try:
        report = json.loads(r.stdout)
    except ValueError:
        report = {}
    bps = report.get("end", {}).get("sum_received", {}).get("bits_per_second")
    if r.returncode != 0 or bps is None:
        explain_failure(name, argv, r.returncode, [report.get("error", "(no iperf3 report)")]
                        + r.stderr.decode(errors="replace").splitlines())
    return bps


def throughput_commands(s, netns, tree, peer):
    """The four iperf3 clients: run -n's guest and the hand-made pair's namespace, each way."""
    client = ["-t", str(IPERF_SECONDS), "-p", str(IPERF_PORT), "-J"]
    ours = in_netns(netns, [s.ml, "run", "-q", "--console=pipe", "-n", "--bind-ro=/usr", "-D", tree, "--",
                            "/bin/sh", "-c", GUEST_IPERF, "sh", *client])
    by_hand = in_netns(peer, [IPERF3, "-c", REF_HOST, *client])
    return [(f"{tool}: {way}", argv + reverse) for way, reverse in (("guest->host", []), ("host->guest", ["-R"]))
            for tool, argv in (("run -n", ours), ("by hand", by_hand))]


def throughput(s, netns):
    out()
    out(f"  TCP throughput, iperf3 for {IPERF_SECONDS} s each way, {IPERF_ROUNDS} rounds, interleaved: over run -n's "
        "veth pair against the same pair made by hand (ip link add ve-ref type veth peer name host0 netns PID, "
        f"{REF_HOST}/{REF_PREFIX} and {REF_GUEST}, PID an unshare --net sleep)")
    if IPERF3 is None:
        out("  not run: iperf3 is not installed")
        summary.append("TCP over -n's veth: not run: iperf3 is not installed")
        return
    tree = make_net_tree(s)
    server = iperf_server(s, netns)
    holder, peer = reference_pair(s, netns)
    commands = throughput_commands(s, netns, tree, peer)
    out(f"  {'server':21} {' '.join(in_netns(netns, [IPERF3, '-s', '-p', str(IPERF_PORT)]))}")
    show_commands(commands, 21)
    out(f"  (Gbit/s as the receiving end counted them; {tree}: the busybox tree with /lib and /lib64 "
        "leading into /usr, where the host's is bound: the host's iperf3 runs in the guest against the "
        "gateway of host0's default route, ve-NAME's address)")
    rates = {name: [] for name, _ in commands}
    for _ in range(IPERF_ROUNDS):
        for name, argv in commands:
            rates[name].append(iperf_bps(name, argv))
            settle(tree)
    end(holder)
    end(server)
    med = median_table(rates, 21, unit="Gbit/s", fmt=lambda bps: f"{bps / 1e9:.2f}")
    ways = []
    for way in ("guest->host", "host->guest"):
        ours, by_hand = med[f"run -n: {way}"], med[f"by hand: {way}"]
        out(f"  run -n / by hand, {way}: {ours / by_hand:.2f}x")
        ways.append(f"{way} {ours / 1e9:.2f} Gbit/s against {by_hand / 1e9:.2f} by hand: {ours / by_hand:.2f}x")
    summary.append(f"TCP over -n's veth (iperf3): {'; '.join(ways)} (no target set)")


# ---- many machines on one zone --------------------------------------------------------

def zone_addresses(s):
    """The addresses of our zone's running machines, by name, as list --json says."""
    r = subprocess.run([s.ml, "list", "--json"], stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
    try:
        machines = json.loads(r.stdout or b"[]")
    except ValueError:
        return {}
    return {m["name"]: m["addresses"][0].split("/")[0] for m in machines
            if m.get("name", "").startswith(f"{ZONE}-") and m.get("addresses")}


def zone_many(s, netns):
    out()
    out(f"  {ZONE_MACHINES} machines started at once on zone {ZONE}: run -q --console=pipe -x --network-zone={ZONE} "
        f"-M {ZONE}-N -D busybox -- /bin/sleep 120, in the private namespace")
    t0 = time.perf_counter_ns()
    procs = []
    for i in range(ZONE_MACHINES):
        argv = in_netns(netns, [s.ml, "run", "-q", "--console=pipe", "-x", f"--network-zone={ZONE}", "-M",
                                f"{ZONE}-{i}", "-D", s.busybox, "--", "/bin/sleep", "120"])
        p, _ = start_logged(argv, os.path.join(s.work, f"zone-{i}.log"))
        procs.append(p)
    addresses = {}
    deadline = time.monotonic() + 120
    while len(addresses) < ZONE_MACHINES and time.monotonic() < deadline and all(p.poll() is None for p in procs):
        time.sleep(0.1)
        addresses = zone_addresses(s)
    t_all = time.perf_counter_ns() - t0
    rss = sum(procfs.kb(procfs.status(p.pid) or {}, "VmRSS") or 0 for p in procs if p.poll() is None)
    answered = sum(1 for a in addresses.values()
                   if subprocess.run(in_netns(netns, [*([PING, "ping"] if PING.endswith("busybox") else [PING]), "-c", "1", "-W", "1", a]), stdin=DEVNULL,
                                     stdout=DEVNULL, stderr=DEVNULL).returncode == 0)
    for p in procs:
        stop(p)
        live.remove(p)
    text = (f"{len(addresses)} of {ZONE_MACHINES} addressed in {fmt_ms(t_all)} ms, {answered} answered a ping from "
            f"the host; their supervisors' VmRSS {rss / MIB:.1f} MiB in all, {rss / MIB / ZONE_MACHINES:.2f} MiB each")
    out(f"  {text}")
    summary.append(f"{ZONE_MACHINES} machines on one zone at once: {text} (no target set)")


def section_9(s):
    out()
    out(f"== 9. a machine's network (-n): start, supervisor memory and TCP throughput, in a network namespace "
        f"of the bench's ({NETNS_DIR}/{netns_name()}, deleted after)")
    reason = cannot_run(s)
    if reason is not None:
        out(f"  not run: {reason}")
        summary.append(f"network (-n): not run: {reason}")
        return
    with private_netns() as netns:
        start_times(s, netns)
        supervisor_memory(s, netns)
        throughput(s, netns)
        zone_many(s, netns)
    hostbox_part()


def hostbox_part():
    """What section 4 measured for this section, while its hostbox was up."""
    out()
    part = later.get("hostbox_network")
    if part is None:
        out("  booting Debian with a veth where systemd-networkd runs (in section 4's hostbox): not measured: "
            "section 4 did not run to its end")
        return
    out("  booting Debian with a veth where systemd-networkd runs (measured during section 4, in its hostbox):")
    for line in part["lines"]:
        out(f"  {line}" if line else "")
    if part["summary"]:
        summary.append(part["summary"])
