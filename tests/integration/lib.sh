# Shared helpers for integration tests. Source it first:  . "$TF_ROOT/tests/integration/lib.sh"
# Every process started with tf_spawn is killed when the test exits, however it exits.
set -u
TF_PIDS=()

tf_fail() { echo "FAIL: $*" >&2; exit 1; }
tf_skip() { echo "SKIP: $*"; exit 77; }
tf_log() { echo "--- $*"; }

# A free port on 127.0.0.1 (tcp or udp): bind to port 0 and report what the kernel chose.
tf_free_port() {
	python3 - "${1:-tcp}" <<'PY'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# tf_spawn NAME CMD...: start CMD in the background, output to NAME.log, remember its pid.
tf_spawn() {
	local name=$1; shift
	"$@" >"$TF_WORK/$name.log" 2>&1 &
	TF_PIDS+=($!)
	eval "TF_PID_$name=$!"
}

# tf_wait_for SECONDS CMD...: poll CMD until it succeeds; fail after SECONDS.
# Readiness is a condition the test checks, not a guess at how long start-up takes.
tf_wait_for() {
	local limit=$1; shift
	local deadline=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
	local delay=0.01
	until "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -ge $deadline ] && return 1
		sleep $delay
		delay=$(awk -v d=$delay 'BEGIN { d *= 2; if (d > 0.2) d = 0.2; print d }')
	done
}

tf_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

tf_need_shared() { [ -d "$TF_SHARED/models" ] || tf_skip "../shared is absent"; }

# Start a private mosquitto on a free loopback port; sets TF_MQTT_PORT.
# max_queued_messages 0: the default of 1000 silently drops QoS 1 messages for a
# subscriber that falls behind (docs/MQTT.md).
tf_start_mosquitto() {
	TF_MQTT_PORT=$(tf_free_port)
	cat >"$TF_WORK/mosquitto.conf" <<CONF
listener $TF_MQTT_PORT 127.0.0.1
allow_anonymous true
max_queued_messages 0
persistence false
CONF
	tf_spawn mosquitto mosquitto -c "$TF_WORK/mosquitto.conf"
	tf_wait_for 10 tf_port_open "$TF_MQTT_PORT" || tf_fail "mosquitto did not start"
}

tf_cleanup() {
	local p
	for p in "${TF_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	for p in "${TF_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	return 0
}
trap tf_cleanup EXIT
