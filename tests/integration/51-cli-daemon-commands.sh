#!/usr/bin/env bash
# Every tinyfleetctl daemon command against a running tinyfleetd with
# simulated nodes (tf-sender for readings, tinyfleet-node for health and
# alerts): the table and the --json form, and the exit codes 0 (done),
# 1 (failed), 2 (usage) and 3 (daemon unreachable, naming the socket).
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"
CTL=$TF_BUILD/tinyfleetctl
TFN=$TF_BUILD/tinyfleet-node
[ -x "$CTL" ] || tf_skip "tinyfleetctl not built"
[ -x "$TFN" ] || tf_skip "tinyfleet-node not built"
unset RUNTIME_DIRECTORY

# rc WANT CMD...: runs CMD (output to $TF_WORK/out, $TF_WORK/err), checks its exit code.
rc() {
	local want=$1 got
	shift
	"$@" >"$TF_WORK/out" 2>"$TF_WORK/err"
	got=$?
	[ "$got" = "$want" ] || {
		cat "$TF_WORK/out" "$TF_WORK/err"
		tf_fail "'$*' exited $got, want $want"
	}
}
# js PYTHON-EXPR: evaluates EXPR with j = the JSON in $TF_WORK/out; fails if false.
js() {
	python3 - "$1" "$TF_WORK/out" <<'PY' || tf_fail "JSON check failed: $1 on $(head -c 300 "$TF_WORK/out")"
import json, sys
j = json.load(open(sys.argv[2]))
sys.exit(0 if eval(sys.argv[1]) else 1)
PY
}
has() { grep -qE -- "$1" "$TF_WORK/${2:-out}" || tf_fail "no '$1' in: $(head -c 400 "$TF_WORK/${2:-out}")"; }

tfd_config "enabled = no"
tfd_enroll 5
tfd_start tfd
export TINYFLEET_SOCKET=$TF_WORK/control.sock
tf_wait_for 10 "$CTL" status || tf_fail "control socket did not answer"
[ "$(stat -c %a "$TINYFLEET_SOCKET")" = 660 ] || tf_fail "socket mode $(stat -c %a "$TINYFLEET_SOCKET")"

tf_log "5 nodes x 50 readings"
"$TFS" -p "$TF_WORK/prov.txt" -g "127.0.0.1:$TFD_UDP" -n 5 -c 50 -H -t 30 >/dev/null ||
	tf_fail "readings not acked"

tf_log "status"
rc 0 "$CTL" status
has '^nodes +5 online / 5 total'
has '^gateway +gwtest'
has '^outbox +[0-9]+ rows, broker disabled'
rc 0 "$CTL" status --json
js 'j["gateway_id"] == "gwtest" and j["nodes_total"] == 5 and j["nodes_online"] == 5 and j["readings_stored"] >= 250 and j["broker"] == "disabled" and j["uptime_s"] >= 0 and j["db_bytes"] > 0 and j["alerts_open"] == 0 and j["rollouts_active"] == 0'

tf_log "nodes list / show"
rc 0 "$CTL" nodes list
has '^ID +NAME +STATE +LAST SEEN +FIRMWARE +TAGS$'
[ "$(grep -c ' online ' "$TF_WORK/out")" = 5 ] || tf_fail "want 5 online rows"
# Aligned: every row has STATE in the column the header has it.
col=$(head -n1 "$TF_WORK/out" | grep -bo STATE | cut -d: -f1)
awk -v c="$col" 'NR > 1 && substr($0, c + 1, 6) != "online" { exit 1 }' "$TF_WORK/out" ||
	tf_fail "columns not aligned"
has 'now|[0-9]+s ago'
rc 0 "$CTL" nodes list --json --sort name
js 'len(j) == 5 and j[0]["name"] == "node-1" and all(n["state"] == "online" and n["firmware"] == "tf-sender" for n in j)'
rc 0 "$CTL" nodes list --state offline --json
js 'j == []'
rc 0 "$CTL" nodes show node-2
has '^node +node-2 \(id 2\)'
has '^readings +50 stored'
rc 0 "$CTL" nodes show 3 --json
js 'j["node"]["name"] == "node-3" and j["readings"] == 50 and j["capabilities"]["board"] == "posix" and j["last_health"] is None'
rc 1 "$CTL" nodes show no-such-node
has "no node 'no-such-node'" err

