#!/usr/bin/env bash
# Control clients that misbehave do not disturb ingest: clients that send
# garbage, a half frame, an oversized length or a version the daemon does
# not speak get an error answer (or are dropped) and the daemon carries on;
# a 33rd client is refused with a reason;
# a client that asks for a long answer and stops reading holds at most its
# bounded queue, is dropped after the stall timeout, and while it stalls
# simulated nodes keep sending and every reading is stored and acked.
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"
CTL=$TF_BUILD/tinyfleetctl
[ -x "$CTL" ] || tf_skip "tinyfleetctl not built"
unset RUNTIME_DIRECTORY

tfd_config "enabled = no"
tfd_enroll 20
tfd_start tfd
export TINYFLEET_SOCKET=$TF_WORK/control.sock
tf_wait_for 10 "$CTL" status || tf_fail "control socket did not answer"

tf_log "20 nodes x 1500 readings (a long answer to stall on)"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 20 -c 1500 -t 60 >/dev/null ||
	tf_fail "readings not acked"
[ "$(tfd_sql 'SELECT COUNT(*) FROM readings')" = 30000 ] || tf_fail "want 30000 readings"

tf_log "garbage, half frames, oversized lengths, other versions"
python3 - "$TINYFLEET_SOCKET" <<'PY' || tf_fail "garbage clients"
import os, random, socket, struct, sys
path = sys.argv[1]
rnd = random.Random(6)

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s

def answer(s):
    hdr = b""
    while len(hdr) < 4:
        d = s.recv(4 - len(hdr))
        if not d:
            return None
        hdr += d
    n = struct.unpack(">I", hdr)[0]
    body = b""
    while len(body) < n:
        d = s.recv(n - len(body))
        if not d:
            return None
        body += d
    return body

# Random bodies in well-formed frames: each gets exactly one answer (an error
# unless the bytes happen to decode), and the connection stays usable.
s = conn()
for i in range(200):
    body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 64)))
    s.sendall(struct.pack(">I", len(body)) + body)
    if answer(s) is None:
        sys.exit(f"connection closed after garbage frame {i}")
s.close()
# Unframed noise with a huge length: an error answer, then the daemon hangs up.
s = conn()
s.sendall(b"\xff\xff\xff\xff" + os.urandom(100))
a = answer(s)
assert a is not None and b"limit" in a, a
assert answer(s) is None
# Half a frame, then gone; a connection that sends nothing and closes.
s = conn(); s.sendall(b"\x00\x00\x01\x00abc"); s.close()
s = conn(); s.close()
# Version 99: CtlRequest{version: 99, id: 1, status: {}}.
s = conn()
s.sendall(struct.pack(">I", 6) + bytes([0x08, 99, 0x10, 1, 0x42, 0]))
a = answer(s)
assert a is not None and b"version" in a, a
s.close()
# 32 clients are served; the 33rd is told why and disconnected.
held = []
for _ in range(32):  # one at a time, each really served
    h = conn()
    h.sendall(struct.pack(">I", 6) + bytes([0x08, 1, 0x10, 1, 0x42, 0]))
    assert answer(h) is not None
    held.append(h)
s = conn()
a = answer(s)
assert a is not None and b"too many clients" in a, a
assert answer(s) is None
for h in held:
    h.close()
print("garbage clients answered")
PY
"$CTL" status >/dev/null || tf_fail "daemon unusable after garbage"

tf_log "a client that stops reading mid-stream while nodes keep sending"
python3 - "$TINYFLEET_SOCKET" "$TF_WORK/stall.ready" <<'PY' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
# CtlRequest{version 1, id 1, readings: {limit 100000, page_size 2000}}
q = bytes([0x28]) + bytes([0xa0, 0x8d, 0x06]) + bytes([0x30, 0xd0, 0x0f])
body = bytes([0x08, 1, 0x10, 1, 0x82, 0x01, len(q)]) + q
s.sendall(struct.pack(">I", len(body)) + body)
open(sys.argv[2], "w").close()
time.sleep(60)  # never read; the daemon must drop us long before this
PY
stall_pid=$!
TF_PIDS+=("$stall_pid")
tf_wait_for 10 test -e "$TF_WORK/stall.ready" || tf_fail "stalling client did not start"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 20 -c 250 -f 1501 -t 60 >/dev/null ||
	tf_fail "readings were not acked while a client stalled"
n=$(tfd_sql 'SELECT COUNT(*) FROM readings')
[ "$n" = 35000 ] || tf_fail "want 35000 readings stored, have $n"
"$CTL" status >/dev/null || tf_fail "status failed while a client stalled"
tf_wait_for 20 grep -q "dropping client .*stopped reading" "$TF_WORK/tfd.log" ||
	tf_fail "the stalled client was not dropped"
kill "$stall_pid" 2>/dev/null

tf_log "the daemon still answers and stores"
"$CTL" readings --limit 5 >/dev/null || tf_fail "readings after the stall"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 20 -c 10 -f 1751 -t 30 >/dev/null ||
	tf_fail "readings not acked after the stall"
tfd_stop tfd
n=$(tfd_sql 'SELECT COUNT(*), COUNT(DISTINCT node_id * 100000 + seq) FROM readings')
[ "$n" = "35200|35200" ] || tf_fail "readings rows/distinct: $n"
tf_log "PASS"
