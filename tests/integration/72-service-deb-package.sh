#!/usr/bin/env bash
# `make deb` builds a package that lintian passes without errors, that holds
# every file in its place with /etc/tinyfleet/tinyfleetd.conf as a conffile,
# and that really installs: dpkg installs it into a throwaway root (its
# maintainer scripts run "chrootless" against that root through DPKG_ROOT),
# which creates the user, the state directory and the enable symlink; the
# installed binaries print the package's version; a changed config survives
# a reinstall and a remove, and purge takes it. Starting the service needs
# systemd as PID 1: the postinst only starts it where systemd runs, and here
# stand-ins for systemctl/deb-systemd-invoke record what it asked for.
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"
unset MAKEFLAGS MFLAGS MAKELEVEL

for p in tinyfleetd tinyfleetctl tinyfleet-node; do
	[ -x "$TF_BUILD/$p" ] || tf_skip "$p is not built yet ($TF_BUILD/$p)"
done
[ -f "$TF_ROOT/config/tinyfleetd.conf" ] || tf_skip "config/tinyfleetd.conf is not written yet"
for tool in dpkg-buildpackage dh lintian dpkg-deb; do
	command -v "$tool" >/dev/null || tf_fail "$tool missing: run 'make deps'"
done

tf_log "make deb (lintian included)"
make --no-print-directory -C "$TF_ROOT" B="$TF_BUILD" deb >"$TF_WORK/deb.log" 2>&1 ||
	{ tail -n 40 "$TF_WORK/deb.log"; tf_fail "make deb failed"; }
grep -E '^(deb:|[EWI]:)' "$TF_WORK/deb.log" || true
deb=$(sed -n 's/^deb: \(.*\.deb\)$/\1/p' "$TF_WORK/deb.log" | tail -n1)
[ -f "$deb" ] || tf_fail "make deb did not name a .deb"
grep -q '^E:' "$TF_BUILD/deb/lintian.log" && tf_fail "lintian reported errors"

tf_log "contents of $(basename "$deb")"
dpkg-deb -c "$deb" | awk '{ print $1, $6 }' >"$TF_WORK/contents"
for w in "-rwxr-xr-x ./usr/sbin/tinyfleetd" "-rwxr-xr-x ./usr/bin/tinyfleetctl" \
	"-rwxr-xr-x ./usr/bin/tinyfleet-node" "-rw-r--r-- ./etc/tinyfleet/tinyfleetd.conf" \
	"-rw-r--r-- ./lib/systemd/system/tinyfleetd.service" "-rw-r--r-- ./usr/lib/sysusers.d/tinyfleet.conf" \
	"-rw-r--r-- ./usr/lib/tmpfiles.d/tinyfleet.conf" "-rw-r--r-- ./usr/share/man/man8/tinyfleetd.8.gz" \
	"-rw-r--r-- ./usr/share/man/man5/tinyfleetd.conf.5.gz" "-rw-r--r-- ./usr/share/man/man1/tinyfleetctl.1.gz" \
	"-rw-r--r-- ./usr/share/man/man1/tinyfleet-node.1.gz" \
	"-rw-r--r-- ./usr/share/bash-completion/completions/tinyfleetctl" \
	"-rw-r--r-- ./usr/share/doc/tinyfleet/copyright"; do
	grep -qxF -- "$w" "$TF_WORK/contents" || { cat "$TF_WORK/contents"; tf_fail "package lacks: $w"; }
done
dpkg-deb -e "$deb" "$TF_WORK/control"
grep -qx /etc/tinyfleet/tinyfleetd.conf "$TF_WORK/control/conffiles" || tf_fail "tinyfleetd.conf is not a conffile"
grep -q 'systemd-sysusers.*tinyfleet.conf' "$TF_WORK/control/postinst" || tf_fail "postinst does not create the user"
grep -q "deb-systemd-helper enable 'tinyfleetd.service'" "$TF_WORK/control/postinst" || tf_fail "postinst does not enable the unit"
pkgver=$(dpkg-deb -f "$deb" Version)
echo "package version: $pkgver"

tf_log "dpkg -i into a throwaway root"
root="$TF_WORK/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" \
	"$root/usr/sbin" "$TF_WORK/shims"
