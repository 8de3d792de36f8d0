#!/usr/bin/env bash
# 61-cortex-m-daemon-serial: two Cortex-M4 nodes (node.elf in QEMU mps2-an386,
# one build, provisioned per node by cm-provision from the daemon's enrollment
# output) talk to tinyfleetd over their UARTs: QEMU serves each UART on a Unix
# socket, cm-uart-bridge.py turns it into a pty the daemon's serial transport
# opens. The daemon stores and publishes each node's Hello, inferences (the
# built-in model, run on the M4 every 500 ms) and Health; acks flow back over
# the UART, so every reading is stored exactly once. The daemon then restarts
# while the nodes run on: their outboxes keep what was not acked and
# retransmit it, still stored exactly once. Then one node is power-cycled (its
# QEMU restarted on the same flash store file): it comes back with its frame
# counters and seqs moving on, so the gateway accepts it (no replay drop) and
# its Health counts the reboot. Then everything stops cleanly (daemon exit 0).
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

command -v qemu-system-arm >/dev/null || tf_skip "qemu-system-arm is not installed"
ELF="$TF_BUILD/cm4/node.elf"
PROV="$TF_BUILD/cm-provision"
BRIDGE="$TF_ROOT/node-firmware/ports/cortex-m/tools/cm-uart-bridge.py"
[ -f "$ELF" ] && [ -x "$PROV" ] || tf_fail "node.elf or cm-provision missing (make firmware)"

tf_start_mosquitto
tfd_config "[serial]
device = $TF_WORK/tty-n1,$TF_WORK/tty-n2
baud = 115200
reopen_min_ms = 50
reopen_max_ms = 400"
sed -i 's/^listen = .*/listen = 127.0.0.1:0/' "$TF_WORK/tfd.conf"
tfd_enroll 2
mapfile -t IDS < <(grep -v '^#' "$TF_WORK/prov.txt" | cut -d, -f1)
[ "${#IDS[@]}" -eq 2 ] || tf_fail "enrollment gave ${#IDS[@]} nodes"

tfd_sub sub 'tinyfleet/gwtest/nodes/+/+'
tfd_start tfd

# start_node I: QEMU for node I, its working directory holding the flash
# mirror, and the bridge from its UART socket to the pty the daemon opens.
start_node() {
	tf_spawn "qemu$1" env -C "$TF_WORK/n$1" timeout 300 qemu-system-arm -M mps2-an386 \
		-display none -monitor none -serial "unix:$TF_WORK/n$1.sock,server=on,wait=on" \
		-semihosting-config enable=on,target=native -kernel "$TF_WORK/n$1.elf"
	tf_spawn "bridge$1" python3 "$BRIDGE" "$TF_WORK/n$1.sock" "$TF_WORK/tty-n$1"
}

tf_log "boot nodes ${IDS[*]} in QEMU"
for i in 1 2; do
	id=${IDS[$((i - 1))]}
	"$PROV" -i 500 -H 2000 "$ELF" "$TF_WORK/n$i.elf" --enrolled "$TF_WORK/prov.txt" --node "$id" ||
		tf_fail "cm-provision node $id"
	mkdir -p "$TF_WORK/n$i"
	: >"$TF_WORK/n$i/tinyfleet-flash.bin" # the flash store persists here (flash.h)
	start_node "$i"
done
for i in 1 2; do
	tf_wait_for 10 grep -q ready "$TF_WORK/bridge$i.log" || tf_fail "bridge $i: $(cat "$TF_WORK/bridge$i.log")"
done

hello_both() { [ "$(tfd_sql "SELECT COUNT(*) FROM nodes WHERE hello_ms IS NOT NULL")" = 2 ]; }
readings_each() {
	[ "$(tfd_sql "SELECT COUNT(*) FROM (SELECT node_id FROM readings GROUP BY node_id HAVING COUNT(*) >= $1)")" = 2 ]
}
health_each() {
	[ "$(tfd_sql "SELECT COUNT(DISTINCT node_id) FROM health")" = 2 ]
}
mqtt_has() { grep -q "nodes/$1/$2 " "$TF_WORK/sub.log"; }

tf_wait_for 30 hello_both || tf_fail "no Hello from both nodes; qemu1: $(cat "$TF_WORK/qemu1.log")"
tf_log "hello: $(tfd_sql "SELECT id, firmware, core_version FROM nodes" | tr '\n' ' ')"
# What the M4 node says about itself reaches the operator: board, arena, slot.
"$TF_BUILD/tinyfleetctl" nodes show "${IDS[0]}" --json --socket "$TF_WORK/control.sock" \
	>"$TF_WORK/show.json" || tf_fail "tinyfleetctl nodes show"
