#!/usr/bin/env bash
# tinyfleetd is valgrind clean (STYLE.md house rule, proven here): the daemon
# runs under memcheck through a short, realistic life: enrollment, simulated
# nodes (tinyfleet-node: readings and health over UDP), tf-sender duplicates,
# a forged frame, MQTT publishing to a private mosquitto, alerts, control
# socket queries and admin writes (tag, alert ack) with tinyfleetctl, a
# SIGHUP reload that adds a rule, a broker killed and restarted while
# readings arrive (outbox, reconnect, drain), then SIGTERM. Any memcheck error or any definite
# or indirect leak fails the test (valgrind exits 99). Suppressions, for
# third-party libraries only, are in tests/valgrind/tinyfleetd.supp.
# SKIPs under SAN=asan (ASan and valgrind cannot share a process) and when
# valgrind is not installed.
. "$TF_ROOT/tests/integration/lib.sh"

# Before daemon-lib.sh, whose own skips need the binaries built.
if [ "${SAN:-}" = asan ] || grep -q __asan_init "$TF_BUILD/tinyfleetd" 2>/dev/null; then
	tf_skip "ASan build (SAN=asan): valgrind cannot run an ASan binary"
fi
command -v valgrind >/dev/null || tf_skip "valgrind not installed (mk/deps.mk lists it)"
. "$TF_ROOT/tests/tools/daemon-lib.sh"
CTL=$TF_BUILD/tinyfleetctl
NODE=$TF_BUILD/tinyfleet-node
[ -x "$CTL" ] || tf_skip "tinyfleetctl not built"
[ -x "$NODE" ] || tf_skip "tinyfleet-node not built"
unset RUNTIME_DIRECTORY

SUPP=$TF_ROOT/tests/valgrind/tinyfleetd.supp
# vg NAME CMD...: exec CMD under memcheck (so signals reach it: run it in a
# subshell or with tf_spawn); its report goes to NAME.vg.
vg() {
	local name=$1
	shift
	exec valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 \
		--suppressions="$SUPP" --log-file="$TF_WORK/$name.vg" "$@"
}
# vg_check NAME RC: prints valgrind's summary; fails with its report unless
# the run exited 0.
vg_check() {
	sed -n '/HEAP SUMMARY/,$p' "$TF_WORK/$1.vg" | sed 's/^==[0-9]*== //'
	[ "$2" = 0 ] && return 0
	grep -v '^==[0-9]*== *$' "$TF_WORK/$1.vg" | tail -n 150
	tail -n 20 "$TF_WORK/$1.log"
	[ "$2" = 99 ] && tf_fail "valgrind found errors or leaks in $1 (report above)"
	tf_fail "$1 exited $2"
}
T=tinyfleet/gwtest
has() { grep -q "$1" "$TF_WORK/sub.log"; }

tf_start_mosquitto
tfd_config "[alerts]
offline_after_s = 30
battery_low_mv = 5000
battery_clear_mv = 5100
[rule:label1-seen]
label = 1
score_min = 0.4
clear_below = 0.3
severity = critical"

tf_log "enroll 6 nodes (under valgrind): 1-4 for tinyfleet-node, 5-6 for tf-sender"
(vg enroll "$TFD" -c "$TF_WORK/tfd.conf" --enroll-batch 6 --out "$TF_WORK/prov.txt") \
	>"$TF_WORK/enroll.log" 2>&1
vg_check enroll $?
grep '^[0-9]' "$TF_WORK/prov.txt" | tail -n 2 >"$TF_WORK/prov56.txt"

tfd_sub sub "$T/#"
tfd_sub_ready sub "$T/probe"
tf_log "start tinyfleetd under valgrind"
tf_spawn tfd vg tfd "$TFD" -c "$TF_WORK/tfd.conf"
tf_wait_for 30 tfd_ready tfd || { cat "$TF_WORK/tfd.log" "$TF_WORK/tfd.vg"; tf_fail "tinyfleetd did not start"; }
export TINYFLEET_SOCKET=$TF_WORK/control.sock
tf_wait_for 10 "$CTL" status || tf_fail "control socket did not answer"

tf_log "4 nodes (tinyfleet-node), 4 s: readings every 100 ms, health every 500 ms"
tf_spawn nodes "$NODE" --provision "$TF_WORK/prov.txt" --count 4 --period 100 --health-period 500 \
	--duration 4 --state-dir "$TF_WORK/flash" --stats
