#!/usr/bin/env bash
# The broker away for longer than the outbox holds: readings keep being stored
# and acked; past [mqtt] outbox_max_rows the oldest inference rows are dropped
# and counted, an outbox_drops alert is raised, node status and alert rows are
# never dropped; when the broker is back the rest drains in per-node order.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

TF_MQTT_PORT=$(tf_free_port) # nothing listens there
tfd_config "outbox_max_rows = 1000"
dead_port=$TF_MQTT_PORT
tfd_enroll 5
tfd_start tfd

tf_log "broker down: 5 nodes x 400 readings against an outbox of 1000"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 5 -c 400 -t 20 || tf_fail "acks stopped"
[ "$(tfd_sql "SELECT COUNT(*) FROM readings")" = 2000 ] || tf_fail "readings not all stored"
ob=$(tfd_sql "SELECT COUNT(*) FROM outbox WHERE kind = 1")
keep=$(tfd_sql "SELECT COUNT(*) FROM outbox WHERE kind != 1")
tf_log "outbox: $ob inference rows, $keep status/alert rows"
[ "$ob" -le 1000 ] || tf_fail "bound not applied: $ob inference rows"
[ "$keep" -ge 5 ] || tf_fail "node status rows were dropped ($keep)"
tf_wait_for 10 grep -q "outbox full: dropped" "$TF_WORK/tfd.log" || tf_fail "drop not logged"

tf_log "broker back (the subscriber first, then the daemon is pointed at it by SIGHUP)"
tf_start_mosquitto
tfd_sub sub 'tinyfleet/gwtest/#'
tfd_sub_ready sub tinyfleet/gwtest/probe
sed -i "s/^port = $dead_port/port = $TF_MQTT_PORT/" "$TF_WORK/tfd.conf"
kill -HUP "$TF_PID_tfd"
drained() { [ "$(tfd_sql 'SELECT COUNT(*) FROM outbox')" = 0 ]; }
tf_wait_for 30 drained || tf_fail "outbox not drained"
tf_wait_for 10 grep -q '"kind":"outbox_drops","state":"raised"' "$TF_WORK/sub.log" ||
	tf_fail "no outbox_drops alert"
python3 - "$TF_WORK/sub.log" <<'PY' || tf_fail "per-node order after drops"
import json, sys, collections
last = collections.defaultdict(int)
n = 0
for line in open(sys.argv[1]):
    if "/inference " not in line:
        continue
    m = json.loads(line.split(" ", 1)[1])
    if m["node"] == 0:
        continue  # the readiness probe
    if m["seq"] < last[m["node"]]:
        print("node", m["node"], "seq", m["seq"], "after", last[m["node"]]); sys.exit(1)
    last[m["node"]] = m["seq"]; n += 1
print(n, "inference messages, newest kept, in order; last seqs", dict(last))
assert all(v == 400 for v in last.values())
PY
grep -q '/nodes/1/status .*"online"' "$TF_WORK/sub.log" || tf_fail "node status lost"
tfd_stop tfd
tf_log "PASS"
