#!/usr/bin/env bash
# Retention runs inside the live daemon: readings older than retention_age are
# deleted in small batches from the housekeeping timer while ingest goes on,
# and everything newer stays.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

TF_MQTT_PORT=1
tfd_config "enabled = false"
sed -i 's/^\[store\]$/[store]\nretention_age = 3s\nretention_batch = 50\nretention_interval_ms = 20/' \
	"$TF_WORK/tfd.conf"
tfd_enroll 2
tfd_start tfd
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 2 -c 500 -t 10 || tf_fail "first batch"
[ "$(tfd_sql 'SELECT COUNT(*) FROM readings')" = 1000 ] || tf_fail "not stored"
tf_log "waiting for the first 1000 readings to age out (3 s) while new ones arrive"
until_old() { [ "$(tfd_sql 'SELECT COUNT(*) FROM readings WHERE seq <= 500')" = 0 ]; }
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 2 -c 100 -f 501 -r 50 -t 15 || tf_fail "second batch"
tf_wait_for 20 until_old || tf_fail "old readings not deleted: $(tfd_sql 'SELECT COUNT(*) FROM readings WHERE seq <= 500') left"
left=$(tfd_sql 'SELECT COUNT(*) FROM readings WHERE seq > 500')
[ "$left" -ge 100 ] || tf_fail "recent readings deleted too ($left of 200 left)"
tfd_stop tfd
tf_log "PASS: old rows gone, $left recent rows kept"
