#!/usr/bin/env bash
# Broker down long enough for the outbox to reach [mqtt] outbox_max_rows: the
# oldest inference rows are dropped and counted, the outbox_drops alert is
# raised and stays raised while the outbox is full (cleared once the broker
# has drained it and drops have stopped), every reading is still stored and
# acked, and when the broker returns the alert rows and node status rows are
# all delivered (alerts and status are never dropped) while the surviving
# inference rows arrive in per-node order.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

T=tinyfleet/gwtest NODES=5 COUNT=400 BOUND=1000
TF_MQTT_PORT=$(tf_free_port)
cat >"$TF_WORK/mosquitto.conf" <<CONF
listener $TF_MQTT_PORT 127.0.0.1
allow_anonymous true
max_queued_messages 0
persistence true
persistence_location $TF_WORK/
$( [ "$(id -u)" = 0 ] && echo "user root" )
CONF
tf_spawn mq1 mosquitto -c "$TF_WORK/mosquitto.conf"
tf_wait_for 10 tf_port_open "$TF_MQTT_PORT" || tf_fail "mosquitto did not start"
tfd_config "outbox_max_rows = $BOUND
[alerts]
outbox_drops_clear_s = 1"
tfd_enroll $NODES
# A durable subscriber: the broker queues for it across its own restart.
tfd_sub sub "$T/#" -c -i tf-test-drops
tfd_start tfd
tf_wait_for 10 grep -q "^$T/status " "$TF_WORK/sub.log" || tf_fail "daemon not connected"

tf_log "broker down; $((NODES * COUNT)) readings against an outbox bound of $BOUND"
kill -TERM "$TF_PID_mq1"; wait "$TF_PID_mq1"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n $NODES -c $COUNT -H -t 30 ||
	tf_fail "readings not acked while the outbox is full"
n=$(tfd_sql "SELECT COUNT(*) FROM readings")
[ "$n" = $((NODES * COUNT)) ] || tf_fail "readings stored: $n, want $((NODES * COUNT))"
ob=$(tfd_sql "SELECT COUNT(*) FROM outbox")
tf_log "outbox holds $ob rows"
[ "$ob" -le $((BOUND + 10)) ] || tf_fail "outbox holds $ob rows, bound $BOUND"
alert_rows() { tfd_sql "SELECT COUNT(*) FROM alerts WHERE kind = 'outbox_drops'"; }
raised() { [ "$(alert_rows)" -ge 1 ]; }
tf_wait_for 10 raised || tf_fail "outbox_drops alert not raised"
# The outbox stays full while the broker is away: the alert stays raised, no
# clear/raise pair every outbox_drops_clear_s (1 s here) for the whole outage.
flapped() { [ "$(alert_rows)" -ge 2 ]; }
if tf_wait_for 4 flapped; then
	tfd_sql "SELECT t_ms, raised FROM alerts WHERE kind = 'outbox_drops'" >&2
	tf_fail "outbox_drops alert cleared while the outbox is still full"
fi

tf_log "broker back: everything left drains"
tf_spawn mq2 mosquitto -c "$TF_WORK/mosquitto.conf"
tf_wait_for 10 tf_port_open "$TF_MQTT_PORT" || tf_fail "mosquitto did not restart"
drained() { [ "$(tfd_sql 'SELECT COUNT(*) FROM outbox')" = 0 ]; }
tf_wait_for 30 drained || tf_fail "outbox not drained"
has() { grep -q "$1" "$TF_WORK/sub.log"; }
tf_wait_for 20 has "^$T/alerts/critical {\"kind\":\"outbox_drops\",\"state\":\"raised\"" ||
	tf_fail "outbox_drops raise not delivered"
tf_wait_for 20 has "^$T/alerts/critical {\"kind\":\"outbox_drops\",\"state\":\"cleared\"" ||
	tf_fail "outbox_drops clear not delivered"
for i in $(seq 1 $NODES); do
	tf_wait_for 10 has "^$T/nodes/$i/status .*\"online\"" || tf_fail "node $i status dropped"
done
python3 - "$TF_WORK/sub.log" <<'PY' || tf_fail "inference order after drops"
import json, sys, collections
seen = collections.defaultdict(set)
top = collections.defaultdict(int)
bad = 0
for line in open(sys.argv[1]):
    topic, _, payload = line.partition(" ")
    if not topic.endswith("/inference"):
        continue
    m = json.loads(payload)
    node, seq = m["node"], m["seq"]
    if seq in seen[node]:
        continue  # a QoS 1 duplicate
    if seq < top[node]:
        print(f"node {node}: seq {seq} after {top[node]}")
        bad += 1
    seen[node].add(seq)
    top[node] = max(top[node], seq)
n = sum(len(v) for v in seen.values())
print(f"{n} inference messages survived the bound, first arrivals in per-node order")
sys.exit(1 if bad or n == 0 else 0)
PY
tfd_stop tfd
tf_log "PASS"
