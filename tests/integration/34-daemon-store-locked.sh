#!/usr/bin/env bash
# The database locked by another process for a few seconds while nodes send:
# tinyfleetd stops acking (nothing it acks could be lost), backs off instead of
# spinning, raises a store_error alert, and when the lock goes away commits the
# kept batch, acks it, clears the alert, and loses and duplicates nothing.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

tf_start_mosquitto
tfd_config
tfd_enroll 4
tfd_sub sub 'tinyfleet/gwtest/alerts/#'
tfd_sub_ready sub tinyfleet/gwtest/alerts/probe
tfd_start tfd

tf_log "a writer in another process holds the database for 3 s"
python3 - "$TF_WORK/tf.db" "$TF_WORK/locked" <<'PY' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(3)
db.execute("COMMIT")
os.unlink(sys.argv[2])
PY
locker=$!
tf_wait_for 5 test -e "$TF_WORK/locked" || tf_fail "locker did not start"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 4 -c 50 -t 2 >"$TF_WORK/s1.out" &&
	tf_fail "acks went out while the database was locked"
cat "$TF_WORK/s1.out"
grep -q "acked 0 " "$TF_WORK/s1.out" || tf_fail "something was acked while locked"
wait $locker
tf_log "lock released: the same readings again, now acked"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 4 -c 50 -t 20 || tf_fail "no acks after recovery"
n=$(tfd_sql "SELECT COUNT(*), COUNT(DISTINCT node_id * 100000 + seq) FROM readings")
[ "$n" = "200|200" ] || tf_fail "readings: $n"
tf_wait_for 10 grep -q '"kind":"store_error","state":"cleared"' "$TF_WORK/sub.log" ||
	{ cat "$TF_WORK/sub.log"; tf_fail "no store_error raise/clear on MQTT"; }
grep -q '"kind":"store_error","state":"raised"' "$TF_WORK/sub.log" || tf_fail "no raise"
grep -q "store: commit failed" "$TF_WORK/tfd.log" || tf_fail "no log line"
retries=$(grep -c "commit failed" "$TF_WORK/tfd.log")
[ "$retries" -le 2 ] || tf_fail "logged $retries times: spinning?"
tfd_stop tfd
tf_log "PASS"
