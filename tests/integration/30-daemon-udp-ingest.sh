#!/usr/bin/env bash
# tinyfleetd end to end over UDP with a real mosquitto: simulated nodes send a
# Hello and readings; every reading is stored once, acked, and published on
# MQTT; forged, replayed and unknown-node frames are dropped and counted;
# --check-config names the first bad key with file and line; the database
# and provisioning file are 0600.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

tf_log "config errors name file and line"
printf '[store]\nbatch_ms = 5\nbogus_key = 1\n' >"$TF_WORK/bad.conf"
out=$("$TFD" -c "$TF_WORK/bad.conf" --check-config 2>&1) && tf_fail "bad config accepted"
grep -q "bad.conf:3: unknown key 'bogus_key' in \[store\]" <<<"$out" || tf_fail "message: $out"
"$TFD" --check-config 2>&1 | grep -q "configuration OK" || tf_fail "defaults rejected"

tf_start_mosquitto
tfd_config
tfd_enroll 5
[ "$(stat -c %a "$TF_WORK/prov.txt")" = 600 ] || tf_fail "provisioning file not 0600"
[ "$(stat -c %a "$TF_WORK/tf.db")" = 600 ] || tf_fail "database not 0600"
grep -c '^[0-9]' "$TF_WORK/prov.txt" | grep -qx 5 || tf_fail "want 5 provisioning records"

tfd_sub sub 'tinyfleet/gwtest/#'
tfd_sub_ready sub tinyfleet/gwtest/probe
tfd_start tfd

tf_log "5 nodes x 200 readings"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 5 -c 200 -H -t 30 >"$TF_WORK/s1.out" ||
	tf_fail "not every reading was acked: $(cat "$TF_WORK/s1.out")"
cat "$TF_WORK/s1.out"
grep -q "time_syncs 5 " "$TF_WORK/s1.out" || tf_fail "every Hello must get a TimeSync"
tf_wait_for 20 tfd_count_lines "$TF_WORK/sub.log" "/inference " 1000 ||
	tf_fail "subscriber got $(grep -c /inference "$TF_WORK/sub.log") of 1000 readings"
tfd_check_order "$TF_WORK/sub.log" 5 200 || tf_fail "MQTT order"
grep -q '^tinyfleet/gwtest/status {"state":"online"' "$TF_WORK/sub.log" || tf_fail "no gateway status"
grep -q '^tinyfleet/gwtest/nodes/1/status .*"online"' "$TF_WORK/sub.log" || tf_fail "no node status"
n=$(tfd_sql "SELECT COUNT(*), COUNT(DISTINCT node_id * 100000 + seq) FROM readings")
[ "$n" = "1000|1000" ] || tf_fail "readings rows/distinct: $n"
fw=$(tfd_sql "SELECT COUNT(*) FROM nodes WHERE firmware = 'tf-sender'")
[ "$fw" = 5 ] || tf_fail "Hello not recorded ($fw)"

if python3 -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null; then
	tf_log "IPv6: a second daemon listening on [::1]"
	tfd_stop tfd
	sed -i "s/^listen = .*/listen = 127.0.0.1:$TFD_UDP, [::1]:$TFD_UDP/" "$TF_WORK/tfd.conf"
	tfd_start tfd6
	"$TFS" -p "$TF_WORK/prov.txt" -g "[::1]:$TFD_UDP" -n 5 -c 10 -f 202 -t 10 ||
		tf_fail "no acks over IPv6"
	TF_PID_tfd=$TF_PID_tfd6
	grep -q "listening on udp \[::1\]" "$TF_WORK/tfd6.log" || tf_fail "no v6 listener"
	n=$(tfd_sql "SELECT COUNT(*) FROM readings")
	[ "$n" = 1050 ] || tf_fail "IPv6 readings: $n rows"
	base=1050
else
	echo "no IPv6 on this host: IPv6 part skipped"
	base=1000
fi

tf_log "duplicates are acked again, never stored twice"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 5 -c 50 -f 100 -t 10 ||
	tf_fail "duplicates not re-acked"
n=$(tfd_sql "SELECT COUNT(*) FROM readings")
[ "$n" = "$base" ] || tf_fail "duplicates stored: $n rows"

tf_log "forged, replayed and unknown-node frames"
for a in forged replay unknown; do
	"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -f 212 -a "$a" >/dev/null ||
		tf_fail "attack $a"
done
tfd_stop tfd
final=$(grep -h "stopped:" "$TF_WORK"/tfd*.log | tail -n1)
echo "$final"
grep -q "unknown 10, forged 10, replay 10" <<<"$final" || tf_fail "drop counters: $final"
n=$(tfd_sql "SELECT COUNT(*) FROM readings")
[ "$n" = "$base" ] || tf_fail "a bad frame was stored: $n rows"
tf_log "PASS"
