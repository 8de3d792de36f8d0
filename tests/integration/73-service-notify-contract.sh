#!/usr/bin/env bash
# The daemon's side of tinyfleetd.service, which a container cannot start
# under systemd: run tinyfleetd the way the unit does (Type=notify,
# NotifyAccess=main, WatchdogSec=) against a stand-in notify socket and check
# what it sends. READY=1 (with STATUS=) once it serves; WATCHDOG=1 again and
# again from its loop at half of $WATCHDOG_USEC; SIGHUP (ExecReload=) gives
# RELOADING=1 then READY=1 again; SIGTERM gives STOPPING=1 and exit status 0
# (Restart=on-failure must not fire). Every message must come from the main
# pid, or NotifyAccess=main would drop it.
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"

[ -x "$TF_BUILD/tinyfleetd" ] || tf_skip "tinyfleetd is not built yet"

tf_start_mosquitto
udp=$(tf_free_port udp)
cat >"$TF_WORK/tinyfleetd.conf" <<CONF
[udp]
listen = 127.0.0.1:$udp
[store]
path = $TF_WORK/tinyfleet.db
[mqtt]
host = 127.0.0.1
port = $TF_MQTT_PORT
CONF
# The same half-interval rule at a shorter WatchdogSec= than the unit's 20 s.
watchdog_usec=1000000

# A stand-in for systemd's notify socket: one line per field, with the
# sender's pid from SCM_CREDENTIALS (what NotifyAccess=main checks).
cat >"$TF_WORK/notify.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = "?"
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = str(struct.unpack("iII", data[:12])[0])
    for field in msg.decode(errors="replace").split("\n"):
        if field:
            out.write("%s %s\n" % (pid, field))
PY
tf_spawn notify python3 "$TF_WORK/notify.py" "$TF_WORK/notify.sock" "$TF_WORK/notify.txt"
tf_wait_for 10 test -S "$TF_WORK/notify.sock" || tf_fail "notify stand-in did not start"

NOTIFY_SOCKET="$TF_WORK/notify.sock" WATCHDOG_USEC=$watchdog_usec \
	tf_spawn daemon "$TF_BUILD/tinyfleetd" -c "$TF_WORK/tinyfleetd.conf"
# shellcheck disable=SC2154 # tf_spawn sets TF_PID_<name>
pid=$TF_PID_daemon
n() { grep -c " $1" "$TF_WORK/notify.txt" 2>/dev/null || true; }
at_least() { [ "$(n "$1")" -ge "$2" ]; }

tf_log "READY=1 with a STATUS="
tf_wait_for 20 at_least 'READY=1$' 1 || { cat "$TF_WORK/daemon.log"; tf_fail "no READY=1"; }
at_least 'STATUS=' 1 || tf_fail "no STATUS= line"
grep ' STATUS=' "$TF_WORK/notify.txt" | head -n 1
# READY=1 means serving: the UDP port is bound and the control socket answers.
ss -uln | grep -q "127.0.0.1:$udp " || tf_fail "READY=1 before UDP $udp was bound"
if [ -x "$TF_BUILD/tinyfleetctl" ]; then
	"$TF_BUILD/tinyfleetctl" status --socket "$TF_WORK/control.sock" >"$TF_WORK/status.txt" 2>&1 ||
		{ cat "$TF_WORK/status.txt"; tf_fail "READY=1 but the control socket does not answer"; }
fi

tf_log "WATCHDOG=1 keeps coming (every $((watchdog_usec / 2000)) ms)"
tf_wait_for 20 at_least 'WATCHDOG=1$' 4 || tf_fail "WATCHDOG=1 came $(n 'WATCHDOG=1$') times"

tf_log "SIGHUP: RELOADING=1, then READY=1 again"
kill -HUP "$pid"
tf_wait_for 20 at_least 'READY=1$' 2 || { tail "$TF_WORK/daemon.log"; tf_fail "no READY=1 after SIGHUP"; }
at_least 'RELOADING=1$' 1 || tf_fail "no RELOADING=1 before the second READY=1"
kill -0 "$pid" 2>/dev/null || tf_fail "the daemon died on SIGHUP"

tf_log "SIGTERM: STOPPING=1, exit status 0"
kill -TERM "$pid"
tf_wait_for 30 at_least 'STOPPING=1$' 1 || tf_fail "no STOPPING=1"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || { tail "$TF_WORK/daemon.log"; tf_fail "exit status $rc after SIGTERM (Restart=on-failure would restart it)"; }

others=$(awk -v p="$pid" '$1 != p' "$TF_WORK/notify.txt")
[ -z "$others" ] || tf_fail "notifications not from the main pid $pid: $others"
echo "ok: $(n 'READY=1$') READY, $(n 'WATCHDOG=1$') WATCHDOG, $(n 'RELOADING=1$') RELOADING, $(n 'STOPPING=1$') STOPPING, all from pid $pid"
