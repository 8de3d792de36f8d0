# tinyfleet: one non-recursive GNU Makefile.
#
# Every folder contributes a fragment (`<folder>/*.mk`) that appends to the lists
# below; this file owns the knobs, the generic rules and the top-level targets.
# Builds go out of tree into $(B) (build/, or build/asan with SAN=asan).
#
# Fragments may append to:
#   PROGRAMS        host binaries built by `make all`
#   UNIT_TESTS      Check binaries; `make test` runs each one
#   INTEGRATION_DEPS  what tests/integration/run needs built first
#   FUZZ_TARGETS    libFuzzer binaries (clang); `make test` runs each briefly
#   BENCH_TARGETS   phony targets that `make bench` runs
#   INSTALL_TARGETS phony targets that `make install` runs
#   SIZE_TARGETS    phony targets that `make size` runs
#   FORMAT_FILES    sources that `make format-check` checks

.DEFAULT_GOAL := all
SHELL := /bin/bash

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

SAN ?=
ifeq ($(SAN),asan)
B ?= build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B ?= build
SAN_FLAGS :=
endif
# One spelling per build dir: an absolute B (the integration runner exports one)
# would write dependency files whose targets a relative B never matches, and
# objects would silently miss header changes.
override B := $(patsubst $(CURDIR)/%,%,$(B))

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
CLANG ?= clang
CROSS ?= arm-none-eabi-
OPT ?= -O2

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow -Wno-unused-parameter
CPPFLAGS := -Inode-firmware -I$(B)/gen -Itests/lib -DTF_VERSION=\"$(VERSION)\"
BASE_CFLAGS := $(OPT) -g $(WARN) -MMD -MP $(SAN_FLAGS)
LDFLAGS := $(SAN_FLAGS)

# Hardening for the programs a gateway runs (what Debian's hardening=+all adds,
# and what lintian asks for): fortified libc calls, stack protector, stack clash
# protection, full RELRO with immediate binding. Not in sanitizer builds (ASan
# makes those checks itself), and not for the inference core and the rest of
# node-firmware/, which run without a libc on the nodes and whose instruction
# counts are measured against TFLM's; the POSIX node port is a gateway program.
ifeq ($(SAN),)
HARDEN_CFLAGS := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection
LDFLAGS += -Wl,-z,relro,-z,now
$(B)/daemon/%.o $(B)/cli/%.o $(B)/node-firmware/ports/posix/%.o: EXTRA_CFLAGS += $(HARDEN_CFLAGS)
endif

# Firmware is C99 with no OS; everything else on the host is gnu11.
CSTD := -std=gnu11
$(B)/node-firmware/%.o: CSTD := -std=c99 -pedantic

PKGS_HOST := libuv sqlite3 libmosquitto libprotobuf-c check libsodium libsystemd inih
pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs = $(shell pkg-config --libs $(1) 2>/dev/null)
CHECK_LIBS = $(call pc_libs,check)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(CPPFLAGS) $(BASE_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

# Cortex-M4 cross build of the firmware folders (core, wire, agent): proves they
# stay free of OS calls and warnings, and gives `make size` its figures.
M4_CC := $(CROSS)gcc
M4_CFLAGS := -std=c99 -pedantic -mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections \
	$(WARN) -Inode-firmware -MMD -MP
$(B)/m4/%.o: %.c
	@mkdir -p $(@D)
	$(M4_CC) $(M4_CFLAGS) $(M4_EXTRA_CFLAGS) -c $< -o $@

# libFuzzer builds: clang, with ASan and UBSan, objects kept apart from the gcc ones.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -Inode-firmware -I$(B)/gen
$(B)/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined

PROGRAMS :=
UNIT_TESTS :=
INTEGRATION_DEPS :=
FUZZ_TARGETS :=
BENCH_TARGETS :=
INSTALL_TARGETS :=
SIZE_TARGETS :=
M4_LIBS :=
FORMAT_FILES :=

# Order matters only for variables a fragment reads from another one.
include mk/deps.mk
-include proto/proto.mk
-include node-firmware/wire/wire.mk
-include node-firmware/core/core.mk
-include node-firmware/agent/agent.mk
-include node-firmware/ports/posix/posix.mk
-include node-firmware/ports/cortex-m/cortex-m.mk
-include daemon/daemon.mk
-include cli/cli.mk
-include tests/tests.mk
-include systemd/systemd.mk
-include mk/demo.mk

.PHONY: all test test-deps unit integration fuzz fuzz-smoke bench asan install uninstall \
	clean format format-check size demo deps

all: $(PROGRAMS) $(UNIT_TESTS) $(M4_LIBS)

# The test run: units, bounded fuzzing, integration, format. tests/run-all
# prints the combined `N passed, N failed` as its last line.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(INTEGRATION_DEPS) $(if $(SAN),,$(FUZZ_TARGETS))
	@B=$(B) SAN=$(SAN) UNIT_TESTS="$(UNIT_TESTS)" FUZZ_TARGETS="$(if $(SAN),,$(FUZZ_TARGETS))" \
		FORMAT_FILES="$(FORMAT_FILES)" tests/run-all

# Everything the integration tests run, without running them.
test-deps: $(PROGRAMS) $(UNIT_TESTS) $(INTEGRATION_DEPS)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do $$t; done

integration: $(PROGRAMS) $(INTEGRATION_DEPS)
	@B=$(B) tests/integration/run

fuzz: $(FUZZ_TARGETS)
	@set -e; for f in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/fuzz-corpus/$$(basename $$f); \
		$$f -max_total_time=$${FUZZ_SECONDS:-60} $(B)/fuzz-corpus/$$(basename $$f); done

# ASan + UBSan build of everything, and the whole suite under it.
asan: deps
	@$(MAKE) --no-print-directory SAN=asan test

bench: deps all $(BENCH_TARGETS)

size: $(SIZE_TARGETS)

install: $(PROGRAMS) $(INSTALL_TARGETS)

clean:
	rm -rf build

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files OK"

-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)
