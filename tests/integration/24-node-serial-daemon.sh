#!/usr/bin/env bash
# tinyfleet-node --serial: 20 nodes share one serial line (COBS frames, a pty
# pair as the cable) to tinyfleetd's serial transport, as behind a radio
# concentrator. The line disappears for a moment and comes back: tinyfleet-node
# reopens it. Every Inference and Health is stored exactly once or is still in
# its node's outbox; acks and TimeSync come back over the same line.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"
NODE=$TF_BUILD/tinyfleet-node
PTY=$TF_ROOT/tests/tools/ptypair.py
[ -x "$NODE" ] || tf_fail "tinyfleet-node not built"
[ -f "$PTY" ] || tf_skip "tests/tools/ptypair.py absent"

tf_start_mosquitto
tfd_config "[serial]
device = $TF_WORK/tty-gw
baud = 115200"
sed -i 's/^listen = .*/listen = 127.0.0.1:0/' "$TF_WORK/tfd.conf"
tfd_enroll 20
tf_spawn pty python3 "$PTY" "$TF_WORK/tty-gw" "$TF_WORK/tty-node"
tf_wait_for 5 grep -q ready "$TF_WORK/pty.log" || tf_fail "ptypair"
tfd_start tfd

tf_log "20 nodes on one serial line for 10 s; the line goes away for a second in the middle"
"$NODE" --provision "$TF_WORK/prov.txt" --serial "$TF_WORK/tty-node" --duration 10 --period 200 \
	--health-period 1000 --rto 300 --rto-max 1000 --dump dump.txt --stats >node.json 2>node.err &
npid=$!
rows() { [ "$(tfd_sql "SELECT COUNT(*) FROM readings")" -ge "$1" ]; }
tf_wait_for 10 rows 100 || tf_fail "nothing stored over serial"
kill -TERM "$TF_PID_pty"; wait "$TF_PID_pty"
tf_wait_for 5 grep -q "serial link .* lost" node.err || tf_fail "tinyfleet-node did not notice the hang-up"
tf_spawn pty2 python3 "$PTY" "$TF_WORK/tty-gw" "$TF_WORK/tty-node"
tf_wait_for 5 grep -q ready "$TF_WORK/pty2.log" || tf_fail "ptypair again"
tf_wait_for 5 grep -q "serial link .* back" node.err || tf_fail "tinyfleet-node did not reopen"
before=$(tfd_sql "SELECT COUNT(*) FROM readings")
wait "$npid" || tf_fail "tinyfleet-node: $(tail -n 5 node.err)"
cat node.json
after=$(tfd_sql "SELECT COUNT(*) FROM readings")
echo "readings when the line came back: $before, at the end: $after"
[ "$after" -gt "$before" ] || tf_fail "nothing stored after the line came back"
tfd_stop tfd
grep "stopped:" "$TF_WORK/tfd.log" || true
tfd_sql "SELECT node_id, seq FROM readings UNION ALL SELECT node_id, seq FROM health" >stored.txt

python3 - <<'PY' || tf_fail "delivery check failed"
import collections, json, sys
stored = collections.Counter(tuple(map(int, l.strip().split("|"))) for l in open("stored.txt"))
if any(c > 1 for c in stored.values()):
    sys.exit("stored twice")
bad = 0
for line in open("dump.txt"):
    f = [int(x) for x in line.split()]
    node, next_seq, drops, outbox = f[0], f[1], f[2], set(f[4:])
    missing = [s for s in range(3, next_seq) if (node, s) not in stored and s not in outbox]
    if len(missing) > drops:
        bad += 1
        print(f"node {node}: missing {missing[:10]}", file=sys.stderr)
st = json.load(open("node.json"))
print(f"stored {len(stored)}, frames sent {st['frames_sent']}, rejected {st['frames_rejected']}")
if bad or len(stored) < 20 * 20 or st["unknown_msgs"]:
    sys.exit(1)
PY
