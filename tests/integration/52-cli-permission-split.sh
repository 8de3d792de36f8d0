#!/usr/bin/env bash
# The control socket's permission split, decided by the daemon from the
# peer's credentials: a non-admin uid in the socket's group may read but is
# refused every change (clear message, exit 1, logged, nothing changed); a
# member of admin_group may change things; a uid outside the socket's group
# cannot connect at all (exit 3). The daemon runs with group nogroup so that
# `setpriv --reuid=nobody --regid=nogroup --clear-groups` is in the socket's
# group. Needs root (to switch uids) and setpriv.
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"
. "$TF_ROOT/tests/tools/daemon-lib.sh"
CTL=$TF_BUILD/tinyfleetctl
[ -x "$CTL" ] || tf_skip "tinyfleetctl not built"
[ "$(id -u)" = 0 ] || tf_skip "needs root to run the CLI as other users"
command -v setpriv >/dev/null || tf_skip "setpriv missing (util-linux)"
getent group nogroup >/dev/null || tf_skip "no group 'nogroup'"
getent passwd nobody >/dev/null || tf_skip "no user 'nobody'"
admin_group=adm
getent group "$admin_group" >/dev/null || tf_skip "no group '$admin_group'"
unset RUNTIME_DIRECTORY

# nobody must reach the socket: the scratch folder is 0700 by default.
chmod 0755 "$TF_WORK"
tfd_config "enabled = no
[gateway]
admin_group = $admin_group"
tfd_enroll 3
# The socket takes the daemon's group; nobody joins it with --regid=nogroup.
tf_spawn tfd setpriv --regid=nogroup --clear-groups "$TFD" -c "$TF_WORK/tfd.conf"
tf_wait_for 10 tfd_ready tfd || {
	cat "$TF_WORK/tfd.log"
	tf_fail "tinyfleetd did not start"
}
sock=$TF_WORK/control.sock
[ "$(stat -c '%a %G' "$sock")" = "660 nogroup" ] || tf_fail "socket is $(stat -c '%a %G' "$sock")"
export TINYFLEET_SOCKET=$sock

reader() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" "$@"; }
admin() { setpriv --reuid=nobody --regid=nogroup --groups="$admin_group" "$CTL" "$@"; }
# gid 65533: no group at all, certainly not the socket's.
stranger() { setpriv --reuid=nobody --regid=65533 --clear-groups "$CTL" "$@"; }

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

tf_log "a reader may read"
rc 0 reader status
grep -qE '^nodes +0 online / 3 total' "$TF_WORK/out" || tf_fail "status: $(cat "$TF_WORK/out")"
rc 0 reader nodes list --json
rc 0 reader readings --json
rc 0 reader alerts --json

tf_log "a reader is refused every change"
rc 1 reader nodes add intruder
grep -q "permission denied: 'nodes add' changes the fleet" "$TF_WORK/err" ||
	tf_fail "message: $(cat "$TF_WORK/err")"
grep -q "group '$admin_group'" "$TF_WORK/err" || tf_fail "message names no group: $(cat "$TF_WORK/err")"
rc 1 reader nodes remove node-1 --yes
rc 1 reader nodes tag node-1 +x
rc 1 reader nodes rekey node-1
rc 1 reader alerts ack 1
tf_wait_for 5 grep -q "refused 'nodes add' to uid 65534" "$TF_WORK/tfd.log" ||
	tf_fail "refusal not logged"
grep -q "refused 'nodes remove' to uid 65534" "$TF_WORK/tfd.log" || tf_fail "refusal not logged"
rc 0 "$CTL" nodes list --json
python3 -c '
import json, sys
names = sorted(n["name"] for n in json.load(open(sys.argv[1])))
sys.exit(0 if names == ["node-1", "node-2", "node-3"] and all(not n["tags"] for n in json.load(open(sys.argv[1]))) else 1)
' "$TF_WORK/out" || tf_fail "a refused change happened: $(cat "$TF_WORK/out")"

tf_log "a member of admin_group may change things"
rc 0 admin nodes add from-admin-group
rc 0 admin nodes tag from-admin-group +ok
rc 0 "$CTL" nodes show from-admin-group --json

tf_log "root may change things"
rc 0 "$CTL" nodes remove from-admin-group --yes

tf_log "outside the socket's group: cannot connect (exit 3)"
rc 3 stranger status
grep -q "cannot reach tinyfleetd at '$sock': Permission denied" "$TF_WORK/err" ||
	tf_fail "message: $(cat "$TF_WORK/err")"

tfd_stop tfd
tf_log "PASS"
