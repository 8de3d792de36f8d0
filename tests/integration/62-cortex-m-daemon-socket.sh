#!/usr/bin/env bash
# 62-cortex-m-daemon-socket: the daemon's serial transport talks to QEMU's
# UART directly, no pty bridge: node 1 on a Unix socket (`[serial] device =
# unix:PATH`), node 2 on serial-over-TCP (`tcp:127.0.0.1:PORT`), QEMU serving
# both. Hello, inferences and Health are stored; then the daemon restarts and
# reconnects to both sockets and the readings go on; clean stop.
#
# SKIPs when the daemon cannot open sockets as serial devices (probed: a
# listener on a Unix socket waits for the daemon to connect).
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"

command -v qemu-system-arm >/dev/null || tf_skip "qemu-system-arm is not installed"
ELF="$TF_BUILD/cm4/node.elf"
PROV="$TF_BUILD/cm-provision"
[ -f "$ELF" ] && [ -x "$PROV" ] || tf_fail "node.elf or cm-provision missing (make firmware)"

tf_start_mosquitto
TCP_PORT=$(tf_free_port)

tf_log "probe: does the serial transport connect to unix: devices?"
tfd_config "[serial]
device = unix:$TF_WORK/probe.sock
reopen_min_ms = 50
reopen_max_ms = 200"
sed -i 's/^listen = .*/listen = 127.0.0.1:0/' "$TF_WORK/tfd.conf"
tf_spawn probe python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); s.settimeout(5)
print("listening", flush=True)
try:
    s.accept(); print("connected", flush=True)
except OSError:
    print("no connection", flush=True)
' "$TF_WORK/probe.sock"
tf_wait_for 5 grep -q listening "$TF_WORK/probe.log" || tf_fail "probe listener"
tfd_start tfd0
tf_wait_for 8 grep -qE "connected|no connection" "$TF_WORK/probe.log"
tfd_stop tfd0
grep -q '^connected' "$TF_WORK/probe.log" ||
	tf_skip "the daemon's serial transport opens tty devices only (no unix:/tcp: devices yet); 61 covers the M4 nodes through a pty bridge"

tfd_config "[serial]
device = unix:$TF_WORK/n1.sock,tcp:127.0.0.1:$TCP_PORT
reopen_min_ms = 50
reopen_max_ms = 400"
sed -i 's/^listen = .*/listen = 127.0.0.1:0/' "$TF_WORK/tfd.conf"
tfd_enroll 2
mapfile -t IDS < <(grep -v '^#' "$TF_WORK/prov.txt" | cut -d, -f1)
for i in 1 2; do
	mkdir -p "$TF_WORK/n$i"
	: >"$TF_WORK/n$i/tinyfleet-flash.bin"
	"$PROV" -i 500 -H 2000 "$ELF" "$TF_WORK/n$i.elf" --enrolled "$TF_WORK/prov.txt" \
		--node "${IDS[$((i - 1))]}" || tf_fail "cm-provision"
done
# QEMU serves; with wait=on each node boots once the daemon has connected.
tf_spawn qemu1 env -C "$TF_WORK/n1" timeout 300 qemu-system-arm -M mps2-an386 -display none \
	-monitor none -serial "unix:$TF_WORK/n1.sock,server=on,wait=on" \
	-semihosting-config enable=on,target=native -kernel "$TF_WORK/n1.elf"
tf_spawn qemu2 env -C "$TF_WORK/n2" timeout 300 qemu-system-arm -M mps2-an386 -display none \
	-monitor none -serial "tcp:127.0.0.1:$TCP_PORT,server=on,wait=on" \
	-semihosting-config enable=on,target=native -kernel "$TF_WORK/n2.elf"
tf_wait_for 10 test -S "$TF_WORK/n1.sock" || tf_fail "QEMU did not create its UART socket"
tfd_start tfd

readings_each() {
	[ "$(tfd_sql "SELECT COUNT(*) FROM (SELECT node_id FROM readings GROUP BY node_id HAVING COUNT(*) >= $1)")" = 2 ]
}
health_each() { [ "$(tfd_sql "SELECT COUNT(DISTINCT node_id) FROM health")" = 2 ]; }
tf_wait_for 30 readings_each 5 || tf_fail "readings per node: $(tfd_sql 'SELECT node_id, COUNT(*) FROM readings GROUP BY node_id' | tr '\n' ' ')"
tf_wait_for 30 health_each || tf_fail "no Health from both nodes"
tf_log "unix and tcp: $(tfd_sql 'SELECT node_id, COUNT(*) FROM readings GROUP BY node_id' | tr '\n' ' ')"

tf_log "daemon restart: it reconnects to both sockets"
n0=$(tfd_sql "SELECT COUNT(*) FROM readings")
tfd_stop tfd
tfd_start tfd2
more() { [ "$(tfd_sql "SELECT COUNT(*) FROM (SELECT node_id FROM readings WHERE id > $n0 GROUP BY node_id HAVING COUNT(*) >= 4)")" = 2 ]; }
tf_wait_for 60 more || tf_fail "no new readings from both nodes after the restart"
n=$(tfd_sql "SELECT COUNT(*) = COUNT(DISTINCT node_id * 1000000 + seq) FROM readings")
[ "$n" = 1 ] || tf_fail "duplicate readings stored"
for i in 1 2; do
	eval "kill -TERM \$TF_PID_qemu$i; wait \$TF_PID_qemu$i" 2>/dev/null
done
tfd_stop tfd2
tf_log "PASS"
