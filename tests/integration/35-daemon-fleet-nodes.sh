#!/usr/bin/env bash
# tinyfleetd with the real simulated fleet (tinyfleet-node: the agent, the
# inference core and wire/ on the node side): 20 nodes run a model and report
# for a few seconds; a SIGHUP in the middle reloads the config (a new alert
# rule) without losing anything; at the end every inference the nodes ran is
# stored exactly once, their outboxes are empty (everything acked), and the
# subscriber got every one. SIGTERM leaves the retained gateway status offline.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"
NODE=$TF_BUILD/tinyfleet-node
[ -x "$NODE" ] || tf_skip "tinyfleet-node not built"

tf_start_mosquitto
tfd_config
tfd_enroll 20
tfd_sub sub 'tinyfleet/gwtest/#'
tfd_sub_ready sub tinyfleet/gwtest/probe
tfd_start tfd

tf_log "20 nodes, 6 s, one inference per 200 ms each"
tf_spawn nodes "$NODE" --provision "$TF_WORK/prov.txt" --period 200 --health-period 1000 \
	--duration 6 --state-dir "$TF_WORK/flash" --stats
tf_wait_for 10 tfd_count_lines "$TF_WORK/sub.log" "/inference " 100 || tf_fail "no readings"
printf '[rule:label-any]\nlabel = 1\nscore_min = 0.01\n' >>"$TF_WORK/tfd.conf"
kill -HUP "$TF_PID_tfd"
tf_wait_for 5 grep -q "configuration reloaded" "$TF_WORK/tfd.log" || tf_fail "SIGHUP not applied"
wait "$TF_PID_nodes" || tf_fail "tinyfleet-node failed"
inf=$(python3 - "$TF_WORK/nodes.log" <<'PY'
import json, sys
text = "".join(l for l in open(sys.argv[1]) if not l.startswith("<"))
d = json.loads(text[text.index("{"):text.rindex("}") + 1])
print(d["inferences"], d["outbox_depth"])
PY
) ||
	tf_fail "no --stats JSON: $(tail -3 "$TF_WORK/nodes.log")"
read -r ran depth <<<"$inf"
tf_log "nodes ran $ran inferences, $depth left unacked"
[ "$depth" = 0 ] || tf_fail "$depth messages never acked"
res=$(tfd_sql "SELECT COUNT(*), COUNT(DISTINCT node_id * 100000 + seq) FROM readings")
[ "$res" = "$ran|$ran" ] || tf_fail "readings rows|distinct = $res, nodes ran $ran"
tf_wait_for 10 tfd_count_lines "$TF_WORK/sub.log" "/inference " "$ran" ||
	tf_fail "subscriber got $(grep -c '/inference ' "$TF_WORK/sub.log") of $ran"
[ "$(tfd_sql "SELECT COUNT(*) FROM nodes WHERE firmware IS NOT NULL")" = 20 ] || tf_fail "Hellos"
grep -q '/health ' "$TF_WORK/sub.log" || tf_fail "no health on MQTT"
tfd_stop tfd
st=$(mosquitto_sub -h 127.0.0.1 -p "$TF_MQTT_PORT" -t tinyfleet/gwtest/status -C 1 -W 5)
grep -q '"state":"offline"' <<<"$st" || tf_fail "retained status after SIGTERM: $st"
tf_log "PASS"
