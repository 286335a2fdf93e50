#!/usr/bin/env python3
"""Runs a command on a fresh pty and drives it like a user at a terminal.

    pty-harness.py [--rows R --cols C] [--timeout SEC] [--log FILE] -- COMMAND [ARG...]

The command gets the slave of a new pty as its stdin, stdout, stderr and controlling
terminal (it leads a session of its own and is the terminal's foreground process
group, as under a terminal emulator). The harness keeps the master and also holds the
slave open, so the terminal settings can be read back after the command has gone.

A script on stdin says what to do, one step a line (blank lines and # comments are
skipped):

    timeout SEC         default wait for the following expect steps (5 s at start)
    expect REGEX        wait until the output (after the previous match) matches REGEX
                        (a Python bytes regex); prints "match: TEXT", TEXT being group 1
                        when the regex has one, else the whole match
    expect-not SEC REGEX  watch the output for SEC seconds; REGEX must not appear
    send TEXT           write TEXT (with Python escapes: \\r \\x1d ...) to the master
    sendline TEXT       the same, followed by \\r (what the Enter key sends)
    prompt REGEX        the shell prompt's regex, for the command steps below
    command TEXT        wait for the next prompt (like expect, but printed as
                        "prompt: TEXT"), then sendline TEXT. Typing only at a prompt
                        keeps the kernel from echoing typed-ahead text before the shell
                        has its terminal in the mode it reads lines in
    winsize ROWS COLS   set the window size on the master (TIOCSWINSZ): the kernel then
                        sends SIGWINCH to the terminal's foreground process group
    signal SIG          send a signal (name or number) to the command
    sleep SEC           keep reading output for SEC seconds
    check-raw           print "raw: yes" when the terminal is in raw mode (no ICANON, no
                        ECHO, no ISIG), else "raw: no"
    check-winsize       print "winsize: ROWS COLS" of the terminal
    check-running       print "running: yes" while the command runs, else "running: no"
    wait [SEC]          wait (10 s unless given) for the command to exit

Printed on stdout, one line each: first "pty: /dev/pts/N" and "pty-dev: N" (the
pty's name on the host, and the device of the devpts it is on), then as the steps go
"match: ...", "prompt: ...", "expect-not-ok: REGEX", "expect-not-seen: REGEX => TEXT",
"raw: ...", "winsize: ...", "running: ...", and for a failed step "harness-fail: WHY;
output tail: ..." (the command is then killed: SIGTERM, SIGKILL a second later). At
the end always "exit-status: N" (128+N for a signal; "killed-by-harness (N)" after a
failed step), "elapsed: SEC" (from the start to the exit) and "termios: same" or
"termios: changed: ...", which compares the pty's settings before the start with those
after the exit.

The harness exits with the command's exit status when every step worked, with 255
when a step failed.
"""

import argparse
import codecs
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

TERMIOS_FIELDS = ("iflag", "oflag", "cflag", "lflag", "ispeed", "ospeed", "cc")


class StepFailed(Exception):
    pass


