#!/usr/bin/env bash
# tinyfleet-node killed with SIGKILL in the middle of a lossy run and started
# again on the same --state-dir: frame counters are never reused (the receiver's
# replay windows reject nothing), application seqs continue, and every message
# numbered before the crash is delivered exactly once after it, from the outbox
# kept in flash.
. "$TF_ROOT/tests/integration/lib.sh"
B=$TF_BUILD
NODE=$B/tinyfleet-node
RECV=$B/tests/tools/test_receiver

port=$(tf_free_port udp)
"$RECV" --enroll-batch 50 --out prov.txt --gateway "127.0.0.1:$port" --seed 11 || tf_fail enroll
tf_spawn recv "$RECV" --listen "$port" --provision prov.txt --record rec.txt --stats recv.json \
	--ready recv.ready
tf_wait_for 10 test -e recv.ready || tf_fail "receiver did not start"

lines() { [ "$(wc -l <rec.txt)" -ge "$1" ]; }

tf_log "run 1: 30% loss, killed with SIGKILL"
tf_spawn node1 "$NODE" --provision prov.txt --state-dir state --period 100 --health-period 1000 \
	--loss 0.3 --rto 300 --rto-max 1000 --seed 1
tf_wait_for 30 lines 600 || tf_fail "run 1 got nothing through"
kill -9 "$TF_PID_node1"
wait "$TF_PID_node1" 2>/dev/null
[ -s state/node-1.flash ] || tf_fail "no flash file kept"
before=$(wc -l <rec.txt)

tf_log "run 2: same state, clean link"
"$NODE" --provision prov.txt --state-dir state --period 100 --health-period 1000 --duration 4 \
	--rto 300 --rto-max 1000 --seed 2 --dump dump.txt --stats >node2.json 2>node2.err ||
	tf_fail "run 2: $(tail -n 5 node2.err)"
kill "$TF_PID_recv"
tf_wait_for 10 test -s recv.json || tf_fail "receiver wrote no stats"
cat recv.json
echo "recorded before the restart: $before, after: $(wc -l <rec.txt)"

python3 - <<'PY' || tf_fail "restart check failed"
import collections, json, sys
st = json.load(open("recv.json"))
if st["rejected"] != 0:
    sys.exit(f"{st['rejected']} frames rejected: a frame counter was reused after the restart")
rec = collections.Counter()
hellos = collections.Counter()
health_reboots = collections.defaultdict(set)
for line in open("rec.txt"):
    node, seq, kind, extra = line.split()
    rec[(int(node), int(seq))] += 1
    if kind == "hello":
        hellos[int(node)] += 1
    if kind == "health":
        health_reboots[int(node)].add(int(extra))
if any(c > 1 for c in rec.values()):
    sys.exit("a seq was recorded twice")
bad = 0
for line in open("dump.txt"):
    f = [int(x) for x in line.split()]
    node, next_seq, drops, outbox = f[0], f[1], f[2], set(f[4:])
    missing = [s for s in range(1, next_seq) if (node, s) not in rec and s not in outbox]
    if len(missing) > drops:
        bad += 1
        print(f"node {node}: missing {missing[:10]}", file=sys.stderr)
    if hellos[node] != 2:
        bad += 1
        print(f"node {node}: {hellos[node]} Hellos recorded, want one per boot", file=sys.stderr)
    if 2 not in health_reboots[node]:
        bad += 1
        print(f"node {node}: no Health with reboots=2 ({health_reboots[node]})", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
