#!/usr/bin/env bash
# The unit's SystemCallFilter= lets through every system call tinyfleetd
# makes. A container cannot run the daemon under systemd's seccomp filter, so
# this records the calls instead: the daemon runs under strace through its
# whole life (start-up, sd_notify with a watchdog, simulated nodes sending
# real encrypted traffic that is stored and published over MQTT, tinyfleetctl
# reading and changing things over the control socket, SIGHUP, SIGTERM), and
# every call it made must be in the set the unit allows, as
# `systemd-analyze syscall-filter` expands it. A call outside the set would
# fail with EPERM (SystemCallErrorNumber=) in production. The same trace
# checks RestrictAddressFamilies= (the socket families it opened) and
# ProtectSystem=strict (it opened files for writing only in its state dir).
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"

for p in tinyfleetd tinyfleet-node; do
	[ -x "$TF_BUILD/$p" ] || tf_skip "$p is not built yet"
done
# A sanitizer build (make asan) is not what the unit runs, and LeakSanitizer
# refuses to run under ptrace.
if ldd "$TF_BUILD/tinyfleetd" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	tf_skip "tinyfleetd is a sanitizer build: its system calls are not the production binary's, and LeakSanitizer cannot run under strace"
fi
command -v strace >/dev/null || tf_fail "strace missing: run 'make deps'"
strace -f -o /dev/null true 2>/dev/null || tf_skip "ptrace is not permitted in this container"
unit="$TF_ROOT/systemd/tinyfleetd.service"

tf_log "the set the unit allows"
# Allow-list groups first, then the ~ deny-list removes; systemd always adds
# @default to an allow-list.
python3 - "$unit" >"$TF_WORK/allowed.txt" <<'PY'
import subprocess, sys
allow, deny = {"@default"}, set()
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("SystemCallFilter="):
        v = line.split("=", 1)[1]
        if v.startswith("~"):
            deny.update(v[1:].split())
        else:
            allow.update(v.split())
