#!/usr/bin/env bash
# Serial ingest over a pty: frames of several nodes COBS-framed on one link,
# acks back over the same link; the link disappears (the pty pair goes away)
# and comes back, and the daemon reopens it with backoff and carries on.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

PTY="$TF_ROOT/tests/tools/ptypair.py"
tf_start_mosquitto
tfd_config "[serial]
device = $TF_WORK/tty-gw
baud = 115200
reopen_min_ms = 50
reopen_max_ms = 400"
sed -i 's/^listen = .*/listen = 127.0.0.1:0/' "$TF_WORK/tfd.conf"
tfd_enroll 4
tf_spawn pty1 python3 "$PTY" "$TF_WORK/tty-gw" "$TF_WORK/tty-node"
tf_wait_for 5 grep -q ready "$TF_WORK/pty1.log" || tf_fail "ptypair"
tfd_sub sub 'tinyfleet/gwtest/nodes/+/inference'
tfd_sub_ready sub tinyfleet/gwtest/nodes/0/inference
tfd_start tfd

tf_log "4 nodes x 100 readings over one serial link"
"$TFS" -p "$TF_WORK/prov.txt" -s "$TF_WORK/tty-node" -n 4 -c 100 -H -t 30 || tf_fail "serial acks"

tf_log "the device disappears and comes back"
kill -TERM "$TF_PID_pty1"; wait "$TF_PID_pty1"
tf_spawn pty2 python3 "$PTY" "$TF_WORK/tty-gw" "$TF_WORK/tty-node"
tf_wait_for 5 grep -q ready "$TF_WORK/pty2.log" || tf_fail "ptypair again"
"$TFS" -p "$TF_WORK/prov.txt" -s "$TF_WORK/tty-node" -n 4 -c 100 -f 102 -t 30 ||
	tf_fail "no acks after the device came back"
tf_wait_for 20 tfd_count_lines "$TF_WORK/sub.log" "/inference " 800 ||
	tf_fail "subscriber got $(grep -c /inference "$TF_WORK/sub.log") of 800"
n=$(tfd_sql "SELECT COUNT(*), COUNT(DISTINCT node_id * 100000 + seq) FROM readings")
[ "$n" = "800|800" ] || tf_fail "readings: $n"
tfd_stop tfd
tf_log "PASS"