python3 - "$TF_WORK/show.json" <<'PY' || tf_fail "node capabilities: $(cat "$TF_WORK/show.json")"
import json, sys
c = json.load(open(sys.argv[1]))["capabilities"]
assert c["board"] == "mps2-an386", c
assert c["arena_bytes"] == 160 * 1024 and c["slots"] == 2 and c["slot_size"] > 300000, c
assert 3 in c["ops"] and 4 in c["ops"] and c["sensors"][0]["name"] == "vibration", c
PY
tf_wait_for 60 readings_each 10 || tf_fail "fewer than 10 readings per node: $(tfd_sql 'SELECT node_id, COUNT(*) FROM readings GROUP BY node_id' | tr '\n' ' ')"
tf_wait_for 30 health_each || tf_fail "no Health from both nodes"
for id in "${IDS[@]}"; do
	tf_wait_for 10 mqtt_has "$id" inference || tf_fail "no inference of node $id on MQTT"
	tf_wait_for 10 mqtt_has "$id" health || tf_fail "no health of node $id on MQTT"
done
tf_log "readings: $(tfd_sql 'SELECT node_id, COUNT(*), MIN(latency_us), MAX(latency_us) FROM readings GROUP BY node_id' | tr '\n' ' ')"
tf_log "health: $(tfd_sql 'SELECT node_id, uptime_s, reboots, data FROM health ORDER BY id DESC LIMIT 2' | tr '\n' ' ')"

# Acks reach the nodes: with them every reading is stored once and no node
# keeps retransmitting (duplicates would show as repeated (node, seq)).
n=$(tfd_sql "SELECT COUNT(*) = COUNT(DISTINCT node_id * 1000000 + seq) FROM readings")
[ "$n" = 1 ] || tf_fail "duplicate readings stored"

tf_log "daemon restart while the nodes run"
before=$(tfd_sql "SELECT COUNT(*) FROM readings")
tfd_stop tfd
sleep_until() { [ "$(date +%s%N)" -ge "$1" ]; }
# The nodes keep measuring with nobody acking for ~2 s (a real outage, not a
# readiness wait): what they queue must arrive after the restart.
tf_wait_for 10 sleep_until $(( $(date +%s%N) + 2000000000 ))
tfd_start tfd2
more() { [ "$(tfd_sql "SELECT COUNT(*) FROM readings")" -ge $(( before + 16 )) ]; }
tf_wait_for 60 more || tf_fail "readings stalled after the restart: $(tfd_sql 'SELECT COUNT(*) FROM readings') (before $before)"
retx() { tfd_sql "SELECT data FROM health" | grep -q '"retransmits":[1-9]'; }
tf_wait_for 30 retx || tf_fail "no node reported retransmits after the outage"
# Nothing lost: after Hello and ModelStatus (seqs 1, 2) every seq a node used
# is an Inference or a Health, so per node the stored seqs have no gap.
# (Retransmits of old seqs may land after newer ones: wait for them.)
gaps() {
	tfd_sql "SELECT node_id, MAX(seq) - MIN(seq) + 1 - COUNT(DISTINCT seq) FROM
		(SELECT node_id, seq FROM readings UNION ALL SELECT node_id, seq FROM health)
		GROUP BY node_id" | tr '\n' ' '
}
no_gaps() { local g; for g in $(gaps); do [ "${g#*|}" = 0 ] || return 1; done; }
tf_wait_for 30 no_gaps || tf_fail "seqs missing per node (node|missing): $(gaps)"
n=$(tfd_sql "SELECT COUNT(*) = COUNT(DISTINCT node_id * 1000000 + seq) FROM readings")
[ "$n" = 1 ] || tf_fail "duplicate readings stored after the restart"
tf_log "after restart: $(tfd_sql 'SELECT COUNT(*) FROM readings') readings, no seq missing, none twice"

tf_log "power-cycle node ${IDS[0]} (new QEMU process, same flash store)"
max1=$(tfd_sql "SELECT MAX(seq) FROM readings WHERE node_id = ${IDS[0]}")
kill -TERM "$TF_PID_qemu1"; wait "$TF_PID_qemu1" 2>/dev/null
wait "$TF_PID_bridge1" 2>/dev/null # it ends with its socket
start_node 1
tf_wait_for 10 grep -q ready "$TF_WORK/bridge1.log" || tf_fail "bridge 1 after the power cycle"
back() {
	[ "$(tfd_sql "SELECT COUNT(*) FROM readings WHERE node_id = ${IDS[0]} AND seq > $max1")" -ge 4 ] &&
		tfd_sql "SELECT data FROM health WHERE node_id = ${IDS[0]}" | grep -q '"reboots":2'
}
tf_wait_for 60 back || tf_fail "node ${IDS[0]} not accepted after its power cycle (readings after seq $max1: $(tfd_sql "SELECT COUNT(*) FROM readings WHERE node_id = ${IDS[0]} AND seq > $max1"))"
tf_log "node ${IDS[0]} back: seqs after $max1 stored, Health reboots 2"

tf_log "stop: nodes, then the daemon"
for i in 1 2; do
	eval "kill -TERM \$TF_PID_qemu$i"
	eval "wait \$TF_PID_qemu$i" 2>/dev/null
done
tfd_stop tfd2
grep -q 'forged 0, replay 0)' "$TF_WORK/tfd2.log" ||
	tf_fail "the daemon dropped frames: $(grep stopped: "$TF_WORK/tfd2.log")"
tf_log "PASS"
