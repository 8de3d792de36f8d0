#!/usr/bin/env bash
# The MQTT broker stopped for TF_OUTAGE_S (default 30) seconds while nodes
# send: readings keep being stored and acked, the outbox holds them, and when
# the broker returns every reading reaches the subscriber, in per-node order.
# The broker keeps the subscriber's persistent session across its restart
# (persistence on), so what the daemon drains before the subscriber is back
# is queued for it, as on a production broker.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

OUTAGE=${TF_OUTAGE_S:-30} NODES=10 COUNT=300
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
tfd_config
tfd_enroll $NODES
tfd_sub sub 'tinyfleet/gwtest/nodes/+/inference' -c -i tf-test-sub
tfd_sub_ready sub tinyfleet/gwtest/nodes/0/inference
tfd_start tfd

tf_log "first third with the broker up"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n $NODES -c 100 -t 20 || tf_fail "acks"
tf_wait_for 20 tfd_count_lines "$TF_WORK/sub.log" "/inference " $((NODES * 100)) || tf_fail "first part not received"

tf_log "broker down for ${OUTAGE}s; readings must still be stored and acked"
kill -TERM "$TF_PID_mq1"; wait "$TF_PID_mq1"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n $NODES -c 200 -f 101 -t 20 ||
	tf_fail "readings not acked while the broker is down"
ob=$(tfd_sql "SELECT COUNT(*) FROM outbox WHERE kind = 1")
[ "$ob" -ge $((NODES * 200)) ] || tf_fail "outbox holds $ob inference rows, want >= $((NODES * 200))"
tf_log "outbox holds $ob inference rows"
sleep "$OUTAGE" # the outage itself is what is under test

tf_log "broker back"
tf_spawn mq2 mosquitto -c "$TF_WORK/mosquitto.conf"
tf_wait_for 10 tf_port_open "$TF_MQTT_PORT" || tf_fail "mosquitto did not restart"
tf_wait_for 60 tfd_count_lines "$TF_WORK/sub.log" "/inference " $((NODES * COUNT)) ||
	tf_fail "subscriber got $(grep -c /inference "$TF_WORK/sub.log") of $((NODES * COUNT))"
tfd_check_order "$TF_WORK/sub.log" $NODES $COUNT || tf_fail "order after the outage"
drained() { [ "$(tfd_sql 'SELECT COUNT(*) FROM outbox')" = 0 ]; }
tf_wait_for 10 drained || tf_fail "outbox not drained"
tfd_stop tfd
tf_log "PASS"