def printable(data, limit=None):
    if limit is not None and len(data) > limit:
        data = data[-limit:]
    return repr(data)[2:-1]


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Session:
    def __init__(self, argv, rows, cols, log, deadline):
        self.master, self.slave = pty.openpty()
        if rows and cols:
            self.set_winsize(rows, cols)
        self.termios_before = termios.tcgetattr(self.slave)
        self.output = b""
        self.pos = 0              # where the next expect starts looking
        self.log = open(log, "wb") if log else None
        self.deadline = deadline
        self.status = None
        self.started = time.monotonic()
        self.ended = None
        self.pid = os.fork()
        if self.pid == 0:
            self.child(argv)
        os.set_blocking(self.master, False)

    def child(self, argv):
        try:
            os.setsid()
            fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
            for fd in range(3):
                os.dup2(self.slave, fd)
            os.close(self.master)
            if self.slave > 2:
                os.close(self.slave)
            # Python ignores SIGPIPE, and ignored signals survive exec.
            for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        except BaseException as e:  # noqa: BLE001 - anything, but never return to the parent's code
            os.write(2, ("pty-harness: cannot run %s: %s\n" % (argv[0], e)).encode())
        os._exit(127)

    def set_winsize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def get_winsize(self):
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(self.slave, termios.TIOCGWINSZ, b"\0" * 8))
        return rows, cols

    def read_some(self, timeout):
        """Reads what the master has, waiting up to TIMEOUT for something."""
        timeout = max(0.0, min(timeout, self.deadline - time.monotonic()))
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:  # EIO: no slave left (we hold one, so not expected)
            return False
        if data:
            self.output += data
            if self.log:
                self.log.write(data)
                self.log.flush()
        return bool(data)

    def poll_exit(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.ended = time.monotonic()
                self.status = os.waitstatus_to_exitcode(status)
                if self.status < 0:
                    self.status = 128 - self.status
        return self.status is not None

    def check_deadline(self):
        if time.monotonic() >= self.deadline:
            raise StepFailed("overall timeout reached")

    def expect(self, regex, timeout, key="match"):
        pattern = re.compile(regex.encode(), re.S)
        end = time.monotonic() + timeout
        while True:
            m = pattern.search(self.output, self.pos)
            if m:
                self.pos = m.end()
                text = m.group(1) if pattern.groups else m.group(0)
                out("%s: %s" % (key, printable(text if text is not None else b"")))
                return
            self.check_deadline()
            if time.monotonic() >= end:
                raise StepFailed("no /%s/ within %g s" % (regex, timeout))
            if self.poll_exit():
                # Whatever it wrote last may still be in the pty.
                while self.read_some(0.05):
                    pass
                if not pattern.search(self.output, self.pos):
                    raise StepFailed("command exited (status %d) before /%s/ appeared" % (self.status, regex))
                continue
            self.read_some(min(0.1, end - time.monotonic()))

    def expect_not(self, seconds, regex):
        pattern = re.compile(regex.encode(), re.S)
        start = self.pos
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.check_deadline()
            self.read_some(min(0.1, end - time.monotonic()))
        m = pattern.search(self.output, start)
        if m:
            out("expect-not-seen: %s => %s" % (regex, printable(m.group(0))))
        else:
            out("expect-not-ok: " + regex)

    def send(self, data):
        while data:
            self.check_deadline()
            try:
                n = os.write(self.master, data)
                data = data[n:]
            except BlockingIOError:
                self.read_some(0.05)

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.check_deadline()
            self.read_some(end - time.monotonic())

    def wait(self, timeout):
        end = time.monotonic() + timeout
        while not self.poll_exit():
            self.check_deadline()
            if time.monotonic() >= end:
                raise StepFailed("command still running after %g s" % timeout)
            self.read_some(0.05)
        while self.read_some(0.05):
            pass

    def kill(self):
        if self.poll_exit():
            return
        for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            end = time.monotonic() + grace
            while time.monotonic() < end:
                if self.poll_exit():
                    return
                self.read_some(0.05)

    def compare_termios(self):
        after = termios.tcgetattr(self.slave)
        diffs = []
        for name, a, b in zip(TERMIOS_FIELDS, self.termios_before, after):
            if a != b:
                if name == "cc":
                    changed = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
                    diffs.append("cc%s" % changed)
                else:
                    diffs.append("%s %#o -> %#o" % (name, a, b))
        return "same" if not diffs else "changed: " + ", ".join(diffs)


def parse_signal(name):
    if name.isdigit():
        return int(name)
    name = name.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    return int(getattr(signal, name))


def run_step(session, line, state):
    word, _, rest = line.partition(" ")
    if word == "timeout":
        state["timeout"] = float(rest)
    elif word == "expect":
        session.expect(rest, state["timeout"])
    elif word == "prompt":
        state["prompt"] = rest
    elif word == "command":
        if "prompt" not in state:
            raise StepFailed("command before any prompt step")
        session.expect(state["prompt"], state["timeout"], key="prompt")
        session.send(codecs.escape_decode(rest.encode())[0] + b"\r")
    elif word == "expect-not":
        seconds, _, regex = rest.partition(" ")
        session.expect_not(float(seconds), regex)
    elif word in ("send", "sendline"):
        data = codecs.escape_decode(rest.encode())[0]
        session.send(data + (b"\r" if word == "sendline" else b""))
    elif word == "winsize":
        rows, cols = rest.split()
        session.set_winsize(int(rows), int(cols))
    elif word == "signal":
        os.kill(session.pid, parse_signal(rest.strip()))
    elif word == "sleep":
        session.sleep(float(rest))
    elif word == "check-raw":
        lflag = termios.tcgetattr(session.slave)[3]
        raw = not (lflag & (termios.ICANON | termios.ECHO | termios.ISIG))
        out("raw: " + ("yes" if raw else "no"))
    elif word == "check-running":
        out("running: " + ("no" if session.poll_exit() else "yes"))
    elif word == "check-winsize":
        out("winsize: %d %d" % session.get_winsize())
    elif word == "wait":
        session.wait(float(rest) if rest.strip() else 10.0)
    else:
        raise StepFailed("unknown step %r" % line)


def main():
    parser = argparse.ArgumentParser(description="Run a command on a fresh pty and drive it with a script on stdin.")
    parser.add_argument("--rows", type=int, default=24)
    parser.add_argument("--cols", type=int, default=80)
    parser.add_argument("--timeout", type=float, default=30.0, help="limit for the whole session (s)")
    parser.add_argument("--log", help="write everything the command printed to this file")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    steps = [line.lstrip() for line in sys.stdin.read().splitlines()]
    steps = [line for line in steps if line.strip() and not line.startswith("#")]

    session = Session(command, args.rows, args.cols, args.log, time.monotonic() + args.timeout)
    out("pty: " + os.ttyname(session.slave))
    out("pty-dev: %d" % os.fstat(session.slave).st_dev)
    state = {"timeout": 5.0}
    failed = False
    try:
        for line in steps:
            run_step(session, line, state)
        if not session.poll_exit():
            session.wait(10.0)
    except StepFailed as e:
        failed = True
        out("harness-fail: %s; output tail: %s" % (e, printable(session.output[session.pos:], 600)))
        session.kill()
    finally:
        # The command is gone (or was killed): no process of ours may outlive the harness.
        session.kill()

    if failed:
        out("exit-status: killed-by-harness (%s)" % session.status)
    else:
        out("exit-status: %s" % session.status)
    if session.ended is not None:
        out("elapsed: %.2f" % (session.ended - session.started))
    out("termios: " + session.compare_termios())
    if failed or session.status is None:
        sys.exit(255)
    sys.exit(session.status)


if __name__ == "__main__":
    main()
