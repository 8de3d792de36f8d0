# `make deps`: the Debian 12 packages tinyfleet builds, tests and demos with.
# Idempotent and quiet when everything is present; installs only what is missing.
# docs/ARCHITECTURE.md says why each one is here.

DEB_PACKAGES := build-essential pkg-config git \
	libuv1-dev libsqlite3-dev sqlite3 libmosquitto-dev mosquitto mosquitto-clients \
	protobuf-c-compiler libprotobuf-c-dev check libsodium-dev libsystemd-dev libinih-dev \
	clang libclang-rt-14-dev clang-format valgrind \
	gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi qemu-system-arm \
	python3 iproute2 procps openssl systemd debhelper dpkg-dev lintian fakeroot man-db groff-base strace

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "deps: run as root (or install:" $$missing")" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