tf_wait_for 20 tfd_count_lines "$TF_WORK/sub.log" "/inference " 20 || tf_fail "no readings on MQTT"
tf_wait_for 20 has "/health " || tf_fail "no health on MQTT"

tf_log "control socket: status, nodes, readings, health, alerts"
for cmd in "status" "status --json" "nodes list" "nodes show 1 --json" "readings --limit 20" \
	"readings --node 2 --format csv" "health --limit 10 --json" "alerts --json"; do
	# shellcheck disable=SC2086
	"$CTL" $cmd >"$TF_WORK/ctl.out" 2>&1 || tf_fail "tinyfleetctl $cmd: $(cat "$TF_WORK/ctl.out")"
done
"$CTL" nodes tag 3 +canary >/dev/null || tf_fail "nodes tag"
wait "$TF_PID_nodes" || tf_fail "tinyfleet-node failed: $(tail -n 5 "$TF_WORK/nodes.log")"

tf_log "alerts raised: rule and battery; acknowledge one"
tf_wait_for 20 has "^$T/alerts/critical {\"kind\":\"rule\",\"state\":\"raised\"" ||
	tf_fail "rule alert not raised"
tf_wait_for 10 has "^$T/alerts/warning {\"kind\":\"battery_low\",\"state\":\"raised\"" ||
	tf_fail "battery alert not raised"
"$CTL" alerts --open --json >"$TF_WORK/alerts.json" || tf_fail "alerts --open"
id=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(a[0]["id"] if isinstance(a, list) else a["alerts"][0]["id"])' \
	"$TF_WORK/alerts.json") || tf_fail "no open alert id in $(head -c 300 "$TF_WORK/alerts.json")"
"$CTL" alerts ack "$id" >/dev/null || tf_fail "alerts ack $id"

tf_log "SIGHUP: a new rule"
printf '[rule:class2-any]\nlabel = class2\nscore_min = 0.01\n' >>"$TF_WORK/tfd.conf"
kill -HUP "$TF_PID_tfd"
tf_wait_for 20 grep -q "configuration reloaded" "$TF_WORK/tfd.log" || tf_fail "SIGHUP not applied"

tf_log "broker killed: tf-sender readings go to the outbox; broker back: it drains"
kill -KILL "$TF_PID_mosquitto"
wait "$TF_PID_mosquitto" 2>/dev/null
"$TFS" -p "$TF_WORK/prov56.txt" -g "127.0.0.1:$TFD_UDP" -n 2 -c 30 -H -t 30 >/dev/null ||
	tf_fail "tf-sender readings not acked"
tf_spawn mq2 mosquitto -c "$TF_WORK/mosquitto.conf"
tf_wait_for 10 tf_port_open "$TF_MQTT_PORT" || tf_fail "mosquitto did not restart"
outbox_empty() { [ "$(tfd_sql "SELECT COUNT(*) FROM outbox")" = 0 ]; }
tf_wait_for 30 outbox_empty || tf_fail "outbox not drained: $(tfd_sql "SELECT COUNT(*) FROM outbox") rows"
"$TFS" -p "$TF_WORK/prov56.txt" -g "127.0.0.1:$TFD_UDP" -n 2 -c 10 -f 2 -t 30 >/dev/null ||
	tf_fail "duplicates not re-acked"
"$TFS" -p "$TF_WORK/prov56.txt" -g "127.0.0.1:$TFD_UDP" -n 1 -f 32 -a forged >/dev/null ||
	tf_fail "forged frames"
"$CTL" status --json >"$TF_WORK/ctl.out" || tf_fail "status after reload"

tf_log "SIGTERM: clean exit, and valgrind's verdict"
kill -TERM "$TF_PID_tfd"
wait "$TF_PID_tfd"
vg_check tfd $?
# valgrind really checked: its summary is there and says so.
grep -q "ERROR SUMMARY: 0 errors" "$TF_WORK/tfd.vg" || tf_fail "no valgrind summary"
grep -Eq "definitely lost: 0 bytes|no leaks are possible" "$TF_WORK/tfd.vg" ||
	tf_fail "no leak summary"
grep -q "stopped:" "$TF_WORK/tfd.log" || tf_fail "no clean stop in the log"
n=$(tfd_sql "SELECT COUNT(*) FROM readings WHERE node_id IN (5, 6)")
[ "$n" = 60 ] || tf_fail "tf-sender readings stored: $n, want 60"
tf_log "PASS"
