#!/usr/bin/env bash
# A gateway outage long enough to overflow the nodes' outboxes (tinyfleet-node
# against the real tinyfleetd and a private mosquitto). Each node drops its
# oldest Inferences, leaving a gap of more than 64 seqs; without
# NodeMessage.seq_floor the daemon's cumulative ack would stay below the gap and
# every later message would be dropped unacked forever. With it:
#   - readings after the gap (more than 64 above the ack at the outage) are
#     stored and acked, and each node's outbox drains to empty (its Health says
#     outbox_depth 0);
#   - each node's drop count equals the seqs the daemon reports abandoned, and
#     every seq a node numbered is stored once, or dropped, or still in flight;
#   - the operator sees that loss: `tinyfleetctl nodes show` (table and --json)
#     and `status` report each node's abandoned seqs and the fleet total, equal
#     to the drops, before and after another daemon restart (nodes.seqs_abandoned
#     is persisted with the ack window).
#
# The node is frozen (SIGSTOP) while the daemon comes back, so that when it
# resumes, its whole backlog is due at once and drains long before its next
# inference: no message is dropped after the daemon has stored it, which keeps
# "dropped" and "abandoned" exactly equal.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"
NODE=$TF_BUILD/tinyfleet-node
CTL=$TF_BUILD/tinyfleetctl
[ -x "$NODE" ] || tf_fail "tinyfleet-node not built"
[ -x "$CTL" ] || tf_fail "tinyfleetctl not built"
unset RUNTIME_DIRECTORY
export TINYFLEET_SOCKET=$TF_WORK/control.sock
NODES=3
WANT_DROPS=70 # > 64: every message left in an outbox is beyond the old window

tf_start_mosquitto
tfd_config "[gateway]
log_level = debug"
tfd_enroll $NODES
tfd_start tfd

# Per node: at least $1 rows in readings.
stored_each() {
	[ "$(tfd_sql "SELECT COUNT(*) FROM (SELECT node_id FROM readings GROUP BY node_id
		HAVING COUNT(*) >= $1)")" -eq $NODES ]
}
# Per node: the agent logged a drop count of at least $1.
dropped_each() {
	python3 - "$TF_WORK/node.log" "$1" "$NODES" <<'PY'
import re, sys
best = {}
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"node (\d+): outbox full, dropped oldest inference (\d+)", line)
    if m:
        best[m[1]] = max(best.get(m[1], 0), int(m[2]))
sys.exit(0 if len(best) == int(sys.argv[3]) and min(best.values()) >= int(sys.argv[2]) else 1)
PY
}
# Per node: more than $1 readings with a seq more than 64 above its ack at the
# outage ($GAP: "WITH gap(node_id, cum) AS (VALUES ...)"), i.e. after the gap.
after_gap_each() {
	[ "$(tfd_sql "$GAP SELECT COUNT(*) FROM (SELECT r.node_id FROM readings r JOIN gap g
		ON g.node_id = r.node_id WHERE r.seq > g.cum + 64 GROUP BY r.node_id
		HAVING COUNT(*) > $1)")" -eq $NODES ]
}
# Per node: a Health sent after the gap reports an empty outbox.
drained_each() {
	[ "$(tfd_sql "$GAP SELECT COUNT(DISTINCT h.node_id) FROM health h JOIN gap g
		ON g.node_id = h.node_id WHERE h.seq > g.cum + 64
		AND json_extract(h.data, '\$.outbox_depth') = 0")" -eq $NODES ]
}

tf_log "$NODES nodes, inference every 100 ms, health every 1030 ms, retransmit 50..100 ms"
tf_spawn node "$NODE" --provision "$TF_WORK/prov.txt" --period 100 --health-period 1030 \
	--rto 50 --rto-max 100 --seed 26 --state-dir "$TF_WORK/state" --dump "$TF_WORK/dump.txt" \
	--stats
tf_wait_for 20 stored_each 5 || tf_fail "no readings before the outage"

tf_log "outage: tinyfleetd stops; the outboxes fill and drop"
tfd_stop tfd
# The ack window each node had when the gateway went away.
tfd_sql "SELECT id, ack_cum FROM nodes" >gap.txt
GAP="WITH gap(node_id, cum) AS (VALUES $(sed 's/\(.*\)|\(.*\)/(\1,\2)/' gap.txt | paste -sd,))"
echo "$GAP"
tf_wait_for 45 dropped_each $WANT_DROPS || { tail -n 5 node.log; tf_fail "outboxes did not overflow"; }

tf_log "tinyfleetd is back (node frozen while it starts)"
kill -STOP "$TF_PID_node"
tfd_start tfd2
kill -CONT "$TF_PID_node"
tf_wait_for 20 after_gap_each 10 || tf_fail "readings after the gap are not stored"
tf_wait_for 20 drained_each || tf_fail "an outbox did not drain (no Health with outbox_depth 0)"

kill -TERM "$TF_PID_node"
wait "$TF_PID_node" || tf_fail "tinyfleet-node exited with $?"
cat node.log | grep -v "outbox full" | tail -n 20
# What the operator sees while that daemon runs (and again after a restart below).
"$CTL" status --json >status-live.json || tf_fail "tinyfleetctl status failed"
tfd_stop tfd2
grep "stopped:" "$TF_WORK/tfd2.log" || true

