#!/usr/bin/env bash
# The fault hooks the rollout and reliability tests build on: --fault
# reboot-loop resets the chosen nodes (reported as a watchdog reset),
# slow-inference inflates their reported latency, and crash-on-model resets a
# node whenever it runs the model with that SHA-256 prefix (a fault reset);
# nodes outside --fault-nodes are untouched.
. "$TF_ROOT/tests/integration/lib.sh"
B=$TF_BUILD
NODE=$B/tinyfleet-node
RECV=$B/tests/tools/test_receiver
[ -s "$B/builtin-model.tflite" ] || tf_fail "builtin-model.tflite not built"

port=$(tf_free_port udp)
"$RECV" --enroll-batch 4 --out a.txt --gateway "127.0.0.1:$port" --seed 1 --first-id 1 &&
	"$RECV" --enroll-batch 4 --out b.txt --gateway "127.0.0.1:$port" --seed 2 --first-id 101 &&
	"$RECV" --enroll-batch 4 --out c.txt --gateway "127.0.0.1:$port" --seed 3 --first-id 201 ||
	tf_fail enroll
cat a.txt b.txt c.txt >all.txt
tf_spawn recv "$RECV" --listen "$port" --provision all.txt --record rec.txt --ready recv.ready
tf_wait_for 10 test -e recv.ready || tf_fail "receiver did not start"
run() { "$NODE" --period 200 --health-period 1000 --duration 4 "$@" 2>>node.err || tf_fail "tinyfleet-node $*"; }

tf_log "reboot-loop on nodes 1 and 2"
run --provision a.txt --fault reboot-loop=800 --fault-nodes 1,2
tf_log "slow-inference on node 101"
run --provision b.txt --fault slow-inference=300 --fault-nodes 101
sha=$(sha256sum "$B/builtin-model.tflite" | cut -c1-12)
tf_log "crash-on-model=$sha on node 201 (the built-in model)"
run --provision c.txt --model "$B/builtin-model.tflite" --fault "crash-on-model=$sha" --fault-nodes 201
tf_wait_for 5 grep -q "^204 " rec.txt || tf_fail "node 204 silent"

python3 - <<'PY' || tf_fail "fault check failed"
import collections, sys
hello = collections.defaultdict(list)
lat = collections.defaultdict(list)
for line in open("rec.txt"):
    node, seq, kind, extra = line.split()
    node, extra = int(node), int(extra)
    if kind == "hello":
        hello[node].append(extra)
    elif kind == "inference":
        lat[node].append(extra)
WATCHDOG, FAULT = 3, 6
def want(cond, msg):
    if not cond:
        sys.exit(msg)
for n in (1, 2):
    want(len(hello[n]) >= 3 and hello[n].count(WATCHDOG) >= 2, f"node {n} hellos {hello[n]}")
for n in (3, 4, 102, 202):
    want(len(hello[n]) == 1, f"node {n} rebooted: {hello[n]}")
want(min(lat[101]) >= 300000, f"node 101 latencies {lat[101][:5]}")
want(max(lat[102]) < 300000, f"node 102 latencies {lat[102][:5]}")
want(not lat[201] and hello[201].count(FAULT) >= 2, f"node 201: {len(lat[201])} inferences, hellos {hello[201]}")
want(len(lat[202]) >= 10, f"node 202 ran {len(lat[202])} inferences")
print("faults ok:", dict(hello))
PY
