#!/usr/bin/env bash
# 1,000 simulated nodes talk to the test receiver over a link that loses 20% of
# frames, duplicates 5% and reorders 10%, in both directions, for a bounded
# time. At the end every message a node ever numbered must be either recorded
# exactly once at the receiver or still in that node's outbox (or counted as a
# drop by the node): nothing lost, nothing stored twice.
. "$TF_ROOT/tests/integration/lib.sh"
B=$TF_BUILD
for p in "$B/tinyfleet-node" "$B/tests/tools/test_receiver"; do
	[ -x "$p" ] || tf_fail "$p not built"
done

port=$(tf_free_port udp)
"$B/tests/tools/test_receiver" --enroll-batch 1000 --out prov.txt \
	--gateway "127.0.0.1:$port" --seed 42 || tf_fail "enroll"
tf_spawn recv "$B/tests/tools/test_receiver" --listen "$port" --provision prov.txt \
	--record rec.txt --stats recv.json --ready recv.ready
tf_wait_for 10 test -e recv.ready || tf_fail "receiver did not start"

tf_log "1000 nodes, 15 s, loss 0.2, dup 0.05, reorder 0.1"
"$B/tinyfleet-node" --provision prov.txt --duration 15 --period 1000 --health-period 5000 \
	--loss 0.2 --dup 0.05 --reorder 0.1 --delay 5 --rto 500 --rto-max 4000 --seed 3 \
	--dump dump.txt --stats >node.json 2>node.err || tf_fail "tinyfleet-node failed: $(tail -n 5 node.err)"
kill "$TF_PID_recv"
tf_wait_for 10 test -s recv.json || tf_fail "receiver wrote no stats"
cat node.json recv.json

python3 - <<'PY' || tf_fail "delivery check failed"
import collections, json, sys
rec = collections.Counter()
for line in open("rec.txt"):
    node, seq = line.split()[:2]
    rec[(int(node), int(seq))] += 1
dups = [k for k, c in rec.items() if c > 1]
if dups:
    sys.exit(f"recorded more than once: {dups[:5]}")
nodes = numbered = in_outbox = recorded = unexplained = drops = 0
for line in open("dump.txt"):
    f = [int(x) for x in line.split()]
    node, next_seq, dropped, depth, outbox = f[0], f[1], f[2], f[3], set(f[4:])
    nodes += 1
    drops += dropped
    missing = 0
    for seq in range(1, next_seq):
        numbered += 1
        got = (node, seq) in rec
        recorded += got
        if seq in outbox:
            in_outbox += 1
        elif not got:
            missing += 1
    if missing > dropped:
        unexplained += missing - dropped
        print(f"node {node}: {missing} seqs missing, {dropped} drops reported", file=sys.stderr)
stray = [k for k in rec if k[1] <= 0]
print(f"nodes {nodes}, numbered {numbered}, recorded {recorded}, in outbox {in_outbox}, "
      f"drops {drops}, unexplained {unexplained}")
if nodes != 1000 or unexplained or stray:
    sys.exit(1)
if recorded < 1000 * 10:
    sys.exit(f"too little traffic got through: {recorded}")
stats = json.load(open("recv.json"))
if stats["duplicates"] == 0:
    sys.exit("the link duplicated frames but the receiver saw no duplicate seqs")
PY