tfd_sql "SELECT node_id, seq FROM readings" >readings.txt
tfd_sql "SELECT node_id, seq FROM health" >health.txt
tfd_sql "SELECT id, ack_cum, ack_sack FROM nodes" >acks.txt
python3 - "$TF_WORK/tfd2.log" <<'PY' || tf_fail "overflow check failed"
import collections, re, sys
stored = collections.Counter()
for name in ("readings.txt", "health.txt"):
    for line in open(name):
        node, seq = line.strip().split("|")
        stored[(int(node), int(seq))] += 1
dups = [k for k, c in stored.items() if c > 1]
if dups:
    sys.exit(f"stored twice: {dups[:5]}")
gap = {int(n): int(c) for n, c in (l.strip().split("|") for l in open("gap.txt"))}
acks = {int(n): (int(c), int(s) & (2**64 - 1)) for n, c, s in
        (l.strip().split("|") for l in open("acks.txt"))}
abandoned = collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"node (\d+): seq floor \d+ moves the ack window to \d+: (\d+) seqs abandoned", line)
    if m:
        abandoned[int(m[1])] += int(m[2])
bad = 0
for line in open("dump.txt"):
    f = [int(x) for x in line.split()]
    node, next_seq, drops, depth, outbox = f[0], f[1], f[2], f[3], set(f[4:])
    cum, sack = acks[node]
    acked = lambda s: s <= cum or (s - cum - 1 < 64 and (sack >> (s - cum - 1)) & 1)
    # Seqs 1 and 2 are the Hello and ModelStatus of this boot: not rows here.
    missing = [s for s in range(3, next_seq) if (node, s) not in stored and s not in outbox]
    after = [s for (n, s) in stored if n == node and s > gap[node] + 64]
    unacked = [s for s in range(1, next_seq) if not acked(s) and s not in outbox]
    print(f"node {node}: numbered {next_seq - 1}, ack at outage {gap[node]}, drops {drops}, "
          f"abandoned {abandoned[node]}, missing {len(missing)}, stored after the gap "
          f"{len(after)}, left in outbox {depth}, ack now {cum}")
    problems = []
    if drops < 64:
        problems.append("fewer than 64 drops: the old deadlock was not reached")
    if abandoned[node] != drops:
        problems.append("dropped != abandoned")
    if len(missing) != drops:
        problems.append(f"missing seqs {missing[:8]}... not explained by drops")
    if not after:
        problems.append("nothing stored after the gap")
    if unacked:
        problems.append(f"seqs neither acked nor in the outbox: {unacked[:8]}")
    if depth > 1 or any(s < next_seq - 1 for s in outbox):
        problems.append(f"outbox not drained at exit: {sorted(outbox)}")
    for p in problems:
        print(f"  node {node}: {p}", file=sys.stderr)
    bad += bool(problems)
sys.exit(1 if bad else 0)
PY

tf_log "the loss is visible with tinyfleetctl, and survives another restart"
tfd_start tfd3
ctl_check() {
	local id
	"$CTL" status >status.txt || tf_fail "tinyfleetctl status failed"
	"$CTL" status --json >status.json || tf_fail "tinyfleetctl status --json failed"
	"$CTL" nodes list --json >list.json || tf_fail "tinyfleetctl nodes list --json failed"
	for id in $(seq 1 $NODES); do
		"$CTL" nodes show "$id" >"show-$id.txt" || tf_fail "tinyfleetctl nodes show $id failed"
		"$CTL" nodes show "$id" --json >"show-$id.json" || tf_fail "nodes show $id --json failed"
	done
}
ctl_check
tfd_stop tfd3
cat status.txt show-1.txt
python3 - "$NODES" <<'PY' || tf_fail "abandoned seqs not reported as dropped"
import json, re, sys
nodes = int(sys.argv[1])
drops = {}
for line in open("dump.txt"):
    f = [int(x) for x in line.split()]
    drops[f[0]] = f[2]
problems = []
listed = {n["id"]: n["seqs_abandoned"] for n in json.load(open("list.json"))}
for node in range(1, nodes + 1):
    shown = json.load(open(f"show-{node}.json"))["node"]["seqs_abandoned"]
    text = re.search(r"^abandoned +(\d+) seqs", open(f"show-{node}.txt").read(), re.M)
    print(f"node {node}: drops {drops[node]}, shown {shown}, listed {listed.get(node)}, "
          f"table {text and text[1]}")
    if not (shown == listed.get(node) == drops[node] and text and int(text[1]) == drops[node]):
        problems.append(f"node {node}")
total = sum(drops.values())
live = json.load(open("status-live.json"))["seqs_abandoned"]
after = json.load(open("status.json"))["seqs_abandoned"]
text = re.search(r"^abandoned +(\d+) seqs", open("status.txt").read(), re.M)
print(f"fleet: drops {total}, status before the restart {live}, after {after}, "
      f"table {text and text[1]}")
if not (live == after == total and text and int(text[1]) == total):
    problems.append("fleet total")
sys.exit(f"mismatch: {problems}" if problems else 0)
PY