def expand(names, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if not n.startswith("@"):
            out.add(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        text = subprocess.run(["systemd-analyze", "syscall-filter", n], capture_output=True,
                              text=True, check=True).stdout
        body = [l.strip() for l in text.splitlines()[1:] if l.strip() and not l.strip().startswith("#")]
        out |= expand(body, seen)
    return out
for name in sorted(expand(allow) - expand(deny)):
    print(name)
PY
[ -s "$TF_WORK/allowed.txt" ] || tf_fail "could not expand the unit's SystemCallFilter="
echo "$(wc -l <"$TF_WORK/allowed.txt") system calls allowed"

# The unit runs the daemon as an unprivileged user, and that matters: SQLite,
# for one, fchown()s its journal files only when it runs as root. So when
# this test runs as root, the daemon runs as nobody, as it would as tinyfleet.
as_user=()
state="$TF_WORK/state"
mkdir -p "$state"
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || tf_fail "setpriv (util-linux) missing"
	as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	chmod 755 "$TF_WORK"
	chown nobody:nogroup "$state"
fi

tf_start_mosquitto
udp=$(tf_free_port udp)
cat >"$TF_WORK/tinyfleetd.conf" <<CONF
[gateway]
enroll_address = 127.0.0.1:$udp
[udp]
listen = 127.0.0.1:$udp
[store]
path = $state/tinyfleet.db
[mqtt]
host = 127.0.0.1
port = $TF_MQTT_PORT
CONF
"${as_user[@]}" "$TF_BUILD/tinyfleetd" -c "$TF_WORK/tinyfleetd.conf" --enroll-batch 5 --out "$state/nodes.csv" \
	>"$TF_WORK/enroll.log" 2>&1 || { cat "$TF_WORK/enroll.log"; tf_fail "enrollment failed"; }

cat >"$TF_WORK/notify.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(s.recv(4096).decode(errors="replace").replace("\n", " ") + "\n")
PY
tf_spawn notify python3 "$TF_WORK/notify.py" "$TF_WORK/notify.sock" "$TF_WORK/notify.txt"
tf_wait_for 10 test -S "$TF_WORK/notify.sock" || tf_fail "notify stand-in did not start"
chmod 666 "$TF_WORK/notify.sock"

# On the way out, whatever happened: the traced daemon first (strace exits
# with it), then what lib.sh started.
daemon_pid=
cleanup75() {
	[ -n "$daemon_pid" ] || daemon_pid=$(grep -m1 "execve(\"$TF_BUILD/tinyfleetd\"" \
		"$TF_WORK/trace.txt" 2>/dev/null | awk '{ print $1 }')
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	tf_cleanup
}
trap cleanup75 EXIT

tf_log "tinyfleetd under strace"
NOTIFY_SOCKET="$TF_WORK/notify.sock" WATCHDOG_USEC=1000000 \
	tf_spawn daemon strace -f -qq -o "$TF_WORK/trace.txt" "${as_user[@]}" "$TF_BUILD/tinyfleetd" -c "$TF_WORK/tinyfleetd.conf"
tf_wait_for 30 grep -q 'READY=1' "$TF_WORK/notify.txt" || { cat "$TF_WORK/daemon.log"; tf_fail "no READY=1"; }
daemon_pid=$(grep -m1 "execve(\"$TF_BUILD/tinyfleetd\"" "$TF_WORK/trace.txt" | awk '{ print $1 }')
[ -n "$daemon_pid" ] || tf_fail "no execve of tinyfleetd in the trace"

tf_log "five simulated nodes send until readings are stored"
tf_spawn nodes "$TF_BUILD/tinyfleet-node" --provision "$state/nodes.csv" --period 100 --duration 30
stored() { grep -qE 'STATUS=.* [1-9][0-9]* stored' "$TF_WORK/notify.txt"; }
tf_wait_for 40 stored || { tail -n 3 "$TF_WORK/notify.txt" "$TF_WORK/daemon.log"; tf_fail "nothing was stored (this test needs the node-to-daemon path of 21-* working to trace ingest)"; }
# Garbage too: the drop path counts it.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); [s.sendto(b"\x01\x00junk"*i, ("127.0.0.1", int(sys.argv[1]))) for i in range(1,20)]' "$udp"

if [ -x "$TF_BUILD/tinyfleetctl" ]; then
	tf_log "tinyfleetctl over the control socket (reads, and changes as root)"
	ctl() { "$TF_BUILD/tinyfleetctl" "$@" --socket "$state/control.sock" >>"$TF_WORK/ctl.log" 2>&1 ||
		{ tail "$TF_WORK/ctl.log"; tf_fail "tinyfleetctl $* failed"; }; }
	ctl status
	ctl nodes list
	ctl readings --limit 5
	ctl health --limit 5
	ctl alerts
	ctl nodes add traced-node --tags t1
	printf 'node_id,key_hex64,name\n,%s,imported-node\n' "$(printf '%064d' 7)" >"$TF_WORK/import.csv"
	ctl nodes import "$TF_WORK/import.csv"
	ctl nodes tag traced-node +t2 -t1
	ctl nodes rekey traced-node
	ctl nodes remove traced-node --yes
	timeout -s INT 2 "$TF_BUILD/tinyfleetctl" watch --socket "$state/control.sock" >/dev/null 2>&1 || true
fi

tf_log "SIGHUP, then SIGTERM"
kill -HUP "$daemon_pid"
tf_wait_for 20 grep -q 'reloaded' "$TF_WORK/notify.txt" || tf_fail "no reload"
kill -TERM "$daemon_pid"
tf_wait_for 30 grep -q 'STOPPING=1' "$TF_WORK/notify.txt" || tf_fail "no STOPPING=1"
rc=0
# shellcheck disable=SC2154 # tf_spawn sets TF_PID_<name>
wait "$TF_PID_daemon" || rc=$?

# Every call the daemon made after its own execve (strace's fork-and-exec
# before that is not the daemon).
sed -n "\|execve(\"$TF_BUILD/tinyfleetd\"|,\$p" "$TF_WORK/trace.txt" |
	sed -nE 's/^[0-9]+ +(<\.\.\. )?([a-z0-9_]+)[( ].*/\2/p' |
	grep -v '^exited$' | sort -u >"$TF_WORK/used.txt"
echo "tinyfleetd made $(wc -l <"$TF_WORK/used.txt") distinct system calls"
outside=$(comm -23 "$TF_WORK/used.txt" "$TF_WORK/allowed.txt")
if [ -n "$outside" ]; then
	for c in $outside; do grep -m2 -E "^[0-9]+ +$c\(" "$TF_WORK/trace.txt"; done
	tf_fail "system calls outside the unit's SystemCallFilter=: $(echo "$outside" | tr '\n' ' ')"
fi
echo "all of them pass SystemCallFilter="

# RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX: the sockets it opened.
sed -n "\|execve(\"$TF_BUILD/tinyfleetd\"|,\$p" "$TF_WORK/trace.txt" |
	grep -oE ' socket\(AF_[A-Z0-9]+' | sed 's/.*(//' | sort -u >"$TF_WORK/families.txt"
echo "socket families: $(tr '\n' ' ' <"$TF_WORK/families.txt")"
bad=$(grep -vxE 'AF_INET|AF_INET6|AF_UNIX' "$TF_WORK/families.txt" || true)
[ -z "$bad" ] || tf_fail "sockets outside RestrictAddressFamilies=: $bad"

# ProtectSystem=strict: files it opened for writing are in its state directory
# (the unit's StateDirectory=; the test's config points the store there).
sed -n "\|execve(\"$TF_BUILD/tinyfleetd\"|,\$p" "$TF_WORK/trace.txt" |
	grep -E 'open(at)?\(.*O_(WRONLY|RDWR|CREAT)' | grep -oE '"[^"]*"' | tr -d '"' | sort -u >"$TF_WORK/writes.txt"
bad=$(grep -vE "^($state/|/dev/null$)" "$TF_WORK/writes.txt" || true)
[ -z "$bad" ] || tf_fail "opened for writing outside the state directory: $bad"
echo "opened for writing: $(wc -l <"$TF_WORK/writes.txt") files, all under the state directory"
daemon_pid=
[ $rc = 0 ] || { tail -n 5 "$TF_WORK/daemon.log"; tf_fail "tinyfleetd exited with status $rc after SIGTERM"; }
echo "ok"
