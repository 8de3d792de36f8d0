#!/usr/bin/env bash
# tinyfleet-node against the real tinyfleetd (and a private mosquitto) over a
# lossy, duplicating, reordering link: every Inference and Health a node
# numbered is stored exactly once in SQLite or is still in that node's outbox.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"
NODE=$TF_BUILD/tinyfleet-node
[ -x "$NODE" ] || tf_fail "tinyfleet-node not built"

tf_start_mosquitto
tfd_config
tfd_enroll 200
tfd_start tfd

tf_log "200 nodes, 10 s, loss 0.1, dup 0.05, reorder 0.1"
"$NODE" --provision "$TF_WORK/prov.txt" --duration 10 --period 200 --health-period 2000 \
	--loss 0.1 --dup 0.05 --reorder 0.1 --delay 2 --rto 300 --rto-max 2000 --seed 5 \
	--dump dump.txt --stats >node.json 2>node.err || tf_fail "tinyfleet-node: $(tail -n 5 node.err)"
cat node.json
tfd_stop tfd
grep "stopped:" "$TF_WORK/tfd.log" || true

tfd_sql "SELECT node_id, seq FROM readings" >readings.txt
tfd_sql "SELECT node_id, seq FROM health" >health.txt
python3 - <<'PY' || tf_fail "delivery check failed"
import collections, sys
stored = collections.Counter()
for name in ("readings.txt", "health.txt"):
    for line in open(name):
        node, seq = line.strip().split("|")
        stored[(int(node), int(seq))] += 1
dups = [k for k, c in stored.items() if c > 1]
if dups:
    sys.exit(f"stored twice: {dups[:5]}")
bad = total = 0
for line in open("dump.txt"):
    f = [int(x) for x in line.split()]
    node, next_seq, drops, outbox = f[0], f[1], f[2], set(f[4:])
    # Seqs 1 and 2 are this boot's Hello and ModelStatus: not readings or health rows.
    missing = [s for s in range(3, next_seq) if (node, s) not in stored and s not in outbox]
    total += next_seq - 1
    if len(missing) > drops:
        bad += 1
        print(f"node {node}: missing {missing[:10]} (drops {drops})", file=sys.stderr)
print(f"numbered {total}, stored {len(stored)}, nodes with unexplained gaps: {bad}")
if bad or len(stored) < 200 * 30:
    sys.exit(1)
PY
