#!/usr/bin/env bash
# SIGTERM with readings staged but not yet committed (a long batch_ms): the
# daemon commits the batch, acks it, publishes its offline status and exits 0;
# the reading is stored once and the node has its ack.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

tf_start_mosquitto
tfd_config "[gateway]
log_level = debug"
sed -i 's/^batch_ms = 10$/batch_ms = 10000\nbatch_size = 100000/' "$TF_WORK/tfd.conf"
tfd_enroll 1
tfd_start tfd
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -c 1 -t 15 >"$TF_WORK/s.out" &
sender=$!
tf_wait_for 10 grep -q "batch: first record staged" "$TF_WORK/tfd.log" || tf_fail "nothing staged"
[ "$(tfd_sql 'SELECT COUNT(*) FROM readings')" = 0 ] || tf_fail "committed before SIGTERM?"
tfd_stop tfd
wait $sender || tf_fail "the staged reading was not acked on SIGTERM: $(cat "$TF_WORK/s.out")"
[ "$(tfd_sql 'SELECT COUNT(*) FROM readings')" = 1 ] || tf_fail "reading not stored"
st=$(mosquitto_sub -h 127.0.0.1 -p "$TF_MQTT_PORT" -t tinyfleet/gwtest/status -C 1 -W 5)
grep -q '"reason":"shutdown"' <<<"$st" || tf_fail "status after SIGTERM: $st"
tf_log "PASS"
