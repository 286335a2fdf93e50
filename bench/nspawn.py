# The benchmark's section 10: systemd-nspawn's command line, as the packagers' tools run
# it. mock and makechrootpkg run many short commands a build, each one
#   systemd-nspawn -q -D TREE --as-pid2 --register=no /bin/true
# here through machined-lite's systemd-nspawn entry point (a link of that name to the
# binary, made in the work directory) against Debian's systemd-nspawn on the same busybox
# tree, NSPAWN_RUNS of each, interleaved, medians and the ratio; then a debspawn build of
# one small native package end to end, with our entry point first in PATH and with
# Debian's systemd-nspawn (each tried once first: one that cannot build here is said so).
import os
import shutil
import subprocess

from runner import DEVNULL, PIPE, STDOUT, fmt_ms, interleave, median_table, out, settle, show_commands, summary
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
    debspawn_build(s, os.path.dirname(entry))


# ---- a debspawn build end to end --------------------------------------------------

DEBSPAWN_RULES = (
    "#!/usr/bin/make -f\nbuild build-arch build-indep:\n\ttrue\n"
    "binary binary-arch binary-indep:\n\tmkdir -p debian/mlhello/DEBIAN debian/mlhello/usr/share/doc/mlhello\n"
    "\techo built in $$container > debian/mlhello/usr/share/doc/mlhello/hello\n"
    "\tdpkg-gencontrol -pmlhello -Pdebian/mlhello\n\tdpkg-deb --build debian/mlhello ..\n"
    "clean:\n\trm -rf debian/mlhello debian/files\n")
DEBSPAWN_CONTROL = (
    "Source: mlhello\nSection: misc\nPriority: optional\nMaintainer: machined-lite bench <bench@example.org>\n"
    "Standards-Version: 4.6.2\n\nPackage: mlhello\nArchitecture: all\nDescription: a package the bench builds\n"
    " It holds one file.\n")
DEBSPAWN_CHANGELOG = (
    "mlhello (1.0) unstable; urgency=medium\n\n  * A package to build in a machine.\n\n"
    " -- machined-lite bench <bench@example.org>  Sun, 06 Dec 2026 00:00:00 +0000\n")


def debspawn_source(s):
    """The bench's small native source package (as the tests make it): its .dsc's path."""
    pkg = os.path.join(s.work, "debspawn", "mlhello-1.0")
    os.makedirs(os.path.join(pkg, "debian", "source"), exist_ok=True)
    for name, text in (("source/format", "3.0 (native)\n"), ("control", DEBSPAWN_CONTROL),
                       ("changelog", DEBSPAWN_CHANGELOG), ("rules", DEBSPAWN_RULES)):
        with open(os.path.join(pkg, "debian", name), "w") as f:
            f.write(text)
    os.chmod(os.path.join(pkg, "debian", "rules"), 0o755)
    subprocess.run(["dpkg-source", "-b", "mlhello-1.0"], cwd=os.path.dirname(pkg), stdout=DEVNULL, stderr=DEVNULL,
                   check=True)
    return os.path.join(os.path.dirname(pkg), "mlhello_1.0.dsc")


def debspawn_config(s, name, images):
    """A debspawn global.toml of the bench's: the cached image, the rest in the work directory."""
    root = os.path.join(s.work, "debspawn", name)
    for d in ("results", "tmp", "injected", "aptcache"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    path = os.path.join(root, "global.toml")
    with open(path, "w") as f:
        f.write(f'OSImagesDir = "{images}"\nResultsDir = "{root}/results"\nTempDir = "{root}/tmp"\n'
                f'InjectedPkgsDir = "{root}/injected"\nAPTCacheDir = "{root}/aptcache"\n')
    return path


def debspawn_build(s, entry_dir):
    out()
    out(f"  a debspawn build of one small native package, end to end (debspawn -c CONF build bookworm mlhello_1.0.dsc), "
        f"{s.boot_runs} runs each, interleaved: our systemd-nspawn first in PATH, against Debian's")
    images = os.path.join(os.environ.get("MACHINED_LITE_TEST_CACHE") or "/var/cache/machined-lite-test",
                          "debspawn", "images")
    if not shutil.which("debspawn") or not shutil.which("dpkg-source"):
        out("  not run: debspawn or dpkg-source is not installed")
        return
    if not os.path.isdir(images) or not any(n.startswith("bookworm") for n in os.listdir(images)):
        out(f"  not run: no debspawn bookworm image in {images} (tests/integration/test-nspawn-clients.sh makes it)")
        return
    dsc = debspawn_source(s)
    path = os.environ.get("PATH", "")
    commands = []
    for name, search in (("ours", f"{entry_dir}:{path}"), ("nspawn", path)):
        argv = ["env", f"PATH={search}", "debspawn", "-c", debspawn_config(s, name, images), "build", "bookworm", dsc]
        r = subprocess.run(argv, stdin=DEVNULL, stdout=PIPE, stderr=STDOUT)
        if r.returncode != 0:
            last = [line for line in r.stdout.decode(errors="replace").splitlines() if line.strip()][-1:]
            out(f"  {name}: cannot build here (tried once, not measured): exit {r.returncode}: {' '.join(last)}")
            continue
        commands.append((name, argv))
    if not commands:
        return
    show_commands(commands)
    med = median_table(interleave(commands, s.boot_runs))
    if "nspawn" in med and "ours" in med:
        ratio = med["ours"] / med["nspawn"]
        out(f"  ours / nspawn: {ratio:.2f}x")
        summary.append(f"debspawn build of a small package: ours {fmt_ms(med['ours'])} ms, Debian's nspawn "
                       f"{fmt_ms(med['nspawn'])} ms: {ratio:.2f}x (no target set)")
    elif "ours" in med:
        summary.append(f"debspawn build of a small package: ours {fmt_ms(med['ours'])} ms; Debian's nspawn cannot "
                       "build here (see section 10)")
