#!/usr/bin/env bash
# Enrollment until tinyfleetctl exists: --enroll prints one provisioning record
# (node_id,key_hex64,gateway,name), --enroll-batch writes N to a 0600 file,
# --import takes a CSV of existing nodes in one transaction and names the bad
# line (never the key); a node enrolled while the daemon runs is picked up.
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

TF_MQTT_PORT=1 # no broker needed
tfd_config "enabled = false"
rec=$("$TFD" -c "$TF_WORK/tfd.conf" --enroll pump-1 --tags site-a,pumps) || tf_fail "enroll"
grep -Eq "^1,[0-9a-f]{64},127\.0\.0\.1:$TFD_UDP,pump-1$" <<<"$rec" || tf_fail "record: $rec"
"$TFD" -c "$TF_WORK/tfd.conf" --enroll pump-1 2>/dev/null && tf_fail "duplicate name accepted"
"$TFD" -c "$TF_WORK/tfd.conf" --enroll 'bad name' 2>/dev/null && tf_fail "bad name accepted"
[ "$(tfd_sql "SELECT tags FROM nodes WHERE name = 'pump-1'")" = "site-a,pumps" ] || tf_fail "tags"

tfd_enroll 3
[ "$(stat -c %a "$TF_WORK/prov.txt")" = 600 ] || tf_fail "provisioning file mode"
[ "$(grep -c '^[0-9]' "$TF_WORK/prov.txt")" = 3 ] || tf_fail "batch records"

k1=$(printf 'a%.0s' $(seq 64)) k2=$(printf 'b%.0s' $(seq 64))
cat >"$TF_WORK/good.csv" <<CSV
node_id,key_hex64,name,tags
# from the line
1001,$k1,line-1,site-b;pumps
,$k2,line-2
CSV
"$TFD" -c "$TF_WORK/tfd.conf" --import "$TF_WORK/good.csv" 2>"$TF_WORK/imp.log" || tf_fail "import: $(cat "$TF_WORK/imp.log")"
[ "$(tfd_sql "SELECT id, tags FROM nodes WHERE name = 'line-1'")" = "1001|site-b,pumps" ] || tf_fail "import id/tags"
[ "$(tfd_sql "SELECT COUNT(*) FROM nodes WHERE name = 'line-2' AND id > 1001")" = 1 ] || tf_fail "assigned id"
printf '2001,%s,ok-1\n2002,nothex,bad-1\n' "$k1" >"$TF_WORK/bad.csv"
out=$("$TFD" -c "$TF_WORK/tfd.conf" --import "$TF_WORK/bad.csv" 2>&1) && tf_fail "bad CSV accepted"
grep -q "bad.csv:2: key is not 64 hex digits" <<<"$out" || tf_fail "message: $out"
grep -q "$k1" <<<"$out" && tf_fail "a key reached the log"
[ "$(tfd_sql "SELECT COUNT(*) FROM nodes WHERE name = 'ok-1'")" = 0 ] || tf_fail "partial import"

tf_log "a node enrolled while the daemon runs is accepted"
tfd_start tfd
"$TFD" -c "$TF_WORK/tfd.conf" --enroll late-1 --out "$TF_WORK/late.txt" || tf_fail "late enroll"
"$TFS" -p "$TF_WORK/late.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -c 5 -t 15 || tf_fail "late node not served"
tfd_stop tfd
tf_log "PASS"