tf_log "readings"
rc 0 "$CTL" readings --limit 10
has '^TIME +NODE +SEQ +LABEL +SCORE +MODEL +LATENCY$'
[ "$(wc -l <"$TF_WORK/out")" = 11 ] || tf_fail "want header + 10 rows"
rc 0 "$CTL" readings --node node-2 --since 1h --limit 1000 --json
js 'len(j) == 50 and all(r["node"] == "node-2" for r in j) and [r["seq"] for r in j] == sorted(r["seq"] for r in j)'
rc 0 "$CTL" readings --limit 7 --format csv
has '^time,t_ms,node_id,node,seq,label,label_name,score,model_id,model_version,latency_us$'
[ "$(wc -l <"$TF_WORK/out")" = 8 ] || tf_fail "want CSV header + 7 rows"
rc 0 "$CTL" readings --label class1 --limit 1000 --json
js 'len(j) > 0 and all(r["label_name"] == "class1" for r in j)'
since=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
until=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
rc 0 "$CTL" readings --since "$since" --until "$until" --limit 1000 --json
js 'len(j) == 250'
rc 0 "$CTL" readings --until 2020-01-01 --json
js 'j == []'
rc 2 "$CTL" readings --since yesterday-ish
rc 2 "$CTL" readings --limit 0
rc 2 "$CTL" readings --format xml
rc 1 "$CTL" readings --node ghost

tf_log "simulated nodes with health reports (tinyfleet-node)"
rc 0 "$CTL" nodes add sim-1 --tags sim,roof --out "$TF_WORK/sim.txt"
[ "$(stat -c %a "$TF_WORK/sim.txt")" = 600 ] || tf_fail "provisioning record not 0600"
rc 0 "$CTL" nodes add sim-2 --tags sim
grep -qE '^[0-9]+,[0-9a-f]{64},127\.0\.0\.1:[0-9]+,sim-2$' "$TF_WORK/out" || tf_fail "record: $(cat "$TF_WORK/out")"
cat "$TF_WORK/out" >>"$TF_WORK/sim.txt"
rc 0 "$CTL" nodes list --tag sim --json
js 'sorted(n["name"] for n in j) == ["sim-1", "sim-2"]'

# watch follows what the nodes send from now on.
tf_spawn watch "$CTL" watch --json
"$TFN" --provision "$TF_WORK/sim.txt" --period 200 --health-period 300 --duration 3 \
	--state-dir "$TF_WORK" >"$TF_WORK/node.log" 2>&1 || tf_fail "tinyfleet-node: $(tail -3 "$TF_WORK/node.log")"
rc 0 "$CTL" health --node sim-1
has '^TIME +NODE +BATTERY +RSSI +UPTIME +REBOOTS +FREE +INFERENCES +ERRORS +OUTBOX$'
has ' mV '
rc 0 "$CTL" health --limit 1000 --json
js 'len(j) >= 4 and {r["node"] for r in j} == {"sim-1", "sim-2"} and all(r["battery_mv"] > 0 for r in j)'
rc 0 "$CTL" health --format csv --limit 3
has '^time,t_ms,node_id,node,seq,battery_mv'
tf_wait_for 10 grep -q '"type":"health"' "$TF_WORK/watch.log" || tf_fail "watch saw no health"
tf_wait_for 10 grep -q '"type":"reading"' "$TF_WORK/watch.log" || tf_fail "watch saw no reading"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$TF_WORK/watch.log" || tf_fail "watch --json: not one JSON object per line"
rc 0 "$CTL" nodes show sim-1
has '^hardware +posix-sim: arena [0-9.]+ [KMG]?i?B, 2 model slots of'
has '^models +active slot'
has '^  slot 0 '
has '^health +battery [0-9]+ mV'
rc 0 "$CTL" nodes show sim-1 --json
js 'j["last_health"] is not None and j["capabilities"]["board"] == "posix-sim" and j["model_status"] is not None'

tf_log "alerts"
# The simulated battery starts below the default battery_low_mv (3300).
if tf_wait_for 10 "$CTL" alerts --open --json && rc 0 "$CTL" alerts --open --json &&
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])) else 1)' "$TF_WORK/out"; then
	id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$TF_WORK/out")
	rc 0 "$CTL" alerts
	has '^ *ID +RAISED +SEVERITY +ALERT +NODE +STATE +ACKED +MESSAGE$'
	rc 0 "$CTL" alerts ack "$id"
	rc 0 "$CTL" alerts --json
	js "any(a['id'] == $id and a['acked_uid'] == $(id -u) and a['acked_ms'] > 0 for a in j)"
	rc 0 "$CTL" status --json
	js 'j["alerts_open"] >= 1'
	tf_wait_for 10 grep -q '"type":"alert"' "$TF_WORK/watch.log" || tf_fail "watch saw no alert"
else
	tf_fail "no open alert from the low simulated battery"
fi
rc 1 "$CTL" alerts ack 999999
rc 2 "$CTL" alerts ack nonsense
kill "$TF_PID_watch" 2>/dev/null

