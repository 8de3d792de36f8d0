#!/usr/bin/env bash
# Starting tinyfleetd.service under a running systemd is the one part of the
# service a container cannot do: PID 1 here is not systemd. This test says so
# in every `make test` run, and names what covers the parts instead:
#   70  the unit verifies, its exposure score, sysusers.d/tmpfiles.d applied
#   72  the package installs (user, dirs, enable symlink) in a throwaway root
#   73  the daemon's side of Type=notify/WatchdogSec=/ExecReload=/SIGTERM
#   75  every system call, socket family and write vs the unit's sandbox
# On a gateway, `systemctl start tinyfleetd && systemctl status tinyfleetd`
# (docs/OPERATIONS.md, "Service") is the remaining check.
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"

if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ] || [ ! -d /run/systemd/system ]; then
	tf_skip "starting the unit needs systemd as PID 1 (PID 1 here: $(cat /proc/1/comm 2>/dev/null || echo unknown)); 70, 72, 73 and 75 cover the unit, the package, the notify contract and the sandbox without it"
fi
tf_skip "systemd runs here, but this suite does not install and start services on the machine that runs it; on a gateway: systemctl start tinyfleetd && systemctl status tinyfleetd"
