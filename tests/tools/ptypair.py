#!/usr/bin/env python3
"""ptypair: a null-modem cable made of two ptys, for serial tests.

    ptypair.py LINK_A LINK_B

Creates two pseudo terminals, points the symlinks LINK_A and LINK_B at their
slave ends and copies bytes between the two master ends until it is killed
(SIGTERM), when it removes the links. Killing it is how a test makes the
"device" disappear; starting it again brings a new one back at the same
paths. Prints "ready" once both links exist.
"""
import os, select, signal, sys, tty

def main():
    a_link, b_link = sys.argv[1], sys.argv[2]
    ma, sa = os.openpty()
    mb, sb = os.openpty()
    for fd in (sa, sb):
        tty.setraw(fd)
    for link, fd in ((a_link, sa), (b_link, sb)):
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.ttyname(fd), link)

    def stop(*_):
        for link in (a_link, b_link):
            if os.path.lexists(link):
                os.unlink(link)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)
    peer = {ma: mb, mb: ma}
    while True:
        r, _, _ = select.select([ma, mb], [], [])
        for fd in r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                continue  # the slave side is not open (yet)
            if data:
                os.write(peer[fd], data)

main()
