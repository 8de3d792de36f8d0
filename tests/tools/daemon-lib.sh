# Helpers for the daemon's integration tests (tests/integration/3x-*.sh).
# Source after tests/integration/lib.sh.
TFD=$TF_BUILD/tinyfleetd
TFS=$TF_BUILD/tests/tools/tf-sender
[ -x "$TFD" ] || tf_skip "tinyfleetd not built"
[ -x "$TFS" ] || tf_skip "tf-sender not built"
command -v mosquitto >/dev/null || tf_skip "mosquitto not installed"
command -v sqlite3 >/dev/null || tf_skip "sqlite3 not installed"

# tfd_config [EXTRA_INI]: writes $TF_WORK/tfd.conf for a daemon on a free udp port
# publishing to $TF_MQTT_PORT; sets TFD_UDP.
tfd_config() {
	TFD_UDP=$(tf_free_port udp)
	cat >"$TF_WORK/tfd.conf" <<CONF
[gateway]
enroll_address = 127.0.0.1:$TFD_UDP
housekeeping_ms = 50
[udp]
listen = 127.0.0.1:$TFD_UDP
[store]
path = $TF_WORK/tf.db
batch_ms = 10
[mqtt]
host = 127.0.0.1
port = ${TF_MQTT_PORT:-1883}
gateway_id = gwtest
reconnect_min_ms = 100
reconnect_max_ms = 1000
${1:-}
CONF
}

# tfd_enroll N: enrolls N nodes; provisioning records in $TF_WORK/prov.txt.
tfd_enroll() {
	"$TFD" -c "$TF_WORK/tfd.conf" --enroll-batch "$1" --out "$TF_WORK/prov.txt" ||
		tf_fail "enroll failed"
}

tfd_ready() { grep -q "ready:" "$TF_WORK/$1.log"; }

# tfd_start NAME: starts the daemon (log NAME.log) and waits until it serves.
tfd_start() {
	local name=${1:-tfd}
	tf_spawn "$name" "$TFD" -c "$TF_WORK/tfd.conf"
	tf_wait_for 10 tfd_ready "$name" || { cat "$TF_WORK/$name.log"; tf_fail "tinyfleetd did not start"; }
}

# tfd_stop NAME: SIGTERM, wait for a clean exit.
tfd_stop() {
	local name=${1:-tfd} pid
	eval "pid=\$TF_PID_$name"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" || tf_fail "tinyfleetd exited with $?"
}

# tfd_sub NAME TOPIC [ARGS...]: a QoS 1 subscriber writing "topic payload" lines to NAME.out.
tfd_sub() {
	local name=$1 topic=$2; shift 2
	tf_spawn "$name" mosquitto_sub -h 127.0.0.1 -p "$TF_MQTT_PORT" -q 1 -v -t "$topic" "$@"
	eval "ln -sf \"\$TF_WORK/$name.log\" \"\$TF_WORK/$name.out\""
}

# tfd_sub_ready NAME TOPIC: true once subscriber NAME has received a probe
# published on TOPIC (so its SUBSCRIBE has been processed). The probe is
# {"node":0,"seq":0,"probe":true}: node 0 is never enrolled, checks skip it.
tfd_sub_probe() {
	mosquitto_pub -h 127.0.0.1 -p "$TF_MQTT_PORT" -t "$2" -m '{"node":0,"seq":0,"probe":true}' \
		>/dev/null 2>&1
	grep -q '"probe":true' "$TF_WORK/$1.log"
}
tfd_sub_ready() { tf_wait_for 10 tfd_sub_probe "$1" "$2" || tf_fail "subscriber $1 not ready"; }

tfd_sql() { sqlite3 -cmd ".timeout 5000" "$TF_WORK/tf.db" "$@"; }

# tfd_count_lines FILE PATTERN N: true once FILE has at least N lines matching
# PATTERN (readiness probes not counted).
tfd_count_lines() { [ "$(grep "$2" "$1" 2>/dev/null | grep -vc '"probe":true')" -ge "$3" ]; }

# tfd_check_order FILE NODES COUNT: every node's seqs 1..COUNT arrived, first
# arrivals in increasing order (QoS 1 may repeat a message, never reorder it).
tfd_check_order() {
	python3 - "$@" <<'PY'
import json, sys, collections
path, nodes, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = collections.defaultdict(list)
for line in open(path):
    if "/inference " not in line:
        continue
    topic, payload = line.split(" ", 1)
    m = json.loads(payload)
    seen[m["node"]].append(m["seq"])
bad = 0
for node in range(1, nodes + 1):
    got = seen.get(node, [])
    first = list(dict.fromkeys(got))
    want = [s for s in first]
    if sorted(set(got)) != list(range(min(got or [1]), min(got or [1]) + count)) or len(set(got)) != count:
        print(f"node {node}: {len(set(got))} distinct seqs, want {count}")
        bad += 1
    elif first != sorted(first):
        print(f"node {node}: out of order")
        bad += 1
print(f"order check: {nodes - bad}/{nodes} nodes complete and in order")
sys.exit(1 if bad else 0)
PY
}
