#!/usr/bin/env bash
# `make install PREFIX=/usr DESTDIR=...` puts every file in its FHS place,
# never overwrites an existing config, and `make uninstall` takes it all out
# again except a config the operator changed. PREFIX=/usr/local rewrites the
# unit's ExecStart=. The installed programs answer --version.
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"

# The make started here is a new one, not a job of the make that runs the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
mk() { make --no-print-directory -C "$TF_ROOT" B="$TF_BUILD" "$@"; }

missing=()
for p in tinyfleetd tinyfleetctl tinyfleet-node; do
	[ -x "$TF_BUILD/$p" ] || missing+=("$p")
done
[ -x "$TF_BUILD/tinyfleetd" ] || tf_skip "tinyfleetd is not built yet"
[ -f "$TF_ROOT/config/tinyfleetd.conf" ] || tf_skip "config/tinyfleetd.conf is not written yet"

root="$TF_WORK/root"
tf_log "make install PREFIX=/usr DESTDIR=$root"
mk install PREFIX=/usr DESTDIR="$root" >"$TF_WORK/install.log" 2>&1 ||
	{ tail -n 30 "$TF_WORK/install.log"; tf_fail "make install failed"; }

want=(
	"755 usr/sbin/tinyfleetd"
	"644 etc/tinyfleet/tinyfleetd.conf"
	"644 usr/lib/systemd/system/tinyfleetd.service"
	"644 usr/lib/sysusers.d/tinyfleet.conf"
	"644 usr/lib/tmpfiles.d/tinyfleet.conf"
	"644 usr/share/man/man8/tinyfleetd.8"
	"644 usr/share/man/man5/tinyfleetd.conf.5"
	"644 usr/share/man/man1/tinyfleetctl.1"
	"644 usr/share/man/man1/tinyfleet-node.1"
	"644 usr/share/bash-completion/completions/tinyfleetctl"
)
for p in tinyfleetctl tinyfleet-node; do
	[ -x "$TF_BUILD/$p" ] && want+=("755 usr/bin/$p")
done
for w in "${want[@]}"; do
	mode=${w%% *} f=${w#* }
	[ -f "$root/$f" ] || tf_fail "not installed: /$f"
	[ "$(stat -c %a "$root/$f")" = "$mode" ] || tf_fail "/$f has mode $(stat -c %a "$root/$f"), want $mode"
done
# The installed config is the shipped one with [store] path set to the
# service's state directory, and the daemon accepts it.
diff <(grep -v '^#path = ' "$TF_ROOT/config/tinyfleetd.conf") \
	<(grep -v -e '^path = /var/lib/tinyfleet/tinyfleet.db$' -e '^# Set by make install' "$root/etc/tinyfleet/tinyfleetd.conf") ||
	tf_fail "the installed config differs from config/tinyfleetd.conf by more than [store] path"
awk '/^\[/ { s = $0 } s == "[store]" && $0 == "path = /var/lib/tinyfleet/tinyfleet.db" { f = 1 } END { exit !f }' \
	"$root/etc/tinyfleet/tinyfleetd.conf" || tf_fail "the installed config does not set [store] path"
"$root/usr/sbin/tinyfleetd" --check-config -c "$root/etc/tinyfleet/tinyfleetd.conf" >"$TF_WORK/check.log" 2>&1 ||
	{ cat "$TF_WORK/check.log"; tf_fail "tinyfleetd rejects the installed config"; }
stray=$(cd "$root" && find . -type f | sed 's|^\./||' | { grep -Ev '^(usr/(s?bin|lib/systemd/system|lib/sysusers\.d|lib/tmpfiles\.d|share/man/man[158]|share/bash-completion/completions)|etc/tinyfleet)/' || true; })
[ -z "$stray" ] || tf_fail "installed outside the FHS places: $stray"
grep -q '^ExecStart=/usr/sbin/tinyfleetd -c /etc/tinyfleet/tinyfleetd.conf$' \
	"$root/usr/lib/systemd/system/tinyfleetd.service" || tf_fail "installed unit has the wrong ExecStart="

tf_log "the installed programs answer --version"
for p in usr/sbin/tinyfleetd usr/bin/tinyfleetctl usr/bin/tinyfleet-node; do
	[ -x "$root/$p" ] || continue
	name=$(basename "$p")
	out=$("$root/$p" --version 2>&1) || tf_fail "/$p --version exited non-zero: $out"
	echo "/$p --version: $out"
	[[ "$out" =~ ^$name\ [0-9A-Za-z.+~-]+$ ]] || tf_fail "/$p --version says '$out', want '$name <version>'"
done

tf_log "a second install keeps an existing config"
echo "# changed by the operator" >>"$root/etc/tinyfleet/tinyfleetd.conf"
cp "$root/etc/tinyfleet/tinyfleetd.conf" "$TF_WORK/changed.conf"
mk install PREFIX=/usr DESTDIR="$root" >"$TF_WORK/install2.log" 2>&1 ||
	{ tail -n 30 "$TF_WORK/install2.log"; tf_fail "second make install failed"; }
cmp -s "$TF_WORK/changed.conf" "$root/etc/tinyfleet/tinyfleetd.conf" || tf_fail "make install overwrote the config"
grep -q 'keeping existing' "$TF_WORK/install2.log" || tf_fail "make install did not say it kept the config"

tf_log "make uninstall"
mk uninstall PREFIX=/usr DESTDIR="$root" >"$TF_WORK/uninstall.log" 2>&1 ||
	{ tail -n 30 "$TF_WORK/uninstall.log"; tf_fail "make uninstall failed"; }
left=$(cd "$root" && find . -type f | sed 's|^\./||')
[ "$left" = "etc/tinyfleet/tinyfleetd.conf" ] || tf_fail "after uninstall, left: $left (want only the changed config)"

tf_log "PREFIX=/usr/local: programs and unit under /usr/local, config still in /etc"
root2="$TF_WORK/root2"
mk install PREFIX=/usr/local DESTDIR="$root2" >"$TF_WORK/install3.log" 2>&1 ||
	{ tail -n 30 "$TF_WORK/install3.log"; tf_fail "make install PREFIX=/usr/local failed"; }
for f in usr/local/sbin/tinyfleetd usr/local/lib/systemd/system/tinyfleetd.service \
	usr/local/share/man/man8/tinyfleetd.8 etc/tinyfleet/tinyfleetd.conf; do
	[ -f "$root2/$f" ] || tf_fail "PREFIX=/usr/local: /$f not installed"
done
grep -q '^ExecStart=/usr/local/sbin/tinyfleetd -c /etc/tinyfleet/tinyfleetd.conf$' \
	"$root2/usr/local/lib/systemd/system/tinyfleetd.service" || tf_fail "PREFIX=/usr/local unit has the wrong ExecStart="
mk uninstall PREFIX=/usr/local DESTDIR="$root2" >"$TF_WORK/uninstall2.log" 2>&1 || tf_fail "make uninstall (/usr/local) failed"
left=$(cd "$root2" && find . -type f)
[ -z "$left" ] || tf_fail "after uninstall of an unchanged install, left: $left"

[ ${#missing[@]} -eq 0 ] || tf_skip "layout checked without ${missing[*]} (not built yet)"
echo "ok: FHS layout, config kept, uninstall clean"