touch "$root/var/lib/dpkg/status"
# Like any chroot build: services are not started inside it (policy-rc.d 101).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
for s in systemctl deb-systemd-invoke; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/shims.log"\n' "$s" "$TF_WORK" >"$TF_WORK/shims/$s"
	chmod 755 "$TF_WORK/shims/$s"
done
dpkgr() {
	PATH="$TF_WORK/shims:$PATH" dpkg --root="$root" --force-script-chrootless --force-depends \
		--force-not-root "$@" >>"$TF_WORK/dpkg.log" 2>&1 || { cat "$TF_WORK/dpkg.log"; tf_fail "dpkg $* failed"; }
}
dpkgr -i "$deb"
grep -q '^tinyfleet:x:[0-9]*:[0-9]*:' "$root/etc/passwd" || tf_fail "postinst did not create user tinyfleet"
grep -Eq '^dialout:x:[0-9]+:(.*,)?tinyfleet' "$root/etc/group" || tf_fail "tinyfleet is not in dialout"
[ -d "$root/var/lib/tinyfleet" ] || tf_fail "postinst did not create /var/lib/tinyfleet"
[ "$(stat -c %a "$root/etc/tinyfleet/tinyfleetd.conf")" = 640 ] || tf_fail "config not narrowed to 0640"
grep -qx 'path = /var/lib/tinyfleet/tinyfleet.db' "$root/etc/tinyfleet/tinyfleetd.conf" ||
	tf_fail "the packaged config does not put the store in /var/lib/tinyfleet"
"$root/usr/sbin/tinyfleetd" --check-config -c "$root/etc/tinyfleet/tinyfleetd.conf" >"$TF_WORK/check.log" 2>&1 ||
	{ cat "$TF_WORK/check.log"; tf_fail "the installed tinyfleetd rejects the packaged config"; }
[ -L "$root/etc/systemd/system/multi-user.target.wants/tinyfleetd.service" ] || tf_fail "the unit is not enabled"
cmp -s "$TF_ROOT/systemd/tinyfleetd.service" "$root/lib/systemd/system/tinyfleetd.service" ||
	tf_fail "the packaged unit differs from systemd/tinyfleetd.service"
if [ -d /run/systemd/system ]; then
	grep -q 'deb-systemd-invoke start tinyfleetd.service' "$TF_WORK/shims.log" ||
		tf_fail "postinst did not ask to start the unit"
else
	echo "SKIPPED: starting the unit after install (no systemd as PID 1 here; the postinst starts it only under systemd)"
fi

tf_log "the installed binaries print the package's version"
for p in usr/sbin/tinyfleetd usr/bin/tinyfleetctl usr/bin/tinyfleet-node; do
	out=$("$root/$p" --version 2>&1) || tf_fail "/$p --version failed: $out"
	v=${out##* }
	echo "/$p --version: $out  ->  package version $("$TF_ROOT/debian/version" "$v")"
	[ "$("$TF_ROOT/debian/version" "$v")" = "$pkgver" ] ||
		tf_fail "/$p says '$v', which is not package version $pkgver"
done

tf_log "conffile: a changed config survives reinstall and remove; purge takes it"
echo "# changed by the operator" >>"$root/etc/tinyfleet/tinyfleetd.conf"
cp "$root/etc/tinyfleet/tinyfleetd.conf" "$TF_WORK/changed.conf"
dpkgr -i "$deb"
cmp -s "$TF_WORK/changed.conf" "$root/etc/tinyfleet/tinyfleetd.conf" || tf_fail "reinstall replaced the changed config"
dpkgr -r tinyfleet
[ ! -e "$root/usr/sbin/tinyfleetd" ] || tf_fail "remove left /usr/sbin/tinyfleetd"
cmp -s "$TF_WORK/changed.conf" "$root/etc/tinyfleet/tinyfleetd.conf" || tf_fail "remove took the config"
dpkgr -P tinyfleet
[ ! -e "$root/etc/tinyfleet/tinyfleetd.conf" ] || tf_fail "purge left the config"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/tinyfleetd.service" ] || tf_fail "purge left the enable symlink"

echo "ok: $(basename "$deb") builds, lints, installs, runs, keeps its conffile"
