#!/usr/bin/env python3
"""A seccomp agent for the test of linux.seccomp.listenerPath: listens on a unix socket,
takes each runtime's message (the container process state, with the seccomp notify fd),
writes what it got to REPORT, and answers every notification with success (0) without
doing the call, so a container's mkdir says it worked and makes nothing.

    seccomp-agent.py SOCKET REPORT CONNECTIONS [hold]

With "hold", each notification is reported ("received PID") and held until the file
REPORT.go exists; then whether it is still valid ("valid", or "invalid": a signal ended
the call's wait and it was restarted, a new notification) before it is answered.

Ends once CONNECTIONS runtimes have handed a listener and each has no process left, or
after 30 s."""
import os
import time
import array
import fcntl
import json
import select
import socket
import struct
import sys
import threading

# <linux/seccomp.h>: _IOWR('!', 0, struct seccomp_notif), _IOWR('!', 1, struct seccomp_notif_resp)
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101
NOTIF_ID_VALID = 0x40082102  # _IOW('!', 2, __u64)

path, report, connections = sys.argv[1], sys.argv[2], int(sys.argv[3])
hold = len(sys.argv) > 4 and sys.argv[4] == "hold"
lock = threading.Lock()


def record(line):
    with lock, open(report, "a") as f:
        f.write(line + "\n")


def answer(fd):
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            return
        notification = bytearray(80)
        try:
            fcntl.ioctl(fd, NOTIF_RECV, notification)
        except OSError:
            return  # no process of that filter left
        nid, pid = struct.unpack_from("QI", notification, 0)
        if hold:
            record(f"received {pid}")
            for _ in range(100):
                if os.path.exists(report + ".go"):
                    break
                time.sleep(0.1)
            try:
                fcntl.ioctl(fd, NOTIF_ID_VALID, struct.pack("Q", nid))
                record("valid")
            except OSError:
                record("invalid")
                continue
        response = bytearray(struct.pack("QqiI", nid, 0, 0, 0))
        try:
            fcntl.ioctl(fd, NOTIF_SEND, response)
            record("answered")
        except OSError:
            pass


server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(connections)
server.settimeout(30)
threads = []
for _ in range(connections):
    try:
        conn, _ = server.accept()
    except socket.timeout:
        break
    data, ancillary, _, _ = conn.recvmsg(1 << 20, socket.CMSG_SPACE(4))
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % 4])
    state = json.loads(data)
    record(f"state {state['state']['status']} fds {','.join(state['fds'])} metadata {state['metadata']} "
           f"pid-given {state['pid'] > 0} received {len(fds)}")
    if fds:
        t = threading.Thread(target=answer, args=(fds[0],), daemon=True)
        t.start()
        threads.append(t)
for t in threads:
    t.join(30)
