#!/usr/bin/env python3
"""cm-uart-bridge: QEMU's UART socket as a serial device (a pty).

    cm-uart-bridge.py SOCKET LINK

Connects to the socket QEMU serves the node's UART on (`-serial
unix:SOCKET,server=on,wait=on`, or `tcp:HOST:PORT` for SOCKET), creates a
pseudo terminal, points the symlink LINK at its slave end and copies bytes
both ways until either side closes or it gets SIGTERM (then it removes LINK).
Like a real UART with nobody listening, bytes for the pty are dropped when its
buffer is full (the daemon is down): the bridge never stalls the node.
The gateway daemon then opens LINK like any USB serial adapter. This is for
daemons whose serial transport only opens tty devices; it prints "ready" once
LINK exists.
"""
import errno
import fcntl
import os
import select
import signal
import socket
import sys
import time
import tty


def connect(spec, limit=10.0):
    deadline = time.monotonic() + limit
    while True:
        try:
            if spec.startswith("tcp:"):
                host, port = spec[4:].rsplit(":", 1)
                return socket.create_connection((host, int(port)))
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(spec)
            return s
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main():
    spec, link = sys.argv[1], sys.argv[2]
    sock = connect(spec)
    master, slave = os.openpty()
    tty.setraw(slave)  # keep the slave open: the master never sees EIO while the daemon reopens
    fcntl.fcntl(master, fcntl.F_SETFL, fcntl.fcntl(master, fcntl.F_GETFL) | os.O_NONBLOCK)

    def stop(*_):
        if os.path.lexists(link):
            os.unlink(link)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.ttyname(slave), link)
    print("ready", flush=True)
    fd = sock.fileno()
    while True:
        r, _, _ = select.select([fd, master], [], [])
        if fd in r:
            data = sock.recv(65536)
            if not data:
                stop()
            try:
                os.write(master, data)
            except OSError as e:
                if e.errno != errno.EAGAIN:
                    raise  # full: dropped, as on a wire nobody reads
        if master in r:
            try:
                data = os.read(master, 65536)
            except OSError:
                continue
            if data:
                sock.sendall(data)


main()