tf_log "changes: tag, rekey, remove, import"
rc 0 "$CTL" nodes tag sim-1 +door -roof
has '^sim-1: sim,door$'
rc 0 "$CTL" nodes tag sim-1 +door --json
js 'j["ok"] and j["message"] == "sim,door"'
rc 2 "$CTL" nodes tag sim-1 door
rc 1 "$CTL" nodes tag sim-1 '+bad tag'
rc 0 "$CTL" nodes rekey sim-2 --out "$TF_WORK/rekey.txt"
[ "$(stat -c %a "$TF_WORK/rekey.txt")" = 600 ] || tf_fail "rekey record not 0600"
new=$(cut -d, -f2 "$TF_WORK/rekey.txt")
old=$(grep ',sim-2$' "$TF_WORK/sim.txt" | cut -d, -f2)
[ -n "$new" ] && [ "$new" != "$old" ] || tf_fail "rekey gave the same key"
tf_log "rekey and remove take effect on the data path at once"
rc 0 "$CTL" nodes rekey node-4 --out "$TF_WORK/n4.txt"
"$TFS" -p "$TF_WORK/n4.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -c 5 -t 10 >/dev/null ||
	tf_fail "the re-keyed node's readings were not accepted"
grep '^4,' "$TF_WORK/prov.txt" >"$TF_WORK/old4.txt"
"$TFS" -p "$TF_WORK/old4.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -c 3 -f 200 -t 2 >/dev/null &&
	tf_fail "the old key still works after rekey"
rc 0 "$CTL" nodes remove node-5 --yes
grep '^5,' "$TF_WORK/prov.txt" >"$TF_WORK/n5.txt"
"$TFS" -p "$TF_WORK/n5.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -c 3 -f 200 -t 2 >/dev/null &&
	tf_fail "a removed node's readings were accepted"
rc 0 "$CTL" nodes add dup-1
rc 1 "$CTL" nodes add dup-1
has 'enrolled already' err
rc 1 "$CTL" nodes add 'bad name'
rc 2 "$CTL" nodes remove dup-1 </dev/null
has 'confirm with --yes' err
rc 0 "$CTL" nodes remove dup-1 --yes
rc 1 "$CTL" nodes show dup-1
{
	echo "node_id,key_hex64,name,tags"
	for i in 1 2 3; do
		echo "0,$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'),imp-$i,batch;csv"
	done
} >"$TF_WORK/import.csv"
rc 0 "$CTL" nodes import "$TF_WORK/import.csv" --json
js 'j["ok"] and j["count"] == 3'
rc 0 "$CTL" nodes list --tag batch --json
js 'len(j) == 3'
printf 'this,is,not,a,node\n' >"$TF_WORK/bad.csv"
rc 1 "$CTL" nodes import "$TF_WORK/bad.csv"
has 'line 1' err
rc 1 "$CTL" nodes import "$TF_WORK/missing.csv"

tf_log "usage errors and --help"
rc 2 "$CTL" nodes
rc 2 "$CTL" nodes frobnicate
rc 2 "$CTL" nodes list --state sleepy
rc 2 "$CTL" status --bogus
rc 2 "$CTL" nodes show
for c in status "nodes list" "nodes show" "nodes add" "nodes import" "nodes remove" \
	"nodes tag" "nodes rekey" readings health watch alerts "alerts ack"; do
	# shellcheck disable=SC2086 # split the subcommand
	rc 0 "$CTL" $c --help
	has '^usage:'
done

tf_log "daemon unreachable: exit 3, naming the socket"
rc 3 "$CTL" status --socket "$TF_WORK/nope.sock"
has "cannot reach tinyfleetd at '$TF_WORK/nope.sock': No such file or directory" err
TINYFLEET_SOCKET=$TF_WORK/nope2.sock rc 3 "$CTL" nodes list
has "nope2.sock" err
rc 0 "$CTL" status --socket "$TINYFLEET_SOCKET"
# Before the command it applies too, and beats the environment; the
# command's own --socket beats both.
TINYFLEET_SOCKET=$TF_WORK/nope3.sock rc 0 "$CTL" --socket "$TINYFLEET_SOCKET" status
rc 3 "$CTL" --socket="$TF_WORK/nope4.sock" nodes list
has "nope4.sock" err
rc 0 "$CTL" --socket "$TF_WORK/nope5.sock" status --socket "$TINYFLEET_SOCKET"
rc 2 "$CTL" --socket

tfd_stop tfd
[ ! -e "$TINYFLEET_SOCKET" ] || tf_fail "socket left behind after a clean stop"
rc 3 "$CTL" status
tf_log "PASS"
