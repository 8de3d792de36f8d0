#!/usr/bin/env bash
# MQTT state as a consumer sees it, end to end with tinyfleetd and mosquitto:
# the retained gateway status (online on connect, Last Will "connection lost"
# on kill -9, "shutdown" on SIGTERM), the retained node status and the
# node_offline alert (raised after offline_after_s of silence, cleared when
# the node is back), a [rule:*] alert raised and cleared on inference results,
# and retained state republished after the broker restarts without
# persistence (docs/MQTT.md).
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

T=tinyfleet/gwtest
# retained TOPIC: the retained payload of TOPIC ("" if none within 2 s).
retained() {
	mosquitto_sub -h 127.0.0.1 -p "$TF_MQTT_PORT" -t "$1" -C 1 -W 2 --retained-only 2>/dev/null
}
retained_has() { retained "$1" | grep -q "$2"; }
has() { grep -q "$1" "$TF_WORK/sub.log"; }

tf_start_mosquitto
tfd_config "[alerts]
offline_after_s = 2
[rule:class1-seen]
label = class1
score_min = 0.8
clear_below = 0.5
clear_consecutive = 2
severity = critical"
tfd_enroll 1
tfd_sub sub "$T/#"
tfd_start tfd

tf_log "gateway status online, retained"
tf_wait_for 10 retained_has "$T/status" '"state":"online"' || tf_fail "no retained online status"

tf_log "5 results of one node (seqs 2..6 after the Hello: class2 class0 class1 class2 class0): class1 raises the rule, the next two clear it"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -c 5 -H -t 20 || tf_fail "acks"
tf_wait_for 10 has "^$T/alerts/critical {\"kind\":\"rule\",\"state\":\"raised\".*\"rule\":\"class1-seen\"" ||
	tf_fail "rule alert not raised"
tf_wait_for 10 has "^$T/alerts/critical {\"kind\":\"rule\",\"state\":\"cleared\"" ||
	tf_fail "rule alert not cleared"
[ "$(grep -c "\"kind\":\"rule\"" "$TF_WORK/sub.log")" = 2 ] || tf_fail "rule alerts flapped"
tf_wait_for 10 retained_has "$T/nodes/1/status" '"state":"online"' || tf_fail "node status online"

tf_log "silent for offline_after_s: node_offline raised, node status offline"
tf_wait_for 15 has "^$T/alerts/warning {\"kind\":\"node_offline\",\"state\":\"raised\",.*\"node\":1," ||
	tf_fail "node_offline not raised"
tf_wait_for 10 retained_has "$T/nodes/1/status" '"state":"offline"' || tf_fail "node status offline"

tf_log "back online: alert cleared, status online"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -c 1 -f 7 -t 20 || tf_fail "acks"
tf_wait_for 10 has "^$T/alerts/warning {\"kind\":\"node_offline\",\"state\":\"cleared\"" ||
	tf_fail "node_offline not cleared"
tf_wait_for 10 retained_has "$T/nodes/1/status" '"state":"online"' || tf_fail "node status back online"
n=$(tfd_sql "SELECT COUNT(*) FROM outbox")
tf_log "outbox rows left: $n"

tf_log "broker restarted without persistence: retained state comes back from the gateway"
kill -KILL "$TF_PID_mosquitto"; wait "$TF_PID_mosquitto" 2>/dev/null
tf_spawn mq2 mosquitto -c "$TF_WORK/mosquitto.conf"
tf_wait_for 10 tf_port_open "$TF_MQTT_PORT" || tf_fail "mosquitto did not restart"
tf_wait_for 20 retained_has "$T/status" '"state":"online"' || tf_fail "gateway status not republished"
tf_wait_for 10 retained_has "$T/nodes/1/status" '"state":"online"' ||
	tf_fail "node status not republished"

tf_log "kill -9: the broker publishes the Last Will"
kill -KILL "$TF_PID_tfd"; wait "$TF_PID_tfd" 2>/dev/null
tf_wait_for 10 retained_has "$T/status" '"reason":"connection lost"' || tf_fail "no Last Will"

tf_log "restart, then SIGTERM: offline with reason shutdown, no Last Will"
tfd_start tfd2
tf_wait_for 10 retained_has "$T/status" '"state":"online"' || tf_fail "not online after restart"
tfd_stop tfd2
tf_wait_for 10 retained_has "$T/status" '"reason":"shutdown"' || tf_fail "no shutdown status"
tf_log "PASS"
