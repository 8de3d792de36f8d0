#!/usr/bin/env bash
# Store faults under load. (1) The database locked by another process for a few
# seconds while nodes send:
# tinyfleetd stops acking (nothing it acks could be lost), backs off instead of
# spinning, raises a store_error alert, and when the lock goes away commits the
# kept batch, acks it, clears the alert, and loses and duplicates nothing.
# (2) The disk under the database fills up (a small tmpfs of our own): no acks
# while it is full, recovery once there is room, every reading stored once.
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

# Part two: a disk that fills up, on a small tmpfs of our own (skipped where
# this process may not mount one).
mnt="$TF_WORK/disk"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=3m tmpfs "$mnt" 2>/dev/null; then
	echo "cannot mount a tmpfs here: disk-full part skipped (check_store/check_ingest inject it)"
	exit 0
fi
trap 'tf_cleanup; umount "$mnt" 2>/dev/null' EXIT
tf_log "disk full: the database on a 3 MiB tmpfs"
cp "$TF_WORK/tfd.conf" "$TF_WORK/tfd-disk.conf"
sed -i "s|^path = .*|path = $mnt/tf.db|" "$TF_WORK/tfd.conf"
"$TFD" -c "$TF_WORK/tfd.conf" --enroll-batch 4 --out "$TF_WORK/prov-disk.txt" 2>/dev/null || tf_fail "enroll on tmpfs"
tf_spawn tfdd "$TFD" -c "$TF_WORK/tfd.conf"
tf_wait_for 10 tfd_ready tfdd || tf_fail "daemon on tmpfs did not start"
"$TFS" -p "$TF_WORK/prov-disk.txt" -g "127.0.0.1:$TFD_UDP" -n 4 -c 100 -t 10 || tf_fail "before the disk filled"
dd if=/dev/zero of="$mnt/filler" bs=16k 2>/dev/null # until the disk is full
"$TFS" -p "$TF_WORK/prov-disk.txt" -g "127.0.0.1:$TFD_UDP" -n 4 -c 300 -f 101 -t 3 \
	>"$TF_WORK/full.out" && tf_fail "everything acked on a full disk?"
cat "$TF_WORK/full.out"
tf_wait_for 5 grep -q "commit failed: No space left on device" "$TF_WORK/tfdd.log" ||
	tf_fail "no disk-full log line: $(tail -3 "$TF_WORK/tfdd.log")"
acked_full=$(sed -E 's/.*acked ([0-9]+).*/\1/' "$TF_WORK/full.out")
tf_log "the disk has room again"
rm -f "$mnt/filler"
"$TFS" -p "$TF_WORK/prov-disk.txt" -g "127.0.0.1:$TFD_UDP" -n 4 -c 300 -f 101 -t 30 ||
	tf_fail "no recovery after the disk had room again"
res=$(sqlite3 "$mnt/tf.db" "SELECT COUNT(*), COUNT(DISTINCT node_id * 100000 + seq) FROM readings")
[ "$res" = "1600|1600" ] || tf_fail "rows|distinct after recovery: $res (want 1600|1600)"
tf_log "PASS (disk full: $acked_full of 1200 acked before the disk filled, the rest after)"
kill -TERM "$TF_PID_tfdd"; wait "$TF_PID_tfdd" || tf_fail "tinyfleetd on tmpfs exited with $?"
