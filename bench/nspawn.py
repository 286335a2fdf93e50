# The benchmark's section 10: systemd-nspawn's command line, as the packagers' tools run
# it. mock and makechrootpkg run many short commands a build, each one
#   systemd-nspawn -q -D TREE --as-pid2 --register=no /bin/true
# here through machined-lite's systemd-nspawn entry point (a link of that name to the
# binary, made in the work directory) against Debian's systemd-nspawn on the same busybox
# tree, NSPAWN_RUNS of each, interleaved, medians and the ratio.
import os

from runner import fmt_ms, interleave, median_table, out, settle, show_commands, summary
from sections import NSPAWN_RUN

NSPAWN_RUNS = 100
NSPAWN_ARGS = ["-q", "--as-pid2", "--register=no"]


def section_10(s):
    out()
    out(f"== 10. systemd-nspawn's command line (mock's and makechrootpkg's short commands): {NSPAWN_RUNS} runs each, "
        "interleaved")
    entry = os.path.join(s.work, "nspawn-entry", "systemd-nspawn")
    os.makedirs(os.path.dirname(entry), exist_ok=True)
    if not os.path.lexists(entry):
        os.symlink(s.ml, entry)
    debian = NSPAWN_RUN[0]
    commands = [
        ("ours", [entry, *NSPAWN_ARGS, "-D", s.busybox, "/bin/true"]),
        ("nspawn", [debian, *NSPAWN_ARGS, "--keep-unit", "-D", s.busybox, "/bin/true"]),
    ]
    show_commands(commands)
    out(f"  (ours: {entry}, a link to {s.ml}; Debian's with --keep-unit too, without which it wants a system bus "
        "for its scope and fails on a host without one; stdin, stdout and stderr on /dev/null; one untimed "
        "warm-up run each)")
    med = median_table(interleave(commands, NSPAWN_RUNS, after=lambda name, i: settle(s.busybox)))
    ratio = med["ours"] / med["nspawn"]
    out(f"  ours / nspawn: {ratio:.2f}x")
    summary.append(f"systemd-nspawn -q -D TREE --as-pid2 --register=no /bin/true: ours {fmt_ms(med['ours'])} ms, "
                   f"Debian's {fmt_ms(med['nspawn'])} ms: {ratio:.2f}x (no target set)")
