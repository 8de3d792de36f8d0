#!/usr/bin/env bash
# tinyfleetd killed with SIGKILL under load and restarted: no acked reading is
# lost and none is stored twice. The sender keeps retransmitting whatever was
# not acked (as a node's outbox does) until everything is; afterwards every
# node must have exactly seqs 1..COUNT, each once.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

NODES=20 COUNT=1500
tf_start_mosquitto
tfd_config
tfd_enroll $NODES
tfd_start tfd1

tf_log "$NODES nodes x $COUNT readings at ~6000/s, daemon killed twice"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n $NODES -c $COUNT -r 6000 -t 60 \
	>"$TF_WORK/sender.out" 2>&1 &
sender=$!
stored() { [ "$(tfd_sql 'SELECT COUNT(*) FROM readings' 2>/dev/null || echo 0)" -ge "$1" ]; }
tf_wait_for 20 stored 3000 || tf_fail "no progress before the first kill"
kill -KILL "$TF_PID_tfd1"
wait "$TF_PID_tfd1" 2>/dev/null
before=$(tfd_sql 'SELECT COUNT(*) FROM readings')
tf_log "killed with $before readings stored"
tfd_start tfd2
tf_wait_for 20 stored $((before + 5000)) || tf_fail "no progress after the restart"
kill -KILL "$TF_PID_tfd2"
wait "$TF_PID_tfd2" 2>/dev/null
tf_log "killed again with $(tfd_sql 'SELECT COUNT(*) FROM readings') readings stored"
tfd_start tfd3
wait $sender || { cat "$TF_WORK/sender.out"; tf_fail "sender did not get every ack"; }
cat "$TF_WORK/sender.out"
tfd_stop tfd3

res=$(tfd_sql "SELECT COUNT(*), COUNT(DISTINCT node_id * 100000 + seq), MIN(seq), MAX(seq) FROM readings")
[ "$res" = "$((NODES * COUNT))|$((NODES * COUNT))|1|$COUNT" ] ||
	tf_fail "rows|distinct|min|max = $res, want $((NODES * COUNT))|$((NODES * COUNT))|1|$COUNT"
bad=$(tfd_sql "SELECT COUNT(*) FROM (SELECT node_id FROM readings GROUP BY node_id HAVING COUNT(*) != $COUNT)")
[ "$bad" = 0 ] || tf_fail "$bad nodes with a wrong reading count"
tf_log "PASS: $res"
